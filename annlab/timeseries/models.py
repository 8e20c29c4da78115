"""MLP and LSTM next-value predictors for a scalar series; two kinds of forecast.

Both models read the last ``lag`` values (normalised) and predict the next one: the MLP as a flat
vector of ``lag`` inputs, the LSTM as a sequence of length ``lag``. Training is Adam (full batch or
mini-batches) or full-batch L-BFGS on all windows of the training series, with the same options for
both models: an L2 penalty (the same term in the loss under either optimizer), a closed-loop
("rollout") loss, Gaussian noise on the inputs (it makes the model robust to its own errors when it
later feeds on its own predictions), and a held-out validation stretch at the end of the series, scored
by a closed-loop forecast at every reported epoch (learning curves, early stopping). Adam can also
anneal its learning rate along a cosine and clip gradients, and either model can be an ensemble of
networks averaged at every step.

References: Weigend, Huberman & Rumelhart (1990), "Predicting the future: a connectionist approach";
Hochreiter & Schmidhuber (1997), "Long short-term memory"; Goodfellow, Bengio & Courville (2016),
"Deep Learning", sec. 7.5 (noise injection), 7.11 (ensembles) and 10.2.1 (teacher forcing);
Loshchilov & Hutter (2017), "SGDR: stochastic gradient descent with warm restarts" (cosine annealing).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from annlab.timeseries.data import windows
from annlab.training import Callback, TrainResult, divergence, generator

MODELS = ("mlp", "lstm")
OPTIMIZERS = ("adam", "lbfgs")
HEADS = ("linear", "bounded", "clipped")
MARGIN = 0.1  # a bounded head reaches 10 % beyond the fitted range (5 % below its minimum, 5 % above its max)


@dataclass(frozen=True)
class TSConfig:
    """A next-value model for a scalar series.

    Parameters
    ----------
    model : "mlp" or "lstm"
    lag : int, past values seen (MLP inputs, LSTM sequence length)
    n_hidden : int, hidden units (MLP) or LSTM hidden size
    num_layers : int, LSTM layers (ignored by the MLP, which has one hidden layer)
    num_epochs : int, epochs (see ``optimizer``)
    lr : float, learning rate (Adam, or L-BFGS's step size)
    weight_decay : float, L2 penalty ``weight_decay / 2 * ||w||^2`` added to the loss, under Adam and
        L-BFGS alike (the same regulariser; Adam's own ``weight_decay`` would be the same gradient, and
        AdamW's decoupled decay a different one)
    input_noise : float, std of Gaussian noise added to the inputs while training (normalised units)
    rollout : int, the loss averages the errors of ``rollout`` steps predicted in closed loop (each
        step fed the model's own previous predictions), 1 = plain one-step (teacher-forced) training
    rollout_epochs : int or None, use the rollout loss only for the last ``rollout_epochs`` epochs
        (the first ones train one step ahead, which is cheaper); None = every epoch
    optimizer : "adam" (one pass over the windows per epoch: one step per mini-batch, or one full-batch
        step) or "lbfgs" (one L-BFGS step of up to 20 iterations per epoch, strong-Wolfe line search)
    batch_size : int or None, Adam mini-batches of shuffled windows (more updates for the same
        compute); None = full batch (L-BFGS is always full batch)
    val_size : int, hold out the last ``val_size`` points of the series given to :func:`train_ts`: the
        model fits the points before them, and every reported epoch forecasts them in closed loop
        (``val_loss``, normalised MSE); 0 = fit every point, no validation
    patience : int or None, early stopping (needs ``val_size``): stop when ``val_loss`` has not improved
        for ``patience`` epochs and keep the weights of the best reported epoch; None = train every epoch
    lr_end : float or None, cosine-anneal the learning rate from ``lr`` down to ``lr_end`` over the
        epochs (Adam only; small steps at the end fit more precisely); None = constant ``lr``
    grad_clip : float or None, clip the gradient's global norm to this value before each step (Adam)
    n_models : int, an ensemble of ``n_models`` networks from different random starts, each trained on
        its own loss (same windows, batches and noise); the forecast averages their predictions at every
        step, so in closed loop they feed on the average. 1 = a single network
    head : "linear" (the output layer's value, unbounded), "bounded": ``mid + half * (1 + MARGIN) *
        tanh(z)``, a scaled tanh over the range of the points fitted (``mid``, ``half``: the centre and
        half-width of that range), or "clipped": the linear value clipped to that same widened range
        (unchanged inside it). Either way a closed loop can never leave the range the laser showed in
        training (it cannot dive below zero intensity or run off to infinity)
    """

    model: str = "mlp"
    lag: int = 25
    n_hidden: int = 25
    num_layers: int = 1
    num_epochs: int = 1000
    lr: float = 0.01
    weight_decay: float = 0.0
    input_noise: float = 0.0
    rollout: int = 1
    rollout_epochs: int | None = None
    optimizer: str = "adam"
    batch_size: int | None = None
    val_size: int = 0
    patience: int | None = None
    lr_end: float | None = None
    grad_clip: float | None = None
    n_models: int = 1
    head: str = "linear"

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"Unknown model {self.model!r}: choose one of {MODELS}.")
        if self.head not in HEADS:
            raise ValueError(f"Unknown output head {self.head!r}: choose one of {HEADS}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}: choose one of {OPTIMIZERS}.")
        if self.batch_size is not None and (self.batch_size < 1 or self.optimizer == "lbfgs"):
            raise ValueError(
                "The batch size must be at least 1, and L-BFGS trains on the full batch "
                f"(got batch_size={self.batch_size} with {self.optimizer})."
            )
        if self.lag < 1:
            raise ValueError(f"The lag must be at least 1 (got {self.lag}).")
        if self.n_hidden < 1:
            raise ValueError(f"The number of hidden units must be at least 1 (got {self.n_hidden}).")
        if self.num_layers < 1:
            raise ValueError(f"The LSTM needs at least one layer (got {self.num_layers}).")
        if self.num_epochs < 1:
            raise ValueError(f"Train for at least one epoch (got {self.num_epochs}).")
        if not self.lr > 0:
            raise ValueError(f"The learning rate must be positive (got {self.lr}).")
        if self.rollout < 1:
            raise ValueError(f"The rollout (steps fed back in the loss) must be >= 1, got {self.rollout}.")
        if self.rollout_epochs is not None and not 0 <= self.rollout_epochs <= self.num_epochs:
            raise ValueError(f"rollout_epochs must be between 0 and num_epochs (got {self.rollout_epochs}).")
        if self.weight_decay < 0 or self.input_noise < 0:
            raise ValueError("Weight decay and input noise cannot be negative.")
        if self.val_size < 0:
            raise ValueError(f"The validation size cannot be negative (got {self.val_size}).")
        if self.lr_end is not None and (self.optimizer != "adam" or not 0 < self.lr_end <= self.lr):
            raise ValueError(
                "The annealed learning rate (lr_end) must be positive, at most lr, and needs Adam "
                f"(got lr_end={self.lr_end}, lr={self.lr}, {self.optimizer})."
            )
        if self.grad_clip is not None and (self.optimizer != "adam" or not self.grad_clip > 0):
            raise ValueError(f"Gradient clipping needs Adam and a positive norm (got {self.grad_clip}).")
        if self.n_models < 1:
            raise ValueError(f"An ensemble needs at least one network (got n_models={self.n_models}).")
        if self.patience is not None and (self.patience < 1 or self.val_size == 0):
            raise ValueError(
                "Early stopping needs a validation stretch (val_size > 0) and a patience of at least one "
                f"epoch (got patience={self.patience}, val_size={self.val_size})."
            )


class Bound(nn.Module):
    """Keeps an output inside the fitted range widened by :data:`MARGIN`: ``mid + half * (1 + MARGIN) *
    tanh(z)`` (``squash=True``) or ``z`` clipped to ``mid -+ half * (1 + MARGIN)``. ``lo`` and ``hi`` are
    buffers (saved with the weights), set by :func:`set_range`."""

    def __init__(self, squash: bool = True):
        super().__init__()
        self.squash = squash
        self.register_buffer("lo", torch.tensor(-1.0))
        self.register_buffer("hi", torch.tensor(1.0))

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (B,) -> (B,)
        mid, half = (self.hi + self.lo) / 2, (self.hi - self.lo) / 2 * (1 + MARGIN)
        if self.squash:
            return mid + half * torch.tanh(z)
        return torch.minimum(torch.maximum(z, mid - half), mid + half)


class MLP(nn.Module):
    """``lag`` inputs -> ``hidden`` tanh units -> 1 output (optionally kept in range by :class:`Bound`)."""

    def __init__(self, lag: int, hidden: int, head: str = "linear"):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(lag, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.bound = _bound(head)

    def forward(self, X: torch.Tensor) -> torch.Tensor:  # (B, lag) -> (B,)
        return self.bound(self.net(X).squeeze(-1))


class LSTMNet(nn.Module):
    """An LSTM reads the ``lag`` values in order; a linear layer maps its last state to the next value
    (optionally kept in range by :class:`Bound`)."""

    def __init__(self, hidden: int, num_layers: int, head: str = "linear"):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.bound = _bound(head)

    def forward(self, X: torch.Tensor) -> torch.Tensor:  # (B, lag) -> (B,)
        out, _ = self.lstm(X.unsqueeze(-1))  # (B, lag, hidden)
        return self.bound(self.head(out[:, -1]).squeeze(-1))


class Ensemble(nn.Module):
    """Several networks that predict together: the output is the mean of theirs."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, X: torch.Tensor) -> torch.Tensor:  # (B, lag) -> (B,)
        return torch.stack([m(X) for m in self.members]).mean(0)


def _bound(head: str) -> nn.Module:
    return nn.Identity() if head == "linear" else Bound(squash=head == "bounded")


def _one(cfg: TSConfig) -> nn.Module:
    if cfg.model == "mlp":
        return MLP(cfg.lag, cfg.n_hidden, cfg.head)
    return LSTMNet(cfg.n_hidden, cfg.num_layers, cfg.head)


@torch.no_grad()
def set_range(model: nn.Module, series: np.ndarray) -> None:
    """Set every :class:`Bound` of ``model`` to the range of ``series`` (the points it fits)."""
    lo, hi = float(np.min(series)), float(np.max(series))
    for module in model.modules():
        if isinstance(module, Bound):
            module.lo.fill_(lo)
            module.hi.fill_(hi)


def build(cfg: TSConfig) -> nn.Module:
    """An untrained model for ``cfg`` (PyTorch's default initialisation); an :class:`Ensemble` of
    ``cfg.n_models`` networks when it is more than 1."""
    return _one(cfg) if cfg.n_models == 1 else Ensemble([_one(cfg) for _ in range(cfg.n_models)])


def _members(model: nn.Module) -> list[nn.Module]:
    """The networks whose losses are trained: an ensemble's members, or the model itself."""
    return list(model.members) if isinstance(model, Ensemble) else [model]


@torch.no_grad()
def _init(model: nn.Module, gen: torch.Generator) -> None:
    """Re-draw every parameter from PyTorch's default ranges with a seeded generator (no global RNG)."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            bound = 1.0 / math.sqrt(module.in_features)
            module.weight.uniform_(-bound, bound, generator=gen)
            module.bias.uniform_(-bound, bound, generator=gen)
        elif isinstance(module, nn.LSTM):
            bound = 1.0 / math.sqrt(module.hidden_size)
            for p in module.parameters():
                p.uniform_(-bound, bound, generator=gen)


def _rollout_loss(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, rollout: int) -> torch.Tensor:
    """Mean squared error of ``rollout`` closed-loop steps from each window.

    X : (n, lag) starting windows; Y : (n, rollout) the true next ``rollout`` values.
    """
    cur, total = X, 0.0
    for k in range(rollout):
        y_hat = model(cur)  # (n,)
        total = total + torch.mean((y_hat - Y[:, k]) ** 2)
        cur = torch.cat([cur[:, 1:], y_hat.unsqueeze(1)], dim=1)  # feed the prediction back
    return total / rollout


def _l2(model: nn.Module) -> torch.Tensor:
    """Sum of the squares of every parameter (the L2 penalty is ``weight_decay / 2`` times this)."""
    return sum((p**2).sum() for p in model.parameters())


def train_ts(
    cfg: TSConfig, data: np.ndarray, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train a next-value model on every window of a normalised training series.

    Parameters
    ----------
    cfg : TSConfig
    data : ndarray of shape (n,), the normalised training series (nothing after it); with
        ``cfg.val_size`` its last points are held out for validation and never fitted
    device, seed : where to train; the seed fixes the initial weights, the batches and the input noise
    callback : ``callback(epoch, {"loss": mse, "val_loss": ...})``, called about 50 times per run

    Returns
    -------
    TrainResult with ``history`` (one dict per reported epoch: ``loss`` = training MSE of the last epoch
    in normalised units, without the penalty; with validation also ``val_loss``, the closed-loop MSE of
    the held-out points, and ``val_nmse``, that MSE over their variance) and ``extra = {"train_s":
    seconds, "best_epoch": the reported epoch whose weights are kept}``.
    """
    data = np.asarray(data, np.float32).ravel()
    fit, val = data, None
    if cfg.val_size:
        if cfg.val_size >= data.size - cfg.lag:
            raise ValueError(
                f"A validation stretch of {cfg.val_size} points leaves too little of the {data.size} to fit."
            )
        fit, val = data[: -cfg.val_size], data[-cfg.val_size :]
    X_np, y_np = windows(fit, cfg.lag)
    if cfg.rollout > len(y_np):
        raise ValueError(f"A rollout of {cfg.rollout} steps is longer than the {len(y_np)} training targets.")
    n = len(y_np) - cfg.rollout + 1
    X = torch.as_tensor(X_np[:n], device=device)  # (n, lag)
    Y_np = np.stack([y_np[k : k + n] for k in range(cfg.rollout)], 1)
    Y = torch.as_tensor(Y_np, device=device)  # (n, rollout): Y[i, k] = target k steps after window i
    gen = generator(seed, "cpu")
    model = build(cfg)
    _init(model, gen)
    set_range(model, fit)  # a bounded head spans the points fitted (never the validation stretch)
    model.to(device).train()
    noise_gen = generator(seed + 1, device)
    if cfg.optimizer == "lbfgs":
        opt = torch.optim.LBFGS(
            model.parameters(), lr=cfg.lr, max_iter=20, history_size=20, line_search_fn="strong_wolfe"
        )
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)  # the L2 penalty is in the loss (see cfg)
    sched = None
    if cfg.lr_end is not None:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.num_epochs, eta_min=cfg.lr_end)
    history: list[dict] = []
    every = max(1, cfg.num_epochs // 50)
    first_rollout_epoch = 0 if cfg.rollout_epochs is None else cfg.num_epochs - cfg.rollout_epochs
    diverged, best, best_epoch, best_state = None, math.inf, 0, None
    val_var = float(np.var(val)) if val is not None else 0.0
    start = time.perf_counter()
    for epoch in range(1, cfg.num_epochs + 1):
        X_in = X
        if cfg.input_noise > 0:
            X_in = X + cfg.input_noise * torch.randn(X.shape, generator=noise_gen, device=device)
        steps = cfg.rollout if epoch > first_rollout_epoch else 1
        if cfg.batch_size is None:
            batches = [torch.arange(n, device=device)]
        else:
            batches = torch.randperm(n, generator=gen).to(device).split(cfg.batch_size)
        losses = []
        for idx in batches:
            fitted = {}

            def closure(Xb=X_in[idx], Yb=Y[idx], steps=steps, fitted=fitted):
                opt.zero_grad(set_to_none=True)
                members = _members(model)  # each member fits on its own (the ensemble's sum of losses)
                loss = sum(_rollout_loss(m, Xb, Yb, steps) for m in members)
                fitted["mse"] = float(loss.detach()) / len(members)
                if cfg.weight_decay > 0:  # the same L2 term under Adam and L-BFGS
                    loss = loss + 0.5 * cfg.weight_decay * _l2(model)
                loss.backward()
                if cfg.grad_clip is not None:
                    for m in members:
                        nn.utils.clip_grad_norm_(m.parameters(), cfg.grad_clip)
                return loss

            opt.step(closure)
            losses.append(fitted["mse"] * len(idx))
        loss = sum(losses) / n
        if sched is not None:
            sched.step()
        if epoch % every == 0 or epoch == cfg.num_epochs:
            row = {"epoch": epoch, "loss": float(loss)}
            if val is not None:
                pred = forecast_iterated(model, fit, val.size, cfg.lag)
                row["val_loss"] = float(np.mean((pred - val) ** 2))
                row["val_nmse"] = row["val_loss"] / val_var if val_var > 0 else math.nan
            diverged = divergence(row["loss"], epoch, cfg.lr)
            history.append(row)
            if callback is not None:
                callback(epoch, {k: v for k, v in row.items() if k != "epoch"})
            if diverged:
                break
            if val is not None and cfg.patience is not None:
                if np.isfinite(row["val_loss"]) and row["val_loss"] < best:
                    best, best_epoch = row["val_loss"], epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                elif epoch - best_epoch >= cfg.patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = history[-1]["epoch"] if history else 0
    model.eval()
    extra = {"train_s": time.perf_counter() - start, "best_epoch": int(best_epoch)}
    return TrainResult(model, history, cfg, extra=extra, diverged=diverged)


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def forecast_iterated(model: nn.Module, history: np.ndarray, steps: int, lag: int) -> np.ndarray:
    """Closed-loop forecast: after the start, every input is one of the model's own predictions.

    Parameters
    ----------
    model : trained MLP or LSTMNet (not modified)
    history : ndarray of shape (>= lag,), the known past (normalised); only its last ``lag`` values are used
    steps : int, how many values to predict
    lag : int

    Returns
    -------
    ndarray of shape (steps,), normalised predictions of the ``steps`` values after ``history``
    """
    history = np.asarray(history, np.float32).ravel()
    if history.size < lag:
        raise ValueError(f"The forecast needs {lag} known values to start from, got {history.size}.")
    device = _device_of(model)
    buf = torch.empty(lag + steps, device=device)
    buf[:lag] = torch.tensor(history[-lag:], device=device)
    for k in range(steps):
        buf[lag + k] = model(buf[k : k + lag].unsqueeze(0))[0]
    return buf[lag:].cpu().numpy().astype(np.float64)


@torch.no_grad()
def forecast_one_step(model: nn.Module, history: np.ndarray, future: np.ndarray, lag: int) -> np.ndarray:
    """Teacher-forced forecast: each value of ``future`` is predicted from the TRUE ``lag`` values before it.

    Parameters
    ----------
    history : ndarray of shape (>= lag,), known past (normalised)
    future : ndarray of shape (steps,), the true continuation (normalised)

    Returns
    -------
    ndarray of shape (steps,), normalised one-step-ahead predictions
    """
    history = np.asarray(history, np.float32).ravel()
    future = np.asarray(future, np.float32).ravel()
    if history.size < lag:
        raise ValueError(f"The forecast needs {lag} known values to start from, got {history.size}.")
    full = np.concatenate([history[-lag:], future])
    X, _ = windows(full, lag)
    device = _device_of(model)
    return model(torch.as_tensor(X, device=device)).cpu().numpy().astype(np.float64)
