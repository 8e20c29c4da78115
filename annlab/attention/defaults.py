"""The settings the Attention page starts from, the train specs built from them, and the warm-up.

The view, :func:`warm`, the benchmark and the tests read every default from here. Spec builders apply
fast mode (:func:`annlab.settings.quick`: one epoch) when they are called.

The default ViT (patch 7, dim 64, depth 3, heads 4, mlp_dim 128, batch 32, AdamW lr 2e-3 with two
warm-up epochs and a cosine decay, shifts up to 2 pixels, label smoothing 0.1, 20 epochs) was chosen on
a validation split (800 of the 4,000 training digits, split seed 123, trained on the other 3,200),
never on the test digits. Validation accuracy of the candidates tried: batch 64, 20 epochs 0.948;
batch 64, 30 epochs 0.959; batch 128 and lr 3e-3 0.940; depth 4, lr 3e-3, no smoothing 0.959;
patch 4 and depth 2 for 15 epochs 0.904; batch 32, 20 epochs 0.964 (chosen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from annlab import jobs
from annlab.attention.vit import DenseConfig, ViTConfig, build, build_dense, train_dense, train_vit
from annlab.controls import Control
from annlab.data import mnist, split
from annlab.settings import quick
from annlab.training import TrainSpec

TABS = ("Self-attention, step by step", "Train a ViT", "Inside the ViT", "The report's architectures")
FAST = dict(num_epochs=1, warmup=0)  # fast mode (tests, quick demos)
VAL_SHARE = 0.1  # of the training digits: the validation digits of the per-epoch curves (400 of 4,000)
DATA_KEY = "mnist5k-val10"  # fit / validation / test: models trained on the old train / test split retrain

# --- self-attention, step by step ------------------------------------------------------------------

SOURCES = ("random tokens", "patches of a test digit")
DIGIT_PATCH = 7  # a digit as tokens: 16 patches of 7 x 7 = 49 pixels


@dataclass(frozen=True)
class ToySetup:
    """The toy sequence and the attention layer of the step-by-step section.

    Attributes
    ----------
    n, d_model : tokens and features per token (a digit gives 16 patches of 49 pixels)
    d_k, d_v : query/key and value size per head
    heads : attention heads
    causal : mask the scores above the diagonal
    scaled : divide the scores by sqrt(d_k)
    source : one of :data:`SOURCES`
    digit : the test digit whose patches are the tokens (when ``source`` says so)
    seed : draws X (random tokens) and the projection matrices
    """

    n: int = 6
    d_model: int = 8
    d_k: int = 4
    d_v: int = 4
    heads: int = 2
    causal: bool = False
    scaled: bool = True
    source: str = SOURCES[0]
    digit: int = 0
    seed: int = 0

    def __post_init__(self):
        for name in ("n", "d_model", "d_k", "d_v", "heads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.source not in SOURCES:
            raise ValueError(f"Unknown token source {self.source!r}; choose one of {SOURCES}.")


N = Control("slider", "Tokens n", "att_n", 6, {"min_value": 2, "max_value": 16})
D_MODEL = Control("slider", "Features per token d_model", "att_dm", 8, {"min_value": 2, "max_value": 32})
D_K = Control(
    "slider",
    "Query/key size d_k",
    "att_dk",
    4,
    {
        "min_value": 1,
        "max_value": 128,
        "help": "Switch the scaling off and raise d_k: the scores spread out and the softmax saturates.",
    },
)  # the page's main control
D_V = Control("slider", "Value size d_v", "att_dv", 4, {"min_value": 1, "max_value": 16})
HEADS = Control("slider", "Heads", "att_heads", 2, {"min_value": 1, "max_value": 4})
CAUSAL = Control(
    "toggle", "Causal mask", "att_causal", False, {"help": "Token i may look only at tokens 1..i."}
)
SCALED = Control("toggle", "Scale by 1/sqrt(d_k)", "att_scaled", True)
SOURCE = Control("radio", "Tokens", "att_src", SOURCES[0], {"options": list(SOURCES), "horizontal": True})
DIGIT = Control("number_input", "Test digit #", "att_digit", 0, {"min_value": 0, "max_value": 999, "step": 1})


def head_control(heads: int) -> Control:
    """Which head's stages to show (its options depend on the number of heads)."""
    return Control(
        "radio", "Show head", "att_head", 1, {"options": list(range(1, heads + 1)), "horizontal": True}
    )


# --- the ViT ------------------------------------------------------------------------------------------

DEFAULT_VIT = ViTConfig()
DEFAULT_DENSE = DenseConfig()
PATCH = Control(
    "select_slider",
    "Patch side (pixels)",
    "vit_patch",
    DEFAULT_VIT.patch,
    {
        "options": [4, 7, 14],
        "help": "28 / patch patches per side: 4 gives 49 tokens, 7 gives 16, 14 gives 4.",
    },
)
DIM = Control(
    "select_slider", "dim (token width)", "vit_dim", DEFAULT_VIT.dim, {"options": [16, 32, 64, 128]}
)
DEPTH = Control("slider", "depth (blocks)", "vit_depth", DEFAULT_VIT.depth, {"min_value": 1, "max_value": 8})
VIT_HEADS = Control(
    "select_slider",
    "heads",
    "vit_heads",
    DEFAULT_VIT.heads,
    {"options": [1, 2, 4, 8, 16], "help": "Each head works in dim / heads dimensions."},
)
MLP = Control(
    "select_slider", "mlp_dim", "vit_mlp", DEFAULT_VIT.mlp_dim, {"options": [32, 64, 128, 256, 512]}
)
DROPOUT = Control(
    "select_slider", "Dropout", "vit_drop", DEFAULT_VIT.dropout, {"options": [0.0, 0.1, 0.2, 0.3]}
)
EPOCHS = Control("slider", "Epochs", "vit_epochs", DEFAULT_VIT.num_epochs, {"min_value": 2, "max_value": 60})
SHIFT = Control(
    "select_slider",
    "Shift augmentation (pixels)",
    "vit_shift",
    DEFAULT_VIT.shift,
    {
        "options": [0, 1, 2, 3],
        "help": "Each training digit is moved by up to this many pixels, each epoch anew.",
    },
)
VIT_CONTROLS = {
    "patch": PATCH,
    "dim": DIM,
    "depth": DEPTH,
    "heads": VIT_HEADS,
    "mlp_dim": MLP,
    "dropout": DROPOUT,
    "num_epochs": EPOCHS,
    "shift": SHIFT,
}
START = Control(
    "radio", "Digit", "vit_start", "test digit", {"options": ["test digit", "my drawing"], "horizontal": True}
)
VIT_DIGIT = Control(
    "number_input", "Test digit #", "vit_digit", 0, {"min_value": 0, "max_value": 999, "step": 1}
)


def layer_control(depth: int) -> Control:
    return Control("slider", "Layer", "vit_layer", depth, {"min_value": 1, "max_value": max(depth, 2)})


def vit_head_control(heads: int) -> Control:
    return Control("slider", "Head", "vit_head", 1, {"min_value": 1, "max_value": max(heads, 2)})


# The report's configurations (001 §3.3 Q2, patch 7 as in its script), trained here on MNIST-5k.
REPORT_GRID = (
    dict(dim=64, depth=6, heads=8, mlp_dim=128),  # base
    dict(dim=128, depth=6, heads=8, mlp_dim=256),  # wider
    dict(dim=32, depth=6, heads=8, mlp_dim=64),  # narrower
    dict(dim=64, depth=8, heads=16, mlp_dim=128),  # deeper, more heads
    dict(dim=64, depth=3, heads=4, mlp_dim=128),  # shallower, fewer heads
    dict(dim=128, depth=8, heads=8, mlp_dim=256),  # wider and deeper
    dict(dim=128, depth=8, heads=16, mlp_dim=256),  # wider, deeper, more heads
)
GRID_EPOCHS = Control(
    "slider",
    "Epochs per configuration",
    "vit_grid_ep",
    5,
    {"min_value": 1, "max_value": 30, "help": "The report trained 20 epochs on 60,000 digits."},
)


def vit_config(**choices) -> ViTConfig:
    """The default ViT with the page's choices (fields of :class:`ViTConfig`); raises ValueError on a
    combination that does not work (dim not a multiple of heads), in words for the page."""
    return replace(DEFAULT_VIT, **choices)


def grid_configs(epochs: int) -> list[ViTConfig]:
    """The report's configurations, each trained ``epochs`` epochs with the page's recipe."""
    return [
        replace(DEFAULT_VIT, num_epochs=epochs, warmup=min(DEFAULT_VIT.warmup, epochs - 1), **g)
        for g in REPORT_GRID
    ]


def digit_data(seed: int = 0):
    """(X_fit, y_fit, X_val, y_val, X_test, y_test) of MNIST-5k: the validation digits are carved
    (stratified, seeded, :data:`VAL_SHARE`) from the 4,000 training digits, the 1,000 test digits are
    the held-out split (scored once, after training)."""
    d = mnist(seed=seed)
    X_fit, X_val, y_fit, y_val = split(d.X_train, d.y_train, test_size=VAL_SHARE, seed=seed)
    return X_fit, y_fit, X_val, y_val, d.X_test, d.y_test


def held_out_digits(seed: int = 0):
    """(X_test, y_test): the held-out MNIST-5k test digits."""
    d = mnist(seed=seed)
    return d.X_test, d.y_test


def vit_spec(cfg: ViTConfig = DEFAULT_VIT, seed: int = 0) -> TrainSpec:
    """A ViT trained on the MNIST-5k fit digits, validation accuracy recorded per epoch, the test digits
    scored once after training."""
    return TrainSpec(
        quick(cfg, **FAST),
        train_vit,
        build,
        lambda: digit_data(seed),
        data_key=DATA_KEY,
        seed=seed,
        label=cfg.label,
        curves=("loss", "val_loss", "train_acc", "val_acc"),
    )


def dense_spec(seed: int = 0) -> TrainSpec:
    """The dense baseline, trained with the same loop and augmentation as the ViT."""
    return TrainSpec(
        quick(DEFAULT_DENSE, **FAST),
        train_dense,
        build_dense,
        lambda: digit_data(seed),
        data_key=DATA_KEY,
        seed=seed,
        label=DEFAULT_DENSE.label,
        curves=("loss", "val_loss", "train_acc", "val_acc"),
    )


def cnn_spec(seed: int = 0) -> TrainSpec:
    """The Convolutions page's default network (imported lazily: that page owns it)."""
    from annlab.cnn.defaults import default_spec

    return default_spec(seed=seed)


def default_specs(seed: int = 0) -> dict[str, TrainSpec]:
    """Every model the page trains on its defaults, by role."""
    return {"vit": vit_spec(seed=seed), "dense": dense_spec(seed), "cnn": cnn_spec(seed)}


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train (or load) into the model store every model the page trains on its defaults."""
    for role, spec in default_specs().items():
        if epochs:
            cfg = replace(spec.cfg, num_epochs=epochs)
            if hasattr(cfg, "warmup"):
                cfg = replace(cfg, warmup=min(cfg.warmup, epochs))
            spec = replace(spec, cfg=cfg)
        result = jobs.run(spec, device)
        report(f"{role}: {spec.label} {'loaded' if result.from_cache else 'trained'}")
