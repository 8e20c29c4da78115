"""Stacked autoencoders: the page's default stack, pretrained and fine-tuned as the page does it.

Default run: a fresh, private model store; the default stack (784-512-256-128, denoising) is pretrained
layer by layer through the store, then for each number of labelled digits the three classifiers
(softmax on frozen codes, fine-tuned stack, same network from random weights) are trained and
measured on the 1,000 held-out test digits (scored once, after training). ``pretrain_s`` is the wall
time of the layers, ``finetune_s`` that of fine-tuning with every fit digit labelled (3,600, the
longest); the goal is their sum <= 90 s.

Validation (``val_from: "train"``): 400 digits carved from the 4,000 training digits (stratified);
pretraining and the labelled subsets come from the other 3,600. ``layer_val_loss`` is each layer's
last-epoch reconstruction loss on them (summed over the layer's inputs, as trained), ``val_after`` the
fine-tuned stack's last-epoch validation accuracy per count. ``layer_mse`` / ``layer_pca_mse``: each
layer's test reconstruction MSE of its own input beside PCA with as many components (fitted on the fit
digits); ``depth_mse`` / ``depth_pca_mse``: pixels rebuilt from the codes of layer k beside PCA of the
pixels with as many components.

With 100 labels the gain of pretraining (fine-tuned minus scratch) is also measured on
``N_SUBSETS`` labelled subsets (classifier seeds 0, 1, ...; the same pretrained stack, as the page's
"What pretraining buys" tab does it): ``gain_100`` is their mean, ``gain_100_se`` its standard error
(sample standard deviation / sqrt(k)), ``gain_100_subsets`` the per-subset accuracies.

The defaults themselves were chosen on validation digits carved from the training digits by
``bench/stacked_select.py`` (recorded in ``annlab/stacked/selection.json``); this bench only reports
test accuracy, it chooses nothing.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/stacked.py [--all]``. The last line is one JSON object.
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

import torch  # noqa: E402

from annlab import jobs
from annlab.stacked import defaults as d  # noqa: E402
from annlab.stacked import experiments as ex  # noqa: E402

GOAL_ACC_ALL, GOAL_GAIN_100, GOAL_SECONDS = 0.97, 0.03, 90.0


def measure(counts: tuple[int, ...]) -> dict:
    """Train the default stack and its classifiers through a fresh store; test accuracies and times."""
    stack = d.STACK
    layer_specs = d.layer_specs(stack)
    start = time.perf_counter()
    for spec in layer_specs:
        jobs.run(spec, "cpu")
    pretrain_s = time.perf_counter() - start
    out = {"acc_before": {}, "acc_after": {}, "acc_scratch": {}, "se": {}, "seconds": {}, "val_after": {}}
    for n in counts:
        three = d.classifier_specs(dataclasses.replace(stack, n_labels=n), 0, layer_specs)
        results, times = [], {}
        for kind, spec in three.items():
            t = time.perf_counter()
            results.append(jobs.run(spec, "cpu"))
            times[kind] = round(time.perf_counter() - t, 2)
        comp = ex.compare(*results)
        out["val_after"][n] = round(results[1].history[-1]["val_acc"], 4)
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
        "warp_px": stack.warp,
        "classifier": d.CLF,
        **{k: out[k] for k in ("acc_before", "acc_after", "acc_scratch")},
        "se_max": out["se"],
        "pretrain_s": round(pretrain_s, 2),
        "finetune_s": finetune_s,
        "finetune_labels": max(counts),
        "classifier_s": out["seconds"],
        "val_from": "train",
        "n_val": len(d.fit_val().y_val),
        "val_after": out["val_after"],
    }
    layers = [jobs.run(s, "cpu") for s in layer_specs]
    base = ex.layer_baselines(layers)
    res["layer_val_loss"] = [round(float(r.history[-1]["val_loss"]), 4) for r in layers]
    res["layer_mse"] = [float(f"{v:.3g}") for v in base.table["autoencoder MSE"]]
    res["layer_pca_mse"] = [float(f"{v:.3g}") for v in base.table["PCA MSE"]]
    res["depth_mse"] = [float(f"{ae:.3g}") for _, _, ae, _ in base.stack]
    res["depth_pca_mse"] = [float(f"{pca:.3g}") for _, _, _, pca in base.stack]
    every = max(d.LABEL_COUNTS)
    if every in counts:
        res[f"goal_acc_after_{every}"] = res["acc_after"][every] >= GOAL_ACC_ALL
    if 100 in counts:
        gains = ex.subset_gains(dataclasses.replace(stack, n_labels=100), 0)
        res["gain_100"] = round(gains.mean, 4)
        res["gain_100_se"] = round(gains.se, 4)
        res["gain_100_subsets"] = gains.table.round(4).to_dict("records")
        res["goal_gain_100"] = res["gain_100"] >= GOAL_GAIN_100
    res["goal_seconds"] = pretrain_s + finetune_s <= GOAL_SECONDS
    return res


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--all", action="store_true", help="every count the page offers, not only 100 and every fit digit"
    )
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    counts = d.LABEL_COUNTS if args.all else (100, max(d.LABEL_COUNTS))
    res = measure(counts)
    res["torch_threads"] = torch.get_num_threads()
    res["load_average_1min"] = round(os.getloadavg()[0], 2)
    return res


if __name__ == "__main__":
    print(json.dumps(main()))
