"""What the WikiArt page starts from: its controls, the data, the style CNN, the remedy runs, the autoencoder.

The view, :func:`warm` and the tests read their defaults here and nowhere else. Fast mode
(``ANNLAB_FAST=1``) shrinks the networks inside the builders, at call time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from annlab.controls import Control
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
CNN_FAST = {"num_epochs": 2, "channels": (8, 16, 16)}  # the style CNN in fast mode
AE_FAST = {"num_epochs": 2, "channels": (8, 8, 16)}  # the autoencoder in fast mode
CNN_CURVES = ("loss", "val_loss", "acc", "val_acc", "val_bal_acc")
AE_CURVES = ("loss", "ari", "nmi")
TABS = ("Classifier", "Data", "Imbalance remedies", "Your picture", "Clustering")  # values of art_tab

# The page's controls (each a Control: widget, label, URL key, default, widget options). A table maps
# config fields to controls that start at that field's value in :func:`cnn` / :func:`ae`; a function
# builds the controls whose options or defaults depend on the data or on fast mode (read when called).
# URL keys never change meaning (lecturers' shared links carry them).
CNN = CNNConfig()  # the style CNN's settings before fast mode and the data's side and styles


def side_control(folder: bool) -> Control:
    """The image side: more choices with a WikiArt folder than for the built-in painted set."""
    return Control(
        "selectbox",
        "Image side (pixels)",
        "art_side",
        SIDE,
        {
            "options": list(SIDES_FOLDER if folder else SIDES_PAINTED),
            "help": "Every picture is centre-cropped to a square and resized to this side. Larger sides show "
            "more brushwork but train more slowly.",
        },
    )


PER_STYLE_CONTROL = Control(  # only with a WikiArt folder
    "selectbox",
    "Pictures per style (at most)",
    "art_per_style",
    PER_STYLE,
    {
        "options": list(PER_STYLE_OPTIONS),
        "format_func": lambda v: "all" if v == 0 else str(v),
        "help": "A seeded random choice per style; fewer pictures load and train faster.",
    },
)


def network_controls() -> dict[str, Control]:
    """CNNConfig field -> its widget in the Network popover (max epochs: fast mode's 2 when it is on)."""
    epochs = quick(CNN, **CNN_FAST).num_epochs
    return {
        "optimizer": Control(
            "selectbox", "Optimizer", "art_opt", CNN.optimizer, {"options": list(OPTIMIZERS)}
        ),
        "batch_norm": Control("toggle", "Batch norm", "art_bn", CNN.batch_norm),
        "lr": Control("select_slider", "Learning rate", "art_lr", CNN.lr, {"options": list(LEARNING_RATES)}),
        "weight_decay": Control(
            "select_slider",
            "L2 penalty (weight decay)",
            "art_l2",
            CNN.weight_decay,
            {"options": list(L2_PENALTIES)},
        ),
        "num_epochs": Control(
            "slider", "Max epochs", "art_epochs", epochs, {"min_value": 2, "max_value": 60}
        ),
        "patience": Control(
            "slider",
            "Early-stopping patience (epochs, 0 = off)",
            "art_patience",
            CNN.patience,
            {
                "min_value": 0,
                "max_value": 20,
                "help": "Stop when the balanced accuracy on a validation part of the training pictures has "
                "not improved for this many epochs; keep the best epoch.",
            },
        ),
    }


REMEDY_CONTROLS = {  # CNNConfig field -> its widget in the Remedies popover
    "augment": Control(
        "toggle",
        "Augment rare styles",
        "art_augment",
        CNN.augment,
        {
            "help": "Flip, rotate and crop pictures of the styles smaller than the median, and top each of "
            "them up to the median size with such variants."
        },
    ),
    "class_weights": Control(
        "toggle",
        "Class-weighted loss",
        "art_weights",
        CNN.class_weights,
        {
            "help": "Weight each style by n / (styles x its count), scikit-learn's 'balanced': a mistake on "
            "a rare style costs more."
        },
    ),
    "oversample": Control(
        "toggle",
        "Oversample",
        "art_oversample",
        CNN.oversample,
        {
            "help": "Draw batches with a weighted random sampler: every style equally likely, rare pictures "
            "seen many times per epoch."
        },
    ),
    "focal": Control(
        "toggle",
        "Focal loss",
        "art_focal",
        CNN.focal,
        {
            "help": "-alpha (1 - p)^gamma log p: pictures already classified with confidence count less, "
            "the hard ones more."
        },
    ),
}
FOCAL_CONTROLS = {  # CNNConfig field -> its widget, enabled only with the focal loss
    "focal_gamma": Control(
        "slider",
        "Focal gamma",
        "art_gamma",
        CNN.focal_gamma,
        {"min_value": 0.0, "max_value": 5.0, "step": 0.5},
    ),
    "focal_alpha": Control(
        "slider",
        "Focal alpha",
        "art_alpha",
        CNN.focal_alpha,
        {
            "min_value": 0.25,
            "max_value": 2.0,
            "step": 0.25,
            "help": "Scales the loss; with the class-weighted loss on, alpha is multiplied by each style's "
            "weight (per-class alpha, as in the paper).",
        },
    ),
}
PRIOR = Control(  # the page's main control: starts at the plain network (alpha = 0)
    "slider",
    "Prior correction α",
    "art_prior",
    0.0,
    {
        "min_value": 0.0,
        "max_value": 1.0,
        "step": 0.05,
        "help": "Predict argmax log p(style | picture) - α log(training share of the style), with no "
        "retraining: α = 0 is the plain network, α = 1 the best rule when every style is equally likely. "
        "With oversampling the network already sees the styles equally often, so α over-corrects.",
    },
)


def pick_control(n_test: int) -> Control:
    """The test picture shown in "Your picture" before an upload (the first, of ``n_test``)."""
    kw = {"min_value": 0, "max_value": max(n_test - 1, 0), "step": 1}
    return Control("number_input", "Or pick a test picture (number)", "art_test_pick", 0, kw)


def ae_controls() -> dict[str, Control]:
    """ArtAEConfig field -> its widget on the Clustering tab (epochs: fast mode's 2 when it is on)."""
    epochs = quick(ArtAEConfig(), **AE_FAST).num_epochs
    kw = {"min_value": 2, "max_value": 60}
    return {"num_epochs": Control("slider", "Autoencoder epochs", "art_ae_epochs", epochs, kw)}


def all_controls(folder: bool = False, n_test: int = 1) -> list[Control]:
    """Every URL-bound widget of the page (the tests check their keys and defaults)."""
    tables = (network_controls(), REMEDY_CONTROLS, FOCAL_CONTROLS, ae_controls())
    singles = [side_control(folder), PER_STYLE_CONTROL, PRIOR, pick_control(n_test)]
    return singles + [c for table in tables for c in table.values()]


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
    base = quick(CNNConfig(side=art.side, n_classes=art.n_classes), **CNN_FAST)
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
    base = quick(ArtAEConfig(side=art.side), **AE_FAST)
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
