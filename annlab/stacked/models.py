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

import math

import torch
import torch.nn.functional as F
from torch import nn


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

    ``dropout`` is applied to every hidden code during training (0 = none).
    """

    def __init__(self, sizes: tuple[int, ...], n_classes: int = 10, dropout: float = 0.0):
        super().__init__()
        self.sizes = tuple(sizes)
        self.encoders = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.head = nn.Linear(sizes[-1], n_classes)
        self.dropout = float(dropout)

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, sizes[0]) -> top code (B, sizes[-1]) (dropout only in training mode)."""
        for enc in self.encoders:
            x = F.dropout(F.relu(enc(x)), self.dropout, self.training)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, sizes[0]) -> logits (B, n_classes)."""
        return self.head(self.codes(x))

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


def shift_images(
    x: torch.Tensor, max_shift: float, gen: torch.Generator, side: int = 28, max_rotate: float = 0.0
) -> torch.Tensor:
    """Random translations (and optionally rotations) of flat square images: x (B, side*side) -> (B,
    side*side), a new tensor.

    Each image moves by (dx, dy) drawn uniformly from [-max_shift, max_shift] pixels and turns by an
    angle drawn from [-max_rotate, max_rotate] degrees about its centre (bilinear resampling, zeros
    come in at the border). ``max_shift=0`` and ``max_rotate=0`` return x unchanged.
    """
    if max_shift <= 0 and max_rotate <= 0:
        return x
    b = x.shape[0]
    d = (torch.rand(b, 2, generator=gen, device=x.device) * 2 - 1) * max_shift  # (B, 2) pixels
    a = (torch.rand(b, generator=gen, device=x.device) * 2 - 1) * math.radians(max_rotate)  # (B,)
    theta = torch.zeros(b, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = torch.cos(a)
    theta[:, 0, 1], theta[:, 1, 0] = -torch.sin(a), torch.sin(a)
    theta[:, :, 2] = -2.0 * d / side  # grid coordinates span [-1, 1] over the side
    grid = F.affine_grid(theta, (b, 1, side, side), align_corners=False)
    out = F.grid_sample(x.view(b, 1, side, side), grid, mode="bilinear", align_corners=False)
    return out.reshape(b, side * side)
