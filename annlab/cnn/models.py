"""A configurable CNN for digits, a dense network of about the same size, and their one training loop.

The CNN is a stack of conv blocks (convolution, optional batch norm, activation, optional pooling),
then a dense head (flatten, dropout, an optional hidden layer, ten outputs). Every choice the page
offers is a field of :class:`CNNConfig`; :func:`annlab.cnn.params.layer_table` checks the design and
counts its parameters before anything is built. The dense baseline (:class:`DenseConfig`) shares the
training fields, so both networks see the same optimizer, epochs, batches and augmentation.

Training: cross-entropy, mini-batches from a seeded generator, optional random shifts of up to
``shift`` pixels (zero fill) as augmentation, any optimizer of :data:`OPTIMIZERS` from torch.optim.

References: LeCun et al. (1998), "Gradient-based learning applied to document recognition", Proc. IEEE;
Ioffe & Szegedy (2015), batch normalization, arXiv:1502.03167; Kingma & Ba (2015), Adam,
arXiv:1412.6980; Zeiler (2012), Adadelta, arXiv:1212.5701; Dumoulin & Visin (2016), "A guide to
convolution arithmetic for deep learning", arXiv:1603.07285.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annlab.training import Callback, TrainResult, divergence, generator

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
POOLS = ("max", "avg", "none")
PADDINGS = ("valid", "same")
SIDES = (28, 8)
SCHEDULES = ("constant", "cosine", "onecycle")
# optimizer name -> (torch.optim class name, default learning rate, extra keyword arguments)
OPTIMIZERS = {
    "Adam": ("Adam", 1e-3, {}),
    "SGD": ("SGD", 0.01, {}),
    "SGD + momentum 0.9": ("SGD", 0.01, {"momentum": 0.9}),
    "RMSProp": ("RMSprop", 1e-3, {}),
    "Adadelta (torch lr 1.0)": ("Adadelta", 1.0, {}),
    "Adadelta (Keras lr 0.001)": ("Adadelta", 1e-3, {}),
}


@dataclass(frozen=True)
class FitConfig:
    """How a digit classifier is trained (shared by the CNN and the dense baseline).

    Parameters
    ----------
    side : image side, 28 (MNIST) or 8 (scikit-learn digits)
    optimizer : a key of :data:`OPTIMIZERS`
    lr : learning rate; 0 means the optimizer's default of :data:`OPTIMIZERS`
    num_epochs, batch_size, weight_decay : the training loop
    shift : augmentation, each training image moved by a random whole number of pixels in
        [-shift, shift] along each axis (zero fill); 0 for none
    n_train : train on the first ``n_train`` training images only (0: all)
    schedule : learning rate over the run: "constant", "cosine" (annealed to 0 step by step) or
        "onecycle" (warm up to ``lr`` over the first 30 % of steps, then anneal; Smith, 2018)
    """

    side: int = 28
    optimizer: str = "Adam"
    lr: float = 0.0
    num_epochs: int = 12
    batch_size: int = 64
    weight_decay: float = 0.0
    shift: int = 2
    n_train: int = 0
    schedule: str = "constant"

    def _check_fit(self):
        if self.side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {self.side}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; choose one of {list(OPTIMIZERS)}.")
        if self.lr < 0 or self.weight_decay < 0:
            raise ValueError("lr and weight_decay must be non-negative (lr 0: the optimizer's default).")
        if self.num_epochs < 1 or self.batch_size < 1 or self.n_train < 0:
            raise ValueError("num_epochs and batch_size must be at least 1, n_train at least 0.")
        if not 0 <= self.shift < self.side // 2:
            raise ValueError(f"shift must be between 0 and {self.side // 2 - 1} pixels.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")

    @property
    def learning_rate(self) -> float:
        return self.lr or OPTIMIZERS[self.optimizer][1]


@dataclass(frozen=True)
class CNNConfig(FitConfig):
    """A CNN design: ``len(channels)`` conv blocks, then a dense head.

    Parameters
    ----------
    channels : filters of each conv block, e.g. (16, 32)
    kernel : square kernel size (odd sizes keep "same" padding symmetric)
    padding : "valid" (none) or "same" (``kernel // 2`` zeros on each side, stride 1)
    pool : "max", "avg" (2x2, stride 2, after every block) or "none"
    batch_norm : batch normalisation after each convolution
    activation : a key of :data:`ACTIVATIONS`
    dropout : dropout rate on the flattened features
    dense : width of a hidden dense layer before the 10 outputs (0: none)
    """

    channels: tuple = (16, 32)
    kernel: int = 3
    padding: str = "same"
    pool: str = "max"
    batch_norm: bool = True
    activation: str = "relu"
    dropout: float = 0.0
    dense: int = 0

    def __post_init__(self):
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        self._check_fit()
        if not 1 <= len(self.channels) <= 4 or min(self.channels) < 1:
            raise ValueError("A CNN here has 1 to 4 conv blocks, each with at least one filter.")
        if self.kernel < 1:
            raise ValueError("kernel must be at least 1.")
        if self.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {self.padding!r}.")
        if self.pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {self.pool!r}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {self.activation!r}.")
        if not 0 <= self.dropout < 1 or self.dense < 0:
            raise ValueError("dropout must be in [0, 1) and dense at least 0.")

    @property
    def label(self) -> str:
        blocks = "-".join(str(c) for c in self.channels)
        return f"the CNN ({blocks} filters, {self.kernel}x{self.kernel} kernels)"


@dataclass(frozen=True)
class DenseConfig(FitConfig):
    """A dense (fully connected) network: ``side*side -> hidden... -> 10`` with ReLU."""

    hidden: tuple = (40,)
    dropout: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        self._check_fit()
        if min(self.hidden, default=1) < 1:
            raise ValueError("Every hidden layer needs at least one unit.")
        if not 0 <= self.dropout < 1:
            raise ValueError("dropout must be in [0, 1).")

    @property
    def label(self) -> str:
        widths = "-".join(str(h) for h in self.hidden) or "no"
        return f"the dense network ({widths} hidden units)"


def same_pad(kernel: int) -> int:
    """Zeros added on each side by "same" padding at stride 1 (exactly "same" for odd kernels)."""
    return kernel // 2


class CNN(nn.Module):
    """(B, side*side) or (B, 1, side, side) -> logits (B, 10). ``blocks[i]`` is conv block ``i``."""

    def __init__(self, cfg: CNNConfig):
        super().__init__()
        self.cfg = cfg
        pad = same_pad(cfg.kernel) if cfg.padding == "same" else 0
        blocks, c_in, side = [], 1, cfg.side
        for c_out in cfg.channels:
            layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, cfg.kernel, padding=pad)]
            side = side + 2 * pad - cfg.kernel + 1
            if cfg.batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(ACTIVATIONS[cfg.activation]())
            if cfg.pool != "none":
                layers.append(nn.MaxPool2d(2) if cfg.pool == "max" else nn.AvgPool2d(2))
                side //= 2
            blocks.append(nn.Sequential(*layers))
            c_in = c_out
        if side < 1:
            raise ValueError("The feature map vanishes: check the design with annlab.cnn.params first.")
        self.blocks = nn.ModuleList(blocks)
        head: list[nn.Module] = [nn.Flatten(), nn.Dropout(cfg.dropout)]
        width = c_in * side * side
        if cfg.dense:
            head += [nn.Linear(width, cfg.dense), ACTIVATIONS[cfg.activation]()]
            width = cfg.dense
        head.append(nn.Linear(width, 10))
        self.head = nn.Sequential(*head)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every conv block: x (B, side*side) -> [(B, C_i, H_i, W_i), ...]."""
        h = x.reshape(-1, 1, self.cfg.side, self.cfg.side)
        out = []
        for block in self.blocks:
            h = block(h)
            out.append(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)[-1])


class DenseNet(nn.Module):
    """(B, side*side) -> logits (B, 10)."""

    def __init__(self, cfg: DenseConfig):
        super().__init__()
        self.cfg = cfg
        sizes = [cfg.side * cfg.side, *cfg.hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers += [nn.Dropout(cfg.dropout), nn.Linear(sizes[-1], 10)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(len(x), -1))


def build(cfg: CNNConfig | DenseConfig) -> nn.Module:
    """An untrained network for ``cfg``; the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return CNN(cfg) if isinstance(cfg, CNNConfig) else DenseNet(cfg)


def n_params(model: nn.Module) -> int:
    """Trainable parameters, ``sum(p.numel())``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def seeded_init(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """Re-initialise ``model`` in place from ``gen``: Kaiming-uniform weights (bound sqrt(6 / fan_in),
    suited to ReLU), zero biases, unit batch-norm scales. Same generator state, same weights."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                bound = math.sqrt(6.0 / p[0].numel())
                p.copy_(torch.empty(p.shape).uniform_(-bound, bound, generator=gen))
            elif name.endswith("weight"):  # batch-norm scales
                p.fill_(1.0)
            else:
                p.zero_()
    return model


def initial_model(cfg: CNNConfig | DenseConfig, seed: int = 0) -> nn.Module:
    """The untrained network training starts from for ``seed`` (the optimizer race shares it)."""
    return seeded_init(build(cfg), generator(seed))


def make_optimizer(cfg: FitConfig, params) -> torch.optim.Optimizer:
    """The torch.optim optimizer named by ``cfg.optimizer`` at ``cfg.learning_rate``."""
    cls, _, kw = OPTIMIZERS[cfg.optimizer]
    return getattr(torch.optim, cls)(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, **kw)


def has_momentum(opt: torch.optim.Optimizer) -> bool:
    """Whether ``opt`` keeps a momentum term the one-cycle schedule can cycle: Adam-like betas, or a
    momentum above zero (SGD and RMSprop without momentum keep theirs at 0; Adadelta has none)."""
    return "betas" in opt.defaults or float(opt.defaults.get("momentum", 0.0) or 0.0) > 0.0


def make_scheduler(cfg: FitConfig, opt: torch.optim.Optimizer, steps: int):
    """The per-step learning-rate schedule of ``cfg`` (None for a constant rate).

    The one-cycle schedule cycles the momentum (or Adam's beta1) against the learning rate only for an
    optimizer that has one (:func:`has_momentum`): Adadelta and plain SGD get the learning-rate cycle
    alone, so every optimizer of :data:`OPTIMIZERS` trains under every schedule of :data:`SCHEDULES`."""
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=cfg.learning_rate, total_steps=steps, cycle_momentum=has_momentum(opt)
        )
    return None


def random_shift(x: torch.Tensor, shift: int, gen: torch.Generator) -> torch.Tensor:
    """Move each image by its own random offset in [-shift, shift]^2 pixels, zero fill.

    x : (B, 1, S, S) -> (B, 1, S, S), a new tensor.
    """
    if shift <= 0:
        return x
    b, _, s, _ = x.shape
    padded = F.pad(x, (shift, shift, shift, shift))  # (B, 1, S + 2 shift, S + 2 shift)
    off = torch.randint(0, 2 * shift + 1, (2, b), generator=gen).to(x.device)
    ar = torch.arange(s, device=x.device)
    rows = (off[0][:, None] + ar)[:, :, None]  # (B, S, 1)
    cols = (off[1][:, None] + ar)[:, None, :]  # (B, 1, S)
    return padded[torch.arange(b, device=x.device)[:, None, None], 0, rows, cols].unsqueeze(1)


def _tensors(X, y, side: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    X = np.asarray(X, np.float32)
    if X.ndim != 2 or X.shape[1] != side * side:
        raise ValueError(f"Expected images of shape (n, {side * side}), got {X.shape}.")
    return (
        torch.tensor(X).reshape(-1, 1, side, side).to(device),
        torch.tensor(np.asarray(y, np.int64)).to(device),
    )


@torch.no_grad()
def evaluate(model: nn.Module, X, y, *, batch_size: int = 1000) -> dict[str, float]:
    """Mean cross-entropy and accuracy of ``model`` on images X (n, side*side), labels y (n,)."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    Xt, yt = _tensors(X, y, model.cfg.side, str(dev))
    loss, correct = 0.0, 0
    for i in range(0, len(Xt), batch_size):
        logits = model(Xt[i : i + batch_size])
        loss += float(F.cross_entropy(logits, yt[i : i + batch_size], reduction="sum"))
        correct += int((logits.argmax(1) == yt[i : i + batch_size]).sum())
    model.train(was)
    n = max(len(Xt), 1)
    return {"loss": loss / n, "acc": correct / n}


@torch.no_grad()
def probabilities(model: nn.Module, X, *, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities (n, 10), float32, of images X (n, side*side) in [0, 1]."""
    dev = next(model.parameters()).device
    X = np.asarray(X, np.float32).reshape(len(X), -1)
    out = [
        torch.softmax(model(torch.tensor(X[i : i + batch_size]).to(dev)), dim=1).cpu()
        for i in range(0, len(X), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, 10), np.float32)


def train_classifier(
    cfg: CNNConfig | DenseConfig,
    data: dict,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callback | None = None,
) -> TrainResult:
    """Train a CNN or dense digit classifier with cross-entropy.

    Parameters
    ----------
    cfg : CNNConfig or DenseConfig
    data : dict with ``X`` (n, side*side) float in [0, 1] and ``y`` (n,) int labels to train on, and
        optionally ``X_val``/``y_val`` (digits carved from the training split: scored after every epoch,
        ``val_loss``/``val_acc``) and ``X_test``/``y_test`` (held-out digits: scored once, after
        training, ``extra["test_loss"]``/``extra["test_acc"]``; never seen during training)
    device, seed, callback : see :mod:`annlab.training`

    Returns
    -------
    TrainResult with history rows ``{"epoch", "loss", "acc", "val_loss"?, "val_acc"?, "seconds"}``
    (``seconds``: training time so far, evaluations excluded) and ``extra = {"train_seconds",
    "n_params", "n_val", "test_loss"?, "test_acc"?, "n_test"?}``.
    """
    X, y = _tensors(data["X"], data["y"], cfg.side, device)
    if cfg.n_train:
        X, y = X[: cfg.n_train], y[: cfg.n_train]
    evals = {p: (data[f"X_{p}"], data[f"y_{p}"]) for p in ("val",) if data.get(f"X_{p}") is not None}
    model = initial_model(cfg, seed).to(device)  # the same weights for every optimizer
    opt = make_optimizer(cfg, model.parameters())
    gen, aug = generator(seed + 1), generator(seed + 2)  # batch order, shifts
    history: list[dict] = []
    diverged, spent, n = None, 0.0, len(X)
    sched = make_scheduler(cfg, opt, cfg.num_epochs * math.ceil(n / cfg.batch_size))
    for epoch in range(1, cfg.num_epochs + 1):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            xb, yb = random_shift(X[idx], cfg.shift, aug), y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            if not torch.isfinite(loss):
                loss_sum = float("nan")
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
        spent += time.perf_counter() - start
        row = {"epoch": epoch, "loss": loss_sum / n, "acc": correct / n}
        for part, (Xe, ye) in evals.items():
            scores = evaluate(model, Xe, ye)
            row[f"{part}_loss"], row[f"{part}_acc"] = scores["loss"], scores["acc"]
        row["seconds"] = spent
        history.append(row)
        diverged = divergence(row["loss"], epoch, cfg.learning_rate)
        if callback is not None:
            callback(epoch, row)
        if diverged:
            break
    model.eval()
    extra = {"train_seconds": spent, "n_params": n_params(model), "n_val": len(evals.get("val", ((),))[0])}
    if data.get("X_test") is not None:  # the test digits: scored once, after training
        scores = evaluate(model, data["X_test"], data["y_test"])
        extra.update(test_loss=scores["loss"], test_acc=scores["acc"], n_test=len(data["y_test"]))
    return TrainResult(model, history, cfg, extra=extra, diverged=diverged)
