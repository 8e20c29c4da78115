"""Attention / ViT benchmark: NumPy and torch attention against scaled_dot_product_attention, then the
page's default ViT, the dense baseline and the Convolutions page's default CNN trained from scratch
(private cache folder) and scored on the 1,000 held-out MNIST-5k test digits, then the report's grid.

Run: ``OMP_NUM_THREADS=2 .venv/bin/python bench/vit.py``. ``BENCH_THREADS`` sets torch's threads
(default 2), ``BENCH_GRID_EPOCHS`` the epochs per grid configuration (default 5; 0 skips the grid).
Progress lines go to stderr; the LAST line of stdout is one JSON object with the keys
``attention_max_diff``, ``vit_params``, ``vit_acc``, ``vit_train_s``, ``vit_train_acc``, ``cnn_acc``,
``grid`` (list of {config, params, seconds, acc, val_acc}), plus ``dense_acc``, ``cnn_train_s``,
``dense_train_s``, ``vit_acc_se``, ``vit_cpu_s`` (CPU seconds of the ViT's training), ``threads`` and
``goals``. ``vit_val_loss`` / ``vit_val_acc`` are the last epoch's on the ``n_val`` validation digits
carved from the training split (``val_from: "train"``); every ``acc`` is on the test digits, scored once
after training.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ANNLAB_CACHE_DIR", tempfile.mkdtemp(prefix="annlab-bench-vit-"))
os.environ.pop("ANNLAB_FAST", None)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from annlab import jobs
from annlab.attention import defaults as D  # noqa: E402
from annlab.attention import experiments as ex  # noqa: E402
from annlab.attention import selfattention as sa  # noqa: E402


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def attention_check(cases: int = 200, seed: int = 0) -> float:
    """Largest |NumPy - SDPA| and |torch - SDPA| over random shapes, with and without mask and scaling."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for i in range(cases):
        n, d_model, d_k, d_v, heads = (int(rng.integers(1, hi)) for hi in (33, 65, 129, 65, 9))
        X = rng.normal(size=(n, d_model))
        W = sa.random_weights(d_model, d_k, d_v, heads, seed=i)
        kw = dict(causal=bool(i % 2), scaled=bool((i // 2) % 2))
        ref = sa.attention_sdpa(X, **W, **kw)
        worst = max(
            worst,
            sa.max_abs_diff(sa.attention_numpy(X, **W, **kw)["out"], ref),
            sa.max_abs_diff(sa.attention_torch(X, **W, **kw)["out"], ref),
        )
    return worst


def timed(spec):
    """Train ``spec`` on the CPU: the result, wall-clock seconds and this process's CPU seconds (the
    latter says what the run costs when other programs share the cores)."""
    t0, c0 = time.perf_counter(), time.process_time()
    res = jobs.run(spec, "cpu")
    return res, round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)


def main() -> dict:
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    grid_epochs = int(os.environ.get("BENCH_GRID_EPOCHS", "5"))
    diff = attention_check()
    log(f"attention: largest difference to scaled_dot_product_attention {diff:.2e}")

    vit, vit_s, vit_cpu = timed(D.vit_spec())
    curve = [round(r["val_acc"], 3) for r in vit.history]
    log(f"ViT {vit.config.label}: {vit_s} s ({vit_cpu} CPU s), validation accuracy per epoch {curve}")
    dense, dense_s, _ = timed(D.dense_spec())
    log(f"dense: {dense_s} s")
    cnn, cnn_s, _ = timed(D.cnn_spec())
    log(f"CNN: {cnn_s} s")
    table = ex.comparison(vit, cnn, dense).set_index("network")
    log(table.to_string())
    vit_row = table.loc["ViT (this page)"]

    grid = []
    if grid_epochs > 0:
        t0 = time.perf_counter()
        df = ex.report_grid(
            grid_epochs,
            callback=lambda s, info: log(info.get("text", "")) if "done" in info.get("text", "") else None,
        )
        log(f"grid ({grid_epochs} epochs each): {time.perf_counter() - t0:.0f} s")
        grid = [
            {
                "config": r["config"],
                "params": int(r["parameters"]),
                "seconds": round(float(r["seconds"]), 1),
                "acc": round(float(r["test accuracy"]), 4),
                "val_acc": round(float(r["validation accuracy"]), 4),
                "train_acc": round(float(r["train accuracy"]), 4),
                "epochs": grid_epochs,
            }
            for _, r in df.iterrows()
        ]
    acc = float(vit_row["test accuracy"])
    return {
        "attention_max_diff": diff,
        "vit_params": int(vit_row["parameters"]),
        "vit_acc": round(acc, 4),
        "vit_acc_se": round(float(vit_row["± std. error"]), 4),
        "vit_train_s": vit_s,
        "vit_cpu_s": vit_cpu,
        "vit_train_acc": round(float(vit.history[-1]["train_acc"]), 4),
        "vit_val_loss": round(float(vit.history[-1]["val_loss"]), 4),
        "vit_val_acc": round(float(vit.history[-1]["val_acc"]), 4),
        "n_val": int(vit.extra["n_val"]),
        "val_from": "train",
        "cnn_acc": round(float(table.loc["CNN (Convolutions page default)", "test accuracy"]), 4),
        "cnn_train_s": cnn_s,
        "dense_acc": round(float(table.loc["dense network", "test accuracy"]), 4),
        "dense_train_s": dense_s,
        "grid": grid,
        "threads": threads,
        "goals": {
            "vit_acc>=0.96": acc >= 0.96,
            "vit_train_s<=120": vit_s <= 120,
            "attention_max_diff<=1e-5": diff <= 1e-5,
        },
    }


if __name__ == "__main__":
    print(json.dumps(main()))
