"""Autoencoders with a small latent space: dense and convolutional AE, VAE and an MMD-regularised AE.

One config (:class:`AEConfig`) and one training function (:func:`train_autoencoder`) cover every
variant, so a page can switch model, latent size and reconstruction loss with one selectbox each.

- ``kind="ae"``: plain autoencoder, ``x -> z -> x_hat``.
- ``kind="vae"``: variational autoencoder; the encoder gives ``mu`` and ``log sigma^2``, the loss adds
  ``beta * KL(q(z|x) || N(0, I))`` in closed form (Kingma & Welling, 2014).
- ``kind="mmd"``: deterministic codes pushed towards N(0, I) by a maximum-mean-discrepancy penalty with
  an inverse multiquadratic kernel (Tolstikhin et al., 2018, Wasserstein autoencoders; Zhao et al.,
  InfoVAE).
- ``corrupt`` trains a denoising autoencoder: the input is corrupted (Gaussian noise or Gaussian blur),
  the target is the clean image (Vincent et al., 2008).

References: Hinton & Salakhutdinov (2006), Science 313; Kingma & Welling (2014), arXiv:1312.6114;
Tolstikhin et al. (2018), arXiv:1711.01558; Vincent et al. (2008), ICML.
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

KINDS = ("ae", "vae", "mmd")
ARCHS = ("dense", "conv")
LOSSES = ("mse", "l1", "bce")
CORRUPTIONS = ("none", "noise", "blur")
LATENT_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # the autoencoders' and the denoiser's choices
VAE_LATENT_SIZES = (*LATENT_SIZES, 600)  # seed 001 §4.3 trains a 600-D VAE
KERNELS = ("imq", "rbf")


@dataclass(frozen=True)
class AEConfig:
    """An autoencoder and how it is trained.

    Parameters
    ----------
    kind : "ae", "vae" or "mmd"
    arch : "dense" or "conv" (conv needs square images whose side is divisible by 4: 28 or 8)
    input_dim : pixels per image (784, 64) or 2 for two moons
    latent_dim : size of the code z
    hidden : widths of the dense hidden layers, encoder order (the decoder mirrors them)
    loss : reconstruction loss "mse", "l1" or "bce" (bce needs ``bounded``)
    bounded : outputs in [0, 1] through a sigmoid (images); False for a linear output (two moons)
    beta : weight of the KL term (vae) or of the MMD term (mmd); ignored for ae
    corrupt, corrupt_level : denoising training: "noise" (std of additive Gaussian noise) or "blur"
        (sigma of a Gaussian blur, in pixels); "none" for a plain autoencoder
    kernel, bandwidth : the MMD kernel (mmd only): "imq" (inverse multiquadratic, C = 2 d bandwidth^2)
        or "rbf" (Gaussian, exp(-|a - b|^2 / (2 bandwidth^2)))
    num_epochs, batch_size, lr, weight_decay : Adam training
    """

    kind: str = "ae"
    arch: str = "dense"
    input_dim: int = 784
    latent_dim: int = 2
    hidden: tuple = (256, 64)
    loss: str = "bce"
    bounded: bool = True
    beta: float = 1.0
    corrupt: str = "none"
    corrupt_level: float = 0.0
    kernel: str = "imq"
    bandwidth: float = 1.0
    num_epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}.")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}.")
        if self.loss == "bce" and not self.bounded:
            raise ValueError(
                "Binary cross-entropy needs outputs in [0, 1]: use mse or l1 for unbounded data."
            )
        if self.corrupt not in CORRUPTIONS:
            raise ValueError(f"corrupt must be one of {CORRUPTIONS}, got {self.corrupt!r}.")
        if self.kernel not in KERNELS or not self.bandwidth > 0:
            raise ValueError(f"kernel must be one of {KERNELS} and bandwidth > 0.")
        if self.input_dim < 1 or self.latent_dim < 1:
            raise ValueError("input_dim and latent_dim must be at least 1.")
        if self.arch == "conv":
            side = math.isqrt(self.input_dim)
            if side * side != self.input_dim or side % 4:
                raise ValueError(
                    "The convolutional autoencoder needs square images with a side divisible "
                    f"by 4 (28x28 or 8x8), not {self.input_dim} inputs."
                )
        if self.corrupt == "blur" and math.isqrt(self.input_dim) ** 2 != self.input_dim:
            raise ValueError("Blur corruption needs square images.")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError("hidden must list at least one positive layer width.")
        if self.beta < 0 or self.corrupt_level < 0:
            raise ValueError("beta and corrupt_level must be non-negative.")
        if self.num_epochs < 1 or self.batch_size < 1 or not self.lr > 0 or self.weight_decay < 0:
            raise ValueError("num_epochs and batch_size must be >= 1, lr > 0, weight_decay >= 0.")

    @property
    def side(self) -> int:
        return math.isqrt(self.input_dim)

    @property
    def label(self) -> str:
        names = {"ae": "autoencoder", "vae": "VAE", "mmd": "MMD autoencoder"}
        prefix = "denoising " if self.corrupt != "none" else ""
        return f"the {prefix}{self.arch} {names[self.kind]} ({self.latent_dim}-D latent)"


WIDTH_MARGIN = 2  # hidden layers at least this many times as wide as the code


def widths(hidden, latent_dim: int) -> tuple[int, ...]:
    """Hidden widths that never choke a ``latent_dim``-D code: each at least :data:`WIDTH_MARGIN` times
    ``latent_dim`` wide. A 784-512-128-d encoder confines a 256-D code to at most 128 dimensions, and
    even a layer exactly d wide loses directions to ReLU units that die in training (784-512-256-256:
    rank 182 of 256 on the test digits after 20 epochs; 784-512-512-256: 256). Unchanged for codes up to
    half the narrowest layer (64-D for 512-128), so those models keep their store keys."""
    return tuple(max(int(h), WIDTH_MARGIN * int(latent_dim)) for h in hidden)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ConvEncoder(nn.Module):
    """(B, side*side) -> (B, out): two stride-2 convolutions, then a dense head."""

    def __init__(self, side: int, hidden: int, out: int):
        super().__init__()
        self.side = side
        s = side // 4
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 4, 2, 1),
            nn.ReLU(),  # (B, 16, side/2, side/2)
            nn.Conv2d(16, 32, 4, 2, 1),
            nn.ReLU(),  # (B, 32, side/4, side/4)
            nn.Flatten(),
            nn.Linear(32 * s * s, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out),
        )

    def forward(self, x):
        return self.net(x.view(-1, 1, self.side, self.side))


class ConvDecoder(nn.Module):
    """(B, latent) -> (B, side*side) pre-activation: a dense stem, then two transposed convolutions."""

    def __init__(self, side: int, hidden: int, latent: int):
        super().__init__()
        s = side // 4
        self.net = nn.Sequential(
            nn.Linear(latent, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 32 * s * s),
            nn.ReLU(),
            nn.Unflatten(1, (32, s, s)),
            nn.ConvTranspose2d(32, 16, 4, 2, 1),
            nn.ReLU(),  # (B, 16, side/2, side/2)
            nn.ConvTranspose2d(16, 1, 4, 2, 1),
            nn.Flatten(),
        )  # (B, side*side)

    def forward(self, z):
        return self.net(z)


class AutoEncoder(nn.Module):
    """Encoder and decoder for every :class:`AEConfig` (dense/conv, ae/vae/mmd)."""

    def __init__(self, cfg: AEConfig):
        super().__init__()
        self.cfg = cfg
        out = 2 * cfg.latent_dim if cfg.kind == "vae" else cfg.latent_dim
        if cfg.arch == "conv":
            self.encoder = ConvEncoder(cfg.side, cfg.hidden[-1], out)
            self.decoder = ConvDecoder(cfg.side, cfg.hidden[-1], cfg.latent_dim)
        else:
            self.encoder = _mlp([cfg.input_dim, *cfg.hidden, out])
            self.decoder = _mlp([cfg.latent_dim, *reversed(cfg.hidden), cfg.input_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (B, input_dim) -> mu (B, latent), logvar (B, latent) for a VAE else None."""
        h = self.encoder(x)
        if self.cfg.kind == "vae":
            mu, logvar = h.chunk(2, dim=1)
            return mu, logvar.clamp(-12.0, 8.0)
        return h, None

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent) -> pre-activation output (B, input_dim)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent) -> reconstruction (B, input_dim), in [0, 1] when bounded."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.cfg.bounded else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, _ = self.encode(x)
        return self.decode(mu)


def seeded_init(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """Re-initialise ``model`` in place from ``gen`` (PyTorch's default uniform(+-1/sqrt(fan_in))
    weights, zero biases), so that the global RNG is neither used nor needed. Frozen parameters (a GAN's
    generator average) are left alone and draw nothing from ``gen``. Returns ``model``."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            if p.dim() > 1:
                bound = 1.0 / math.sqrt(p[0].numel())
                p.copy_(torch.empty(p.shape).uniform_(-bound, bound, generator=gen))
            elif name.endswith("weight"):  # normalisation scales
                p.fill_(1.0)
            else:
                p.zero_()
    return model


def build(cfg: AEConfig) -> AutoEncoder:
    """An untrained model for ``cfg`` (for the model store); the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return AutoEncoder(cfg)


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per sample, closed form: (B, latent) -> (B,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def mmd_imq(z: torch.Tensor, prior: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Unbiased MMD^2 between codes ``z`` (B, d) and prior samples ``prior`` (B, d), inverse
    multiquadratic kernel k(a, b) = C / (C + |a - b|^2) with C = 2 d scale^2 (as in the WAE paper)."""
    return mmd(z, prior, "imq", scale)


def mmd(z: torch.Tensor, prior: torch.Tensor, kernel: str = "imq", bandwidth: float = 1.0) -> torch.Tensor:
    """Unbiased MMD^2 between codes ``z`` (B, d) and prior samples ``prior`` (B, d) with the kernel
    "imq" (C / (C + |a - b|^2), C = 2 d bandwidth^2) or "rbf" (exp(-|a - b|^2 / (2 bandwidth^2)))."""
    n, d = z.shape
    c = 2.0 * d * bandwidth**2

    def k(a, b):
        sq = torch.cdist(a, b).pow(2)
        return c / (c + sq) if kernel == "imq" else torch.exp(-sq / (2.0 * bandwidth**2))

    off = 1.0 - torch.eye(n, device=z.device, dtype=z.dtype)
    kzz = (k(z, z) * off).sum() / (n * (n - 1))
    kpp = (k(prior, prior) * off).sum() / (n * (n - 1))
    kzp = k(z, prior).mean()
    return kzz + kpp - 2.0 * kzp


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, loss: str, bounded: bool) -> torch.Tensor:
    """Per-sample reconstruction loss summed over pixels: (B, D), (B, D) -> (B,)."""
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    x_hat = torch.sigmoid(logits) if bounded else logits
    if loss == "mse":
        return (x_hat - x).pow(2).sum(dim=1)
    return (x_hat - x).abs().sum(dim=1)


def losses(
    model: AutoEncoder, x_in: torch.Tensor, x_target: torch.Tensor, gen: torch.Generator | None = None
) -> dict[str, torch.Tensor]:
    """Batch-mean loss terms: ``loss`` (what is minimised), ``recon`` and ``reg`` (KL or MMD, else 0)."""
    cfg = model.cfg
    mu, logvar = model.encode(x_in)
    if cfg.kind == "vae":
        eps = torch.randn(mu.shape, generator=gen, device=mu.device, dtype=mu.dtype)
        z = mu + eps * (0.5 * logvar).exp()
        reg = kl_normal(mu, logvar).mean()
    elif cfg.kind == "mmd" and len(mu) > 1:
        z = mu
        prior = torch.randn(mu.shape, generator=gen, device=mu.device, dtype=mu.dtype)
        reg = mmd(z, prior, cfg.kernel, cfg.bandwidth)
    else:
        z, reg = mu, torch.zeros((), device=mu.device)
    recon = reconstruction_loss(model.decode_logits(z), x_target, cfg.loss, cfg.bounded).mean()
    weight = cfg.beta if cfg.kind != "ae" else 0.0
    return {"loss": recon + weight * reg, "recon": recon, "reg": reg}


def gaussian_blur(X: torch.Tensor, sigma: float, side: int) -> torch.Tensor:
    """Blur flat square images (B, side*side) with a Gaussian of std ``sigma`` pixels (zero padding)."""
    if sigma <= 0:
        return X.clone()
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=X.dtype, device=X.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    img = X.reshape(-1, 1, side, side)
    img = F.conv2d(img, k.view(1, 1, 1, -1), padding=(0, radius))
    img = F.conv2d(img, k.view(1, 1, -1, 1), padding=(radius, 0))
    return img.reshape(X.shape)


def corrupt(
    X, kind: str, level: float, *, side: int | None = None, seed: int | torch.Generator = 0, clip: bool = True
):
    """Corrupt images: additive Gaussian noise of std ``level`` or a Gaussian blur of sigma ``level``.

    Parameters
    ----------
    X : ndarray or tensor of shape (n, D); not modified
    kind : "none", "noise" or "blur"
    level : noise std (pixel units, images in [0, 1]) or blur sigma (pixels)
    side : image side for blur (default sqrt(D))
    seed : int or torch.Generator for the noise
    clip : clip the result to [0, 1]

    Returns
    -------
    Same type and shape as ``X``, a new array.
    """
    is_np = isinstance(X, np.ndarray)
    T = torch.as_tensor(np.array(X, np.float32) if is_np else X)
    if kind == "none" or level <= 0:
        out = T.clone()
    elif kind == "noise":
        gen = seed if isinstance(seed, torch.Generator) else generator(seed)
        out = T + level * torch.randn(T.shape, generator=gen, dtype=T.dtype).to(T.device)
    elif kind == "blur":
        out = gaussian_blur(T, level, side or math.isqrt(T.shape[1]))
    else:
        raise ValueError(f"Unknown corruption {kind!r}; choose one of {CORRUPTIONS}.")
    if clip:
        out = out.clamp(0.0, 1.0)
    return out.numpy() if is_np else out


def _unpack(data) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``data`` as (X_train, X_val or None, X_show or None), float32 copies."""
    items = list(data) if isinstance(data, (tuple, list)) else [data]
    items += [None] * (3 - len(items))
    return tuple(None if x is None else np.array(x, np.float32) for x in items[:3])


def train_autoencoder(
    cfg: AEConfig, data, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train any :class:`AEConfig` with Adam.

    Parameters
    ----------
    cfg : AEConfig
    data : ndarray of shape (n, input_dim), or a tuple (X_train, X_val) or (X_train, X_val, X_show):
        the validation loss (and its terms) is recorded after every epoch on X_val (digits carved from
        the training split, never the test digits); the reconstructions of X_show (m, input_dim)
        after every epoch are kept (seed 002 shows them at epochs 1, 5, 10, ...)
    device, seed, callback : see :mod:`annlab.training`; ``callback(epoch, metrics)`` gets ``loss``,
        ``recon``, ``reg`` (train, per image) and ``val_loss``, ``val_recon``, ``val_reg`` when
        validation data is given

    Returns
    -------
    TrainResult with history rows ``{"epoch", "loss", "recon", "reg", "val_loss"?, "val_recon"?,
    "val_reg"?, "seconds"}`` and ``extra = {"train_seconds": float, "snapshots"?: uint8 tensor
    (epochs, m, input_dim)}`` (reconstructions of X_show, 0..255).
    """
    X_train, X_val, X_show = _unpack(data)
    if X_train.ndim != 2 or X_train.shape[1] != cfg.input_dim:
        raise ValueError(f"Expected data of shape (n, {cfg.input_dim}), got {X_train.shape}.")
    gen = generator(seed)
    model = seeded_init(build(cfg), gen)
    model.to(device)
    Xtr = torch.as_tensor(X_train).to(device)
    Xval = torch.as_tensor(X_val).to(device) if X_val is not None else None
    Xshow = torch.as_tensor(X_show).to(device) if X_show is not None else None
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    noise_gen = generator(seed + 1)
    history: list[dict] = []
    snaps: list[torch.Tensor] = []
    diverged = None
    start = time.perf_counter()
    n = len(Xtr)
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        sums = {"loss": 0.0, "recon": 0.0, "reg": 0.0}
        for i in range(0, n, cfg.batch_size):
            xb = Xtr[perm[i : i + cfg.batch_size]]
            xin = (
                corrupt(xb, cfg.corrupt, cfg.corrupt_level, side=cfg.side, seed=noise_gen, clip=cfg.bounded)
                if cfg.corrupt != "none"
                else xb
            )
            terms = losses(model, xin, xb, noise_gen)
            opt.zero_grad()
            terms["loss"].backward()
            opt.step()
            for k in sums:
                sums[k] += float(terms[k].detach()) * len(xb)
        row = {"epoch": epoch, **{k: v / n for k, v in sums.items()}}
        if Xval is not None:
            row.update({f"val_{k}": v for k, v in evaluate(model, Xval, seed=seed).items()})
        if Xshow is not None:
            snaps.append((torch.as_tensor(reconstruct(model, Xshow.cpu())) * 255).round().to(torch.uint8))
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        diverged = divergence(row["loss"], epoch, cfg.lr)
        if callback is not None:
            callback(epoch, row)
        if diverged:
            break
    model.eval()
    extra = {"train_seconds": time.perf_counter() - start}
    if snaps:
        extra["snapshots"] = torch.stack(snaps)
    return TrainResult(model, history, cfg, extra=extra, diverged=diverged)


def snapshots(result: TrainResult) -> np.ndarray:
    """Reconstructions kept after every epoch: (epochs, m, input_dim) float32 in [0, 1] (m = 0: none)."""
    snaps = result.extra.get("snapshots")
    if snaps is None:
        return np.zeros((len(result.history), 0, result.config.input_dim), np.float32)
    return torch.as_tensor(snaps).numpy().astype(np.float32) / 255.0


@torch.no_grad()
def kl_per_dim(model: AutoEncoder, X, batch_size: int = 1000) -> np.ndarray:
    """Mean KL(q(z_j | x) || N(0, 1)) of each latent dimension j over images ``X`` (n, input_dim) ->
    (latent_dim,) in nats. Near 0 for a dimension the decoder ignores (posterior collapse); zeros for a
    model without a posterior (ae, mmd)."""
    if model.cfg.kind != "vae":
        return np.zeros(model.cfg.latent_dim, np.float32)
    dev = next(model.parameters()).device
    X = np.asarray(X, np.float32)
    total = torch.zeros(model.cfg.latent_dim)
    for i in range(0, len(X), batch_size):
        mu, logvar = model.encode(torch.tensor(X[i : i + batch_size]).to(dev))
        total += (0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)).sum(0).cpu()
    return (total / max(len(X), 1)).numpy()


@torch.no_grad()
def evaluate(model: AutoEncoder, X, *, seed: int = 0, batch_size: int = 1000) -> dict[str, float]:
    """Mean loss terms per image on ``X`` (n, input_dim); corrupted inputs for a denoising model."""
    was_training = model.training
    model.eval()
    cfg = model.cfg
    X = torch.as_tensor(np.array(X, np.float32) if isinstance(X, np.ndarray) else X)
    dev = next(model.parameters()).device
    gen = generator(seed + 7)
    sums = {"loss": 0.0, "recon": 0.0, "reg": 0.0}
    for i in range(0, len(X), batch_size):
        xb = X[i : i + batch_size].to(dev)
        xin = (
            corrupt(xb.cpu(), cfg.corrupt, cfg.corrupt_level, side=cfg.side, seed=gen, clip=cfg.bounded).to(
                dev
            )
            if cfg.corrupt != "none"
            else xb
        )
        terms = losses(model, xin, xb, gen)
        for k in sums:
            sums[k] += float(terms[k]) * len(xb)
    model.train(was_training)
    return {k: v / max(len(X), 1) for k, v in sums.items()}


@torch.no_grad()
def bernoulli_elbo(model: AutoEncoder, X, *, seed: int = 0, batch_size: int = 1000) -> dict[str, float]:
    """A VAE's ELBO per image on 0/1 images ``X`` (n, input_dim), reading the decoder's sigmoid outputs
    as Bernoulli pixel probabilities whatever loss it was trained with: ``elbo`` = -(``recon`` + ``kl``)
    in nats, a lower bound on log p(x) (one draw of z per image). For a model without a posterior
    (ae, mmd) the KL is 0 and ``recon`` is the codes' reconstruction NLL."""
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    X = torch.as_tensor(np.asarray(X, np.float32))
    gen = generator(seed + 11)
    recon = kl = 0.0
    for i in range(0, len(X), batch_size):
        xb = X[i : i + batch_size].to(dev)
        mu, logvar = model.encode(xb)
        z = mu
        if logvar is not None:
            eps = torch.randn(mu.shape, generator=gen).to(dev)
            z = mu + eps * (0.5 * logvar).exp()
            kl += float(kl_normal(mu, logvar).sum())
        recon += float(F.binary_cross_entropy_with_logits(model.decode_logits(z), xb, reduction="sum"))
    model.train(was_training)
    n = max(len(X), 1)
    return {"elbo": -(recon + kl) / n, "recon": recon / n, "kl": kl / n}


@torch.no_grad()
def encode(model: AutoEncoder, X, batch_size: int = 1000) -> np.ndarray:
    """Codes (the mean for a VAE) of ``X`` (n, input_dim) -> ndarray (n, latent_dim), float32."""
    dev = next(model.parameters()).device
    X = np.asarray(X, np.float32)
    out = [
        model.encode(torch.tensor(X[i : i + batch_size]).to(dev))[0].cpu()
        for i in range(0, len(X), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, model.cfg.latent_dim), np.float32)


@torch.no_grad()
def decode(model: AutoEncoder, Z, batch_size: int = 1000) -> np.ndarray:
    """Decoded images of codes ``Z`` (n, latent_dim) -> ndarray (n, input_dim), float32."""
    dev = next(model.parameters()).device
    Z = np.asarray(Z, np.float32).reshape(-1, model.cfg.latent_dim)
    out = [
        model.decode(torch.tensor(Z[i : i + batch_size]).to(dev)).cpu() for i in range(0, len(Z), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, model.cfg.input_dim), np.float32)


@torch.no_grad()
def reconstruct(model: AutoEncoder, X) -> np.ndarray:
    """``decode(encode(X))``: (n, input_dim) -> (n, input_dim)."""
    return decode(model, encode(model, X))


def per_image_error(model: AutoEncoder, X) -> np.ndarray:
    """Mean squared reconstruction error per image, (n, input_dim) -> (n,), comparable across losses."""
    X = np.asarray(X, np.float32)
    return ((reconstruct(model, X) - X) ** 2).mean(axis=1)
