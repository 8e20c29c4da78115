"""What the RBM inpainting page computes: inpainted test digits, dreamed digits, filters, the sweeps.

Plain functions returning dataclasses, testable without Streamlit. Trained models come in as the
:class:`~annlab.training.TrainResult` of :func:`annlab.boltzmann.defaults.rbm_spec` or ``dbm_spec``
(the page's cached calls hash them by their store key).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from annlab.boltzmann import dbm, defaults, rbm
from annlab.boltzmann import inpaint as ip
from annlab.training import Callback, TrainResult

ERROR_HELP = (
    "Mean squared error between the reconstructed probability and the true pixel, over the missing pixels "
    "of the test digits (0 = perfect; 0.25 = a coin flip)."
)
GRID_CAPTION = "Top to bottom: the digits, erased (gray), filled in, error (white = wrong)"
CLASSIFIER_HELP = (
    "How often a logistic regression trained on clean training digits gives the test digits shown their "
    "true label, erased (missing pixels gray) or filled in by the RBM."
)


@dataclass
class InpaintView:
    """Test digits (and the drawing) before and after inpainting.

    Attributes
    ----------
    grid : ndarray (4 n, V): n originals (binarised), the same erased (missing pixels at 0.5), their
        reconstructions, and the error on the missing pixels (``|R - X|`` there, 0 elsewhere)
    names : the n digits, left to right ("your drawing", "test #3 (7)", ...)
    error : mean squared error on the missing pixels, over the test digits (not the drawing)
    acc_erased, acc_inpainted : how often the clean-digit classifier gives a test digit its label,
        erased and inpainted
    drawing_label : what the classifier reads in the inpainted drawing (None without a drawing)
    """

    grid: np.ndarray
    names: list[str]
    error: float
    acc_erased: float
    acc_inpainted: float
    drawing_label: int | None

    @property
    def n(self) -> int:
        """Digits per row of :attr:`grid`."""
        return len(self.names)


def erase_mask(
    side: int, region: str, *, rows: tuple[int, int] | None = None, fraction: float = 0.5, seed: int = 0
) -> np.ndarray:
    """The pixels to erase, (side * side,) bool: rows ``rows`` (inclusive) for ``region="rows"``, else a
    preset of :data:`annlab.boltzmann.inpaint.REGIONS` (``fraction`` and ``seed`` for "random")."""
    if region == "rows":
        start, end = rows if rows is not None else defaults.erased_rows(side)
        return ip.row_mask(side, int(start), int(end))
    return ip.region_mask(side, region, fraction=fraction, seed=seed)


def inpaint_view(
    result: TrainResult,
    dataset: str,
    seed: int,
    missing: np.ndarray,
    steps: int,
    first: int = 0,
    drawn: np.ndarray | None = None,
    n_shown: int = defaults.N_SHOWN,
) -> InpaintView:
    """Erase ``missing`` from test digits ``first`` ... ``first + n_shown - 1`` (and the drawing) and let
    the RBM fill it in with ``steps`` clamped Gibbs steps (seeded by ``seed``).

    Parameters
    ----------
    result : the trained RBM (``result.model``)
    dataset, seed : the digits (:func:`annlab.boltzmann.rbm.binary_digits`) and the seed of the split,
        the chains and the classifier
    missing : (V,) bool mask from :func:`erase_mask`
    drawn : optional (side, side) drawing in [0, 1], binarised at 0.5 and shown first
    """
    split, _ = rbm.binary_digits(dataset, seed)
    V = split.side**2
    idx = np.arange(int(first), int(first) + n_shown)
    X, y = split.X_test[idx], split.y_test[idx]
    names = [f"test #{i} ({label})" for i, label in zip(idx, y, strict=True)]
    if drawn is not None:
        X = np.vstack([(np.asarray(drawn).reshape(1, V) > 0.5).astype(np.float32), X])
        y = np.concatenate([[-1], y])
        names = ["your drawing", *names]
    R = ip.inpaint(result.model, X, missing, int(steps), seed=seed)
    masked = np.where(missing, 0.5, X)
    tested = y >= 0
    clf = ip.digit_classifier(dataset, seed)
    return InpaintView(
        grid=np.concatenate([X, masked, R, np.abs(R - X) * missing]).astype(np.float32),
        names=names,
        error=float(ip.missing_error(R, X, missing)[tested].mean()),
        acc_erased=float((clf.predict(masked[tested]) == y[tested]).mean()),
        acc_inpainted=float((clf.predict(R[tested]) == y[tested]).mean()),
        drawing_label=int(clf.predict(R[:1])[0]) if drawn is not None else None,
    )


@dataclass
class Dream:
    """Digits dreamed from random pixels: ``p`` (n, V) P(pixel on | hidden) after the last step, and
    ``trace`` (10, V), the first chain every tenth of the way."""

    p: np.ndarray
    trace: np.ndarray
    steps: int


def dream(result: TrainResult, steps: int, seed: int = 0, n: int = defaults.N_DREAMS) -> Dream:
    """``n`` Gibbs chains of the RBM or DBM in ``result`` from seeded random pixels, ``steps`` steps."""
    sampler = dbm.sample if isinstance(result.model, dbm.DBM) else rbm.sample
    out = sampler(result.model, n, int(steps), seed=seed, keep_every=max(1, int(steps) // 10), mean_last=1)
    return Dream(out["p"], out["trace"], int(steps))


def rbm_filters(result: TrainResult, n: int = 100) -> np.ndarray:
    """The weights of the first ``n`` hidden units of an RBM, (n, V)."""
    return result.model.filters()[:n]


def dbm_filters(result: TrainResult, n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """First-layer filters W1 (n, V) and second-layer filters in pixel space W2 W1 (n, V) of a DBM."""
    f1, f2 = result.model.filters()
    return f1[:n], f2[:n]


@dataclass
class Sweeps:
    """The three inpainting sweeps (columns ``method``, ``error``, ``label_acc`` and the swept one) and
    the classifier's accuracy on the clean test digits."""

    steps: pd.DataFrame  # against "gibbs_steps", the middle band erased
    rows: pd.DataFrame  # against "rows_removed" (a band in the middle)
    where: pd.DataFrame  # against "band_start_row" (a band of fixed height)
    clean: float
    n_test: int
    gibbs_steps: int


def sweeps(
    rbm_result: TrainResult,
    dbm_result: TrainResult | None,
    dataset: str,
    seed: int,
    steps: int,
    plan: defaults.SweepPlan,
    callback: Callback | None = None,
) -> Sweeps:
    """Inpaint ``plan.n_test`` test digits with the RBM (the DBM too, if given) and the mean training
    image, against the Gibbs steps, the number of erased rows and where the band lies.

    ``steps`` is the number of Gibbs steps of the row and location sweeps; ``callback(i, info)`` gets
    ``info["fraction"]`` after each sweep.
    """
    split, _ = rbm.binary_digits(dataset, seed)
    side = split.side
    models = {"RBM": rbm_result.model}
    if dbm_result is not None and dbm_result.model.n_visible == side * side:
        models["DBM"] = dbm_result.model
    Xs, ys = split.X_test[: plan.n_test], split.y_test[: plan.n_test]
    clf = ip.digit_classifier(dataset, seed)
    kw = dict(seed=seed, clf=clf, pixel_mean=split.X_train.mean(0))
    band = max(1, side // 5 + 1)
    n_rows_grid = sorted({max(1, round(f * side)) for f in plan.fractions})
    done = []

    def tick(text: str) -> None:
        done.append(text)
        if callback:
            callback(len(done), {"fraction": len(done) / 3, "text": text})

    by_steps = ip.sweep_steps(
        models, Xs, ys, ip.row_mask(side, *ip.centred_rows(side, band)), plan.steps, **kw
    )
    tick("Sweeping the erased rows ...")
    by_rows = ip.sweep_rows(models, Xs, ys, side, n_rows_grid, int(steps), **kw)
    tick("Sweeping where the band lies ...")
    where = ip.sweep_location(models, Xs, ys, side, band, int(steps), n_positions=plan.n_positions, **kw)
    tick("Done")
    return Sweeps(by_steps, by_rows, where, float((clf.predict(Xs) == ys).mean()), plan.n_test, int(steps))
