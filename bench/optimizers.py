"""Benchmark of the optimizer page: the quoted iteration counts, the bump, and how live the race feels.

Run: ``.venv/bin/python bench/optimizers.py``. Prints progress lines, then ONE JSON object (last line):

- ``kappa100_gd_iters``: gradient descent, lr = 2/(L+μ), on f = (x² + 100 y²)/2 from (−1, 1): first k with
  ‖x_k‖ ≤ 1e-6·‖x_0‖ (theory ⌈ln 1e-6 / ln(99/101)⌉ = 691).
- ``kappa100_momentum_iters``: heavy ball (torch.optim.SGD momentum), tuned: the best measured count over a
  fine β scan (lr = 2(1+β)/(L+μ)), same tolerance (rate theory at Polyak's β*: 69; measured at exactly β*
  it is 93 because of the double root, printed above the JSON).
- ``adam_bump_max_theta``: largest bump height Adam crosses from x0 = 0 with lr 0.3 in 20 steps.
- ``seed004_gd_path``: x_1 ... x_6 of gradient descent (α = 0.3) on seed 004's piecewise-linear bump.
- ``seed004_adam_max_theta``: Adam's highest point (α = 0.3, 20 steps, torch.optim.Adam), 2 decimals
  (the report: 1.41), and ``seed004_adam_widest_bump``: the widest (= highest) bump it escapes (0.41).
- ``race_s``: seconds for 6 optimizers x 1,000 full-batch epochs on the 1-D sine, 2 hidden layers of 50
  (goal <= 3 s on 2 cores), ``race_cpu_s`` the CPU seconds of this process for it (less sensitive to a
  loaded machine); ``default_race_s``: the page's default race (with mini-batch SGD).
- ``grid_s``: seconds for the default 3 x 3 x 2 x 3 model-selection grid (Adam, 300 epochs per model).
- ``warm_s``: ``annlab.optim.defaults.warm`` into an empty store: every noise slider position (41 races),
  the sweeps' defaults and the regularisation race (skip with ``--no-warm``).
- ``torch_threads``: the torch threads used (1).
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annlab.optim import landscape as ls  # noqa: E402
from annlab.optim import race as rc  # noqa: E402

torch.set_num_threads(1)


def main() -> dict:
    gd = ls.measured_iterations(100, "GD (full batch)", ls.optimal_gd_lr(100))
    lr_star, beta_star = ls.polyak(100)
    star = ls.measured_iterations(100, "Momentum", lr_star, beta_star)
    star_rate = ls.measured_rate(100, "Momentum", lr_star, beta_star)
    betas = sorted(set(np.round(np.arange(0.60, 0.80, 0.0025), 4)) | {round(beta_star, 6)})
    scan = ls.beta_scan(100, betas)
    pairs = zip(scan["measured"], scan["beta"], strict=True)
    best, best_beta = min((m, b) for m, b in pairs if m is not None)
    print(
        f"kappa=100: Polyak measured rate {star_rate:.4f} -> {ls.iterations_from_rate(star_rate):.0f} "
        "iterations (theory 69)",
        flush=True,
    )
    print(
        f"kappa=100: GD {gd} (theory 691); Polyak beta*={beta_star:.4f}: measured {star}, rate theory 69; "
        f"best over the beta scan: {best} at beta={best_beta}",
        flush=True,
    )

    theta = ls.max_theta_crossed("Adam", 0.3, 20)
    gd_theta = ls.max_theta_crossed("GD (full batch)", 0.3, 20)
    print(f"bump: Adam crosses up to theta={theta}, GD up to {gd_theta}", flush=True)

    gd_path = [round(float(v), 4) for v in ls.linear_bump_path("GD (full batch)", 0.3, 6, k=0.5)[1:]]
    adam_high, adam_widest = ls.linear_bump_escape("Adam", 0.3, 20)
    print(f"seed 004: GD path {gd_path}; Adam highest {adam_high:.4f}, widest bump {adam_widest}", flush=True)

    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Momentum", "Nesterov", "Adagrad", "RMSProp", "Adam"),
        layers=2,
        units=50,
        num_epochs=1000,
    )
    rc.race(rc.RaceConfig(optimizers=("Adam",), num_epochs=20))  # warm-up (imports, allocator)
    t0, c0 = time.perf_counter(), time.process_time()
    res = rc.race(cfg, seed=0)
    race_s, race_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    print(f"race: {race_s:.2f} s wall, {time.process_time() - c0:.2f} s CPU of this process", flush=True)
    for r in res.runs:
        print(f"race {r.name:16s} {r.seconds[-1]:.2f} s  final val {r.final_val:.4f}", flush=True)

    t0 = time.perf_counter()
    rc.race(rc.RaceConfig(), seed=0)
    default_race_s = time.perf_counter() - t0
    print(f"default race (with mini-batch SGD): {default_race_s:.2f} s", flush=True)

    gcfg = rc.GridConfig()
    assert gcfg.size == 54
    t0, c0 = time.perf_counter(), time.process_time()
    grid = rc.model_selection(gcfg, seed=0)
    grid_s = time.perf_counter() - t0
    print(f"grid: {grid_s:.2f} s wall, {time.process_time() - c0:.2f} s CPU of this process", flush=True)
    print(f"grid: best {grid.best}, test MSE {grid.test_mse:.4f}", flush=True)
    warm_s = None
    if "--no-warm" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["ANNLAB_CACHE_DIR"] = tmp
            from annlab.optim import defaults

            t0 = time.perf_counter()
            defaults.warm("cpu", None, lambda text: print(f"warm: {text}", flush=True))
            warm_s = time.perf_counter() - t0
        print(f"warm: {warm_s:.1f} s", flush=True)
    return {
        "kappa100_gd_iters": gd,
        "kappa100_momentum_iters": best,
        "adam_bump_max_theta": theta,
        "seed004_gd_path": gd_path,
        "seed004_adam_max_theta": round(adam_high, 2),
        "seed004_adam_widest_bump": adam_widest,
        "race_s": round(race_s, 3),
        "race_cpu_s": round(race_cpu_s, 3),
        "default_race_s": round(default_race_s, 3),
        "grid_s": round(grid_s, 3),
        "warm_s": None if warm_s is None else round(warm_s, 1),
        "torch_threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
