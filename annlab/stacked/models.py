"""Stacked autoencoders: one autoencoder per layer, trained greedily on the codes of the layer below,
then the whole encoder stack with a softmax on top as one classifier.

- :class:`LayerAE`: ``x (B, n_in) -> h = relu(W x + b) (B, n_hidden) -> x_hat (B, n_in)``. The first
  layer sees pixels in [0, 1] (sigmoid output, binary cross-entropy); a higher layer sees non-negative
  ReLU codes (linear output, squared error). Denoising (Vincent et al., 2010): a fraction of the inputs
  is set to zero (masking noise) and the clean input is the target.
- :class:`StackNet`: the encoders of the stack and a softmax layer, ``(B, 784) -> (B, 10)`` logits. The
  same module is the classifier on frozen codes (only the softmax layer learns), the fine-tuned stack
  (every weight learns, starting from the pretrained ones) and the network trained from random weights.
- :func:`shift_images`: the data augmentation (random sub-pixel translations), applied alike to all three
  classifiers when it is switched on.

References: Bengio, Lamblin, Popovici & Larochelle (2007), "Greedy layer-wise training of deep
networks", NIPS 19; Vincent, Larochelle, Lajoie, Bengio & Manzagol (2010), "Stacked denoising
autoencoders", JMLR 11; Hinton & Salakhutdinov (2006), Science 313.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from annlab.training import seeded_dropout


class LayerAE(nn.Module):
    """One layer of the stack as an autoencoder: encoder ``n_in -> n_hidden`` (ReLU), decoder back.

    Parameters
    ----------
    n_in, n_hidden : layer sizes
    bounded : the input lies in [0, 1] (pixels): sigmoid output and binary cross-entropy; otherwise a
        linear output and squared error (codes of a ReLU layer)
    """

    def __init__(self, n_in: int, n_hidden: int, bounded: bool):
        super().__init__()
        self.bounded = bounded
        self.encoder = nn.Linear(n_in, n_hidden)
        self.decoder = nn.Linear(n_hidden, n_in)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, n_in) -> code (B, n_hidden), non-negative."""
        return F.relu(self.encoder(x))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """code (B, n_hidden) -> reconstruction (B, n_in), in [0, 1] when bounded."""
        out = self.decoder(h)
        return torch.sigmoid(out) if self.bounded else out

    def loss(self, x_in: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean per-sample reconstruction loss (summed over the n_in outputs) of ``target`` from ``x_in``."""
        out = self.decoder(self.encode(x_in))  # (B, n_in) pre-activation
        if self.bounded:
            return F.binary_cross_entropy_with_logits(out, target, reduction="none").sum(1).mean()
        return (out - target).pow(2).sum(1).mean()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class StackNet(nn.Module):
    """Encoders ``sizes[0] -> sizes[1] -> ... -> sizes[-1]`` (ReLU) and a softmax layer to ``n_classes``.

    ``dropout`` is applied to every hidden code during training (0 = none); its masks come from the
    generator ``gen`` given to :meth:`forward` (the global RNG is never used).
    """

    def __init__(self, sizes: tuple[int, ...], n_classes: int = 10, dropout: float = 0.0):
        super().__init__()
        self.sizes = tuple(sizes)
        self.encoders = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.head = nn.Linear(sizes[-1], n_classes)
        self.dropout = float(dropout)

    def codes(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """x (B, sizes[0]) -> top code (B, sizes[-1]). In training mode with ``dropout`` > 0, each code
        entry is zeroed with that probability (masks drawn from ``gen``), the kept ones scaled up."""
        drop = self.training and self.dropout > 0
        if drop and gen is None:
            raise ValueError("Dropout in training mode needs a seeded torch.Generator (gen=...).")
        for enc in self.encoders:
            x = F.relu(enc(x))
            if drop:
                x = seeded_dropout(x, self.dropout, gen)
        return x

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """x (B, sizes[0]) -> logits (B, n_classes); ``gen`` draws the dropout masks when training."""
        return self.head(self.codes(x, gen))

    def load_encoders(self, layers: list[dict[str, torch.Tensor]]) -> StackNet:
        """Copy in the encoders of pretrained :class:`LayerAE` state dicts (bottom first); returns self."""
        if len(layers) != len(self.encoders):
            raise ValueError(f"{len(layers)} pretrained layers for a stack of {len(self.encoders)}.")
        with torch.no_grad():
            for enc, state in zip(self.encoders, layers, strict=True):
                enc.weight.copy_(state["encoder.weight"])
                enc.bias.copy_(state["encoder.bias"])
        return self


def seeded_init(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """Re-initialise every linear layer from ``gen``: PyTorch's default uniform(+-1/sqrt(fan_in)) for
    weights and biases (the global RNG is neither used nor changed). Returns ``model``."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                bound = 1.0 / math.sqrt(module.in_features)
                module.weight.copy_(torch.empty(module.weight.shape).uniform_(-bound, bound, generator=gen))
                module.bias.copy_(torch.empty(module.bias.shape).uniform_(-bound, bound, generator=gen))
    return model


def mask_noise(x: torch.Tensor, fraction: float, gen: torch.Generator) -> torch.Tensor:
    """Masking corruption: each entry of x (B, D) set to 0 with probability ``fraction``, the kept ones
    scaled by 1 / (1 - fraction) (a new tensor). The scaling keeps the expected input equal to the clean
    one, so the codes of clean digits, which the layers above and the classifiers use, are on the scale
    the layer was trained on (as in dropout)."""
    if fraction <= 0:
        return x
    keep = torch.rand(x.shape, generator=gen, device=x.device) >= fraction
    return x * keep / (1.0 - fraction)


WARP_POINTS = 4  # control points per side of the elastic displacement field


@functools.lru_cache(maxsize=4)
def _warp_basis(side: int) -> torch.Tensor:
    """Bicubic interpolation from a WARP_POINTS x WARP_POINTS grid to side x side as one matrix
    (WARP_POINTS**2, side*side): ``values @ basis`` equals ``F.interpolate(..., mode="bicubic")``."""
    eye = torch.eye(WARP_POINTS**2).view(-1, 1, WARP_POINTS, WARP_POINTS)
    return F.interpolate(eye, size=(side, side), mode="bicubic", align_corners=True).view(WARP_POINTS**2, -1)


def shift_images(
    x: torch.Tensor,
    max_shift: float,
    gen: torch.Generator,
    side: int = 28,
    max_rotate: float = 0.0,
    max_scale: float = 0.0,
    warp: float = 0.0,
) -> torch.Tensor:
    """Random small distortions of flat square images: x (B, side*side) -> (B, side*side), a new tensor.

    Each image moves by (dx, dy) drawn uniformly from [-max_shift, max_shift] pixels, turns by an angle
    drawn from [-max_rotate, max_rotate] degrees and is scaled by a factor drawn from [1 - max_scale,
    1 + max_scale] about its centre; ``warp`` adds an elastic distortion (Simard, Steinkraus & Platt,
    2003): every pixel moves by a smooth random displacement of up to about ``warp`` pixels, drawn on a
    coarse 4x4 grid of control points and interpolated bicubically. Bilinear resampling, zeros come in
    at the border. All of them 0 returns x unchanged.
    """
    if max_shift <= 0 and max_rotate <= 0 and max_scale <= 0 and warp <= 0:
        return x
    b = x.shape[0]
    d = (torch.rand(b, 2, generator=gen, device=x.device) * 2 - 1) * max_shift  # (B, 2) pixels
    a = (torch.rand(b, generator=gen, device=x.device) * 2 - 1) * math.radians(max_rotate)  # (B,)
    theta = torch.zeros(b, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = torch.cos(a)
    theta[:, 0, 1], theta[:, 1, 0] = -torch.sin(a), torch.sin(a)
    if max_scale > 0:  # sampling the grid at 1/s shrinks or grows the digit by s
        s = 1.0 + (torch.rand(b, 1, 1, generator=gen, device=x.device) * 2 - 1) * max_scale  # (B, 1, 1)
        theta[:, :, :2] = theta[:, :, :2] / s
    theta[:, :, 2] = -2.0 * d / side  # grid coordinates span [-1, 1] over the side
    grid = F.affine_grid(theta, (b, 1, side, side), align_corners=False)  # (B, side, side, 2)
    if warp > 0:
        coarse = (torch.rand(b, 2, WARP_POINTS**2, generator=gen, device=x.device) * 2 - 1) * warp  # pixels
        field = coarse @ _warp_basis(side).to(x.device, x.dtype)  # (B, 2, side*side), bicubic
        grid = grid + field.view(b, 2, side, side).permute(0, 2, 3, 1) * (2.0 / side)  # grid units
    out = F.grid_sample(x.view(b, 1, side, side), grid, mode="bilinear", align_corners=False)
    return out.reshape(b, side * side)
