"""The settings the optimizer page starts from: the one source that the view, the warm-up and tests read.

- :data:`RACE`, :data:`GRID` and the landscape constants: what a plain link shows.
- The page's controls, each a :class:`~annlab.controls.Control` (widget, label, URL key, default,
  choices, help): :data:`NOISE` ..., the tables :data:`RACE_CONTROLS` / :data:`RACE_MORE` / ``GRID_*``
  (config field -> Control) and, for keys of their own per surface, :func:`steps_control` & co.
- :func:`race_config`, :func:`grid_config`: the configs for the page's settings. Fast mode
  (``ANNLAB_FAST=1``) is applied inside them, when they are called, so tests run the page's own code
  path on short races.
- :func:`warm`: runs the race of a plain link into the store.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from annlab.controls import Control
from annlab.optim import OPTIMIZERS
from annlab.optim import experiments as ex
from annlab.optim import landscape as ls
from annlab.optim import race as rc
from annlab.settings import fast_mode, quick

SEED = 0  # the sidebar's default seed: what a plain link races with
RACE = rc.RaceConfig()  # 1-D sine, σ = 0.1, six optimizers, 2 x 50 tanh units, 1,000 epochs
GRID = rc.GridConfig()  # 3 x 3 x 2 x 3 = 54 models, Adam, 300 epochs each
FAST_RACE_EPOCHS, FAST_GRID_EPOCHS = 50, 20

# The landscape playground. Per surface, in the order of landscape.SURFACES: the number of steps, the
# learning rate of GD / momentum / Nesterov, and that of Adagrad / RMSProp / Adam.
SURFACE = ls.Surface(ls.SURFACES[0])  # the ill-conditioned quadratic, κ = 100 (bump θ = 0.7)
LANDSCAPE_OPTIMIZERS = ("GD (full batch)", "Momentum", "Adam")
STEPS = (200, 500, 200, 20)
LR_GD = (0.02, 0.001, 0.01, 0.3)
LR_ADAPTIVE = (0.05, 0.1, 0.1, 0.3)
BETA = 0.9
GRAD_NOISE = 0.0
TUNED = True  # the quadratic starts on the theory's learning rates for GD and momentum
FULL_BATCH = [n for n in OPTIMIZERS if n != "SGD (mini-batch)"]


# The page's controls: widget, label (as on screen), URL key, default and choices, in one place. Keys and
# their meanings never change: shared links carry them.
LR_SCALES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)

# The race's data (the model-selection grid trains on the same data, through the same keys).
NOISE = Control(
    "slider",
    "Noise σ on the targets",
    "opt_noise",
    RACE.data.noise,
    {"min_value": 0.0, "max_value": 1.0, "step": 0.05},
)  # the page's main control
TASK = Control("selectbox", "Regression task", "opt_task", RACE.data.task, {"options": list(rc.TASKS)})
NUMBER = Control(
    "text_input",
    "Student number (personal regression)",
    "opt_number",
    RACE.data.number,
    {"help": "Its five largest digits weight five functions: T = Σ dᵢ Tᵢ / Σ dᵢ."},
)
# The race: RaceConfig field -> its widget, in the settings column ...
RACE_CONTROLS = {
    "lr_scale": Control(
        "select_slider",
        "Learning-rate multiplier",
        "opt_lr_scale",
        RACE.lr_scale,
        {
            "options": list(LR_SCALES),
            "help": "Multiplies every optimizer's own learning rate (table below): push it up to see runs "
            "diverge.",
        },
    ),
    "num_epochs": Control(
        "select_slider", "Epochs", "opt_epochs", RACE.num_epochs, {"options": [100, 300, 1000, 3000]}
    ),
    "layers": Control(
        "slider", "Hidden layers", "opt_layers", RACE.layers, {"min_value": 1, "max_value": 4, "step": 1}
    ),
    "units": Control(
        "select_slider", "Units per layer", "opt_units", RACE.units, {"options": [5, 10, 20, 50, 100]}
    ),
    "activation": Control(
        "selectbox", "Activation", "opt_act", RACE.activation, {"options": list(rc.ACTIVATIONS)}
    ),
}
# ... beside the figure ...
RACE_OPTIMIZERS = Control(
    "multiselect",
    "Optimizers in the race",
    "opt_optimizers",
    list(RACE.optimizers),
    {"options": list(OPTIMIZERS)},
)
# ... and under "More settings".
RACE_MORE = {
    "batch_size": Control(
        "select_slider",
        "Mini-batch size",
        "opt_batch",
        RACE.batch_size,
        {
            "options": [1, 4, 8, 16, 32, 64, 128],
            "help": "Used by 'SGD (mini-batch)' (and by the others with the switch on).",
        },
    ),
    "mini_batch_all": Control(
        "toggle",
        "Mini-batches for all",
        "opt_mb_all",
        RACE.mini_batch_all,
        {"help": "Run momentum, Adam, ... on mini-batches too (GD and L-BFGS stay full-batch)."},
    ),
    "threshold": Control(
        "select_slider",
        "Loss threshold (val MSE)",
        "opt_threshold",
        RACE.threshold,
        {"options": [0.005, 0.01, 0.02, 0.05, 0.1, 0.2]},
    ),
}

# The landscape playground.
LAND_SURFACE = Control(
    "selectbox", "Loss surface", "opt_surface", SURFACE.name, {"options": list(ls.SURFACES)}
)
LAND_KAPPA = Control(
    "select_slider",
    "Condition number κ = L/μ",
    "opt_kappa",
    int(SURFACE.kappa),
    {"options": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]},
)
LAND_THETA = Control(
    "slider", "Bump height θ", "opt_theta", SURFACE.theta, {"min_value": 0.0, "max_value": 2.0, "step": 0.05}
)
LAND_OPTIMIZERS = Control(
    "multiselect", "Optimizers", "opt_land_opts", list(LANDSCAPE_OPTIMIZERS), {"options": list(FULL_BATCH)}
)
LAND_BETA = Control(
    "slider",
    "Momentum β (Momentum, Nesterov)",
    "opt_beta",
    BETA,
    {"min_value": 0.0, "max_value": 0.99, "step": 0.01},
)
LAND_TUNED = Control(
    "toggle",
    "Theory's learning rates for GD and momentum",
    "opt_tuned",
    TUNED,
    {"help": "GD: 2/(L+μ). Momentum: 2(1+β)/(L+μ)."},
)
LAND_GRAD_NOISE = Control(
    "slider",
    "Noise on the gradients (σ)",
    "opt_grad_noise",
    GRAD_NOISE,
    {
        "min_value": 0.0,
        "max_value": 2.0,
        "step": 0.1,
        "help": "Real training is stochastic: add Gaussian noise to every gradient.",
    },
)
STEP_OPTIONS = (10, 20, 50, 100, 200, 500, 1000)
LR_GD_OPTIONS = (1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
LR_ADAPTIVE_OPTIONS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0)


def _per_surface(label: str, key: str, s: int, defaults: tuple, options: tuple, **kw) -> Control:
    """A select slider with one URL key per surface (``opt_steps0`` ... ``opt_steps3``): the surface's
    own default, always among the choices."""
    default = defaults[s]
    return Control(
        "select_slider", label, f"{key}{s}", default, {"options": sorted({*options, default}), **kw}
    )


def steps_control(s: int) -> Control:
    """The number of steps on surface ``s`` (an index into :data:`landscape.SURFACES`)."""
    return _per_surface("Steps", "opt_steps", s, STEPS, STEP_OPTIONS)


def lr_gd_control(s: int) -> Control:
    """The learning rate of GD, momentum and Nesterov on surface ``s``."""
    return _per_surface("Learning rate: GD, momentum, Nesterov", "opt_lr_gd", s, LR_GD, LR_GD_OPTIONS)


def lr_adaptive_control(s: int) -> Control:
    """The learning rate of Adagrad, RMSProp and Adam on surface ``s``."""
    return _per_surface(
        "Learning rate: Adagrad, RMSProp, Adam",
        "opt_lr_ad",
        s,
        LR_ADAPTIVE,
        LR_ADAPTIVE_OPTIONS,
        help="For adaptive methods lr is roughly a step length in x, not a gradient multiplier. Adadelta "
        "and L-BFGS use lr = 1.",
    )


def landscape_controls() -> list[Control]:
    """Every control of the landscape tab, the per-surface ones for every surface."""
    fixed = [LAND_SURFACE, LAND_KAPPA, LAND_THETA, LAND_OPTIMIZERS, LAND_BETA, LAND_TUNED, LAND_GRAD_NOISE]
    per = [f(s) for f in (steps_control, lr_gd_control, lr_adaptive_control) for s in range(len(ls.SURFACES))]
    return fixed + per


# Model selection: GridConfig field -> its widget, one table per column.
GRID_SHAPE = {
    "layers": Control(
        "multiselect", "Hidden layers", "opt_grid_layers", list(GRID.layers), {"options": [1, 2, 3, 4]}
    ),
    "units": Control(
        "multiselect", "Units", "opt_grid_units", list(GRID.units), {"options": [5, 10, 20, 30, 50, 100]}
    ),
}
GRID_SEARCH = {
    "activations": Control(
        "multiselect",
        "Activations",
        "opt_grid_acts",
        list(GRID.activations),
        {"options": list(rc.ACTIVATIONS)},
    ),
    "lrs": Control(
        "multiselect",
        "Learning rates",
        "opt_grid_lrs",
        list(GRID.lrs),
        {"options": [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]},
    ),
}
GRID_TRAINING = {
    "optimizer": Control(
        "selectbox", "Optimizer", "opt_grid_opt", GRID.optimizer, {"options": list(FULL_BATCH)}
    ),
    "num_epochs": Control(
        "select_slider", "Epochs per model", "opt_grid_epochs", GRID.num_epochs, {"options": [100, 300, 1000]}
    ),
}


def all_controls() -> list[Control]:
    """Every URL-bound control of the page (for the tests)."""
    tables = (RACE_CONTROLS, RACE_MORE, GRID_SHAPE, GRID_SEARCH, GRID_TRAINING)
    return [
        NOISE,
        TASK,
        NUMBER,
        RACE_OPTIMIZERS,
        *landscape_controls(),
        *(c for t in tables for c in t.values()),
    ]


def race_config(
    *, task: str = RACE.data.task, noise: float = RACE.data.noise, number: str = RACE.data.number, **race
) -> rc.RaceConfig:
    """The race for these settings (``race``: other :class:`RaceConfig` fields); raises ValueError.

    Values are cast to the types of :data:`RACE` (a widget's list of optimizers becomes a tuple). In
    fast mode a race runs at most :data:`FAST_RACE_EPOCHS` epochs.
    """
    data = rc.TaskConfig(task=task, noise=float(noise), number=str(number))
    fields = {k: type(getattr(RACE, k))(v) for k, v in race.items()}
    cfg = dataclasses.replace(RACE, data=data, **fields)
    return quick(cfg, num_epochs=min(cfg.num_epochs, FAST_RACE_EPOCHS))


def grid_config(
    *, task: str, noise: float, number: str, layers, units, activations, lrs, optimizer: str, num_epochs: int
) -> rc.GridConfig:
    """The model-selection grid on the race's data (lists sorted into tuples); raises ValueError.

    In fast mode every model trains :data:`FAST_GRID_EPOCHS` epochs.
    """
    cfg = rc.GridConfig(
        data=rc.TaskConfig(task=task, noise=float(noise), number=str(number)),
        layers=tuple(sorted(layers)),
        units=tuple(sorted(units)),
        activations=tuple(activations),
        lrs=tuple(sorted(lrs)),
        optimizer=optimizer,
        num_epochs=int(num_epochs),
    )
    return quick(cfg, num_epochs=FAST_GRID_EPOCHS)


def n_betas() -> int:
    """How many momenta the β scan tries (fewer in fast mode)."""
    return 8 if fast_mode() else 40


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Run the race of a plain link (default settings, seed 0) into the store; the landscape trains nothing.

    ``epochs`` (when given) replaces the race's epochs, for a smoke run. The races run on the CPU whatever
    ``device`` says: these networks are far too small to gain from an accelerator.
    """
    cfg = race_config() if epochs is None else dataclasses.replace(race_config(), num_epochs=epochs)
    start = time.perf_counter()
    ex.race(cfg, SEED)
    took = time.perf_counter() - start
    report(f"race: {len(cfg.optimizers)} optimizers x {cfg.num_epochs} epochs in {took:.1f} s")
