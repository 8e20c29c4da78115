"""A Bernoulli-Bernoulli restricted Boltzmann machine in torch: CD-k and PCD training, Gibbs sampling.

Energy of a visible vector ``v`` (binary, length V) and hidden vector ``h`` (binary, length H)::

    E(v, h) = -v @ b_v - h @ b_h - h @ W @ v          W : (H, V)
    F(v)    = -v @ b_v - sum_j softplus(W_j @ v + b_h_j)     (free energy, h summed out)

Training follows scikit-learn's ``BernoulliRBM`` (mean-field hidden statistics, the mean gradient over
the mini-batch times ``lr``, persistent chains of ``batch_size`` hidden states for PCD), extended to
k Gibbs steps and plain CD-k. The pseudo-likelihood is the same estimator as
``BernoulliRBM.score_samples``: flip one random visible bit per sample.

References: Hinton (2002), "Training products of experts by minimizing contrastive divergence";
Tieleman (2008), "Training RBMs using approximations to the likelihood gradient" (PCD);
Hinton (2010), "A practical guide to training restricted Boltzmann machines".
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annlab.data import DigitSplit, binarize, digit_split
from annlab.training import Callback, TrainResult, divergence, generator

DATASETS = {"mnist": 784, "digits8": 64}


@dataclass(frozen=True)
class RBMConfig:
    """Hyperparameters of an RBM and its training.

    Attributes
    ----------
    dataset : "mnist" (28x28, 784 visible units) or "digits8" (8x8, 64 visible units)
    n_hidden : number of hidden units
    lr : learning rate (applied to the mean gradient over a mini-batch, as in scikit-learn)
    num_epochs : passes over the training set
    batch_size : digits per mini-batch (also the number of persistent chains for PCD)
    k : Gibbs steps per update (CD-k / PCD-k)
    method : "pcd" (persistent chains) or "cd" (chains restart at the data)
    """

    dataset: str = "mnist"
    n_hidden: int = 100
    lr: float = 0.05
    num_epochs: int = 20
    batch_size: int = 20
    k: int = 1
    method: str = "pcd"

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {self.dataset!r}.")
        if not 1 <= int(self.n_hidden) <= 4096:
            raise ValueError(f"n_hidden must be between 1 and 4096, got {self.n_hidden}.")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}.")
        if not 1 <= int(self.num_epochs) <= 1000:
            raise ValueError(f"num_epochs must be between 1 and 1000, got {self.num_epochs}.")
        if not 1 <= int(self.batch_size) <= 10000:
            raise ValueError(f"batch_size must be between 1 and 10000, got {self.batch_size}.")
        if not 1 <= int(self.k) <= 100:
            raise ValueError(f"k must be between 1 and 100, got {self.k}.")
        if self.method not in ("cd", "pcd"):
            raise ValueError(f"method must be 'cd' or 'pcd', got {self.method!r}.")

    @property
    def n_visible(self) -> int:
        return DATASETS[self.dataset]

    @property
    def side(self) -> int:
        return int(round(math.sqrt(self.n_visible)))


def bernoulli(p: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Binary samples with P(1) = ``p``, same shape and dtype; NaN probabilities give 0 instead of an
    exception (training then reports the divergence), and it is faster than ``torch.bernoulli`` on CPU."""
    return torch.rand(p.shape, generator=gen, device=p.device, dtype=p.dtype).lt_(p)  # 1.0 where u < p


def run_chain(
    v: torch.Tensor,
    steps: int,
    step,
    *,
    known: torch.Tensor | None = None,
    mean_last: int = 0,
    keep_every: int = 0,
) -> dict:
    """Drive a Gibbs chain: ``step(v) -> (p, v_next)`` with p = P(v | hidden) of shape (B, V).

    Shared by the RBM and the DBM: clamps ``known`` pixels after every step, averages p over the last
    ``mean_last`` steps, and keeps p of the first chain every ``keep_every`` steps. Returns the dict
    described in :meth:`RBM.gibbs`.
    """
    v = v.clone()
    if known is not None:
        known = known.expand_as(v)
        clamp = v[known]
    acc = torch.zeros_like(v)
    n_acc = 0
    trace = []
    mean_last = max(1, min(int(mean_last) or 1, max(steps, 1)))
    p = v
    for t in range(1, steps + 1):
        p, v = step(v)
        if known is not None:
            v[known] = clamp
        if t > steps - mean_last:
            acc += p
            n_acc += 1
        if keep_every and t % keep_every == 0:
            trace.append(p[0].clone())
    out = acc / n_acc if n_acc else p.clone()
    if known is not None:
        out[known] = clamp
    return {"v": v, "p": out, "trace": torch.stack(trace) if trace else v.new_zeros(0, v.shape[1])}


class RBM(nn.Module):
    """Bernoulli-Bernoulli RBM; weights ``W`` (H, V), visible bias ``b_v`` (V,), hidden bias ``b_h`` (H,).

    Parameters are updated by hand (no autograd); every method is pure inference.
    """

    def __init__(self, n_visible: int, n_hidden: int):
        super().__init__()
        self.W = nn.Parameter(torch.zeros(n_hidden, n_visible), requires_grad=False)
        self.b_v = nn.Parameter(torch.zeros(n_visible), requires_grad=False)
        self.b_h = nn.Parameter(torch.zeros(n_hidden), requires_grad=False)

    @property
    def n_visible(self) -> int:
        return self.W.shape[1]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[0]

    @torch.no_grad()
    def p_h(self, v: torch.Tensor) -> torch.Tensor:
        """P(h_j = 1 | v), shape (B, H) from v of shape (B, V)."""
        return torch.sigmoid(torch.addmm(self.b_h, v, self.W.t()))

    @torch.no_grad()
    def p_v(self, h: torch.Tensor) -> torch.Tensor:
        """P(v_i = 1 | h), shape (B, V) from h of shape (B, H)."""
        return torch.sigmoid(torch.addmm(self.b_v, h, self.W))

    @torch.no_grad()
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h), shape (B,)."""
        return -(v @ self.b_v) - (h @ self.b_h) - ((h @ self.W) * v).sum(1)

    @torch.no_grad()
    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = -log sum_h exp(-E(v, h)), shape (B,)."""
        return -(v @ self.b_v) - F.softplus(torch.addmm(self.b_h, v, self.W.t())).sum(1)

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
    ) -> dict:
        """Run ``steps`` block-Gibbs steps v -> h -> v from ``v`` (B, V).

        Parameters
        ----------
        v : tensor (B, V), binary start states
        steps : number of full steps (h ~ P(h|v), then v ~ P(v|h))
        gen : torch.Generator for every random draw
        known : optional bool tensor (B, V) or (V,); True pixels stay clamped at their value in ``v``
        mean_last : average P(v|h) over the last ``mean_last`` steps (0: only the last step)
        keep_every : keep P(v|h) of the first chain every ``keep_every`` steps (0: none)

        Returns
        -------
        dict with "v" (B, V) last binary state, "p" (B, V) mean P(v|h) over the last steps (known
        pixels replaced by their clamped value), and "trace" (T, V) of the first chain.
        """

        def step(v):
            p = self.p_v(bernoulli(self.p_h(v), gen))  # h ~ P(h|v), then P(v|h): (B, V)
            return p, bernoulli(p, gen)

        return run_chain(v, steps, step, known=known, mean_last=mean_last, keep_every=keep_every)

    @torch.no_grad()
    def pseudo_likelihood(
        self, v: torch.Tensor, gen: torch.Generator | None = None, index: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pseudo-likelihood per sample, shape (B,): scikit-learn's ``score_samples`` estimator.

        ``-V * softplus(-(F(v~) - F(v)))`` where ``v~`` is ``v`` with one random bit flipped per sample
        (bit ``index[b]`` if ``index`` is given, else drawn with ``gen``).
        """
        return self._pseudo_likelihood(v, torch.addmm(self.b_h, v, self.W.t()), gen, index)

    def _pseudo_likelihood(self, v, pre, gen, index):
        # Flipping bit i of v moves the hidden pre-activations by +-W[:, i]: no second matmul needed.
        B, V = v.shape
        if index is None:
            index = torch.randint(0, V, (B,), generator=gen, device=v.device)
        rows = torch.arange(B, device=v.device)
        delta = 1 - 2 * v[rows, index]  # (B,) +1 where the bit turns on, -1 where it turns off
        pre_ = pre + delta[:, None] * self.W[:, index].t()  # (B, H)
        diff = -delta * self.b_v[index] + (F.softplus(pre) - F.softplus(pre_)).sum(1)  # F(v~) - F(v), (B,)
        return -V * F.softplus(-diff)

    @torch.no_grad()
    def reconstruction_error(self, v: torch.Tensor) -> float:
        """Mean squared error per pixel between ``v`` and its mean-field reconstruction P(v | P(h|v))."""
        return float(((v - self.p_v(self.p_h(v))) ** 2).mean())

    @torch.no_grad()
    def filters(self) -> np.ndarray:
        """The weight vector of each hidden unit, shape (H, V), as numpy."""
        return self.W.detach().cpu().numpy().copy()


@functools.lru_cache(maxsize=8)
def binary_digits(dataset: str = "mnist", seed: int = 0) -> tuple[DigitSplit, str]:
    """The digit split with every pixel binarised at 0.5, and its data key for the model store.

    Returns
    -------
    split : DigitSplit whose X_train (n, V) and X_test (m, V) are 0/1 float32 (read-only)
    key : str naming the data (source and binarisation), for ``get_or_train(data_key=...)``
    """
    split = digit_split(dataset, seed=seed)
    Xtr, Xte = binarize(split.X_train), binarize(split.X_test)
    Xtr.flags.writeable = False
    Xte.flags.writeable = False
    out = dataclasses.replace(split, X_train=Xtr, X_test=Xte)
    return out, f"{dataset}-binary0.5-{split.source}"


def build(cfg: RBMConfig) -> RBM:
    """An untrained RBM of the right shape for ``cfg`` (for the model store)."""
    return RBM(cfg.n_visible, cfg.n_hidden)


def exact_log_likelihood(model: RBM, v: torch.Tensor) -> float:
    """Mean exact log P(v) over rows of ``v``, by enumerating every visible state (V <= 20 only)."""
    V = model.n_visible
    if V > 20:
        raise ValueError("Exact likelihood needs at most 20 visible units.")
    states = torch.tensor(
        list(itertools.product([0.0, 1.0], repeat=V)), dtype=model.W.dtype, device=model.W.device
    )
    log_z = torch.logsumexp(-model.free_energy(states), 0)
    return float((-model.free_energy(v) - log_z).mean())


def _as_tensor(X, device) -> torch.Tensor:
    return torch.tensor(np.asarray(X, np.float32), device=device)


def _snapshot(model: RBM) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _finite(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def evaluate(model: RBM, X_val: torch.Tensor, seed: int = 0) -> dict:
    """Held-out metrics: mean pseudo-likelihood (fixed flipped bits per ``seed``) and reconstruction error."""
    g = generator(seed, str(X_val.device))
    with torch.no_grad():
        pre = torch.addmm(model.b_h, X_val, model.W.t())  # (m, H), shared by both metrics
        pll = float(model._pseudo_likelihood(X_val, pre, g, None).mean())
        recon = float(((X_val - model.p_v(torch.sigmoid(pre))) ** 2).mean())
    return {"pseudo_ll": pll, "pseudo_ll_per_pixel": pll / X_val.shape[1], "recon_error": recon}


def train_rbm(
    cfg: RBMConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train an RBM with CD-k or PCD-k on binary data.

    Parameters
    ----------
    cfg : RBMConfig
    data : ndarray (n, V) of 0/1 training digits, or a tuple (X_train, X_val) where the held-out
        X_val (m, V) is used for the per-epoch metrics (else the first 500 training digits)
    device, seed : torch device; seed of the initial weights, the shuffling and every Gibbs draw
    callback : ``callback(epoch, metrics)`` after each epoch

    Returns
    -------
    TrainResult whose history has per epoch "pseudo_ll" (summed over pixels, as scikit-learn),
    "pseudo_ll_per_pixel", "recon_error" (mean squared error per pixel; all on X_val) and "seconds";
    ``diverged`` is set (and the last finite weights kept) when the weights become NaN/inf.
    """
    X, X_val = data if isinstance(data, tuple) else (data, None)
    X = _as_tensor(X, device)
    X_val = _as_tensor(X_val, device) if X_val is not None else X[:500]
    if X.ndim != 2 or X.shape[1] != cfg.n_visible:
        raise ValueError(f"Expected training data of shape (n, {cfg.n_visible}), got {tuple(X.shape)}.")
    return fit(cfg, X, X_val, device=device, seed=seed, callback=callback)


def fit(
    cfg: RBMConfig,
    X: torch.Tensor,
    X_val: torch.Tensor,
    *,
    device: str = "cpu",
    seed: int = 0,
    callback: Callback | None = None,
    up: float = 1.0,
    down: float = 1.0,
) -> TrainResult:
    """The training loop of :func:`train_rbm` on tensors of any width V (``cfg.dataset`` is not used):
    X (n, V) with values in [0, 1] (binary or probabilities), X_val (m, V).

    ``up`` and ``down`` multiply the weights in P(h | v) and P(v | h) during training only: 2 and 1 for
    the first layer of a DBM stack, 1 and 2 for the last (Salakhutdinov & Hinton's doubled inputs)."""
    g = generator(seed, device)
    model = RBM(X.shape[1], cfg.n_hidden).to(device)
    model.W.normal_(0.0, 0.01, generator=g)
    # Hinton's practical guide: visible biases start at log(p / (1 - p)) of the training pixels.
    p_on = X.mean(0).clamp(1e-3, 1 - 1e-3)
    model.b_v.copy_(torch.log(p_on / (1 - p_on)))
    W, b_v, b_h = model.W.data, model.b_v.data, model.b_h.data

    def p_h(v):  # (b, V) -> (b, H)
        return torch.sigmoid(torch.addmm(b_h, v, W.t(), alpha=up))

    def p_v(h):  # (b, H) -> (b, V)
        return torch.sigmoid(torch.addmm(b_v, h, W, alpha=down))

    n, B = X.shape[0], int(cfg.batch_size)
    chains = torch.zeros(B, cfg.n_hidden, device=device)  # persistent hidden states (PCD)
    history: list[dict] = []
    diverged = None
    start = time.perf_counter()
    for epoch in range(1, cfg.num_epochs + 1):
        safe = _snapshot(model)
        X_epoch = X[torch.randperm(n, generator=g, device=device)]  # (n, V), shuffled once per epoch
        coefs: dict[tuple[int, int], torch.Tensor] = {}
        for i in range(0, n, B):
            v_pos = X_epoch[i : i + B]  # (b, V)
            b = v_pos.shape[0]
            if cfg.method == "pcd":
                h = chains  # (B, H)
                for step in range(cfg.k):
                    v_neg = bernoulli(p_v(h), g)  # (B, V)
                    if step < cfg.k - 1:
                        h = bernoulli(p_h(v_neg), g)
                both = torch.cat([v_pos, v_neg])  # (b + B, V): one matmul for both phases
                p_both = p_h(both)  # (b + B, H)
                chains = bernoulli(p_both[b:], g)
            else:
                h_pos = p_h(v_pos)  # (b, H)
                h = bernoulli(h_pos, g)
                for _ in range(cfg.k):
                    v_neg = bernoulli(p_v(h), g)  # (b, V)
                    h_neg = p_h(v_neg)
                    h = bernoulli(h_neg, g)
                both, p_both = torch.cat([v_pos, v_neg]), torch.cat([h_pos, h_neg])
            # mean positive statistics minus mean negative statistics, as one weighted matmul
            c = v_neg.shape[0]
            if (b, c) not in coefs:
                coefs[b, c] = torch.cat(
                    [
                        torch.full((b,), cfg.lr / b, device=device),
                        torch.full((c,), -cfg.lr / c, device=device),
                    ]
                )
            coef = coefs[b, c]  # (b + c,)
            W.addmm_((p_both * coef[:, None]).t(), both)  # (H, V)
            b_h.add_(coef @ p_both)
            b_v.add_(coef @ both)
        metrics = evaluate(model, X_val, seed) if _finite(model) else {"pseudo_ll": float("nan")}
        reason = None if _finite(model) else divergence(float("nan"), epoch, cfg.lr)
        reason = reason or divergence(metrics["pseudo_ll"], epoch, cfg.lr)
        if reason is None and not math.isfinite(metrics.get("recon_error", 0.0)):
            reason = divergence(metrics["recon_error"], epoch, cfg.lr)
        if reason:
            model.load_state_dict(safe)
            diverged = reason
            break
        metrics["seconds"] = time.perf_counter() - start
        history.append({"epoch": epoch, **metrics})
        if callback:
            callback(epoch, metrics)
    model.eval()
    return TrainResult(model, history, cfg, extra={}, diverged=diverged)


@torch.no_grad()
def sample(model: RBM, n: int, steps: int, *, seed: int = 0, keep_every: int = 0, mean_last: int = 1) -> dict:
    """Gibbs chains from uniformly random binary starts.

    Returns
    -------
    dict with "p" ndarray (n, V) mean P(v|h) at the end, "v" (n, V) binary states, and "trace"
    (T, V) of the first chain every ``keep_every`` steps.
    """
    dev = model.W.device
    g = generator(seed, str(dev))
    v0 = bernoulli(torch.full((n, model.n_visible), 0.5, device=dev), g)
    out = model.gibbs(v0, steps, g, keep_every=keep_every, mean_last=mean_last)
    return {k: t.cpu().numpy() for k, t in out.items()}
