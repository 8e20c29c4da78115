"""Hopfield networks: storage rules, discrete and saturating-linear dynamics, energy, attractor labels.

Four ways to turn target patterns into weights ``W`` (N, N) and a bias ``b`` (N,):

- **Hebbian**: ``W = X^T X / N`` with a zero diagonal, ``b = 0`` (Hopfield, 1982).
- **Pseudo-inverse** (projection rule): ``W`` projects onto the span of the targets, so every
  linearly independent target is a fixed point (Personnaz, Guyon & Dreyfus, 1985; Kanter & Sompolinsky, 1987).
- **Storkey**: an incremental, local rule with a larger capacity than Hebb's (Storkey, 1997).
- **newhop**: the Li-Michel-Porod design that MATLAB's ``newhop`` uses, with its saturating-linear
  synchronous dynamics ``a(k+1) = satlins(W a(k) + b)`` (Li, Michel & Porod, 1989).

Discrete dynamics update ``x_i <- sign(W x + b)_i`` all at once (synchronous) or one neuron at a time
in a seeded random order (asynchronous). A neuron whose field is exactly zero keeps its value, so the
origin and the axis points can be (unstable) equilibria. The energy is ``E(x) = -x^T W x / 2 - b^T x``;
under asynchronous updates with a symmetric ``W`` whose diagonal is non-negative it never increases.

References: J. J. Hopfield, PNAS 79 (1982); A. Storkey, ICANN 1997; J.-H. Li, A. N. Michel & W. Porod,
IEEE Trans. Circuits Syst. 36 (1989) 1405-1422; Hagan, Demuth & Beale, Neural Network Design, ch. 18.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("hebbian", "pseudoinverse", "storkey", "newhop")
RULE_NAMES = {
    "hebbian": "Hebbian",
    "pseudoinverse": "Pseudo-inverse",
    "storkey": "Storkey",
    "newhop": "newhop (Li-Michel-Porod)",
}
DYNAMICS = ("synchronous", "asynchronous")
LABELS = ("target", "inverse of a target", "spurious", "unstable equilibrium", "not converged")
NEWHOP_TAU = 10.0
NEWHOP_H = 0.15
SAME = 1e-4  # two states closer than this (max-norm) are the same state


@dataclass(frozen=True)
class HopfieldConfig:
    """How a network is built and run.

    Attributes
    ----------
    rule : one of :data:`RULES`
    dynamics : "synchronous" or "asynchronous" (ignored by newhop, which is synchronous satlins)
    max_iter : int, iterations (full sweeps for asynchronous updates) before giving up
    seed : int, seeds the asynchronous update order
    """

    rule: str = "hebbian"
    dynamics: str = "synchronous"
    max_iter: int = 50
    seed: int = 0

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"Unknown storage rule {self.rule!r}; choose one of {', '.join(RULES)}.")
        if self.dynamics not in DYNAMICS:
            raise ValueError(f"Unknown dynamics {self.dynamics!r}; choose synchronous or asynchronous.")
        if not 1 <= int(self.max_iter) <= 10_000:
            raise ValueError(f"max_iter must be between 1 and 10000, got {self.max_iter}.")

    @property
    def satlins(self) -> bool:
        """True when the network runs MATLAB's saturating-linear dynamics (the newhop design)."""
        return self.rule == "newhop"


def parse_targets(text: str) -> np.ndarray:
    """Targets typed by a user, one per line, entries separated by spaces, commas or semicolons.

    Returns
    -------
    ndarray of shape (P, N), float64, entries +-1

    Raises
    ------
    ValueError : with a message for the user (empty, not numbers, unequal lengths, entries not +-1).
    """
    rows = []
    for k, line in enumerate(text.replace(";", "\n").splitlines(), start=1):
        parts = line.replace(",", " ").replace("[", " ").replace("]", " ").split()
        if not parts:
            continue
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise ValueError(
                f"Target {k} ({line.strip()!r}) contains something that is not a number."
            ) from None
    if not rows:
        raise ValueError("Type at least one target, e.g. `1 -1 1`.")
    lengths = {len(r) for r in rows}
    if len(lengths) > 1:
        raise ValueError(f"All targets must have the same length; found lengths {sorted(lengths)}.")
    X = np.asarray(rows, np.float64)
    if not np.all(np.isin(X, (-1.0, 1.0))):
        raise ValueError("Every entry of a target must be +1 or -1 (a neuron is on or off).")
    if X.shape[1] < 2:
        raise ValueError("A Hopfield network needs at least 2 neurons (targets of length 2 or more).")
    return X


def parse_point(text: str, n: int) -> np.ndarray:
    """A start point typed by a user: ``n`` numbers in [-1, 1]. Raises ValueError with a user message."""
    parts = text.replace(",", " ").replace("[", " ").replace("]", " ").split()
    try:
        x = np.asarray([float(p) for p in parts], np.float64)
    except ValueError:
        raise ValueError(f"The start point {text!r} must be {n} numbers, e.g. `0.3, -0.5`.") from None
    if len(x) != n:
        raise ValueError(f"The start point needs {n} numbers (one per neuron); you typed {len(x)}.")
    if not np.all(np.isfinite(x)) or np.abs(x).max() > 1:
        raise ValueError("Each coordinate of the start point must lie between -1 and 1.")
    return x


# ---------------------------------------------------------------------------------------------- rules
def hebbian(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hebb's outer-product rule, ``W = X^T X / N`` with a zero diagonal.

    Parameters
    ----------
    X : ndarray of shape (P, N), entries +-1

    Returns
    -------
    W : ndarray of shape (N, N); b : ndarray of shape (N,) (zeros)
    """
    X = np.asarray(X, np.float64)
    W = X.T @ X / X.shape[1]
    np.fill_diagonal(W, 0.0)
    return W, np.zeros(X.shape[1])


def pseudoinverse(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projection rule ``W = X^+ X``: the orthogonal projector onto the span of the targets.

    Every target (indeed every vector of their span) satisfies ``W x = x``, so linearly independent
    targets are all fixed points, however correlated they are. The diagonal is kept.
    """
    X = np.asarray(X, np.float64)
    W = np.linalg.pinv(X) @ X
    return (W + W.T) / 2, np.zeros(X.shape[1])


def storkey(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Storkey's incremental rule (1997), zero diagonal.

    For each pattern ``xi``: ``W_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N`` with the local field
    ``h_ij = sum_{k != i, j} W_ik xi_k``.
    """
    X = np.asarray(X, np.float64)
    n = X.shape[1]
    W = np.zeros((n, n))
    for xi in X:
        W = storkey_step(W, xi)
    return W, np.zeros(n)


def storkey_step(W: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """One Storkey update; ``W`` (..., N, N) with zero diagonal, ``xi`` (..., N). Returns a new array."""
    n = xi.shape[-1]
    h = np.einsum("...ij,...j->...i", W, xi)  # (..., N): full field (the diagonal is zero)
    H = h[..., :, None] - W * xi[..., None, :]  # (..., N, N): h_ij = h_i - W_ij xi_j
    outer = xi[..., :, None] * xi[..., None, :]
    dW = (outer - xi[..., :, None] * np.swapaxes(H, -1, -2) - H * xi[..., None, :]) / n
    W = W + dW
    idx = np.arange(n)
    W[..., idx, idx] = 0.0
    return W


def newhop(T: np.ndarray, *, tau: float = NEWHOP_TAU, h: float = NEWHOP_H) -> tuple[np.ndarray, np.ndarray]:
    """The Li-Michel-Porod design of MATLAB's ``newhop``.

    The differences of the targets to the last target span a subspace; ``U`` from their SVD splits
    R^N into that subspace (``T+``, rank K) and its complement (``T-``). With ``T_tau = T+ - tau T-``
    and ``I_tau = t_Q - T_tau t_Q`` the continuous system ``dx/dt = T_tau x + I_tau`` is sampled with
    step ``h``: ``W = expm(h T_tau)`` and ``b = U diag(e^h - 1 [K times], (1 - e^{-tau h}) / tau) U^T I_tau``.
    Run it with :func:`satlins` dynamics.

    Parameters
    ----------
    T : ndarray of shape (Q, N), targets +-1 (MATLAB's ``T`` transposed)

    Returns
    -------
    W : ndarray of shape (N, N), symmetric; b : ndarray of shape (N,)
    """
    T = np.asarray(T, np.float64)
    Q, n = T.shape
    last = T[-1]
    Y = (T[:-1] - last).T  # (N, Q-1): the differences, as columns
    if Y.shape[1]:
        U, s, _ = np.linalg.svd(Y, full_matrices=True)
        K = int(np.sum(s > max(Y.shape) * np.finfo(float).eps * (s.max() if s.size else 0)))
    else:
        U, K = np.eye(n), 0
    Up, Um = U[:, :K], U[:, K:]
    TP, TM = Up @ Up.T, Um @ Um.T
    Ttau = TP - tau * TM
    Itau = last - Ttau @ last
    c1, c2 = np.exp(h) - 1.0, -(np.exp(-tau * h) - 1.0) / tau
    # expm of a symmetric matrix with eigenvalues 1 (on span) and -tau (off span): closed form.
    W = np.exp(h) * TP + np.exp(-tau * h) * TM
    b = (c1 * TP + c2 * TM) @ Itau
    return (W + W.T) / 2, b


def store(X: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias for targets ``X`` (P, N) with ``rule`` (one of :data:`RULES`)."""
    X = np.asarray(X, np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError("Targets must be a (P, N) array with at least one target.")
    fn = {"hebbian": hebbian, "pseudoinverse": pseudoinverse, "storkey": storkey, "newhop": newhop}.get(rule)
    if fn is None:
        raise ValueError(f"Unknown storage rule {rule!r}; choose one of {', '.join(RULES)}.")
    return fn(X)


# ------------------------------------------------------------------------------------------- dynamics
def energy(W: np.ndarray, b: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Hopfield energy ``-x^T W x / 2 - b^T x`` of each row of ``X`` (S, N) -> (S,)."""
    X = np.atleast_2d(X)
    return -0.5 * ((X @ W) * X).sum(axis=1) - X @ b  # one matrix product (a 3-operand einsum is far slower)


TIE = 1e-9  # a field this close to zero counts as zero (Hebb's integer sums / N are not exact in floats)


def _sign_keep(field: np.ndarray, old: np.ndarray) -> np.ndarray:
    return np.where(field > TIE, 1.0, np.where(field < -TIE, -1.0, old))


@dataclass(frozen=True)
class Trajectories:
    """Where a batch of starts went.

    Attributes
    ----------
    states : ndarray of shape (n_iter + 1, S, N), states after each iteration (index 0 = start)
    energy : ndarray of shape (n_iter + 1, S)
    iterations : ndarray of shape (S,), int, iterations until the state stopped changing (-1: never)
    """

    states: np.ndarray
    energy: np.ndarray
    iterations: np.ndarray

    @property
    def final(self) -> np.ndarray:
        """ndarray of shape (S, N): the last state of each start."""
        return self.states[-1]

    @property
    def converged(self) -> np.ndarray:
        """ndarray of shape (S,), bool."""
        return self.iterations >= 0


def step(
    W: np.ndarray, b: np.ndarray, X: np.ndarray, cfg: HopfieldConfig, rng: np.random.Generator | None = None
) -> np.ndarray:
    """One iteration for every row of ``X`` (S, N): a synchronous update, a satlins update (newhop), or
    one asynchronous sweep over all neurons in a random order per start (drawn from ``rng``)."""
    if cfg.satlins:
        return np.clip(X @ W.T + b, -1.0, 1.0)
    if cfg.dynamics == "synchronous":
        return _sign_keep(X @ W.T + b, X)
    X = X.copy()
    S, n = X.shape
    rng = rng if rng is not None else np.random.default_rng(cfg.seed)
    order = np.argsort(rng.random((S, n)), axis=1)  # (S, N): one random permutation per start
    rows = np.arange(S)
    for j in range(n):
        i = order[:, j]
        field = np.einsum("sj,sj->s", W[i], X) + b[i]
        X[rows, i] = _sign_keep(field, X[rows, i])
    return X


def run(
    W: np.ndarray, b: np.ndarray, X0: np.ndarray, cfg: HopfieldConfig, *, tol: float = 1e-9
) -> Trajectories:
    """Run the network from each row of ``X0`` (S, N) for ``cfg.max_iter`` iterations.

    A start has converged at iteration ``k`` when iteration ``k + 1`` leaves it unchanged (max-norm
    change <= ``tol``); for asynchronous dynamics an iteration is one sweep over all neurons.
    Runs all ``max_iter`` iterations (cheap for the small networks) unless every start has stopped.
    """
    X = np.atleast_2d(np.asarray(X0, np.float64))
    rng = np.random.default_rng(cfg.seed)
    states, iters = [X], np.full(len(X), -1)
    for k in range(cfg.max_iter):
        new = step(W, b, X, cfg, rng)
        still = np.abs(new - X).max(axis=1) <= tol
        iters = np.where((iters < 0) & still, k, iters)
        states.append(new)
        X = new
        if np.all(iters >= 0):
            break
    S = np.stack(states)  # (n_iter + 1, S, N)
    E = np.stack([energy(W, b, s) for s in S])
    return Trajectories(S, E, iters)


def is_stable(
    W: np.ndarray, b: np.ndarray, x: np.ndarray, cfg: HopfieldConfig, *, eps: float = 0.02, n_random: int = 8
) -> bool:
    """Whether the fixed point ``x`` (N,) attracts its neighbourhood.

    Starts at ``x`` nudged by ``+-eps`` along every axis and along ``n_random`` seeded random directions;
    the point is stable when all of them come back to ``x`` (within :data:`SAME`).
    """
    n = len(x)
    rng = np.random.default_rng(12345)
    dirs = np.concatenate([np.eye(n), -np.eye(n), rng.normal(size=(n_random, n))])
    dirs /= np.abs(dirs).max(axis=1, keepdims=True)
    starts = np.clip(x + eps * dirs, -1.0, 1.0)
    # A nudged point must be a real move: at a corner, nudges pointing outwards are clipped away.
    starts = starts[np.abs(starts - x).max(axis=1) > eps / 10]
    if len(starts) == 0:
        return True
    tr = run(W, b, starts, HopfieldConfig(cfg.rule, cfg.dynamics, max(cfg.max_iter, 200), cfg.seed))
    return bool(np.all(np.abs(tr.final - x).max(axis=1) <= SAME))


def label_states(
    final: np.ndarray,
    converged: np.ndarray,
    targets: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    cfg: HopfieldConfig,
) -> list[str]:
    """Label each final state (S, N) with one of :data:`LABELS`.

    A converged state equal to a target is a "target" and one equal to minus a target an "inverse of a
    target", provided it is stable; any other stable state is "spurious"; a fixed point that small
    nudges leave is an "unstable equilibrium".
    """
    labels, cache = [], {}
    for x, ok in zip(final, converged, strict=True):
        if not ok:
            labels.append("not converged")
            continue
        key = tuple(np.round(x, 4))
        if key not in cache:
            if not is_stable(W, b, x, cfg):
                cache[key] = "unstable equilibrium"
            elif np.any(np.abs(targets - x).max(axis=1) <= SAME):
                cache[key] = "target"
            elif np.any(np.abs(targets + x).max(axis=1) <= SAME):
                cache[key] = "inverse of a target"
            else:
                cache[key] = "spurious"
        labels.append(cache[key])
    return labels


def stable_corners(W: np.ndarray, b: np.ndarray, cfg: HopfieldConfig) -> np.ndarray:
    """All corners of the cube {-1, 1}^N (N <= 12) that are stable fixed points, (K, N)."""
    n = W.shape[0]
    if n > 12:
        raise ValueError("Enumerating corners is only sensible for up to 12 neurons.")
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * n, indexing="ij")).reshape(n, -1).T
    nxt = step(W, b, corners, cfg, np.random.default_rng(cfg.seed))
    fixed = np.abs(nxt - corners).max(axis=1) <= 1e-9
    keep = [c for c, f in zip(corners, fixed, strict=True) if f and is_stable(W, b, c, cfg)]
    return np.asarray(keep).reshape(-1, n)


def symmetric_starts(n: int) -> np.ndarray:
    """The high-symmetry inputs: +-e_i for each axis, then the origin; (2N + 1, N)."""
    eye = np.eye(n)
    pts = [v for i in range(n) for v in (eye[i], -eye[i])]
    return np.asarray(pts + [np.zeros(n)])


def random_starts(n_starts: int, n: int, seed: int) -> np.ndarray:
    """``n_starts`` seeded uniform points in [-1, 1]^N (MATLAB's ``rands``), (n_starts, N)."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n_starts, n))


def fmt_state(x: np.ndarray) -> str:
    """A state as a short string, e.g. ``[1, -1, 0.5]``."""
    return "[" + ", ".join(f"{v:g}" for v in np.round(np.asarray(x, float), 3) + 0.0) + "]"


def attractor_table(tr: Trajectories, labels: list[str]):
    """Summary per final state: label, count, basin share, iterations to converge (mean, std).

    Returns
    -------
    pandas.DataFrame with columns final state, label, starts, share, mean iterations, std iterations
    """
    import pandas as pd

    rows: dict[tuple, dict] = {}
    for x, lab, it in zip(tr.final, labels, tr.iterations, strict=True):
        key = (fmt_state(x) if lab != "not converged" else "(still moving)", lab)
        rows.setdefault(key, []).append(it)
    total = len(labels)
    out = []
    for (state, lab), its in rows.items():
        its = np.asarray(its, float)
        conv = its[its >= 0]
        out.append(
            {
                "final state": state,
                "label": lab,
                "starts": len(its),
                "share": len(its) / total,
                "mean iterations": float(conv.mean()) if len(conv) else float("nan"),
                "std iterations": float(conv.std()) if len(conv) else float("nan"),
            }
        )
    order = {lab: i for i, lab in enumerate(LABELS)}
    df = pd.DataFrame(out)
    return df.sort_values(
        ["label", "starts"], key=lambda s: s.map(order) if s.name == "label" else -s, ignore_index=True
    )
