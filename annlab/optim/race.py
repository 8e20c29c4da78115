"""The optimizer race: the same small network, the same initial weights, the same data, many optimizers.

Data (a 1-D sine or the 2-D "personal regression") come from :mod:`annlab.optim.data`.

An *epoch* is one pass over the training set: one step for full-batch methods, ``ceil(n / batch)``
steps for mini-batch SGD, one ``step()`` call (up to ``max_iter`` quasi-Newton iterations with line
search, 5 by default) for L-BFGS. Losses are mean squared errors; the loss at epoch e is measured at the
weights after e epochs (epoch 0 = the shared initial weights). The runs train side by side
(:mod:`annlab.optim.batched`); each run's seconds are its own cost per epoch (measured running it alone)
times its epochs. The test set is scored for every run but shown only for the final choice.

References: Goodfellow, Bengio & Courville, *Deep Learning* (2016), ch. 8; the optimizer papers listed
in :mod:`annlab.optim`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from annlab.optim import FULL_BATCH_ONLY, OPTIMIZERS, batched, make_optimizer, needs_closure
from annlab.optim.data import (  # noqa: F401  (re-exported: the page and tests use race.TaskConfig etc.)
    PERSONAL_FUNCTIONS,
    TASKS,
    RegressionData,
    TaskConfig,
    make_data,
    mean_mse,
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
EXPLODE_FACTOR = batched.EXPLODE_FACTOR


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
MOMENTUM_NAMES = ("Momentum", "Nesterov")
DEFAULT_MOMENTUM = 0.9
DEFAULT_LBFGS_ITER = 5
# torch.optim's fused CPU kernels, else its multi-tensor ("foreach") code: the same update in fewer calls
FUSED = ("GD (full batch)", "SGD (mini-batch)", "Adam", "Adagrad", "Momentum", "Nesterov")


@dataclass(frozen=True)
class RunSpec:
    """One runner of a race: an optimizer with its own settings (None: the race's setting).

    Attributes
    ----------
    name : a key of :data:`annlab.optim.OPTIMIZERS`
    lr : learning rate (None: the race's learning rate for ``name``)
    momentum : β of "Momentum" and "Nesterov" (None: the race's, 0.9 by default)
    max_iter : quasi-Newton iterations per ``step()`` of "L-BFGS" (None: the race's, 5 by default)
    weight_decay : λ of the L2 penalty (λ/2)·‖w‖² on every weight and bias (torch.optim's
        ``weight_decay``, which adds λ·w to the gradient; added to the loss for L-BFGS: the same penalty)
    dropout : probability of dropping each hidden unit while training (0: none)
    patience : early stopping: stop when the validation loss has not improved for this many epochs and
        go back to the weights of its lowest value (0: never stop early)
    label : the run's name on the page (default: made from the settings)
    """

    name: str
    lr: float | None = None
    momentum: float | None = None
    max_iter: int | None = None
    weight_decay: float = 0.0
    dropout: float = 0.0
    patience: int = 0
    label: str = ""

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.name!r}; choose from {list(OPTIMIZERS)}.")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"The learning rate of {self.name} must be positive, got {self.lr}.")
        if self.momentum is not None and not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"Momentum β must be in [0, 1), got {self.momentum}.")
        if self.name == "Nesterov" and self.momentum is not None and self.momentum == 0:
            raise ValueError("Nesterov momentum needs β > 0 (with β = 0 it is plain gradient descent).")
        if self.max_iter is not None and not 1 <= self.max_iter <= 100:
            raise ValueError(f"L-BFGS iterations per step must be between 1 and 100, got {self.max_iter}.")
        if not 0.0 <= self.weight_decay <= 10.0:
            raise ValueError(f"The L2 weight λ must be between 0 and 10, got {self.weight_decay}.")
        if not 0.0 <= self.dropout <= 0.9:
            raise ValueError(f"The dropout probability must be between 0 and 0.9, got {self.dropout}.")
        if not 0 <= self.patience <= 100_000:
            raise ValueError(f"The patience must be a number of epochs >= 0, got {self.patience}.")

    def describe(self) -> str:
        """The settings in words: "lr 0.1, β 0.9" (what a second run of the same optimizer differs by)."""
        parts = [f"lr {self.lr:g}"] if self.lr is not None else []
        if self.momentum is not None and self.name in MOMENTUM_NAMES:
            parts.append(f"β {self.momentum:g}")
        if self.max_iter is not None and self.name == "L-BFGS":
            parts.append(f"max_iter {self.max_iter}")
        if self.weight_decay:
            parts.append(f"L2 λ {self.weight_decay:g}")
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        if self.patience:
            parts.append(f"early stop ({self.patience})")
        return ", ".join(parts)


@dataclass(frozen=True)
class RaceConfig:
    """One race: which optimizers, with which settings, which network, how long.

    Attributes
    ----------
    data : TaskConfig
    optimizers : names from :data:`annlab.optim.OPTIMIZERS`, one run each
    lr_scale : multiplies every optimizer's learning rate (``base_lrs``, else :data:`DEFAULT_LR`)
    lr_overrides : ((name, lr), ...) learning rates that replace the scaled ones
    base_lrs : ((name, lr), ...) an optimizer's own learning rate before ``lr_scale``
    momenta : ((name, β), ...) momentum of "Momentum" / "Nesterov" (default 0.9)
    lbfgs_max_iter : quasi-Newton iterations per L-BFGS ``step()`` (one epoch)
    extra : more runs (:class:`RunSpec`), e.g. the same optimizer a second time with other settings
    layers, units, activation : the MLP (hidden layers, units per hidden layer)
    num_epochs : epochs per run
    batch_size : mini-batch size of "SGD (mini-batch)" (and of the others if ``mini_batch_all``)
    mini_batch_all : run every optimizer except GD and L-BFGS on mini-batches too
    threshold : validation loss (MSE) whose first crossing is timed
    threshold_above_floor : the threshold is measured above the noise floor: val MSE ≤ σ² + threshold
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
    base_lrs: tuple[tuple[str, float], ...] = ()
    momenta: tuple[tuple[str, float], ...] = ()
    lbfgs_max_iter: int = DEFAULT_LBFGS_ITER
    extra: tuple[RunSpec, ...] = ()
    threshold_above_floor: bool = False

    def __post_init__(self):
        if not self.optimizers and not self.extra:
            raise ValueError("Pick at least one optimizer.")
        unknown = [o for o in self.optimizers if o not in OPTIMIZERS]
        if unknown:
            raise ValueError(f"Unknown optimizer(s) {unknown}; choose from {list(OPTIMIZERS)}.")
        if not 1e-4 <= self.lr_scale <= 1e4:
            raise ValueError(f"lr_scale must be between 1e-4 and 1e4, got {self.lr_scale}.")
        for name, lr in (*self.lr_overrides, *self.base_lrs):
            if name not in OPTIMIZERS or not lr > 0:
                raise ValueError(f"Bad learning rate for {name!r}: {lr}.")
        for name, beta in self.momenta:
            RunSpec(name, momentum=beta)  # raises a readable ValueError
        if not 1 <= self.lbfgs_max_iter <= 100:
            raise ValueError(f"L-BFGS iterations per step must be in 1..100, got {self.lbfgs_max_iter}.")
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
        base = dict(self.base_lrs).get(name, DEFAULT_LR[name])
        return dict(self.lr_overrides).get(name, base * self.lr_scale)

    def momentum(self, name: str) -> float | None:
        """β of ``name`` in this race (None for optimizers without momentum)."""
        return dict(self.momenta).get(name, DEFAULT_MOMENTUM) if name in MOMENTUM_NAMES else None

    @property
    def noise_floor(self) -> float:
        """σ²: the expected MSE of the noise-free truth on noisy targets (no model can beat it on average)."""
        return self.data.noise**2

    @property
    def threshold_value(self) -> float:
        """The validation MSE whose first crossing is timed (σ² + threshold when above the floor)."""
        return self.threshold + (self.noise_floor if self.threshold_above_floor else 0.0)

    def specs(self) -> tuple[RunSpec, ...]:
        """Every run of the race with its settings filled in and a unique label, in order."""
        out = []
        for name in self.optimizers:
            it = self.lbfgs_max_iter if name == "L-BFGS" else None
            out.append(RunSpec(name, self.lr(name), self.momentum(name), it, label=name))
        for s in self.extra:
            filled = dataclasses.replace(
                s,
                lr=self.lr(s.name) if s.lr is None else s.lr,
                momentum=self.momentum(s.name) if s.momentum is None else s.momentum,
                max_iter=(self.lbfgs_max_iter if s.max_iter is None else s.max_iter)
                if s.name == "L-BFGS"
                else None,
            )
            out.append(dataclasses.replace(filled, label=s.label or f"{s.name}, {filled.describe()}"))
        labels = [s.label for s in out]
        for i, s in enumerate(out):
            if labels.count(s.label) > 1:
                out[i] = dataclasses.replace(s, label=f"{s.label} #{labels[:i].count(s.label) + 1}")
        return tuple(out)


@dataclass
class RunResult:
    """One run (plain numpy data, picklable for st.cache_data).

    ``name`` is the run's label (the optimizer's name unless it runs more than once) and ``optimizer``
    the torch.optim method; ``settings`` the hyper-parameters its optimizer really had (from
    ``optimizer.defaults``). ``epoch``, ``train``, ``val``, ``seconds`` have shape (n_kept,): only finite
    epochs are kept. ``grid_pred`` (m,) is the final network on ``RegressionData.X_grid`` and
    ``test_pred`` (n_test,) on the test points. Final losses are NaN and ``diverged`` says why when the
    run blew up; ``stopped_epoch`` is set when early stopping ended it (its weights are then those of
    its lowest validation loss).
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
    optimizer: str = ""
    settings: dict = field(default_factory=dict)
    stopped_epoch: int | None = None
    test_pred: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    @property
    def final_train(self) -> float:
        if self.diverged:
            return math.nan
        return float(
            self.train[int(np.argmin(self.val))] if self.stopped_epoch is not None else self.train[-1]
        )

    @property
    def final_val(self) -> float:
        if self.diverged:
            return math.nan
        return self.best_val if self.stopped_epoch is not None else float(self.val[-1])

    @property
    def best_epoch(self) -> int:
        return int(self.epoch[int(np.argmin(self.val))])

    @property
    def best_val(self) -> float:
        return float(np.min(self.val))


def _never(cfg: RaceConfig) -> str:
    """What an empty "epochs to threshold" cell says."""
    if not cfg.threshold_above_floor and cfg.noise_floor >= cfg.threshold:
        return f"never: the noise floor σ² = {cfg.noise_floor:.3g} is above it"
    return "not reached"


@dataclass
class RaceResult:
    """All runs of a race, in the order of ``config.specs()``."""

    config: RaceConfig
    runs: list[RunResult]
    snr_db: float
    extra: dict = field(default_factory=dict)

    def threshold_label(self) -> str:
        """The threshold in words: "val ≤ 0.02" or "val ≤ σ² + 0.02 = 0.03"."""
        cfg = self.config
        if cfg.threshold_above_floor:
            return f"val ≤ σ² + {cfg.threshold:g} = {cfg.threshold_value:.3g}"
        return f"val ≤ {cfg.threshold:g}"

    def table(self) -> list[dict]:
        """One row per run: final train and validation MSE (no test MSE: the test set is used once, for
        the final choice), the lowest validation MSE and its epoch, epochs and seconds until the
        validation MSE first reaches the threshold (or why never), total seconds."""
        rows = []
        never, thr = _never(self.config), self.threshold_label()
        for r in self.runs:
            reached = r.threshold_epoch is not None
            rows.append(
                {
                    "optimizer": r.name,
                    "lr": r.lr,
                    "train MSE": r.final_train,
                    "val MSE": r.final_val,
                    "lowest val MSE": math.nan if r.diverged else r.best_val,
                    "best epoch": r.best_epoch,
                    f"epochs to {thr}": str(r.threshold_epoch) if reached else never,
                    f"s to {thr}": f"{r.threshold_seconds:.2f}" if reached else never,
                    "total s": float(r.seconds[-1]),
                    "status": "diverged"
                    if r.diverged
                    else (
                        f"stopped early at epoch {r.stopped_epoch}" if r.stopped_epoch is not None else "ok"
                    ),
                }
            )
        return rows

    def choice(self) -> RunResult | None:
        """The run with the lowest final validation MSE (None if every run diverged): the final choice."""
        ok = [r for r in self.runs if not r.diverged]
        return min(ok, key=lambda r: r.final_val) if ok else None


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


def _make(spec: RunSpec, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """The run's torch.optim optimizer on its parameter views, with its own settings."""
    kw: dict = {"fused": True} if spec.name in FUSED else {"foreach": True} if spec.name != "L-BFGS" else {}
    if spec.name in MOMENTUM_NAMES:
        kw["momentum"] = spec.momentum
    if spec.name == "L-BFGS":
        kw["max_iter"] = spec.max_iter
    elif spec.weight_decay:
        kw["weight_decay"] = spec.weight_decay
    return make_optimizer(spec.name, params, spec.lr, **kw)


def _mode(spec: RunSpec, cfg: RaceConfig) -> str:
    if needs_closure(spec.name):
        return "closure"
    if spec.name == "SGD (mini-batch)" or (cfg.mini_batch_all and spec.name not in FULL_BATCH_ONLY):
        return "mini"
    return "dropout" if spec.dropout else "full"


def _task(data: RegressionData) -> batched.Task:
    t = torch.from_numpy
    return batched.Task(
        X_train=t(data.X_train),
        y_train=t(data.y_train),
        X_all=torch.cat([t(data.X_train), t(data.X_val)]),
        X_val=t(data.X_val),
        y_val=t(data.y_val),
        X_test=t(data.X_test),
        y_test=t(data.y_test),
        X_grid=t(data.X_grid),
    )


def init_seed(seed: int, repeat: int = 0) -> int:
    """The seed of the initial weights of repeat ``repeat`` (repeat 0: ``seed`` itself)."""
    return int(seed) if repeat == 0 else int(seed) + 7919 * int(repeat)


def race(
    cfg: RaceConfig,
    data: RegressionData | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    repeat: int = 0,
    callback: Callable[[int, dict], None] | None = None,
) -> RaceResult:
    """Train one copy of the same initial network per run and record the curves.

    Runs that take the same steps on the same inputs train side by side (:mod:`annlab.optim.batched`):
    one stacked pass per step, each run's own ``torch.optim`` update.

    Parameters
    ----------
    cfg : RaceConfig
    data : RegressionData (default: ``make_data(cfg.data, seed)``)
    device : only "cpu" is used: these networks are far too small to gain from an accelerator
    seed : data split, noise, initial weights and mini-batch order
    repeat : other initial weights on the same data (:func:`init_seed`); 0 = the seed's own
    callback : ``callback(epochs_done, {"fraction": f, "text": "Racing: <optimizer> ..."})`` now and then

    Returns
    -------
    RaceResult with one RunResult per run (the order of ``cfg.specs()``).
    """
    data = make_data(cfg.data, seed) if data is None else data
    task = _task(data)
    init = build_mlp(data.X_train.shape[1], cfg.layers, cfg.units, cfg.activation, init_seed(seed, repeat))
    act = ACTIVATIONS[cfg.activation]()
    specs = cfg.specs()
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(specs):
        mode = _mode(s, cfg)
        groups.setdefault(f"{mode}{i}" if mode == "closure" else mode, []).append(i)
    runs: list[RunResult | None] = [None] * len(specs)
    total, done = len(specs) * cfg.num_epochs, 0
    for key, idx in groups.items():
        names = ", ".join(specs[i].label for i in idx)

        def progress(e, done=done, n=len(idx), names=names):
            if callback:
                callback(done + e * n, {"fraction": (done + e * n) / total, "text": f"Racing: {names} ..."})

        out = batched.train_group(
            [specs[i] for i in idx],
            _make,
            init,
            act,
            task,
            mode="closure" if key.startswith("closure") else key,
            epochs=cfg.num_epochs,
            batch_size=cfg.batch_size,
            seed=seed,
            progress=progress,
        )
        for i, g in zip(idx, out, strict=True):
            runs[i] = _result(specs[i], g, cfg)
        done += len(idx) * cfg.num_epochs
    if callback:
        callback(total, {"fraction": 1.0, "text": "Racing: done"})
    return RaceResult(cfg, runs, data.snr_db)


def _result(spec: RunSpec, g: batched.GroupRun, cfg: RaceConfig) -> RunResult:
    epochs = np.arange(len(g.train))
    hit = np.nonzero(g.val <= cfg.threshold_value)[0]
    diverged = None
    if g.diverged_at is not None:
        start = float(g.train[0]) if len(g.train) else math.nan
        diverged = _why(spec.name, spec.lr, g.diverged_at, g.diverged_loss, start)
    return RunResult(
        spec.label,
        spec.lr,
        epochs,
        g.train,
        g.val,
        g.seconds,
        g.test,
        g.grid_pred,
        int(epochs[hit[0]]) if len(hit) else None,
        float(g.seconds[hit[0]]) if len(hit) else None,
        diverged,
        optimizer=spec.name,
        settings=g.settings,
        stopped_epoch=g.stopped_epoch,
        test_pred=g.test_pred,
    )


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
    the lowest final validation MSE is ``best`` and only its test MSE is reported (``test_mse``), with its
    predictions on the grid (``best_pred``) and on the test points (``best_test_pred``)."""

    config: GridConfig
    rows: list[dict]
    best: dict
    test_mse: float
    best_pred: np.ndarray
    best_test_pred: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


def model_selection(
    cfg: GridConfig,
    data: RegressionData | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callable[[int, dict], None] | None = None,
) -> GridResult:
    """Train every (layers, units, activation, lr) of the grid from seeded weights; pick by validation.

    Every model starts from the seed's initial weights for its architecture (the learning rates of one
    architecture train side by side). The selection uses the final validation MSE only; the test set is
    touched once, for the chosen model. ``callback(i, {"fraction": f, "text": "model i / n"})`` as
    models finish.
    """
    data = make_data(cfg.data, seed) if data is None else data
    rows, preds, tests, test_preds = [], [], [], []
    archs = list(itertools.product(cfg.layers, cfg.units, cfg.activations))
    for layers, units, act in archs:
        race_cfg = RaceConfig(
            data=cfg.data,
            optimizers=(),
            extra=tuple(RunSpec(cfg.optimizer, lr=lr, label=f"lr {lr:g}") for lr in cfg.lrs),
            layers=layers,
            units=units,
            activation=act,
            num_epochs=cfg.num_epochs,
        )
        result = race(race_cfg, data, seed=seed)
        for lr, run in zip(cfg.lrs, result.runs, strict=True):
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
            test_preds.append(run.test_pred)
        if callback:
            n, total = len(rows), cfg.size
            callback(n, {"fraction": n / total, "text": f"model {n} / {total}"})
    vals = np.array([r["val MSE"] for r in rows], float)
    if np.isnan(vals).all():
        raise ValueError("Every model in the grid diverged: lower the learning rates.")
    k = int(np.nanargmin(vals))
    return GridResult(cfg, rows, rows[k], tests[k], preds[k], test_preds[k])
