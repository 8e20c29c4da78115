"""Convolutions benchmark: the hand convolution, the Keras parameter count, the default CNN on MNIST-5k
against logistic regression and a dense network of the same size, the optimizer swap, shifted digits,
and the cost of the kernel-position figure.

Run: ``.venv/bin/python bench/cnn.py`` (models trained from scratch in a private cache folder).
``--select`` first trains the candidate designs on a validation split carved from the 4,000 training
digits (3,200 / 800, stratified) and reports their validation accuracy per epoch: that is how the
default design and its epochs were chosen; the test digits are not used for it.

Progress lines go to stderr; the LAST line of stdout is one JSON object with the keys
``conv_by_hand``, ``keras_params``, ``cnn_acc``, ``cnn_train_s``, ``logreg_acc``, ``dense_acc``,
``optimizer_acc``, ``shift_acc``, and also:

- ``cnn_train_cpu_s``: process CPU seconds of the same training (on a loaded machine wall time is
  inflated, CPU time is not); ``cnn_acc_se``, ``cnn_params``, ``dense_params``;
- ``slider_ms``: the work of one move of the kernel-position slider (the figure holds every position;
  a move sets one parameter on the cached spec). The full fragment time in a browser is measured by
  ``bench/latency.py --only CNN``. ``figure_build_ms``: building that figure once;
- ``cnn_val_acc``: the default CNN's last-epoch accuracy on ``n_val`` validation digits carved from the
  training split (``val_from: "train"``): the page's learning curves are drawn on them;
- ``torch_threads``, ``goals``, ``within_goals``.

Accuracies are on the 1,000 held-out MNIST-5k test digits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ANNLAB_CACHE_DIR", tempfile.mkdtemp(prefix="annlab-bench-cnn-"))
os.environ.pop("ANNLAB_FAST", None)

import torch  # noqa: E402

from annlab import jobs
from annlab.charts import style  # noqa: E402
from annlab.cnn import charts, conv, models, params  # noqa: E402
from annlab.cnn import defaults as D  # noqa: E402
from annlab.cnn import experiments as ex  # noqa: E402
from annlab.data import mnist, split  # noqa: E402

GOALS = {"cnn_acc": 0.98, "cnn_train_s": 60, "slider_ms": 60}
# Designs tried on the validation split (the default is the one chosen)
CANDIDATES = {
    "16-32, constant lr 1e-3, batch 64, 12 epochs": replace(
        D.DEFAULT_CNN, channels=(16, 32), schedule="constant", lr=0.0, batch_size=64, num_epochs=12
    ),
    "16-32, one-cycle 3e-3, batch 64, 12 epochs": replace(
        D.DEFAULT_CNN, channels=(16, 32), lr=3e-3, batch_size=64, num_epochs=12
    ),
    "16-32 + dense 128, dropout 0.3, one-cycle 3e-3, batch 64, 12 epochs": replace(
        D.DEFAULT_CNN, channels=(16, 32), dense=128, dropout=0.3, lr=3e-3, batch_size=64, num_epochs=12
    ),
    "16-32-64, one-cycle 3e-3, batch 64, 15 epochs": replace(D.DEFAULT_CNN, lr=3e-3, batch_size=64),
    "default: 16-32-64, one-cycle 4e-3, batch 128, 15 epochs": D.DEFAULT_CNN,
}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def select() -> dict:
    """Validation accuracy per epoch of each candidate (3,200 / 800 of the training digits)."""
    d = mnist()
    Xtr, Xva, ytr, yva = split(d.X_train, d.y_train, test_size=0.2, seed=0)
    data = {"X": Xtr, "y": ytr, "X_val": Xva, "y_val": yva}
    out = {}
    for name, cfg in CANDIDATES.items():
        cpu = time.process_time()
        r = models.train_classifier(cfg, data, seed=0)
        val = [round(h["val_acc"], 4) for h in r.history]
        out[name] = {
            "val_acc": val,
            "cpu_s": round(time.process_time() - cpu, 1),
            "params": r.extra["n_params"],
        }
        log(
            f"select {name}: final val acc {val[-1]:.4f}, "
            f"best {max(val):.4f} at epoch {val.index(max(val)) + 1}"
        )
    return out


def slider_ms() -> tuple[float, float]:
    """(ms per slider move, ms to build the figure once). The figure holds every kernel position and
    is built once per input, kernel and settings; a move only sets its ``pos`` parameter on the cached
    spec (what ``ui.chart(..., param_values=...)`` does)."""
    from annlab.ui.display import with_params

    X, K = conv.parse_matrix(D.HAND_X), conv.parse_matrix(D.HAND_K)
    hc = ex.hand_positions(X, K, D.HAND_STRIDE, D.HAND_PAD, D.HAND_DIL)
    t0 = time.perf_counter()
    spec = style(charts.window(hc.padded, hc.K, hc.output, hc.p, hc.s, hc.d)).to_dict()
    build = 1000 * (time.perf_counter() - t0)
    moves = []
    for _ in range(50):
        for w in hc.windows:
            t0 = time.perf_counter()
            with_params(spec, {"pos": w.index})
            moves.append(1000 * (time.perf_counter() - t0))
    return round(statistics.median(moves), 4), round(build, 1)


def run(do_select: bool) -> dict:
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    torch.set_num_threads(threads)
    out: dict = {"torch_threads": threads}
    if do_select:
        out["selection"] = select()
    X, K = conv.parse_matrix(D.HAND_X), conv.parse_matrix(D.HAND_K)
    out["conv_by_hand"] = conv.as_nested(conv.hand_conv(X, K, D.HAND_STRIDE, D.HAND_PAD, D.HAND_DIL).output)
    out["keras_params"] = params.total(D.KERAS)
    assert out["keras_params"] == ex.torch_count(D.KERAS)

    spec = D.default_spec()
    wall, cpu = time.perf_counter(), time.process_time()
    cnn = jobs.run(spec, "cpu")
    out["cnn_train_s"] = round(time.perf_counter() - wall, 1)
    out["cnn_train_cpu_s"] = round(time.process_time() - cpu, 1)
    s = ex.score(cnn, "mnist", 0, "CNN")
    out |= {"cnn_acc": round(s.acc, 4), "cnn_acc_se": round(s.se, 4), "cnn_params": s.n_params}
    out |= {
        "cnn_val_acc": round(cnn.history[-1]["val_acc"], 4),
        "n_val": cnn.extra["n_val"],
        "val_from": "train",
    }
    log(f"default CNN: test accuracy {s.text} in {out['cnn_train_s']} s ({out['cnn_train_cpu_s']} s CPU)")

    dense = jobs.run(D.dense_spec(D.DEFAULT_CNN), "cpu")
    ds = ex.score(dense, "mnist", 0, "dense")
    lr = ex.logistic_regression("mnist", 0)
    out |= {"dense_acc": round(ds.acc, 4), "dense_params": ds.n_params, "logreg_acc": round(lr.acc, 4)}
    log(f"dense network ({ds.n_params} parameters): {ds.text}; logistic regression: {lr.text}")

    race = ex.optimizer_race(D.KERAS, "mnist", 0, "cpu", callback=lambda i, info: log(info["text"]))
    out["optimizer_acc"] = {
        r["optimizer"]: round(r["test accuracy (once, after training)"], 4)
        for r in race.table.to_dict("records")
    }
    log(f"optimizers ({D.KERAS.num_epochs} epochs): {out['optimizer_acc']}")

    sweep = ex.shift_sweep(cnn, dense, "mnist", 0, D.MAX_SHIFT["mnist"])
    out["shift_acc"] = {
        str(k): {"cnn": round(sweep.at(k)["CNN"], 4), "dense": round(sweep.at(k)["dense network"], 4)}
        for k in range(D.MAX_SHIFT["mnist"] + 1)
    }
    out["slider_ms"], out["figure_build_ms"] = slider_ms()
    out["goals"] = GOALS | {"beats_baselines": True}
    out["within_goals"] = {
        "cnn_acc": out["cnn_acc"] >= GOALS["cnn_acc"],
        "cnn_train_s": out["cnn_train_s"] <= GOALS["cnn_train_s"],
        "slider_ms": out["slider_ms"] <= GOALS["slider_ms"],
        "beats_baselines": out["cnn_acc"] > max(out["dense_acc"], out["logreg_acc"]),
    }
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Convolutions benchmark (last line: one JSON object).")
    parser.add_argument(
        "--select", action="store_true", help="first compare the candidate designs on validation"
    )
    print(json.dumps(run(parser.parse_args().select)))
