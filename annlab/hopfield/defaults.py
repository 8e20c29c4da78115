"""The settings the Hopfield page starts from: the one source the view, warm-up and tests read.

Hopfield weights are closed-form (no training), so there is nothing to put in the model store:
:func:`warm` only says so.
"""

from __future__ import annotations

from collections.abc import Callable

from annlab.hopfield import experiments as ex
from annlab.settings import fast_mode, quick

PRESETS = {
    "2 neurons: [1,1], [-1,-1], [1,-1]": "1 1\n-1 -1\n1 -1",
    "3 neurons: [1,1,1], [-1,-1,-1], [1,-1,1]": "1 1 1\n-1 -1 -1\n1 -1 1",
    "my own targets": None,
}
PRESET = next(iter(PRESETS))
OWN_TARGETS = "1 -1 1 -1\n-1 -1 1 1"  # the text box's example when "my own targets" is chosen
POINT = "0.3, -0.2"
AZIMUTH, ELEVATION = 35, 20  # the 3-D cube's first view, degrees

NOISE = 0.6  # Gaussian noise level added to the +-1 pixels (the main control)
FLIP = 0.1  # share of flipped pixels
SWEEP_KIND = "flip"
METRIC = "recall"


def small_network(seed: int = 0) -> ex.SmallSetup:
    """MATLAB's newhop design on the 2-neuron preset, run synchronously from 200 random starts."""
    return ex.small_setup(PRESETS[PRESET], "newhop", "synchronous", 60, ex.STARTS[0], 200, POINT, seed)


def digits() -> ex.DigitSetup:
    """The ten MNIST prototypes at 16x16 in the pseudo-inverse rule, 20 synchronous iterations."""
    return ex.digit_setup("mnist", 16, "pseudoinverse", range(10), "synchronous", 20)


def sweep_repeats() -> int:
    """Noisy copies of each digit per level in the noise sweep (3 in fast mode)."""
    return 3 if fast_mode() else 20


def capacity() -> ex.CapacitySetup:
    """100 neurons, 50 seeded random pattern sets per load (10 in fast mode)."""
    return quick(ex.CapacitySetup(100, 50), trials=10)


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Nothing to train: Hopfield weights are closed-form, computed in well under a second on open."""
    report("Hopfield: nothing to train (closed-form weights).")


def controls() -> dict[str, object]:
    """Every URL-bound control of the page (its widget key) and the value it starts from."""
    s, d, c = small_network(), digits(), capacity()
    return {
        "hop_preset": PRESET,
        "hop_targets": OWN_TARGETS,
        "hop_rule": s.rule,
        "hop_dyn": s.dynamics,
        "hop_iter": s.max_iter,
        "hop_starts": s.starts,
        "hop_nrand": s.n_random,
        "hop_point": POINT,
        "hop_src": d.source,
        "hop_side": d.side,
        "hop_digits": list(d.digits),
        "hop_drule": d.rule,
        "hop_ddyn": d.dynamics,
        "hop_diter": d.max_iter,
        "hop_noise": NOISE,
        "hop_flip": FLIP,
        "hop_capn": c.n,
        "hop_trials": c.trials,
        "hop_metric": METRIC,
    }


def start(key: str) -> dict[str, object]:
    """How the control ``key`` (a widget key such as ``hop_noise``) starts: ``default`` and ``help``."""
    return {"default": controls()[key], "help": HELP.get(key)}


HELP = {  # what a control means, shown on its "?"
    "hop_targets": "Example: `1 -1 1` on one line and `-1 1 1` on the next stores two 3-neuron targets.",
    "hop_rule": "newhop is MATLAB's design (Li, Michel & Porod) with saturating-linear updates "
    "a(k+1) = satlins(W a(k) + b); the others use sign updates.",
    "hop_dyn": "Synchronous: every neuron at once. Asynchronous: one neuron at a time, in a random order "
    "(seeded), one iteration = one sweep over all neurons.",
    "hop_nrand": "Uniform in [-1, 1] per neuron, seeded by the sidebar seed. The basin shares use all of "
    "them; the plots draw the first 300.",
    "hop_side": "Each prototype (the mean image of a digit class) is resized and binarised to +-1; "
    "N = side x side neurons. The scikit-learn digits are 8x8: N = 64.",
    "hop_digits": "Fewer digits, fewer overlaps: Hebb's rule copes with two or three digits, not with ten.",
    "hop_noise": "noisy = digit + level x N(0, 1), as in the course; the first update binarises it.",
}
