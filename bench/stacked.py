"""Stacked autoencoders: the page's default stack, pretrained and fine-tuned as the page does it.

Default run: a fresh, private model store; the default stack (784-256-128-64, denoising) is pretrained
layer by layer through the store, then for each number of labelled digits the three classifiers
(softmax on frozen codes, fine-tuned stack, same network from random weights) are trained and
measured on the 1,000 held-out test digits. ``pretrain_s`` is the wall time of the layers,
``finetune_s`` that of fine-tuning with all 4,000 labels (the longest); the goal is their sum <= 90 s.

``--tune``: the comparison the defaults were chosen by, on a validation split carved from the training
digits (800 of the 4,000 held out, stratified, seed 123; pretraining and labels from the other
3,200). It never touches the test digits.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/stacked.py [--all] [--tune]``. The last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["ANNLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="annlab-bench-stacked-")
os.environ.pop("ANNLAB_FAST", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from annlab.stacked import defaults as d  # noqa: E402
from annlab.stacked import experiments as ex  # noqa: E402
from annlab.stacked import pretrain as pt  # noqa: E402

GOAL_ACC_4000, GOAL_GAIN_100, GOAL_SECONDS = 0.97, 0.03, 90.0


def measure(counts: tuple[int, ...]) -> dict:
    """Train the default stack and its classifiers through a fresh store; test accuracies and times."""
    stack = d.STACK
    layer_specs = d.layer_specs(stack)
    start = time.perf_counter()
    for spec in layer_specs:
        spec.run("cpu")
    pretrain_s = time.perf_counter() - start
    out = {"acc_before": {}, "acc_after": {}, "acc_scratch": {}, "se": {}, "seconds": {}}
    for n in counts:
        three = d.classifier_specs(dataclasses.replace(stack, n_labels=n), 0, layer_specs)
        results, times = [], {}
        for kind, spec in three.items():
            t = time.perf_counter()
            results.append(spec.run("cpu"))
            times[kind] = round(time.perf_counter() - t, 2)
        comp = ex.compare(*results)
        for key, kind in (("acc_before", "frozen"), ("acc_after", "finetune"), ("acc_scratch", "scratch")):
            out[key][n] = round(comp.accuracy(kind), 4)
        out["se"][n] = round(float(comp.table["se"].max()), 4)
        out["seconds"][n] = times
        print(f"{n} labels: {comp.table[['kind', 'accuracy']].to_dict('records')} {times}", file=sys.stderr)
    finetune_s = out["seconds"][max(counts)]["finetune"]
    res = {
        "stack": stack.name,
        "corruption": stack.corruption,
        "layer_epochs": stack.layer_epochs,
        "classifier_epochs": stack.epochs,
        "shift_px": stack.shift,
        **{k: out[k] for k in ("acc_before", "acc_after", "acc_scratch")},
        "se_max": out["se"],
        "pretrain_s": round(pretrain_s, 2),
        "finetune_s": finetune_s,
        "finetune_labels": max(counts),
        "classifier_s": out["seconds"],
    }
    if 4000 in counts:
        res["goal_acc_after_4000"] = res["acc_after"][4000] >= GOAL_ACC_4000
    if 100 in counts:
        res["gain_100"] = round(res["acc_after"][100] - res["acc_scratch"][100], 4)
        res["goal_gain_100"] = res["gain_100"] >= GOAL_GAIN_100
    res["goal_seconds"] = pretrain_s + finetune_s <= GOAL_SECONDS
    return res


def _classifier(stack: d.Stack, kind: str, data: tuple, start):
    """One classifier of ``stack`` on (X, y, X_val, y_val), as the page trains it."""
    lr = d.FROZEN_LR if kind == "frozen" else d.CLF["lr"]
    below = "" if kind == "scratch" else "validation"
    cfg = pt.ClassifierConfig(
        kind, stack.sizes, len(data[1]), stack.epochs, shift=stack.shift, below=below, **{**d.CLF, "lr": lr}
    )
    return pt.train_classifier(cfg, pt.ClassifierData(*data, start))


def tune(counts: tuple[int, ...]) -> dict:
    """Validation accuracies of candidate settings (training digits only: 3,200 fit / 800 validate)."""
    split, _ = d.data()
    idx_fit, idx_val = train_test_split(
        np.arange(len(split.y_train)), test_size=800, stratify=split.y_train, random_state=123
    )
    X, y = np.array(split.X_train[idx_fit]), np.array(split.y_train[idx_fit])
    Xv, yv = np.array(split.X_train[idx_val]), np.array(split.y_train[idx_val])
    candidates = {
        "default": d.STACK,
        "plain autoencoders": dataclasses.replace(d.STACK, corruption=0.0),
        "no augmentation": dataclasses.replace(d.STACK, shift=0.0),
    }
    table = {}
    for name, stack in candidates.items():
        layers, codes, held = [], X, Xv
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
        table[name] = {}
        for n in counts:
            n_fit = min(n, len(y))
            idx = pt.labelled_subset(y, n_fit, 0)

            data = (X[idx], y[idx], Xv, yv)
            frozen = _classifier(stack, "frozen", data, layers)
            tuned = _classifier(stack, "finetune", data, frozen.model.state_dict())
            scratch = _classifier(stack, "scratch", data, None)
            accs = [round(r.extra["test_acc"], 4) for r in (frozen, tuned, scratch)]  # validation digits here
            table[name][n_fit] = dict(zip(("val_before", "val_after", "val_scratch"), accs, strict=True))
            print(name, n_fit, table[name][n_fit], file=sys.stderr, flush=True)
    return {"validation": table, "n_val": len(yv)}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--all", action="store_true", help="every count the page offers, not only 100 and 4000"
    )
    parser.add_argument("--tune", action="store_true", help="the validation comparison instead")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    counts = d.LABEL_COUNTS if args.all else (100, 4000)
    res = tune((100, 3200)) if args.tune else measure(counts)
    res["torch_threads"] = torch.get_num_threads()
    res["load_average_1min"] = round(os.getloadavg()[0], 2)
    return res


if __name__ == "__main__":
    print(json.dumps(main()))
