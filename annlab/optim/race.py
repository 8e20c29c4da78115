"""The optimizer race: the same small network, the same initial weights, the same data, many optimizers.

Data (a 1-D sine or the 2-D "personal regression") come from :mod:`annlab.optim.data`.

An *epoch* is one pass over the training set: one step for full-batch methods, ``ceil(n / batch)``
steps for mini-batch SGD, one ``step()`` call (up to 5 quasi-Newton iterations with line search) for
L-BFGS. Losses are mean squared errors; the loss at epoch e is measured at the weights after e epochs
(epoch 0 = the shared initial weights). Wall-clock time counts the optimizer's own work only.

References: Goodfellow, Bengio & Courville, *Deep Learning* (2016), ch. 8; the optimizer papers listed
in :mod:`annlab.optim`.
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from annlab.optim import FULL_BATCH_ONLY, OPTIMIZERS, make_optimizer, needs_closure
from annlab.optim.data import (  # noqa: F401  (re-exported: the page and tests use race.TaskConfig etc.)
    PERSONAL_FUNCTIONS,
    TASKS,
    RegressionData,
    TaskConfig,
    make_data,
    personal_digits,
    personal_target,
    snr_db,
)
from annlab.training import divergence

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
}
#: Learning rates that work on the default task; the page scales them all with one multiplier.
DEFAULT_LR = {
    "GD (full batch)": 0.1,
    "SGD (mini-batch)": 0.05,
    "Momentum": 0.05,
    "Nesterov": 0.05,
    "Adagrad": 0.05,
    "RMSProp": 0.002,
    "Adam": 0.005,
    "Adadelta": 1.0,
    "L-BFGS": 1.0,
}
EXPLODE_FACTOR = 1e4


# ------------------------------------------------------------------------------------------- model
def build_mlp(in_dim: int, layers: int, units: int, activation: str, seed: int = 0) -> nn.Sequential:
    """An MLP ``in_dim -> units (x layers) -> 1``, initialised from ``seed`` (PyTorch's default ranges).

    Weights and biases ~ U(−1/√fan_in, 1/√fan_in), drawn from a seeded generator (not the global RNG).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose from {list(ACTIVATIONS)}.")
    gen = torch.Generator().manual_seed(int(seed))
    mods: list[nn.Module] = []
    width = in_dim
    for _ in range(layers):
        mods += [nn.Linear(width, units), ACTIVATIONS[activation]()]
        width = units
    mods.append(nn.Linear(width, 1))
    net = nn.Sequential(*mods)
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=gen)
                m.bias.uniform_(-bound, bound, generator=gen)
    return net


# -------------------------------------------------------------------------------------------- race
@dataclass(frozen=True)
class RaceConfig:
    """One race: which optimizers, which network, how long.

    Attributes
    ----------
    data : TaskConfig
    optimizers : names from :data:`annlab.optim.OPTIMIZERS`
    lr_scale : multiplies every optimizer's learning rate in :data:`DEFAULT_LR`
    lr_overrides : ((name, lr), ...) learning rates that replace the scaled defaults
    layers, units, activation : the MLP (hidden layers, units per hidden layer)
    num_epochs : epochs per optimizer
    batch_size : mini-batch size of "SGD (mini-batch)" (and of the others if ``mini_batch_all``)
    mini_batch_all : run every optimizer except GD and L-BFGS on mini-batches too
    threshold : validation loss (MSE) whose first crossing is timed
    """

    data: TaskConfig = TaskConfig()
    optimizers: tuple[str, ...] = (
        "GD (full batch)",
        "SGD (mini-batch)",
        "Momentum",
        "Nesterov",
        "RMSProp",
        "Adam",
    )
    lr_scale: float = 1.0
    lr_overrides: tuple[tuple[str, float], ...] = ()
    layers: int = 2
    units: int = 50
    activation: str = "tanh"
    num_epochs: int = 1000
    batch_size: int = 32
    mini_batch_all: bool = False
    threshold: float = 0.02

    def __post_init__(self):
        if not self.optimizers:
            raise ValueError("Pick at least one optimizer.")
        unknown = [o for o in self.optimizers if o not in OPTIMIZERS]
        if unknown:
            raise ValueError(f"Unknown optimizer(s) {unknown}; choose from {list(OPTIMIZERS)}.")
        if not 1e-4 <= self.lr_scale <= 1e4:
            raise ValueError(f"lr_scale must be between 1e-4 and 1e4, got {self.lr_scale}.")
        for name, lr in self.lr_overrides:
            if name not in OPTIMIZERS or not lr > 0:
                raise ValueError(f"Bad learning rate override {name!r}: {lr}.")
        if not 1 <= self.layers <= 6:
            raise ValueError(f"layers must be between 1 and 6, got {self.layers}.")
        if not 1 <= self.units <= 512:
            raise ValueError(f"units must be between 1 and 512, got {self.units}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"Unknown activation {self.activation!r}; choose from {list(ACTIVATIONS)}.")
        if not 1 <= self.num_epochs <= 100_000:
            raise ValueError(f"num_epochs must be between 1 and 100000, got {self.num_epochs}.")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}.")
        if not self.threshold > 0:
            raise ValueError(f"threshold must be positive, got {self.threshold}.")

    def lr(self, name: str) -> float:
        """The learning rate this race uses for ``name``."""
        return dict(self.lr_overrides).get(name, DEFAULT_LR[name] * self.lr_scale)


@dataclass
class RunResult:
    """One optimizer's run (plain numpy data, picklable for st.cache_data).

    ``epoch``, ``train``, ``val``, ``seconds`` have shape (n_kept,): only finite epochs are kept.
    ``grid_pred`` (m,) is the final network on ``RegressionData.X_grid``. Final losses are NaN and
    ``diverged`` says why when the run blew up.
    """

    name: str
    lr: float
    epoch: np.ndarray
    train: np.ndarray
    val: np.ndarray
    seconds: np.ndarray
    test: float
    grid_pred: np.ndarray
    threshold_epoch: int | None
    threshold_seconds: float | None
    diverged: str | None = None

    @property
    def final_train(self) -> float:
        return math.nan if self.diverged else float(self.train[-1])

    @property
    def final_val(self) -> float:
        return math.nan if self.diverged else float(self.val[-1])

    @property
    def best_epoch(self) -> int:
        return int(self.epoch[int(np.argmin(self.val))])

    @property
    def best_val(self) -> float:
        return float(np.min(self.val))


@dataclass
class RaceResult:
    """All runs of a race, in the order of ``config.optimizers``."""

    config: RaceConfig
    runs: list[RunResult]
    snr_db: float
    extra: dict = field(default_factory=dict)

    def table(self) -> list[dict]:
        """One row per optimizer: final train / validation / test MSE, the epoch of the lowest validation
        MSE, epochs and seconds until the validation MSE first reaches the threshold, total seconds."""
        rows = []
        for r in self.runs:
            rows.append(
                {
                    "optimizer": r.name,
                    "lr": r.lr,
                    "train MSE": r.final_train,
                    "val MSE": r.final_val,
                    "test MSE": r.test,
                    "best epoch": r.best_epoch,
                    f"epochs to val ≤ {self.config.threshold:g}": r.threshold_epoch,
                    f"s to val ≤ {self.config.threshold:g}": r.threshold_seconds,
                    "total s": float(r.seconds[-1]),
                    "status": "diverged" if r.diverged else "ok",
                }
            )
        return rows


def _why(name: str, lr: float, epoch: int, loss: float, start: float) -> str:
    base = divergence(loss, epoch, None)
    if base is None:
        base = (
            f"Training diverged at epoch {epoch}: the training loss exploded from {start:.3g} to "
            f"{loss:.3g} (more than {EXPLODE_FACTOR:g} times its start), so it was stopped there."
        )
    if name in ("GD (full batch)", "SGD (mini-batch)", "Momentum", "Nesterov"):
        why = (
            f" With lr = {lr:g}, {name} takes steps that are too long for the sharpest direction of the "
            "loss surface: a gradient step is only stable while lr < 2 / (largest curvature), so each "
            "step overshoots the valley floor by more than it corrects and the error grows every "
            "epoch. Lower the learning rate."
        )
    elif name == "L-BFGS":
        why = " The line search could not keep the step finite: lower the learning rate (initial step)."
    else:
        why = (
            f" With lr = {lr:g}, {name}'s per-weight steps (about lr each) are too large for this "
            "network: lower the learning rate."
        )
    return base + why


def _run(
    name: str,
    lr: float,
    model: nn.Module,
    tensors: dict,
    cfg: RaceConfig,
    gen: torch.Generator,
    progress: Callable[[int], None] | None,
) -> RunResult:
    """Train ``model`` in place with optimizer ``name`` and record the curves."""
    X_tr, y_tr, X_all, n_tr = tensors["X_train"], tensors["y_train"], tensors["X_all"], tensors["n_train"]
    y_va = tensors["y_val"]
    # fused kernels: same update, fewer Python-level ops per step (torch.optim's own CPU kernels)
    kernel = {"fused": True} if name in ("Adam", "Adagrad", "Momentum", "Nesterov") else {}
    opt = make_optimizer(name, model.parameters(), lr, **kernel)
    mini = name == "SGD (mini-batch)" or (cfg.mini_batch_all and name not in FULL_BATCH_ONLY)
    batch = min(cfg.batch_size, n_tr)
    one_pass = not mini and not needs_closure(name)
    E = cfg.num_epochs
    train = np.full(E + 1, np.nan)
    val = np.full(E + 1, np.nan)
    secs = np.zeros(E + 1)
    diverged = None
    spent = 0.0
    kept = 0

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(X_tr).squeeze(1), y_tr)
        loss.backward()
        return loss

    def check(e: int, tr: float) -> bool:
        nonlocal diverged
        if not math.isfinite(tr) or (e > 0 and tr > EXPLODE_FACTOR * max(train[0], 1e-3)):
            diverged = _why(name, lr, e, tr, float(train[0]))
            return False
        return True

    def evaluate(e: int) -> bool:
        with torch.no_grad():
            out = model(X_all).squeeze(1)
            tr = float(F.mse_loss(out[:n_tr], y_tr))
            va = float(F.mse_loss(out[n_tr:], y_va))
        if not check(e, tr):
            return False
        train[e], val[e], secs[e] = tr, va, spent
        return True

    for e in range(E + 1):
        if one_pass and e < E:
            # One forward pass on train + validation: the train part gives the gradient, the validation
            # part the validation loss at the same weights (the weights after e epochs).
            t0 = time.perf_counter()
            opt.zero_grad()
            out = model(X_all).squeeze(1)  # (n_train + n_val,)
            loss = F.mse_loss(out[:n_tr], y_tr)
            tr, va = loss.item(), F.mse_loss(out[n_tr:].detach(), y_va).item()
            if not check(e, tr):
                break
            train[e], val[e], secs[e] = tr, va, spent
            loss.backward()
            opt.step()
            spent += time.perf_counter() - t0
        else:
            if not evaluate(e):
                break
            if e == E:
                kept = e + 1
                break
            t0 = time.perf_counter()
            if needs_closure(name):
                opt.step(closure)
            elif mini:
                perm = torch.randperm(n_tr, generator=gen)
                for i in range(0, n_tr, batch):
                    idx = perm[i : i + batch]
                    opt.zero_grad()
                    F.mse_loss(model(X_tr[idx]).squeeze(1), y_tr[idx]).backward()
                    opt.step()
            spent += time.perf_counter() - t0
        kept = e + 1
        if progress and e % 100 == 0:
            progress(e)
    if one_pass and diverged is None and kept == E:
        if evaluate(E):
            kept = E + 1
    keep = np.isfinite(train[:kept])
    epochs = np.arange(kept)[keep]
    train, val, secs = train[:kept][keep], val[:kept][keep], secs[:kept][keep]
    hit = np.nonzero(val <= cfg.threshold)[0]
    with torch.no_grad():
        test = (
            math.nan
            if diverged
            else float(F.mse_loss(model(tensors["X_test"]).squeeze(1), tensors["y_test"]))
        )
        grid_pred = model(tensors["X_grid"]).squeeze(1).numpy().copy()
    if diverged:
        grid_pred[:] = np.nan
    return RunResult(
        name,
        lr,
        epochs,
        train,
        val,
        secs,
        test,
        grid_pred,
        int(epochs[hit[0]]) if len(hit) else None,
        float(secs[hit[0]]) if len(hit) else None,
        diverged,
    )


def _tensors(data: RegressionData) -> dict:
    t = torch.from_numpy
    return {
        "X_train": t(data.X_train),
        "y_train": t(data.y_train),
        "y_val": t(data.y_val),
        "X_all": torch.cat([t(data.X_train), t(data.X_val)]),
        "n_train": len(data.y_train),
        "X_test": t(data.X_test),
        "y_test": t(data.y_test),
        "X_grid": t(data.X_grid),
    }


def race(
    cfg: RaceConfig,
    data: RegressionData | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callable[[int, dict], None] | None = None,
) -> RaceResult:
    """Train one copy of the same initial network per optimizer and record the curves.

    Parameters
    ----------
    cfg : RaceConfig
    data : RegressionData (default: ``make_data(cfg.data, seed)``)
    device : only "cpu" is used: these networks are far too small to gain from an accelerator
    seed : data split, noise, initial weights and mini-batch order
    callback : ``callback(epochs_done, {"fraction": f, "text": "Racing: <optimizer> ..."})`` now and then

    Returns
    -------
    RaceResult with one RunResult per optimizer (same order as ``cfg.optimizers``).
    """
    data = make_data(cfg.data, seed) if data is None else data
    tensors = _tensors(data)
    init = build_mlp(data.X_train.shape[1], cfg.layers, cfg.units, cfg.activation, seed)
    runs = []
    total = len(cfg.optimizers) * cfg.num_epochs
    for i, name in enumerate(cfg.optimizers):
        model = copy.deepcopy(init)
        gen = torch.Generator().manual_seed(int(seed) + 1)

        def progress(e, i=i, name=name):
            if callback:
                done = i * cfg.num_epochs + e
                callback(done, {"fraction": done / total, "text": f"Racing: {name} ..."})

        runs.append(_run(name, cfg.lr(name), model, tensors, cfg, gen, progress))
    if callback:
        callback(total, {"fraction": 1.0, "text": "Racing: done"})
    return RaceResult(cfg, runs, data.snr_db)


# --------------------------------------------------------------------------------- model selection
@dataclass(frozen=True)
class GridConfig:
    """A model-selection grid: every combination is trained with ``optimizer`` for ``num_epochs``."""

    data: TaskConfig = TaskConfig()
    layers: tuple[int, ...] = (1, 2, 3)
    units: tuple[int, ...] = (10, 30, 50)
    activations: tuple[str, ...] = ("tanh", "relu")
    lrs: tuple[float, ...] = (0.001, 0.005, 0.02)
    optimizer: str = "Adam"
    num_epochs: int = 300

    def __post_init__(self):
        for name, values in (
            ("layers", self.layers),
            ("units", self.units),
            ("activations", self.activations),
            ("learning rates", self.lrs),
        ):
            if not values:
                raise ValueError(f"Pick at least one value for {name}.")
        if any(not 1 <= v <= 6 for v in self.layers) or any(not 1 <= v <= 512 for v in self.units):
            raise ValueError("layers must be in 1..6 and units in 1..512.")
        if any(a not in ACTIVATIONS for a in self.activations):
            raise ValueError(f"Unknown activation in {self.activations}; choose from {list(ACTIVATIONS)}.")
        if any(not lr > 0 for lr in self.lrs):
            raise ValueError("Learning rates must be positive.")
        if self.optimizer not in OPTIMIZERS or self.optimizer == "SGD (mini-batch)":
            raise ValueError(f"Pick a full-batch optimizer for the grid, not {self.optimizer!r}.")
        if not 1 <= self.num_epochs <= 100_000:
            raise ValueError(f"num_epochs must be between 1 and 100000, got {self.num_epochs}.")

    @property
    def size(self) -> int:
        return len(self.layers) * len(self.units) * len(self.activations) * len(self.lrs)


@dataclass
class GridResult:
    """``rows``: one dict per model (layers, units, activation, lr, train/val MSE, status); the model with
    the lowest final validation MSE is ``best`` and only its test MSE is reported (``test_mse``)."""

    config: GridConfig
    rows: list[dict]
    best: dict
    test_mse: float
    best_pred: np.ndarray


def model_selection(
    cfg: GridConfig,
    data: RegressionData | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callable[[int, dict], None] | None = None,
) -> GridResult:
    """Train every (layers, units, activation, lr) of the grid from seeded weights; pick by validation.

    Every model starts from the seed's initial weights for its architecture. The selection uses the final
    validation MSE only; the test set is touched once, for the chosen model. ``callback(i, {"fraction": f,
    "text": "model i / n"})`` after each model.
    """
    data = make_data(cfg.data, seed) if data is None else data
    tensors = _tensors(data)
    rows, preds, tests = [], [], []
    combos = list(itertools.product(cfg.layers, cfg.units, cfg.activations, cfg.lrs))
    for i, (layers, units, act, lr) in enumerate(combos):
        rc = RaceConfig(
            data=cfg.data,
            optimizers=(cfg.optimizer,),
            lr_overrides=((cfg.optimizer, lr),),
            layers=layers,
            units=units,
            activation=act,
            num_epochs=cfg.num_epochs,
        )
        model = build_mlp(data.X_train.shape[1], layers, units, act, seed)
        run = _run(cfg.optimizer, lr, model, tensors, rc, torch.Generator().manual_seed(int(seed) + 1), None)
        rows.append(
            {
                "layers": layers,
                "units": units,
                "activation": act,
                "lr": lr,
                "train MSE": run.final_train,
                "val MSE": run.final_val,
                "status": "diverged" if run.diverged else "ok",
            }
        )
        preds.append(run.grid_pred)
        tests.append(run.test)
        if callback:
            callback(i + 1, {"fraction": (i + 1) / len(combos), "text": f"model {i + 1} / {len(combos)}"})
    vals = np.array([r["val MSE"] for r in rows], float)
    if np.isnan(vals).all():
        raise ValueError("Every model in the grid diverged: lower the learning rates.")
    k = int(np.nanargmin(vals))
    return GridResult(cfg, rows, rows[k], tests[k], preds[k])
