"""The honest choice of the time-series page's defaults: validation inside points 1-1,000 only.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/timeseries_select.py`` (trains from scratch, no model
store; 17 candidates x 3 seeds took 22 minutes on 2 cores shared with other work, less on a quiet
machine). Every candidate of :data:`annlab.timeseries.select.CANDIDATES` is fitted on points 1-900
with seeds 0-2 and forecasts points 901-1,000 in closed loop; the lowest mean validation NMSE wins, per
model. The script writes ``annlab/timeseries/selection.json`` (the page shows
it; a test checks that ``defaults.py`` holds the chosen settings) and never reads points 1,001-1,100:
``bench/timeseries.py`` then refits the choice on 1-1,000 and scores it once on 1,001-1,100.
Prints progress, then ONE JSON object on its last line. Torch threads: ``BENCH_THREADS`` (default 1).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from annlab.timeseries import select  # noqa: E402
from annlab.timeseries.data import santafe_split  # noqa: E402


def main() -> dict:
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    torch.set_num_threads(threads)
    series = santafe_split().train  # points 1-1,000 only
    start = time.perf_counter()
    selections = {}
    for kind, candidates in select.CANDIDATES.items():
        if kind == "lstm":  # the page's lag slider is shared: the MLP's choice sets the LSTM's lag
            candidates = select.at_lag(candidates, selections["mlp"].best.lag)
        sel = select.select(
            candidates,
            series,
            progress=lambda d, t, text, kind=kind: print(f"{kind} {d}/{t}: {text}", flush=True),
        )
        for row in sel.rows:
            print(
                f"  {row['setting']}: val NMSE mean {row['mean']:.4f}, median {row['median']:.4f}, "
                f"{row['fit_s']:.1f} s/fit",
                flush=True,
            )
        selections[kind] = sel
    total = time.perf_counter() - start
    select.save(selections, seeds=list(select.SEEDS), seconds=total, torch_threads=threads)
    out = {
        "mlp_chosen": select.describe(selections["mlp"].best),
        "lstm_chosen": select.describe(selections["lstm"].best),
        "mlp_val_nmse": round(selections["mlp"].val_nmse, 4),
        "lstm_val_nmse": round(selections["lstm"].val_nmse, 4),
        "candidates": {k: len(v) for k, v in select.CANDIDATES.items()},
        "seeds": list(select.SEEDS),
        "select_s": round(total, 1),
        "torch_threads": threads,
        "wrote": select.RESULT.name,
    }
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
