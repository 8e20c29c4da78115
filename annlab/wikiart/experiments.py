"""What the WikiArt page computes: plain functions returning dataclasses, testable without Streamlit.

The prior correction is post-hoc logit adjustment: predict ``argmax_y log p(y|x) - alpha log pi_y``
with ``pi`` the training share of each style. ``alpha = 0`` is the plain network; ``alpha = 1`` is the
Bayes rule for a test set in which every style is equally likely, i.e. for the balanced error.

References: A. K. Menon et al., "Long-tail learning via logit adjustment", ICLR 2021; L. van der
Maaten, G. Hinton, "Visualizing Data using t-SNE", 2008.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import adjusted_rand_score, balanced_accuracy_score, normalized_mutual_info_score

from annlab import jobs
from annlab.training import Callback, TrainResult, TrainSpec
from annlab.wikiart import defaults
from annlab.wikiart.data import ArtSet, ImageError, read_upload
from annlab.wikiart.train import _val_split, cluster, encode, metrics, predict_proba

N_SMALLEST = 3  # "rare styles": the three smallest training styles
ALPHAS = tuple(round(a, 2) for a in np.arange(0.0, 1.0001, 0.05))  # the prior-correction grid
MAP_POINTS = 1500  # test pictures on the t-SNE map at most (t-SNE of all 6,000 would take minutes)
Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``k / n`` (``(0, 1)`` when ``n`` is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p, z2 = k / n, Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def mean_recall_se(recall, counts) -> float:
    """Binomial standard error of the mean of several recalls, ``sqrt(sum r (1 - r) / n) / k``.

    recall, counts : (k,) recalls and the number of test pictures each was measured on"""
    r, n = np.asarray(recall, np.float64), np.maximum(np.asarray(counts, np.float64), 1)
    return float(np.sqrt(np.sum(r * (1 - r) / n)) / len(r))


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

    ``minority_recall`` is the mean recall of the three smallest training styles and ``minority_se``
    its binomial standard error over their test pictures (``minority_n`` of them); ``majority_*``
    are the scores of always answering the largest training style; ``n_test`` the test pictures.
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
    minority_se: float = 0.0
    minority_n: int = 0
    n_test: int = 0

    @property
    def minority_ci(self) -> tuple[float, float]:
        """95 % interval of ``minority_recall`` (normal, from ``minority_se``, clipped to [0, 1])."""
        half = Z95 * self.minority_se
        return max(0.0, self.minority_recall - half), min(1.0, self.minority_recall + half)

    def recall_ci(self, i: int) -> tuple[float, float]:
        """95 % Wilson interval of style ``i``'s recall over its test pictures."""
        row = self.confusion[i]
        return wilson(int(row[i]), int(sum(row)))

    @property
    def acc_ci(self) -> tuple[float, float]:
        """95 % Wilson interval of the accuracy over the ``n_test`` test pictures."""
        return wilson(int(round(self.acc * self.n_test)), self.n_test)

    @classmethod
    def from_metrics(cls, m: Mapping, smallest) -> Scores:
        per_style = [int(sum(row)) for row in m["confusion"]]
        rare = [m["recall"][i] for i in smallest]
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
            minority_se=mean_recall_se(rare, [per_style[i] for i in smallest]),
            minority_n=int(sum(per_style[i] for i in smallest)),
            n_test=int(sum(per_style)),
        )


@dataclass(frozen=True)
class RemedyRuns:
    """The run table: one row per remedy plus the majority baseline; ``recalls`` per remedy (mean over
    seeds, per style); ``rare3`` and ``rare3_se`` per remedy: the rare-3 recall and its binomial
    standard error of each seed, in seed order (the effects of :func:`remedy_effects`)."""

    table: pd.DataFrame
    recalls: dict[str, tuple[float, ...]]
    rare3: dict[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    rare3_se: dict[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    recall_ci: dict[str, tuple[tuple[float, float], ...]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CodeMap:
    """t-SNE of the autoencoder's codes of some test pictures (``xy`` (m, 2)), their k-means clusters
    (computed on all test codes) and which test pictures they are (``index`` (m,))."""

    xy: np.ndarray
    clusters: np.ndarray
    index: np.ndarray


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
    rows, recalls, rare3, rare3_se, cis, last, done = [], {}, {}, {}, {}, None, 0
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
        per_style = np.array([sum(row) for row in scores[0].confusion])
        cis[name] = tuple(
            seed_mean_ci([sc.recall[i] for sc in scores], per_style[i]) for i in range(len(per_style))
        )
        rare3[name] = tuple(sc.minority_recall for sc in scores)
        rare3_se[name] = tuple(sc.minority_se for sc in scores)
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
    return RemedyRuns(pd.DataFrame(rows), recalls, rare3, rare3_se, cis)


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
    result: TrainResult,
    X_test: np.ndarray,
    k: int,
    seed: int,
    max_iter: int,
    *,
    max_points: int = MAP_POINTS,
    callback=None,
) -> CodeMap:
    """Encode the test pictures, group the codes with k-means (k styles) and map at most
    ``max_points`` of them (a seeded random choice) with t-SNE."""
    if callback:
        callback(0, {"fraction": 0.1, "text": "Running t-SNE on the codes ..."})
    codes = encode(result.model, X_test)  # (n, latent_dim)
    clusters = cluster(codes, k, seed)
    index = np.arange(len(codes))
    if len(codes) > max_points:
        index = np.sort(np.random.default_rng(seed).choice(len(codes), max_points, replace=False))
    z = (codes - codes.mean(0)) / (codes.std(0) + 1e-8)
    z = z[index]
    perplexity = float(min(30, max(2, (len(z) - 1) // 3)))
    xy = TSNE(2, perplexity=perplexity, init="pca", max_iter=max_iter, random_state=seed).fit_transform(z)
    return CodeMap(xy, clusters[index], index)


def seed_mean_ci(values, n: int) -> tuple[float, float]:
    """95 % interval of the mean over seeds of a recall measured on the same ``n`` test pictures by
    each seed: the seed spread (Student t) and the pictures' binomial error in quadrature, clipped to
    [0, 1] (see :func:`effect_ci`)."""
    v = np.asarray(values, np.float64)
    seed_part = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
    binom = Z95 * np.sqrt(np.mean(v * (1 - v)) / max(int(n), 1))
    half = float(np.sqrt(seed_part**2 + binom**2))
    return max(0.0, float(v.mean()) - half), min(1.0, float(v.mean()) + half)


def effect_ci(treated, untreated, se_treated=(), se_untreated=()) -> tuple[float, float]:
    """A remedy's effect on the rare-3 recall: the mean over seeds of ``treated - untreated`` (paired
    by seed) and the half-width of its 95 % interval.

    The half-width combines, in quadrature, the seed-to-seed spread (Student t with n - 1 degrees of
    freedom times the standard error of the mean difference; absent for one seed) and the test
    pictures' own sampling error (1.96 times ``sqrt(se_t^2 + se_u^2)``, the seeds' mean binomial
    errors; every seed is scored on the same pictures, so this part does not shrink with seeds). The
    pairing on the same pictures would make the second part smaller: the interval is conservative.
    """
    d = np.asarray(treated, np.float64) - np.asarray(untreated, np.float64)
    n = len(d)
    seed_part = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
    se2 = np.mean(np.square(se_treated)) if len(se_treated) else 0.0
    se2 += np.mean(np.square(se_untreated)) if len(se_untreated) else 0.0
    return float(d.mean()), float(np.sqrt(seed_part**2 + (Z95**2) * se2))


def remedy_effects(runs: RemedyRuns, baseline: str = "none") -> pd.DataFrame:
    """Each remedy's effect on the rare-3 recall against ``baseline`` with its 95 % interval
    (:func:`effect_ci`): columns remedy, effect, ci95 (half-width), low, high."""
    rows = []
    for name, vals in runs.rare3.items():
        if name == baseline or baseline not in runs.rare3:
            continue
        k = min(len(vals), len(runs.rare3[baseline]))
        d, half = effect_ci(
            vals[:k], runs.rare3[baseline][:k], runs.rare3_se[name][:k], runs.rare3_se[baseline][:k]
        )
        rows.append({"remedy": name, "effect": d, "ci95": half, "low": d - half, "high": d + half})
    return pd.DataFrame(rows, columns=["remedy", "effect", "ci95", "low", "high"])


@dataclass(frozen=True)
class PriorChoice:
    """The prior correction's alpha chosen on the validation part of the training split.

    Attributes
    ----------
    alpha : the chosen alpha (highest validation balanced accuracy; ties: the smallest alpha)
    table : DataFrame alpha, val balanced accuracy (one row per alpha of :data:`ALPHAS`)
    n_val : validation pictures the choice was made on
    test : Scores on the test split at ``alpha``, computed once after the choice
    """

    alpha: float
    table: pd.DataFrame
    n_val: int
    test: Scores


def validation_probabilities(
    result: TrainResult, X_train: np.ndarray, y_train: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The trained CNN's probabilities on the validation part its training (with ``seed``) held out
    from ``X_train`` (the same seeded split, :func:`annlab.wikiart.train._val_split`):
    ``(probs (n_val, n_classes), y_val (n_val,))``."""
    _, val_idx = _val_split(y_train, result.config.val_fraction, seed)
    return predict_proba(result.model, X_train[val_idx]), np.asarray(y_train)[val_idx]


def choose_alpha(
    val_probs: np.ndarray,
    y_val: np.ndarray,
    test_probs: np.ndarray,
    y_test: np.ndarray,
    y_train: np.ndarray,
    alphas=ALPHAS,
) -> PriorChoice:
    """Choose the prior correction's alpha on validation (balanced accuracy), then score the test once."""
    prior = class_prior(y_train, val_probs.shape[1])
    if not len(y_val):
        vals = [0.0 for _ in alphas]
    else:
        preds = [adjusted_predictions(val_probs, prior, a) for a in alphas]
        vals = [float(balanced_accuracy_score(y_val, p)) for p in preds]
    best = int(np.argmax(vals))  # the first maximum: the smallest alpha among ties
    table = pd.DataFrame({"alpha": list(alphas), "val balanced accuracy": vals})
    test = prior_corrected(test_probs, y_test, y_train, float(alphas[best]))
    return PriorChoice(float(alphas[best]), table, int(len(y_val)), test)


def clustering_baselines(
    X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, k: int, seed: int = 0, n_components: int = 32
) -> pd.DataFrame:
    """k-means (k clusters) on the test pictures' raw pixels and on their PCA projection
    (``n_components``, fitted on the training pictures): the baselines of the autoencoder's clusters.

    X_train, X_test : uint8 (n, side, side, 3); y_test : (n_test,) true styles.
    Returns a DataFrame: method, ARI, NMI."""
    flat_tr = X_train.reshape(len(X_train), -1).astype(np.float32) / 255
    flat_te = X_test.reshape(len(X_test), -1).astype(np.float32) / 255
    n_comp = int(min(n_components, flat_tr.shape[0], flat_tr.shape[1]))
    pca = PCA(n_comp, random_state=seed).fit(flat_tr)
    rows = []
    for name, feats in (
        ("k-means on raw pixels", flat_te),
        (f"k-means on PCA ({n_comp} components)", pca.transform(flat_te)),
    ):
        labels = cluster(feats, k, seed)
        rows.append(
            {
                "method": name,
                "ARI": float(adjusted_rand_score(y_test, labels)),
                "NMI": float(normalized_mutual_info_score(y_test, labels)),
            }
        )
    return pd.DataFrame(rows)


def clustering_table(last: Mapping, baselines: pd.DataFrame) -> pd.DataFrame:
    """The autoencoder's ARI / NMI (``last``: its last history row) above the k-means baselines."""
    ae = pd.DataFrame(
        [{"method": "k-means on the autoencoder's codes", "ARI": last["ari"], "NMI": last["nmi"]}]
    )
    return pd.concat([ae, baselines], ignore_index=True).round(3)


RARE_TIP = (
    "The mean test recall of the three styles with the fewest training pictures: of their test pictures, "
    "the share the network names correctly. Its 95 % interval is in the sentence below."
)


def _pct_ci(lo: float, hi: float) -> str:
    return f"95 % interval {lo:.1%} to {hi:.1%}"


def scores_sentence(s: Scores, remedy: str, best_epoch, history) -> str:
    """What the headline numbers are measured on, with the intervals a small count needs."""
    lo, hi = s.minority_ci
    acc = f" (accuracy {_pct_ci(*s.acc_ci)})" if s.n_test < 200 else ""
    return (
        f"On {s.n_test:,} test pictures{acc}. Balanced accuracy: the mean recall of the styles. The "
        f"3 smallest styles' mean recall: **{s.minority_recall:.1%}** ({_pct_ci(lo, hi)}, over their "
        f"{s.minority_n} test pictures). Remedies: **{remedy}**. Epoch {best_epoch} of {len(history)} "
        "kept (best on validation, or the last with patience 0)."
    )


def prior_sentence(choice: PriorChoice, plain: Scores) -> str:
    """The prior correction chosen on validation and its test result, scored once."""
    t = choice.test
    lo, hi = t.minority_ci
    return (
        f"**Prior correction, α = {choice.alpha:.2f}**, chosen on {choice.n_val} validation pictures "
        f"(highest balanced accuracy there), then scored once on the test split: balanced accuracy "
        f"**{t.balanced_acc:.1%}** (plain network {plain.balanced_acc:.1%}), recall of the 3 rarest styles "
        f"**{t.minority_recall:.1%}** ({_pct_ci(lo, hi)}; plain {plain.minority_recall:.1%}), accuracy "
        f"**{t.acc:.1%}** (plain {plain.acc:.1%})."
    )


def explore_sentence(s: Scores, alpha: float) -> str:
    """The exploration slider's result, labelled as a look at the test split."""
    lo, hi = s.minority_ci
    return (
        f"Exploring on the test split (this chooses nothing), α = {alpha:.2f}: accuracy {s.acc:.1%}, "
        f"balanced accuracy {s.balanced_acc:.1%}, recall of the 3 rarest styles {s.minority_recall:.1%} "
        f"({_pct_ci(lo, hi)})."
    )


def effects_sentence(effects: pd.DataFrame, runs: RemedyRuns) -> str:
    """Which remedies moved the rare styles' recall beyond their 95 % interval, either way."""
    up = [r for r in effects.itertuples() if r.low > 0]
    down = [r for r in effects.itertuples() if r.high < 0]
    base = float(np.mean(runs.rare3.get("none", (np.nan,))))
    parts = [f"Without a remedy the 3 rarest styles' recall is **{base:.1%}** (mean over seeds)."]

    def names(rows):
        return ", ".join(f"{r.remedy} ({r.effect * 100:+.1f} ± {r.ci95 * 100:.1f} points)" for r in rows)

    parts.append(
        f"Raised beyond its 95 % interval by: {names(up)}."
        if up
        else "No remedy raised it beyond its 95 % interval."
    )
    if down:
        parts.append(f"Lowered beyond its 95 % interval by: {names(down)}.")
    unclear = len(effects) - len(up) - len(down)
    if unclear:
        parts.append(
            f"{unclear} remedy effect(s) are within their interval of zero: not distinguishable from luck."
        )
    return " ".join(parts)
