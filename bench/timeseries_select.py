"""The honest choice of the time-series page's defaults: rolling-origin validation inside points 1-1,000.

Run: ``nice -n 10 OMP_NUM_THREADS=1 .venv/bin/python bench/timeseries_select.py`` (trains from scratch,
no model store). The protocol and its rule are :mod:`annlab.timeseries.select`'s docstring: every
candidate is fitted on points 1..o and forecasts o+1..o+100 in closed loop for o = 450, 550, 650
(screened with seed 0; the 2 best also with seed 1); fewest forecasts with NMSE >= 1 wins, then
the lowest median. Per model; the LSTM is scored at the MLP's chosen lag (the page's slider is shared).
The script writes ``annlab/timeseries/selection.json`` (the page shows it; a test checks that
``defaults.py`` holds the chosen settings) and never reads points 1,001-1,100: ``bench/timeseries.py``
then refits the choice on 1-1,000 and scores it once on 1,001-1,100.
Prints its table, then ONE JSON object on its last line. ``BENCH_WORKERS`` processes (default 1) of
one torch thread each share the fits. ``BENCH_REUSE=1`` reuses the fits the saved ``selection.json``
already holds (same config, seed and origin: the same numbers) and fits only the rest.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from annlab.timeseries import select  # noqa: E402
from annlab.timeseries.data import santafe_split  # noqa: E402


def table(kind: str, sel: select.Selection) -> None:
    """Print one model's rows: per candidate, its NMSE on every (seed, stretch), failures and median."""
    origins = select.ORIGINS
    head = "  ".join(f"{o + 1}-{o + select.HORIZON}" for o in origins)
    print(f"\n{kind.upper()}: stage, failures / forecasts, median, mean, s per fit; per seed: NMSE on {head}")
    for r in sel.rows:
        mark = " <- chosen" if r["config"] == select.dataclasses.asdict(sel.best) else ""
        print(
            f"  [{r['stage']}] {r['setting']}: {r['failures']}/{r['n']} fail, median {r['median']:.3f}, "
            f"mean {r['mean']:.3f}, {r['fit_s']:.1f} s/fit{mark}"
        )
        for seed, per in r["nmse"].items():
            print(f"      seed {seed}: " + "  ".join(f"{per[str(o)]:.3f}" for o in origins))
    sys.stdout.flush()


def main() -> dict:
    torch.set_num_threads(1)
    workers = int(os.environ.get("BENCH_WORKERS", "1"))
    series = santafe_split().train  # points 1-1,000 only
    start = time.perf_counter()
    selections = {}
    known = select.known_fits(select.load()) if os.environ.get("BENCH_REUSE") == "1" else {}
    ctx = multiprocessing.get_context("fork")
    pool_or_none = ProcessPoolExecutor(max_workers=workers, mp_context=ctx) if workers > 1 else None
    with pool_or_none or contextlib.nullcontext() as pool:
        for kind, candidates in select.CANDIDATES.items():
            if kind == "lstm":  # the page's lag slider is shared: the MLP's choice sets the LSTM's lag
                candidates = select.at_lag(candidates, selections["mlp"].best.lag)
            sel = select.select(
                candidates,
                series,
                pool=pool,
                known=known,
                progress=lambda text, kind=kind: print(kind, text, flush=True),
            )
            selections[kind] = sel
            table(kind, sel)
    total = time.perf_counter() - start
    select.save(
        selections,
        seeds=list(select.SEEDS),
        screen_seeds=list(select.SCREEN_SEEDS),
        finalists=select.FINALISTS,
        seconds=total,
        torch_threads=1,
        workers=workers,
        reused_fits=len(known),
    )
    return {
        "rule": select.RULE,
        "mlp_chosen": select.describe(selections["mlp"].best),
        "lstm_chosen": select.describe(selections["lstm"].best),
        "mlp_val_failures": selections["mlp"].row["failures"],
        "lstm_val_failures": selections["lstm"].row["failures"],
        "mlp_val_nmse_median": round(selections["mlp"].val_nmse, 4),
        "lstm_val_nmse_median": round(selections["lstm"].val_nmse, 4),
        "candidates": {k: len(v) for k, v in select.CANDIDATES.items()},
        "seeds": list(select.SEEDS),
        "select_s": round(total, 1),
        "torch_threads": 1,
        "workers": workers,
        "wrote": select.RESULT.name,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
