"""What the time-series page starts from: its controls, the models' configs and specs, the grid, the warm-up.

The view, ``python -m annlab warm`` and the tests read every default here. The builders apply fast mode
(``ANNLAB_FAST=1``: a few epochs) when they are called, never at import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from annlab.controls import Control
from annlab.settings import fast_mode, quick
from annlab.timeseries.data import DATA_KEY, santafe_split
from annlab.timeseries.models import TSConfig, build, train_ts
from annlab.training import TrainSpec

SEEDS = (0, 1, 2, 3, 4)  # the seed study (and the warm-up) trains every model once per seed
OPTIMIZERS = {"L-BFGS": "lbfgs", "Adam": "adam"}  # the page's names -> TSConfig.optimizer
NAME_OF = {value: name for name, value in OPTIMIZERS.items()}
LR = {"lbfgs": 1.0, "adam": 0.005}  # a model switched to the other optimizer on the page: its learning rate
BATCH = 64  # ... and Adam's mini-batch (windows per update) then; L-BFGS is always full batch
DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)  # the MLP's weight-decay choices
SCHEDULES = {"constant": None, "cosine to 1e-5": 1e-5}  # Adam's learning rate over the epochs -> lr_end
SCHEDULE_OF = {value: name for name, value in SCHEDULES.items()}

# The defaults are the choice of the honest protocol (annlab/timeseries/select.py, run by
# bench/timeseries_select.py, which writes selection.json): rolling-origin closed-loop validation, every
# candidate fitted on points 1..o and scored by its closed-loop forecast of o+1..o+100 for several
# origins o inside points 1-1,000; points 1,001-1,100 are read only by the final score. A test checks
# that these equal the choice saved in selection.json.
MLP = TSConfig(
    model="mlp",
    lag=30,
    n_hidden=50,
    num_epochs=100,
    lr=1.0,
    optimizer="lbfgs",
    weight_decay=1e-4,
    head="bounded",
)
LSTM = TSConfig(
    model="lstm", lag=30, n_hidden=20, num_epochs=400, lr=0.01, lr_end=1e-5, batch_size=128, weight_decay=1e-5
)
DEFAULTS = {"mlp": MLP, "lstm": LSTM}

# Validation inside the training part, for both models alike (the page's "Validation" choice):
# name -> (points held out at the end of 1-1,000, early-stopping patience in epochs or None).
VAL_SIZE = 100
PATIENCE = {"lbfgs": 20, "adam": 40}
VALIDATION = {
    "none: fit all of 1-1,000": (0, False),
    "hold out 901-1,000 (curves)": (VAL_SIZE, False),
    "hold out 901-1,000 + early stopping": (VAL_SIZE, True),
}
NO_VALIDATION = next(iter(VALIDATION))

# The lag x hidden-units grid: short full-batch Adam fits, cross-validated on the training part.
GRID_LAGS = (1, 5, 10, 15, 20, 30)
GRID_HIDDEN = (5, 10, 25, 50)
GRID_MODEL = "MLP"
GRID_EPOCHS = 200
GRID_LR = 0.01
GRID_FOLDS = 3
GRID_VAL_SIZE = 100


HEAD_WORDS = {  # TSConfig.head, in words
    "linear": "linear output (unbounded)",
    "bounded": "output squashed into the training range (a scaled tanh)",
    "clipped": "linear output clipped to the training range",
}


def optimizer_words(cfg: TSConfig) -> str:
    """How ``cfg`` is optimised, in words: "Adam, lr 0.01 annealed (cosine) to 1e-05, batches of 128"."""
    if cfg.optimizer == "lbfgs":
        return f"L-BFGS, step size {cfg.lr:g}, full batch"
    lr = f"lr {cfg.lr:g}" + (f" annealed (cosine) to {cfg.lr_end:g}" if cfg.lr_end is not None else "")
    batch = f"batches of {cfg.batch_size}" if cfg.batch_size else "full batch"
    return f"Adam, {lr}, {batch}"


def _training_note() -> str:
    models = "; ".join(
        f"{k.upper()}: {optimizer_words(cfg)} x{cfg.num_epochs} epochs, {HEAD_WORDS[cfg.head]}"
        for k, cfg in DEFAULTS.items()
    )
    return (
        "Both models start from seeded random weights (sidebar seed) and are stored after training, so the "
        f"second visit is instant. The defaults, chosen on validation (Defaults tab), train with {models}. "
        f"A model switched to the other optimizer uses L-BFGS with step size {LR['lbfgs']:g} on the full "
        f"batch, or Adam with lr {LR['adam']:g} on mini-batches of {BATCH}. Weight decay is the same L2 "
        "penalty in the loss under both."
    )


TRAINING_NOTE = _training_note()
EPOCH_HELP = (
    "Adam: one pass over all windows per epoch, in mini-batches (both models). "
    "L-BFGS: up to 20 full-batch iterations with a line search per epoch."
)
# The page's URL-bound widgets (the keys are in shared links: never rename them or change their meaning).
LAG = Control(
    "slider",
    "Lag (past values seen)",
    "ts_lag",
    MLP.lag,
    {
        "min_value": 5,
        "max_value": 60,
        "step": 5,
        "help": "The MLP's inputs, and the LSTM's sequence length: the same for both. Steps of 5, so "
        "`python -m annlab warm` can train both models at every position before class.",
    },
)
VALIDATION_CONTROL = Control(
    "selectbox",
    "Validation (both models)",
    "ts_val",
    NO_VALIDATION,
    {
        "options": list(VALIDATION),
        "help": "The defaults follow the protocol's last step: refit on all of points 1-1,000. Holding out "
        "points 901-1,000 draws their closed-loop validation curve beside the training loss (the models "
        "then fit 1-900 only); early stopping keeps the epoch with the best validation score.",
    },
)
MLP_CONTROLS = {  # model_config field -> its widget in the MLP popover
    "n_hidden": Control(
        "slider",
        "MLP hidden units",
        "ts_hidden",
        MLP.n_hidden,
        {"min_value": 2, "max_value": 100, "help": "Units of the MLP's one hidden layer (tanh)."},
    ),
    "num_epochs": Control(
        "slider",
        "MLP epochs",
        "ts_mlp_epochs",
        MLP.num_epochs,
        {"min_value": 10, "max_value": 2000, "step": 10, "help": EPOCH_HELP},
    ),
    "optimizer": Control(
        "selectbox", "MLP optimizer", "ts_mlp_opt", NAME_OF[MLP.optimizer], {"options": list(OPTIMIZERS)}
    ),
    "weight_decay": Control(
        "select_slider",
        "MLP weight decay",
        "ts_mlp_decay",
        MLP.weight_decay,
        {
            "options": list(DECAYS),
            "help": "L2 penalty (weight decay / 2 x sum of squared weights, added to the loss) on the MLP's "
            "weights, the same term under Adam and L-BFGS. A little keeps the closed loop from wild swings.",
        },
    ),
    "rollout": Control(
        "slider",
        "MLP: steps fed back in the loss",
        "ts_mlp_rollout",
        MLP.rollout,
        {
            "min_value": 1,
            "max_value": 40,
            "help": "1 = plain one-step training (teacher forcing). k > 1: the loss also scores k steps the "
            "model predicts from its own outputs, which is what the closed-loop forecast does.",
        },
    ),
    "schedule": Control(
        "selectbox",
        "MLP learning-rate schedule (Adam)",
        "ts_mlp_sched",
        SCHEDULE_OF[MLP.lr_end],
        {
            "options": list(SCHEDULES),
            "help": "Adam only (L-BFGS has its line search): keep the learning rate constant, or anneal it "
            "along a cosine to 1e-5 by the last epoch, so the last steps are small and the fit precise "
            "enough to run in closed loop.",
        },
    ),
}
LSTM_CONTROLS = {  # model_config field -> its widget in the LSTM popover
    "n_hidden": Control(
        "slider",
        "LSTM hidden size",
        "ts_lstm_hidden",
        LSTM.n_hidden,
        {
            "min_value": 2,
            "max_value": 100,
            "help": "Size of the LSTM's hidden and cell state (each unit has four gates).",
        },
    ),
    "num_epochs": Control(
        "slider",
        "LSTM epochs",
        "ts_lstm_epochs",
        LSTM.num_epochs,
        {
            "min_value": 10,
            "max_value": 1000,
            "step": 10,
            "help": EPOCH_HELP + " An LSTM epoch costs far more than an MLP one.",
        },
    ),
    "optimizer": Control(
        "selectbox", "LSTM optimizer", "ts_lstm_opt", NAME_OF[LSTM.optimizer], {"options": list(OPTIMIZERS)}
    ),
    "rollout": Control(
        "slider",
        "LSTM: steps fed back in the loss",
        "ts_lstm_rollout",
        LSTM.rollout,
        {
            "min_value": 1,
            "max_value": 20,
            "help": "As for the MLP; each step costs a full pass of the LSTM, so keep it small.",
        },
    ),
    "num_layers": Control(
        "slider", "LSTM layers", "ts_lstm_layers", LSTM.num_layers, {"min_value": 1, "max_value": 3}
    ),
    "weight_decay": Control(
        "select_slider",
        "LSTM weight decay",
        "ts_lstm_decay",
        LSTM.weight_decay,
        {"options": list(DECAYS), "help": "The same L2 penalty as the MLP's, under either optimizer."},
    ),
    "schedule": Control(
        "selectbox",
        "LSTM learning-rate schedule (Adam)",
        "ts_lstm_sched",
        SCHEDULE_OF[LSTM.lr_end],
        {
            "options": list(SCHEDULES),
            "help": "Adam only (L-BFGS has its line search): keep the learning rate constant, or anneal it "
            "along a cosine to 1e-5 by the last epoch, so the last steps are small and the fit precise "
            "enough to run in closed loop.",
        },
    ),
}
GRID_CONTROLS = {  # the grid tab's row of settings: grid_config's model, num_epochs; GridPlan's folds
    "model": Control("selectbox", "Model", "ts_grid_model", GRID_MODEL, {"options": ["MLP", "LSTM"]}),
    "num_epochs": Control(
        "slider",
        "Epochs per fit",
        "ts_grid_epochs",
        GRID_EPOCHS,
        {"min_value": 20, "max_value": 1000, "step": 20, "help": "Kept small: the grid fits many models."},
    ),
    "n_folds": Control("slider", "Folds", "ts_folds", GRID_FOLDS, {"min_value": 1, "max_value": 8}),
    "val_size": Control(
        "slider",
        "Validation size (points)",
        "ts_val_size",
        GRID_VAL_SIZE,
        {"min_value": 20, "max_value": 300, "step": 10},
    ),
}


SCHEDULE_DISABLED = (
    "Disabled under L-BFGS: it has no learning-rate schedule (a line search picks each step's length). "
    "Choose Adam as the optimizer to anneal the learning rate."
)


def control_state(field: str, chosen: dict) -> dict:
    """Widget overrides for a model's control whose effect depends on another one drawn before it
    (``chosen``: field -> value so far): the learning-rate schedule does nothing under L-BFGS, so it is
    disabled there, its help saying why. ``{}`` when the control works as declared."""
    if field == "schedule" and OPTIMIZERS.get(chosen.get("optimizer"), chosen.get("optimizer")) == "lbfgs":
        return {"disabled": True, "help": SCHEDULE_DISABLED}
    return {}


def model_config(
    kind: str,
    *,
    lag: int | None = None,
    n_hidden: int | None = None,
    num_epochs: int | None = None,
    optimizer: str | None = None,
    rollout: int | None = None,
    schedule: str | None = None,
    validation: str | None = None,
    **more,
) -> TSConfig:
    """The page's config of one model: its default with the page's settings; fast mode: a few epochs.

    Parameters
    ----------
    kind : "mlp" or "lstm"
    lag, n_hidden, num_epochs, rollout : the sliders (None: the default)
    optimizer : "lbfgs" or "adam" (or the page's names, "L-BFGS" and "Adam"); the default's own
        optimizer keeps its learning rate, schedule and batches; the other one takes :data:`LR` (and
        Adam mini-batches of :data:`BATCH`, L-BFGS the full batch)
    schedule : a key of :data:`SCHEDULES`, Adam's learning rate over the epochs (None: the default's
        when its optimizer is kept, else constant; L-BFGS ignores it)
    validation : a key of :data:`VALIDATION` (None: no validation, fit all of points 1-1,000)
    more : other TSConfig fields (``weight_decay``, ``num_layers``)
    """
    base = DEFAULTS[kind]
    optimizer = OPTIMIZERS.get(optimizer, optimizer) or base.optimizer
    same = optimizer == base.optimizer  # keep the default's learning rate, schedule and batches
    rollout = base.rollout if rollout is None else int(rollout)
    val_size, stop = VALIDATION.get(validation or NO_VALIDATION, (0, False))
    lr_end = (base.lr_end if same else None) if schedule not in SCHEDULES else SCHEDULES[schedule]
    cfg = dataclasses.replace(
        base,
        lag=base.lag if lag is None else int(lag),
        n_hidden=base.n_hidden if n_hidden is None else int(n_hidden),
        num_epochs=base.num_epochs if num_epochs is None else int(num_epochs),
        optimizer=optimizer,
        lr=base.lr if same else LR[optimizer],
        lr_end=lr_end if optimizer == "adam" else None,
        grad_clip=base.grad_clip if same else None,
        batch_size=(base.batch_size if same else BATCH) if optimizer == "adam" else None,
        rollout=rollout,
        rollout_epochs=base.rollout_epochs if rollout == base.rollout else None,
        val_size=val_size,
        patience=PATIENCE[optimizer] if stop else None,
        **more,
    )
    small = {
        "num_epochs": 2 if optimizer == "lbfgs" else 10,
        "rollout": min(rollout, 2),
        "rollout_epochs": None,
    }
    if stop:
        small["patience"] = 1
    return quick(cfg, **small)


def _training_part():
    return santafe_split().train


def model_spec(cfg: TSConfig, seed: int, label: str | None = None) -> TrainSpec:
    """What to ask the model store for: ``cfg`` trained with ``seed`` on points 1-1,000 (its last
    ``cfg.val_size`` points held out for validation)."""
    label = label or f"the {cfg.model.upper()} (lag {cfg.lag}, {cfg.n_hidden} hidden)"
    curves = ("loss", "val_loss") if cfg.val_size else ("loss",)
    return TrainSpec(cfg, train_ts, build, _training_part, DATA_KEY, int(seed), label, curves=curves)


def grid_config(model: str = GRID_MODEL, num_epochs: int = GRID_EPOCHS) -> TSConfig:
    """The grid's base config (lag and hidden units vary); fast mode: 2 epochs per fit."""
    cfg = TSConfig(model=model.lower(), num_epochs=int(num_epochs), lr=GRID_LR, optimizer="adam")
    return quick(cfg, num_epochs=2)


def grid_axes() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The grid's lags and hidden sizes (a 2 x 2 grid in fast mode)."""
    return ((1, 5), (5, 10)) if fast_mode() else (GRID_LAGS, GRID_HIDDEN)


def cell_spec(base: TSConfig, lag: int, n_hidden: int, seed: int) -> TrainSpec:
    """One grid cell's model, trained on all of points 1-1,000."""
    cfg = dataclasses.replace(base, lag=int(lag), n_hidden=int(n_hidden))
    return model_spec(cfg, seed, label=f"lag {lag}, {n_hidden} hidden")


def lag_positions() -> list[int]:
    """Every position of the lag slider, the default first, then outwards (the warm-up's order)."""
    lo, hi, step = LAG.kw["min_value"], LAG.kw["max_value"], LAG.kw["step"]
    return sorted(range(lo, hi + 1, step), key=lambda lag: (abs(lag - LAG.default), lag))


def warm_specs(seed: int = 0) -> list[TrainSpec]:
    """What the warm-up trains: both default models for every seed of the study, then both at every
    lag position for the sidebar's default ``seed`` (so moving the lag slider in class loads)."""
    specs = [model_spec(model_config(kind), s) for kind in DEFAULTS for s in SEEDS]
    specs += [
        model_spec(model_config(kind, lag=lag), seed)
        for lag in lag_positions()
        if lag != LAG.default
        for kind in DEFAULTS
    ]
    return specs


def _warm_specs(specs: list[TrainSpec], epochs: int | None) -> list[TrainSpec]:
    if epochs is None:
        return specs
    return [model_spec(dataclasses.replace(s.cfg, num_epochs=int(epochs)), s.seed) for s in specs]


def _warm(specs: list[TrainSpec], device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    import time

    from annlab.jobs import run_all

    start = time.perf_counter()
    specs = _warm_specs(specs, epochs)
    for spec, result in zip(specs, run_all(specs, device), strict=True):  # the pool trains side by side
        cfg = spec.cfg
        how = "from the store" if result.from_cache else f"trained in {result.extra.get('train_s', 0):.1f} s"
        report(f"{cfg.model.upper()} lag {cfg.lag}, {cfg.n_hidden} hidden, seed {spec.seed}: {how}")
    report(f"Time series warm-up: {time.perf_counter() - start:.0f} s.")


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train the page's default MLP and LSTM for seeds 0-4 (the forecasts and the seed study), then both
    at every position of the lag slider (seed 0). ``epochs`` (not None) replaces the epochs (smoke run)."""
    _warm(warm_specs(), device, epochs, report)


def warm_sliders(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Only what the lag slider needs: both models at every lag position for seed 0."""
    specs = [model_spec(model_config(kind, lag=lag), 0) for lag in lag_positions() for kind in DEFAULTS]
    _warm(specs, device, epochs, report)
