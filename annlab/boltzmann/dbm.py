"""A two-hidden-layer deep Boltzmann machine: greedy RBM pretraining, then joint training.

Energy (binary v (V,), h1 (H1,), h2 (H2,))::

    E(v, h1, h2) = -v @ b_v - h1 @ b_1 - h2 @ b_2 - h1 @ W1 @ v - h2 @ W2 @ h1
    W1 : (H1, V),  W2 : (H2, H1)

Joint training follows Salakhutdinov & Hinton: the data term uses a mean-field posterior
q(h1) q(h2) for each training digit, the model term uses persistent Gibbs chains (v, h2 given h1,
then h1 given v and h2). The layers are first pretrained greedily as two RBMs (the second on the
first one's hidden probabilities) with the paper's doubled inputs (bottom-up for the first RBM,
top-down for the second), because in the DBM the first hidden layer hears from both neighbours.

References: Salakhutdinov & Hinton (2009), "Deep Boltzmann machines", AISTATS;
Salakhutdinov & Larochelle (2010), "Efficient learning of deep Boltzmann machines".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from annlab.boltzmann.rbm import DATASETS, RBMConfig, bernoulli, fit, run_chain
from annlab.training import Callback, TrainResult, divergence, generator


@dataclass(frozen=True)
class DBMConfig:
    """Hyperparameters of a DBM and its training.

    Attributes
    ----------
    dataset : "mnist" or "digits8"
    n_hidden1, n_hidden2 : units in the first and second hidden layer
    lr : learning rate (mean gradient per mini-batch), for pretraining and joint training
    pretrain_epochs : epochs of each greedy RBM (PCD-1)
    num_epochs : epochs of joint training
    batch_size : digits per mini-batch
    n_chains : persistent chains for the model term
    mf_steps : mean-field iterations for the data term
    """

    dataset: str = "mnist"
    n_hidden1: int = 200
    n_hidden2: int = 100
    lr: float = 0.05
    pretrain_epochs: int = 10
    num_epochs: int = 10
    batch_size: int = 50
    n_chains: int = 100
    mf_steps: int = 10

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {self.dataset!r}.")
        for name in ("n_hidden1", "n_hidden2"):
            if not 1 <= int(getattr(self, name)) <= 4096:
                raise ValueError(f"{name} must be between 1 and 4096, got {getattr(self, name)}.")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}.")
        if not 0 <= int(self.pretrain_epochs) <= 1000:
            raise ValueError(f"pretrain_epochs must be between 0 and 1000, got {self.pretrain_epochs}.")
        if not 0 <= int(self.num_epochs) <= 1000:
            raise ValueError(f"num_epochs must be between 0 and 1000, got {self.num_epochs}.")
        if self.pretrain_epochs + self.num_epochs < 1:
            raise ValueError("Train for at least one epoch (pretraining or joint).")
        if not 1 <= int(self.batch_size) <= 10000:
            raise ValueError(f"batch_size must be between 1 and 10000, got {self.batch_size}.")
        if not 1 <= int(self.n_chains) <= 10000:
            raise ValueError(f"n_chains must be between 1 and 10000, got {self.n_chains}.")
        if not 1 <= int(self.mf_steps) <= 100:
            raise ValueError(f"mf_steps must be between 1 and 100, got {self.mf_steps}.")

    @property
    def n_visible(self) -> int:
        return DATASETS[self.dataset]

    @property
    def total_epochs(self) -> int:
        return 2 * self.pretrain_epochs + self.num_epochs


class DBM(nn.Module):
    """Two-hidden-layer Boltzmann machine; every method is pure inference."""

    def __init__(self, n_visible: int, n_hidden1: int, n_hidden2: int):
        super().__init__()
        self.W1 = nn.Parameter(torch.zeros(n_hidden1, n_visible), requires_grad=False)
        self.W2 = nn.Parameter(torch.zeros(n_hidden2, n_hidden1), requires_grad=False)
        self.b_v = nn.Parameter(torch.zeros(n_visible), requires_grad=False)
        self.b_1 = nn.Parameter(torch.zeros(n_hidden1), requires_grad=False)
        self.b_2 = nn.Parameter(torch.zeros(n_hidden2), requires_grad=False)

    @property
    def n_visible(self) -> int:
        return self.W1.shape[1]

    @torch.no_grad()
    def p_h1(self, v: torch.Tensor, h2: torch.Tensor) -> torch.Tensor:
        """P(h1 = 1 | v, h2), shape (B, H1)."""
        return torch.sigmoid(v @ self.W1.t() + h2 @ self.W2 + self.b_1)

    @torch.no_grad()
    def p_v(self, h1: torch.Tensor) -> torch.Tensor:
        """P(v = 1 | h1), shape (B, V)."""
        return torch.sigmoid(torch.addmm(self.b_v, h1, self.W1))

    @torch.no_grad()
    def p_h2(self, h1: torch.Tensor) -> torch.Tensor:
        """P(h2 = 1 | h1), shape (B, H2)."""
        return torch.sigmoid(torch.addmm(self.b_2, h1, self.W2.t()))

    @torch.no_grad()
    def energy(self, v: torch.Tensor, h1: torch.Tensor, h2: torch.Tensor) -> torch.Tensor:
        """E(v, h1, h2), shape (B,)."""
        return (
            -(v @ self.b_v)
            - (h1 @ self.b_1)
            - (h2 @ self.b_2)
            - ((h1 @ self.W1) * v).sum(1)
            - ((h2 @ self.W2) * h1).sum(1)
        )

    @torch.no_grad()
    def mean_field(self, v: torch.Tensor, steps: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean-field posterior q(h1), q(h2) given v (B, V): shapes (B, H1), (B, H2)."""
        mu1 = torch.sigmoid(torch.addmm(self.b_1, v, self.W1.t(), alpha=2.0))  # doubled first guess
        mu2 = self.p_h2(mu1)
        for _ in range(steps):
            mu1 = self.p_h1(v, mu2)
            mu2 = self.p_h2(mu1)
        return mu1, mu2

    @torch.no_grad()
    def gibbs(
        self,
        v: torch.Tensor,
        steps: int,
        gen: torch.Generator,
        *,
        known: torch.Tensor | None = None,
        mean_last: int = 0,
        keep_every: int = 0,
        h2: torch.Tensor | None = None,
        on_step=None,
    ) -> dict:
        """Block Gibbs steps: h1 ~ P(h1 | v, h2), then v ~ P(v | h1) and h2 ~ P(h2 | h1).

        Same interface as :meth:`annlab.boltzmann.rbm.RBM.gibbs` (``known`` pixels stay clamped).
        """
        state = {"h2": h2 if h2 is not None else torch.zeros(v.shape[0], self.W2.shape[0], device=v.device)}

        def step(v):
            h1 = bernoulli(self.p_h1(v, state["h2"]), gen)  # (B, H1)
            p = self.p_v(h1)  # (B, V)
            v = bernoulli(p, gen)
            state["h2"] = bernoulli(self.p_h2(h1), gen)  # (B, H2)
            return p, v

        return run_chain(
            v, steps, step, known=known, mean_last=mean_last, keep_every=keep_every, on_step=on_step
        )

    @torch.no_grad()
    def reconstruction_error(self, v: torch.Tensor, mf_steps: int = 10) -> float:
        """Mean squared error per pixel between v and P(v | q(h1)) after mean-field inference."""
        mu1, _ = self.mean_field(v, mf_steps)
        return float(((v - self.p_v(mu1)) ** 2).mean())

    @torch.no_grad()
    def filters(self) -> tuple[np.ndarray, np.ndarray]:
        """First-layer filters (H1, V) and second-layer filters projected to pixels, W2 @ W1: (H2, V)."""
        return self.W1.cpu().numpy().copy(), (self.W2 @ self.W1).cpu().numpy()


def build(cfg: DBMConfig) -> DBM:
    """An untrained DBM of the right shape for ``cfg`` (for the model store)."""
    return DBM(cfg.n_visible, cfg.n_hidden1, cfg.n_hidden2)


def train_dbm(
    cfg: DBMConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Greedy layer-wise pretraining (two PCD-1 RBMs), then joint mean-field / persistent-chain training.

    Parameters
    ----------
    cfg : DBMConfig
    data : ndarray (n, V) of 0/1 digits, or a tuple (X_train, X_val) (X_val for the per-epoch metric)
    device, seed, callback : as :func:`annlab.boltzmann.rbm.train_rbm`; epochs are numbered through all three
        stages (layer 1, layer 2, joint)

    Returns
    -------
    TrainResult with per-epoch "stage" (1, 2: pretraining layer 1 / 2, 3: joint), "recon_error"
    (held-out; for stage 2 of the second RBM on hidden probabilities) and "seconds".
    """
    X, X_val = data if isinstance(data, tuple) else (data, None)
    X = torch.tensor(np.asarray(X, np.float32), device=device)
    X_val = torch.tensor(np.asarray(X_val, np.float32), device=device) if X_val is not None else X[:500]
    history: list[dict] = []
    start = time.perf_counter()

    def relay(stage: int, offset: int):
        def cb(epoch: int, metrics: dict) -> None:
            row = {
                "stage": stage,
                "recon_error": metrics["recon_error"],
                "seconds": time.perf_counter() - start,
            }
            history.append({"epoch": offset + epoch, **row})
            if callback:
                callback(offset + epoch, row)

        return cb

    model = build(cfg).to(device)
    P = cfg.pretrain_epochs
    if P:
        # Doubled inputs (Salakhutdinov & Hinton 2009): in the DBM, h1 hears from v and from h2, so the first
        # RBM is trained with its bottom-up input doubled and the second with its top-down input doubled.
        r1 = fit(
            RBMConfig(cfg.dataset, cfg.n_hidden1, cfg.lr, P, cfg.batch_size),
            X,
            X_val,
            device=device,
            seed=seed,
            callback=relay(1, 0),
            up=2.0,
        )
        if r1.diverged:
            return TrainResult(model, history, cfg, diverged=r1.diverged)
        H = torch.sigmoid(2 * X @ r1.model.W.t() + r1.model.b_h)  # (n, H1), the doubled posterior
        H_val = torch.sigmoid(2 * X_val @ r1.model.W.t() + r1.model.b_h)
        # The second RBM sees the first layer's hidden probabilities as its data.
        r2 = fit(
            RBMConfig(cfg.dataset, cfg.n_hidden2, cfg.lr, P, cfg.batch_size),
            H,
            H_val,
            device=device,
            seed=seed + 1,
            callback=relay(2, P),
            down=2.0,
        )
        if r2.diverged:
            return TrainResult(model, history, cfg, diverged=r2.diverged)
        model.W1.copy_(r1.model.W)
        model.b_v.copy_(r1.model.b_v)
        model.b_1.copy_((r1.model.b_h + r2.model.b_v) / 2)
        model.W2.copy_(r2.model.W)
        model.b_2.copy_(r2.model.b_h)
    else:
        g0 = generator(seed, device)
        model.W1.normal_(0.0, 0.01, generator=g0)
        model.W2.normal_(0.0, 0.01, generator=g0)
    g = generator(seed + 2, device)
    n, B, M = X.shape[0], int(cfg.batch_size), int(cfg.n_chains)
    v_c = bernoulli(torch.full((M, cfg.n_visible), 0.5, device=device), g)  # (M, V)
    h2_c = torch.zeros(M, cfg.n_hidden2, device=device)  # (M, H2)
    diverged = None
    for epoch in range(1, cfg.num_epochs + 1):
        safe = {k: t.clone() for k, t in model.state_dict().items()}
        order = torch.randperm(n, generator=g, device=device)
        for i in range(0, n, B):
            v = X[order[i : i + B]]  # (b, V)
            mu1, mu2 = model.mean_field(v, cfg.mf_steps)  # (b, H1), (b, H2)
            h1_c = bernoulli(model.p_h1(v_c, h2_c), g)  # (M, H1)
            v_c = bernoulli(model.p_v(h1_c), g)
            h2_c = bernoulli(model.p_h2(h1_c), g)
            a, m = cfg.lr / v.shape[0], cfg.lr / M
            model.W1.addmm_(mu1.t(), v, alpha=a).addmm_(h1_c.t(), v_c, alpha=-m)
            model.W2.addmm_(mu2.t(), mu1, alpha=a).addmm_(h2_c.t(), h1_c, alpha=-m)
            model.b_v.add_(v.sum(0), alpha=a).add_(v_c.sum(0), alpha=-m)
            model.b_1.add_(mu1.sum(0), alpha=a).add_(h1_c.sum(0), alpha=-m)
            model.b_2.add_(mu2.sum(0), alpha=a).add_(h2_c.sum(0), alpha=-m)
        # Saturated sigmoids hide overflowing weights: also require finite pre-activations.
        finite = (
            all(bool(torch.isfinite(p).all()) for p in model.parameters())
            and bool(torch.isfinite(torch.addmm(model.b_1, X_val, model.W1.t())).all())
            and bool(torch.isfinite(model.W2.abs().sum(1) + model.b_2.abs()).all())
        )
        err = model.reconstruction_error(X_val, cfg.mf_steps) if finite else float("nan")
        reason = divergence(err, 2 * P + epoch, cfg.lr)
        if reason:
            model.load_state_dict(safe)
            diverged = reason
            break
        relay(3, 2 * P)(epoch, {"recon_error": err})
    model.eval()
    return TrainResult(model, history, cfg, diverged=diverged)


@torch.no_grad()
def sample(model: DBM, n: int, steps: int, *, seed: int = 0, keep_every: int = 0, mean_last: int = 1) -> dict:
    """DBM Gibbs chains from uniformly random binary starts (as :func:`annlab.boltzmann.rbm.sample`)."""
    dev = model.W1.device
    g = generator(seed, str(dev))
    v0 = bernoulli(torch.full((n, model.n_visible), 0.5, device=dev), g)
    out = model.gibbs(v0, steps, g, keep_every=keep_every, mean_last=mean_last)
    return {k: t.cpu().numpy() for k, t in out.items()}
