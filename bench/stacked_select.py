"""Stacked autoencoders: the validation search the page's defaults were chosen by.

Only the 4,000 training digits are used: a stratified validation split of 800 is carved from them
(``--folds``: the split seeds, 123 first); pretraining sees the other 3,200 images, the classifiers
their labels (all 3,200, or a stratified subset with ``--labels``). The test digits are never loaded
into any number here. For each candidate the stack is pretrained as the page does it, then the softmax
on frozen codes and the fine-tuned stack are trained (``--scratch`` adds the network from random
weights); the row gives validation accuracies and the classifier seconds (1 torch thread).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/stacked_select.py [--only a,b] [--folds 123,7]
[--labels 3200] [--scratch]``. Progress lines go to stderr; the last line is one JSON object, the
table. ``annlab/stacked/selection.json`` records the chosen candidate and the table it won.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.pop("ANNLAB_FAST", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from annlab.stacked import defaults as d  # noqa: E402
from annlab.stacked import pretrain as pt  # noqa: E402

N_VAL = 800
OLD = {"batch_size": 64, "lr": 3e-3, "weight_decay": 1e-4, "dropout": 0.3}  # the classifiers before
# the stack before the search; a candidate names what it changes (the page's defaults are the chosen one)
BASE = d.Stack(n_layers=3, first_units=256, layer_epochs=20, corruption=0.3, epochs=100, shift=2.0, warp=0.0)
# short name -> (Stack fields, classifier settings); every classifier of a candidate gets the same ones
B128 = {**OLD, "batch_size": 128}
CANDIDATES: dict[str, tuple[dict, dict]] = {
    "old": ({"shift": 2.0}, OLD),  # the defaults before this search: batch 64, shifts of 2 px
    "b128": ({"shift": 2.0}, B128),
    "b128-w2": ({"shift": 2.0, "warp": 2.0}, B128),
    "b128-w3": ({"shift": 2.0, "warp": 3.0}, B128),
    "b128-512-w2": ({"shift": 2.0, "warp": 2.0, "first_units": 512}, B128),
    "b128-512-w2-lep10": ({"shift": 2.0, "warp": 2.0, "first_units": 512, "layer_epochs": 10}, B128),
    "b256-512-w2-lep10-lr5e-3": (
        {"shift": 2.0, "warp": 2.0, "first_units": 512, "layer_epochs": 10},
        {**OLD, "batch_size": 256, "lr": 5e-3},
    ),
}


def fold(seed: int) -> tuple[np.ndarray, ...]:
    """(X_fit, y_fit, X_val, y_val): 800 validation digits carved from the training digits."""
    split, _ = d.data()
    fit, val = train_test_split(
        np.arange(len(split.y_train)), test_size=N_VAL, stratify=split.y_train, random_state=seed
    )
    return (
        np.array(split.X_train[fit]),
        np.array(split.y_train[fit]),
        np.array(split.X_train[val]),
        np.array(split.y_train[val]),
    )


_PRETRAINED: dict = {}


def pretrain(stack: d.Stack, data: tuple, key: int) -> tuple[list[dict], float]:
    """The stack's layers pretrained on the fit images (as the page does it); state dicts and seconds."""
    memo = (stack.sizes, stack.corruption, stack.layer_epochs, key)
    if memo not in _PRETRAINED:
        X, _, Xv, _ = data
        start, layers, codes, held = time.perf_counter(), [], X, Xv
        for k, (a, b) in enumerate(zip(stack.sizes[:-1], stack.sizes[1:], strict=True), start=1):
            cfg = pt.LayerConfig(
                k,
                a,
                b,
                stack.corruption,
                stack.layer_epochs,
                d.LAYER_BATCH,
                d.LAYER_LR,
                "" if k == 1 else "v",
            )
            r = pt.train_layer(cfg, (codes, held))
            layers.append(r.model.state_dict())
            codes, held = pt.encode(r.model, codes), pt.encode(r.model, held)
        _PRETRAINED[memo] = (layers, time.perf_counter() - start)
    return _PRETRAINED[memo]


def classifier(stack: d.Stack, clf: dict, kind: str, data: tuple, start) -> tuple[float, float, object]:
    """One classifier trained as the page trains it; (validation accuracy, seconds, model)."""
    lr = d.FROZEN_LR if kind == "frozen" else clf["lr"]
    aug = {"shift": stack.shift, "warp": stack.warp}
    cfg = pt.ClassifierConfig(
        kind,
        stack.sizes,
        len(data[1]),
        stack.epochs,
        below="" if kind == "scratch" else "validation",
        **{**aug, **clf, "lr": lr},
    )
    t = time.perf_counter()
    r = pt.train_classifier(cfg, pt.ClassifierData(*data, start=start))  # no test digits: none scored
    return r.history[-1]["val_acc"], time.perf_counter() - t, r.model


def run(name: str, n_labels: int, fold_seed: int, scratch: bool, label_seed: int = 0) -> dict:
    fields, clf = CANDIDATES[name]
    stack = dataclasses.replace(BASE, **fields)
    X, y, Xv, yv = fold(fold_seed)
    layers, pre_s = pretrain(stack, (X, y, Xv, yv), fold_seed)
    idx = pt.labelled_subset(y, min(n_labels, len(y)), label_seed)
    data = (X[idx], y[idx], Xv, yv)
    before, _, frozen = classifier(stack, clf, "frozen", data, layers)
    after, ft_s, _ = classifier(stack, clf, "finetune", data, frozen.state_dict())
    row = {
        "candidate": name,
        "fold": fold_seed,
        "labels": len(idx),
        "label_seed": label_seed,
        "val_before": round(before, 4),
        "val_after": round(after, 4),
        "pretrain_s": round(pre_s, 1),
        "finetune_s": round(ft_s, 1),
    }
    if scratch:
        row["val_scratch"] = round(classifier(stack, clf, "scratch", data, None)[0], 4)
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated candidate names (default: all)")
    parser.add_argument("--folds", default="123", help="comma-separated validation split seeds")
    parser.add_argument("--labels", type=int, default=3200, help="labelled fit digits (3,200 = all)")
    parser.add_argument("--label-seeds", default="0", help="comma-separated labelled-subset seeds")
    parser.add_argument("--scratch", action="store_true", help="also the network from random weights")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    names = [n for n in args.only.split(",") if n] or list(CANDIDATES)
    rows = [
        run(name, args.labels, int(f), args.scratch, int(s))
        for name in names
        for f in args.folds.split(",")
        for s in args.label_seeds.split(",")
    ]
    return {"rows": rows, "n_val": N_VAL, "torch_threads": torch.get_num_threads()}


if __name__ == "__main__":
    print(json.dumps(main()))
