"""What the WikiArt page starts from: its controls, the data, the style CNN, the remedy runs, the autoencoder.

The view, :func:`warm` and the tests read their defaults here and nowhere else. Fast mode
(``ANNLAB_FAST=1``) shrinks the networks inside the builders, at call time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from annlab import jobs
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
LEARNING_RATES = (0.00006, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the report: 6e-5
MOMENTA = (0.0, 0.5, 0.9, 0.99)
BLOCK_CHANNELS = (16, 32, 64, 128)  # channels of conv blocks 1..4 (fast mode: FAST_BLOCK_CHANNELS)
FAST_BLOCK_CHANNELS = (8, 16, 16, 32)
EARLY_STOP = {"bal_acc": "validation balanced accuracy", "val_loss": "validation loss"}
REMEDY_SEEDS = 3  # seeds per remedy in the run table (mean and spread); fast mode: 2
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
    """CNNConfig field -> its widget in the Network popover (max epochs: fast mode's 2 when it is on).

    "blocks" is the number of conv blocks (:func:`cnn` turns it into ``channels``); "momentum" and
    "early_stop" are drawn by the view, disabled where they do nothing (:data:`MOMENTUM`,
    :data:`EARLY_STOP_CONTROL`)."""
    epochs = quick(CNN, **CNN_FAST).num_epochs
    return {
        "optimizer": Control(
            "selectbox", "Optimizer", "art_opt", CNN.optimizer, {"options": list(OPTIMIZERS)}
        ),
        "blocks": Control(
            "slider",
            "Conv blocks",
            "art_blocks",
            len(CNN.channels),
            {"min_value": 1, "max_value": 4, "help": "Blocks of 3x3 convolution and 2x2 max pooling."},
        ),
        "relu": Control(
            "toggle",
            "ReLU after each convolution",
            "art_relu",
            CNN.relu,
            {"help": "Off: the report's old model, with no non-linearity after its convolutions."},
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
                "help": "Stop when the score below, on a validation part of the training pictures, has "
                "not improved for this many epochs; keep the best epoch. 0: no early stopping, every "
                "epoch runs and the last is kept.",
            },
        ),
    }


EARLY_STOP_CONTROL = Control(  # the view disables it at patience 0, and cnn() ignores it there
    "selectbox",
    "Early stopping on",
    "art_stop",
    CNN.early_stop,
    {
        "options": list(EARLY_STOP),
        "format_func": EARLY_STOP.get,
        "help": "The validation score that picks the kept epoch and stops training. Disabled at patience 0: "
        "then nothing stops early and the last epoch is kept, so no score is watched.",
    },
)


MOMENTUM = Control(  # SGD only: the view disables it for Adam, and cnn() ignores it there
    "select_slider",
    "SGD momentum",
    "art_momentum",
    CNN.momentum,
    {"options": list(MOMENTA), "help": "Share of the last step added to the next (SGD only)."},
)


REMEDY_CONTROLS = {  # CNNConfig field -> its widget in the Remedies popover
    "augment": Control(
        "toggle",
        "Augment rare styles",
        "art_augment",
        CNN.augment,
        {
            "help": "Flip, rotate and crop the pictures of the styles smaller than the median each time they "
            "are drawn. No extra copies: an epoch sees each picture once, as a new variant."
        },
    ),
    "top_up": Control(
        "toggle",
        "Top up rare styles with copies",
        "art_topup",
        CNN.top_up,
        {
            "help": "Add copies of the pictures of each style smaller than the median until it has the "
            "median count (oversampling by copies; with augmentation each copy is a new variant)."
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
        "Focal alpha: balance strength",
        "art_alpha",
        CNN.focal_alpha,
        {
            "min_value": 0.0,
            "max_value": 2.0,
            "step": 0.25,
            "help": "Per-style alpha of the paper, inverse frequency to this power: alpha = (n / (styles x "
            "count)) ** strength. 0: every style alpha 1; 1: a rare style 25 times rarer weighs 25 times "
            "more. With the class-weighted loss on too, both multiply.",
        },
    ),
}
PRIOR = Control(  # the page's main control: an exploration on the test split, starts at alpha = 0
    "slider",
    "Explore α on the test split",
    "art_prior",
    0.0,
    {
        "min_value": 0.0,
        "max_value": 1.0,
        "step": 0.05,
        "help": "Predict argmax log p(style | picture) - α log(training share of the style), with no "
        "retraining: α = 0 is the plain network, α = 1 the best rule when every style is equally likely. "
        "This slider looks at the test split, to see the trade-off: it chooses nothing. The α reported "
        "above was chosen on the validation part of the training pictures before the test was scored.",
    },
)
AE_TRAINING = {  # autoencoder training presets: key -> ArtAEConfig fields
    "adam": {"optimizer": "adam", "lr": 2e-3, "weight_decay": 0.0},
    "sgd_report": {"optimizer": "sgd", "lr": 6e-5, "weight_decay": 1e-3},
}
AE_TRAINING_NAMES = {"adam": "Adam, lr 0.002", "sgd_report": "SGD, lr 0.00006, L2 0.001 (report 000's)"}


def pick_control(n_test: int) -> Control:
    """The test picture shown in "Your picture" before an upload (the first, of ``n_test``)."""
    kw = {"min_value": 0, "max_value": max(n_test - 1, 0), "step": 1}
    return Control("number_input", "Or pick a test picture (number)", "art_test_pick", 0, kw)


def ae_controls() -> dict[str, Control]:
    """ArtAEConfig field -> its widget on the Clustering tab (epochs: fast mode's 2 when it is on)."""
    epochs = quick(ArtAEConfig(), **AE_FAST).num_epochs
    kw = {"min_value": 2, "max_value": 60}
    training = {
        "options": list(AE_TRAINING),
        "format_func": AE_TRAINING_NAMES.get,
        "help": "Report 000 trained its clustering autoencoder with plain SGD at lr 6e-5 and an L2 penalty "
        "of 0.001 and found no clusters; Adam at lr 0.002 is this page's default.",
    }
    return {
        "num_epochs": Control("slider", "Autoencoder epochs", "art_ae_epochs", epochs, kw),
        "training": Control("selectbox", "Autoencoder training", "art_ae_opt", "adam", training),
    }


def all_controls(folder: bool = False, n_test: int = 1) -> list[Control]:
    """Every URL-bound widget of the page (the tests check their keys and defaults)."""
    tables = (network_controls(), REMEDY_CONTROLS, FOCAL_CONTROLS, ae_controls())
    singles = [side_control(folder), PER_STYLE_CONTROL, PRIOR, pick_control(n_test), MOMENTUM, SEEDS]
    singles.append(EARLY_STOP_CONTROL)
    return singles + [c for table in tables for c in table.values()]


# Remedy name -> config fields switched on (the run table trains "none" and each of these).
REMEDIES: dict[str, dict] = {
    "none": {},
    "augment": {"augment": True},
    "top-up copies": {"top_up": True},
    "top-up + augment": {"top_up": True, "augment": True},
    "class weights": {"class_weights": True},
    "oversample": {"oversample": True},
    "focal": {"focal": True},
    "oversample + augment": {"oversample": True, "augment": True},
}
SEEDS = Control(
    "select_slider",
    "Seeds per remedy",
    "art_seeds",
    REMEDY_SEEDS,
    {
        "options": [1, 2, 3, 5],
        "help": "Each remedy is trained this many times (seeds s, s+1, ...): mean and spread.",
    },
)


def data(side: int = SIDE, per_style: int = PER_STYLE) -> ArtSet:
    """The pictures the page shows: WikiArt when configured (``per_style`` 0 = all), else the painted set."""
    return load_art(side, max_per_class=per_style or None)


def cnn(art: ArtSet, **changes) -> CNNConfig:
    """The style CNN for ``art`` with the page's settings ``changes`` (small in fast mode).

    ``blocks`` (1..4) sets the number of conv blocks (``channels``); ``momentum`` only counts for SGD
    (Adam keeps the default, so it does not retrain a network that would be the same)."""
    base = quick(CNNConfig(side=art.side, n_classes=art.n_classes), **CNN_FAST)
    blocks = changes.pop("blocks", None)
    if blocks is not None and int(blocks) != len(base.channels):
        widths = FAST_BLOCK_CHANNELS if fast_mode() else BLOCK_CHANNELS
        changes["channels"] = tuple(widths[: int(blocks)])
    if changes.get("optimizer", base.optimizer) != "sgd":
        changes.pop("momentum", None)
    if not changes.get("patience", base.patience):  # no early stopping: the score watched does not count
        changes.pop("early_stop", None)
    return dataclasses.replace(base, **changes)


def with_remedy(cfg: CNNConfig, name: str) -> CNNConfig:
    """``cfg`` with exactly the remedies of ``REMEDIES[name]`` switched on (the others off)."""
    off = {"augment": False, "top_up": False, "class_weights": False, "oversample": False, "focal": False}
    return dataclasses.replace(cfg, **{**off, **REMEDIES[name]})


def cnn_spec(art: ArtSet, cfg: CNNConfig, seed: int = 0, label: str = "the style CNN") -> TrainSpec:
    """How the page gets the trained style CNN for ``cfg`` on ``art`` (store key: cfg, seed, data)."""
    return TrainSpec(cfg, train_cnn, StyleCNN, lambda: art, art.key, seed, label, CNN_CURVES)


def remedy_seeds(n: int | None = None) -> int:
    """Seeds per remedy: ``n``, else :data:`REMEDY_SEEDS` (2 in fast mode)."""
    return int(n) if n else (2 if fast_mode() else REMEDY_SEEDS)


def remedy_specs(
    art: ArtSet, cfg: CNNConfig, seed: int = 0, n_seeds: int | None = None
) -> dict[str, tuple[TrainSpec, ...]]:
    """The run table: the network of ``cfg`` without remedies and with each of ``REMEDIES``, each
    trained with seeds ``seed``, ``seed + 1``, ... (``remedy_seeds(n_seeds)`` of them)."""
    seeds = range(seed, seed + remedy_seeds(n_seeds))
    return {
        name: tuple(cnn_spec(art, with_remedy(cfg, name), s, f"the CNN with remedy '{name}'") for s in seeds)
        for name in REMEDIES
    }


def ae(art: ArtSet, **changes) -> ArtAEConfig:
    """The clustering autoencoder for ``art`` with the page's settings ``changes`` (small in fast mode);
    ``training`` names a preset of :data:`AE_TRAINING` (optimizer, learning rate, L2)."""
    base = quick(ArtAEConfig(side=art.side), **AE_FAST)
    preset = AE_TRAINING[changes.pop("training", "adam")]
    return dataclasses.replace(base, **preset, **changes)


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
        result = jobs.run(spec, device)
        report(f"{spec.label}: {'cached' if result.from_cache else 'trained'}")
