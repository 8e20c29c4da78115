"""Inpainting with a Boltzmann machine: clamp the known pixels, Gibbs-sample only the missing ones.

Works with any model that has ``gibbs(v, steps, gen, known=, mean_last=)`` (``annlab.boltzmann.rbm.RBM``,
``annlab.boltzmann.dbm.DBM``). Masks are boolean vectors over the pixels, True where a pixel is missing.
The sweeps measure the error on the missing pixels (mean squared error of the reconstructed
probability against the true binary pixel) and whether a logistic-regression digit classifier
trained on clean digits still gives the inpainted digit its true label.

References: Hinton (2010), "A practical guide to training restricted Boltzmann machines";
Salakhutdinov & Hinton (2009), "Deep Boltzmann machines" (conditional sampling of missing pixels).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import torch

from annlab.boltzmann.rbm import bernoulli, gibbs_snapshots
from annlab.data import binarize, digit_split
from annlab.training import generator

REGIONS = ("top", "middle", "bottom", "left", "right", "random")


def row_mask(side: int, start: int, end: int) -> np.ndarray:
    """Mask of rows ``start`` to ``end`` (inclusive, 0-based) of a ``side`` x ``side`` image.

    Returns
    -------
    ndarray of shape (side * side,), bool, True where the pixel is missing
    """
    if not (0 <= start < side and 0 <= end < side):
        raise ValueError(f"Rows must lie between 0 and {side - 1}, got {start} and {end}.")
    if end < start:
        raise ValueError(f"The end row ({end}) must not come before the start row ({start}).")
    m = np.zeros((side, side), bool)
    m[start : end + 1] = True
    return m.ravel()


def centred_rows(side: int, n_rows: int) -> tuple[int, int]:
    """Start and end row of a band of ``n_rows`` rows in the middle of the image."""
    n_rows = int(np.clip(n_rows, 1, side))
    start = (side - n_rows) // 2
    return start, start + n_rows - 1


def region_mask(side: int, region: str, *, fraction: float = 0.5, seed: int = 0) -> np.ndarray:
    """Mask of a preset region: a third of the rows ("top", "middle", "bottom"), half of the columns
    ("left", "right") or a ``fraction`` of the pixels at random ("random", seeded).

    Returns
    -------
    ndarray of shape (side * side,), bool, True where the pixel is missing
    """
    if region not in REGIONS:
        raise ValueError(f"region must be one of {REGIONS}, got {region!r}.")
    m = np.zeros((side, side), bool)
    third = side // 3
    if region == "top":
        m[:third] = True
    elif region == "middle":
        m[third : side - third] = True
    elif region == "bottom":
        m[side - third :] = True
    elif region == "left":
        m[:, : side // 2] = True
    elif region == "right":
        m[:, side // 2 :] = True
    else:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"fraction must be between 0 and 1, got {fraction}.")
        rng = np.random.default_rng(seed)
        m.ravel()[rng.permutation(side * side)[: max(1, round(fraction * side * side))]] = True
    return m.ravel()


def _clamped_start(model, X: np.ndarray, missing: np.ndarray, seed: int, n_chains: int):
    """The chains' start: ``n_chains`` copies of each digit (adjacent rows), missing pixels at random.

    Returns the generator, v (n * n_chains, V) and the missing mask (n * n_chains, V) as tensors."""
    if int(n_chains) < 1:
        raise ValueError(f"n_chains must be at least 1, got {n_chains}.")
    device = next(model.parameters()).device
    g = generator(seed, str(device))
    reps = int(n_chains)
    v = torch.tensor(np.repeat(X, reps, 0) if reps > 1 else X, device=device)
    miss = np.repeat(missing, reps, 0) if reps > 1 else missing
    miss = torch.as_tensor(np.ascontiguousarray(miss), device=device)
    v[miss] = bernoulli(torch.full_like(v, 0.5), g)[miss]
    return g, v, miss


def _chain_mean(p: torch.Tensor | np.ndarray, n_chains: int) -> np.ndarray:
    """(n * n_chains, V) -> (n, V): the mean over each digit's chains, float32 numpy."""
    p = p.cpu().numpy() if isinstance(p, torch.Tensor) else np.asarray(p)
    if n_chains > 1:
        p = p.reshape(-1, int(n_chains), p.shape[1]).mean(1)
    return p.astype(np.float32)


@torch.no_grad()
def inpaint(
    model,
    X: np.ndarray,
    missing: np.ndarray,
    steps: int,
    *,
    seed: int = 0,
    mean_last: int | None = None,
    n_chains: int = 1,
) -> np.ndarray:
    """Fill the missing pixels of binary digits by Gibbs sampling with the known pixels clamped.

    Parameters
    ----------
    model : RBM or DBM (anything with ``gibbs(v, steps, gen, known=, mean_last=)``)
    X : ndarray of shape (n, V), 0/1 digits (the missing pixels' values are not used)
    missing : ndarray of shape (V,) or (n, V), bool, True where the pixel is missing
    steps : Gibbs steps (0 returns the missing pixels at 0.5)
    seed : seeds the random start of the missing pixels and every Gibbs draw
    mean_last : the reconstruction is P(v | h) averaged over the last ``mean_last`` steps (default: the
        last half of the steps; the average estimates the posterior mean, which minimises squared error)
    n_chains : independent chains per digit (random starts), run side by side as one batch; the fill is
        their mean, a better estimate of the posterior mean than one chain's (1: one chain)

    Returns
    -------
    ndarray of shape (n, V), float32: the known pixels exactly as in X, the missing pixels in [0, 1]
    """
    X = np.asarray(X, np.float32)
    missing = np.broadcast_to(np.asarray(missing, bool), X.shape)
    if steps <= 0:
        return np.where(missing, 0.5, X).astype(np.float32)
    g, v, miss = _clamped_start(model, X, missing, seed, n_chains)
    mean_last = max(1, int(steps) // 2) if mean_last is None else int(mean_last)
    out = model.gibbs(v, int(steps), g, known=~miss, mean_last=mean_last)
    return _chain_mean(out["p"], n_chains)


@torch.no_grad()
def inpaint_snapshots(
    model, X: np.ndarray, missing: np.ndarray, positions, *, seed: int = 0, n_chains: int = 1
) -> dict:
    """:func:`inpaint` at every step count of ``positions`` from one clamped run (``n_chains`` chains per
    digit in one batch), run once to the largest.

    Returns
    -------
    dict step count -> ndarray (n, V) float32, equal to ``inpaint(model, X, missing, s, seed=seed,
    n_chains=n_chains)`` (0 steps: the missing pixels at 0.5)
    """
    X = np.asarray(X, np.float32)
    missing = np.broadcast_to(np.asarray(missing, bool), X.shape)
    out = {int(s): np.where(missing, 0.5, X).astype(np.float32) for s in positions if int(s) <= 0}
    steps = [int(s) for s in positions if int(s) > 0]
    if not steps:
        return out
    g, v, miss = _clamped_start(model, X, missing, seed, n_chains)
    kept = gibbs_snapshots(model, v, steps, g, known=~miss, half_mean=True)["p"]
    return out | {s: _chain_mean(p, n_chains) for s, p in kept.items()}


def missing_error(recon: np.ndarray, X: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Mean squared error on the missing pixels, per digit: shape (n,)."""
    missing = np.broadcast_to(np.asarray(missing, bool), X.shape)
    sq = np.where(missing, (np.asarray(recon) - np.asarray(X)) ** 2, 0.0)
    return sq.sum(1) / np.maximum(missing.sum(1), 1)


def mean_fill(X: np.ndarray, missing: np.ndarray, pixel_mean: np.ndarray) -> np.ndarray:
    """Baseline: fill the missing pixels with the mean training image, shape (n, V)."""
    missing = np.broadcast_to(np.asarray(missing, bool), X.shape)
    return np.where(missing, pixel_mean[None, :], X).astype(np.float32)


@functools.lru_cache(maxsize=4)
def digit_classifier(dataset: str = "mnist", seed: int = 0):
    """Logistic regression on the pixels of the clean, binarised training digits (cached per process).

    Returns
    -------
    fitted ``sklearn.linear_model.LogisticRegression``; ``predict`` takes (n, V) in [0, 1]
    """
    from sklearn.linear_model import LogisticRegression

    split = digit_split(dataset, seed=seed)
    clf = LogisticRegression(C=0.05, max_iter=300)
    return clf.fit(binarize(split.X_train), split.y_train)


def _methods(
    models: dict,
    X: np.ndarray,
    missing: np.ndarray,
    steps: int,
    seed: int,
    mean_last: int,
    pixel_mean: np.ndarray | None,
    n_chains: int = 1,
) -> dict[str, np.ndarray]:
    out = {
        name: inpaint(m, X, missing, steps, seed=seed, mean_last=mean_last, n_chains=n_chains)
        for name, m in models.items()
    }
    if pixel_mean is not None:
        out["mean image fill"] = mean_fill(X, missing, pixel_mean)
    return out


def _rows(x_name, x, recons: dict, X, y, missing, clf) -> list[dict]:
    rows = []
    for name, R in recons.items():
        row = {x_name: x, "method": name, "error": float(missing_error(R, X, missing).mean())}
        if clf is not None and y is not None:
            row["label_acc"] = float((clf.predict(R) == y).mean())
        rows.append(row)
    return rows


def sweep_steps(
    models: dict,
    X: np.ndarray,
    y: np.ndarray | None,
    missing: np.ndarray,
    steps_list,
    *,
    seed: int = 0,
    mean_last: int | None = None,
    clf=None,
    pixel_mean=None,
    n_chains: int = 1,
) -> pd.DataFrame:
    """Error on the missing pixels (and label accuracy if ``clf``) against the number of Gibbs steps.

    Parameters
    ----------
    models : dict name -> RBM/DBM
    X, y : test digits (n, V) 0/1 and their labels (n,) (y may be None)
    missing : (V,) bool mask
    steps_list : Gibbs step counts to try
    n_chains : chains per digit whose mean is the fill (as in :func:`inpaint`)

    Returns
    -------
    DataFrame with columns "gibbs_steps", "method", "error" [, "label_acc"]
    """
    rows = []
    for s in steps_list:
        recons = _methods(models, X, missing, int(s), seed, mean_last, pixel_mean, n_chains)
        rows += _rows("gibbs_steps", int(s), recons, X, y, missing, clf)
    return pd.DataFrame(rows)


def sweep_rows(
    models: dict,
    X,
    y,
    side: int,
    n_rows_list,
    steps: int,
    *,
    seed: int = 0,
    mean_last: int | None = None,
    clf=None,
    pixel_mean=None,
    n_chains: int = 1,
) -> pd.DataFrame:
    """As :func:`sweep_steps`, against the number of removed rows (a band in the middle of the image)."""
    rows = []
    for n_rows in n_rows_list:
        missing = row_mask(side, *centred_rows(side, int(n_rows)))
        rows += _rows(
            "rows_removed",
            int(n_rows),
            _methods(models, X, missing, steps, seed, mean_last, pixel_mean, n_chains),
            X,
            y,
            missing,
            clf,
        )
    return pd.DataFrame(rows)


def sweep_location(
    models: dict,
    X,
    y,
    side: int,
    band: int,
    steps: int,
    *,
    seed: int = 0,
    mean_last: int | None = None,
    clf=None,
    pixel_mean=None,
    n_positions: int = 8,
    n_chains: int = 1,
) -> pd.DataFrame:
    """As :func:`sweep_steps`, against where a band of ``band`` rows is removed (its first row)."""
    band = int(np.clip(band, 1, side))
    starts = np.unique(np.linspace(0, side - band, n_positions).round().astype(int))
    rows = []
    for s in starts:
        missing = row_mask(side, int(s), int(s) + band - 1)
        rows += _rows(
            "band_start_row",
            int(s),
            _methods(models, X, missing, steps, seed, mean_last, pixel_mean, n_chains),
            X,
            y,
            missing,
            clf,
        )
    return pd.DataFrame(rows)
