"""What the time-series page computes: scores against baselines, the seed study, the cross-validated grid.

Every score is on data the model did not fit: the continuation (points 1,001-1,100) for the
forecasts, the validation blocks of the folds for cross-validation. MSE is in original (squared
laser intensity) units; NMSE divides it by the continuation's variance, so predicting the mean of
the continuation scores exactly 1.

References: Weigend & Gershenfeld (1994), "Time Series Prediction" (NMSE as the competition score);
Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", ch. 5 (naive baselines, time-series
cross-validation).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from annlab import jobs
from annlab.data import SANTAFE_TRAIN
from annlab.timeseries.data import SeriesSplit, santafe_split, time_series_folds, windows
from annlab.timeseries.defaults import GRID_HIDDEN, GRID_LAGS, SEEDS, model_spec
from annlab.timeseries.models import TSConfig, forecast_iterated, forecast_one_step, train_ts
from annlab.training import TrainResult

Progress = Callable[[int, dict], None]  # callback(step, {"fraction": 0..1, "text": ...})


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean squared error between two arrays of the same shape."""
    y, y_hat = np.asarray(y, np.float64), np.asarray(y_hat, np.float64)
    if y.shape != y_hat.shape:
        raise ValueError(f"Shapes differ: {y.shape} vs {y_hat.shape}.")
    return float(np.mean((y - y_hat) ** 2))


def nmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """MSE divided by the variance of ``y`` (1.0 = as good as predicting ``y``'s own mean)."""
    var = float(np.var(np.asarray(y, np.float64)))
    if var == 0.0:
        raise ValueError("The true values are constant: NMSE is undefined.")
    return mse(y, y_hat) / var


def baselines(split: SeriesSplit) -> dict[str, np.ndarray]:
    """The two forecasts any model must beat, in original units, each of shape (n_test,).

    ``"training mean"`` repeats the mean of the training part; ``"last value"`` repeats point 1,000.
    """
    n = split.test.size
    return {"training mean": np.full(n, split.mean), "last value": np.full(n, float(split.train_raw[-1]))}


def baseline_rows(split: SeriesSplit) -> list[dict]:
    """Scores of the baselines, laid out like :class:`Forecast` scores.

    Closed loop, a baseline repeats one number (the training mean, or point 1,000). One step ahead, the
    "last value" baseline is fed the truth like the models are: it predicts each point by the one before.
    """
    truth = split.test_raw
    previous = np.concatenate([split.train_raw[-1:], truth[:-1]])
    rows = []
    for name, closed in baselines(split).items():
        one = closed if name == "training mean" else previous
        rows.append(
            {
                "forecast": f"baseline: {name}",
                "iterated_mse": mse(truth, closed),
                "iterated_nmse": nmse(truth, closed),
                "one_step_mse": mse(truth, one),
                "one_step_nmse": nmse(truth, one),
            }
        )
    return rows


def verdict(name: str, value: float, baseline_nmse: dict[str, float]) -> str | None:
    """A sentence when a closed-loop NMSE does not beat a baseline, else None.

    baseline_nmse : NMSE of ``"training mean"`` and ``"last value"`` (see :func:`baselines`)
    """
    mean_score = baseline_nmse["training mean"]
    if not np.isfinite(value) or value >= mean_score:
        return (
            f"The {name} does **not** beat predicting the training mean in closed loop (NMSE {value:.2f} "
            f"vs {mean_score:.2f}): its forecast is no better than a flat line."
        )
    if value >= baseline_nmse["last value"]:
        return f"The {name} does not beat repeating the last value (NMSE {value:.2f})."
    return None


@dataclass
class Forecast:
    """A trained model's forecasts of the continuation, in original units.

    Attributes
    ----------
    iterated : ndarray of shape (n_test,), closed loop (feeds on its own predictions)
    one_step : ndarray of shape (n_test,), teacher forced (fed the true past at every step)
    scores : dict, ``iterated_mse``, ``iterated_nmse``, ``one_step_mse``, ``one_step_nmse``
    """

    iterated: np.ndarray
    one_step: np.ndarray
    scores: dict


def evaluate(model: torch.nn.Module, cfg: TSConfig, split: SeriesSplit) -> Forecast:
    """Forecast the continuation both ways and score it against the truth."""
    it = split.to_original(forecast_iterated(model, split.train, split.test.size, cfg.lag))
    one = split.to_original(forecast_one_step(model, split.train, split.test, cfg.lag))
    truth = split.test_raw
    scores = {
        "iterated_mse": mse(truth, it),
        "iterated_nmse": nmse(truth, it),
        "one_step_mse": mse(truth, one),
        "one_step_nmse": nmse(truth, one),
    }
    return Forecast(it, one, scores)


def cross_validate(
    cfg: TSConfig,
    series: np.ndarray,
    *,
    n_folds: int = 3,
    val_size: int = 100,
    gap: int | None = None,
    device: str = "cpu",
    seed: int = 0,
    std: float = 1.0,
) -> list[float]:
    """One-step-ahead validation MSE of ``cfg`` on each expanding-window fold of ``series``.

    Parameters
    ----------
    cfg : TSConfig
    series : ndarray of shape (n,), normalised training series
    n_folds, val_size : folds and windows per validation block
    gap : windows dropped between training and validation (default: the lag, so nothing leaks)
    std : training standard deviation, to report the MSE in original units (``mse * std**2``)

    Returns
    -------
    list of float, one validation MSE per fold (original units if ``std`` is given)
    """
    gap = cfg.lag if gap is None else gap
    X, y = windows(series, cfg.lag)
    folds = time_series_folds(len(y), n_folds=n_folds, val_size=val_size, gap=gap)
    out = []
    for train_idx, val_idx in folds:
        # training windows are 0..a: they use series[: a + lag + 1] and nothing later
        sub = np.asarray(series[: int(train_idx[-1]) + cfg.lag + 1])
        if len(sub) - cfg.lag < cfg.rollout:
            raise ValueError("A fold's training part is shorter than the rollout: use fewer folds.")
        result = train_ts(cfg, sub, device=device, seed=seed)
        with torch.no_grad():
            dev = next(result.model.parameters()).device
            y_hat = result.model(torch.as_tensor(X[val_idx], device=dev)).cpu().numpy()
        out.append(mse(y[val_idx], y_hat) * std**2)
    return out


def grid_search(
    base: TSConfig,
    split: SeriesSplit,
    *,
    lags: Sequence[int] = GRID_LAGS,
    hidden: Sequence[int] = GRID_HIDDEN,
    n_folds: int = 3,
    val_size: int = 100,
    device: str = "cpu",
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[dict]:
    """Cross-validated MSE for every (lag, hidden) pair, the other settings taken from ``base``.

    Returns
    -------
    list of dict with ``lag``, ``n_hidden``, ``cv_mse`` (mean over folds), ``cv_std``, ``seconds``;
    ``cv_mse`` is NaN and ``error`` says why when the folds do not fit that lag.
    """
    rows, total, done = [], len(lags) * len(hidden), 0
    for lag in lags:
        for h in hidden:
            cfg = dataclasses.replace(base, lag=int(lag), n_hidden=int(h))
            start = time.perf_counter()
            row = {"lag": int(lag), "n_hidden": int(h)}
            try:
                scores = cross_validate(
                    cfg,
                    split.train,
                    n_folds=n_folds,
                    val_size=val_size,
                    device=device,
                    seed=seed,
                    std=split.std,
                )
                row.update(cv_mse=float(np.mean(scores)), cv_std=float(np.std(scores)), error="")
            except ValueError as exc:
                row.update(cv_mse=float("nan"), cv_std=float("nan"), error=str(exc))
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
            done += 1
            if progress is not None:
                progress(done, total, f"lag {lag}, {h} hidden")
    return rows


def seed_study(
    cfg: TSConfig,
    split: SeriesSplit | None = None,
    *,
    seeds: Sequence[int] = SEEDS,
    device: str = "cpu",
    callback: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Train ``cfg`` once per seed (through the model store) and score each on the continuation.

    Returns
    -------
    list of dict: ``seed``, ``iterated_mse``, ``iterated_nmse``, ``one_step_mse``, ``one_step_nmse``,
    ``train_s`` (seconds the training took when it ran, NaN when it came from the store)
    """
    split = split or santafe_split()
    rows = []
    for i, seed in enumerate(seeds):
        result = jobs.run(model_spec(cfg, seed), device)
        row = {
            "seed": int(seed),
            **evaluate(result.model, cfg, split).scores,
            "train_s": float(result.extra.get("train_s", float("nan"))),
        }
        rows.append(row)
        if callback is not None:
            callback(i + 1, len(seeds))
    return rows


def summary(rows: list[dict], key: str = "iterated_nmse") -> tuple[float, float]:
    """Mean and standard deviation of ``key`` over the rows of :func:`seed_study`."""
    vals = np.array([r[key] for r in rows], np.float64)
    return float(vals.mean()), float(vals.std())


def in_store(cfg: TSConfig, seed: int) -> bool:
    """True when the model store already holds ``cfg`` trained with ``seed`` on the Santa Fe split."""
    return jobs.stored(model_spec(cfg, seed))


NOT_STORED = (  # shown beside the button that trains the seeds
    "these settings are not trained for every seed yet; the default settings are (`python -m annlab warm`), "
    "other settings train here, which takes a while"
)


def all_stored(cfgs: Mapping[str, TSConfig], seeds: Sequence[int] = SEEDS) -> bool:
    """True when every config is in the model store for every seed (the seed study then only scores)."""
    return all(in_store(cfg, s) for cfg in cfgs.values() for s in seeds)


# ------------------------------------------------------------------------------ the page's sections

SCORE_FORMATS = {
    "validation NMSE": "{:.3f}",
    "closed-loop MSE": "{:.0f}",
    "closed-loop NMSE": "{:.3f}",
    "one-step MSE": "{:.0f}",
    "one-step NMSE": "{:.3f}",
    "training s": "{:.1f}",
}


@dataclass
class Metric:
    """One number for ``st.metric``: label, value and an optional delta and help, as text."""

    label: str
    value: str
    delta: str | None = None
    help: str | None = None


@dataclass
class Comparison:
    """The trained models' forecasts of points 1,001-1,100 beside the two baselines.

    Attributes
    ----------
    forecasts : model name -> Forecast (models whose training diverged are left out)
    scores : DataFrame indexed by forecast (models, then ``baseline: ...``), columns :data:`SCORE_FORMATS`
    baseline_nmse : closed-loop NMSE of ``"training mean"`` and ``"last value"``
    metrics : each model's closed-loop NMSE (delta against the mean), then the mean baseline's
    verdicts : a sentence per model that does not beat a baseline
    truth_var : variance of points 1,001-1,100 (the NMSE's denominator)
    closed_loop, one_step : name -> ndarray (100,), the curves of the two forecast charts (the closed
        loop's ``"mean"`` is the training-mean baseline)
    """

    forecasts: dict[str, Forecast]
    scores: pd.DataFrame
    baseline_nmse: dict[str, float]
    metrics: list[Metric]
    verdicts: list[str]
    truth_var: float
    closed_loop: dict[str, np.ndarray] = field(default_factory=dict)
    one_step: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def caption(self) -> str:
        """What the scores mean."""
        return (
            "**Test** scores (closed-loop and one-step): points 1,001-1,100, read for this score only. "
            "MSE in squared intensity units; NMSE = MSE / variance of points 1,001-1,100 "
            f"({self.truth_var:.0f}). **Validation NMSE**: the closed-loop forecast of points 901-1,000 by "
            "the model fitted on 1-900, shown only when the page holds them out (Validation choice). "
            "'training s' is how long training took when it ran (it may have been loaded from the model "
            "store)."
        )

    @property
    def nmse_table(self) -> pd.DataFrame:
        """The two test NMSEs (rows) of every forecast (columns), as text: the main figure's scores
        (with the validation NMSE first when a model was validated)."""
        cols = ["closed-loop NMSE", "one-step NMSE"]
        if np.isfinite(self.scores["validation NMSE"]).any():
            cols = ["validation NMSE", *cols]
        return self.table[cols].T

    @property
    def against_baselines(self) -> str:
        """Both test NMSEs of every model beside both baselines, and which baselines each beats, in words:
        "**One step ahead** (fed the true past), NMSE: MLP 0.012, LSTM 0.020; training mean 1.012, last
        value 0.534: the MLP beats both baselines, the LSTM beats both baselines." then the closed loop."""
        mean_row, last_row = "baseline: training mean", "baseline: last value"
        out = []
        for words, col in (
            ("**One step ahead** (fed the true past)", "one-step NMSE"),
            ("**Closed loop** (fed its own predictions)", "closed-loop NMSE"),
        ):
            mean, last = float(self.scores.loc[mean_row, col]), float(self.scores.loc[last_row, col])
            values = {name: float(self.scores.loc[name, col]) for name in self.forecasts}
            models = ", ".join(f"{name} {v:.3f}" for name, v in values.items()) or "no model trained"
            beats = ", ".join(f"the {name} {_beats(v, mean, last)}" for name, v in values.items())
            out.append(
                f"{words}, NMSE: {models}; training mean {mean:.3f}, last value {last:.3f}"
                + (f": {beats}." if beats else ".")
            )
        return "  \n".join(out)

    @property
    def table(self) -> pd.DataFrame:
        """:attr:`scores` as text ("—" where a number is missing or not finite)."""
        return self.scores.apply(
            lambda col: col.map(lambda v: "—" if not np.isfinite(v) else SCORE_FORMATS[col.name].format(v))
        )


def _beats(value: float, mean: float, last: float) -> str:
    """Which of the two baselines (their NMSEs ``mean`` and ``last``) an NMSE ``value`` beats, in words."""
    if not np.isfinite(value):
        return "beats neither baseline"
    if value < mean and value < last:
        return "beats both baselines"
    if value < mean:
        return "beats the training mean but not the last value"
    if value < last:
        return "beats the last value but not the training mean"
    return "beats neither baseline"


def validation_score(result: TrainResult) -> float:
    """Closed-loop validation NMSE (points 901-1,000) of the kept weights, NaN without validation."""
    rows = [r for r in result.history if "val_nmse" in r]
    if not rows:
        return math.nan
    best = int(result.extra.get("best_epoch", rows[-1]["epoch"]))
    return float(next((r["val_nmse"] for r in rows if r["epoch"] == best), rows[-1]["val_nmse"]))


def _score_row(name: str, scores: dict, train_s: float, val: float = math.nan) -> dict:
    return {
        "forecast": name,
        "validation NMSE": val,
        "closed-loop MSE": scores["iterated_mse"],
        "closed-loop NMSE": scores["iterated_nmse"],
        "one-step MSE": scores["one_step_mse"],
        "one-step NMSE": scores["one_step_nmse"],
        "training s": train_s,
    }


def compare(results: Mapping[str, TrainResult], split: SeriesSplit | None = None) -> Comparison:
    """Forecast points 1,001-1,100 with each trained model, both ways, and score them beside the baselines.

    Parameters
    ----------
    results : model name ("MLP") -> trained TSConfig model (diverged ones are skipped)
    split : the Santa Fe split (default: :func:`santafe_split`)
    """
    split = split or santafe_split()
    truth = split.test_raw
    base = baselines(split)
    base_nmse = {name: nmse(truth, values) for name, values in base.items()}
    forecasts = {
        name: evaluate(res.model, res.config, split) for name, res in results.items() if not res.diverged
    }
    rows = [
        _score_row(
            name,
            fc.scores,
            float(results[name].extra.get("train_s", math.nan)),
            validation_score(results[name]),
        )
        for name, fc in forecasts.items()
    ]
    rows += [_score_row(b["forecast"], b, math.nan) for b in baseline_rows(split)]
    mean_score = base_nmse["training mean"]
    metrics = [
        Metric(
            f"{name}: closed-loop NMSE",
            f"{fc.scores['iterated_nmse']:.3f}",
            delta=f"{fc.scores['iterated_nmse'] - mean_score:+.3f} vs the mean",
        )
        for name, fc in forecasts.items()
    ]
    metrics.append(
        Metric(
            "Baseline: training mean",
            f"{mean_score:.3f}",
            help="MSE of always predicting the training mean, divided by the continuation's variance.",
        )
    )
    verdicts = [verdict(name, fc.scores["iterated_nmse"], base_nmse) for name, fc in forecasts.items()]
    return Comparison(
        forecasts=forecasts,
        scores=pd.DataFrame(rows).set_index("forecast"),
        baseline_nmse=base_nmse,
        metrics=metrics,
        verdicts=[v for v in verdicts if v],
        truth_var=float(truth.var()),
        closed_loop={
            **{name: fc.iterated for name, fc in forecasts.items()},
            "mean": base["training mean"],
        },
        one_step={name: fc.one_step for name, fc in forecasts.items()},
    )


@dataclass
class SeedStudy:
    """One config trained from several seeds, each scored in closed loop on points 1,001-1,100.

    Attributes
    ----------
    name : the model ("MLP"); rows : from :func:`seed_study`; mean, std : of its closed-loop NMSE
    mean_baseline : closed-loop NMSE of predicting the training mean
    warning : a sentence when, on average, the model does not beat the mean (else None)
    """

    name: str
    rows: list[dict]
    mean: float
    std: float
    mean_baseline: float
    warning: str | None

    @property
    def metric(self) -> Metric:
        """The mean closed-loop NMSE over the seeds, with its spread."""
        return Metric(
            f"{self.name}: closed-loop NMSE over {len(self.rows)} seeds",
            f"{self.mean:.3f} ± {self.std:.3f}",
            help="mean ± standard deviation over the seeds",
        )


def seed_studies(
    cfgs: Mapping[str, TSConfig],
    device: str = "cpu",
    *,
    seeds: Sequence[int] = SEEDS,
    callback: Progress | None = None,
) -> dict[str, SeedStudy]:
    """:func:`seed_study` for each named config (trains through the model store what it lacks)."""
    split = santafe_split()
    mean_baseline = nmse(split.test_raw, baselines(split)["training mean"])
    out, total = {}, len(cfgs) * len(seeds)
    for i, (name, cfg) in enumerate(cfgs.items()):

        def step(done: int, n: int, i=i, name=name) -> None:
            if callback is not None:
                k = i * n + done
                callback(k, {"fraction": k / total, "text": f"{name}: seed {done} of {n} done"})

        rows = seed_study(cfg, split, seeds=seeds, device=device, callback=step)
        mean, std = summary(rows)
        warning = (
            f"On average over the seeds, the {name} does not beat the training mean."
            if mean >= mean_baseline
            else None
        )
        out[name] = SeedStudy(name, rows, mean, std, mean_baseline, warning)
    return out


@dataclass(frozen=True)
class GridPlan:
    """What the lag x hidden-units grid fits: ``base`` with every (lag, hidden) pair, on each fold.

    Attributes
    ----------
    base : TSConfig, the settings shared by every cell; lags, hidden : the grid's axes
    n_folds, val_size : expanding time-series folds (see :func:`cross_validate`); seed : the fits' seed
    """

    base: TSConfig
    lags: tuple[int, ...] = GRID_LAGS
    hidden: tuple[int, ...] = GRID_HIDDEN
    n_folds: int = 3
    val_size: int = 100
    seed: int = 0

    @property
    def fits(self) -> int:
        """Models trained: cells x folds."""
        return len(self.lags) * len(self.hidden) * self.n_folds

    @property
    def label(self) -> str:
        """The button that runs it."""
        return (
            f"Run the grid ({len(self.lags)} lags x {len(self.hidden)} sizes x {self.n_folds} folds = "
            f"{self.fits} fits)"
        )

    def problem(self, n_train: int = SANTAFE_TRAIN) -> str | None:
        """Why the folds cannot fit ``n_train`` training points (None when they fit)."""
        need = self.n_folds * self.val_size + max(self.lags)
        if need < n_train:
            return None
        return (
            f"The folds do not fit: {self.n_folds} folds of {self.val_size} validation points plus a gap of "
            f"up to {max(self.lags)} need {need} of the {n_train} training points, and leave nothing to "
            "train on. Use fewer folds or a smaller validation size."
        )


@dataclass
class Grid:
    """A finished grid: its plan, its rows (see :func:`grid_search`) and what it took."""

    plan: GridPlan
    rows: list[dict]
    seconds: float
    device: str

    @property
    def caption(self) -> str:
        """How long it took, in words."""
        return (
            f"The grid took {self.seconds:.1f} s on {self.device} ({self.plan.fits} fits of "
            f"{self.plan.base.num_epochs} epochs)."
        )

    @property
    def warning(self) -> str | None:
        """Which cells could not be scored, and why (None when all were)."""
        errors = [r["error"] for r in self.rows if r["error"]]
        return f"{len(errors)} cell(s) could not be scored: {errors[0]}" if errors else None

    @property
    def best(self) -> tuple[int, int] | None:
        """(lag, n_hidden) of the lowest cross-validated MSE, None when no cell was scored."""
        finite = [r for r in self.rows if np.isfinite(r["cv_mse"])]
        if not finite:
            return None
        row = min(finite, key=lambda r: r["cv_mse"])
        return row["lag"], row["n_hidden"]

    def cv(self, cell: tuple[int, int]) -> float:
        """Cross-validated MSE of the cell (lag, n_hidden)."""
        return next(r["cv_mse"] for r in self.rows if (r["lag"], r["n_hidden"]) == tuple(cell))

    def pick(self, event) -> tuple[tuple[int, int], str]:
        """The cell clicked in the grid chart (``event``: its selection state), else the best one.

        Returns the cell and a sentence saying which it is.
        """
        chosen = self.best
        try:
            picked = event["selection"]["cell"][0]
            chosen = (int(picked["lag"]), int(picked["n_hidden"]))
        except (KeyError, IndexError, TypeError):
            pass
        which = "lowest CV MSE" if chosen == self.best else "your pick"
        return chosen, (
            f"**Lag {chosen[0]}, {chosen[1]} hidden units** ({which}; click another cell to change), "
            "trained on all of points 1-1,000:"
        )


def run_grid(
    plan: GridPlan,
    device: str = "cpu",
    *,
    split: SeriesSplit | None = None,
    callback: Progress | None = None,
) -> Grid:
    """:func:`grid_search` of ``plan`` on the Santa Fe training part, timed.

    ``callback(step, info)`` gets the progress (``info["fraction"]``, ``info["text"]``).
    """
    split = split or santafe_split()

    def progress(done: int, total: int, text: str) -> None:
        if callback is not None:
            callback(done, {"fraction": done / total, "text": f"{done}/{total}: {text}"})

    start = time.perf_counter()
    rows = grid_search(
        plan.base,
        split,
        lags=plan.lags,
        hidden=plan.hidden,
        n_folds=plan.n_folds,
        val_size=plan.val_size,
        device=device,
        seed=plan.seed,
        progress=progress,
    )
    return Grid(plan, rows, time.perf_counter() - start, device)


@dataclass
class CellReport:
    """One grid cell's model, trained on all of points 1-1,000, forecasting points 1,001-1,100.

    Attributes
    ----------
    forecast : its forecasts; text : its scores beside its CV MSE and the mean, in words
    curves : "closed loop" and "one step" forecasts, for a chart; title : which model it is
    """

    forecast: Forecast
    text: str
    curves: dict[str, np.ndarray]
    title: str


def cell_report(result: TrainResult, cv_mse: float, split: SeriesSplit | None = None) -> CellReport:
    """Score a grid cell's model on the continuation, beside its cross-validated MSE and the mean."""
    split = split or santafe_split()
    cfg = result.config
    fc = evaluate(result.model, cfg, split)
    mean_score = nmse(split.test_raw, baselines(split)["training mean"])
    text = (
        f"CV MSE {cv_mse:.0f}; on points 1,001-1,100: one-step NMSE {fc.scores['one_step_nmse']:.3f}, "
        f"closed-loop NMSE {fc.scores['iterated_nmse']:.3f} (training mean {mean_score:.3f})."
    )
    curves = {"closed loop": fc.iterated, "one step": fc.one_step}
    return CellReport(fc, text, curves, f"{cfg.model.upper()}, lag {cfg.lag}, {cfg.n_hidden} hidden units")


def selection_table(data: dict | None = None) -> pd.DataFrame | None:
    """The honest protocol's candidates and validation scores (``selection.json``), one row each;
    None when ``bench/timeseries_select.py`` has not been run."""
    from annlab.timeseries import select

    data = data if data is not None else select.load()
    if not data:
        return None
    rows = []
    for kind, part in data["models"].items():
        for r in part["rows"]:
            rows.append(
                {
                    "model": kind.upper(),
                    "setting": r["setting"],
                    "stage": r.get("stage", ""),
                    "forecasts with NMSE >= 1": f"{r['failures']} of {r['n']}" if "failures" in r else "",
                    "validation NMSE (median)": r["median"],
                    "mean": r["mean"],
                    "seconds per fit": r.get("fit_s", math.nan),
                    "chosen": "yes" if r["config"] == part["chosen"] else "",
                }
            )
    return pd.DataFrame(rows)


def _stretches(data: dict) -> str:
    from annlab.timeseries import select

    origins = data.get("origins", select.ORIGINS)
    horizon = int(data.get("horizon", select.HORIZON))
    return ", ".join(f"{o + 1:,}-{o + horizon:,}" for o in origins)


def selection_note(data: dict | None = None) -> str:
    """How the defaults were chosen, in words (the stretches and seeds from ``selection.json``)."""
    from annlab.timeseries import select

    data = data if data is not None else select.load() or {}
    seeds = ", ".join(str(s) for s in data.get("seeds", select.SEEDS))
    return SELECTION_NOTE.format(seeds=seeds, stretches=_stretches(data))


SELECTION_NOTE = (
    "How the defaults were chosen (`bench/timeseries_select.py`), by **rolling-origin** closed-loop "
    "validation inside points 1-1,000: each setting was fitted on the points before a stretch and forecast "
    "the stretch in closed loop, for the stretches {stretches} (551-650 holds the training series' own "
    "collapse), seeds {seeds}. The rule, fixed before the results: fewest forecasts with a validation NMSE "
    "of 1 or more (no better than a flat line), then the lowest median NMSE; every setting was screened "
    "with the first seed and the best two fitted with every seed. Per model (the LSTM at the MLP's lag, "
    "since the page's lag slider is shared). The winners are refitted on all of points 1-1,000 and scored "
    "once on points 1,001-1,100, the **test** scores of the Forecasts tab."
)


def chosen_note(data: dict | None = None) -> str:
    """Which settings the page starts from, and their validation scores (``selection.json``), in words."""
    from annlab.timeseries import select

    data = data if data is not None else select.load()
    if not data:
        return "No selection saved yet: run `python bench/timeseries_select.py`."
    parts = []
    for kind, part in data["models"].items():
        row = next((r for r in part["rows"] if r["config"] == part["chosen"]), {})
        fails = f"{row['failures']} of {row['n']} forecasts with NMSE >= 1, " if "failures" in row else ""
        parts.append(
            f"**{kind.upper()}**: {select.describe(TSConfig(**part['chosen']))} ({fails}median validation "
            f"NMSE {part['val_nmse']:.3f})"
        )
    seeds = ", ".join(str(s) for s in data.get("seeds", select.SEEDS))
    return (
        "The default settings, **chosen on validation** (rolling origin: closed-loop forecasts of points "
        f"{_stretches(data)}, each by a model fitted on the points before it, seeds {seeds}; nothing after "
        "point 1,000 was read): "
        + "; ".join(parts)
        + ". Refitted on points 1-1,000, they are scored once on 1,001-1,100: the **test** scores here."
    )
