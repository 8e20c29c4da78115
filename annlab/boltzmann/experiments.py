"""What the RBM inpainting page computes: inpainted test digits, dreamed digits, filters, the sweeps.

Plain functions returning dataclasses, testable without Streamlit. Trained models come in as the
:class:`~annlab.training.TrainResult` of :func:`annlab.boltzmann.defaults.rbm_spec` or ``dbm_spec``
(the page's cached calls hash them by their store key).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from annlab.boltzmann import defaults, rbm
from annlab.boltzmann import inpaint as ip
from annlab.training import Callback, TrainResult

ERROR_HELP = (
    "Mean squared error between the reconstructed probability and the true pixel, over the missing pixels "
    "of the scored test digits (0 = perfect; 0.25 = a coin flip); the delta is the mean-image fill's."
)
GRID_CAPTION = "Top to bottom: the digits, erased (gray), filled in, error (white = wrong)"
LOOK_FOR = (
    "A restricted Boltzmann machine (RBM) learns which pixels of a digit go together. The headline is the "
    "**label accuracy**: does a classifier trained on clean digits still read the right digit once the gap "
    "is filled? The four numbers under the figure are scored on hundreds of test digits at your settings "
    "(the figure shows a few of them), beside the same classifier on the gap filled with the mean training "
    "image, on the gap left gray and on clean digits. The **squared error** on the missing pixels can "
    "disagree with the label accuracy: a grey, hedged guess is never far off, while a sharp stroke in the "
    "wrong place costs the full error, so a lower error does not mean a more readable digit. The sweeps "
    "tab runs the same comparison against the Gibbs steps, the band's height and its place. Look for: "
    "strokes coming back after a few dozen steps, wider gaps failing, which band of a digit is hardest, "
    "filters like pieces of strokes, and dreams from noise that sharpen with more steps."
)
MEAN_FILL_HELP = (
    "The baseline: fill the gap with the mean training image (a blurry average digit) and ask the same "
    "classifier."
)
SQUARED_ERROR_NOTE = (
    "Why squared error flatters a grey fill: a pixel guessed at 0.5 costs 0.25 whether it is ink or not, a "
    "confident wrong stroke costs 1. Averaging over the last half of the steps and over several chains "
    "hedges the same way; "
    "the label accuracy asks instead whether the digit is still the right digit."
)
JUDGE_NOTE = (
    "Digit judge: the Latent page's random forest trained on real digits; a sample counts as recognised "
    "when it gives one digit at least half of its votes. Real digits are the reference."
)
CURVES_NOTE = (
    "Pseudo-likelihood: scikit-learn's estimator (flip one random pixel per digit), per pixel; higher is "
    "better. Reconstruction error: digit to hidden probabilities and back. Free-energy gap: mean free energy "
    "of held-out digits minus that of as many training digits; when it grows, the RBM is learning its "
    "training digits rather than digits (Hinton's overfitting monitor)."
)
LIKELIHOOD_INTRO = (
    "**Why the scripts report the pseudo-likelihood.** The likelihood of a digit is P(v) = exp(-F(v)) / Z, "
    "and the partition function Z sums over every joint state: 2^784 digits or, summing them out, 2^H "
    "hidden states, far too many for H = 200. So nothing can compute the true likelihood of a realistic "
    "RBM. The pseudo-likelihood needs no Z: it asks how well the RBM predicts one pixel from all the others. "
    "It is only a **monitor**; what trains the RBM is contrastive divergence (CD-k) or persistent CD (PCD), "
    "which estimate the gradient of the likelihood with short Gibbs chains. With a handful of hidden units, "
    "2^H is small and Z is an exact sum, so here both are drawn side by side, for CD-k and PCD-k trained "
    "from the same initial weights."
)
LIKELIHOOD_NOTE = (
    "Both RBMs start from the same seeded weights and see the same mini-batches; only the negative phase "
    "differs (CD restarts its chains at the data, PCD keeps them running). All curves are on held-out "
    "test digits; the gap compares them with as many training digits."
)
CLASSIFIER_HELP = (
    "How often a logistic regression trained on clean training digits gives the scored test digits their "
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
    acc_mean_fill, error_mean_fill : the same two scores for the baseline that fills the gap with the
        mean training image
    """

    grid: np.ndarray
    names: list[str]
    error: float
    acc_erased: float
    acc_inpainted: float
    drawing_label: int | None
    acc_mean_fill: float = float("nan")
    error_mean_fill: float = float("nan")

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


@dataclass
class InpaintChain:
    """One clamped Gibbs chain per shown digit, kept at every slider position (see :func:`inpaint_chain`).

    ``X`` (n, V) and ``y`` (n,) the digits (label -1 for the drawing), ``missing`` (V,) the mask,
    ``fills`` {steps: (n, V)} the reconstruction after that many steps, ``mean_fill`` (n, V) the
    mean-image baseline."""

    X: np.ndarray
    y: np.ndarray
    names: list[str]
    missing: np.ndarray
    fills: dict[int, np.ndarray]
    mean_fill: np.ndarray
    dataset: str
    seed: int
    drawn: bool
    n_chains: int = 1


def inpaint_chain(
    result: TrainResult,
    dataset: str,
    seed: int,
    missing: np.ndarray,
    positions,
    first: int = 0,
    drawn: np.ndarray | None = None,
    n_shown: int = defaults.N_SHOWN,
    n_chains: int = defaults.N_CHAINS,
) -> InpaintChain:
    """Erase ``missing`` from test digits ``first`` ... ``first + n_shown - 1`` (and the drawing) and run
    the RBM's clamped chain once to the largest of ``positions`` (Gibbs steps), keeping every position.

    Parameters
    ----------
    result : the trained RBM (``result.model``)
    dataset, seed : the digits (:func:`annlab.boltzmann.rbm.binary_digits`) and the seed of the split,
        the chains and the classifier
    missing : (V,) bool mask from :func:`erase_mask`
    drawn : optional (side, side) drawing in [0, 1], binarised at 0.5 and shown first
    n_chains : clamped chains per digit, run as one batch; the fill is their mean (see
        :func:`annlab.boltzmann.inpaint.inpaint`)
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
    fills = ip.inpaint_snapshots(result.model, X, missing, positions, seed=seed, n_chains=n_chains)
    base = ip.mean_fill(X, missing, split.X_train.mean(0))
    return InpaintChain(
        X, y, names, np.asarray(missing), fills, base, dataset, seed, drawn is not None, int(n_chains)
    )


def inpaint_at(chain: InpaintChain, steps: int) -> InpaintView:
    """The view of ``chain`` after ``steps`` Gibbs steps (a position the chain kept): no sampling."""
    if int(steps) not in chain.fills:
        raise ValueError(f"The chain kept {sorted(chain.fills)} Gibbs steps, not {steps}.")
    X, y, missing, R = chain.X, chain.y, chain.missing, chain.fills[int(steps)]
    masked = np.where(missing, 0.5, X)
    tested = y >= 0
    clf = ip.digit_classifier(chain.dataset, chain.seed)
    return InpaintView(
        grid=np.concatenate([X, masked, R, np.abs(R - X) * missing]).astype(np.float32),
        names=chain.names,
        error=float(ip.missing_error(R, X, missing)[tested].mean()),
        acc_erased=float((clf.predict(masked[tested]) == y[tested]).mean()),
        acc_inpainted=float((clf.predict(R[tested]) == y[tested]).mean()),
        drawing_label=int(clf.predict(R[:1])[0]) if chain.drawn else None,
        acc_mean_fill=float((clf.predict(chain.mean_fill[tested]) == y[tested]).mean()),
        error_mean_fill=float(ip.missing_error(chain.mean_fill, X, missing)[tested].mean()),
    )


@dataclass
class InpaintScores:
    """The Inpainting tab's four metrics over the first ``n`` test digits (not only the ones on screen),
    with the same mask, chains and seed as the figure, at every Gibbs-step position a chain kept.

    ``acc_inpainted`` and ``error`` {steps: value}: label accuracy and squared error on the gap after
    that many steps; the baselines do not depend on the steps: ``acc_erased`` (gap left gray),
    ``acc_mean_fill`` and ``error_mean_fill`` (gap filled with the mean training image), ``acc_clean``
    (nothing erased)."""

    n: int
    acc_inpainted: dict[int, float]
    error: dict[int, float]
    acc_erased: float
    acc_mean_fill: float
    error_mean_fill: float
    acc_clean: float

    def interval(self, acc: float) -> str:
        """ "" when ``n`` >= 200, else the 95 % Wilson interval of an accuracy, " (95 % CI 61-80 %)"."""
        if self.n >= 200:
            return ""
        lo, hi = wilson(acc, self.n)
        return f" (95 % CI {lo:.0%}-{hi:.0%})"

    def summary(self, steps: int) -> str:
        """The scores at ``steps`` in one sentence, every number beside its baseline."""
        s = int(steps)
        acc = self.acc_inpainted[s]
        return (
            f"**Scored on the first {self.n} test digits** (the digits above are {defaults.N_SHOWN} examples "
            f"of them), same gap, steps and chains: the classifier reads {acc:.1%}{self.interval(acc)} of "
            f"the RBM's fills right, against {self.acc_mean_fill:.1%} after the mean-image fill, "
            f"{self.acc_erased:.1%} with the gap left gray and {self.acc_clean:.1%} on the clean digits. "
            f"Squared error on the gap: {self.error[s]:.3f} (mean-image fill {self.error_mean_fill:.3f})."
        )


def wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``p`` observed on ``n`` items (95 % for z = 1.96)."""
    if n <= 0:
        return float("nan"), float("nan")
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def inpaint_scores(
    result: TrainResult,
    dataset: str,
    seed: int,
    missing: np.ndarray,
    positions,
    n_test: int,
    n_chains: int = defaults.N_CHAINS,
    batch: int = 100,
    callback: Callback | None = None,
) -> InpaintScores:
    """Inpaint the first ``n_test`` test digits as :func:`inpaint_chain` does (one clamped run per batch
    of ``batch`` digits, kept at every step count of ``positions``) and score them: see
    :class:`InpaintScores`. ``callback(i, info)`` gets ``info["fraction"]`` after each batch."""
    split, _ = rbm.binary_digits(dataset, seed)
    n = min(int(n_test), len(split.X_test))
    X, y = split.X_test[:n], split.y_test[:n]
    clf = ip.digit_classifier(dataset, seed)
    right = {int(s): 0 for s in positions}
    sq = {int(s): 0.0 for s in positions}
    for i, start in enumerate(range(0, n, batch)):
        Xb, yb = X[start : start + batch], y[start : start + batch]
        fills = ip.inpaint_snapshots(result.model, Xb, missing, positions, seed=seed + i, n_chains=n_chains)
        for s, R in fills.items():
            right[s] += int((clf.predict(R) == yb).sum())
            sq[s] += float(ip.missing_error(R, Xb, missing).sum())
        if callback:
            callback(start + len(Xb), {"fraction": (start + len(Xb)) / n})
    base = ip.mean_fill(X, missing, split.X_train.mean(0))
    return InpaintScores(
        n=n,
        acc_inpainted={s: v / n for s, v in right.items()},
        error={s: v / n for s, v in sq.items()},
        acc_erased=float((clf.predict(np.where(missing, 0.5, X)) == y).mean()),
        acc_mean_fill=float((clf.predict(base) == y).mean()),
        error_mean_fill=float(ip.missing_error(base, X, missing).mean()),
        acc_clean=float((clf.predict(X) == y).mean()),
    )


def inpaint_view(
    result: TrainResult,
    dataset: str,
    seed: int,
    missing: np.ndarray,
    steps: int,
    first: int = 0,
    drawn: np.ndarray | None = None,
    n_shown: int = defaults.N_SHOWN,
    n_chains: int = defaults.N_CHAINS,
) -> InpaintView:
    """:func:`inpaint_at` of a chain run to exactly ``steps`` (see :func:`inpaint_chain`)."""
    chain = inpaint_chain(result, dataset, seed, missing, [int(steps)], first, drawn, n_shown, n_chains)
    return inpaint_at(chain, steps)


@dataclass
class Dream:
    """Digits dreamed from random pixels: ``p`` (n, V) P(pixel on | hidden) after the last step, and
    ``trace`` (10, V), the first chain every tenth of the way; ``recognised`` the share of ``p`` the
    Latent page's digit judge (a random forest) labels with confidence, ``real_recognised`` its share on
    real test digits (the reference)."""

    p: np.ndarray
    trace: np.ndarray
    steps: int
    recognised: float = float("nan")
    real_recognised: float = float("nan")


@dataclass
class DreamChain:
    """Chains from random pixels kept at every slider position: ``p`` {steps: (n, V)}, ``trace``
    {steps: (T, V)}, and the judge's verdict per position."""

    p: dict[int, np.ndarray]
    trace: dict[int, np.ndarray]
    recognised: dict[int, float]
    real_recognised: float


def dream_chain(result: TrainResult, positions, seed: int = 0, n: int = defaults.N_DREAMS) -> DreamChain:
    """``n`` Gibbs chains of the RBM or DBM in ``result`` from seeded random pixels, run once to the
    largest of ``positions`` and kept at each (equal to separate runs: :func:`annlab.boltzmann.rbm.
    sample_snapshots`), each position judged by the Latent page's digit classifier."""
    from annlab.judge import digit_classifier, judge  # the house's digit judge (annlab/judge.py)

    out = rbm.sample_snapshots(result.model, n, positions, seed=seed)
    dataset = result.config.dataset
    real = digit_classifier(dataset, seed)[2]
    verdicts = {s: judge(p, dataset, seed=seed)["recognised"] for s, p in out["p"].items()}
    return DreamChain(out["p"], out["trace"], verdicts, real)


def dream_at(chain: DreamChain, steps: int) -> Dream:
    """The dreams of ``chain`` after ``steps`` Gibbs steps (a kept position): no sampling."""
    s = int(steps)
    if s not in chain.p:
        raise ValueError(f"The chain kept {sorted(chain.p)} Gibbs steps, not {steps}.")
    return Dream(chain.p[s], chain.trace[s], s, chain.recognised[s], chain.real_recognised)


def dream(result: TrainResult, steps: int, seed: int = 0, n: int = defaults.N_DREAMS) -> Dream:
    """``n`` Gibbs chains of the RBM or DBM in ``result`` from seeded random pixels, ``steps`` steps."""
    return dream_at(dream_chain(result, [int(steps)], seed, n), steps)


def reconstructions(result: TrainResult, dataset: str, seed: int, n: int = defaults.N_RECON) -> np.ndarray:
    """Plain v -> h -> v: the first ``n`` test digits (top row) and P(v | P(h | v)) (bottom), (2 n, V)."""
    split, _ = rbm.binary_digits(dataset, seed)
    v = torch.tensor(np.asarray(split.X_test[:n], np.float32), device=result.model.W.device)
    with torch.no_grad():
        back = result.model.p_v(result.model.p_h(v))
    return np.concatenate([v.cpu().numpy(), back.cpu().numpy()])


def likelihood_frame(results: dict[str, TrainResult]) -> pd.DataFrame:
    """Per-epoch curves of the small RBMs in long format: columns epoch, method, curve, value
    (curves: exact and pseudo log-likelihood of a held-out digit in nats per digit, free-energy gap),
    for the Likelihood tab."""
    names = {
        "exact_ll": "exact log-likelihood",
        "pseudo_ll": "pseudo-likelihood",
        "free_energy_gap": "free-energy gap",
    }
    rows = [
        {"epoch": h["epoch"], "method": method, "curve": label, "value": h[key]}
        for method, res in results.items()
        for h in res.history
        for key, label in names.items()
        if key in h
    ]
    return pd.DataFrame(rows, columns=["epoch", "method", "curve", "value"])


def independent_pixels(dataset: str, seed: int) -> float:
    """The likelihood baseline of the Likelihood tab: one independent Bernoulli per pixel fitted on the
    training digits, its mean log-likelihood of the held-out test digits (the small RBMs' curves are on
    them too), in nats per digit."""
    split, _ = rbm.binary_digits(dataset, seed)
    return rbm.independent_pixel_ll(split.X_train, split.X_test)


def likelihood_caption(frame: pd.DataFrame, baseline: float) -> str:
    """The small RBMs' last exact log-likelihood against the independent-pixel baseline, in words."""
    exact = frame[frame["curve"] == "exact log-likelihood"]
    if exact.empty:
        return ""
    last = exact[exact["epoch"] == exact["epoch"].max()]
    words = "; ".join(
        f"{r.method.split(' ')[0]} {r.value:.1f} ({'above' if r.value > baseline else 'below'} it)"
        for r in last.itertuples()
    )
    return (
        f"Units: natural-log likelihood of one held-out digit (the sum over its pixels), in nats per digit. "
        f"The grey line is the baseline, a model with one independent Bernoulli per pixel fitted on the "
        f"training digits: {baseline:.1f} nats per digit. After the last epoch the exact log-likelihood is: "
        f"{words}. The pseudo-likelihood is an estimate of a different quantity (one pixel given all others, "
        f"times the number of pixels), so it is not comparable with the baseline."
    )


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
    n_chains: int = defaults.N_CHAINS,
) -> Sweeps:
    """Inpaint ``plan.n_test`` test digits with the RBM (the DBM too, if given) and the mean training
    image, against the Gibbs steps, the number of erased rows and where the band lies.

    ``steps`` is the number of Gibbs steps of the row and location sweeps; ``n_chains`` the chains per
    digit whose mean is a fill; ``callback(i, info)`` gets ``info["fraction"]`` after each sweep.
    """
    split, _ = rbm.binary_digits(dataset, seed)
    side = split.side
    models = {"RBM": rbm_result.model}
    if dbm_result is not None and dbm_result.model.n_visible == side * side:
        models["DBM"] = dbm_result.model
    Xs, ys = split.X_test[: plan.n_test], split.y_test[: plan.n_test]
    clf = ip.digit_classifier(dataset, seed)
    kw = dict(seed=seed, clf=clf, pixel_mean=split.X_train.mean(0), n_chains=int(n_chains))
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
