"""A small CNN for style classification and a convolutional autoencoder for clustering pictures.

References: Y. LeCun et al., "Gradient-based learning applied to document recognition", 1998 (conv +
pooling blocks); S. Ioffe, C. Szegedy, "Batch Normalization", 2015; J. Masci et al., "Stacked
Convolutional Auto-Encoders for Hierarchical Feature Extraction", 2011; B. Saleh, A. Elgammal,
"Large-scale Classification of Fine-Art Paintings", 2015 (style classification on WikiArt).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

OPTIMIZERS = ("adam", "sgd")
EARLY_STOP = ("bal_acc", "val_loss")


@dataclass(frozen=True)
class CNNConfig:
    """A style classifier and how it is trained.

    Attributes
    ----------
    side : input image side in pixels (divisible by 2**len(channels))
    n_classes : number of styles
    channels : output channels of each conv block (conv 3x3, [batch norm], [ReLU], max-pool 2x2); its
        length is the number of conv blocks
    batch_norm : use batch normalisation in each block
    relu : a ReLU after each convolution (off: the blocks are linear up to the max-pooling, the report's
        "old model" that had no non-linearity after its convolutions)
    optimizer : "adam" or "sgd" (with ``momentum``)
    momentum : SGD momentum (ignored by Adam)
    lr : learning rate
    weight_decay : L2 penalty
    num_epochs : maximum epochs
    patience : stop after this many epochs without a better validation score (0: never)
    early_stop : the validation score that picks the kept epoch and stops training: "bal_acc" (balanced
        accuracy, higher is better) or "val_loss" (cross-entropy, lower is better)
    batch_size : pictures per step
    augment : augment the pictures of the minority styles (random flip, rotation, crop) each time they
        are drawn; no extra copies, so an epoch has as many steps as without
    top_up : add copies of minority-style pictures until each has the median style count (oversampling
        by copies; with ``augment`` each copy is a different variant)
    class_weights : weight the loss by inverse style frequency (scikit-learn's "balanced")
    oversample : draw batches with a weighted random sampler, every style equally likely
    focal : use the focal loss instead of cross-entropy
    focal_gamma : focusing parameter of the focal loss
    focal_alpha : strength of the focal loss's per-class alpha: alpha_c = (n / (k n_c)) ** strength
        (0: every style alpha 1; 1: inverse frequency, as in the paper's balanced variant)
    val_fraction : part of the training split held out for early stopping
    """

    side: int = 32
    n_classes: int = 10
    channels: tuple[int, ...] = (16, 32, 64)
    batch_norm: bool = True
    relu: bool = True
    optimizer: str = "adam"
    momentum: float = 0.9
    lr: float = 3e-3
    weight_decay: float = 1e-4
    num_epochs: int = 30
    patience: int = 6
    early_stop: str = "bal_acc"
    batch_size: int = 64
    augment: bool = False
    top_up: bool = False
    class_weights: bool = False
    oversample: bool = False
    focal: bool = False
    focal_gamma: float = 2.0
    focal_alpha: float = 1.0
    val_fraction: float = 0.15

    def __post_init__(self):
        if self.n_classes < 2:
            raise ValueError("A classifier needs at least two styles.")
        if not self.channels or any(c < 1 for c in self.channels):
            raise ValueError("channels must be a non-empty tuple of positive numbers.")
        if self.side % (2 ** len(self.channels)) or self.side < 2 ** len(self.channels):
            raise ValueError(f"The image side {self.side} must be divisible by 2**{len(self.channels)}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}.")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be in (0, 10].")
        if self.weight_decay < 0:
            raise ValueError("The L2 penalty must be >= 0.")
        if self.num_epochs < 1 or self.batch_size < 1 or self.patience < 0:
            raise ValueError("num_epochs and batch_size must be >= 1, patience >= 0.")
        if self.focal_gamma < 0 or self.focal_alpha < 0:
            raise ValueError("The focal loss needs gamma >= 0 and an alpha strength >= 0.")
        if not 0 <= self.momentum < 1:
            raise ValueError("The SGD momentum must be in [0, 1).")
        if self.early_stop not in EARLY_STOP:
            raise ValueError(f"early_stop must be one of {EARLY_STOP}.")
        if not 0 < self.val_fraction < 0.5:
            raise ValueError("val_fraction must be in (0, 0.5).")

    @property
    def remedy(self) -> str:
        """The imbalance remedies switched on, in words ("none" when there are none)."""
        on = [
            name
            for name, flag in (
                ("augment", self.augment),
                ("top-up", self.top_up),
                ("class weights", self.class_weights),
                ("oversample", self.oversample),
                ("focal", self.focal),
            )
            if flag
        ]
        return " + ".join(on) or "none"


class StyleCNN(nn.Module):
    """Conv blocks then global average pooling and a linear layer.

    Input: float tensor of shape (B, 3, side, side) in [0, 1]; normalised inside with per-channel
    mean and standard deviation of the training pictures (buffers, saved with the weights).
    Output: logits of shape (B, n_classes).
    """

    def __init__(self, cfg: CNNConfig):
        super().__init__()
        self.cfg = cfg
        layers, c_in = [], 3
        for c_out in cfg.channels:
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=not cfg.batch_norm)]
            if cfg.batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers += [nn.ReLU(inplace=True)] if cfg.relu else []
            layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, cfg.n_classes)
        self.register_buffer("mean", torch.full((1, 3, 1, 1), 0.5))
        self.register_buffer("std", torch.full((1, 3, 1, 1), 0.25))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features((x - self.mean) / self.std)  # (B, C, side / 2**k, side / 2**k)
        return self.head(h.mean(dim=(2, 3)))  # (B, n_classes)


@dataclass(frozen=True)
class ArtAEConfig:
    """A convolutional autoencoder to a small code, and its training.

    Attributes
    ----------
    side : image side (divisible by 8)
    latent_dim : size of the code (the bottleneck)
    channels : channels of the three stride-2 conv layers of the encoder
    optimizer : "adam" or "sgd" (plain SGD, no momentum: the report's choice)
    lr, num_epochs, batch_size : training
    weight_decay : L2 penalty
    n_clusters : k of the k-means run on the codes after each epoch (0: number of styles)
    """

    side: int = 32
    latent_dim: int = 32
    channels: tuple[int, int, int] = (16, 32, 64)
    optimizer: str = "adam"
    lr: float = 2e-3
    weight_decay: float = 0.0
    num_epochs: int = 20
    batch_size: int = 64
    n_clusters: int = 0

    def __post_init__(self):
        if self.side % 8 or self.side < 8:
            raise ValueError("The autoencoder needs an image side divisible by 8.")
        if len(self.channels) != 3 or any(c < 1 for c in self.channels):
            raise ValueError("channels must be three positive numbers.")
        if not 2 <= self.latent_dim <= 1024:
            raise ValueError("latent_dim must be between 2 and 1024.")
        if self.optimizer not in OPTIMIZERS or self.weight_decay < 0:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, weight_decay >= 0.")
        if not 0 < self.lr <= 1 or self.num_epochs < 1 or self.batch_size < 1 or self.n_clusters < 0:
            raise ValueError("Check lr in (0, 1], num_epochs >= 1, batch_size >= 1, n_clusters >= 0.")


class ConvAE(nn.Module):
    """Encoder: three stride-2 convs and a linear map to the code; decoder mirrors it with
    transposed convs and a sigmoid. Input and output: (B, 3, side, side) in [0, 1]; code (B, latent_dim)."""

    def __init__(self, cfg: ArtAEConfig):
        super().__init__()
        self.cfg = cfg
        c1, c2, c3 = cfg.channels
        s = cfg.side // 8
        self.encoder = nn.Sequential(
            nn.Conv2d(3, c1, 4, 2, 1),
            nn.ReLU(inplace=True),  # (B, c1, side/2, side/2)
            nn.Conv2d(c1, c2, 4, 2, 1),
            nn.ReLU(inplace=True),  # (B, c2, side/4, side/4)
            nn.Conv2d(c2, c3, 4, 2, 1),
            nn.ReLU(inplace=True),  # (B, c3, side/8, side/8)
            nn.Flatten(),
            nn.Linear(c3 * s * s, cfg.latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(cfg.latent_dim, c3 * s * s),
            nn.ReLU(inplace=True),
            nn.Unflatten(1, (c3, s, s)),
            nn.ConvTranspose2d(c3, c2, 4, 2, 1),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c2, c1, 4, 2, 1),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c1, 3, 4, 2, 1),
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (B, latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))  # (B, 3, side, side)
