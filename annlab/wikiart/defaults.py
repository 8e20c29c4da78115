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
from annlab.wikiart.models import OPTIMIZERS, ArtAEConfig, CNNConfig, ConvAE, StyleCNN
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

# The page's controls: name -> (Streamlit widget, label, URL key, widget arguments). A control named
# after a config field starts at that field's value in :func:`cnn` / :func:`ae`; the others carry their
# "default". URL keys never change meaning (lecturers' shared links carry them).
Controls = dict[str, tuple[str, str, str, dict]]
DATA_CONTROLS: Controls = {
    "side": (
        "selectbox",
        "Image side (pixels)",
        "art_side",
        {
            "default": SIDE,
            "help": "Every picture is centre-cropped to a square and resized to this side. Larger sides show "
            "more brushwork but train more slowly.",
        },
    ),
}
FOLDER_CONTROLS: Controls = {  # only with a WikiArt folder
    "per_style": (
        "selectbox",
        "Pictures per style (at most)",
        "art_per_style",
        {
            "default": PER_STYLE,
            "options": list(PER_STYLE_OPTIONS),
            "format_func": lambda v: "all" if v == 0 else str(v),
            "help": "A seeded random choice per style; fewer pictures load and train faster.",
        },
    ),
}
NETWORK_CONTROLS: Controls = {
    "optimizer": ("selectbox", "Optimizer", "art_opt", {"options": list(OPTIMIZERS)}),
    "batch_norm": ("toggle", "Batch norm", "art_bn", {}),
    "lr": ("select_slider", "Learning rate", "art_lr", {"options": list(LEARNING_RATES)}),
    "weight_decay": ("select_slider", "L2 penalty (weight decay)", "art_l2", {"options": list(L2_PENALTIES)}),
    "num_epochs": ("slider", "Max epochs", "art_epochs", {"min_value": 2, "max_value": 60}),
    "patience": (
        "slider",
        "Early-stopping patience (epochs, 0 = off)",
        "art_patience",
        {
            "min_value": 0,
            "max_value": 20,
            "help": "Stop when the balanced accuracy on a validation part of the training pictures has "
            "not improved for this many epochs; keep the best epoch.",
        },
    ),
}
REMEDY_CONTROLS: Controls = {
    "augment": (
        "toggle",
        "Augment rare styles",
        "art_augment",
        {
            "help": "Flip, rotate and crop pictures of the styles smaller than the median, and top each of "
            "them up to the median size with such variants."
        },
    ),
    "class_weights": (
        "toggle",
        "Class-weighted loss",
        "art_weights",
        {
            "help": "Weight each style by n / (styles x its count), scikit-learn's 'balanced': a mistake on "
            "a rare style costs more."
        },
    ),
    "oversample": (
        "toggle",
        "Oversample",
        "art_oversample",
        {
            "help": "Draw batches with a weighted random sampler: every style equally likely, rare pictures "
            "seen many times per epoch."
        },
    ),
    "focal": (
        "toggle",
        "Focal loss",
        "art_focal",
        {
            "help": "-alpha (1 - p)^gamma log p: pictures already classified with confidence count less, "
            "the hard ones more."
        },
    ),
}
FOCAL_CONTROLS: Controls = {  # enabled only with the focal loss
    "focal_gamma": ("slider", "Focal gamma", "art_gamma", {"min_value": 0.0, "max_value": 5.0, "step": 0.5}),
    "focal_alpha": (
        "slider",
        "Focal alpha",
        "art_alpha",
        {
            "min_value": 0.25,
            "max_value": 2.0,
            "step": 0.25,
            "help": "Scales the loss; with the class-weighted loss on, alpha is multiplied by each style's "
            "weight (per-class alpha, as in the paper).",
        },
    ),
}

PRIOR_CONTROLS: Controls = {
    "alpha": (
        "slider",
        "Prior correction α",
        "art_prior",
        {
            "default": PRIOR_ALPHA,
            "min_value": 0.0,
            "max_value": 1.0,
            "step": 0.05,
            "help": "Predict argmax log p(style | picture) - α log(training share of the style), with no "
            "retraining: α = 0 is the plain network, α = 1 the best rule when every style is equally likely. "
            "With oversampling the network already sees the styles equally often, so α over-corrects.",
        },
    ),
}
PICK_CONTROLS: Controls = {
    "index": (
        "number_input",
        "Or pick a test picture (number)",
        "art_test_pick",
        {"default": TEST_PICK, "min_value": 0, "step": 1},
    ),
}
AE_CONTROLS: Controls = {
    "num_epochs": ("slider", "Autoencoder epochs", "art_ae_epochs", {"min_value": 2, "max_value": 60}),
}

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
        name: cnn_spec(art, with_remedy(cfg, name), seed, f"the CNN with remedy '{name}'")
        for name in REMEDIES
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
