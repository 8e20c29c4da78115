"""The configs the Convolutions page starts from, its controls, the train specs, and the warm-up.

The view, :func:`warm`, ``bench/cnn.py`` and the tests read every default from here. Spec builders
apply fast mode (:func:`annlab.settings.quick`: one epoch on 1,000 digits) when they are called, so a
test and the page train the same small models and a warmed store answers both.

The default design was chosen on a validation split carved from the 4,000 MNIST-5k training digits
(``python bench/cnn.py --select``), never on the test digits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from annlab import jobs
from annlab.cnn import models, params
from annlab.cnn.models import OPTIMIZERS, CNNConfig, DenseConfig
from annlab.controls import Control
from annlab.data import digit_split, split
from annlab.settings import quick
from annlab.training import TrainSpec

FAST = dict(num_epochs=1, n_train=1000)  # fast mode (tests, quick demos)
TABS = (
    "Convolution by hand",
    "Counting parameters",
    "Design and train",
    "Optimizers",
    "What the network sees",
    "Why convolutions",
)
DATASETS = {"MNIST-5k (28x28)": "mnist", "8x8 digits": "digits8"}
DEFAULT_DATA = "MNIST-5k (28x28)"
SIDES = {"mnist": 28, "digits8": 8}

# --- the page's default CNN (see the module docstring for how it was chosen) ---------------------
DEFAULT_CNN = CNNConfig(
    channels=(16, 32, 64),
    kernel=3,
    padding="same",
    pool="max",
    batch_norm=True,
    activation="relu",
    dropout=0.0,
    dense=0,
    optimizer="Adam",
    lr=4e-3,
    schedule="onecycle",
    num_epochs=15,
    batch_size=128,
    shift=2,
)
# The Keras network of the course (report 001, section 1.3 Q5): 34,826 parameters with valid padding
KERAS = CNNConfig(
    channels=(32, 64),
    kernel=3,
    padding="valid",
    pool="max",
    batch_norm=False,
    activation="relu",
    dropout=0.5,
    dense=0,
    optimizer="Adam",
    num_epochs=5,
    batch_size=128,
    shift=0,
)
KERAS_PARAMS = 34_826
PRESETS = {
    "Keras network of the course, valid padding": KERAS,
    "Keras network, same padding": replace(KERAS, padding="same"),
    "The design of 'Design and train'": None,
}
RACE = tuple(OPTIMIZERS)  # the optimizer swap, all from the same initial weights

# --- convolution by hand: the course's 4x4 input and 2x2 kernel at stride 2 give [[3, 4], [6, 11]] ---
HAND_X = "2 5 4 1; 3 1 2 0; 4 5 7 1; 1 2 3 4"
HAND_K = "1 0; 0 1"
HAND_STRIDE, HAND_PAD, HAND_DIL = 2, 0, 1
MC_SIDE, MC_KERNEL = 5, 3  # the multi-channel example: 3 x 5 x 5 input, 3 x 3 x 3 kernel, a bias
MAX_SHIFT = {"mnist": 6, "digits8": 3}  # the shift slider of "Why convolutions"
SHIFT = 2

X_TEXT = Control("text_input", "Input X (rows separated by ';')", "cnn_x", HAND_X)
K_TEXT = Control("text_input", "Kernel K", "cnn_k", HAND_K)
STRIDE = Control("slider", "Stride s", "cnn_s", HAND_STRIDE, {"min_value": 1, "max_value": 4})
PAD = Control("slider", "Padding p", "cnn_p", HAND_PAD, {"min_value": 0, "max_value": 3})
DIL = Control("slider", "Dilation d", "cnn_d", HAND_DIL, {"min_value": 1, "max_value": 3})


def position_control(n: int, key: str = "cnn_pos") -> Control:
    """The kernel-position slider over ``n`` precomputed windows (1-based; a kept position beyond a
    smaller ``n`` falls back to 1)."""
    return Control("slider", "Kernel position", key, 1, {"min_value": 1, "max_value": max(n, 2)})


# --- the design controls: config field -> Control ----------------------------------------------
DATA = Control("selectbox", "Digits", "cnn_data", DEFAULT_DATA, {"options": list(DATASETS)})
DESIGN = {
    "blocks": Control(
        "slider", "Conv blocks", "cnn_blocks", len(DEFAULT_CNN.channels), {"min_value": 1, "max_value": 4}
    ),
    "filters": Control(
        "select_slider",
        "Filters in block 1 (doubled in each next block)",
        "cnn_filters",
        DEFAULT_CNN.channels[0],
        {"options": [4, 8, 16, 32, 64]},
    ),
    "kernel": Control(
        "select_slider", "Kernel size", "cnn_kernel", DEFAULT_CNN.kernel, {"options": [1, 3, 5, 7]}
    ),
    "padding": Control(
        "radio",
        "Padding",
        "cnn_pad",
        DEFAULT_CNN.padding,
        {"options": list(models.PADDINGS), "horizontal": True},
    ),
    "pool": Control(
        "radio",
        "Pooling (2x2)",
        "cnn_pool",
        DEFAULT_CNN.pool,
        {"options": list(models.POOLS), "horizontal": True},
    ),
    "batch_norm": Control("toggle", "Batch norm", "cnn_bn", DEFAULT_CNN.batch_norm),
    "activation": Control(
        "selectbox", "Activation", "cnn_act", DEFAULT_CNN.activation, {"options": list(models.ACTIVATIONS)}
    ),
    "dropout": Control(
        "slider",
        "Dropout before the head",
        "cnn_drop",
        DEFAULT_CNN.dropout,
        {"min_value": 0.0, "max_value": 0.7, "step": 0.1},
    ),
    "dense": Control(
        "select_slider",
        "Hidden dense units (0: none)",
        "cnn_dense",
        DEFAULT_CNN.dense,
        {"options": [0, 32, 64, 128, 256]},
    ),
}
TRAINING = {
    "optimizer": Control(
        "selectbox", "Optimizer", "cnn_opt", DEFAULT_CNN.optimizer, {"options": list(OPTIMIZERS)}
    ),
    "num_epochs": Control(
        "slider", "Epochs", "cnn_epochs", DEFAULT_CNN.num_epochs, {"min_value": 1, "max_value": 30}
    ),
    "shift": Control(
        "slider",
        "Random shifts (augmentation, pixels)",
        "cnn_aug",
        DEFAULT_CNN.shift,
        {"min_value": 0, "max_value": 3, "help": "Each training digit is moved by up to this many pixels."},
    ),
}
PRESET = Control("radio", "Network", "cnn_preset", next(iter(PRESETS)), {"options": list(PRESETS)})
SOURCE = Control(
    "radio", "Digit", "cnn_src", "test digit", {"options": ["test digit", "my drawing"], "horizontal": True}
)


def digit_control(last: int) -> Control:
    """The number of the test digit whose feature maps are shown."""
    return Control(
        "number_input", "Test digit #", "cnn_digit", 0, {"min_value": 0, "max_value": last, "step": 1}
    )


def shift_control(dataset: str) -> Control:
    """How far the test digits are moved to the right in "Why convolutions"."""
    return Control(
        "slider",
        "Shift the test digits right by (pixels)",
        "cnn_shift",
        SHIFT,
        {"min_value": 0, "max_value": MAX_SHIFT[dataset]},
    )


def design(dataset: str = "mnist", *, blocks: int, filters: int, **fields) -> CNNConfig:
    """The :class:`CNNConfig` of the design controls: ``blocks`` conv blocks, ``filters`` filters in the
    first, doubled in each next block (at most 256); the rest as :data:`DEFAULT_CNN` (one-cycle schedule,
    batches of 128), at the optimizer's own default learning rate when it is not Adam. Check it with
    :func:`annlab.cnn.params.check`."""
    channels = tuple(min(256, filters * 2**b) for b in range(blocks))
    lr = DEFAULT_CNN.lr if fields.get("optimizer", DEFAULT_CNN.optimizer) == DEFAULT_CNN.optimizer else 0.0
    return replace(DEFAULT_CNN, side=SIDES[dataset], channels=channels, lr=lr, **fields)


# --- train specs: what the view hands to ui.train and warm to the store ---------------------------


VAL_SHARE = 0.1  # of the training split: the validation digits of every per-epoch curve
DATA_VERSION = "val10"  # in every store key: models trained before the validation carve-out retrain


def digit_data(dataset: str = "mnist", seed: int = 0) -> dict:
    """The digits of ``dataset`` as :func:`models.train_classifier` takes them: the fit digits (``X``,
    ``y``), validation digits carved (stratified, seeded) from the training split (``X_val``: the
    per-epoch curves) and the held-out test digits (``X_test``: scored once, after training)."""
    d = digit_split(dataset, seed=seed)
    X, X_val, y, y_val = split(d.X_train, d.y_train, test_size=VAL_SHARE, seed=seed)
    return {"X": X, "y": y, "X_val": X_val, "y_val": y_val, "X_test": d.X_test, "y_test": d.y_test}


def spec(
    cfg: CNNConfig | DenseConfig, dataset: str = "mnist", seed: int = 0, label: str | None = None
) -> TrainSpec:
    """A classifier (CNN or dense) trained on the train split of ``dataset``."""
    return TrainSpec(
        quick(cfg, **FAST),
        models.train_classifier,
        models.build,
        lambda: digit_data(dataset, seed),
        data_key=f"{dataset}-{DATA_VERSION}",
        seed=seed,
        label=label or cfg.label,
        curves=("loss", "val_loss", "val_acc"),
    )


def default_spec(seed: int = 0) -> TrainSpec:
    """The page's default CNN trained on MNIST (``annlab.data.mnist()``).

    Other pages use it as a digit judge with :func:`annlab.cnn.experiments.predict_proba`."""
    return spec(DEFAULT_CNN, "mnist", seed)


def dense_spec(cfg: CNNConfig, dataset: str = "mnist", seed: int = 0) -> TrainSpec:
    """The dense baseline of the CNN ``cfg``: about as many parameters, trained the same way."""
    return spec(params.matched_dense(cfg), dataset, seed)


def race_specs(cfg: CNNConfig = KERAS, dataset: str = "mnist", seed: int = 0) -> dict[str, TrainSpec]:
    """The network ``cfg`` trained with every optimizer of :data:`RACE`; the same seed gives every run
    the same initial weights (:func:`annlab.cnn.models.initial_model`)."""
    return {
        name: spec(replace(cfg, optimizer=name), dataset, seed, f"{cfg.label} trained with {name}")
        for name in RACE
    }


def default_specs(seed: int = 0) -> dict[str, TrainSpec]:
    """Every model the page trains on its defaults (in any tab or on its buttons), by role."""
    cnn = default_spec(seed)
    return {"cnn": cnn, "dense": dense_spec(DEFAULT_CNN, "mnist", seed)} | {
        f"race {name}": s for name, s in race_specs(KERAS, "mnist", seed).items()
    }


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train (or load) into the model store every model the page trains on its defaults."""
    for role, s in default_specs().items():
        if epochs:
            s = replace(s, cfg=replace(s.cfg, num_epochs=epochs))
        result = jobs.run(s, device)
        report(f"{role}: {s.label} {'loaded' if result.from_cache else 'trained'}")


# --- the page's words ------------------------------------------------------------------------------
LEAD = "A convolution slides one small **kernel** over the image, the same few weights everywhere."
LOOK_FOR = (
    "The kernel's products summed into one output cell, window after window; rows a too-large stride never "
    "visits; why the course's Keras network has 34,826 parameters (its last map is 5x5x64, not 7x7x64); a "
    "small CNN beating a dense network of the same size, and losing far less when the digits move; filters "
    "that look like stroke detectors, and feature maps that get coarser layer after layer."
)
CROSS_CORRELATION = (
    "Like every CNN library, the kernel is not flipped (strictly a cross-correlation); "
    "torch.nn.functional.conv2d gives the same numbers."
)
RGB = "An RGB-like 3 x 5 x 5 input and a 3 x 3 x 3 kernel with a bias make one output channel."
BASELINES = (
    "All three learn from the same training digits; the dense network has one hidden layer sized to about "
    "the CNN's parameter count and the same optimizer, epochs and augmentation. The learning curves are "
    "drawn on validation digits carved from the training split (one in ten); the test digits above are "
    "scored once, after training."
)
RACE_NOTE = (
    "The curves are drawn on validation digits carved from the training split (one in ten, never trained "
    "on); the test digits are scored once, after training, in the table."
)
RACE_INTRO = (
    "The course's Keras network trained with each optimizer from **the same initial weights** (MNIST-5k, "
    "no augmentation, {epochs} epochs). Adadelta appears twice: torch's default learning rate 1.0 and "
    "Keras's 0.001."
)
WHY = (
    "**Parameters side by side**: a convolution reuses its few weights at every position; a dense layer has "
    "one weight per pixel per unit."
)


def keras_note() -> str:
    """Why the Keras network's last feature map is 5x5x64 (and what the course report assumed)."""
    same = params.total(PRESETS["Keras network, same padding"])
    return (
        "With valid padding each 3x3 convolution trims a pixel on every side: 28 → 26 → pool 13 → 11 → "
        f"pool 5, so the last map is 5x5x64 and the network has {KERAS_PARAMS:,} parameters. The course "
        f"report assumed 7x7x64, which needs 'same' padding ({same:,} parameters)."
    )
