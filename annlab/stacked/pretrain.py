"""Training the stack stage by stage: each layer as an autoencoder, then the three classifiers.

Every stage is one model in the store with its own frozen config. A stage's config names the store key
of the stage it starts from (``below``), so the key of layer k contains the key of layer k-1: change
layer 1 and every layer above it, and every classifier on top, is a different model.

- :class:`LayerConfig` / :func:`train_layer`: layer k learns to reconstruct the codes of layers 1..k-1
  (the pixels for k = 1) from a corrupted copy of them.
- :class:`ClassifierConfig` / :func:`train_classifier`: a :class:`~annlab.stacked.models.StackNet`
  trained on the labelled digits. ``kind="frozen"``: the pretrained encoders stay fixed and only the
  softmax layer learns (accuracy *before* fine-tuning); ``"finetune"``: starts from exactly the frozen
  stage's weights and trains every weight (accuracy *after*); ``"scratch"``: the same network from
  random weights, same labelled digits, same epochs (no pretraining).

References: Bengio et al. (2007), NIPS 19; Vincent et al. (2010), JMLR 11.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from annlab.stacked.models import LayerAE, StackNet, mask_noise, seeded_init, shift_images
from annlab.training import Callback, TrainResult, divergence, generator

KINDS = ("frozen", "finetune", "scratch")
N_CLASSES = 10


def _tensor(a, device: str) -> torch.Tensor:
    """A float32 copy of an array on ``device`` (the data sets are read-only; a copy is safe to use)."""
    return torch.tensor(np.asarray(a, np.float32), device=device)


def _check_training(num_epochs: int, batch_size: int, lr: float) -> None:
    if num_epochs < 1 or batch_size < 1 or not lr > 0:
        raise ValueError("Epochs and batch size must be at least 1 and the learning rate positive.")


@dataclass(frozen=True)
class LayerConfig:
    """One autoencoder of the stack.

    Parameters
    ----------
    layer : position in the stack, 1 = next to the pixels
    n_in, n_hidden : its input size (pixels or the code size of the layer below) and its code size
    corruption : fraction of inputs set to zero during training (0 = a plain autoencoder)
    num_epochs, batch_size, lr : Adam training
    below : store key of the layer below ("" for layer 1): part of this layer's key
    """

    layer: int
    n_in: int
    n_hidden: int
    corruption: float = 0.0
    num_epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    below: str = ""

    def __post_init__(self):
        if self.layer < 1 or self.n_in < 1 or self.n_hidden < 1:
            raise ValueError("layer, n_in and n_hidden must be at least 1.")
        if (self.layer == 1) != (self.below == ""):
            raise ValueError("Layer 1 starts from the pixels (below=''); a higher layer names the one below.")
        if not 0.0 <= self.corruption < 1.0:
            raise ValueError(f"The corruption is a fraction in [0, 1), got {self.corruption}.")
        _check_training(self.num_epochs, self.batch_size, self.lr)

    @property
    def bounded(self) -> bool:
        """Layer 1 reconstructs pixels in [0, 1]; higher layers reconstruct ReLU codes."""
        return self.layer == 1


def build_layer(cfg: LayerConfig) -> LayerAE:
    """An untrained layer for ``cfg`` (for the model store); the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return LayerAE(cfg.n_in, cfg.n_hidden, cfg.bounded)


def train_layer(
    cfg: LayerConfig,
    data: tuple[np.ndarray, ...],
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callback | None = None,
) -> TrainResult:
    """Train one layer as a (denoising) autoencoder on the codes of the layer below.

    Parameters
    ----------
    cfg : the layer
    data : (fit codes (N, n_in), validation codes (V, n_in)[, test codes (M, n_in)]) float32: the
        layer's input, i.e. the pixels for layer 1 and the codes of the layer below otherwise. The
        validation digits are carved from the training split and scored after every epoch; the test
        digits, when given, are scored once, after training
    device, seed, callback : as every training function (``callback(epoch, metrics)``)

    Returns
    -------
    TrainResult with history keys ``epoch``, ``loss`` (training reconstruction loss of the corrupted
    input), ``val_loss`` (validation digits, clean input), ``seconds``; ``extra["test_loss"]`` (the same
    loss on the test digits, after training) when test codes are given.
    """
    x_train, x_held = (_tensor(a, device) for a in data[:2])
    if x_train.shape[1] != cfg.n_in:
        raise ValueError(
            f"Layer {cfg.layer} expects {cfg.n_in} inputs, got codes of size {x_train.shape[1]}."
        )
    gen = generator(seed + 1000 * cfg.layer)
    dgen = generator(seed + 1000 * cfg.layer + 1, device)
    model = seeded_init(build_layer(cfg), gen).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    history, diverged, start = [], None, time.perf_counter()
    n = len(x_train)
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        order = torch.randperm(n, generator=gen).to(device)
        total = 0.0
        for i in range(0, n, cfg.batch_size):
            xb = x_train[order[i : i + cfg.batch_size]]
            loss = model.loss(mask_noise(xb, cfg.corruption, dgen), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        model.eval()
        with torch.no_grad():
            val = model.loss(x_held, x_held).item()
        row = {"epoch": epoch, "loss": total / n, "val_loss": val, "seconds": time.perf_counter() - start}
        history.append(row)
        if callback:
            callback(epoch, row)
        diverged = divergence(row["loss"], epoch, cfg.lr)
        if diverged:
            break
    extra = {"n_val": len(x_held)}
    if len(data) > 2:  # the test digits: once, after training
        with torch.no_grad():
            x_test = _tensor(data[2], device)
            extra |= {"test_loss": model.loss(x_test, x_test).item(), "n_test": len(x_test)}
    return TrainResult(model.eval(), history, cfg, extra=extra, diverged=diverged)


@torch.no_grad()
def encode(layer: LayerAE, x: np.ndarray, device: str = "cpu") -> np.ndarray:
    """The codes of a trained layer: x (N, n_in) -> (N, n_hidden) float32 (the model is not changed)."""
    return layer.encode(_tensor(x, device)).cpu().numpy()


def labelled_subset(y: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` labelled training digits, stratified by class and seeded (sorted).

    Each class gets its share of ``n`` in proportion to its size (largest remainders round up), drawn
    without replacement by a generator seeded with ``seed``. ``n`` equal to ``len(y)`` gives every
    index; ``n`` must be at least the number of classes.
    """
    y = np.asarray(y)
    if n >= len(y):
        return np.arange(len(y))
    classes, counts = np.unique(y, return_counts=True)
    if n < len(classes):
        raise ValueError(f"At least {len(classes)} labelled digits are needed (one per class), not {n}.")
    exact = n * counts / len(y)
    take = np.floor(exact).astype(int)
    take[np.argsort(-(exact - take), kind="stable")[: n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    idx = [rng.choice(np.flatnonzero(y == c), k, replace=False) for c, k in zip(classes, take, strict=True)]
    return np.sort(np.concatenate(idx))


@dataclass(frozen=True)
class ClassifierConfig:
    """One of the three classifiers on the stack.

    Parameters
    ----------
    kind : "frozen" (softmax on the fixed pretrained codes), "finetune" (every weight, from the frozen
        stage's weights) or "scratch" (every weight, from random weights)
    sizes : layer sizes, pixels first, e.g. (784, 512, 256, 128)
    n_labels : labelled training digits used (a stratified seeded subset)
    num_epochs, batch_size, lr, weight_decay : AdamW on cross-entropy, the learning rate falling from
        ``lr`` to 0 along a cosine over the epochs (Loshchilov & Hutter, 2017)
    shift, rotate, scale, warp : data augmentation: random translations of up to ``shift`` pixels,
        rotations of up to ``rotate`` degrees, scalings by up to ``scale`` (a fraction) and elastic
        distortions of up to about ``warp`` pixels (0 = none; see
        :func:`~annlab.stacked.models.shift_images`)
    label_smoothing : weight of the uniform distribution mixed into the one-hot targets (0 = none)
    dropout : dropout on every hidden code while training (not used by "frozen": its codes are fixed)
    below : store key of the stage it starts from: the top layer for "frozen", the frozen classifier for
        "finetune", "" for "scratch"
    """

    kind: str
    sizes: tuple
    n_labels: int
    num_epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    shift: float = 0.0
    rotate: float = 0.0
    scale: float = 0.0
    warp: float = 0.0
    label_smoothing: float = 0.0
    dropout: float = 0.0
    below: str = ""

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(int(s) for s in self.sizes))
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError("sizes lists the input size and at least one hidden layer, all positive.")
        if (self.kind == "scratch") != (self.below == ""):
            raise ValueError("Only the network trained from scratch starts from no stored stage.")
        if self.n_labels < N_CLASSES:
            raise ValueError(f"At least {N_CLASSES} labelled digits are needed (one per class).")
        if min(self.shift, self.rotate, self.warp, self.weight_decay) < 0 or not 0.0 <= self.scale < 1.0:
            raise ValueError("shift, rotate, warp and weight_decay must be non-negative and scale in [0, 1).")
        if not 0.0 <= self.dropout < 1.0 or not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError("dropout and label_smoothing are fractions in [0, 1).")
        _check_training(self.num_epochs, self.batch_size, self.lr)


@dataclass(frozen=True)
class ClassifierData:
    """What a classifier trains on.

    Attributes
    ----------
    X, y : labelled training digits (n_labels, 784) float32 and (n_labels,) int64
    X_val, y_val : validation digits carved from the training split: the per-epoch accuracy curve
    X_test, y_test : held-out test digits, scored once after training (None: not scored)
    start : the weights it starts from: a list of pretrained :class:`LayerAE` state dicts (bottom
        first) for "frozen", a :class:`StackNet` state dict for "finetune", None for "scratch"
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    start: list | dict | None = None


def build_classifier(cfg: ClassifierConfig) -> StackNet:
    """An untrained :class:`StackNet` for ``cfg``; the global RNG is left as it was."""
    dropout = 0.0 if cfg.kind == "frozen" else cfg.dropout
    with torch.random.fork_rng(devices=[]):
        return StackNet(cfg.sizes, N_CLASSES, dropout)


def start_model(cfg: ClassifierConfig, data: ClassifierData, seed: int = 0) -> StackNet:
    """The classifier before its first training step: random weights from ``seed``, then the pretrained
    encoders ("frozen") or every weight of the frozen stage ("finetune") copied in."""
    model = seeded_init(build_classifier(cfg), generator(seed + 7))
    if cfg.kind == "frozen":
        model.load_encoders(list(data.start))
    elif cfg.kind == "finetune":
        model.load_state_dict(data.start)
    return model


N_TRAIN_ACC = 1000  # labelled digits the per-epoch training accuracy is measured on (at most)


@torch.no_grad()
def accuracy(model: StackNet, X, y, device: str = "cpu", batch: int = 2000) -> float:
    """Fraction of ``X`` (N, 784) that ``model`` labels as ``y`` (N,) (eval mode; model not changed)."""
    if not isinstance(X, torch.Tensor):
        X, y = _tensor(X, device), torch.tensor(np.asarray(y), device=device)
    was = model.training
    model.eval()
    right = sum(
        (model(X[i : i + batch]).argmax(1) == y[i : i + batch]).sum().item() for i in range(0, len(X), batch)
    )
    model.train(was)
    return right / max(1, len(X))


def train_classifier(
    cfg: ClassifierConfig,
    data: ClassifierData,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callback | None = None,
) -> TrainResult:
    """Train one of the three classifiers on the labelled digits (cross-entropy, Adam).

    Returns
    -------
    TrainResult with history keys ``epoch``, ``loss`` (training cross-entropy), ``acc`` (training
    accuracy on clean digits: every labelled digit, or an evenly spaced :data:`N_TRAIN_ACC` of them when
    there are more), ``val_acc`` (validation digits carved from the training split), ``seconds``;
    ``extra["test_acc"]`` and ``extra["test_loss"]`` (cross-entropy) score the test digits once, after
    training (when they are given).
    """
    X, y = _tensor(data.X, device), torch.tensor(np.asarray(data.y), device=device)
    every = max(1, -(-len(X) // N_TRAIN_ACC))  # ceil: at most N_TRAIN_ACC digits for the "acc" curve
    X_acc, y_acc = X[::every], y[::every]
    X_val, y_val = _tensor(data.X_val, device), torch.tensor(np.asarray(data.y_val), device=device)
    model = start_model(cfg, data, seed).to(device)
    if cfg.kind == "frozen":
        model.encoders.requires_grad_(False)
    params = model.head.parameters() if cfg.kind == "frozen" else model.parameters()
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.num_epochs)
    gen = generator(seed + 11)
    dgen = generator(seed + 12, device)
    history, diverged, start = [], None, time.perf_counter()
    n = len(X)
    for epoch in range(1, cfg.num_epochs + 1):
        model.train(cfg.kind != "frozen")  # frozen codes: no dropout, the encoders never change
        order = torch.randperm(n, generator=gen).to(device)
        total = 0.0
        for i in range(0, n, cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            xb = shift_images(
                X[idx], cfg.shift, dgen, max_rotate=cfg.rotate, max_scale=cfg.scale, warp=cfg.warp
            )
            logits = model(xb, dgen)  # dropout masks from the seeded generator
            loss = F.cross_entropy(logits, y[idx], label_smoothing=cfg.label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        row = {
            "epoch": epoch,
            "loss": total / n,
            "acc": accuracy(model, X_acc, y_acc),
            "val_acc": accuracy(model, X_val, y_val),
            "seconds": time.perf_counter() - start,
        }
        history.append(row)
        if callback:
            callback(epoch, row)
        diverged = divergence(row["loss"], epoch, cfg.lr)
        if diverged:
            break
    model.requires_grad_(True).eval()
    extra = {"n_val": len(X_val)}
    if data.X_test is not None:  # the test digits: once, after training
        X_test, y_test = _tensor(data.X_test, device), torch.tensor(np.asarray(data.y_test), device=device)
        with torch.no_grad():
            test_loss = F.cross_entropy(model(X_test), y_test).item()
        extra |= {"test_acc": accuracy(model, X_test, y_test), "test_loss": test_loss, "n_test": len(X_test)}
    return TrainResult(model, history, cfg, extra=extra, diverged=diverged)
