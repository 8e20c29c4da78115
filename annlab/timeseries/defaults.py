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
LR = {"lbfgs": 1.0, "adam": 0.005}  # learning rate per optimizer (not a page control)
TRAINING_NOTE = (
    "Both models start from seeded random weights (sidebar seed) and are stored after training, so the "
    "second visit is instant. Learning rate: "
    + ", ".join(f"{n} {LR[o]:g}" for n, o in OPTIMIZERS.items())
    + "."
)
DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)  # the MLP's weight-decay choices

# Default configurations, chosen by experiment on seeds 0-4 (closed-loop NMSE on points 1,001-1,100,
# as the issue asks; so that score is optimistic for these exact settings). MLP, L-BFGS, weight decay
# 1e-4: lag 40 / 50 hidden 0.037 mean; lag 30 / 50 hidden 0.068; lag 30 / 30 hidden without decay 0.25.
MLP = TSConfig(model="mlp", lag=40, n_hidden=50, num_epochs=100, lr=1.0, optimizer="lbfgs", weight_decay=1e-4)
# LSTM: full-batch Adam (400 epochs, ~60 s) reached 0.97 (lag 30) / 1.23 (lag 40); mini-batches of 64
# are far cheaper per update: 200 epochs reach 0.95 mean (seeds spread 0.06-1.6) in ~9 s. It does not
# reliably beat the mean, like the course's LSTM (NMSE about 0.95).
LSTM = TSConfig(model="lstm", lag=40, n_hidden=20, num_epochs=200, lr=0.005, batch_size=64)
DEFAULTS = {"mlp": MLP, "lstm": LSTM}

# The lag x hidden-units grid: short full-batch Adam fits, cross-validated on the training part.
GRID_LAGS = (1, 5, 10, 15, 20, 30)
GRID_HIDDEN = (5, 10, 25, 50)
GRID_MODEL = "MLP"
GRID_EPOCHS = 200
GRID_LR = 0.01
GRID_FOLDS = 3
GRID_VAL_SIZE = 100


EPOCH_HELP = (
    "Adam: one pass over all windows per epoch (the LSTM in mini-batches of 64). "
    "L-BFGS: up to 20 full-batch iterations with a line search per epoch."
)
# The page's URL-bound widgets (the keys are in shared links: never rename them or change their meaning).
LAG = Control(
    "slider",
    "Lag (past values seen)",
    "ts_lag",
    MLP.lag,
    {
        "min_value": 1,
        "max_value": 60,
        "help": "The MLP's inputs, and the LSTM's sequence length: the same for both.",
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
            "help": "L2 penalty on the MLP's weights. A little keeps the closed loop from wild swings.",
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


def model_config(
    kind: str,
    *,
    lag: int | None = None,
    n_hidden: int | None = None,
    num_epochs: int | None = None,
    optimizer: str | None = None,
    rollout: int | None = None,
    **more,
) -> TSConfig:
    """The page's config of one model: its default with the page's settings; fast mode: a few epochs.

    Parameters
    ----------
    kind : "mlp" or "lstm"
    lag, n_hidden, num_epochs, rollout : the sliders (None: the default)
    optimizer : "lbfgs" or "adam" (or the page's names, "L-BFGS" and "Adam"); it sets the learning
        rate (:data:`LR`); Adam keeps the default's batch size, L-BFGS is full batch
    more : other TSConfig fields (``weight_decay``, ``num_layers``)
    """
    base = DEFAULTS[kind]
    optimizer = OPTIMIZERS.get(optimizer, optimizer) or base.optimizer
    rollout = base.rollout if rollout is None else int(rollout)
    cfg = dataclasses.replace(
        base,
        lag=base.lag if lag is None else int(lag),
        n_hidden=base.n_hidden if n_hidden is None else int(n_hidden),
        num_epochs=base.num_epochs if num_epochs is None else int(num_epochs),
        optimizer=optimizer,
        lr=LR[optimizer],
        batch_size=base.batch_size if optimizer == "adam" else None,
        rollout=rollout,
        rollout_epochs=None,
        **more,
    )
    return quick(cfg, num_epochs=2 if optimizer == "lbfgs" else 10, rollout=min(rollout, 2))


def _training_part():
    return santafe_split().train


def model_spec(cfg: TSConfig, seed: int, label: str | None = None) -> TrainSpec:
    """What to ask the model store for: ``cfg`` trained with ``seed`` on points 1-1,000."""
    label = label or f"the {cfg.model.upper()} (lag {cfg.lag}, {cfg.n_hidden} hidden)"
    return TrainSpec(cfg, train_ts, build, _training_part, DATA_KEY, int(seed), label, curves=("loss",))


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


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train the page's default MLP and LSTM for seeds 0-4 (the forecasts and the seed study).

    ``epochs`` (when not None) replaces the number of epochs, for a quick smoke run.
    """
    for kind in DEFAULTS:
        cfg = model_config(kind)
        if epochs is not None:
            cfg = dataclasses.replace(cfg, num_epochs=int(epochs))
        for seed in SEEDS:
            result = model_spec(cfg, seed).run(device)
            how = (
                "from the store"
                if result.from_cache
                else f"trained in {result.extra.get('train_s', 0):.1f} s"
            )
            report(f"{cfg.model.upper()} lag {cfg.lag}, {cfg.n_hidden} hidden, seed {seed}: {how}")
