"""What the Stacked autoencoders page computes: plain functions returning dataclasses (no Streamlit).

Trained stages arrive as :class:`~annlab.training.TrainResult` objects from the model store; nothing
here changes them (inference under ``torch.no_grad``, new arrays out).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from annlab import jobs
from annlab.stacked import defaults as d
from annlab.stacked import pretrain as pt
from annlab.training import TrainResult

ORDER = ("frozen", "finetune", "scratch")  # the three classifiers, in the order the page lists them


def standard_error(acc: float, n: int) -> float:
    """Binomial standard error of an accuracy measured on ``n`` test digits: sqrt(p (1 - p) / n)."""
    return math.sqrt(max(acc * (1.0 - acc), 0.0) / max(n, 1))


@dataclass(frozen=True)
class Comparison:
    """The three classifiers on the same test digits.

    Attributes
    ----------
    table : one row per classifier: ``classifier`` (in words), ``kind``, ``n_labels``, ``accuracy``,
        ``se`` (binomial standard error), ``low``/``high`` (accuracy -+ 1 SE)
    n_test : test digits
    gain : fine-tuned minus scratch accuracy (what pretraining bought, in accuracy)
    finetune_gain : fine-tuned minus frozen accuracy (what fine-tuning bought)
    """

    table: pd.DataFrame
    n_test: int
    gain: float
    finetune_gain: float

    def accuracy(self, kind: str) -> float:
        return float(self.table.set_index("kind").loc[kind, "accuracy"])

    def headline(self) -> str:
        """One sentence on what pretraining bought, with its uncertainty."""
        n = int(self.table["n_labels"].iloc[0])
        se = math.hypot(*(self.table.set_index("kind").loc[k, "se"] for k in ("finetune", "scratch")))
        sign = "beats" if self.gain > 0 else "does not beat"
        noise = (
            " A difference this small is within two standard errors: on these test digits it could be "
            "chance, so change the seed in the sidebar and look again."
            if abs(self.gain) < 2 * se
            else ""
        )
        return (
            f"With **{n:,} labelled digits** the pretrained, fine-tuned stack {sign} the same network "
            f"trained from random weights: **{self.gain * 100:+.1f} points** (standard error of the "
            f"difference about {se * 100:.1f} points, {self.n_test:,} test digits). Fine-tuning added "
            f"{self.finetune_gain * 100:+.1f} points to the softmax on frozen codes.{noise}"
        )


def compare(frozen: TrainResult, finetune: TrainResult, scratch: TrainResult) -> Comparison:
    """Test accuracy of the three classifiers (trained on the same labelled digits) on the test digits."""
    split, _ = d.data()
    rows = []
    for kind, result in zip(ORDER, (frozen, finetune, scratch), strict=True):
        acc = pt.accuracy(result.model, split.X_test, split.y_test)
        se = standard_error(acc, len(split.y_test))
        rows.append(
            {
                "classifier": d.KIND_NAMES[kind],
                "kind": kind,
                "n_labels": int(result.config.n_labels),
                "accuracy": acc,
                "se": se,
                "low": acc - se,
                "high": acc + se,
            }
        )
    table = pd.DataFrame(rows)
    acc = dict(zip(table["kind"], table["accuracy"], strict=True))
    return Comparison(
        table, len(split.y_test), acc["finetune"] - acc["scratch"], acc["finetune"] - acc["frozen"]
    )


@dataclass(frozen=True)
class LabelSweep:
    """The three classifiers for every number of labelled digits the page offers.

    Attributes
    ----------
    table : rows of every :class:`Comparison` table stacked (``n_labels`` from 50 to 3,600)
    gains : ``n_labels`` -> fine-tuned minus scratch accuracy
    """

    table: pd.DataFrame
    gains: dict

    def summary(self) -> str:
        """Where pretraining helps and where it stops mattering, in one sentence from the numbers."""
        counts = sorted(self.gains)
        helped = [n for n in counts if self.gains[n] >= 0.01]
        if not helped:
            return (
                "At no count did pretraining beat the network trained from random weights by a point or "
                "more on these test digits."
            )
        first, last = counts[0], counts[-1]
        told = (
            "it pays most where labels are few"
            if self.gains[first] > self.gains[last]
            else "on these digits it did not pay more with few labels than with many"
        )
        return (
            f"Pretraining gained {self.gains[first] * 100:+.1f} points at {first:,} labels and "
            f"{self.gains[last] * 100:+.1f} points at {last:,}: {told} (one labelled subset per count; "
            "a difference under about 2 points is within the noise of 1,000 test digits)."
        )


def label_sweep(
    stack: d.Stack, seed: int = 0, device: str = "cpu", callback: Callable[[int, dict], None] | None = None
) -> LabelSweep:
    """Get (from the store, or by training once) the three classifiers for every count of
    :data:`~annlab.stacked.defaults.LABEL_COUNTS` on the stack of ``stack``, and compare them.

    ``callback(step, {"fraction", "text"})`` reports progress (one step per classifier)."""
    comps = _compare_each(d.sweep_specs(stack, seed), device, callback, lambda n: f"{n:,} labels")
    tables = [comp.table for comp in comps.values()]
    return LabelSweep(pd.concat(tables, ignore_index=True), {n: comp.gain for n, comp in comps.items()})


def _compare_each(specs: dict, device: str, callback, name: Callable[[object], str]) -> dict:
    """For each entry of ``specs`` (its three classifier specs by kind), get the three classifiers (from
    the store, or by training once) and compare them; progress is one step per classifier."""
    total, step, comps = 3 * len(specs), 0, {}
    for item, three in specs.items():
        results = []
        for kind, spec in three.items():
            if callback:
                callback(step, {"fraction": step / total, "text": f"{name(item)}: {d.KIND_NAMES[kind]}"})
            results.append(jobs.run(spec, device))
            step += 1
        comps[item] = compare(*results)
    if callback:
        callback(total, {"fraction": 1.0, "text": "done"})
    return comps


@dataclass(frozen=True)
class SubsetGains:
    """What pretraining buys with one number of labels, measured on several labelled subsets.

    Attributes
    ----------
    table : one row per subset: ``seed`` (draws the subset and the random weights), ``before``,
        ``after``, ``scratch`` (test accuracies) and ``gain`` (after minus scratch)
    n_labels : labelled digits in each subset
    mean, se : mean gain over the subsets and its standard error (sample standard deviation / sqrt(k))
    every_digit : every training digit is labelled, so the runs share the digits and differ only in
        their random weights and augmentation
    """

    table: pd.DataFrame
    n_labels: int
    mean: float
    se: float
    every_digit: bool = False

    def summary(self) -> str:
        """What the measurement says, in words that follow the numbers (small gains are called small)."""
        k, m, se = len(self.table), self.mean * 100, self.se * 100
        spread = ", ".join(f"{g * 100:+.1f}" for g in self.table["gain"])
        runs = (
            f"{k} runs with all {self.n_labels:,} training digits labelled (only the random weights differ)"
            if self.every_digit
            else f"{k} labelled subsets of {self.n_labels:,} digits"
        )
        head = (
            f"Over **{runs}**, fine-tuned stack minus network "
            f"from random weights: **{m:+.1f} points on average** (standard error {se:.1f} points; per "
            f"subset {spread})."
        )
        if m - 2 * se > 0 and m >= 3:
            verdict = " Pretraining clearly pays here: the images without labels taught the stack something."
        elif m - 2 * se > 0:
            verdict = (
                " The gain is real (more than two standard errors above zero) but small: the network from "
                "random weights, with ReLU units, a scaled initialisation, AdamW and the same augmentation, "
                "already learns most of what the unlabelled images could teach."
            )
        elif m + 2 * se < 0:
            verdict = " Here pretraining hurt: the network from random weights did better on every count."
        else:
            verdict = (
                " That is within two standard errors of zero: on these digits pretraining does not "
                "reliably help. A modern network from random weights with the same augmentation learns "
                "almost as well from the labels alone."
            )
        return head + verdict


def subset_gains(
    stack: d.Stack, seed: int = 0, device: str = "cpu", callback: Callable[[int, dict], None] | None = None
) -> SubsetGains:
    """Get (from the store, or by training once) the three classifiers for ``stack.n_labels`` labels on
    :data:`~annlab.stacked.defaults.N_SUBSETS` labelled subsets (see
    :func:`~annlab.stacked.defaults.subset_specs`) and the gain of pretraining on each.

    ``callback(step, {"fraction", "text"})`` reports progress (one step per classifier)."""
    comps = _compare_each(d.subset_specs(stack, seed), device, callback, lambda s: f"subset {s}")
    rows = []
    for s, comp in comps.items():
        acc = {kind: comp.accuracy(kind) for kind in ORDER}
        rows.append({"seed": s, "before": acc["frozen"], "after": acc["finetune"], "scratch": acc["scratch"]})
    table = pd.DataFrame(rows)
    table["gain"] = table["after"] - table["scratch"]
    gains = table["gain"].to_numpy()
    se = float(gains.std(ddof=1) / math.sqrt(len(gains))) if len(gains) > 1 else float("nan")
    every = stack.n_labels >= len(d.fit_val().y_fit)
    return SubsetGains(table, stack.n_labels, float(gains.mean()), se, every)


@torch.no_grad()
def first_filters(layer1: TrainResult, n: int = 100) -> np.ndarray:
    """The encoder weights of the first ``n`` units of layer 1, one 28x28 image each: (n, 784)."""
    w = layer1.model.encoder.weight  # (n_hidden, 784)
    return w[:n].detach().cpu().numpy().copy()


@dataclass(frozen=True)
class Reconstructions:
    """Test digits rebuilt through the stack.

    Attributes
    ----------
    grid : (1 + K) * n images (n, 784) stacked: the digits, then their reconstructions from the codes of
        layer 1, 2, ... K (encode up to layer k, decode back down through layers k ... 1)
    errors : per depth k, the mean squared error per pixel over all test digits
    n : digits per row
    """

    grid: np.ndarray
    errors: tuple[float, ...]
    n: int


@torch.no_grad()
def reconstruct(layers: list[TrainResult], X: np.ndarray, depth: int) -> np.ndarray:
    """Pixels (N, 784) -> codes of layer ``depth`` -> back down to pixels (N, 784) in [0, 1]."""
    h = torch.tensor(np.asarray(X, np.float32))
    for r in layers[:depth]:
        h = r.model.encode(h)
    for k in range(depth - 1, -1, -1):
        h = layers[k].model.decode(h)
        if k > 0:
            h = F.relu(h)  # a code of a ReLU layer is never negative
    return h.numpy()


def reconstructions(layers: list[TrainResult], first: int = 0, n: int = d.N_SHOWN) -> Reconstructions:
    """Test digits ``first .. first+n`` and their reconstructions from every depth of the stack."""
    split, _ = d.data()
    X = split.X_test
    shown = np.asarray(X[first : first + n], np.float32)
    rows, errors = [shown], []
    for depth in range(1, len(layers) + 1):
        rows.append(reconstruct(layers, shown, depth))
        errors.append(float(np.mean((reconstruct(layers, X, depth) - X) ** 2)))
    return Reconstructions(np.concatenate(rows), tuple(errors), n)


@dataclass(frozen=True)
class LayerBaselines:
    """Each layer's reconstruction of its own input beside PCA with as many components.

    Attributes
    ----------
    table : one row per layer: ``layer``, ``input -> code`` (sizes), ``autoencoder MSE`` (mean squared
        error per input value of the clean test input rebuilt through the layer), ``PCA MSE`` (PCA with
        ``code`` components fitted on the layer's input for the fit digits, the same test input),
        ``validation loss`` (the layer's last-epoch loss on the validation digits, as trained)
    stack : per depth k, pixels rebuilt from the codes of layer k (the reconstruction grid's errors)
        beside PCA of the pixels with as many components as layer k has units: (depth, units, AE, PCA)
    """

    table: pd.DataFrame
    stack: tuple[tuple[int, int, float, float], ...]

    def sentence(self) -> str:
        """Where the autoencoders beat PCA of the same size, in words that follow the numbers."""
        rows = self.table.to_dict("records")
        lost = [r["layer"] for r in rows if r["autoencoder MSE"] > r["PCA MSE"]]
        if not lost:
            return "Every layer rebuilds its test input better than PCA with as many components."
        which = ", ".join(str(k) for k in lost)
        kept = [r["layer"] for r in rows if r["layer"] not in lost]
        many = len(kept) > 1
        beat = (
            f" Layer{'s' if many else ''} {', '.join(map(str, kept))} beat{'' if many else 's'} it."
            if kept
            else ""
        )
        return (
            f"Layer{'s' if len(lost) > 1 else ''} {which} rebuild{'' if len(lost) > 1 else 's'} "
            f"{'their' if len(lost) > 1 else 'its'} test input worse than PCA with as many components (PCA "
            "is the best linear reconstruction of that size; a non-linear code can beat it, but did not "
            f"here).{beat}"
        )


def _pca_mse(fit: np.ndarray, test: np.ndarray, k: int) -> float:
    """Mean squared error per value of ``test`` rebuilt by PCA with ``k`` components fitted on ``fit``."""
    from sklearn.decomposition import PCA

    k = min(k, *fit.shape)
    pca = PCA(n_components=k, svd_solver="full").fit(fit)
    return float(np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2))


@torch.no_grad()
def layer_baselines(layers: list[TrainResult]) -> LayerBaselines:
    """Every layer's test reconstruction MSE (of its own input) beside PCA of that input with as many
    components as the layer has units; and the pixels rebuilt from each depth beside PCA of the pixels."""
    split, _ = d.data()
    fit, test = np.asarray(d.fit_val().X_fit, np.float32), np.asarray(split.X_test, np.float32)
    rows, pix_fit, pix_test = [], fit, test
    for k, r in enumerate(layers, start=1):
        cfg = r.config
        rebuilt = r.model(torch.tensor(test)).numpy()
        rows.append(
            {
                "layer": k,
                "input -> code": f"{cfg.n_in} -> {cfg.n_hidden}",
                "autoencoder MSE": float(np.mean((rebuilt - test) ** 2)),
                "PCA MSE": _pca_mse(fit, test, cfg.n_hidden),
                "validation loss": float(r.history[-1]["val_loss"]) if r.history else float("nan"),
            }
        )
        fit, test = pt.encode(r.model, fit), pt.encode(r.model, test)
    deep = []
    for depth, r in enumerate(layers, start=1):
        units = r.config.n_hidden
        ae = float(np.mean((reconstruct(layers, pix_test, depth) - pix_test) ** 2))
        pca = rows[0]["PCA MSE"] if depth == 1 else _pca_mse(pix_fit, pix_test, units)  # depth 1: layer 1
        deep.append((depth, units, ae, pca))
    return LayerBaselines(pd.DataFrame(rows), tuple(deep))


def report_table() -> pd.DataFrame:
    """The report's numbers (full MNIST, every label, after fine-tuning), to quote beside ours."""
    return pd.DataFrame([{"setting (report 001, section 3.1)": s, "test accuracy": a} for s, a in d.REPORT])
