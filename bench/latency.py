"""Page latency: cold first render with an empty model cache, and median warm rerun.

Each page runs in its own process (so no in-process cache is shared) with a fresh empty
``ANNLAB_CACHE_DIR``: the first ``AppTest.run()`` is the cold render (it trains the page's default
models), then one warm run, then 10 timed reruns whose median is ``warm_ms``.

    python bench/latency.py            # real default configurations
    python bench/latency.py --fast     # ANNLAB_FAST=1 configurations (quick smoke run)
    python bench/latency.py --only pages/2_Hopfield.py

Last line: {"pages": {"<page>": {"warm_ms": .., "cold_s": ..}}, "goal_warm_ms": 300, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # pages import annlab, as under `streamlit run` from the repo root


def measure(page: str, reruns: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / page), default_timeout=3600)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    errors = [str(e.value)[:300] for e in at.exception]
    at.run()
    times = []
    for _ in range(reruns):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return {"warm_ms": round(1000 * statistics.median(times), 1), "cold_s": round(cold, 2),
            **({"errors": errors} if errors else {})}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast", action="store_true", help="measure the ANNLAB_FAST configurations")
    parser.add_argument("--only", action="append", help="page file (repeatable)")
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.reruns)))
        return 0
    pages = args.only or ["app.py"] + sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    out = {}
    for page in pages:
        with tempfile.TemporaryDirectory(prefix="annlab-bench-") as cache:
            env = dict(os.environ, ANNLAB_CACHE_DIR=cache)
            env.pop("ANNLAB_FAST", None)
            if args.fast:
                env["ANNLAB_FAST"] = "1"
            proc = subprocess.run([sys.executable, __file__, "--child", page, "--reruns", str(args.reruns)],
                                  cwd=ROOT, env=env, capture_output=True, text=True)
        name = Path(page).stem
        try:
            out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            out[name] = {"error": proc.stderr.strip()[-500:]}
        print(f"{name}: {out[name]}", file=sys.stderr, flush=True)
    ok = all("warm_ms" in v and v["warm_ms"] <= 300 and "errors" not in v for v in out.values())
    print(json.dumps({"pages": out, "goal_warm_ms": 300, "all_warm_within_goal": ok,
                      "fast_mode": bool(args.fast), "cpu_count": os.cpu_count()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
