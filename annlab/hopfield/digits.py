"""Digits as Hopfield memories: prototypes, noise, recall, noise sweeps and the capacity experiment.

The ten stored patterns are class prototypes (the mean image of each digit in the training split),
resized with :func:`annlab.preprocess.downsample` (the same path as a drawing on the canvas) and
binarised to +-1. A recalled state counts as a digit when it agrees with that digit's pattern on at
least :data:`MATCH` of the pixels.

The capacity experiment stores P random +-1 patterns in N = 100 neurons for P = 1..P_max, flips a
fraction of each pattern's bits, runs synchronous updates and counts a pattern as recalled when the
final state equals it exactly. Everything is vectorised over trials and probes, and the weights for all
P come from one pass: Hebb's and the projection rule's weights are running sums of outer products
(the projection onto the first P patterns is ``Q_P Q_P^T`` from one QR decomposition), and Storkey's
rule is incremental by construction.

References: Amit, Gutfreund & Sompolinsky, Phys. Rev. Lett. 55 (1985) (0.138 N); McEliece, Posner,
Rodemich & Venkatesh, IEEE Trans. Inf. Theory 33 (1987) (N / (2 ln N)); Storkey (1997).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from annlab.hopfield.core import HopfieldConfig, run, store, storkey_step

MATCH = 0.95  # share of pixels that must agree for a state to count as a digit
SIDES = (8, 12, 16, 20, 28)
SOURCES = {"mnist": "MNIST-5k (28x28, resized)", "digits8": "scikit-learn 8x8 digits"}
CAPACITY_RULES = ("hebbian", "storkey", "pseudoinverse")
BITS_RIGHT = 0.985  # Amit-Gutfreund-Sompolinsky's 0.138 N: the retrieval state has about 1.5 % wrong bits


@functools.lru_cache(maxsize=16)
def prototypes(source: str = "mnist", side: int = 16, threshold: float = 0.4, seed: int = 0) -> np.ndarray:
    """The ten digit prototypes as +-1 patterns.

    Parameters
    ----------
    source : "mnist" (MNIST-5k, any side in :data:`SIDES`) or "digits8" (side 8 only)
    side : image side after resizing
    threshold : a pixel of the (resized) class-mean image above this is +1
    seed : seed of the train/test split the class means come from

    Returns
    -------
    ndarray of shape (10, side*side), float64, entries +-1 (read-only), row k is digit k
    """
    from annlab.data import digit_split
    from annlab.preprocess import downsample

    if source not in SOURCES:
        raise ValueError(f"Unknown digit source {source!r}; choose one of {', '.join(SOURCES)}.")
    data = digit_split(source, seed=seed)
    if source == "digits8" and side != 8:
        raise ValueError("The scikit-learn digits are 8x8: choose side 8 for them.")
    if source == "mnist" and side not in SIDES:
        raise ValueError(f"Choose a side among {SIDES}.")
    means = np.stack([data.X_train[data.y_train == k].mean(axis=0) for k in range(10)])
    if source == "mnist":
        means = np.stack([downsample(m.reshape(28, 28), side).ravel() for m in means])
    means = means / means.max(axis=1, keepdims=True)
    out = np.where(means > threshold, 1.0, -1.0)
    out.flags.writeable = False
    return out


def binarise(img: np.ndarray, threshold: float = 0.4) -> np.ndarray:
    """A gray image in [0, 1] (any shape) as a flat +-1 pattern (scaled to its own maximum first)."""
    img = np.asarray(img, np.float64).ravel()
    top = img.max(initial=0)
    return np.where(img / top > threshold, 1.0, -1.0) if top > 0 else -np.ones_like(img)


def corrupt(X: np.ndarray, *, gauss: float = 0.0, flip: float = 0.0, rng: np.random.Generator) -> np.ndarray:
    """Noisy copies of patterns ``X`` (S, N): first flip a ``flip`` share of the bits (exactly
    ``round(flip * N)`` per pattern), then add Gaussian noise ``gauss * randn`` as the course does.
    The result is real-valued when ``gauss > 0``; the first update of the network binarises it."""
    if not 0 <= flip <= 1 or gauss < 0:
        raise ValueError("The flip fraction must lie in [0, 1] and the noise level must be >= 0.")
    X = np.array(X, np.float64, copy=True)
    S, n = X.shape
    k = int(round(flip * n))
    if k:
        idx = np.argsort(rng.random((S, n)), axis=1)[:, :k]
        np.put_along_axis(X, idx, -np.take_along_axis(X, idx, axis=1), axis=1)
    if gauss > 0:
        X = X + gauss * rng.standard_normal(X.shape)
    return X


def identify(states: np.ndarray, patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which stored pattern (or its inverse) each state is, if any.

    Returns
    -------
    which : ndarray of shape (S,), int: index of the pattern it matches, -1 for none (spurious)
    inverse : ndarray of shape (S,), bool: it matches the inverse of that pattern
    """
    n = patterns.shape[1]
    overlap = np.sign(states) @ patterns.T / n  # (S, P), in [-1, 1]
    best = np.abs(overlap).argmax(axis=1)
    m = overlap[np.arange(len(states)), best]
    agree = (1 + np.abs(m)) / 2  # share of equal pixels to the pattern or its inverse
    which = np.where(agree >= MATCH, best, -1)
    return which, (m < 0) & (which >= 0)


def outcome(true_digit: int, which: int, inverse: bool) -> str:
    """ "retrieved", "became a k", "inverse of a k" or "spurious state" in words."""
    if which < 0:
        return "spurious state"
    if inverse:
        return f"inverse of a {which}"
    return "retrieved" if which == true_digit else f"became a {which}"


@dataclass(frozen=True)
class Recall:
    """Recall of noisy digits: inputs, finals, and what each became.

    Attributes
    ----------
    noisy, final : ndarray of shape (S, N)
    which : ndarray of shape (S,), matched digit or -1;  inverse : ndarray of shape (S,), bool
    correct : ndarray of shape (S,), bool
    iterations : ndarray of shape (S,), int, iterations until the probe stopped changing (-1: still
        changing after ``max_iter``)
    nearest : ndarray of shape (S,), bool, the baseline without dynamics: the stored pattern nearest to
        the binarised noisy input (Hamming distance) is the right one
    states : ndarray of shape (n_iter + 1, S, N), int8, every iteration's state (0 = the binarised input),
        or None when not kept
    """

    noisy: np.ndarray
    final: np.ndarray
    which: np.ndarray
    inverse: np.ndarray
    correct: np.ndarray
    iterations: np.ndarray
    nearest: np.ndarray
    states: np.ndarray | None = None


def recall(
    W: np.ndarray,
    b: np.ndarray,
    patterns: np.ndarray,
    cfg: HopfieldConfig,
    *,
    gauss: float = 0.0,
    flip: float = 0.0,
    repeats: int = 1,
    seed: int = 0,
    keep_states: bool = False,
) -> Recall:
    """Corrupt each pattern ``repeats`` times, run the network, say what each probe became.

    The probe order is pattern 0..P-1, repeated ``repeats`` times. ``keep_states`` keeps every
    iteration (binarised, int8) so a stepper can show any of them without running the network again.
    """
    rng = np.random.default_rng(seed)
    clean = np.tile(patterns, (repeats, 1))
    noisy = corrupt(clean, gauss=gauss, flip=flip, rng=rng)
    truth = np.tile(np.arange(len(patterns)), repeats)
    return recall_from(W, b, patterns, noisy, truth, cfg, keep_states=keep_states)


def recall_from(
    W: np.ndarray,
    b: np.ndarray,
    patterns: np.ndarray,
    noisy: np.ndarray,
    truth: np.ndarray,
    cfg: HopfieldConfig,
    *,
    keep_states: bool = False,
) -> Recall:
    """Run the network from the probes ``noisy`` (S, N) whose true patterns are ``truth`` (S,), and say
    what each became (one batch: every probe is updated together)."""
    tr = run(W, b, noisy, cfg)  # stops once every probe is fixed
    final = tr.final if cfg.satlins else np.where(tr.final >= 0, 1.0, -1.0)
    which, inverse = identify(final, patterns)
    nearest = nearest_pattern(noisy, patterns) == truth
    states = np.where(tr.states >= 0, 1, -1).astype(np.int8) if keep_states else None
    return Recall(noisy, final, which, inverse, (which == truth) & ~inverse, tr.iterations, nearest, states)


def nearest_pattern(X: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """Index of the stored pattern nearest to each binarised row of ``X`` (S, N) in Hamming distance.

    The baseline without dynamics: a lookup of the closest memory (ties: the lowest index).
    """
    signs = np.where(np.asarray(X) >= 0, 1.0, -1.0)
    hamming = (patterns.shape[1] - signs @ patterns.T) / 2  # (S, P) differing pixels
    return hamming.argmin(axis=1)


def noise_sweep(
    patterns: np.ndarray,
    rules,
    levels,
    *,
    kind: str = "flip",
    dynamics: str = "synchronous",
    max_iter: int = 30,
    repeats: int = 10,
    seed: int = 0,
):
    """Retrieval accuracy against noise for each rule.

    Parameters
    ----------
    patterns : ndarray of shape (P, N), +-1
    rules : iterable of rule names; levels : iterable of noise levels
    kind : "flip" (fraction of flipped bits) or "gauss" (Gaussian noise scale)

    Returns
    -------
    pandas.DataFrame with columns rule, noise, accuracy, spurious (share of probes in no digit),
    nearest (accuracy of the nearest stored pattern, no dynamics), iterations (mean over the probes
    that converged), not_converged (share still changing after ``max_iter``)
    """
    import pandas as pd

    rows = []
    for rule in rules:
        W, b = store(patterns, rule)
        cfg = HopfieldConfig(rule, dynamics, max_iter, seed)
        for lev in levels:
            kw = {"flip": float(lev)} if kind == "flip" else {"gauss": float(lev)}
            r = recall(W, b, patterns, cfg, repeats=repeats, seed=seed, **kw)
            rows.append(
                {
                    "rule": rule,
                    "noise": float(lev),
                    "accuracy": float(r.correct.mean()),
                    "spurious": float((r.which < 0).mean()),
                    "nearest": float(r.nearest.mean()),
                    "iterations": float(r.iterations[r.iterations >= 0].mean())
                    if (r.iterations >= 0).any()
                    else float("nan"),
                    "not_converged": float((r.iterations < 0).mean()),
                }
            )
    return pd.DataFrame(rows)


def retrieve_drawing(W: np.ndarray, b: np.ndarray, x0: np.ndarray, cfg: HopfieldConfig):
    """Run the network on one drawn pattern, keeping every iteration (for stepping through).

    Returns
    -------
    states : ndarray of shape (n_iter + 1, N);  energy : ndarray of shape (n_iter + 1,);
    iterations : int (-1: not converged within ``cfg.max_iter``)
    """
    tr = run(W, b, np.asarray(x0, np.float64)[None], cfg)
    return tr.states[:, 0], tr.energy[:, 0], int(tr.iterations[0])


# ------------------------------------------------------------------------------------------ capacity
def capacity_sweep(
    n: int = 100,
    p_max: int = 50,
    trials: int = 50,
    flips=(0.0, 0.1, 0.2),
    rules=CAPACITY_RULES,
    *,
    max_iter: int = 20,
    seed: int = 0,
    workers: int = 2,
):
    """Recall against load P / N for random patterns, vectorised over trials and probes.

    For each trial one set of ``p_max`` random +-1 patterns is drawn; the network storing the first P
    of them is probed with every one of those P patterns at each flip fraction (seeded). Synchronous
    sign updates, at most ``max_iter`` iterations; recalled = the final state is a fixed point equal to
    the pattern. Each rule on each half of the trials is one job; jobs run in ``workers`` threads.

    Returns
    -------
    pandas.DataFrame with columns rule, flip, P, load (P / N), recall (exact), bits985 (share of probes
    ending with at least 98.5 % of their bits right: the error level behind the 0.138 N limit), overlap
    (mean share of correct bits)
    """
    import pandas as pd

    if not (2 <= n <= 2000 and 1 <= p_max < n and trials >= 1):
        raise ValueError("Need 2 <= N <= 2000, 1 <= P_max < N and at least one trial.")
    rng = np.random.default_rng(seed)
    X = np.where(rng.random((trials, p_max, n)) < 0.5, -1.0, 1.0).astype(np.float32)  # (T, Pmax, N)
    flips = [float(f) for f in flips]
    # Probes: every pattern at every flip level, corrupted once (same corruption for every P and rule).
    probes = np.stack(
        [corrupt(X.reshape(-1, n), flip=f, rng=rng).reshape(trials, p_max, n) for f in flips], axis=2
    ).astype(np.float32)  # (T, Pmax, F, N)
    Q = np.linalg.qr(X.transpose(0, 2, 1).astype(np.float64))[0].astype(np.float32)  # (T, N, Pmax)
    for rule in rules:
        if rule not in CAPACITY_RULES:
            raise ValueError(f"Capacity sweep supports {CAPACITY_RULES}, not {rule!r}.")
    # Jobs: each rule on each half of the trials, so two threads get similar loads.
    halves = [slice(0, (trials + 1) // 2), slice((trials + 1) // 2, trials)] if trials > 1 else [slice(0, 1)]
    jobs = [(rule, h) for rule in rules for h in halves]

    def job(item):
        rule, h = item
        return _capacity_rule(rule, X[h], Q[h], probes[h], len(flips), max_iter)

    workers = max(1, int(workers))
    if workers == 1:
        parts = [job(item) for item in jobs]
    else:  # numpy releases the GIL in matmul and ufuncs: threads, with single-threaded BLAS
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(job, jobs))
    rows = []
    for r, rule in enumerate(rules):
        exact = sum(parts[r * len(halves) + i][0] for i in range(len(halves))) / trials  # (Pmax, F)
        same = sum(parts[r * len(halves) + i][1] for i in range(len(halves))) / trials
        near = sum(parts[r * len(halves) + i][2] for i in range(len(halves))) / trials
        for P in range(1, p_max + 1):
            for j, f in enumerate(flips):
                rows.append(
                    {
                        "rule": rule,
                        "flip": f,
                        "P": P,
                        "load": P / n,
                        "recall": float(exact[P - 1, j]),
                        "bits985": float(near[P - 1, j]),
                        "overlap": float(same[P - 1, j]),
                    }
                )
    return pd.DataFrame(rows)


def _capacity_rule(
    rule: str, X: np.ndarray, Q: np.ndarray, probes: np.ndarray, n_flips: int, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """One rule on a block of trials. Returns, per P (rows) and flip level (columns), the number of
    exact recalls divided by P (summed over the block's trials), the same for the share of correct
    bits and for the share of probes with at least 98.5 % of bits right: (Pmax, F) each, to be divided
    by the total number of trials."""
    trials, p_max, n = X.shape
    exact_sum = np.zeros((p_max, n_flips))
    same_sum = np.zeros((p_max, n_flips))
    near_sum = np.zeros((p_max, n_flips))
    W = np.zeros((trials, n, n), np.float32)
    for P in range(1, p_max + 1):
        # The field W s as factors: Hebb N W = X^T X - P I (integers: exact in float32, so ties are
        # exact) and projection W = Q Q^T are low rank: (s X^T) X costs 2 P N per probe, not N^2.
        if rule == "hebbian":
            left, right, shift = X[:, :P].transpose(0, 2, 1), X[:, :P], float(-P)
        elif rule == "pseudoinverse":
            left, right, shift = Q[:, :, :P], Q[:, :, :P].transpose(0, 2, 1), 0.0
        else:
            W = storkey_step(W, X[:, P - 1])
            left, right, shift = W.transpose(0, 2, 1), None, 0.0
        S = probes[:, :P].reshape(trials, P * n_flips, n)  # (T, P*F, N)
        S, fixed = _sync_batch(S, left, right, shift, max_iter)
        target = np.repeat(X[:, :P], n_flips, axis=1)  # (T, P*F, N)
        same = (S == target).mean(axis=2).reshape(trials, P, n_flips)  # (T, P, F)
        exact = (same == 1.0) & fixed.reshape(trials, P, n_flips)
        exact_sum[P - 1] = exact.mean(axis=1).sum(axis=0)
        same_sum[P - 1] = same.mean(axis=1).sum(axis=0)
        near_sum[P - 1] = (same >= BITS_RIGHT).mean(axis=1).sum(axis=0)
    return exact_sum, same_sum, near_sum


def _sync_batch(
    S: np.ndarray, left: np.ndarray, right: np.ndarray | None, shift: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Synchronous sign updates of states S (T, M, N), the fields being ``S @ left @ right + shift * S``
    (``right`` None: ``S @ left``), i.e. a symmetric weight matrix per trial, given in factors.

    Ties keep the state. With a symmetric W synchronous dynamics ends in a fixed point or a 2-cycle
    (Goles-Chacc, Fogelman-Soulie & Pellegrin, 1985), so a probe is finished once it is fixed or flips
    the same neurons as in the previous iteration. Finished probes are packed out of the batch, so the
    work follows the probes that still move.

    Returns
    -------
    states : ndarray of shape (T, M, N);  fixed : ndarray of shape (T, M), bool (False: 2-cycle or
    still moving after ``max_iter``)
    """
    out = np.array(S, np.float32, copy=True)
    T, M, _ = out.shape
    tie = 0.0 if right is not None and shift else 1e-5  # Hebb's integer fields are exact
    left = np.ascontiguousarray(left, np.float32)
    right = None if right is None else np.ascontiguousarray(right, np.float32)
    fixed = np.zeros((T, M), bool)
    slot = np.tile(np.arange(M), (T, 1))  # (T, m): which probe each slot of the batch holds
    valid = np.ones((T, M), bool)  # (T, m): the slot holds a probe that still moves
    cur = out.copy()
    prev_flip = np.zeros(cur.shape, bool)
    rows = np.arange(T)[:, None]
    for _ in range(max_iter):
        H = np.matmul(cur, left)  # (T, m, N) or (T, m, P)
        if right is not None:
            H = np.matmul(H, right)
        # The field is H + shift * cur; a neuron flips when the field opposes it (ties keep it), and
        # (H + shift * cur) * cur = H * cur + shift since cur is +-1.
        H *= cur
        flip = H < -shift - tie  # padding slots (not valid) may flip too; they are never read back
        moved = flip.any(axis=2) & valid  # (T, m)
        cycle = moved & ~(flip ^ prev_flip).any(axis=2)  # flipping the same neurons again: 2-cycle
        cur *= 1.0 - 2.0 * flip.astype(np.float32)
        fixed[rows, slot] |= valid & ~moved
        finished = valid & (~moved | cycle)
        t_idx, s_idx = np.nonzero(finished)
        out[t_idx, slot[t_idx, s_idx]] = cur[t_idx, s_idx]
        valid &= ~finished
        prev_flip = flip
        width = int(valid.sum(axis=1).max())
        if width == 0:
            break
        if width < 0.8 * valid.shape[1]:
            order = np.argsort(~valid, axis=1, kind="stable")[:, :width]  # (T, width): moving first
            cur, prev_flip, slot, valid = (
                cur[rows, order],
                prev_flip[rows, order],
                slot[rows, order],
                valid[rows, order],
            )
    t_idx, s_idx = np.nonzero(valid)
    out[t_idx, slot[t_idx, s_idx]] = cur[t_idx, s_idx]
    return out, fixed
