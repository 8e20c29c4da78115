"""The honest protocol that picks the page's default settings, using points 1-1,000 only.

Rolling-origin closed-loop validation (written down before any of its results were seen):

1. **Stretches.** For each origin ``o`` in :data:`ORIGINS` (450, 550, 650) a candidate is fitted on
   points 1..o and forecasts points o+1..o+100 in closed loop (fed its own predictions, as the page's
   main score). Points 551-650 hold the training series' deepest collapse (to 1 near point 610, about
   60 steps in, as the test stretch's collapse near point 1,065); 451-550 the tallest pulses and a dip
   to 3 near point 505; 651-750 the slow build-up after the collapse. Each forecast is scored by its
   NMSE (MSE over the variance of its own 100 true points: 1 = no better than a flat line at their mean).
2. **The rule** (:func:`rank_key`), per model: a *failure* is a (seed, stretch) forecast with NMSE >= 1
   or not finite. The candidate with the fewest failures wins; ties go to the lowest median NMSE over
   every (seed, stretch). This is the goal the page is held to (no seed worse than the mean, a low
   median), measured inside the training part.
3. **Stages** (to keep the compute small on a shared 2-core machine): every candidate is screened
   with seed 0; the :data:`FINALISTS` (2) best by the same rule are also fitted with seed 1, and the
   rule over seeds 0-1 x the 3 stretches picks among them.
4. The page's lag slider is shared by both models, so the MLP's choice sets the lag and the LSTM's
   candidates are scored at that lag (:func:`at_lag`).
5. The chosen settings are refitted on all of points 1-1,000 (the page's models) and scored once on
   points 1,001-1,100 (``bench/timeseries.py``), which no step above reads.

``bench/timeseries_select.py`` runs it and writes :data:`RESULT` (the validation table and the choice),
which the page shows as the validation numbers and a test checks against ``defaults.py``.

References: Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", sec. 5.10 (evaluation
on a rolling forecasting origin); Tashman (2000), "Out-of-sample tests of forecasting accuracy";
Bergmeir & Benitez (2012), "On the use of cross-validation for time series predictor evaluation".
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annlab.timeseries.models import TSConfig, forecast_iterated, train_ts

ORIGINS = (450, 550, 650)  # fit points 1..o, forecast o+1..o+HORIZON in closed loop
HORIZON = 100  # as the test stretch (points 1,001-1,100)
SEEDS = (0, 1)  # seeds of the selection (the test study uses 0-4, the lead's check 5-9)
SCREEN_SEEDS = (0,)  # stage 1: every candidate
FINALISTS = 2  # stage 2: the best of the screen, fitted with every seed of SEEDS
RULE = (
    "rolling origin (fit 1-o, closed-loop forecast of o+1..o+100 for o = 450, 550, 650; seeds 0-1): "
    "fewest forecasts with NMSE >= 1, then the lowest median NMSE"
)
RESULT = Path(__file__).with_name("selection.json")

# The candidates, kept few (the machine is shared; an LSTM fit of 400 epochs is minutes there): today's
# settings of each model (issue 15's choice) and the same with a bounded output head (a scaled tanh over
# the range fitted); for the LSTM also noise on the inputs (robust to its own errors). Round 2 (added
# after round 1 found no LSTM without a failure, on validation only; the rule unchanged): the LSTM's
# linear output clipped to the fitted range (a safety net that changes nothing inside it). With input
# noise, and an ensemble of 3 clipped LSTMs, were candidates too, dropped unscored: the machine was too
# loaded to fit them (each LSTM process got ~8 % of a core).
_LBFGS = dict(optimizer="lbfgs", lr=1.0, num_epochs=100, weight_decay=1e-4)
_COSINE = dict(optimizer="adam", lr=0.01, lr_end=1e-5, batch_size=128, num_epochs=400, weight_decay=1e-5)
_BOUNDED = dict(_COSINE, head="bounded")
CANDIDATES: dict[str, tuple[TSConfig, ...]] = {
    "mlp": (
        TSConfig(model="mlp", lag=30, n_hidden=50, **_LBFGS),
        TSConfig(model="mlp", lag=30, n_hidden=50, head="bounded", **_LBFGS),
    ),
    "lstm": (
        TSConfig(model="lstm", lag=30, n_hidden=20, **_COSINE),
        TSConfig(model="lstm", lag=30, n_hidden=20, **_BOUNDED),
        TSConfig(model="lstm", lag=30, n_hidden=20, input_noise=0.05, **_BOUNDED),
        TSConfig(model="lstm", lag=30, n_hidden=20, head="clipped", **_COSINE),
    ),
}


def at_lag(candidates: Sequence[TSConfig], lag: int) -> tuple[TSConfig, ...]:
    """The candidates with their lag replaced by ``lag`` (the page's two models share one lag)."""
    return tuple(dataclasses.replace(c, lag=int(lag)) for c in candidates)


def stretch_nmse(
    cfg: TSConfig,
    series: np.ndarray,
    origin: int,
    *,
    seed: int = 0,
    horizon: int = HORIZON,
    device: str = "cpu",
) -> float:
    """Fit ``cfg`` on ``series[:origin]`` and score its closed-loop forecast of the next ``horizon`` points.

    Parameters
    ----------
    cfg : TSConfig (its ``val_size`` and ``patience`` are replaced: no hold-out, no stopping)
    series : ndarray of shape (n,), the normalised training part (points 1-1,000: nothing after it)
    origin : int, the last point fitted (``series[:origin]``); needs ``origin + horizon <= n``

    Returns
    -------
    float, MSE of the forecast over the variance of the ``horizon`` true points (NaN if training
    diverged or the forecast is not finite); the same in normalised and original units
    """
    series = np.asarray(series, np.float64).ravel()
    if origin + horizon > series.size:
        raise ValueError(f"Origin {origin} + {horizon} points runs past the {series.size} points given.")
    cfg = dataclasses.replace(cfg, val_size=0, patience=None)
    result = train_ts(cfg, series[:origin], device=device, seed=int(seed))
    if result.diverged is not None:
        return math.nan
    truth = series[origin : origin + horizon]
    pred = forecast_iterated(result.model, series[:origin], horizon, cfg.lag)
    value = float(np.mean((pred - truth) ** 2) / np.var(truth))
    return value if np.isfinite(value) else math.nan


def rank_key(scores: Sequence[float]) -> tuple[int, float]:
    """The rule: (number of failures, median NMSE), lower is better. A failure is an NMSE >= 1 or NaN."""
    arr = np.asarray(scores, np.float64)
    finite = arr[np.isfinite(arr)]
    failures = int(np.sum(~np.isfinite(arr)) + np.sum(finite >= 1.0))
    median = float(np.median(np.where(np.isfinite(arr), arr, np.inf))) if arr.size else math.inf
    return failures, median


def _job(args: tuple) -> tuple[float, float]:
    """One (config, seed, origin) fit for a worker process: its NMSE and seconds."""
    cfg, series, origin, seed, horizon, device = args
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    value = stretch_nmse(cfg, series, origin, seed=seed, horizon=horizon, device=device)
    return value, time.perf_counter() - start


def validate(
    candidates: Sequence[TSConfig],
    series: np.ndarray,
    *,
    seeds: Sequence[int],
    origins: Sequence[int] = ORIGINS,
    horizon: int = HORIZON,
    device: str = "cpu",
    pool=None,
    known: Mapping[tuple, tuple[float, float]] | None = None,
) -> list[dict]:
    """NMSE of every candidate on every (seed, origin): one dict per candidate, ``nmse[seed][origin]``
    and ``seconds`` (total fitting time). ``pool``: an object with ``map`` (a process pool) or None.
    ``known``: (config as JSON, seed, origin) -> (NMSE, seconds) of fits already made (same code, same
    seed: the same numbers), reused instead of fitting again (:func:`known_fits`)."""
    known = known or {}
    jobs = [(c, series, int(o), int(s), horizon, device) for c in candidates for s in seeds for o in origins]
    todo = [j for j in jobs if _fit_key(j[0], j[3], j[2]) not in known]
    done = dict(zip(map(id, todo), (pool.map if pool is not None else map)(_job, todo), strict=True))
    results = [done[id(j)] if id(j) in done else known[_fit_key(j[0], j[3], j[2])] for j in jobs]
    out, k = [], 0
    for _ in candidates:
        table, seconds = {}, 0.0
        for s in seeds:
            for o in origins:
                value, took = results[k]
                table.setdefault(int(s), {})[int(o)] = value
                seconds += took
                k += 1
        out.append({"nmse": table, "seconds": seconds})
    return out


def _fit_key(cfg: TSConfig, seed: int, origin: int) -> tuple:
    return json.dumps(dataclasses.asdict(cfg), sort_keys=True), int(seed), int(origin)


def known_fits(data: dict | None) -> dict[tuple, tuple[float, float]]:
    """The fits a saved selection (``selection.json``) already made: (config, seed, origin) -> (NMSE,
    seconds per fit), for :func:`validate` to reuse."""
    out = {}
    for part in (data or {}).get("models", {}).values():
        for r in part["rows"]:
            cfg = TSConfig(**r["config"])
            for seed, per in r["nmse"].items():
                for origin, value in per.items():
                    out[_fit_key(cfg, int(seed), int(origin))] = (float(value), float(r["fit_s"]))
    return out


def describe(cfg: TSConfig) -> str:
    """A candidate in a few words: "lag 40, 50 hidden, L-BFGS x100, decay 1e-04"."""
    opt = "L-BFGS" if cfg.optimizer == "lbfgs" else "full-batch Adam"
    if cfg.optimizer == "adam" and cfg.batch_size:
        opt = f"Adam (batches of {cfg.batch_size})"
    words = f"lag {cfg.lag}, {cfg.n_hidden} hidden, {opt} x{cfg.num_epochs}"
    if cfg.n_models > 1:
        words = f"{cfg.n_models} averaged: " + words
    if cfg.optimizer == "adam":
        words += f", lr {cfg.lr:g}" + (f" cosine to {cfg.lr_end:g}" if cfg.lr_end is not None else "")
    if cfg.weight_decay:
        words += f", decay {cfg.weight_decay:g}"
    if cfg.input_noise:
        words += f", input noise {cfg.input_noise:g}"
    if cfg.grad_clip is not None:
        words += f", gradient clipped at {cfg.grad_clip:g}"
    if cfg.rollout > 1:
        words += f", {cfg.rollout} steps fed back (last {cfg.rollout_epochs} epochs)"
    if cfg.head != "linear":
        words += f", {cfg.head} output"
    return words


@dataclass
class Selection:
    """What the protocol found for one model.

    Attributes
    ----------
    rows : one dict per candidate: ``setting`` (words), ``config`` (dict), ``stage`` ("final" or
        "screen"), ``seeds``, ``nmse`` (seed -> origin -> NMSE, keys as text), ``failures``, ``median``,
        ``mean``, ``fit_s`` (seconds per fit)
    best : the chosen TSConfig (the rule over every seed, among the finalists)
    """

    rows: list[dict]
    best: TSConfig

    @property
    def row(self) -> dict:
        """The chosen candidate's row."""
        return next(r for r in self.rows if r["config"] == dataclasses.asdict(self.best))

    @property
    def val_nmse(self) -> float:
        """Median validation NMSE of the chosen setting (every seed and stretch)."""
        return self.row["median"]


def _row(cfg: TSConfig, found: dict, stage: str) -> dict:
    scores = [v for per in found["nmse"].values() for v in per.values()]
    failures, median = rank_key(scores)
    finite = [v for v in scores if np.isfinite(v)]
    return {
        "setting": describe(cfg),
        "config": dataclasses.asdict(cfg),
        "stage": stage,
        "seeds": sorted(found["nmse"]),
        "nmse": {str(s): {str(o): v for o, v in per.items()} for s, per in found["nmse"].items()},
        "failures": failures,
        "n": len(scores),
        "median": median,
        "mean": float(np.mean(finite)) if len(finite) == len(scores) else math.inf,
        "fit_s": found["seconds"] / max(1, len(scores)),
    }


def select(
    candidates: Sequence[TSConfig],
    series: np.ndarray,
    *,
    seeds: Sequence[int] = SEEDS,
    screen_seeds: Sequence[int] = SCREEN_SEEDS,
    finalists: int = FINALISTS,
    origins: Sequence[int] = ORIGINS,
    horizon: int = HORIZON,
    device: str = "cpu",
    pool=None,
    known: Mapping[tuple, tuple[float, float]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Selection:
    """The staged rule: screen every candidate on ``screen_seeds``, fit the ``finalists`` best (by
    :func:`rank_key`) on the other ``seeds`` too, choose by :func:`rank_key` over all ``seeds``."""
    kw = dict(origins=origins, horizon=horizon, device=device, pool=pool, known=known)
    screen = validate(candidates, series, seeds=screen_seeds, **kw)
    rows = [_row(c, f, "screen") for c, f in zip(candidates, screen, strict=True)]
    if progress is not None:
        for r in rows:
            progress(f"screen: {r['setting']}: {r['failures']} of {r['n']} fail, median {r['median']:.3f}")
    order = sorted(range(len(candidates)), key=lambda i: rank_key(_scores(rows[i])))
    final = order[: max(1, finalists)]
    rest = [s for s in seeds if s not in screen_seeds]
    more = validate([candidates[i] for i in final], series, seeds=rest, **kw) if rest else [{}] * len(final)
    for i, extra in zip(final, more, strict=True):
        found = {"nmse": {**screen[i]["nmse"], **extra.get("nmse", {})}}
        found["seconds"] = screen[i]["seconds"] + extra.get("seconds", 0.0)
        rows[i] = _row(candidates[i], found, "final")
        if progress is not None:
            r = rows[i]
            progress(f"final: {r['setting']}: {r['failures']} of {r['n']} fail, median {r['median']:.3f}")
    best = min(final, key=lambda i: rank_key(_scores(rows[i])))
    return Selection(rows, candidates[best])


def _scores(row: dict) -> list[float]:
    return [v for per in row["nmse"].values() for v in per.values()]


def save(selections: Mapping[str, Selection], path: Path | None = None, **about) -> None:
    """Write the selections (and ``about``: seeds, times) as JSON for the page and the tests."""
    payload = {
        "protocol": RULE,
        "rule": RULE,
        "origins": list(ORIGINS),
        "horizon": HORIZON,
        **about,
        "models": {
            kind: {"chosen": dataclasses.asdict(sel.best), "val_nmse": sel.val_nmse, "rows": sel.rows}
            for kind, sel in selections.items()
        },
    }
    Path(path or RESULT).write_text(json.dumps(payload, indent=1, default=float) + "\n")


def load(path: Path | None = None) -> dict | None:
    """The saved selection (None when the script has not been run)."""
    try:
        return json.loads(Path(path or RESULT).read_text())
    except (OSError, ValueError):
        return None


def chosen(kind: str, path: Path | None = None) -> TSConfig | None:
    """The chosen config of ``kind`` ("mlp" or "lstm") in the saved selection, or None."""
    data = load(path)
    if not data or kind not in data.get("models", {}):
        return None
    return TSConfig(**data["models"][kind]["chosen"])
