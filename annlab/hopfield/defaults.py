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
