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
from annlab.optim import FULL_BATCH_ONLY, OPTIMIZERS
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
    {
        "min_value": 0.0,
        "max_value": 2.0,
        "step": 0.05,
        "help": "Gaussian noise on every target (train, validation, test). The dotted line on the loss "
        "charts is the noise floor σ².",
    },
)  # the page's main control
NOISE_POSITIONS = tuple(round(0.05 * i, 2) for i in range(41))  # every position of the slider (warmed)
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
    "threshold_above_floor": Control(
        "toggle",
        "Threshold above the noise floor (σ² + threshold)",
        "opt_thr_floor",
        RACE.threshold_above_floor,
        {
            "help": "Off: val MSE ≤ threshold, which no run can reach once σ² is above it. On: "
            "val MSE ≤ σ² + threshold, comparable at every noise level."
        },
    ),
}

# Per-optimizer settings of the race (only the chosen optimizers' are drawn) and a second run.
RACE_LR_OPTIONS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
SLUGS = {
    "GD (full batch)": "gd",
    "SGD (mini-batch)": "sgd",
    "Momentum": "mom",
    "Nesterov": "nest",
    "Adagrad": "adagrad",
    "RMSProp": "rmsprop",
    "Adam": "adam",
    "Adadelta": "adadelta",
    "L-BFGS": "lbfgs",
}
LBFGS_ITER_OPTIONS = (1, 2, 5, 10, 20)


def _lr_choice(label: str, key: str, default: float) -> Control:
    return Control("select_slider", label, key, default, {"options": sorted({*RACE_LR_OPTIONS, default})})


def tuning_controls(names) -> dict[tuple[str, str], Control]:
    """(what, optimizer) -> Control for each optimizer in ``names``: its learning rate (before the
    multiplier), β for Momentum / Nesterov, iterations per step for L-BFGS."""
    out: dict[tuple[str, str], Control] = {}
    for n in names:
        out[("lr", n)] = _lr_choice(f"{n}: lr", f"opt_rlr_{SLUGS[n]}", rc.DEFAULT_LR[n])
        if n in rc.MOMENTUM_NAMES:
            out[("momentum", n)] = Control(
                "slider",
                f"{n}: β",
                f"opt_rmom_{SLUGS[n]}",
                rc.DEFAULT_MOMENTUM,
                {"min_value": 0.05 if n == "Nesterov" else 0.0, "max_value": 0.99, "step": 0.01},
            )
        if n == "L-BFGS":
            out[("max_iter", n)] = Control(
                "select_slider",
                "L-BFGS: iterations per step",
                "opt_lbfgs_iter",
                rc.DEFAULT_LBFGS_ITER,
                {"options": list(LBFGS_ITER_OPTIONS)},
            )
    return out


NO_TWIN = "none"
TWIN_CONTROLS = {
    "name": Control(
        "selectbox",
        "Race this optimizer a second time",
        "opt_twin",
        NO_TWIN,
        {"options": [NO_TWIN, *OPTIMIZERS]},
    ),
    "lr": _lr_choice("its lr", "opt_twin_lr", 0.1),
    "momentum": Control(
        "slider",
        "its β (Momentum, Nesterov)",
        "opt_twin_mom",
        0.5,
        {"min_value": 0.05, "max_value": 0.99, "step": 0.01},
    ),
    "max_iter": Control(
        "select_slider", "its iterations (L-BFGS)", "opt_twin_iter", 1, {"options": list(LBFGS_ITER_OPTIONS)}
    ),
}
#: The race of the KU Leuven report (seed 001, §1.3 Q3): SGD at lr 0.05 and 0.1, Nesterov at 0.1 with β
#: 0.9, Adam at its usual 0.001, L-BFGS with one iteration per step; the query of a link that opens it.
REPORT_RACE = {
    "opt_optimizers": "GD (full batch),Nesterov,Adam,L-BFGS",
    "opt_rlr_gd": "0.05",
    "opt_twin": "GD (full batch)",
    "opt_twin_lr": "0.1",
    "opt_rlr_nest": "0.1",
    "opt_rmom_nest": "0.9",
    "opt_rlr_adam": "0.001",
    "opt_lbfgs_iter": "1",
}

# The page's texts.
LEAD = (
    "Every optimizer starts from **the same initial weights** on **the same data**. A run whose loss blows "
    "up is stopped and the page says why."
)
LOOK_FOR = (
    "Which optimizer gets low first *per epoch* and which *per second*; how the noise floor σ² stops every "
    "run; what momentum buys on a narrow valley; why Adam gets over a bump where gradient descent stays "
    "stuck; what L2, dropout and early stopping do to an overfitting network."
)
FIT_TITLE = ":material/show_chart: The data and each optimizer's fit against the noise-free truth"
SWEEPS_INTRO = (
    "Each row is a whole race with these settings (the **Race** tab's); races run before are loaded."
)
REG_INTRO = (
    "Adam on **few training points** with a large network overfits: the training loss keeps falling while "
    "the validation loss turns up. Each remedy starts from the same initial weights."
)
GRID_INTRO = (
    "Every combination is trained on the race's data from seeded initial weights; the model with the "
    "lowest **validation** MSE is chosen, and only then is the test set used."
)


def sweeps(sigmas, units) -> tuple:
    """The sweeps tab's three sweeps: (button label, what, values)."""
    return (
        ("Sweep the noise σ", "noise", sigmas),
        ("Sweep the network size", "units", units),
        ("Repeat over initial weights", "repeat", ()),
    )


# The sweeps tab.
SWEEP_REPEATS = Control(
    "select_slider", "Initial weights per setting (repeats)", "opt_repeats", 3, {"options": [1, 2, 3, 5, 10]}
)
SWEEP_SIGMAS = Control(
    "multiselect",
    "σ values",
    "opt_sweep_sigmas",
    [0.1, 0.3, 0.9, 1.0, 1.3, 1.6, 1.9, 2.0],
    {"options": [p for p in NOISE_POSITIONS if p > 0]},
)  # the report's list (seed 001, §1.3 Q1)
SWEEP_UNITS = Control(
    "multiselect", "Units per layer", "opt_sweep_units", [10, 50, 100], {"options": [5, 10, 20, 50, 100, 200]}
)

# The regularisation tab: Adam on few training points with a large network, and three remedies.
REG_CONTROLS = {
    "n_train": Control(
        "select_slider", "Training points kept", "opt_reg_ntrain", 20, {"options": [10, 20, 30, 60, 120]}
    ),
    "units": Control(
        "select_slider", "Units per layer (2 layers)", "opt_reg_units", 100, {"options": [20, 50, 100, 200]}
    ),
    "num_epochs": Control(
        "select_slider", "Epochs", "opt_reg_epochs", 2000, {"options": [500, 1000, 2000, 4000]}
    ),
    "weight_decay": Control(
        "select_slider",
        "L2 weight λ",
        "opt_reg_l2",
        0.001,
        {"options": [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03]},
    ),
    "dropout": Control(
        "select_slider",
        "Dropout probability",
        "opt_reg_dropout",
        0.2,
        {"options": [0.05, 0.1, 0.2, 0.3, 0.5]},
    ),
    "patience": Control(
        "select_slider",
        "Early stopping: patience (epochs)",
        "opt_reg_patience",
        100,
        {"options": [20, 50, 100, 200, 500]},
    ),
}
REG_LR = 0.01
FAST_REG_EPOCHS = 60

# Seed 004's piecewise-linear bump (exactly the exercise: x0 = 0, α = 0.3, 20 steps).
PW_ALPHA, PW_STEPS = 0.3, 20
PW_K = Control(
    "slider",
    "Bump width k (= its height)",
    "opt_pw_k",
    0.4,
    {"min_value": 0.05, "max_value": 1.0, "step": 0.01, "help": "Gradient +1 on (1, 1 + k), −1 elsewhere."},
)

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


def beta_off(surface_index: int, names) -> str | None:
    """Why the landscape's β does nothing (None when it is used): only Momentum and Nesterov use it,
    and the quadratic's momentum section below the figure (surface 0)."""
    if surface_index == 0 or any(n in ls.MOMENTUM_NAMES for n in names):
        return None
    return "β is the momentum of Momentum and Nesterov, and neither is in the race on this surface."


def twin_off(name: str) -> dict[str, str | None]:
    """Why each setting of the second run does nothing for the optimizer ``name`` (None where used)."""
    if name == NO_TWIN:
        why = "No second run: pick an optimizer to race a second time first."
        return {"lr": why, "momentum": why, "max_iter": why}
    return {
        "lr": None,
        "momentum": None if name in rc.MOMENTUM_NAMES else f"{name} has no momentum β.",
        "max_iter": None if name == "L-BFGS" else "Only L-BFGS takes several iterations per step.",
    }


def mini_batch_off(names, mini_batch_all: bool) -> dict[str, str | None]:
    """Why the race's mini-batch controls do nothing for the runs ``names`` (the optimizers and the
    second run): field of :data:`RACE_MORE` -> reason, None where the control is used."""
    names = set(names)
    switchable = [n for n in names if n in OPTIMIZERS and n not in (*FULL_BATCH_ONLY, "SGD (mini-batch)")]
    mini = "SGD (mini-batch)" in names or (mini_batch_all and bool(switchable))
    no_switch = "No optimizer in this race can switch: GD and L-BFGS stay full-batch, SGD is mini-batch."
    no_mini = (
        "No run uses mini-batches: add 'SGD (mini-batch)', or turn on 'Mini-batches for all' with "
        "momentum, Adam, ... in the race."
    )
    return {"mini_batch_all": None if switchable else no_switch, "batch_size": None if mini else no_mini}


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
    tables = (RACE_CONTROLS, RACE_MORE, GRID_SHAPE, GRID_SEARCH, GRID_TRAINING, TWIN_CONTROLS, REG_CONTROLS)
    return [
        NOISE,
        TASK,
        NUMBER,
        RACE_OPTIMIZERS,
        SWEEP_REPEATS,
        SWEEP_SIGMAS,
        SWEEP_UNITS,
        PW_K,
        *tuning_controls(OPTIMIZERS).values(),
        *landscape_controls(),
        *(c for t in tables for c in t.values()),
    ]


def _data(task: str, noise: float, number: str, n_train: int = 0) -> rc.TaskConfig:
    # a slider's float (0.15000000000000002) and the warm-up's (0.15) must name the same race
    return rc.TaskConfig(task=task, noise=round(float(noise), 4), number=str(number), n_train=int(n_train))


def race_config(
    *,
    task: str = RACE.data.task,
    noise: float = RACE.data.noise,
    number: str = RACE.data.number,
    tuned: dict | None = None,
    twin: dict | None = None,
    **race,
) -> rc.RaceConfig:
    """The race for these settings (``race``: other :class:`RaceConfig` fields); raises ValueError.

    ``tuned``: {(what, optimizer): value} from :func:`tuning_controls` (values equal to the defaults
    are left out of the config, so a plain link's race keeps its name); ``twin``: the values of
    :data:`TWIN_CONTROLS` (a second run of one optimizer; its lr is multiplied like the others). Values
    are cast to the types of :data:`RACE`. In fast mode a race runs at most :data:`FAST_RACE_EPOCHS`.
    """
    fields = {k: type(getattr(RACE, k))(v) for k, v in race.items()}
    tuned = tuned or {}
    lrs = tuple((n, float(v)) for (what, n), v in tuned.items() if what == "lr" and v != rc.DEFAULT_LR[n])
    moms = tuple(
        (n, float(v)) for (what, n), v in tuned.items() if what == "momentum" and v != rc.DEFAULT_MOMENTUM
    )
    iters = int(tuned.get(("max_iter", "L-BFGS"), RACE.lbfgs_max_iter))
    extra = ()
    if twin and twin.get("name", NO_TWIN) != NO_TWIN:
        n = twin["name"]
        extra = (
            rc.RunSpec(
                n,
                lr=float(twin["lr"]) * float(fields.get("lr_scale", RACE.lr_scale)),
                momentum=float(twin["momentum"]) if n in rc.MOMENTUM_NAMES else None,
                max_iter=int(twin["max_iter"]) if n == "L-BFGS" else None,
            ),
        )
    cfg = dataclasses.replace(
        RACE,
        data=_data(task, noise, number),
        base_lrs=lrs,
        momenta=moms,
        lbfgs_max_iter=iters,
        extra=extra,
        **fields,
    )
    return quick(cfg, num_epochs=min(cfg.num_epochs, FAST_RACE_EPOCHS))


def reg_config(
    *, task: str, noise: float, number: str, n_train, units, num_epochs, weight_decay, dropout, patience
) -> rc.RaceConfig:
    """The regularisation race: Adam without a remedy, with L2, with dropout and with early stopping,
    from the same initial weights on ``n_train`` training points of the race's data."""
    data = _data(task, noise, number, n_train)
    runs = (
        rc.RunSpec("Adam", lr=REG_LR, label="no regularisation"),
        rc.RunSpec(
            "Adam", lr=REG_LR, weight_decay=float(weight_decay), label=f"L2, λ = {float(weight_decay):g}"
        ),
        rc.RunSpec("Adam", lr=REG_LR, dropout=float(dropout), label=f"dropout, p = {float(dropout):g}"),
        rc.RunSpec(
            "Adam", lr=REG_LR, patience=int(patience), label=f"early stopping, patience {int(patience)}"
        ),
    )
    cfg = rc.RaceConfig(
        data=data, optimizers=(), extra=runs, layers=2, units=int(units), num_epochs=int(num_epochs)
    )
    return quick(cfg, num_epochs=min(cfg.num_epochs, FAST_REG_EPOCHS))


def reg_defaults() -> dict:
    """The regularisation tab's settings on a plain link."""
    return {"task": RACE.data.task, "noise": RACE.data.noise, "number": RACE.data.number} | {
        k: c.default for k, c in REG_CONTROLS.items()
    }


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
    """Race every position of the noise slider on default settings (seed 0) into the store, then the
    sweeps' default races (σ sweep, network sizes, repeats) and the regularisation race; the landscape
    trains nothing. Moving the noise slider in class then loads, it does not train.

    ``epochs`` (when given) replaces the races' epochs, for a smoke run. The races run on the CPU
    whatever ``device`` says: these networks are far too small to gain from an accelerator.
    """

    def cut(cfg):
        return cfg if epochs is None else dataclasses.replace(cfg, num_epochs=epochs)

    base = race_config()
    warm_sliders(device, epochs, report)
    t0 = time.perf_counter()
    repeats = SWEEP_REPEATS.default
    ex.sweep(cut(base), SEED, "noise", SWEEP_SIGMAS.default, repeats)
    ex.sweep(cut(base), SEED, "units", SWEEP_UNITS.default, repeats)
    ex.sweep(cut(base), SEED, "repeat", (), repeats)
    ex.race(cut(reg_config(**reg_defaults())), SEED)
    report(f"sweeps and regularisation in {time.perf_counter() - t0:.1f} s")


def warm_sliders(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Only what the noise slider needs: the race at every noise position (seed 0, default settings)."""
    start = time.perf_counter()
    for i, noise in enumerate(NOISE_POSITIONS):
        cfg = race_config(noise=noise)
        ex.race(cfg if epochs is None else dataclasses.replace(cfg, num_epochs=epochs), SEED)
        if i % 10 == 0:
            report(f"noise positions: {i + 1} / {len(NOISE_POSITIONS)} ({time.perf_counter() - start:.0f} s)")
    runs, took = len(race_config().specs()), time.perf_counter() - start
    report(f"race: {len(NOISE_POSITIONS)} noise positions x {runs} runs in {took:.1f} s")
