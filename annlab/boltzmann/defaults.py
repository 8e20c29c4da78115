"""What the RBM inpainting page starts from: the RBM and DBM it trains, the Gibbs steps it shows.

The view, ``python -m annlab warm`` and the tests read these (nothing here is typed twice).
:func:`rbm_spec` and :func:`dbm_spec` apply fast mode (``ANNLAB_FAST``) when called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from annlab.boltzmann import dbm, rbm
from annlab.settings import fast_mode, quick
from annlab.training import TrainSpec

RBM = rbm.RBMConfig(dataset="mnist", n_hidden=200, lr=0.05, num_epochs=20, batch_size=20, k=1, method="pcd")
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
RECON_STEPS = 100  # Gibbs steps of the inpainting (and of the row and location sweeps)
DREAM_STEPS = 200  # Gibbs steps of the dreamed digits
N_DREAMS = 30  # chains dreamed from random pixels
N_SHOWN = 8  # test digits inpainted at once
REGION = "rows"  # what to erase on first open (a key of REGION_LABELS)
FRACTION = 0.5  # fraction of pixels erased by the "random" region
CURVES = ("pseudo_ll_per_pixel", "recon_error")  # the RBM's learning curves

# The settings the page offers, one URL-bound widget per config field:
# field -> (Streamlit widget, label, URL key (links carry it: never rename), widget arguments)
METHODS = {"pcd": "PCD (persistent chains)", "cd": "CD (chains restart at the data)"}
RBM_CONTROLS = {
    "n_hidden": (
        "select_slider",
        "Hidden units",
        "rbm_hidden",
        {"options": [16, 32, 64, 100, 200, 400, 800]},
    ),
    "lr": (
        "select_slider",
        "Learning rate",
        "rbm_lr",
        {
            "options": [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0, 50.0],
            "help": "Step size on the mean gradient of a mini-batch (as scikit-learn's BernoulliRBM). "
            "Very large rates make the weights blow up.",
        },
    ),
    "num_epochs": ("slider", "Epochs", "rbm_epochs", {"min_value": 1, "max_value": 100}),
    "batch_size": ("select_slider", "Batch size", "rbm_batch", {"options": [10, 20, 50, 100, 200]}),
    "k": ("slider", "Gibbs steps per update (k)", "rbm_k", {"min_value": 1, "max_value": 10}),
    "method": ("radio", "Training", "rbm_method", {"options": list(METHODS), "format_func": METHODS.get}),
}
DBM_CONTROLS = {
    "n_hidden1": ("select_slider", "First hidden layer", "rbm_dbm_h1", {"options": [50, 100, 200, 400]}),
    "n_hidden2": ("select_slider", "Second hidden layer", "rbm_dbm_h2", {"options": [25, 50, 100, 200]}),
    "num_epochs": ("slider", "Joint training epochs", "rbm_dbm_epochs", {"min_value": 1, "max_value": 50}),
}
REGION_LABELS = {
    "rows": "rows (choose below)",
    "top": "top third",
    "middle": "middle third",
    "bottom": "bottom third",
    "left": "left half",
    "right": "right half",
    "random": "random pixels",
}  # what to erase: the keys are "rows" and annlab.boltzmann.inpaint.REGIONS


def erased_rows(side: int) -> tuple[int, int]:
    """The band of rows erased on first open: about a fifth of the image, in the middle."""
    from annlab.boltzmann.inpaint import centred_rows

    return centred_rows(side, max(1, side // 5 + 1))


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


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train the page's default RBM (every tab) and DBM (DBM tab) into the model store.

    ``epochs`` (a smoke run) replaces every epoch count of both, fast mode's included."""
    n = max(1, epochs or 1)
    smoke = {"RBM": {"num_epochs": n}, "DBM": {"pretrain_epochs": n, "num_epochs": n}}
    for name, spec in (("RBM", rbm_spec()), ("DBM", dbm_spec())):
        if epochs is not None:
            spec = dataclasses.replace(spec, cfg=dataclasses.replace(spec.cfg, **smoke[name]))
        result = spec.run(device)
        last = result.history[-1] if result.history else {}
        report(
            f"{name}: {'cached' if result.from_cache else 'trained'}, "
            f"held-out reconstruction error {last.get('recon_error', float('nan')):.4f}"
        )
