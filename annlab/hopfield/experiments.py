"""What the Hopfield page computes: plain functions returning dataclasses (no streamlit here).

- :func:`small_network`: a 2-10 neuron network run from many starts, every final state labelled,
  the basins counted, the stable corners enumerated and the page's notes chosen.
- :func:`digit_recall`: the digit prototypes stored with one rule and recalled from noisy copies.
- :func:`digit_noise_sweep`: retrieval accuracy against noise for every rule (on a button).
- :func:`drawing_retrieval`: the network run from a drawn digit, every iteration kept.
- :func:`capacity`: recall against load for random patterns, and where it first drops below one half.

The page's defaults are in :mod:`annlab.hopfield.defaults`; the charts in :mod:`annlab.hopfield.charts`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from annlab.hopfield import core as hc
from annlab.hopfield import digits as hd

STARTS = ("random inputs", "high-symmetry inputs", "a point I type")
MAX_NEURONS = 10  # the small networks; the digits show big ones
MAX_PATHS = 300  # the small-network charts draw the first this many starts
BASIN_FORMAT = {"share": "{:.1%}", "mean iterations": "{:.1f}", "std iterations": "{:.1f}"}  # table columns
SWEEP_LEVELS = {"flip": np.linspace(0, 0.5, 11), "gauss": np.linspace(0, 10.0, 11)}  # as the course
NOISE_STEP, NOISE_MAX = 0.1, 10.0  # the digit section's Gaussian noise slider: every position precomputed
RETRIEVED = (
    "*Retrieved* means the state the network settled in agrees with the stored digit on at least "
    f"{hd.MATCH:.0%} of the pixels (and is not its inverse)."
)
SWEEP_KINDS = {"flip": "flipped pixels", "gauss": "Gaussian"}
METRICS = {  # capacity: count as recalled
    "both": "exact and >= 98.5 % of bits (clean probes)",
    "recall": "exact pattern",
    "bits985": ">= 98.5 % of bits right",
    "overlap": "share of correct bits",
}
HEBB_BLENDS = (
    "Hebb's rule adds the digits' outer products; the digits share many pixels, so their valleys merge "
    "into a few blended (spurious) states. The pseudo-inverse removes these overlaps first; or store "
    "fewer digits."
)

NOTES = {
    "inverse of a target": (
        "**Inverse of a target**: with no bias the energy is symmetric, E(-a) = E(a), so the mirror image "
        "of every stored valley is a valley too; nobody stored it."
    ),
    "inverse of a target newhop": (
        "**Inverse of a target**: newhop's design has a bias b, but for these targets it comes out zero "
        "(to rounding), so the energy is symmetric, E(-a) = E(a): the mirror image of every stored valley "
        "is a valley too; nobody stored it."
    ),
    "inverse of a target biased": (
        "**Inverse of a target**: the mirror image of a stored target is a stable state too; nobody stored "
        "it. This rule has a bias b, so the energy is not symmetric (E(-a) = E(a) + 2 bᵀa): the mirror "
        "valley is not automatic here, the rule made it anyway."
    ),
    "spurious": (
        "**Spurious**: a stable state that is neither a target nor its inverse, typically a mixture of "
        "targets; the rule carved a valley nobody asked for."
    ),
    "unstable equilibrium": (
        "**Unstable equilibrium**: the update leaves this point where it is, but the smallest nudge sends "
        "it downhill (a ball balanced on a ridge). Symmetric inputs like [1, 0] sit exactly on such ridges."
    ),
    "not converged newhop": (
        "**Not converged**: the state was still changing after the last iteration. These starts began "
        "very close to a ridge (an axis), where the push away is tiny: each step only multiplies the "
        "distance by e^0.15 = 1.16. More iterations let them arrive."
    ),
    "not converged": (
        "**Not converged**: the state was still changing after the last iteration. With synchronous sign "
        "updates two neurons can keep swapping forever (a 2-cycle: the energy goes up and down); "
        "asynchronous updates never do that, since each single-neuron flip can only lower the energy."
    ),
}

STORAGE_RULES = r"""
- **Hebbian**: $W = \frac{1}{N}\sum_p x_p x_p^\top$ with $W_{ii} = 0$. Simple and local, but patterns
  that overlap interfere; it holds about $0.138\,N$ random patterns.
- **Pseudo-inverse (projection)**: $W = X^{+}X$ projects onto the span of the targets, so every linearly
  independent target is a fixed point, however correlated; not local (needs all patterns at once).
- **Storkey**: $\Delta W_{ij} = \frac{1}{N}(x_i x_j - x_i h_{ji} - h_{ij} x_j)$ with the local field
  $h_{ij} = \sum_{k \ne i,j} W_{ik} x_k$: local and incremental, and holds more than Hebb.
- **newhop** (Li, Michel & Porod; MATLAB): split space into the span $T^{+}$ of the differences to the last
  target and its complement $T^{-}$, set $T_\tau = T^{+} - \tau T^{-}$ ($\tau = 10$),
  $W = e^{h T_\tau}$ ($h = 0.15$) and a bias $b$; run $a(k+1) = \mathrm{satlins}(W a(k) + b)$. Inside the span
  states grow by $e^{0.15}$ per step until they hit a face of the cube; off the span they shrink.

Energy: $E(a) = -\tfrac12 a^\top W a - b^\top a$. One neuron flipping to agree with its field can only
lower it, so asynchronous updates always settle; synchronous ones may oscillate.
"""


def as_image(x: np.ndarray, side: int) -> np.ndarray:
    """A +-1 (or noisy real) state (side*side,) as a gray image (side, side) in [0, 1]."""
    return np.clip((np.asarray(x, float).reshape(side, side) + 1) / 2, 0, 1)


# ------------------------------------------------------------------------------------ small networks
@dataclass(frozen=True)
class SmallSetup:
    """A small network and where to start it.

    Attributes
    ----------
    targets : P rows of N entries +-1;  rule, dynamics, max_iter, seed : see :class:`HopfieldConfig`
    starts : one of :data:`STARTS`;  n_random : number of random starts;  point : the typed start (N,)
    """

    targets: tuple[tuple[float, ...], ...]
    rule: str
    dynamics: str
    max_iter: int
    starts: str
    n_random: int
    point: tuple[float, ...]
    seed: int

    def __post_init__(self):
        if self.starts not in STARTS:
            raise ValueError(f"Unknown kind of starting points {self.starts!r}; choose one of {STARTS}.")
        if self.starts == STARTS[0] and self.n_random < 1:
            raise ValueError("Ask for at least one random start.")
        hc.HopfieldConfig(self.rule, self.dynamics, self.max_iter, self.seed)  # validates

    @property
    def n(self) -> int:
        """Number of neurons."""
        return len(self.targets[0])

    @property
    def config(self) -> hc.HopfieldConfig:
        return hc.HopfieldConfig(self.rule, self.dynamics, self.max_iter, self.seed)


def small_setup(
    targets_text: str,
    rule: str,
    dynamics: str,
    max_iter: int,
    starts: str,
    n_random: int,
    point_text: str,
    seed: int,
) -> SmallSetup:
    """Parse the typed targets (one per line) and start point into a :class:`SmallSetup`.

    Raises ``ValueError`` with a message for the student when the text is not a valid set of targets.
    """
    targets = hc.parse_targets(targets_text)
    point = hc.parse_point(point_text, targets.shape[1]) if starts == STARTS[2] else np.zeros(0)
    return SmallSetup(
        tuple(map(tuple, targets.tolist())),
        rule,
        dynamics,
        int(max_iter),
        starts,
        int(n_random),
        tuple(point.tolist()),
        int(seed),
    )


@dataclass(frozen=True)
class SmallNetwork:
    """A small network run from every start.

    Attributes
    ----------
    targets : ndarray of shape (P, N);  rule : the storage rule
    W : (N, N);  b : (N,);  tr : the trajectories of the S starts
    labels : S labels (:data:`annlab.hopfield.core.LABELS`);  table : the basins (one row per final state)
    corners : ndarray of shape (K, N), the stable corners of the cube
    notes : what the labels found mean, one markdown line each
    lost : the targets that are no stable state (formatted), empty when the rule holds them all
    """

    targets: np.ndarray
    rule: str
    W: np.ndarray
    b: np.ndarray
    tr: hc.Trajectories
    labels: list[str]
    table: pd.DataFrame
    corners: np.ndarray
    notes: list[str]
    lost: list[str]

    @property
    def n(self) -> int:
        return self.targets.shape[1]

    def corners_line(self) -> str:
        names = ", ".join(hc.fmt_state(c) for c in self.corners) or "none"
        return f"**Stable corners of the cube** ({len(self.corners)} of {2**self.n}): {names}"

    def drawn_note(self) -> str | None:
        """Says that the charts draw only the first :data:`MAX_PATHS` starts, when there are more."""
        if len(self.labels) <= MAX_PATHS:
            return None
        return f"The charts draw the first {MAX_PATHS} of {len(self.labels)} starts; the table counts all."

    def lost_warning(self) -> str | None:
        """Why not every target can be recalled, or None when every target is a stable corner."""
        if not self.lost:
            return None
        return (
            f"Not every target is an attractor with {hc.RULE_NAMES[self.rule]}: {', '.join(self.lost)} is "
            f"not a stable state, so the network cannot recall it: {len(self.targets)} targets in {self.n} "
            "neurons are more, or more correlated, than this rule can hold (a few neurons hold far fewer "
            "patterns than any large-N rule of thumb suggests); try the pseudo-inverse or newhop."
        )


def attractor_notes(found: set[str], rule: str, biased: bool = False) -> list[str]:
    """The notes explaining the labels in ``found``, in the page's order; ``biased``: the network has a
    nonzero bias (newhop, for most targets), so its energy is not symmetric under a -> -a."""
    inverse = "inverse of a target" + (" biased" if biased else " newhop" if rule == "newhop" else "")
    keys = [k for k in ("inverse of a target", "spurious", "unstable equilibrium") if k in found]
    notes = [NOTES[inverse if k == "inverse of a target" else k] for k in keys]
    if "not converged" in found:
        notes.append(NOTES["not converged newhop" if rule == "newhop" else "not converged"])
    return notes


def small_network(setup: SmallSetup) -> SmallNetwork:
    """Store the targets, run every start, label where each ended and count the basins."""
    if setup.n > MAX_NEURONS:
        raise ValueError(f"Keep own targets to at most {MAX_NEURONS} neurons here.")
    T = np.asarray(setup.targets, float)
    W, b = hc.store(T, setup.rule)
    cfg = setup.config
    if setup.starts == STARTS[0]:
        X0 = hc.random_starts(setup.n_random, setup.n, setup.seed)
    elif setup.starts == STARTS[1]:
        X0 = hc.symmetric_starts(setup.n)
    else:
        X0 = np.asarray(setup.point, float)[None]
    tr = hc.run(W, b, X0, cfg)
    labels = hc.label_states(tr.final, tr.converged, T, W, b, cfg)
    corners = hc.stable_corners(W, b, cfg)
    table = hc.attractor_table(tr, labels)
    lost = [hc.fmt_state(t) for t in T if not np.any(np.all(corners == t, axis=1))]
    notes = attractor_notes(set(table["label"]), setup.rule, biased=bool(np.any(np.abs(b) > 1e-12)))
    return SmallNetwork(T, setup.rule, W, b, tr, labels, table, corners, notes, lost)


# ------------------------------------------------------------------------------------------ digits
@dataclass(frozen=True)
class DigitSetup:
    """The digit network: which prototypes, which rule, how it runs.

    Attributes
    ----------
    source : a key of :data:`annlab.hopfield.digits.SOURCES`;  side : pixels per side (8 for digits8)
    rule : storage rule;  digits : the stored digits, sorted;  dynamics, max_iter : how it runs
    """

    source: str
    side: int
    rule: str
    digits: tuple[int, ...]
    dynamics: str
    max_iter: int

    def __post_init__(self):
        if self.source not in hd.SOURCES:
            raise ValueError(f"Unknown digit source {self.source!r}; choose one of {', '.join(hd.SOURCES)}.")
        if not self.digits or not set(self.digits) <= set(range(10)):
            raise ValueError("Store at least one of the digits 0..9.")
        hc.HopfieldConfig(self.rule, self.dynamics, self.max_iter)  # validates

    @property
    def n(self) -> int:
        """Number of neurons (pixels)."""
        return self.side * self.side

    def config(self, seed: int) -> hc.HopfieldConfig:
        return hc.HopfieldConfig(self.rule, self.dynamics, self.max_iter, seed)


def digit_setup(source: str, side: int, rule: str, digits, dynamics: str, max_iter: int) -> DigitSetup:
    """A :class:`DigitSetup` from the page's controls: the 8x8 digits force side 8, digits are sorted
    and an empty choice stores the 0 alone."""
    side = 8 if source == "digits8" else int(side)
    return DigitSetup(source, side, rule, tuple(sorted(set(digits))) or (0,), dynamics, int(max_iter))


@functools.lru_cache(maxsize=16)
def _network(source: str, side: int, rule: str, digits: tuple[int, ...]):
    P = np.array(hd.prototypes(source, side))[list(digits)]
    W, b = hc.store(P, rule)
    for a in (P, W, b):
        a.flags.writeable = False
    return P, W, b


def digit_network(setup: DigitSetup) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored patterns (P, N), the weights (N, N) and the bias (N,), read-only (memoised)."""
    return _network(setup.source, setup.side, setup.rule, setup.digits)


@dataclass(frozen=True)
class DigitRecall:
    """The stored digits recalled from one noisy copy each.

    Attributes
    ----------
    setup : the network;  gauss, flip : the noise
    recall : :class:`annlab.hopfield.digits.Recall` (noisy inputs, finals, what each became)
    outcomes : per stored digit, what its noisy copy became in words
    images : ndarray of shape (3 P, side, side) in [0, 1]: the stored digits, the noisy inputs, the finals
    """

    setup: DigitSetup
    gauss: float
    flip: float
    recall: hd.Recall
    outcomes: list[str]
    images: np.ndarray

    @property
    def retrieved(self) -> int:
        return int(self.recall.correct.sum())

    def headline(self) -> str:
        """One compact sentence for the main figure: retrieved, rule, load, the Hamming baseline (no
        dynamics: the stored digit nearest to the noisy input)."""
        s, n_dig = self.setup, len(self.setup.digits)
        return (
            f"**{self.retrieved} of {n_dig} digits retrieved** (at least 95% of pixels agree) by "
            f"{hc.RULE_NAMES[s.rule]}, N = {s.n}, load P/N = {n_dig / s.n:.3f}; nearest stored digit: "
            f"**{int(self.recall.nearest.sum())} of {n_dig}**."
        )

    def settling(self) -> str:
        """How the probes settled: mean iterations, and how many were still changing."""
        it = self.recall.iterations
        moving = int((it < 0).sum())
        text = f"{it[it >= 0].mean():.1f} iterations to settle on average" if (it >= 0).any() else ""
        if moving:
            text += f"{'; ' if text else ''}{moving} still changing after {self.setup.max_iter}"
        return text

    def frames(self, k: int) -> np.ndarray:
        """Images (3 P, side, side): the stored digits, the noisy inputs and the state at iteration ``k``
        (the last one once the network has stopped changing)."""
        states = self.recall.states
        if states is None:
            return self.images
        k = int(min(max(k, 0), len(states) - 1))
        P = len(self.setup.digits)
        at_k = np.stack([as_image(x, self.setup.side) for x in states[k]])
        return np.concatenate([self.images[: 2 * P], at_k])

    @property
    def n_iter(self) -> int:
        """Iterations kept (the stepper's last position)."""
        return 0 if self.recall.states is None else len(self.recall.states) - 1

    @property
    def hebb_blends(self) -> bool:
        """Hebb's rule lost most digits to blends (the page then explains why)."""
        return self.setup.rule == "hebbian" and self.recall.correct.mean() < 0.5


def digit_recall(setup: DigitSetup, gauss: float, flip: float, seed: int) -> DigitRecall:
    """Corrupt every stored digit once (Gaussian ``gauss`` x N(0, 1) added, then a share ``flip`` of the
    pixels flipped; seeded) and run the network from it, keeping every iteration."""
    P, W, b = digit_network(setup)
    rec = hd.recall(W, b, P, setup.config(seed), gauss=gauss, flip=flip, seed=seed, keep_states=True)
    return _digit_result(setup, P, gauss, flip, rec)


def _digit_result(setup: DigitSetup, P: np.ndarray, gauss: float, flip: float, rec: hd.Recall) -> DigitRecall:
    d = setup.digits
    outcomes = [
        hd.outcome(t, d[w] if w >= 0 else -1, bool(i))
        for t, w, i in zip(d, rec.which, rec.inverse, strict=True)
    ]
    images = np.stack([as_image(x, setup.side) for block in (P, rec.noisy, rec.final) for x in block])
    return DigitRecall(setup, float(gauss), float(flip), rec, outcomes, images)


def noise_levels() -> np.ndarray:
    """Every position of the digit section's Gaussian noise slider: 0, 0.1, ..., 10."""
    return np.round(np.arange(0, NOISE_MAX + NOISE_STEP / 2, NOISE_STEP), 10)


@dataclass(frozen=True)
class DigitLevels:
    """:func:`digit_recall` at every noise slider position, so the slider only picks one."""

    levels: np.ndarray
    recalls: tuple[DigitRecall, ...]

    def at(self, gauss: float) -> DigitRecall:
        """The recall at the slider position nearest to ``gauss``."""
        return self.recalls[int(np.abs(self.levels - float(gauss)).argmin())]


def digit_recall_levels(setup: DigitSetup, flip: float, seed: int, callback=None) -> DigitLevels:
    """:func:`digit_recall` at every Gaussian noise level of the slider (:func:`noise_levels`), every
    iteration kept; ``callback(step, {"fraction": ...})`` reports progress.

    The levels share one draw of noise (as :func:`digit_recall` with the same seed: the flipped pixels and
    N(0, 1) sample are the same, scaled by the level), and their probes run as one batch per few levels
    (synchronous updates give exactly :func:`digit_recall`'s states; asynchronous orders are drawn for
    the batch).
    """
    levels = noise_levels()
    P, W, b = digit_network(setup)
    rng = np.random.default_rng(seed)
    flipped = hd.corrupt(P, flip=flip, rng=rng)  # as hd.corrupt draws: the flips first, then N(0, 1)
    Z = rng.standard_normal(P.shape)
    truth = np.arange(len(P))
    out: list[DigitRecall] = []
    chunks = np.array_split(np.arange(len(levels)), 10)
    for c, idx in enumerate(chunks):
        noisy = np.concatenate([flipped + levels[i] * Z for i in idx])
        rec = hd.recall_from(W, b, P, noisy, np.tile(truth, len(idx)), setup.config(seed), keep_states=True)
        for j, i in enumerate(idx):
            part = slice(j * len(P), (j + 1) * len(P))
            one = hd.Recall(
                *(a[part] for a in (rec.noisy, rec.final, rec.which, rec.inverse, rec.correct)),
                rec.iterations[part],
                rec.nearest[part],
                _trim(rec.states[:, part]),
            )
            out.append(_digit_result(setup, P, float(levels[i]), flip, one))
        if callback is not None:
            callback(c + 1, {"fraction": (c + 1) / len(chunks), "text": f"noise up to {levels[idx[-1]]:g}"})
    return DigitLevels(levels, tuple(out))


def _trim(states: np.ndarray) -> np.ndarray:
    """Drop the trailing iterations in which none of these probes changed (kept one past the last change)."""
    moved = np.flatnonzero((states[1:] != states[:-1]).any(axis=(1, 2)))
    return states[: (moved[-1] + 2) if len(moved) else 1]


@dataclass(frozen=True)
class NoiseSweep:
    """Retrieval accuracy against noise: a table (rule, noise, accuracy, spurious) and what it ran on."""

    table: pd.DataFrame
    kind: str
    caption: str


def digit_noise_sweep(setup: DigitSetup, kind: str, repeats: int, seed: int) -> NoiseSweep:
    """Every rule stores the chosen digits, then recalls ``repeats`` noisy copies of each at the 11
    levels of :data:`SWEEP_LEVELS` (``kind`` "flip" or "gauss"). ``setup.rule`` is not used."""
    if kind not in SWEEP_LEVELS:
        raise ValueError(f"Unknown kind of noise {kind!r}; choose flip or gauss.")
    P, _, _ = digit_network(setup)
    df = hd.noise_sweep(
        P,
        hc.RULES,
        SWEEP_LEVELS[kind],
        kind=kind,
        dynamics=setup.dynamics,
        max_iter=setup.max_iter,
        repeats=repeats,
        seed=seed,
    )
    caption = (
        f"{hd.SOURCES[setup.source]}, {setup.side}x{setup.side}, digits {', '.join(map(str, setup.digits))}, "
        f"{setup.dynamics} updates, up to {setup.max_iter} iterations, {repeats} noisy copies of each digit "
        f"per level. {RETRIEVED} Dashed black: the nearest stored digit in Hamming distance (no dynamics). "
        "Right: mean iterations until the state stopped changing (probes that did), and the share still "
        "changing at the last iteration."
    )
    return NoiseSweep(df, kind, caption)


@dataclass(frozen=True)
class DrawingRecall:
    """The network run from a drawn digit.

    Attributes
    ----------
    frames : ndarray of shape (n_iter + 1, side, side) in [0, 1], frame 0 is the binarised drawing
    energy : ndarray of shape (n_iter + 1,);  iterations : int (-1: not converged)
    which : the stored digit it settled into (-1: none);  inverse : it settled into that digit's inverse
    biased : the network has a nonzero bias (newhop): its energy is not symmetric under a -> -a
    """

    frames: np.ndarray
    energy: np.ndarray
    iterations: int
    which: int
    inverse: bool
    biased: bool = False

    def settled(self) -> str:
        """Where it settled, in words."""
        if self.iterations < 0:
            return (
                "It settled into **not converged**: the state was still changing at the last iteration "
                "(add iterations)."
            )
        if self.which < 0:
            where = (
                "a **spurious state**: a stable valley of the energy that is none of the stored digits "
                "(often a blend of several of them)."
            )
        elif self.inverse:
            why = (
                "this rule has a bias, so the mirror image is no automatic valley: the rule made it anyway"
                if self.biased
                else "every valley has a mirror image when there is no bias"
            )
            where = f"the **inverse of the stored {self.which}** ({why})."
        else:
            where = f"the stored **{self.which}**."
        return f"It settled into {where} It stopped changing after {self.iterations} iteration(s)."


def drawing_retrieval(drawn: np.ndarray, setup: DigitSetup, seed: int) -> DrawingRecall:
    """Binarise a drawn digit (side, side) in [0, 1] and run the network from it, keeping every state."""
    P, W, b = digit_network(setup)
    states, energy, iters = hd.retrieve_drawing(W, b, hd.binarise(drawn), setup.config(seed))
    which, inverse = hd.identify(states[-1:], P)
    frames = np.stack([as_image(x, setup.side) for x in states])
    which = int(setup.digits[which[0]]) if which[0] >= 0 else -1
    return DrawingRecall(frames, energy, iters, which, bool(inverse[0]), bool(np.any(np.abs(b) > 1e-12)))


# ---------------------------------------------------------------------------------------- capacity
@dataclass(frozen=True)
class CapacitySetup:
    """The capacity experiment: ``n`` neurons, ``trials`` random pattern sets per load, P = 1 .. n/2."""

    n: int
    trials: int

    def __post_init__(self):
        if not (4 <= self.n <= 2000 and self.trials >= 1):
            raise ValueError("Need 4 <= N <= 2000 neurons and at least one trial.")


@dataclass(frozen=True)
class Capacity:
    """Recall against load.

    Attributes
    ----------
    setup : what ran;  table : rule, flip, P, load, recall, overlap (see
    :func:`annlab.hopfield.digits.capacity_sweep`)
    half : per rule (sorted by name), the first load P/N at which exact recall of clean patterns is
    below one half (nan: never)
    """

    setup: CapacitySetup
    table: pd.DataFrame
    half: dict[str, float]
    patterns: str = "random"
    dynamics: str = "synchronous"

    def summary(self) -> str:
        n = self.setup.n
        if self.patterns == "digits":
            return self._digit_summary()
        words = ", ".join(
            f"{hc.RULE_NAMES[r]} at P/N = {v:.2f}"
            if np.isfinite(v)
            else f"{hc.RULE_NAMES[r]}: never below half"
            for r, v in self.half.items()
        )
        return (
            f"Exact recall of clean patterns first drops below one half for: {words}. Theory for Hebb: "
            f"0.138 N = {0.138 * n:.1f} patterns is the **large-N limit** (N to infinity) with about 1.5 % "
            f"wrong bits allowed (the dashed curves: at least 98.5 % of bits right); exact recall of every "
            f"pattern needs P below N/(2 ln N) = {n / (2 * np.log(n)):.1f}. At N = {n} the cliff is not "
            "sharp: finite networks lose patterns gradually around these loads, and a few neurons hold far "
            "fewer than 0.138 N. Flipped bits in the probe pull every curve down earlier: the valleys are "
            f"still there but narrower. {self.dynamics.capitalize()} updates; {self.setup.trials} seeded "
            "trials per point."
        )

    def _digit_summary(self) -> str:
        n = self.setup.n
        words = ", ".join(
            f"{hc.RULE_NAMES[r]} at P = {v * n:.0f}"
            if np.isfinite(v)
            else f"{hc.RULE_NAMES[r]}: never below half"
            for r, v in self.half.items()
        )
        return (
            f"The digit prototypes (N = {n}): exact recall of clean digits first drops below one half "
            f"for: {words}. Random patterns of the same N would allow about 0.138 N = {0.138 * n:.0f} "
            "for Hebb; the digits share many pixels, so Hebb loses them after a handful, while the "
            f"pseudo-inverse holds every linearly independent digit. {self.dynamics.capitalize()} "
            f"updates; {self.setup.trials} noisy copies per digit and flip level."
        )


def half_recall(table: pd.DataFrame) -> dict[str, float]:
    """Per rule (sorted by name), the smallest load at which clean exact recall is below 0.5 (nan: never)."""
    clean = table[table["flip"] == 0.0]
    return {rule: float(d.loc[d["recall"] < 0.5, "load"].min()) for rule, d in sorted(clean.groupby("rule"))}


def _capacity_row(rule: str, flip: float, P: int, n: int, same: np.ndarray) -> dict:
    """One row of a capacity table from each probe's share of correct bits ``same``."""
    return {
        "rule": rule,
        "flip": flip,
        "P": P,
        "load": P / n,
        "recall": float((same == 1.0).mean()),
        "bits985": float((same >= hd.BITS_RIGHT).mean()),
        "overlap": float(same.mean()),
    }


ASYNC_TRIALS = 10  # the asynchronous sweep runs neuron by neuron: at most this many trials ...
ASYNC_LOADS = 12  # ... at this many loads P from 1 to N/2 (the synchronous sweep takes every P)


def capacity(setup: CapacitySetup, seed: int, dynamics: str = "synchronous") -> Capacity:
    """Store P = 1 .. N/2 random patterns with Hebb, Storkey and the pseudo-inverse and probe them with
    0, 10 and 20 % of their bits flipped (seeded). Asynchronous updates (one neuron at a time, in a
    seeded random order) run on a smaller grid: :data:`ASYNC_LOADS` loads, at most
    :data:`ASYNC_TRIALS` trials."""
    if dynamics == "synchronous":
        table = hd.capacity_sweep(n=setup.n, p_max=setup.n // 2, trials=setup.trials, seed=seed)
        return Capacity(setup, table, half_recall(table))
    n, trials = setup.n, min(setup.trials, ASYNC_TRIALS)
    rng = np.random.default_rng(seed)
    patterns = np.where(rng.random((trials, n // 2, n)) < 0.5, -1.0, 1.0)  # the same sets for every rule
    loads = sorted({int(p) for p in np.linspace(1, n // 2, ASYNC_LOADS).round()})
    flips = (0.0, 0.1, 0.2)
    rows = []
    for rule in hd.CAPACITY_RULES:
        cfg = hc.HopfieldConfig(rule, dynamics, seed=seed)
        for P in loads:
            same = {flip: [] for flip in flips}
            for t in range(trials):
                X = patterns[t, :P]
                W, b = hc.store(X, rule)
                for flip in flips:
                    same[flip].append(
                        (hd.recall(W, b, X, cfg, flip=flip, seed=seed + t).final == X).mean(axis=1)
                    )
            rows += [_capacity_row(rule, flip, P, n, np.concatenate(same[flip])) for flip in flips]
    table = pd.DataFrame(rows)
    return Capacity(CapacitySetup(n, trials), table, half_recall(table), dynamics=dynamics)


CAPACITY_PATTERNS = {"random": "random +-1 patterns", "digits": "the digit prototypes (correlated)"}


def digit_capacity(setup: DigitSetup, dynamics: str, repeats: int, seed: int) -> Capacity:
    """Capacity on the correlated digit prototypes: store digits 0..P-1 (P = 1 .. 10) of ``setup``'s
    source and size with Hebb, Storkey and the pseudo-inverse, probe each with 0, 10 and 20 % of its
    pixels flipped (``repeats`` seeded copies), ``dynamics`` "synchronous" or "asynchronous".

    Returns a :class:`Capacity` whose table has the columns of the random-pattern sweep (``recall``:
    the probe ends exactly on its digit; ``bits985``: at least 98.5 % of its pixels right).
    """
    protos = np.array(hd.prototypes(setup.source, setup.side))
    n = protos.shape[1]
    rows = []
    for rule in hd.CAPACITY_RULES:
        cfg = hc.HopfieldConfig(rule, dynamics, setup.max_iter, seed)
        for P in range(1, 11):
            X = protos[:P]
            W, b = hc.store(X, rule)
            for flip in (0.0, 0.1, 0.2):
                r = hd.recall(W, b, X, cfg, flip=flip, repeats=repeats, seed=seed)
                rows.append(
                    _capacity_row(rule, flip, P, n, (r.final == np.tile(X, (repeats, 1))).mean(axis=1))
                )
    table = pd.DataFrame(rows)
    half = half_recall(table)
    return Capacity(CapacitySetup(n, repeats), table, half, patterns="digits", dynamics=dynamics)
