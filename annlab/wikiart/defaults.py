"""What the WikiArt page starts from: the data options, the style CNN, the remedy runs, the autoencoder.

The view, :func:`warm` and the tests read their defaults here and nowhere else. Fast mode
(``ANNLAB_FAST=1``) shrinks the networks inside the builders, at call time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from annlab.settings import fast_mode, quick
from annlab.training import TrainSpec
from annlab.wikiart.data import DEFAULT_MAX_PER_CLASS, ArtSet, load_art
from annlab.wikiart.models import ArtAEConfig, CNNConfig, ConvAE, StyleCNN
from annlab.wikiart.train import train_ae, train_cnn

SIDE = 32  # image side in pixels
SIDES_FOLDER = (32, 64, 128)  # choices with a WikiArt folder
SIDES_PAINTED = (32, 48)  # choices for the built-in painted set
PER_STYLE = DEFAULT_MAX_PER_CLASS  # pictures per style and split read from a folder
PER_STYLE_OPTIONS = (100, 300, 1000, 3000, 0)  # 0: all
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
L2_PENALTIES = (0.0, 0.00001, 0.0001, 0.001, 0.01)
PRIOR_ALPHA = 0.0  # the prior-correction slider starts at the plain network
TEST_PICK = 0  # the test picture shown in "Your picture" before an upload
CNN_CURVES = ("loss", "val_loss", "acc", "val_acc", "val_bal_acc")
AE_CURVES = ("loss", "ari", "nmi")

# Remedy name -> config fields switched on (the run table trains "none" and each of these).
REMEDIES: dict[str, dict] = {
    "none": {},
    "augment": {"augment": True},
    "class weights": {"class_weights": True},
    "oversample": {"oversample": True},
    "focal": {"focal": True},
    "oversample + augment": {"oversample": True, "augment": True},
}


def data(side: int = SIDE, per_style: int = PER_STYLE) -> ArtSet:
    """The pictures the page shows: WikiArt when configured (``per_style`` 0 = all), else the painted set."""
    return load_art(side, max_per_class=per_style or None)


def cnn(art: ArtSet, **changes) -> CNNConfig:
    """The style CNN for ``art`` with the page's settings ``changes`` (small in fast mode)."""
    base = quick(CNNConfig(side=art.side, n_classes=art.n_classes), num_epochs=2, channels=(8, 16, 16))
    return dataclasses.replace(base, **changes)


def with_remedy(cfg: CNNConfig, name: str) -> CNNConfig:
    """``cfg`` with exactly the remedies of ``REMEDIES[name]`` switched on (the others off)."""
    off = {"augment": False, "class_weights": False, "oversample": False, "focal": False}
    return dataclasses.replace(cfg, **{**off, **REMEDIES[name]})


def cnn_spec(art: ArtSet, cfg: CNNConfig, seed: int = 0, label: str = "the style CNN") -> TrainSpec:
    """How the page gets the trained style CNN for ``cfg`` on ``art`` (store key: cfg, seed, data)."""
    return TrainSpec(cfg, train_cnn, StyleCNN, lambda: art, art.key, seed, label, CNN_CURVES)


def remedy_specs(art: ArtSet, cfg: CNNConfig, seed: int = 0) -> dict[str, TrainSpec]:
    """The run table: the network of ``cfg`` once without remedies and once with each of ``REMEDIES``."""
    return {
        name: cnn_spec(art, with_remedy(cfg, name), seed, f"the CNN with remedy '{name}'") for name in REMEDIES
    }


def ae(art: ArtSet, **changes) -> ArtAEConfig:
    """The clustering autoencoder for ``art`` with the page's settings ``changes`` (small in fast mode)."""
    base = quick(ArtAEConfig(side=art.side), num_epochs=2, channels=(8, 8, 16))
    return dataclasses.replace(base, **changes)


def ae_spec(art: ArtSet, cfg: ArtAEConfig, seed: int = 0) -> TrainSpec:
    """How the page gets the trained autoencoder for ``cfg`` on ``art``."""
    return TrainSpec(cfg, train_ae, ConvAE, lambda: art, art.key, seed, "the autoencoder", AE_CURVES)


def tsne_iterations() -> int:
    """t-SNE iterations for the map of the codes (fewer in fast mode)."""
    return 250 if fast_mode() else 1000


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train the page's default CNN (Classifier tab) and autoencoder (Clustering tab) into the store."""
    art = data()
    report(f"data: {art.source}, {len(art.y_train)} training pictures")
    override = {} if epochs is None else {"num_epochs": epochs}
    for spec in (cnn_spec(art, cnn(art, **override)), ae_spec(art, ae(art, **override))):
        result = spec.run(device)
        report(f"{spec.label}: {'cached' if result.from_cache else 'trained'}")
