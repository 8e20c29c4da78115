"""What the Stacked autoencoders page starts from: the stack, its controls, and one TrainSpec per stage.

Stages, each one model in the store (trained once, then loaded):

1. layer 1, 2, ... K: each an autoencoder on the codes of the layer below (pretraining sees every
   fit image, never a label: the training digits less :data:`VAL_SHARE` carved off for validation,
   on which every per-epoch curve is drawn; the test digits are scored once, after training); the
   config of layer k carries the store key of layer k-1;
2. per number of labelled digits: the softmax on the frozen top codes (carries layer K's key), the
   fine-tuned stack (carries the frozen softmax's key: it starts from those weights), and the same
   network from random weights.

The number of labelled digits (the page's main control) is not part of any layer's key, so moving it
never retrains the stack. :func:`warm` trains the default stack and the three classifiers for every
count the page offers. The specs apply fast mode (``ANNLAB_FAST``) when built, not at import.

The defaults were chosen on validation digits carved from the training digits, never on the test
digits: two stratified splits of 800 (seeds 123 and 7), pretraining and labels from the other 3,200.
``bench/stacked_select.py`` reruns the search; ``selection.json`` records its table and the choice (the
highest mean validation accuracy after fine-tuning, 3,200 labels, among candidates no dearer than the
stack before it). Chosen: 784-512-256-128, 10 pretraining epochs per layer, classifiers with batches of
128, shifts of up to 2 pixels and elastic distortions of up to about 2 pixels: validation accuracy
0.979 / 0.984 on the two splits (mean 0.981), against 0.976 for the 784-256-128-64 stack with shifts
only and batches of 128, 0.979 for it with the elastic distortions, and 0.961 / 0.981 for the stack
before the search (batches of 64). With 100 labels the chosen settings gained +1.5 points over the
network from random weights on validation (5 labelled subsets, standard error 0.6 points). Tried and
not kept: distortions of 3 pixels (0.970 on split 123, 2 pixels 0.975), 20 pretraining epochs for the
512 stack (mean 0.983: twice the pretraining time for 0.1 point), batches of 256 at lr 5e-3 (mean
0.974); earlier, rotations of up to 10 degrees on top of the shifts (no better) and 60 classifier
epochs at lr 1e-3 with dropout 0.2 (0.960).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np

from annlab import jobs
from annlab.controls import Control
from annlab.data import DigitSplit, mnist
from annlab.data import split as split_digits
from annlab.settings import quick
from annlab.stacked import pretrain as pt
from annlab.training import TrainSpec


@dataclasses.dataclass(frozen=True)
class Stack:
    """Everything the page's settings choose.

    Parameters
    ----------
    n_layers : autoencoders in the stack
    first_units : units of layer 1; each layer above has half as many (at least 16)
    layer_epochs : pretraining epochs of each layer
    corruption : masking noise of the denoising autoencoders (fraction of inputs zeroed; 0 = plain)
    epochs : training epochs of each classifier (the same for all three)
    shift : augmentation, random shifts of up to this many pixels (all three classifiers alike)
    warp : augmentation, elastic distortions of up to about this many pixels (all three alike)
    n_labels : labelled training digits the classifiers see
    """

    n_layers: int = 3
    first_units: int = 512
    layer_epochs: int = 10
    corruption: float = 0.3
    epochs: int = 100
    shift: float = 2.0
    warp: float = 2.0
    n_labels: int = 100

    def __post_init__(self):
        if not 1 <= self.n_layers <= 5:
            raise ValueError(f"A stack of 1 to 5 layers, not {self.n_layers}.")
        if self.first_units < 1 or self.layer_epochs < 1 or self.epochs < 1:
            raise ValueError("Units and epochs must be at least 1.")
        if not 0.0 <= self.corruption < 1.0:
            raise ValueError(f"The corruption is a fraction in [0, 1), got {self.corruption}.")
        if self.shift < 0 or self.warp < 0 or self.n_labels < pt.N_CLASSES:
            raise ValueError(
                f"Shift and warp are non-negative and at least {pt.N_CLASSES} digits are labelled."
            )

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes, pixels first: (784, 512, 256, 128) for the default."""
        return (784, *(max(16, self.first_units // 2**i) for i in range(self.n_layers)))

    @property
    def name(self) -> str:
        return "-".join(str(s) for s in self.sizes)


STACK = Stack()
VAL_SHARE = 0.1  # of the training digits: validation (every per-epoch curve), stratified, split seed 0
LABEL_COUNTS = (50, 100, 500, 1000, 3600)  # the counts the page offers (3,600 = every MNIST-5k fit digit)
LAYER_BATCH, LAYER_LR = 64, 1e-3  # pretraining (Adam)
CLF = {"batch_size": 128, "lr": 3e-3, "weight_decay": 1e-4, "dropout": 0.3}  # the three classifiers
FROZEN_LR = 1e-2  # only the softmax layer learns on fixed codes: a larger step is safe
N_SHOWN = 10  # test digits in the reconstruction grid
N_SUBSETS = (
    5  # labelled subsets the gain of pretraining is measured over (classifier seeds seed, seed+1, ...)
)
REPORT = (  # KU Leuven report (seeds/001, section 3.1 Q2): full MNIST, every label, after fine-tuning
    ("baseline: batch 128, 10 epochs per stage", 0.926),
    ("batch 64, 60 epochs per stage", 0.949),
    ("batch 64, 60 epochs per stage, last hidden layer 256 -> 128", 0.954),
)
TABS = ("Against the number of labels", "Layer by layer", "What pretraining buys")  # URL key sae_tab

LABELS = Control(
    "select_slider",
    "Labelled training digits",
    "sae_labels",
    STACK.n_labels,
    {
        "options": list(LABEL_COUNTS),
        "help": "How many of the 3,600 fit digits (the 4,000 training digits less 400 kept for validation) "
        "come with their label (the same number of each digit, drawn with the sidebar's seed). Pretraining "
        "always sees all 3,600 images, without labels.",
    },
)  # the page's main control
STACK_CONTROLS = {  # Stack field -> its widget in the settings
    "n_layers": Control("select_slider", "Layers", "sae_layers", STACK.n_layers, {"options": [1, 2, 3, 4]}),
    "first_units": Control(
        "select_slider",
        "Units in layer 1 (each layer above has half)",
        "sae_units",
        STACK.first_units,
        {"options": [64, 128, 256, 512]},
    ),
    "layer_epochs": Control(
        "slider",
        "Pretraining epochs per layer",
        "sae_lep",
        STACK.layer_epochs,
        {"min_value": 1, "max_value": 60},
    ),
    "corruption": Control(
        "select_slider",
        "Denoising: fraction of inputs zeroed",
        "sae_noise",
        STACK.corruption,
        {
            "options": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
            "help": "0 trains plain autoencoders; above 0 each layer must rebuild its clean input from a "
            "copy with that fraction of the values set to zero (Vincent et al., 2010).",
        },
    ),
    "epochs": Control(
        "slider",
        "Classifier epochs (fine-tuning, frozen softmax and scratch alike)",
        "sae_ep",
        STACK.epochs,
        {"min_value": 1, "max_value": 150},
    ),
    "shift": Control(
        "select_slider",
        "Augmentation: random shifts up to (pixels)",
        "sae_shift",
        STACK.shift,
        {
            "options": [0.0, 1.0, 2.0, 3.0],
            "help": "Each labelled digit is moved by a random fraction of a pixel up to this far in "
            "x and y every time it is used; all three classifiers get the same augmentation. 0 = none.",
        },
    ),
    "warp": Control(
        "select_slider",
        "Augmentation: elastic distortion up to (pixels)",
        "sae_warp",
        STACK.warp,
        {
            "options": [0.0, 1.0, 2.0, 3.0],
            "help": "Each labelled digit is bent by a smooth random displacement field (every pixel moves "
            "by up to about this many pixels, Simard et al. 2003) every time it is used; all three "
            "classifiers alike. 0 = none.",
        },
    ),
}
KIND_NAMES = {
    "frozen": "before fine-tuning (softmax on frozen codes)",
    "finetune": "after fine-tuning (pretrained stack)",
    "scratch": "no pretraining (random weights)",
}

TRAINED_NAMES = {  # what ui.train says it trains
    "frozen": "the softmax on frozen codes",
    "finetune": "the fine-tuned stack",
    "scratch": "the network from random weights",
}


def data() -> tuple[DigitSplit, str]:
    """The digits (MNIST-5k unless ``ANNLAB_MNIST_DIR`` is set) and the store's name for them (the fit /
    validation carve of :func:`fit_val` included: models trained before it retrain)."""
    split = mnist()
    return split, f"{split.source}, val {VAL_SHARE:g}"


@dataclasses.dataclass(frozen=True)
class FitVal:
    """The training digits split in two: the fit digits every stage learns from, the validation digits
    every per-epoch curve is drawn on (images (n, 784) float32, labels (n,) int64)."""

    X_fit: np.ndarray
    y_fit: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def fit_val() -> FitVal:
    """The fit / validation split of :func:`data`'s training digits (:data:`VAL_SHARE`, stratified,
    split seed 0; the test digits are scored once, after training)."""
    split, key = data()
    return _fit_val(key)


@functools.lru_cache(maxsize=2)
def _fit_val(key: str) -> FitVal:
    train = mnist()
    X_fit, X_val, y_fit, y_val = split_digits(train.X_train, train.y_train, test_size=VAL_SHARE, seed=0)
    for a in (X_fit, X_val, y_fit, y_val):
        a.flags.writeable = False
    return FitVal(X_fit, y_fit, X_val, y_val)


def stack_codes(layers: list, X: np.ndarray) -> np.ndarray:
    """Pixels (N, 784) through trained layers (TrainResults of :func:`layer_specs`) -> codes (N, size)."""
    for r in layers:
        X = pt.encode(r.model, X)
    return X


def _layer_data(below: tuple[TrainSpec, ...]):
    """(fit codes, validation codes, test codes): the input of the layer above ``below``."""
    (split, _), fv = data(), fit_val()
    layers = [jobs.run(s, "cpu") for s in below]
    return tuple(stack_codes(layers, X) for X in (fv.X_fit, fv.X_val, split.X_test))


def _epochs(cfg, epochs: int | None):
    """Fast mode's one epoch, or a smoke run's ``epochs``, applied to a stage's config."""
    cfg = quick(cfg, num_epochs=1)
    return cfg if epochs is None else dataclasses.replace(cfg, num_epochs=max(1, int(epochs)))


def layer_specs(stack: Stack = STACK, seed: int = 0, epochs: int | None = None) -> list[TrainSpec]:
    """One spec per layer, bottom first; layer k's config carries layer k-1's store key.

    Fast mode trains one epoch per layer; ``epochs`` (a smoke run) overrides every epoch count."""
    _, data_key = data()
    specs: list[TrainSpec] = []
    sizes = stack.sizes
    for k, (n_in, n_hidden) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        cfg = pt.LayerConfig(
            layer=k,
            n_in=n_in,
            n_hidden=n_hidden,
            corruption=stack.corruption,
            num_epochs=stack.layer_epochs,
            batch_size=LAYER_BATCH,
            lr=LAYER_LR,
            below=specs[-1].key if specs else "",
        )
        below = tuple(specs)
        specs.append(
            TrainSpec(
                _epochs(cfg, epochs),
                pt.train_layer,
                pt.build_layer,
                lambda below=below: _layer_data(below),
                data_key=data_key,
                seed=seed,
                label=f"layer {k} ({n_in} -> {n_hidden})",
                curves=("loss", "val_loss"),
            )
        )
    return specs


def _classifier_data(kind: str, n_labels: int, seed: int, start: tuple[TrainSpec, ...]) -> pt.ClassifierData:
    (split, _), fv = data(), fit_val()
    idx = pt.labelled_subset(fv.y_fit, n_labels, seed)
    if kind == "frozen":
        begin = [jobs.run(s, "cpu").model.state_dict() for s in start]
    elif kind == "finetune":
        begin = jobs.run(start[0], "cpu").model.state_dict()
    else:
        begin = None
    return pt.ClassifierData(
        fv.X_fit[idx], fv.y_fit[idx], fv.X_val, fv.y_val, split.X_test, split.y_test, start=begin
    )


@dataclasses.dataclass(frozen=True)
class Classifiers:
    """The three classifier specs for one number of labelled digits."""

    frozen: TrainSpec
    finetune: TrainSpec
    scratch: TrainSpec

    def items(self) -> tuple[tuple[str, TrainSpec], ...]:
        return (("frozen", self.frozen), ("finetune", self.finetune), ("scratch", self.scratch))


def classifier_specs(
    stack: Stack = STACK, seed: int = 0, layers: list[TrainSpec] | None = None, epochs: int | None = None
) -> Classifiers:
    """The frozen softmax, the fine-tuned stack and the scratch network for ``stack.n_labels`` labels,
    on top of ``layers`` (default: :func:`layer_specs` of ``stack``)."""
    layers = layers if layers is not None else layer_specs(stack, seed, epochs)
    _, data_key = data()
    n = stack.n_labels

    def cfg(kind: str, below: str) -> pt.ClassifierConfig:
        lr = FROZEN_LR if kind == "frozen" else CLF["lr"]
        full = pt.ClassifierConfig(
            kind,
            stack.sizes,
            n,
            stack.epochs,
            shift=stack.shift,
            warp=stack.warp,
            below=below,
            **{**CLF, "lr": lr},
        )
        return _epochs(full, epochs)

    def spec(kind: str, below: str, start: tuple[TrainSpec, ...]) -> TrainSpec:
        return TrainSpec(
            cfg(kind, below),
            pt.train_classifier,
            pt.build_classifier,
            lambda: _classifier_data(kind, n, seed, start),
            data_key=data_key,
            seed=seed,
            label=f"{TRAINED_NAMES[kind]} ({n:,} labels)",
            curves=("acc", "val_acc"),
        )

    frozen = spec("frozen", layers[-1].key, tuple(layers))
    finetune = spec("finetune", frozen.key, (frozen,))
    return Classifiers(frozen, finetune, spec("scratch", "", ()))


def sweep_specs(stack: Stack = STACK, seed: int = 0, epochs: int | None = None) -> dict[int, Classifiers]:
    """The classifier specs for every count the page offers (same stack)."""
    layers = layer_specs(stack, seed, epochs)
    return {
        n: classifier_specs(dataclasses.replace(stack, n_labels=n), seed, layers, epochs)
        for n in LABEL_COUNTS
    }


def subset_specs(
    stack: Stack = STACK, seed: int = 0, n_subsets: int = N_SUBSETS, epochs: int | None = None
) -> dict[int, Classifiers]:
    """The three classifiers for ``stack.n_labels`` labels on ``n_subsets`` labelled subsets, all on the
    stack pretrained with ``seed``: classifier seed -> specs. The classifier seed (``seed``, ``seed + 1``,
    ...) draws the labelled subset and the random weights; the first is the page's own classifiers."""
    layers = layer_specs(stack, seed, epochs)
    return {seed + i: classifier_specs(stack, seed + i, layers, epochs) for i in range(n_subsets)}


def stored(spec: TrainSpec) -> bool:
    """Whether the model store already holds ``spec`` (so getting it costs a load, not a training)."""
    return jobs.stored(spec)


def sweep_stored(stack: Stack = STACK, seed: int = 0) -> bool:
    """Whether every classifier of :func:`sweep_specs` (and so its stack) is already in the store."""
    return all(stored(spec) for three in sweep_specs(stack, seed).values() for _, spec in three.items())


def subsets_stored(stack: Stack = STACK, seed: int = 0) -> bool:
    """Whether every classifier of :func:`subset_specs` is already in the store."""
    return all(stored(spec) for three in subset_specs(stack, seed).values() for _, spec in three.items())


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train the default stack, the three classifiers for every count of :data:`LABEL_COUNTS`, and those
    for the default count on :data:`N_SUBSETS` labelled subsets.

    ``epochs`` (a smoke run) replaces every epoch count, fast mode's included."""
    for spec in layer_specs(STACK, 0, epochs):
        r = jobs.run(spec, device)
        how = "cached" if r.from_cache else "trained"
        report(f"{spec.label}: {how}, validation reconstruction loss {r.history[-1]['val_loss']:.2f}")
    for n, specs in sweep_specs(STACK, 0, epochs).items():
        for kind, spec in specs.items():
            r = jobs.run(spec, device)
            report(
                f"{n} labels, {KIND_NAMES[kind]}: test accuracy {r.extra.get('test_acc', float('nan')):.3f}"
            )
    for s, specs in subset_specs(STACK, 0, epochs=epochs).items():
        for kind, spec in specs.items():
            r = jobs.run(spec, device)
            acc = r.extra.get("test_acc", float("nan"))
            report(f"{STACK.n_labels} labels, subset {s}, {KIND_NAMES[kind]}: test accuracy {acc:.3f}")
