"""Hopfield benchmark: the newhop figure, basins, digits under flipped bits, capacity sweep and canvas speed.

Run: ``.venv/bin/python bench/hopfield.py``. The last line is one JSON object with the keys
newhop_2d_stable_corners, basin_fractions, digits_acc_by_flip, capacity_sweep_s, canvas_retrieval_ms,
and (issue 15) gauss_acc_by_level and iters_by_level: the ten MNIST prototypes at 16x16, 20 noisy copies
of each per Gaussian level (0, 2, 5, 10; newhop and the pseudo-inverse, 20 synchronous iterations):
accuracy, mean iterations of the probes that settled and the share that did not; noise_slider_s is the
page's precomputation of every noise slider position (issue 18).
BLAS runs single-threaded; the capacity sweep uses two threads (one per storage rule).
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from annlab.hopfield import core as hc  # noqa: E402
from annlab.hopfield import digits as hd  # noqa: E402
from annlab.preprocess import digit_from_canvas, downsample  # noqa: E402

TWO = np.array([[1, 1], [-1, -1], [1, -1]], float)


def newhop_figure() -> tuple[list, dict]:
    W, b = hc.store(TWO, "newhop")
    cfg = hc.HopfieldConfig("newhop", max_iter=300)
    corners = hc.stable_corners(W, b, cfg)
    tr = hc.run(W, b, hc.random_starts(10_000, 2, seed=0), cfg)
    labels = hc.label_states(tr.final, tr.converged, TWO, W, b, cfg)
    table = hc.attractor_table(tr, labels)
    basins = {row["final state"]: round(float(row["share"]), 4) for _, row in table.iterrows()}
    return [list(map(int, c)) for c in corners], basins


def digits_by_flip(source="mnist", side=16) -> dict:
    P = np.array(hd.prototypes(source, side))
    flips = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4]
    df = hd.noise_sweep(P, ["hebbian", "pseudoinverse"], flips, kind="flip", repeats=20, max_iter=30)
    return {
        f"{f:g}": {
            r: round(float(df[(df.rule == r) & (df.noise == f)]["accuracy"].item()), 3)
            for r in ("hebbian", "pseudoinverse")
        }
        for f in flips
    }


GAUSS_LEVELS = (0.0, 2.0, 5.0, 10.0)
GAUSS_RULES = ("newhop", "pseudoinverse")


def digits_by_gauss(source="mnist", side=16) -> tuple[dict, dict]:
    P = np.array(hd.prototypes(source, side))
    df = hd.noise_sweep(P, GAUSS_RULES, GAUSS_LEVELS, kind="gauss", repeats=20, max_iter=20)
    acc, iters = {}, {}
    for g in GAUSS_LEVELS:
        rows = {r: df[(df.rule == r) & (df.noise == g)].iloc[0] for r in GAUSS_RULES}
        acc[f"{g:g}"] = {r: round(float(row["accuracy"]), 3) for r, row in rows.items()}
        iters[f"{g:g}"] = {
            r: {
                "mean": round(float(row["iterations"]), 2),
                "not_converged": round(float(row["not_converged"]), 3),
            }
            for r, row in rows.items()
        }
    return acc, iters


def noise_slider_time() -> float:
    from annlab.hopfield import defaults
    from annlab.hopfield import experiments as ex

    start = time.perf_counter()
    ex.digit_recall_levels(defaults.digits(), defaults.FLIP.default, 0)
    return time.perf_counter() - start


def capacity_time() -> float:
    hd.capacity_sweep(n=40, p_max=5, trials=2)  # warm-up: imports, thread pool
    best, cpu = np.inf, np.inf
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        df = hd.capacity_sweep(n=100, p_max=50, trials=50, flips=(0.0, 0.1, 0.2))
        best, cpu = min(best, time.perf_counter() - t), min(cpu, time.process_time() - c)
    print(
        f"capacity sweep: best wall {best:.2f} s, process CPU {cpu:.2f} s (all threads), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        file=sys.stderr,
    )
    assert len(df) == 3 * 3 * 50
    hebb = df[(df.rule == "hebbian") & (df.flip == 0.0)].set_index("P")["recall"]
    print(
        f"Hebbian exact recall at P = 5, 10, 14, 20, 30: "
        f"{[round(float(hebb[p]), 3) for p in (5, 10, 14, 20, 30)]}",
        file=sys.stderr,
    )
    return float(best)


def drawing() -> np.ndarray:
    """A mouse-drawn '7' as the canvas returns it: (280, 280, 4) uint8, white ink on black."""
    img = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(img).line([(70, 60), (210, 60), (120, 230)], fill=(255, 255, 255, 255), width=20)
    return np.asarray(img)


def canvas_ms(source="mnist", side=16, rule="pseudoinverse") -> float:
    P = np.array(hd.prototypes(source, side))
    W, b = hc.store(P, rule)  # the page caches the weights; a retrieval starts from the drawing
    cfg = hc.HopfieldConfig(rule, "synchronous", 20)
    rgba = drawing()
    times = []
    for _ in range(21):
        t = time.perf_counter()
        x0 = hd.binarise(downsample(digit_from_canvas(rgba), side))
        states, energy, iters = hd.retrieve_drawing(W, b, x0, cfg)
        which, inverse = hd.identify(states[-1:], P)
        times.append(time.perf_counter() - t)
    print(
        f"drawn 7 -> {hd.outcome(7, int(which[0]), bool(inverse[0]))} after {iters} iterations",
        file=sys.stderr,
    )
    return float(np.median(times) * 1000)


def main() -> None:
    corners, basins = newhop_figure()
    gauss, iters = digits_by_gauss()
    out = {
        "newhop_2d_stable_corners": corners,
        "basin_fractions": basins,
        "digits_acc_by_flip": digits_by_flip(),
        "capacity_sweep_s": round(capacity_time(), 3),
        "canvas_retrieval_ms": round(canvas_ms(), 2),
        "gauss_acc_by_level": gauss,
        "iters_by_level": iters,
        "noise_slider_s": round(noise_slider_time(), 2),
        "threads": "BLAS 1 (OMP_NUM_THREADS=1); capacity sweep 2 Python threads",
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
