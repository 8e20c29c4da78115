"""The settings the Hopfield page starts from: the one source the view, warm-up and tests read.

Each URL-bound control of the page is a :class:`Control` (widget, label, URL key, default, options and
help), so a default and its widget live in one place. Hopfield weights are closed-form (no training),
so there is nothing to put in the model store: :func:`warm` only says so.
"""

from __future__ import annotations

from collections.abc import Callable

from annlab.controls import Control
from annlab.hopfield import core as hc
from annlab.hopfield import digits as hd
from annlab.hopfield import experiments as ex
from annlab.settings import fast_mode, quick

PRESETS = {
    "2 neurons: [1,1], [-1,-1], [1,-1]": "1 1\n-1 -1\n1 -1",
    "3 neurons: [1,1,1], [-1,-1,-1], [1,-1,1]": "1 1 1\n-1 -1 -1\n1 -1 1",
    "my own targets": None,
}
AZIMUTH, ELEVATION = 35, 20  # the 3-D cube's first view, degrees
SWEEP_KIND = "flip"
TRIALS = 50  # random pattern sets per load in the capacity experiment (10 in fast mode)


def _rules(**kw) -> dict:
    return {"options": list(hc.RULES), "format_func": hc.RULE_NAMES.get, **kw}


def _dynamics(**kw) -> dict:
    return {"options": list(hc.DYNAMICS), "horizontal": True, **kw}


# The digit network (a popover shared by the noise and the drawing tabs) and the noise.
SOURCE = Control(
    "selectbox",
    "Digit prototypes from",
    "hop_src",
    "mnist",
    {"options": list(hd.SOURCES), "format_func": hd.SOURCES.get},
)
SIDE = Control(
    "select_slider",
    "Image size (pixels per side)",
    "hop_side",
    16,
    {
        "options": list(hd.SIDES),
        "help": "Each prototype (the mean image of a digit class) is resized and binarised to +-1; "
        "N = side x side neurons. The scikit-learn digits are 8x8: N = 64.",
    },
)
DIGITS = Control(
    "multiselect",
    "Digits to store",
    "hop_digits",
    list(range(10)),
    {
        "options": list(range(10)),
        "help": "Fewer digits, fewer overlaps: Hebb's rule copes with two or three digits, not with ten.",
    },
)
DIGIT_RULE = Control("selectbox", "Storage rule ", "hop_drule", "pseudoinverse", _rules())
DIGIT_DYN = Control("radio", "Updates ", "hop_ddyn", "synchronous", _dynamics())
DIGIT_ITER = Control("slider", "Iterations", "hop_diter", 20, {"min_value": 1, "max_value": 100})
NOISE = Control(
    "slider",
    "Noise level (Gaussian, added to the +-1 pixels)",
    "hop_noise",
    0.6,
    {
        "min_value": 0.0,
        "max_value": ex.NOISE_MAX,
        "step": ex.NOISE_STEP,
        "help": "noisy = digit + level x N(0, 1), as in the course (its table goes to 10); the first "
        "update binarises it. Every position is computed once, so moving the slider only picks one.",
    },
)  # the page's main control


def step_control(max_iter: int = 20) -> Control:
    """The iteration stepper of the digit section: 0 .. ``max_iter`` (the iterations the network ran
    until every probe stopped changing, at most the Iterations setting), starting at the last one."""
    kw = {
        "min_value": 0,
        "max_value": int(max_iter),
        "help": "0 = the binarised noisy input. Every iteration is kept, so stepping runs nothing. The "
        "range ends where the last probe stopped changing (or at the Iterations setting): later "
        "iterations would show the same states.",
    }
    return Control("slider", "Show the state after iteration", "hop_dstep", int(max_iter), kw)


def step_off(n_iter: int) -> str | None:
    """Why the iteration stepper does nothing (None when it has iterations to show)."""
    return None if n_iter >= 1 else "The network ran no iteration to step through here."


FLIP = Control(
    "slider", "Flipped pixels (share)", "hop_flip", 0.1, {"min_value": 0.0, "max_value": 0.5, "step": 0.01}
)

# The small networks.
PRESET = Control("selectbox", "Targets", "hop_preset", next(iter(PRESETS)), {"options": list(PRESETS)})
OWN_TARGETS = Control(  # the example in the text box when "my own targets" is chosen
    "text_area",
    "My own targets (one per line, entries +1 or -1)",
    "hop_targets",
    "1 -1 1 -1\n-1 -1 1 1",
    {
        "height": 90,
        "help": "Example: `1 -1 1` on one line and `-1 1 1` on the next stores two 3-neuron targets.",
    },
)
RULE = Control(
    "selectbox",
    "Storage rule",
    "hop_rule",
    "newhop",
    _rules(
        help="newhop is MATLAB's design (Li, Michel & Porod) with saturating-linear updates "
        "a(k+1) = satlins(W a(k) + b); the others use sign updates."
    ),
)
DYN = Control(
    "radio",
    "Updates",
    "hop_dyn",
    "synchronous",
    _dynamics(
        help="Synchronous: every neuron at once. Asynchronous: one neuron at a time, in a random order "
        "(seeded), one iteration = one sweep over all neurons."
    ),
)
ITER = Control("slider", "Iterations (at most)", "hop_iter", 60, {"min_value": 1, "max_value": 300})
START_KIND = Control("radio", "Starting points", "hop_starts", ex.STARTS[0], {"options": list(ex.STARTS)})
N_RANDOM = Control(
    "slider",
    "Number of random inputs",
    "hop_nrand",
    200,
    {
        "min_value": 10,
        "max_value": 10_000,
        "step": 10,
        "help": "Uniform in [-1, 1] per neuron, seeded by the sidebar seed. The basin shares use all of "
        "them; the plots draw the first 300.",
    },
)
POINT = Control("text_input", "My start point", "hop_point", "0.3, -0.2")

# The capacity cliff.
CAP_N = Control("slider", "Neurons N", "hop_capn", 100, {"min_value": 40, "max_value": 200, "step": 20})
CAP_PATTERNS = Control(
    "radio",
    "Patterns",
    "hop_cap_pat",
    "random",
    {"options": list(ex.CAPACITY_PATTERNS), "horizontal": True, "format_func": ex.CAPACITY_PATTERNS.get},
)
CAP_DYN = Control(
    "radio",
    "Updates",
    "hop_cap_dyn",
    "synchronous",
    _dynamics(
        help="Synchronous: every neuron at once (random patterns: every load P). Asynchronous: one neuron at "
        "a time in a random order; for random patterns on a smaller grid (12 loads, at most 10 trials)."
    ),
)
METRIC = Control(
    "radio",
    "Count as recalled",
    "hop_metric",
    "both",
    {"options": list(ex.METRICS), "horizontal": True, "format_func": ex.METRICS.get},
)


def trials_control(patterns: str = "random", dynamics: str = "synchronous") -> Control:
    """Trials per load: :data:`TRIALS`, 10 in fast mode (read when drawn, not at import). Random patterns
    under asynchronous updates run at most :data:`experiments.ASYNC_TRIALS` trials, so there the range
    ends at that (a value held from before is clamped: the positions above it would change nothing)."""
    capped = patterns == "random" and dynamics == "asynchronous"
    kw = {"min_value": 5, "max_value": ex.ASYNC_TRIALS if capped else 100, "step": 5}
    if capped:
        kw["help"] = (
            f"Asynchronous updates run neuron by neuron, so random patterns get at most {ex.ASYNC_TRIALS} "
            "trials per point (and 12 loads); synchronous updates allow up to 100."
        )
    default = min(capacity().trials, kw["max_value"])
    return Control("slider", "Trials (random pattern sets) per point", "hop_trials", default, kw)


def page_controls() -> list[Control]:
    """Every URL-bound control of the page, tab by tab."""
    return [
        *(
            SOURCE,
            SIDE,
            DIGITS,
            DIGIT_RULE,
            DIGIT_DYN,
            DIGIT_ITER,
            NOISE,
            FLIP,
            step_control(DIGIT_ITER.default),
        ),
        *(PRESET, OWN_TARGETS, RULE, DYN, ITER, START_KIND, N_RANDOM, POINT),
        *(CAP_N, trials_control(), METRIC, CAP_PATTERNS, CAP_DYN),
    ]


def small_network(seed: int = 0) -> ex.SmallSetup:
    """MATLAB's newhop design on the 2-neuron preset, run synchronously from 200 random starts."""
    c = (RULE, DYN, ITER, START_KIND, N_RANDOM, POINT)
    return ex.small_setup(PRESETS[PRESET.default], *(x.default for x in c), seed)


def digits() -> ex.DigitSetup:
    """The ten MNIST prototypes at 16x16 in the pseudo-inverse rule, 20 synchronous iterations."""
    c = (SOURCE, SIDE, DIGIT_RULE, DIGITS, DIGIT_DYN, DIGIT_ITER)
    return ex.digit_setup(*(x.default for x in c))


def sweep_repeats() -> int:
    """Noisy copies of each digit per level in the noise sweep (3 in fast mode)."""
    return 3 if fast_mode() else 20


def capacity() -> ex.CapacitySetup:
    """100 neurons, 50 seeded random pattern sets per load (10 in fast mode)."""
    return quick(ex.CapacitySetup(CAP_N.default, TRIALS), trials=10)


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Nothing to train: Hopfield weights are closed-form. Times the noise slider's precomputation (every
    level, every iteration kept), which the page does once per server on first open."""
    import time

    start = time.perf_counter()
    levels = ex.digit_recall_levels(digits(), FLIP.default, 0)
    report(
        f"Hopfield: nothing to train (closed-form weights); the {len(levels.levels)} noise positions take "
        f"{time.perf_counter() - start:.1f} s on first open."
    )
