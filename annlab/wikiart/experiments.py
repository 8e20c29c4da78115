"""What the WikiArt page computes: plain functions returning dataclasses, testable without Streamlit.

The prior correction is post-hoc logit adjustment: predict ``argmax_y log p(y|x) - alpha log pi_y``
with ``pi`` the training share of each style. ``alpha = 0`` is the plain network; ``alpha = 1`` is the
Bayes rule for a test set in which every style is equally likely, i.e. for the balanced error.

References: A. K. Menon et al., "Long-tail learning via logit adjustment", ICLR 2021; L. van der
Maaten, G. Hinton, "Visualizing Data using t-SNE", 2008.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.manifold import TSNE

from annlab import jobs
from annlab.training import Callback, TrainResult, TrainSpec
from annlab.wikiart import defaults
from annlab.wikiart.data import ArtSet, ImageError, read_upload
from annlab.wikiart.train import cluster, encode, metrics, predict_proba

N_SMALLEST = 3  # "rare styles": the three smallest training styles


@dataclass(frozen=True)
class Imbalance:
    """How the pictures are spread over the styles.

    Attributes
    ----------
    train_counts, test_counts : ndarray (n_classes,), pictures per style in each split
    ratio : largest : smallest training style
    smallest : indices of the :data:`N_SMALLEST` smallest training styles
    largest : name of the largest training style (the majority baseline always answers it)
    """

    train_counts: np.ndarray
    test_counts: np.ndarray
    ratio: float
    smallest: tuple[int, ...]
    largest: str


@dataclass(frozen=True)
class Scores:
    """Test-split scores of one classifier (see :func:`annlab.wikiart.train.metrics`).

    ``minority_recall`` is the mean recall of the three smallest training styles; ``majority_*`` are
    the scores of always answering the largest training style.
    """

    acc: float
    balanced_acc: float
    macro_f1: float
    recall: tuple[float, ...]
    confusion: tuple[tuple[int, ...], ...]
    minority_recall: float
    majority_baseline: float
    majority_balanced: float
    majority_macro_f1: float

    @classmethod
    def from_metrics(cls, m: Mapping, smallest) -> Scores:
        return cls(
            acc=m["acc"],
            balanced_acc=m["balanced_acc"],
            macro_f1=m["macro_f1"],
            recall=tuple(m["recall"]),
            confusion=tuple(tuple(row) for row in m["confusion"]),
            minority_recall=float(np.mean([m["recall"][i] for i in smallest])),
            majority_baseline=m["majority_baseline"],
            majority_balanced=m["majority_balanced"],
            majority_macro_f1=m["majority_macro_f1"],
        )


@dataclass(frozen=True)
class RemedyRuns:
    """The run table: one row per remedy plus the majority baseline; ``recalls`` per remedy."""

    table: pd.DataFrame
    recalls: dict[str, tuple[float, ...]]


@dataclass(frozen=True)
class CodeMap:
    """t-SNE of the autoencoder's codes of the test pictures (``xy`` (n, 2)) and their k-means clusters."""

    xy: np.ndarray
    clusters: np.ndarray


@dataclass(frozen=True)
class Picture:
    """One picture to classify: uint8 (side, side, 3) or None, its caption, and why it is missing."""

    image: np.ndarray | None
    caption: str
    error: str | None = None


def load_pictures(side: int, per_style: int, folder: str, *, callback: Callback | None = None) -> ArtSet:
    """The page's pictures, :func:`annlab.wikiart.defaults.data` (for ``ui.call`` with a progress bar).

    ``folder`` is the configured WikiArt folder as text ("" for none): the loader reads it from the
    environment; passing it makes a changed folder a new cached call.
    """
    if callback:
        callback(0, {"fraction": 0.0, "text": "Loading pictures (the first time this can take minutes) ..."})
    return defaults.data(side, per_style)


def imbalance(art: ArtSet) -> Imbalance:
    """Pictures per style in both splits, the imbalance ratio, the rare styles and the largest one."""
    train, test = art.counts("train"), art.counts("test")
    smallest = tuple(int(i) for i in np.argsort(train, kind="stable")[:N_SMALLEST])
    ratio = float(train.max() / max(train.min(), 1))
    return Imbalance(train, test, ratio, smallest, art.classes[int(np.argmax(train))])


def style_samples(art: ArtSet, n: int = 8) -> list[np.ndarray]:
    """The first ``n`` training pictures of every style, float (k, side, side, 3) in [0, 1]."""
    return [art.X_train[art.y_train == c][:n].astype(np.float32) / 255 for c in range(art.n_classes)]


def cnn_test_probabilities(result: TrainResult, X_test: np.ndarray) -> np.ndarray:
    """Class probabilities of the trained CNN for every test picture, (n_test, n_classes)."""
    return predict_proba(result.model, X_test)


def class_prior(y_train: np.ndarray, n_classes: int) -> np.ndarray:
    """Training share of each style, (n_classes,); a style without training pictures counts as one."""
    counts = np.maximum(np.bincount(y_train, minlength=n_classes), 1).astype(np.float64)
    return counts / counts.sum()


def adjusted_predictions(probs: np.ndarray, prior: np.ndarray, alpha: float) -> np.ndarray:
    """Post-hoc logit adjustment: ``argmax_y log p(y|x) - alpha * log prior_y`` for each row.

    Parameters
    ----------
    probs : (n, n_classes) class probabilities of the network
    prior : (n_classes,) training shares of the classes (positive)
    alpha : strength of the correction; 0 keeps the network's own answer

    Returns
    -------
    ndarray (n,) int64, the predicted classes
    """
    if alpha < 0:
        raise ValueError("The prior correction alpha must be >= 0.")
    log_p = np.log(np.clip(np.asarray(probs, np.float64), 1e-12, None))  # (n, n_classes)
    return (log_p - alpha * np.log(np.asarray(prior, np.float64))[None, :]).argmax(1)


def prior_corrected(probs: np.ndarray, y_test: np.ndarray, y_train: np.ndarray, alpha: float) -> Scores:
    """Test scores of the network's predictions after the prior correction ``alpha`` (no retraining)."""
    n_classes = probs.shape[1]
    pred = adjusted_predictions(probs, class_prior(y_train, n_classes), alpha)
    smallest = np.argsort(np.bincount(y_train, minlength=n_classes), kind="stable")[:N_SMALLEST]
    return Scores.from_metrics(metrics(y_test, pred, n_classes, y_train), smallest)


def compare_remedies(
    specs: Mapping[str, TrainSpec | Sequence[TrainSpec]],
    device: str,
    smallest,
    *,
    callback: Callback | None = None,
) -> RemedyRuns | None:
    """Train (or load from the store) every spec of the run table and score it on the test split.

    Parameters
    ----------
    specs : remedy name -> spec, or -> specs of several seeds (:func:`annlab.wikiart.defaults.remedy_specs`)
    device : where to train
    smallest : indices of the rare styles (their mean recall is a column)
    callback : ``callback(step, {"fraction", "text"})`` for a progress bar

    Returns
    -------
    RemedyRuns whose table has per remedy the mean over seeds of each score and, in the "± ..."
    columns, its standard deviation over seeds (0 for one seed); None when there are no test pictures
    """
    runs = {name: (group,) if isinstance(group, TrainSpec) else tuple(group) for name, group in specs.items()}
    total = sum(len(group) for group in runs.values()) or 1
    rows, recalls, last, done = [], {}, None, 0
    for name, group in runs.items():
        scores, epochs, diverged = [], [], False
        for spec in group:

            def progress(epoch, _metrics, done=done, name=name, seed=spec.seed, n=spec.num_epochs or 1):
                text = f"Training the CNN with remedy '{name}' (seed {seed}): epoch {epoch}"
                callback(done, {"fraction": (done + epoch / n) / total, "text": text})

            result = jobs.run(spec, device, callback=progress if callback else None)
            done += 1
            if "test" not in result.extra:
                continue
            last = Scores.from_metrics(result.extra["test"], smallest)
            scores.append(last)
            epochs.append(len(result.history))
            diverged |= bool(result.diverged)
        if not scores:
            continue
        recalls[name] = tuple(float(v) for v in np.mean([sc.recall for sc in scores], axis=0))
        values = {col: [getattr(sc, attr) for sc in scores] for col, attr in SCORE_COLUMNS.items()}
        row = {"remedy": name, "seeds": len(scores)}
        for col, vals in values.items():
            row[col] = float(np.mean(vals))
            row[f"± {col}"] = float(np.std(vals))
        rows.append(row | {"epochs": float(np.mean(epochs)), "diverged": diverged})
    if last is None:
        return None
    majority = (last.majority_baseline, last.majority_balanced, last.majority_macro_f1, 0.0)
    row = {"remedy": "always the largest style", "seeds": 0}
    for col, value in zip(SCORE_COLUMNS, majority, strict=True):
        row[col], row[f"± {col}"] = value, 0.0
    rows.append(row | {"epochs": 0.0, "diverged": False})
    return RemedyRuns(pd.DataFrame(rows), recalls)


SCORE_COLUMNS = {  # run-table column -> Scores attribute
    "accuracy": "acc",
    "balanced accuracy": "balanced_acc",
    "macro-F1": "macro_f1",
    "recall of 3 smallest styles": "minority_recall",
}


def remedy_spread(runs: RemedyRuns, column: str = "balanced accuracy") -> dict[str, float]:
    """Standard deviation over seeds of ``column`` per remedy (the error bar of a difference)."""
    table = runs.table[runs.table["seeds"] > 0]
    return dict(zip(table["remedy"], table[f"± {column}"].astype(float), strict=True))


def pick_picture(art: ArtSet, upload: bytes | None, name: str = "", test_index: int = 0) -> Picture:
    """The picture to classify: the uploaded file when there is one, else test picture ``test_index``.

    A file that cannot be read gives ``image=None`` and a sentence in ``error`` (never an exception).
    """
    if upload is not None:
        try:
            image = read_upload(upload, art.side)
        except ImageError as exc:
            return Picture(None, "", f"That file cannot be used: {exc}")
        return Picture(image, f"{name}, as the network sees it ({art.side} x {art.side})")
    if not len(art.y_test):
        return Picture(None, "")
    i = int(test_index)
    return Picture(art.X_test[i], f"Test picture {i}: {art.classes[art.y_test[i]]}")


def style_probabilities(result: TrainResult, picture: np.ndarray) -> np.ndarray:
    """The CNN's probability of every style for one uint8 picture (side, side, 3), (n_classes,)."""
    return predict_proba(result.model, picture[None])[0]


def code_map(
    result: TrainResult, X_test: np.ndarray, k: int, seed: int, max_iter: int, *, callback=None
) -> CodeMap:
    """Encode the test pictures, group the codes with k-means (k styles) and map them with t-SNE."""
    if callback:
        callback(0, {"fraction": 0.1, "text": "Running t-SNE on the codes ..."})
    codes = encode(result.model, X_test)  # (n, latent_dim)
    clusters = cluster(codes, k, seed)
    z = (codes - codes.mean(0)) / (codes.std(0) + 1e-8)
    perplexity = float(min(30, max(2, (len(z) - 1) // 3)))
    xy = TSNE(2, perplexity=perplexity, init="pca", max_iter=max_iter, random_state=seed).fit_transform(z)
    return CodeMap(xy, clusters)
