"""Generative adversarial networks for small digits: a dense GAN and a DCGAN backbone.

The generator maps z ~ N(0, I) to an image in [0, 1] (tanh output rescaled); the discriminator gives a
logit "real". Training uses the non-saturating loss of Goodfellow et al.: the discriminator minimises
BCE(D(x), 1) + BCE(D(G(z)), 0), the generator minimises BCE(D(G(z)), 1). Adam with beta1 = 0.5 as in
the DCGAN paper. One-sided label smoothing (real target 0.9) keeps the dense discriminator from winning
too early.

References: Goodfellow et al. (2014), Generative Adversarial Nets, NeurIPS; Radford, Metz & Chintala
(2016), DCGAN, arXiv:1511.06434; Salimans et al. (2016), Improved techniques for training GANs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annlab.latent.autoencoders import seeded_init
from annlab.training import Callback, TrainResult, divergence, generator

GAN_ARCHS = ("dense", "dcgan")


@dataclass(frozen=True)
class GANConfig:
    """A GAN and how it is trained.

    Parameters
    ----------
    arch : "dense" or "dcgan" (dcgan needs square images with a side divisible by 4)
    input_dim : pixels per image (784 or 64)
    latent_dim : size of z
    hidden : widths of the dense generator's hidden layers (the discriminator mirrors them)
    num_epochs, batch_size, lr : Adam(lr, betas=(0.5, 0.999)) for both networks
    label_smoothing : target for real images in the discriminator loss (1.0 = none)
    batch_norm : batch normalisation in the dense generator's hidden layers (cleaner strokes, faster)
    """

    arch: str = "dense"
    input_dim: int = 784
    latent_dim: int = 32
    hidden: tuple = (256, 512)
    num_epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-4
    label_smoothing: float = 0.9
    batch_norm: bool = True

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.arch not in GAN_ARCHS:
            raise ValueError(f"arch must be one of {GAN_ARCHS}, got {self.arch!r}.")
        side = math.isqrt(self.input_dim)
        if self.arch == "dcgan" and (side * side != self.input_dim or side % 4):
            raise ValueError("The DCGAN needs square images with a side divisible by 4 (28x28 or 8x8).")
        if self.latent_dim < 1 or self.input_dim < 1 or not self.hidden or min(self.hidden) < 1:
            raise ValueError("latent_dim, input_dim and the hidden widths must be at least 1.")
        if self.num_epochs < 1 or self.batch_size < 2 or not self.lr > 0:
            raise ValueError("num_epochs >= 1, batch_size >= 2 and lr > 0 are required.")
        if not 0.5 <= self.label_smoothing <= 1.0:
            raise ValueError("label_smoothing must be between 0.5 and 1.0.")

    @property
    def side(self) -> int:
        return math.isqrt(self.input_dim)

    @property
    def label(self) -> str:
        return f"the {'DCGAN' if self.arch == 'dcgan' else 'dense GAN'} ({self.latent_dim}-D latent)"


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

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent) -> images (B, input_dim) in [0, 1]."""
        return (self.generator(z) + 1.0) / 2.0

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, input_dim) in [0, 1] -> logits (B,)."""
        return self.discriminator(x * 2.0 - 1.0).squeeze(1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generate(z)


def build_gan(cfg: GANConfig) -> GAN:
    """An untrained GAN for ``cfg`` (for the model store); the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return GAN(cfg)


def gan_losses(
    model: GAN, x_real: torch.Tensor, z: torch.Tensor, real_target: float = 1.0
) -> dict[str, torch.Tensor]:
    """Discriminator and (non-saturating) generator losses for one batch.

    Returns
    -------
    dict with scalars ``d_loss``, ``g_loss`` and the discriminator's mean probabilities ``d_real`` (on
    x_real) and ``d_fake`` (on G(z)), the last two without gradient.
    """
    fake = model.generate(z)
    real_logits = model.discriminate(x_real)
    fake_logits = model.discriminate(fake.detach())
    d_loss = F.binary_cross_entropy_with_logits(
        real_logits, torch.full_like(real_logits, real_target)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    gen_logits = model.discriminate(fake)
    g_loss = F.binary_cross_entropy_with_logits(gen_logits, torch.ones_like(gen_logits))
    return {
        "d_loss": d_loss,
        "g_loss": g_loss,
        "d_real": torch.sigmoid(real_logits).mean().detach(),
        "d_fake": torch.sigmoid(fake_logits).mean().detach(),
    }


def train_gan(
    cfg: GANConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Alternate one discriminator and one generator Adam step per batch.

    Parameters
    ----------
    cfg : GANConfig
    data : ndarray of shape (n, input_dim), float in [0, 1] (or a pair whose first item is that)

    Returns
    -------
    TrainResult with history rows ``{"epoch", "d_loss", "g_loss", "d_real", "d_fake", "seconds"}``
    (d_real, d_fake: mean discriminator probability on real and generated images).
    """
    X = np.array(data[0] if isinstance(data, (tuple, list)) else data, np.float32)
    if X.ndim != 2 or X.shape[1] != cfg.input_dim:
        raise ValueError(f"Expected data of shape (n, {cfg.input_dim}), got {X.shape}.")
    gen = generator(seed)
    model = seeded_init(build_gan(cfg), gen).to(device)
    X = torch.as_tensor(X).to(device)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    history: list[dict] = []
    diverged = None
    start = time.perf_counter()
    n = len(X)
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        sums = {"d_loss": 0.0, "g_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
        batches = 0
        for i in range(0, n - 1, cfg.batch_size):
            xb = X[perm[i : i + cfg.batch_size]]
            if len(xb) < 2:
                continue
            z = torch.randn(len(xb), cfg.latent_dim, generator=gen).to(device)
            terms = gan_losses(model, xb, z, cfg.label_smoothing)
            opt_d.zero_grad()
            terms["d_loss"].backward(inputs=list(model.discriminator.parameters()))
            opt_g.zero_grad()
            terms["g_loss"].backward(inputs=list(model.generator.parameters()))
            opt_d.step()
            opt_g.step()
            for k in sums:
                sums[k] += float(terms[k].detach())
            batches += 1
        row = {
            "epoch": epoch,
            **{k: v / max(batches, 1) for k, v in sums.items()},
            "seconds": time.perf_counter() - start,
        }
        history.append(row)
        diverged = divergence(row["d_loss"] + row["g_loss"], epoch, cfg.lr)
        if callback is not None:
            callback(epoch, row)
        if diverged:
            break
    model.eval()
    return TrainResult(
        model, history, cfg, extra={"train_seconds": time.perf_counter() - start}, diverged=diverged
    )


@torch.no_grad()
def sample_z(cfg: GANConfig, n: int, seed: int = 0) -> np.ndarray:
    """n prior draws z ~ N(0, I): ndarray (n, latent_dim), float32."""
    return torch.randn(n, cfg.latent_dim, generator=generator(seed)).numpy()


@torch.no_grad()
def generate(model: GAN, Z) -> np.ndarray:
    """Images of codes ``Z`` (n, latent_dim) -> ndarray (n, input_dim) in [0, 1], float32."""
    dev = next(model.parameters()).device
    Z = torch.as_tensor(np.asarray(Z, np.float32).reshape(-1, model.cfg.latent_dim)).to(dev)
    return model.generate(Z).cpu().numpy()
