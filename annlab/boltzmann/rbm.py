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
LR_SCHEDULES = ("constant", "linear")


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
    momentum : fraction of the previous update added to each new one (0: plain steps, as scikit-learn;
        Hinton's practical guide uses 0.5 to 0.9, which reaches a given likelihood in fewer epochs)
    lr_schedule : "constant" (as scikit-learn) or "linear": the rate falls linearly from ``lr`` to 0
        over the training updates (Tieleman 2008 trains PCD this way; the persistent chains then settle)
    """

    dataset: str = "mnist"
    n_hidden: int = 100
    lr: float = 0.05
    num_epochs: int = 20
    batch_size: int = 20
    k: int = 1
    method: str = "pcd"
    momentum: float = 0.0
    lr_schedule: str = "constant"

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
        if not 0.0 <= float(self.momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}.")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}.")

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
    on_step=None,
) -> dict:
    """Drive a Gibbs chain: ``step(v) -> (p, v_next)`` with p = P(v | hidden) of shape (B, V).

    Shared by the RBM and the DBM: clamps ``known`` pixels after every step, averages p over the last
    ``mean_last`` steps, and keeps p of the first chain every ``keep_every`` steps; ``on_step(t, p)``
    sees p after step t (t = 1 ... steps). Returns the dict described in :meth:`RBM.gibbs`.
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
        if on_step is not None:
            on_step(t, p)
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
        on_step=None,
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
        on_step : optional ``on_step(t, p)`` after every step t with p = P(v|h) (B, V) (snapshots)

        Returns
        -------
        dict with "v" (B, V) last binary state, "p" (B, V) mean P(v|h) over the last steps (known
        pixels replaced by their clamped value), and "trace" (T, V) of the first chain.
        """

        def step(v):
            p = self.p_v(bernoulli(self.p_h(v), gen))  # h ~ P(h|v), then P(v|h): (B, V)
            return p, bernoulli(p, gen)

        return run_chain(
            v, steps, step, known=known, mean_last=mean_last, keep_every=keep_every, on_step=on_step
        )

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


EXACT_MAX_UNITS = 20  # log Z is a sum over 2**min(H, V) states: at most about a million
EXACT_EVERY_EPOCH = 16  # training reports the exact log-likelihood per epoch up to this many hidden units


def _states(n: int, like: torch.Tensor) -> torch.Tensor:
    """Every binary vector of length n, shape (2**n, n)."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=like.dtype, device=like.device)


@torch.no_grad()
def log_partition(model: RBM, chunk: int = 1 << 14) -> float:
    """Exact log Z = log sum_{v,h} exp(-E(v, h)), summing out the larger layer in closed form.

    With few hidden units (H <= 20) it enumerates the 2**H hidden states and sums the visible ones out:
    ``-F(h) = h @ b_h + sum_i softplus(b_v_i + (h @ W)_i)``; with few visible units (V <= 20) the other
    way round. This is what makes the likelihood of a big RBM intractable: 2**min(H, V) terms.
    """
    H, V = model.n_hidden, model.n_visible
    if min(H, V) > EXACT_MAX_UNITS:
        raise ValueError(
            f"The exact likelihood needs at most {EXACT_MAX_UNITS} hidden (or visible) units; this RBM "
            f"has {H} hidden and {V} visible, so log Z has 2**{min(H, V)} terms."
        )
    if V <= H:
        return float(torch.logsumexp(-model.free_energy(_states(V, model.W)), 0))
    states = _states(H, model.W)  # (2**H, H)
    parts = [
        (h @ model.b_h) + F.softplus(torch.addmm(model.b_v, h, model.W)).sum(1)  # -F(h), (chunk,)
        for h in states.split(chunk)
    ]
    return float(torch.logsumexp(torch.cat(parts), 0))


@torch.no_grad()
def exact_log_likelihood(model: RBM, v: torch.Tensor) -> float:
    """Mean exact log P(v) = -F(v) - log Z over the rows of ``v`` (B, V); needs min(H, V) <= 20."""
    return float((-model.free_energy(v)).mean()) - log_partition(model)


def independent_pixel_ll(X_train, X_eval) -> float:
    """The likelihood baseline: a model with one independent Bernoulli per pixel, fitted on ``X_train``
    (n, V) (each pixel's share of ink, with Laplace's +1/+2 so no pixel is certain), scored on ``X_eval``
    (m, V) of 0/1 pixels: the mean log-likelihood in nats per digit (sum over the V pixels)."""
    X_train, X_eval = np.asarray(X_train, np.float64), np.asarray(X_eval, np.float64)
    p = (X_train.sum(0) + 1.0) / (X_train.shape[0] + 2.0)  # (V,)
    return float((X_eval @ np.log(p) + (1.0 - X_eval) @ np.log1p(-p)).mean())


def _as_tensor(X, device) -> torch.Tensor:
    return torch.tensor(np.asarray(X, np.float32), device=device)


def _snapshot(model: RBM) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _finite(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def evaluate(model: RBM, X_val: torch.Tensor, seed: int = 0, X_train: torch.Tensor | None = None) -> dict:
    """Held-out metrics: mean pseudo-likelihood (fixed flipped bits per ``seed``) and reconstruction error;
    with ``X_train`` (a sample of the training digits) the free-energy gap mean F(held-out) - mean
    F(train) (Hinton's overfitting monitor: it grows when the model prefers the digits it was trained
    on); for an RBM of at most :data:`EXACT_EVERY_EPOCH` hidden units the exact held-out log-likelihood."""
    g = generator(seed, str(X_val.device))
    with torch.no_grad():
        pre = torch.addmm(model.b_h, X_val, model.W.t())  # (m, H), shared by both metrics
        pll = float(model._pseudo_likelihood(X_val, pre, g, None).mean())
        recon = float(((X_val - model.p_v(torch.sigmoid(pre))) ** 2).mean())
        out = {"pseudo_ll": pll, "pseudo_ll_per_pixel": pll / X_val.shape[1], "recon_error": recon}
        if X_train is not None:
            out["free_energy_gap"] = float(
                model.free_energy(X_val).mean() - model.free_energy(X_train).mean()
            )
        if model.n_hidden <= EXACT_EVERY_EPOCH:
            ll = exact_log_likelihood(model, X_val)
            out.update(exact_ll=ll, exact_ll_per_pixel=ll / X_val.shape[1])
    return out


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
    "pseudo_ll_per_pixel", "recon_error" (mean squared error per pixel; all on X_val), "free_energy_gap"
    (mean F(X_val) - mean F of as many training digits), "exact_ll" and "exact_ll_per_pixel" (held-out,
    only for at most :data:`EXACT_EVERY_EPOCH` hidden units) and "seconds";
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
    mom = float(getattr(cfg, "momentum", 0.0))
    dW, db_v, db_h = torch.zeros_like(W), torch.zeros_like(b_v), torch.zeros_like(b_h)  # last updates

    def p_h(v):  # (b, V) -> (b, H)
        return torch.sigmoid(torch.addmm(b_h, v, W.t(), alpha=up))

    def p_v(h):  # (b, H) -> (b, V)
        return torch.sigmoid(torch.addmm(b_v, h, W, alpha=down))

    n, B = X.shape[0], int(cfg.batch_size)
    n_updates = cfg.num_epochs * math.ceil(n / B)
    linear = getattr(cfg, "lr_schedule", "constant") == "linear"
    update = 0
    X_gap = X[: X_val.shape[0]]  # as many training digits as held-out ones, for the free-energy gap
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
            scale = 1.0 - update / n_updates if linear else 1.0  # this update's share of lr
            update += 1
            if mom:  # update = momentum * last update + lr * gradient
                W.add_(dW.mul_(mom).addmm_((p_both * coef[:, None]).t(), both, alpha=scale))  # (H, V)
                b_h.add_(db_h.mul_(mom).add_(coef @ p_both, alpha=scale))
                b_v.add_(db_v.mul_(mom).add_(coef @ both, alpha=scale))
            else:
                W.addmm_((p_both * coef[:, None]).t(), both, alpha=scale)  # (H, V)
                b_h.add_(coef @ p_both, alpha=scale)
                b_v.add_(coef @ both, alpha=scale)
        metrics = evaluate(model, X_val, seed, X_gap) if _finite(model) else {"pseudo_ll": float("nan")}
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


def trace_steps(steps: int) -> list[int]:
    """The steps at which :func:`sample` keeps the first chain: every tenth of the way (every step when
    there are fewer than 10)."""
    every = max(1, int(steps) // 10)
    return list(range(every, int(steps) + 1, every))


@torch.no_grad()
def gibbs_snapshots(
    model,
    v: torch.Tensor,
    positions,
    gen: torch.Generator,
    *,
    known: torch.Tensor | None = None,
    half_mean: bool = True,
    trace: bool = False,
) -> dict:
    """Run one Gibbs chain to the largest of ``positions`` and keep what each position needs.

    Because the chain is the same up to every step, position s of the result equals a separate run of
    s steps with the same generator state: ``model.gibbs(v, s, gen, known=known, mean_last=m)`` with
    m = max(1, s // 2) (``half_mean``) or 1 (the last step). A slider over the positions then only picks
    a snapshot. Works for an RBM and a DBM (anything with ``gibbs(..., on_step=)``).

    Parameters
    ----------
    v : (B, V) start states; positions : step counts (>= 1); known : as in :meth:`RBM.gibbs`
    trace : also keep P(v|h) of the first chain at :func:`trace_steps` of every position

    Returns
    -------
    dict with "p": {s: ndarray (B, V)} the mean P(v|h) over the last m steps of s (known pixels at their
    clamped value) and, with ``trace``, "trace": {s: ndarray (T, V)}
    """
    positions = sorted({int(s) for s in positions})
    if not positions or positions[0] < 1:
        raise ValueError("Snapshot positions must be step counts of at least 1.")
    span = {s: max(1, s // 2) if half_mean else 1 for s in positions}
    frames = {t for s in positions for t in trace_steps(s)} if trace else set()
    sums = {s: torch.zeros_like(v) for s in positions}  # P(v|h) summed over each position's window
    firsts: dict[int, torch.Tensor] = {}

    def record(t: int, p: torch.Tensor) -> None:
        for s, m in span.items():  # the windows (s - m, s] barely overlap: about one addition per step
            if s - m < t <= s:
                sums[s] += p
        if t in frames:
            firsts[t] = p[0].clone()

    model.gibbs(v, positions[-1], gen, known=known, on_step=record)
    out: dict = {"p": {}}
    clamp = known.expand_as(v) if known is not None else None
    for s, m in span.items():
        p = sums[s] / m  # the same operations as run_chain's mean, so the same numbers
        if clamp is not None:
            p = torch.where(clamp, v, p)
        out["p"][s] = p.cpu().numpy()
    if trace:
        out["trace"] = {s: torch.stack([firsts[t] for t in trace_steps(s)]).cpu().numpy() for s in positions}
    return out


@torch.no_grad()
def sample_snapshots(model, n: int, positions, *, seed: int = 0) -> dict:
    """:func:`sample` (or the DBM's) at every step count of ``positions`` from one chain run once: "p"
    {s: (n, V)} P(v|h) at step s and "trace" {s: (T, V)}, equal to ``sample(model, n, s, seed=seed,
    keep_every=max(1, s // 10))``."""
    dev = next(model.parameters()).device
    g = generator(seed, str(dev))
    v0 = bernoulli(torch.full((n, model.n_visible), 0.5, device=dev), g)
    return gibbs_snapshots(model, v0, positions, g, half_mean=False, trace=True)
