"""What the RBM inpainting page starts from: the RBM and DBM it trains, its controls and their defaults.

The view, ``python -m annlab warm`` and the tests read these (nothing here is typed twice). Each control
is a :class:`Control` (widget, label, URL key, default), so a default and its widget live on one line.
:func:`rbm_spec` and :func:`dbm_spec` apply fast mode (``ANNLAB_FAST``) when called, not at import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from annlab.boltzmann import dbm, rbm
from annlab.boltzmann.inpaint import centred_rows
from annlab.controls import Control
from annlab.settings import fast_mode, quick
from annlab.training import TrainSpec

# PCD-5 (not PCD-1), 400 hidden units, 30 epochs, the rate falling linearly to 0, one chain per digit:
# chosen on validation digits carved from the training split (bench/rbm_select.py: 86 % label accuracy
# there with 6 middle rows erased, against 84 % for the old default).
# On the 1,000 test digits with 6 middle rows erased (bench/rbm.py) the classifier then reads 85.2 % of
# the fills right (the old default, 200 hidden units, 20 epochs at a constant rate: 83 %; clean digits
# 88.9 %, the mean-image fill 65.8 %).
RBM = rbm.RBMConfig(
    dataset="mnist",
    n_hidden=400,
    lr=0.05,
    num_epochs=30,
    batch_size=20,
    k=5,
    method="pcd",
    lr_schedule="linear",
)
DBM = dbm.DBMConfig(
    dataset="mnist",
    n_hidden1=200,
    n_hidden2=100,
    lr=0.05,
    pretrain_epochs=10,
    num_epochs=10,
    batch_size=50,
    n_chains=100,
    mf_steps=10,
)
DATASETS = {"MNIST-5k (28x28)": "mnist", "8x8 digits": "digits8"}  # label on screen -> RBMConfig.dataset
STEP_OPTIONS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]  # Gibbs steps a slider offers
SHORT_CHAIN = 200  # a Gibbs-steps slider's chain first runs to here, then (once) to max(STEP_OPTIONS)
N_DREAMS = 30  # chains dreamed from random pixels
N_SHOWN = 8  # test digits inpainted at once (examples: the metrics are scored on N_SCORED)
N_SCORED = 500  # the first test digits the Inpainting tab's four metrics are computed on (100 in fast mode)
# Clamped chains per digit whose mean is the fill. On validation digits (bench/rbm_select.py) the mean of
# 4 chains always lowered the squared error but did not read right more often than one chain: 1.
N_CHAINS = 1
CURVES = ("pseudo_ll_per_pixel", "recon_error", "free_energy_gap")  # the RBM's learning curves
SMALL_CURVES = ("exact_ll_per_pixel", "pseudo_ll_per_pixel", "free_energy_gap")  # the small RBMs'
N_RECON = 10  # test digits reconstructed v -> h -> v on the Training tab
TABS = (  # also the values of the URL key rbm_tab: links carry them
    "Inpainting",
    "Inpainting sweeps",
    "Training and filters",
    "Dreaming (Gibbs sampling)",
    "Deep Boltzmann machine",
    "Likelihood: CD vs PCD",
)
# The Likelihood tab: RBMs small enough that log Z is an exact sum over the 2**H hidden states.
SMALL_RBM = rbm.RBMConfig(dataset="mnist", n_hidden=10, lr=0.05, num_epochs=20, batch_size=20, k=1)


METHODS = {"pcd": "PCD (persistent chains)", "cd": "CD (chains restart at the data)"}
LR_SCHEDULES = {"constant": "constant", "linear": "falling linearly to 0"}  # RBMConfig.lr_schedule
DATA = Control("selectbox", "Digits", "rbm_data", "MNIST-5k (28x28)", {"options": list(DATASETS)})
RBM_CONTROLS = {  # RBMConfig field -> its widget in the RBM settings
    "n_hidden": Control(
        "select_slider",
        "Hidden units",
        "rbm_hidden",
        RBM.n_hidden,
        {"options": [10, 16, 20, 32, 64, 100, 200, 400, 800]},
    ),
    "lr": Control(
        "select_slider",
        "Learning rate",
        "rbm_lr",
        RBM.lr,
        {
            "options": [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0, 50.0],
            "help": "Step size on the mean gradient of a mini-batch (as scikit-learn's BernoulliRBM). "
            "Very large rates make the weights blow up.",
        },
    ),
    "num_epochs": Control(
        "slider", "Epochs", "rbm_epochs", RBM.num_epochs, {"min_value": 1, "max_value": 100}
    ),
    "batch_size": Control(
        "select_slider", "Batch size", "rbm_batch", RBM.batch_size, {"options": [10, 20, 50, 100, 200]}
    ),
    "k": Control("slider", "Gibbs steps per update (k)", "rbm_k", RBM.k, {"min_value": 1, "max_value": 10}),
    "method": Control(
        "radio", "Training", "rbm_method", RBM.method, {"options": list(METHODS), "format_func": METHODS.get}
    ),
    "momentum": Control(
        "select_slider",
        "Momentum",
        "rbm_momentum",
        RBM.momentum,
        {"options": [0.0, 0.5, 0.9], "help": "Share of the last update added to the next (Hinton's guide)."},
    ),
    "lr_schedule": Control(
        "radio",
        "Learning rate schedule",
        "rbm_lr_schedule",
        RBM.lr_schedule,
        {
            "options": list(LR_SCHEDULES),
            "format_func": LR_SCHEDULES.get,
            "help": "A rate falling to 0 lets the weights and the persistent chains settle at the end "
            "(Tieleman 2008).",
        },
    ),
}
SMALL_CONTROLS = {  # RBMConfig field -> its widget on the Likelihood tab (both small RBMs share them)
    "n_hidden": Control(
        "select_slider",
        "Hidden units (exact likelihood: 2^H states)",
        "rbm_small_hidden",
        SMALL_RBM.n_hidden,
        {"options": [4, 6, 8, 10, 12, 16]},
    ),
    "k": Control(
        "slider", "Gibbs steps per update (k)", "rbm_small_k", SMALL_RBM.k, {"min_value": 1, "max_value": 10}
    ),
    "num_epochs": Control(
        "slider", "Epochs", "rbm_small_epochs", SMALL_RBM.num_epochs, {"min_value": 1, "max_value": 100}
    ),
}
DBM_CONTROLS = {  # DBMConfig field -> its widget on the DBM tab
    "n_hidden1": Control(
        "select_slider", "First hidden layer", "rbm_dbm_h1", DBM.n_hidden1, {"options": [50, 100, 200, 400]}
    ),
    "n_hidden2": Control(
        "select_slider", "Second hidden layer", "rbm_dbm_h2", DBM.n_hidden2, {"options": [25, 50, 100, 200]}
    ),
    "num_epochs": Control(
        "slider", "Joint training epochs", "rbm_dbm_epochs", DBM.num_epochs, {"min_value": 1, "max_value": 50}
    ),
}
RECON_STEPS = Control(
    "select_slider",
    "Gibbs steps",
    "rbm_recon_steps",
    100,
    {
        "options": STEP_OPTIONS,
        "help": "Gibbs steps with the known pixels clamped; the reconstruction is the mean of "
        "P(pixel on | hidden) over the second half of the steps (and over the chains per digit).",
    },
)  # the page's main control
CHAINS = Control(
    "select_slider",
    "Chains per digit",
    "rbm_chains",
    N_CHAINS,
    {
        "options": [1, 2, 4, 8, 16],
        "help": "Independent clamped Gibbs chains per digit, each from its own random start; the fill is "
        "their mean. One chain can settle on one guess; the mean of several estimates the RBM's average "
        "guess better (the digit's label is read right more often), at the cost of more sampling.",
    },
)
REGION_LABELS = {
    "rows": "rows (choose below)",
    "top": "top third",
    "middle": "middle third",
    "bottom": "bottom third",
    "left": "left half",
    "right": "right half",
    "random": "random pixels",
}  # what to erase: "rows" and annlab.boltzmann.inpaint.REGIONS
REGION = Control(
    "selectbox",
    "What to erase",
    "rbm_region",
    "rows",
    {"options": list(REGION_LABELS), "format_func": REGION_LABELS.get},
)
FRACTION = Control(
    "slider", "Fraction of pixels erased", "rbm_frac", 0.5, {"min_value": 0.1, "max_value": 0.9, "step": 0.1}
)
DREAM_STEPS = Control("select_slider", "Gibbs steps", "rbm_gibbs_steps", 200, {"options": STEP_OPTIONS})
SWEEP_STEPS = Control(
    "select_slider", "Gibbs steps for the row sweeps", "rbm_sweep_steps", 100, {"options": STEP_OPTIONS}
)
SWEEP_DBM = Control("toggle", "Compare with the DBM (the DBM tab's default settings)", "rbm_sweep_dbm", False)


def erased_rows(side: int) -> tuple[int, int]:
    """The band of rows erased on first open: about a fifth of the image, in the middle."""
    return centred_rows(side, max(1, side // 5 + 1))


def rows_control(side: int) -> Control:
    """The band of erased rows (its key names the image side: 8x8 and 28x28 links keep their own)."""
    return Control(
        "slider",
        "Erased rows (start, end)",
        f"rbm_rows{side}",
        erased_rows(side),
        {"min_value": 0, "max_value": side - 1},
    )


def first_control(side: int, n_test: int) -> Control:
    """The first of the test digits shown (of ``n_test``), in steps of :data:`N_SHOWN`."""
    kw = {"min_value": 0, "max_value": n_test - N_SHOWN, "step": N_SHOWN}
    return Control("number_input", "First test digit", f"rbm_first{side}", 0, kw)


def chain_length(steps: int, *, whole: bool = False) -> int:
    """How far a Gibbs-steps slider's chain runs to show ``steps``: the slider's largest step when
    ``whole`` (the chain is cheap: one chain per test digit, about 0.3 s on a CPU core for 2,000 steps,
    paid once when the page opens, so no later position of the slider computes), else
    :data:`SHORT_CHAIN` for the first positions and the largest step beyond them. Every position up to
    there is a snapshot of that chain."""
    return SHORT_CHAIN if int(steps) <= SHORT_CHAIN and not whole else max(STEP_OPTIONS)


def n_scored() -> int:
    """Test digits the Inpainting tab scores: :data:`N_SCORED`, 100 in fast mode."""
    return 100 if fast_mode() else N_SCORED


def score_length(steps: int, n_chains: int) -> tuple[int, bool]:
    """How far the scoring chains run to show ``steps`` (as :func:`chain_length`, short first), and
    whether that runs by itself: at most ``n_scored() x 2 x SHORT_CHAIN`` digit-chain-steps (about
    10 s on one CPU core for 500 digits) do; more (over 200 steps, or many chains) wait for a button."""
    length = chain_length(steps)
    return length, n_scored() * int(n_chains) * length <= 2 * n_scored() * SHORT_CHAIN


def chain_positions(length: int) -> tuple[int, ...]:
    """The slider positions a chain of ``length`` steps keeps."""
    return tuple(s for s in STEP_OPTIONS if s <= length)


def small_rbm_spec(dataset: str = SMALL_RBM.dataset, seed: int = 0, **changes) -> TrainSpec:
    """A small RBM of the Likelihood tab (exact log-likelihood per epoch); 3 epochs in fast mode.
    CD and PCD with the same ``seed`` start from the same weights."""
    cfg = quick(dataclasses.replace(SMALL_RBM, dataset=dataset, **changes), num_epochs=3)
    split, data_key = rbm.binary_digits(dataset, seed)
    return TrainSpec(
        cfg,
        rbm.train_rbm,
        rbm.build,
        lambda: (split.X_train, split.X_test),
        data_key=data_key,
        seed=seed,
        label=f"the small RBM ({METHODS[cfg.method].split(' ')[0]})",
        curves=SMALL_CURVES,
    )


def rbm_spec(dataset: str = RBM.dataset, seed: int = 0, **changes) -> TrainSpec:
    """The RBM the page trains: :data:`RBM` with the settings' ``changes``, 2 epochs in fast mode."""
    cfg = quick(dataclasses.replace(RBM, dataset=dataset, **changes), num_epochs=2)
    split, data_key = rbm.binary_digits(dataset, seed)
    return TrainSpec(
        cfg,
        rbm.train_rbm,
        rbm.build,
        lambda: (split.X_train, split.X_test),
        data_key=data_key,
        seed=seed,
        label="the RBM",
        curves=CURVES,
    )


def dbm_spec(dataset: str = DBM.dataset, seed: int = 0, **changes) -> TrainSpec:
    """The DBM of the DBM tab: :data:`DBM` with ``changes``; one epoch per stage in fast mode."""
    cfg = quick(dataclasses.replace(DBM, dataset=dataset, **changes), pretrain_epochs=1, num_epochs=1)
    split, data_key = rbm.binary_digits(dataset, seed)
    return TrainSpec(
        cfg,
        dbm.train_dbm,
        dbm.build,
        lambda: (split.X_train, split.X_test),
        data_key=data_key,
        seed=seed,
        label="the DBM",
        curves=("recon_error",),
    )


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """What the on-demand sweeps try: test digits, Gibbs step counts, erased fractions, band positions."""

    n_test: int
    steps: tuple[int, ...]
    fractions: tuple[float, ...]
    n_positions: int


def sweep_plan() -> SweepPlan:
    """The sweeps' grid (small in fast mode)."""
    if fast_mode():
        return SweepPlan(20, (1, 10, 50), (0.2, 0.5), 3)
    return SweepPlan(150, (1, 5, 10, 20, 50, 100, 200), (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7), 6)


def _warm(specs: list, device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    from annlab.jobs import run_all

    n = max(1, epochs or 1)
    smoke = {"DBM": {"pretrain_epochs": n, "num_epochs": n}}
    if epochs is not None:
        specs = [
            (
                name,
                dataclasses.replace(
                    spec, cfg=dataclasses.replace(spec.cfg, **smoke.get(name, {"num_epochs": n}))
                ),
            )
            for name, spec in specs
        ]
    results = run_all([spec for _, spec in specs], device)  # the pool trains them side by side
    for (name, _), result in zip(specs, results, strict=True):
        last = result.history[-1] if result.history else {}
        report(
            f"{name}: {'cached' if result.from_cache else 'trained'}, "
            f"held-out reconstruction error {last.get('recon_error', float('nan')):.4f}"
        )


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train the page's default RBM (every tab), DBM (DBM tab) and the two small RBMs (Likelihood tab)
    into the model store.

    ``epochs`` (a smoke run) replaces every epoch count, fast mode's included."""
    specs = [("RBM", rbm_spec()), ("DBM", dbm_spec())]
    specs += [(f"small RBM ({m})", small_rbm_spec(method=m)) for m in METHODS]
    _warm(specs, device, epochs, report)


def warm_sliders(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Only what the Gibbs-step sliders (inpainting, dreaming) need: the default RBM. Their chains run
    once per server process, to the slider's largest step, and keep every position."""
    _warm([("RBM", rbm_spec())], device, epochs, report)
