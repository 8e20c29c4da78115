"""Scores, baselines, cross-validation, the lag x hidden grid and the seed study for the time-series page.

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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from annlab.store import get_or_train
from annlab.timeseries.data import SeriesSplit, santafe_split, time_series_folds, windows
from annlab.timeseries.models import TSConfig, build, forecast_iterated, forecast_one_step, train_ts
from annlab.training import TrainResult

DATA_KEY = "santafe-1000-100-zscore"
GRID_LAGS = (1, 5, 10, 15, 20, 30)
GRID_HIDDEN = (5, 10, 25, 50)
SEEDS = (0, 1, 2, 3, 4)

# Default configurations, chosen by experiment on seeds 0-4 (closed-loop NMSE on points 1,001-1,100,
# as the issue asks; so that score is optimistic for these exact settings). MLP, L-BFGS, weight decay
# 1e-4: lag 40 / 50 hidden 0.037 mean; lag 30 / 50 hidden 0.068; lag 30 / 30 hidden without decay 0.25.
DEFAULT_MLP = TSConfig(model="mlp", lag=40, hidden=50, num_epochs=100, lr=1.0, optimizer="lbfgs",
                       weight_decay=1e-4)
# LSTM: full-batch Adam (400 epochs, ~60 s) reached 0.97 (lag 30) / 1.23 (lag 40); mini-batches of 64
# are far cheaper per update: 200 epochs reach 0.95 mean (seeds spread 0.06-1.6) in ~9 s. It does not
# reliably beat the mean, like the course's LSTM (NMSE about 0.95).
DEFAULT_LSTM = TSConfig(model="lstm", lag=40, hidden=20, num_epochs=200, lr=0.005, batch_size=64)
DEFAULTS = {"mlp": DEFAULT_MLP, "lstm": DEFAULT_LSTM}


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
    return {"training mean": np.full(n, split.mean),
            "last value": np.full(n, float(split.train_raw[-1]))}


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
        rows.append({"forecast": f"baseline: {name}", "iterated_mse": mse(truth, closed),
                     "iterated_nmse": nmse(truth, closed), "one_step_mse": mse(truth, one),
                     "one_step_nmse": nmse(truth, one)})
    return rows


def verdict(name: str, value: float, baseline_nmse: dict[str, float]) -> str | None:
    """A sentence when a closed-loop NMSE does not beat a baseline, else None.

    baseline_nmse : NMSE of ``"training mean"`` and ``"last value"`` (see :func:`baselines`)
    """
    mean_score = baseline_nmse["training mean"]
    if not np.isfinite(value) or value >= mean_score:
        return (f"The {name} does **not** beat predicting the training mean in closed loop (NMSE {value:.2f} "
                f"vs {mean_score:.2f}): its forecast is no better than a flat line.")
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
    scores = {"iterated_mse": mse(truth, it), "iterated_nmse": nmse(truth, it),
              "one_step_mse": mse(truth, one), "one_step_nmse": nmse(truth, one)}
    return Forecast(it, one, scores)


def train_stored(cfg: TSConfig, split: SeriesSplit | None = None, *, device: str = "cpu", seed: int = 0,
                 callback=None) -> TrainResult:
    """Train ``cfg`` on the Santa Fe training part through the model store (instant the second time)."""
    from annlab.store import Lazy

    data = split.train if split is not None else Lazy(lambda: santafe_split().train)
    return get_or_train(cfg, train_ts, build, data, data_key=DATA_KEY, device=device, seed=seed,
                        callback=callback)


def in_store(cfg: TSConfig, seed: int) -> bool:
    """True when the model store already holds ``cfg`` trained with ``seed`` on the Santa Fe split."""
    from annlab.settings import cache_dir
    from annlab.store import model_key

    return (cache_dir() / f"{model_key(cfg, seed=seed, data_key=DATA_KEY)}.pt").exists()


def cross_validate(cfg: TSConfig, series: np.ndarray, *, n_folds: int = 3, val_size: int = 100,
                   gap: int | None = None, device: str = "cpu", seed: int = 0,
                   std: float = 1.0) -> list[float]:
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
        out.append(mse(y[val_idx], y_hat) * std ** 2)
    return out


def grid_search(base: TSConfig, split: SeriesSplit, *, lags: Sequence[int] = GRID_LAGS,
                hidden: Sequence[int] = GRID_HIDDEN, n_folds: int = 3, val_size: int = 100,
                device: str = "cpu", seed: int = 0,
                progress: Callable[[int, int, str], None] | None = None) -> list[dict]:
    """Cross-validated MSE for every (lag, hidden) pair, the other settings taken from ``base``.

    Returns
    -------
    list of dict with ``lag``, ``hidden``, ``cv_mse`` (mean over folds), ``cv_std``, ``seconds``;
    ``cv_mse`` is NaN and ``error`` says why when the folds do not fit that lag.
    """
    rows, total, done = [], len(lags) * len(hidden), 0
    for lag in lags:
        for h in hidden:
            cfg = dataclasses.replace(base, lag=int(lag), hidden=int(h))
            start = time.perf_counter()
            row = {"lag": int(lag), "hidden": int(h)}
            try:
                scores = cross_validate(cfg, split.train, n_folds=n_folds, val_size=val_size,
                                        device=device, seed=seed, std=split.std)
                row.update(cv_mse=float(np.mean(scores)), cv_std=float(np.std(scores)), error="")
            except ValueError as exc:
                row.update(cv_mse=float("nan"), cv_std=float("nan"), error=str(exc))
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
            done += 1
            if progress is not None:
                progress(done, total, f"lag {lag}, {h} hidden")
    return rows


def seed_study(cfg: TSConfig, split: SeriesSplit | None = None, *, seeds: Sequence[int] = SEEDS,
               device: str = "cpu", callback: Callable[[int, int], None] | None = None) -> list[dict]:
    """Train ``cfg`` once per seed (through the model store) and score each on the continuation.

    Returns
    -------
    list of dict: ``seed``, ``iterated_mse``, ``iterated_nmse``, ``one_step_mse``, ``one_step_nmse``,
    ``train_s`` (seconds the training took when it ran, NaN when it came from the store)
    """
    split = split or santafe_split()
    rows = []
    for i, seed in enumerate(seeds):
        result = train_stored(cfg, split, device=device, seed=seed)
        row = {"seed": int(seed), **evaluate(result.model, cfg, split).scores,
               "train_s": float(result.extra.get("train_s", float("nan")))}
        rows.append(row)
        if callback is not None:
            callback(i + 1, len(seeds))
    return rows


def summary(rows: list[dict], key: str = "iterated_nmse") -> tuple[float, float]:
    """Mean and standard deviation of ``key`` over the rows of :func:`seed_study`."""
    vals = np.array([r[key] for r in rows], np.float64)
    return float(vals.mean()), float(vals.std())


def warm_configs(epochs: int | None = None) -> list[TSConfig]:
    """The page's default models (MLP and LSTM), optionally with fewer epochs for a smoke run."""
    out = []
    for cfg in DEFAULTS.values():
        if epochs is not None:
            rollout_epochs = None if cfg.rollout_epochs is None else min(cfg.rollout_epochs, epochs)
            cfg = dataclasses.replace(cfg, num_epochs=int(epochs), rollout_epochs=rollout_epochs)
        out.append(cfg)
    return out
