"""Many copies of one small MLP trained side by side: one stacked forward and backward pass per step.

The race trains the same network from the same initial weights with several optimizers. For networks
this small the time goes into Python and dispatch overhead, not into arithmetic, so the copies are
stacked: every layer's weights of the K runs form one tensor of shape (K, in, out), a forward pass is a
batched matrix product (``torch.baddbmm``) and one batched backward pass (:func:`loss_and_grads`,
back-propagation written out and tested against ``autograd``) gives all K gradients. Each run keeps
its own ``torch.optim`` optimizer, whose parameters are views into the stacked tensors (row k), so
every update is still the library's.

Modes of a group of runs (all runs of a group see the same inputs at each step):

- ``"full"``: full-batch first-order methods; one forward pass on train + validation points gives the
  gradient (train part) and the validation loss at the same weights.
- ``"mini"``: mini-batch methods; the same shuffled mini-batches for every run of the group.
- ``"dropout"``: full batch with dropout in training; the losses are measured without dropout.
- ``"closure"``: L-BFGS, whose ``step(closure)`` evaluates the loss itself (one run per group).

References: Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.5 (back-propagation), §7.12
(dropout), §7.8 (early stopping); Srivastava et al. (2014), dropout.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

EXPLODE_FACTOR = 1e4
CALIBRATION_EPOCHS = 20
_KEPT_SETTINGS = ("lr", "momentum", "nesterov", "weight_decay", "max_iter", "alpha", "rho", "betas")


@dataclass
class GroupRun:
    """What one run of a group did: curves (length ``kept``), final numbers, and its optimizer settings."""

    train: np.ndarray
    val: np.ndarray
    seconds: np.ndarray
    test: float
    test_pred: np.ndarray
    grid_pred: np.ndarray
    diverged_at: int | None = None
    diverged_loss: float = math.nan
    stopped_epoch: int | None = None
    settings: dict = field(default_factory=dict)


def stack_weights(init: nn.Sequential, k: int) -> list[torch.Tensor]:
    """The Linear layers of ``init`` repeated ``k`` times: weights (k, in, out), biases (k, 1, out)."""
    out = []
    for m in init:
        if isinstance(m, nn.Linear):
            w = m.weight.detach().t().contiguous()  # (in, out)
            b = m.bias.detach()[None, :]  # (1, out)
            out += [w.expand(k, *w.shape).clone(), b.expand(k, *b.shape).clone()]
    return out


def forward(params: list[torch.Tensor], x: torch.Tensor, act: nn.Module, masks=None) -> torch.Tensor:
    """The K stacked networks on inputs ``x`` (n, d), shared by all runs: returns (K, n).

    ``masks``: one (K, n, units) tensor per hidden layer (dropout: 0 or 1/keep), or None.
    """
    k = params[0].shape[0]
    h = x.expand(k, *x.shape)  # (K, n, d)
    layers = len(params) // 2
    for i in range(layers):
        h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])  # (K, n, out)
        if i < layers - 1:
            h = act(h)
            if masks is not None:
                h = h * masks[i]
    return h.squeeze(-1)


def _slope(act: nn.Module, a: torch.Tensor) -> torch.Tensor:
    """The activation's derivative, from its output ``a`` (tanh: 1 − a², sigmoid: a(1 − a), ReLU: a > 0,
    ELU with α = 1: 1 for positive inputs, a + 1 otherwise)."""
    if isinstance(act, nn.Tanh):
        return 1.0 - a * a
    if isinstance(act, nn.Sigmoid):
        return a * (1.0 - a)
    if isinstance(act, nn.ReLU):
        return (a > 0).to(a.dtype)
    if isinstance(act, nn.ELU) and act.alpha == 1.0:
        return torch.where(a > 0, torch.ones_like(a), a + 1.0)
    raise ValueError(f"No derivative for {act!r}.")


def loss_and_grads(
    params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, act: nn.Module, masks=None
) -> torch.Tensor:
    """Per-run MSE (K,) of the stacked networks on ``x`` (n, d), ``y`` (n,), and their gradients.

    Back-propagation written out for this one architecture (checked against ``autograd`` in the
    tests): for these tiny networks the autograd engine's own overhead costs several times the
    arithmetic. The gradients are written into each tensor's ``.grad`` (allocated once, then reused in
    place), so the optimizers' parameter views keep seeing them.
    """
    k, n = params[0].shape[0], x.shape[0]
    layers = len(params) // 2
    with torch.no_grad():
        hs, acts = [x.expand(k, *x.shape)], []
        for i in range(layers):
            z = torch.baddbmm(params[2 * i + 1], hs[-1], params[2 * i])
            if i < layers - 1:
                a = act(z)
                acts.append(a)
                z = a * masks[i] if masks is not None else a
            hs.append(z)
        err = hs[-1].squeeze(-1) - y  # (K, n)
        loss = (err * err).mean(dim=1)
        g = (err * (2.0 / n)).unsqueeze(-1)  # dL/d(output), (K, n, 1)
        for i in reversed(range(layers)):
            w, b = params[2 * i], params[2 * i + 1]
            if w.grad is None:
                w.grad, b.grad = torch.zeros_like(w), torch.zeros_like(b)
            torch.bmm(hs[i].transpose(1, 2), g, out=w.grad)
            torch.sum(g, dim=1, keepdim=True, out=b.grad)
            if i > 0:
                g = torch.bmm(g, w.transpose(1, 2))
                if masks is not None:
                    g = g * masks[i - 1]
                g = g * _slope(act, acts[i - 1])
    return loss


@dataclass
class Task:
    """The tensors a group trains on: ``X_train`` (n, d), ``y_train`` (n,), ``X_val``, ``y_val``,
    ``X_all`` = train then validation points; ``X_test``, ``X_grid`` for the final predictions."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_all: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    X_grid: torch.Tensor

    @property
    def n_train(self) -> int:
        return len(self.y_train)


def _mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((out - y) ** 2).mean(dim=1)  # (K,)


def train_group(
    specs: list,
    make: Callable[[object, list[torch.Tensor]], torch.optim.Optimizer],
    init: nn.Sequential,
    act: nn.Module,
    task: Task,
    *,
    mode: str,
    epochs: int,
    batch_size: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    timed: bool = True,
) -> list[GroupRun]:
    """Train one copy of ``init`` per spec in ``specs`` for ``epochs`` epochs, side by side.

    Parameters
    ----------
    specs : run settings with ``.dropout`` (0..1), ``.patience`` (0: no early stopping),
        ``.weight_decay`` (added to the loss for L-BFGS; torch.optim's own for the others)
    make : ``make(spec, params) -> optimizer`` for one run's parameter views
    mode : "full", "mini", "dropout" or "closure" (see the module docstring)
    seed : the mini-batch order and the dropout masks
    timed : measure seconds (a group of one directly; larger groups from each run alone, see below)

    Returns
    -------
    One :class:`GroupRun` per spec. Losses at epoch e are measured at the weights after e epochs.
    Seconds: CPU seconds of the training thread (``time.thread_time``: other users of the server and
    other processes do not count). A run trained alone is timed directly (its own steps only); in a
    group of several, each run's cost per epoch is measured by training it alone for
    :data:`CALIBRATION_EPOCHS` epochs (a fifth of the epochs in short races), and its seconds are epochs
    times that cost.
    """
    k = len(specs)
    params = stack_weights(init, k)
    views = [[p.detach()[i] for p in params] for i in range(k)]
    opts = [make(s, v) for s, v in zip(specs, views, strict=True)]
    gen = torch.Generator().manual_seed(int(seed) + 1)
    keep = torch.tensor([1.0 - s.dropout for s in specs])[:, None, None]  # (K, 1, 1)
    decay = torch.tensor([s.weight_decay for s in specs]) if mode == "closure" else None
    n_tr, batch = task.n_train, min(batch_size, task.n_train)
    train = np.full((k, epochs + 1), np.nan)
    val = np.full((k, epochs + 1), np.nan)
    secs = np.zeros((k, epochs + 1))
    active = [True] * k
    diverged_at: list[int | None] = [None] * k
    diverged_loss = [math.nan] * k
    stopped: list[int | None] = [None] * k
    kept = [epochs + 1] * k
    best = [(math.inf, 0, None)] * k  # (val, epoch, saved weights) for early stopping
    spent = 0.0

    def link_grads():
        for i in range(k):
            for v, p in zip(views[i], params, strict=True):
                v.grad = p.grad[i]

    def step_grads(x, y, m=None) -> torch.Tensor:
        loss = loss_and_grads(params, x, y, act, m)
        if views[0][0].grad is None or views[0][0].grad.data_ptr() != params[0].grad[0].data_ptr():
            link_grads()
        return loss

    def masks(n: int):
        if mode != "dropout" and not any(s.dropout for s in specs):
            return None
        units = [p.shape[-1] for p in params[0:-2:2]]
        return [(torch.rand(k, n, u, generator=gen) < keep).float() / keep for u in units]

    def record(e: int, tr: list[float], va: list[float]) -> None:
        for i in range(k):
            if not active[i]:
                continue
            t = tr[i]
            if not math.isfinite(t) or (e > 0 and t > EXPLODE_FACTOR * max(train[i, 0], 1e-3)):
                active[i], diverged_at[i], diverged_loss[i], kept[i] = False, e, t, e
                with torch.no_grad():  # keep the stack finite: the run is over
                    for v in views[i]:
                        v.zero_()
                continue
            train[i, e], val[i, e], secs[i, e] = t, va[i], spent
            s = specs[i]
            if s.patience:
                if va[i] < best[i][0]:
                    best[i] = (va[i], e, [v.clone() for v in views[i]])
                elif e - best[i][1] >= s.patience:
                    active[i], stopped[i], kept[i] = False, e, e + 1
                    with torch.no_grad():
                        for v, b in zip(views[i], best[i][2], strict=True):
                            v.copy_(b)

    def evaluate(e: int) -> None:
        with torch.no_grad():
            out = forward(params, task.X_all, act)
            tr, va = _mse(out[:, :n_tr], task.y_train), _mse(out[:, n_tr:], task.y_val)
        record(e, tr.tolist(), va.tolist())

    def closure():
        loss = step_grads(task.X_train, task.y_train)
        if decay is not None and bool(decay.any()):  # the L2 penalty (λ/2)·‖w‖² and its gradient λ·w
            with torch.no_grad():
                loss = loss + 0.5 * decay * sum(p.pow(2).flatten(1).sum(1) for p in params)
                for p in params:
                    p.grad.add_(decay.view(-1, *[1] * (p.dim() - 1)) * p)
        return loss.sum()

    for e in range(epochs + 1):
        if not any(active):
            break
        if mode == "full" and e < epochs:
            t0 = time.thread_time()
            tr = step_grads(task.X_train, task.y_train)
            took = time.thread_time() - t0
            with torch.no_grad():  # the validation loss at the same weights
                va = _mse(forward(params, task.X_val, act), task.y_val)
            record(e, *torch.stack([tr, va]).tolist())  # at the weights after e epochs
            t0 = time.thread_time()
            for i in range(k):
                if active[i]:
                    opts[i].step()
            spent += took + time.thread_time() - t0
        else:
            if mode == "full":  # the last epoch: measured, not trained
                evaluate(e)
                break
            evaluate(e)
            if e == epochs or not any(active):
                break
            t0 = time.thread_time()
            if mode == "closure":
                opts[0].step(closure)
            elif mode == "mini":
                perm = torch.randperm(n_tr, generator=gen)
                for j in range(0, n_tr, batch):
                    idx = perm[j : j + batch]
                    step_grads(task.X_train[idx], task.y_train[idx], masks(len(idx)))
                    for i in range(k):
                        if active[i]:
                            opts[i].step()
            else:  # dropout
                step_grads(task.X_train, task.y_train, masks(n_tr))
                for i in range(k):
                    if active[i]:
                        opts[i].step()
            spent += time.thread_time() - t0
        if progress and e % 100 == 0:
            progress(e)

    if timed and k > 1:  # each run alone, briefly: its own cost per epoch
        for i, s in enumerate(specs):
            n = max(1, min(CALIBRATION_EPOCHS, epochs // 5))
            alone = train_group(
                [s], make, init, act, task, mode=mode, epochs=n, batch_size=batch_size, seed=seed, timed=True
            )[0]
            per_epoch = float(alone.seconds[-1]) / max(len(alone.seconds) - 1, 1)
            secs[i] = np.arange(epochs + 1) * per_epoch
    with torch.no_grad():
        test_out = forward(params, task.X_test, act)
        grid_out = forward(params, task.X_grid, act)
        test = _mse(test_out, task.y_test).tolist()
    runs = []
    for i in range(k):
        n = kept[i]
        settings = {
            key: (list(v) if isinstance(v, tuple) else v)
            for key, v in opts[i].defaults.items()
            if key in _KEPT_SETTINGS and v is not None
        }
        if mode == "closure":
            settings["weight_decay"] = specs[i].weight_decay
        bad = diverged_at[i] is not None
        runs.append(
            GroupRun(
                train=train[i, :n],
                val=val[i, :n],
                seconds=secs[i, :n],
                test=math.nan if bad else float(test[i]),
                test_pred=np.full(len(task.y_test), np.nan) if bad else test_out[i].numpy().copy(),
                grid_pred=np.full(task.X_grid.shape[0], np.nan) if bad else grid_out[i].numpy().copy(),
                diverged_at=diverged_at[i],
                diverged_loss=diverged_loss[i],
                stopped_epoch=stopped[i],
                settings=settings,
            )
        )
    return runs
