"""Generative adversarial networks for small digits: a dense GAN and a DCGAN backbone.

The generator maps z ~ N(0, I) to an image in [0, 1] (tanh output rescaled); the discriminator gives a
logit "real". Training alternates as in Goodfellow et al.'s algorithm 1: k discriminator steps
(minimise BCE(D(x), 1) + BCE(D(G(z)), 0)), then one generator step against the updated discriminator,
with the non-saturating loss -log D(G(z)) or the saturating log(1 - D(G(z))). Adam with beta1 = 0.5 as
in the DCGAN paper. One-sided label smoothing (real target 0.9) keeps the discriminator from becoming
over-confident; its optimum becomes 0.9 p_data / (p_data + p_g) instead of p_data / (p_data + p_g).
Samples may come from an exponential moving average of the generator's weights (``ema``), which the
game never sees: it smooths out the step-to-step oscillation of the two players.

References: Goodfellow et al. (2014), Generative Adversarial Nets, NeurIPS; Radford, Metz & Chintala
(2016), DCGAN, arXiv:1511.06434; Salimans et al. (2016), Improved techniques for training GANs;
Yazici et al. (2019), The unusual effectiveness of averaging in GAN training, ICLR; Miyato et al. (2018),
Spectral normalization for generative adversarial networks, ICLR; Srivastava et al. (2014), Dropout, JMLR.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annlab.latent.autoencoders import seeded_init
from annlab.training import Callback, TrainResult, divergence, generator, seeded_dropout

GAN_ARCHS = ("dense", "dcgan")
G_LOSSES = ("non-saturating", "saturating")


@dataclass(frozen=True)
class GANConfig:
    """A GAN and how it is trained.

    Parameters
    ----------
    arch : "dense" or "dcgan" (dcgan needs square images with a side divisible by 4)
    input_dim : pixels per image (784 or 64)
    latent_dim : size of z
    hidden : widths of the dense generator's hidden layers (the discriminator mirrors them)
    num_epochs, batch_size : passes over the real images; real images per discriminator step
    lr_g, lr_d : Adam(lr, betas=(0.5, 0.999)) learning rates of the generator and the discriminator
    d_steps : discriminator steps per generator step (k of Goodfellow et al.'s algorithm 1)
    label_smoothing : target for real images in the discriminator loss (1.0 = none; 0.9 = one-sided
        smoothing, which moves the discriminator's optimum to 0.9 p_data / (p_data + p_g))
    g_loss : "non-saturating" (minimise -log D(G(z))) or "saturating" (minimise log(1 - D(G(z))))
    batch_norm : batch normalisation in the dense generator's hidden layers (cleaner strokes, faster)
    snapshots : generated images of fixed codes kept after every epoch (samples per epoch, mode collapse)
    ema : decay of an exponential moving average of the generator's weights (0 = none); samples come from
        the averaged generator, training from the live one (Yazici et al. 2019)
    d_dropout : dropout rate after every hidden layer of the discriminator while training (0 = none); its
        masks come from the training seed's generator. A discriminator that cannot lean on single pixels
        gives the generator smoother gradients.
    spectral_norm : divide every weight of the discriminator by its largest singular value (one power
        iteration per training step), which caps the discriminator's Lipschitz constant (Miyato et al. 2018)
    """

    arch: str = "dense"
    input_dim: int = 784
    latent_dim: int = 32
    hidden: tuple = (256, 512)
    num_epochs: int = 40
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    d_steps: int = 1
    label_smoothing: float = 0.9
    g_loss: str = "non-saturating"
    batch_norm: bool = True
    snapshots: int = 100
    ema: float = 0.0
    d_dropout: float = 0.0
    spectral_norm: bool = False

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.arch not in GAN_ARCHS:
            raise ValueError(f"arch must be one of {GAN_ARCHS}, got {self.arch!r}.")
        side = math.isqrt(self.input_dim)
        if self.arch == "dcgan" and (side * side != self.input_dim or side % 4):
            raise ValueError("The DCGAN needs square images with a side divisible by 4 (28x28 or 8x8).")
        if self.latent_dim < 1 or self.input_dim < 1 or not self.hidden or min(self.hidden) < 1:
            raise ValueError("latent_dim, input_dim and the hidden widths must be at least 1.")
        if self.num_epochs < 1 or self.batch_size < 2 or not (self.lr_g > 0 and self.lr_d > 0):
            raise ValueError("num_epochs >= 1, batch_size >= 2 and both learning rates > 0 are required.")
        if self.d_steps < 1 or self.snapshots < 0:
            raise ValueError("d_steps must be at least 1 and snapshots non-negative.")
        if not 0.5 <= self.label_smoothing <= 1.0:
            raise ValueError("label_smoothing must be between 0.5 and 1.0.")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError("ema (the generator average's decay) must be in [0, 1).")
        if not 0.0 <= self.d_dropout < 1.0:
            raise ValueError("d_dropout (the discriminator's dropout rate) must be in [0, 1).")
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"spectral_norm must be True or False, got {self.spectral_norm!r}.")
        if self.g_loss not in G_LOSSES:
            raise ValueError(f"g_loss must be one of {G_LOSSES}, got {self.g_loss!r}.")

    @property
    def side(self) -> int:
        return math.isqrt(self.input_dim)

    @property
    def label(self) -> str:
        return f"the {'DCGAN' if self.arch == 'dcgan' else 'dense GAN'} ({self.latent_dim}-D latent)"


class SeededDropout(nn.Module):
    """Dropout whose masks come from a ``torch.Generator`` set in :attr:`gen` (never the global RNG):
    in training mode each entry is zeroed with probability ``p`` and the rest scaled by 1 / (1 - p);
    in evaluation mode it is the identity."""

    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)
        self.gen: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.gen is None:
            raise ValueError("SeededDropout in training mode needs a seeded torch.Generator (set .gen).")
        return seeded_dropout(x, self.p, self.gen)


def _discriminator_extras(cfg: GANConfig, d: nn.Sequential) -> nn.Sequential:
    """The discriminator ``d`` with :attr:`GANConfig.spectral_norm` on its linear and convolutional
    layers and :attr:`GANConfig.d_dropout` after each hidden activation."""
    layers: list[nn.Module] = []
    for m in d:
        if cfg.spectral_norm and isinstance(m, (nn.Linear, nn.Conv2d)):
            m = nn.utils.parametrizations.spectral_norm(m)
        layers.append(m)
        if cfg.d_dropout and isinstance(m, nn.LeakyReLU):
            layers.append(SeededDropout(cfg.d_dropout))
    return nn.Sequential(*layers)


class GAN(nn.Module):
    """Generator ``G: (B, latent) -> (B, input_dim)`` in [0, 1] and discriminator ``D: (B, input_dim) ->
    (B,)`` logits."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        d, z, s = cfg.input_dim, cfg.latent_dim, cfg.side // 4
        if cfg.arch == "dense":
            h = list(cfg.hidden)
            g: list[nn.Module] = []
            for a, b in zip([z, *h[:-1]], h, strict=True):
                g += [nn.Linear(a, b), *([nn.BatchNorm1d(b)] if cfg.batch_norm else []), nn.LeakyReLU(0.2)]
            self.generator = nn.Sequential(*g, nn.Linear(h[-1], d), nn.Tanh())
            dl: list[nn.Module] = []
            for a, b in zip([d, *h[::-1][:-1]], h[::-1], strict=True):
                dl += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
            self.discriminator = nn.Sequential(*dl, nn.Linear(h[0], 1))
        else:
            self.generator = nn.Sequential(
                nn.Linear(z, 64 * s * s),
                nn.BatchNorm1d(64 * s * s),
                nn.ReLU(),
                nn.Unflatten(1, (64, s, s)),
                nn.ConvTranspose2d(64, 32, 4, 2, 1),
                nn.BatchNorm2d(32),
                nn.ReLU(),  # (B, 32, 2s, 2s)
                nn.ConvTranspose2d(32, 1, 4, 2, 1),
                nn.Tanh(),
                nn.Flatten(),
            )  # (B, side*side)
            self.discriminator = nn.Sequential(
                nn.Unflatten(1, (1, cfg.side, cfg.side)),
                nn.Conv2d(1, 32, 4, 2, 1),
                nn.LeakyReLU(0.2),  # (B, 32, 2s, 2s)
                nn.Conv2d(32, 64, 4, 2, 1),
                nn.BatchNorm2d(64),
                nn.LeakyReLU(0.2),  # (B, 64, s, s)
                nn.Flatten(),
                nn.Linear(64 * s * s, 1),
            )
        self.discriminator = _discriminator_extras(cfg, self.discriminator)

        # the weight average samples are drawn from (cfg.ema > 0): updated by ema_update, never by gradients
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False) if cfg.ema else None

    def set_dropout_generator(self, gen: torch.Generator | None) -> None:
        """Draw the discriminator's dropout masks from ``gen`` (None: unset, after training)."""
        for m in self.discriminator.modules():
            if isinstance(m, SeededDropout):
                m.gen = gen

    @torch.no_grad()
    def reseed_spectral_norm(self, gen: torch.Generator, iterations: int = 15) -> None:
        """Start the power iterations of the discriminator's spectral norms from vectors drawn from
        ``gen`` (not the global RNG), then run ``iterations`` of them on the current weights."""
        for m in self.discriminator.modules():
            if hasattr(m, "parametrizations") and "weight" in m.parametrizations:
                sn = m.parametrizations.weight[0]
                sn._u.copy_(F.normalize(torch.randn(sn._u.shape, generator=gen), dim=0, eps=sn.eps))
                sn._v.copy_(F.normalize(torch.randn(sn._v.shape, generator=gen), dim=0, eps=sn.eps))
                sn._power_method(sn._reshape_weight_to_matrix(m.parametrizations.weight.original), iterations)

    def train(self, mode: bool = True) -> GAN:
        super().train(mode)
        if self.generator_ema is not None:
            self.generator_ema.eval()  # the average only samples: its batch-norm statistics stay fixed
        return self

    def fake(self, z: torch.Tensor) -> torch.Tensor:
        """The live (trained) generator: z (B, latent) -> images (B, input_dim) in [0, 1]."""
        return (self.generator(z) + 1.0) / 2.0

    def generate(self, z: torch.Tensor, averaged: bool = True) -> torch.Tensor:
        """Samples: z (B, latent) -> images (B, input_dim) in [0, 1], from the weight average when the
        config keeps one and ``averaged``, else from the live generator (one training keeps both)."""
        if self.generator_ema is None or not averaged:
            return self.fake(z)
        return (self.generator_ema(z) + 1.0) / 2.0

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, input_dim) in [0, 1] -> logits (B,)."""
        return self.discriminator(x * 2.0 - 1.0).squeeze(1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generate(z)


def build_gan(cfg: GANConfig) -> GAN:
    """An untrained GAN for ``cfg`` (for the model store); the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return GAN(cfg)


SNAPSHOT_SEED = 4242  # the fixed codes whose images are kept after every epoch


def d_step_loss(model: GAN, x_real: torch.Tensor, z: torch.Tensor, real_target: float = 1.0) -> dict:
    """The discriminator's loss BCE(D(x), real_target) + BCE(D(G(z)), 0) on one real batch and the
    generator as it is now (its images are made without gradient: this step trains D only).

    Returns
    -------
    dict with the scalar ``d_loss`` and, without gradient, ``d_real`` = mean D(x) and ``d_fake`` = mean
    D(G(z)) (probabilities "real").
    """
    with torch.no_grad():
        fake = model.fake(z)
    real_logits = model.discriminate(x_real)
    fake_logits = model.discriminate(fake)
    d_loss = F.binary_cross_entropy_with_logits(
        real_logits, torch.full_like(real_logits, real_target)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return {
        "d_loss": d_loss,
        "d_real": torch.sigmoid(real_logits).mean().detach(),
        "d_fake": torch.sigmoid(fake_logits).mean().detach(),
    }


def g_step_loss(model: GAN, z: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    """The generator's loss against the discriminator as it is now: ``-mean log D(G(z))``
    (non-saturating, Goodfellow et al.'s practical choice) or ``mean log(1 - D(G(z)))`` (saturating, the
    minimax game itself, whose gradient vanishes while D rejects the fakes confidently)."""
    logits = model.discriminate(model.fake(z))
    if kind == "saturating":
        return -F.softplus(logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    return F.softplus(-logits).mean()  # -log sigmoid(l) = softplus(-l)


def train_step(
    model: GAN,
    opt_d: torch.optim.Optimizer,
    opt_g: torch.optim.Optimizer,
    real_batches: list[torch.Tensor],
    gen: torch.Generator,
    cfg: GANConfig,
) -> dict[str, float]:
    """One iteration of Goodfellow et al.'s algorithm 1: ``len(real_batches)`` discriminator steps (k),
    each on a real batch and fresh codes, then one generator step against the updated discriminator.

    Returns mean ``d_loss``, ``d_real``, ``d_fake`` over the k discriminator steps (measured before each
    step) and ``g_loss`` of the generator step.
    """
    dev = real_batches[0].device
    sums = {"d_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
    for xb in real_batches:
        z = torch.randn(len(xb), cfg.latent_dim, generator=gen).to(dev)
        terms = d_step_loss(model, xb, z, cfg.label_smoothing)
        opt_d.zero_grad()
        terms["d_loss"].backward(inputs=list(model.discriminator.parameters()))
        opt_d.step()
        for k in sums:
            sums[k] += float(terms[k].detach())
    z = torch.randn(max(2, cfg.batch_size), cfg.latent_dim, generator=gen).to(dev)
    g_loss = g_step_loss(model, z, cfg.g_loss)
    opt_g.zero_grad()
    g_loss.backward(inputs=list(model.generator.parameters()))
    opt_g.step()
    return {**{k: v / len(real_batches) for k, v in sums.items()}, "g_loss": float(g_loss.detach())}


@torch.no_grad()
def ema_update(model: GAN, step: int) -> None:
    """Move the averaged generator towards the live one after generator step ``step`` (0, 1, ...):
    ``w_avg <- d w_avg + (1 - d) w`` with ``d = min(cfg.ema, (1 + step) / (10 + step))`` (a short memory
    at first, so early samples are not the untrained start); batch-norm statistics are averaged alike."""
    if model.generator_ema is None:
        return
    d = min(model.cfg.ema, (1 + step) / (10 + step))
    for avg, live in zip(model.generator_ema.parameters(), model.generator.parameters(), strict=True):
        avg.lerp_(live, 1.0 - d)
    for avg, live in zip(model.generator_ema.buffers(), model.generator.buffers(), strict=True):
        if avg.dtype.is_floating_point:
            avg.lerp_(live, 1.0 - d)
        else:
            avg.copy_(live)  # num_batches_tracked


def train_gan(
    cfg: GANConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Alternate ``cfg.d_steps`` discriminator steps and one generator step (:func:`train_step`).

    Parameters
    ----------
    cfg : GANConfig
    data : ndarray of shape (n, input_dim), float in [0, 1] (or a pair whose first item is that)

    Returns
    -------
    TrainResult with history rows ``{"epoch", "d_loss", "g_loss", "d_real", "d_fake", "seconds"}``
    (d_real, d_fake: mean discriminator probability "real" on real and generated images) and
    ``extra = {"train_seconds", "snapshots"}``: ``snapshots`` (epochs, cfg.snapshots, input_dim) uint8,
    the images of the fixed codes :func:`snapshot_z` after each epoch (0..255).
    """
    X = np.array(data[0] if isinstance(data, (tuple, list)) else data, np.float32)
    if X.ndim != 2 or X.shape[1] != cfg.input_dim:
        raise ValueError(f"Expected data of shape (n, {cfg.input_dim}), got {X.shape}.")
    gen = generator(seed)
    model = seeded_init(build_gan(cfg), gen)
    model.reseed_spectral_norm(gen)
    model = model.to(device)
    model.set_dropout_generator(gen)
    if model.generator_ema is not None:
        model.generator_ema.load_state_dict(model.generator.state_dict())
    X = torch.as_tensor(X).to(device)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))
    fixed = torch.as_tensor(snapshot_z(cfg)).to(device)
    history: list[dict] = []
    snaps: list[torch.Tensor] = []
    live_snaps: list[torch.Tensor] = []  # the live generator's, when samples come from the average
    diverged = None
    start = time.perf_counter()
    n, g_steps = len(X), 0
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        batches = [X[perm[i : i + cfg.batch_size]] for i in range(0, n, cfg.batch_size)]
        batches = [b for b in batches if len(b) >= 2]
        sums: dict[str, float] = {}
        steps = 0
        for i in range(0, len(batches), cfg.d_steps):
            terms = train_step(model, opt_d, opt_g, batches[i : i + cfg.d_steps], gen, cfg)
            ema_update(model, g_steps)
            g_steps += 1
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v
            steps += 1
        row = {"epoch": epoch, **{k: v / max(steps, 1) for k, v in sums.items()}}
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        if cfg.snapshots:
            model.eval()
            with torch.no_grad():
                snaps.append((model.generate(fixed).clamp(0, 1) * 255).round().to(torch.uint8).cpu())
                if model.generator_ema is not None:
                    live = model.generate(fixed, averaged=False).clamp(0, 1)
                    live_snaps.append((live * 255).round().to(torch.uint8).cpu())
        diverged = divergence(row["d_loss"] + row["g_loss"], epoch, max(cfg.lr_d, cfg.lr_g))
        if callback is not None:
            callback(epoch, row)
        if diverged:
            break
    model.eval()
    model.set_dropout_generator(None)
    extra = {"train_seconds": time.perf_counter() - start}
    if snaps:
        extra["snapshots"] = torch.stack(snaps)
    if live_snaps:
        extra["snapshots_live"] = torch.stack(live_snaps)
    return TrainResult(model, history, cfg, extra=extra, diverged=diverged)


def snapshot_z(cfg: GANConfig) -> np.ndarray:
    """The fixed codes whose images training keeps after every epoch: (cfg.snapshots, latent_dim)."""
    return sample_z(cfg, cfg.snapshots, SNAPSHOT_SEED)


def has_average(result: TrainResult) -> bool:
    """Whether the trained GAN keeps a weight average beside its live generator (both can sample)."""
    return getattr(result.model, "generator_ema", None) is not None


def snapshots(result: TrainResult, averaged: bool = True) -> np.ndarray:
    """The kept images of the fixed codes: (epochs, n, input_dim) float32 in [0, 1] (empty if none),
    from the weight average (``averaged``, when kept) or from the live generator."""
    live = not averaged and has_average(result)
    snaps = result.extra.get("snapshots_live" if live else "snapshots")
    if snaps is None:
        return np.zeros((0, 0, result.config.input_dim), np.float32)
    return torch.as_tensor(snaps).numpy().astype(np.float32) / 255.0


@torch.no_grad()
def sample_z(cfg: GANConfig, n: int, seed: int = 0) -> np.ndarray:
    """n prior draws z ~ N(0, I): ndarray (n, latent_dim), float32."""
    return torch.randn(n, cfg.latent_dim, generator=generator(seed)).numpy()


@torch.no_grad()
def generate(model: GAN, Z, averaged: bool = True) -> np.ndarray:
    """Images of codes ``Z`` (n, latent_dim) -> ndarray (n, input_dim) in [0, 1], float32, from the
    weight average (``averaged``, when the model keeps one) or the live generator."""
    dev = next(model.parameters()).device
    Z = torch.as_tensor(np.asarray(Z, np.float32).reshape(-1, model.cfg.latent_dim)).to(dev)
    return model.generate(Z, averaged).cpu().numpy()
