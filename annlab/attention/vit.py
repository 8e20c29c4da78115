"""A small Vision Transformer for 28x28 digits, its training loop, and a dense baseline.

The image is cut into ``patch x patch`` squares; each square (its pixels as a vector) is mapped to a
``dim``-vector by one linear layer (the patch embedding), a learned CLS token is put in front and a
learned position embedding added, then ``depth`` pre-norm Transformer blocks (multi-head
self-attention and an MLP, each with a residual connection) mix the tokens; the CLS token's final
state is classified. Every block can hand back its attention weights, so a page can show where each
head of each layer looks.

References: Dosovitskiy et al. (2021), "An image is worth 16x16 words: Transformers for image
recognition at scale", ICLR; Vaswani et al. (2017), "Attention is all you need", NeurIPS; Abnar &
Zuidema (2020), "Quantifying attention flow in transformers", ACL (attention rollout).
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

SIDE = 28
N_CLASSES = 10
PATCHES = (4, 7, 14)  # patch sides that tile a 28x28 image


@dataclass(frozen=True)
class ViTConfig:
    """A Vision Transformer and how it is trained (the report's knobs: dim, depth, heads, mlp_dim).

    Attributes
    ----------
    patch : side of a square patch in pixels (28 must be a multiple): (28 / patch)^2 tokens + CLS
    dim : width of every token vector (embedding size)
    depth : number of Transformer blocks
    heads : attention heads per block; each head has ``dim / heads`` dimensions
    mlp_dim : hidden width of each block's MLP
    dropout : dropout after the embeddings, in the attention output and the MLP
    num_epochs, batch_size, lr, weight_decay : AdamW training
    warmup : epochs of linear learning-rate warm-up before a cosine decay to zero
    shift : random shift augmentation, up to this many pixels each way (0 switches it off)
    label_smoothing : share of the target probability spread over the other classes
    """

    patch: int = 7
    dim: int = 64
    depth: int = 3
    heads: int = 4
    mlp_dim: int = 128
    dropout: float = 0.0
    num_epochs: int = 20
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup: int = 2
    shift: int = 2
    label_smoothing: float = 0.1

    def __post_init__(self):
        if self.patch < 1 or SIDE % self.patch:
            raise ValueError(f"The patch side must divide {SIDE}; choose one of {PATCHES}, got {self.patch}.")
        for name in ("dim", "depth", "heads", "mlp_dim", "num_epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive whole number, got {getattr(self, name)}.")
        if self.dim % self.heads:
            raise ValueError(
                f"dim ({self.dim}) must be a multiple of heads ({self.heads}): each head gets dim / heads."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}.")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}.")
        if self.lr <= 0 or self.weight_decay < 0:
            raise ValueError("lr must be positive and weight_decay not negative.")
        if not 0 <= self.warmup <= self.num_epochs:
            raise ValueError(f"warmup must be between 0 and num_epochs, got {self.warmup}.")
        if not 0 <= self.shift < SIDE // 2:
            raise ValueError(f"shift must be between 0 and {SIDE // 2 - 1} pixels, got {self.shift}.")

    @property
    def grid(self) -> int:
        """Patches per side."""
        return SIDE // self.patch

    @property
    def n_patches(self) -> int:
        return self.grid**2

    @property
    def label(self) -> str:
        return f"the ViT (patch {self.patch}, dim {self.dim}, depth {self.depth}, heads {self.heads})"


def patchify(x: torch.Tensor, patch: int) -> torch.Tensor:
    """Cut images into patches, row by row: (B, 784) or (B, 28, 28) -> (B, n_patches, patch*patch)."""
    x = x.reshape(-1, SIDE, SIDE)
    g = SIDE // patch
    # (B, g, p, g, p) -> (B, g, g, p, p): patch (i, j) holds rows i*p.. and columns j*p..
    return x.reshape(-1, g, patch, g, patch).permute(0, 1, 3, 2, 4).reshape(-1, g * g, patch * patch)


class Attention(nn.Module):
    """Multi-head self-attention: one projection to Q, K, V for all heads, one output projection W_O."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, keep: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, n, d = x.shape
        q, k, v = self.qkv(x).reshape(B, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        # q, k, v: (B, heads, n, d_head)
        if keep:  # written out, to keep the weights: softmax(Q K^T / sqrt(d_head))
            weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
            out = weights @ v
        else:
            weights = None
            p = self.dropout if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        out = out.transpose(1, 2).reshape(B, n, d)  # heads concatenated
        return F.dropout(self.out(out), self.dropout, self.training), weights


class Block(nn.Module):
    """Pre-norm Transformer block: x + MSA(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, dim: int, heads: int, mlp_dim: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor, keep: bool = False):
        a, weights = self.attn(self.norm1(x), keep)
        x = x + a
        return x + self.mlp(self.norm2(x)), weights


class ViT(nn.Module):
    """Vision Transformer for (B, 784) digits in [0, 1] -> (B, 10) logits."""

    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Linear(cfg.patch * cfg.patch, cfg.dim)  # the patch embedding
        self.cls = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos = nn.Parameter(torch.zeros(1, cfg.n_patches + 1, cfg.dim))
        self.blocks = nn.ModuleList(
            Block(cfg.dim, cfg.heads, cfg.mlp_dim, cfg.dropout) for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, N_CLASSES)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Embedded tokens before the first block: (B, 784) -> (B, 1 + n_patches, dim)."""
        z = self.embed(patchify(x, self.cfg.patch))
        z = torch.cat([self.cls.expand(len(z), -1, -1), z], dim=1) + self.pos
        return F.dropout(z, self.cfg.dropout, self.training)

    def forward(self, x: torch.Tensor, keep: bool = False):
        """Logits (B, 10); with ``keep`` also the attention weights, (depth, B, heads, n+1, n+1)."""
        z = self.tokens(x)
        kept = []
        for block in self.blocks:
            z, w = block(z, keep)
            kept.append(w)
        logits = self.head(self.norm(z[:, 0]))
        return (logits, torch.stack(kept)) if keep else logits


def parts(model: ViT) -> dict[str, int]:
    """Parameters per part: patch embedding, CLS token and position embedding, blocks, head."""
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    return {
        "patch embedding": count(model.embed),
        "CLS token + position embedding": model.cls.numel() + model.pos.numel(),
        "Transformer blocks": count(model.blocks),
        "final norm + head": count(model.norm) + count(model.head),
    }


def seeded_init(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """Initialise ``model`` from ``gen`` only: truncated-normal (std 0.02) CLS and position embeddings,
    Xavier-uniform linear weights, zero biases, unit norm scales (as in the ViT paper's code)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ("cls", "pos"):
                p.copy_(torch.randn(p.shape, generator=gen).clamp_(-2, 2) * 0.02)
            elif p.dim() > 1:
                bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
                p.copy_(torch.empty(p.shape).uniform_(-bound, bound, generator=gen))
            elif name.endswith("weight"):
                p.fill_(1.0)
            else:
                p.zero_()
    return model


def build(cfg: ViTConfig) -> ViT:
    """An untrained ViT for ``cfg`` (for the model store); the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return ViT(cfg)


def shift_batch(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Move each image of (B, 784) by a random whole number of pixels in [-max_shift, max_shift] along
    each axis, filling with black: (B, 784) -> (B, 784), a new tensor."""
    if max_shift <= 0:
        return x
    B, s = len(x), max_shift
    padded = F.pad(x.reshape(B, SIDE, SIDE), (s, s, s, s))
    off = torch.randint(0, 2 * s + 1, (2, B), generator=gen).to(x.device)
    ar = torch.arange(SIDE, device=x.device)
    rows = (off[0][:, None] + ar)[:, :, None]  # (B, 28, 1)
    cols = (off[1][:, None] + ar)[:, None, :]  # (B, 1, 28)
    return padded[torch.arange(B, device=x.device)[:, None, None], rows, cols].reshape(B, -1)


def lr_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Linear warm-up to 1, then cosine decay to 0 (a factor on the base learning rate)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    t = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


@torch.no_grad()
def evaluate(model: nn.Module, X, y, *, batch_size: int = 500) -> dict[str, float]:
    """Mean cross-entropy and accuracy on (X (n, 784), y (n,)); the model is left as it was."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    X, y = torch.as_tensor(np.array(X, np.float32)), torch.as_tensor(np.array(y, np.int64))
    loss, correct = 0.0, 0
    for i in range(0, len(X), batch_size):
        logits = model(X[i : i + batch_size].to(dev))
        yb = y[i : i + batch_size].to(dev)
        loss += float(F.cross_entropy(logits, yb, reduction="sum"))
        correct += int((logits.argmax(1) == yb).sum())
    model.train(was)
    return {"loss": loss / len(X), "acc": correct / len(X)}


@torch.no_grad()
def predict_proba(model: nn.Module, X, *, batch_size: int = 500) -> np.ndarray:
    """Class probabilities, (n, 784) -> (n, 10), without changing the model."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    X = torch.as_tensor(np.array(X, np.float32))
    out = [torch.softmax(model(X[i : i + batch_size].to(dev)), 1).cpu() for i in range(0, len(X), batch_size)]
    model.train(was)
    return torch.cat(out).numpy()


def fit(
    model: nn.Module,
    cfg,
    data,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callback | None = None,
    train_eval: int = 1000,
) -> TrainResult:
    """The training loop shared by the ViT and the dense baseline: AdamW, warm-up + cosine schedule,
    shift augmentation, label smoothing; training and validation accuracy after every epoch, the test
    digits scored once, after training.

    Parameters
    ----------
    model : an initialised model mapping (B, 784) -> (B, 10)
    cfg : a config with num_epochs, batch_size, lr, weight_decay, warmup, shift, label_smoothing
    data : (X_fit (n, 784), y_fit (n,), X_val (v, 784), y_val (v,), X_test (m, 784), y_test (m,)): the
        model learns from the fit digits; the validation digits (carved from the training split, see
        :func:`annlab.attention.defaults.digit_data`) are scored after every epoch; the test digits
        once, after the last epoch
    train_eval : the first this-many fit digits are scored each epoch (un-augmented, eval mode)

    Returns
    -------
    TrainResult, history rows ``{"epoch", "loss", "val_loss", "train_acc", "val_acc", "lr", "seconds"}``
    (``loss`` is the mean training loss of the epoch, with augmentation and smoothing; ``val_loss`` and
    ``val_acc`` the validation cross-entropy and accuracy), ``extra = {"train_seconds", "n_val",
    "test_loss", "test_acc", "n_test"}``.
    """
    X_train, y_train, X_val, y_val, X_test, y_test = data
    gen = generator(seed + 1)
    model.to(device)
    Xtr = torch.as_tensor(np.array(X_train, np.float32)).to(device)
    ytr = torch.as_tensor(np.array(y_train, np.int64)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n = len(Xtr)
    per_epoch = math.ceil(n / cfg.batch_size)
    total, warm = per_epoch * cfg.num_epochs, per_epoch * cfg.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, max(1, warm), total))
    history: list[dict] = []
    diverged = None
    start = time.perf_counter()
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        loss_sum = 0.0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            xb = shift_batch(Xtr[idx], cfg.shift, gen)
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * len(idx)
        tr = evaluate(model, X_train[:train_eval], y_train[:train_eval])
        va = evaluate(model, X_val, y_val)
        row = {
            "epoch": epoch,
            "loss": loss_sum / n,
            "val_loss": va["loss"],
            "train_acc": tr["acc"],
            "val_acc": va["acc"],
            "lr": opt.param_groups[0]["lr"],
            "seconds": time.perf_counter() - start,
        }
        history.append(row)
        diverged = divergence(row["loss"], epoch, cfg.lr)
        if callback is not None:
            callback(epoch, row)
        if diverged:
            break
    model.eval()
    seconds = time.perf_counter() - start
    te = evaluate(model, X_test, y_test)  # the test digits: once, after training
    extra = {
        "train_seconds": seconds,
        "n_val": len(X_val),
        "test_loss": te["loss"],
        "test_acc": te["acc"],
        "n_test": len(X_test),
    }
    return TrainResult(model, history, cfg, extra=extra, diverged=diverged)


def train_vit(
    cfg: ViTConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train a :class:`ViT` on ``data = (X_fit, y_fit, X_val, y_val, X_test, y_test)`` (see :func:`fit`)."""
    model = seeded_init(build(cfg), generator(seed))
    return fit(model, cfg, data, device=device, seed=seed, callback=callback)


# --- the dense baseline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DenseConfig:
    """A multilayer perceptron on the 784 pixels, trained like the ViT (same loop and augmentation)."""

    hidden: tuple[int, ...] = (256, 128)
    dropout: float = 0.1
    num_epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: int = 1
    shift: int = 2
    label_smoothing: float = 0.0

    def __post_init__(self):
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden must list positive layer widths, got {self.hidden}.")
        if self.num_epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("num_epochs and batch_size must be positive, and lr above zero.")
        if not 0 <= self.warmup <= self.num_epochs:
            raise ValueError(f"warmup must be between 0 and num_epochs, got {self.warmup}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}.")

    @property
    def label(self) -> str:
        return f"the dense network ({' x '.join(map(str, self.hidden))} hidden units)"


def build_dense(cfg: DenseConfig) -> nn.Module:
    """An untrained MLP 784 -> hidden... -> 10 (ReLU, dropout)."""
    with torch.random.fork_rng(devices=[]):
        layers, width = [], SIDE * SIDE
        for h in cfg.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = h
        return nn.Sequential(*layers, nn.Linear(width, N_CLASSES))


def train_dense(
    cfg: DenseConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train the dense baseline on ``data = (X_fit, y_fit, X_val, y_val, X_test, y_test)`` (:func:`fit`)."""
    model = seeded_init(build_dense(cfg), generator(seed))
    return fit(model, cfg, data, device=device, seed=seed, callback=callback)
