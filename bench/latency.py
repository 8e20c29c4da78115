"""Page latency, per page of the topic list, on the real default configurations (2 cores, 1 torch thread).

- ``cold_s``: first open of the page's default tab with an EMPTY model store, in a fresh process
  (AppTest through ``app.py``, so it trains what the default tab needs and nothing else);
- ``warm_ms``: median of 10 full reruns after that (AppTest);
- ``fragment_ms``: median server time of the fragment around the page's main slider
  (``Topic.main_control``) when it moves, measured in Chromium against ``streamlit run`` on the warm
  store, with ``ANNLAB_TIMING_LOG`` (see ``annlab/ui/timing.py``): the slider steps right and left
  between positions it has visited, first once to fill the caches, then 8 timed moves;
- ``view_lines``: lines of the view file.

    python bench/latency.py                 # every page (several minutes: cold opens train models)
    python bench/latency.py --only Hopfield --fast

Last line: {"pages": {"<url_path>": {"cold_s", "warm_ms", "fragment_ms", "view_lines"}}, "goals": ...,
"within_goals": ..., "torch_threads": 1, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

GOALS = {"cold_s": 40, "warm_ms": 200, "fragment_ms": 60, "view_lines": 180, "sum_view_lines": 1100}
THREADS = "1"


def child(view: str, reruns: int) -> dict:
    from pagetest import errors, open_page

    t0 = time.perf_counter()
    at = open_page(view, timeout=3600)
    cold = time.perf_counter() - t0
    problems = errors(at)
    at.run()
    times = []
    for _ in range(reruns):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return {
        "cold_s": round(cold, 2),
        "warm_ms": round(1000 * statistics.median(times), 1),
        **({"errors": problems} if problems else {}),
    }


def fragment_times(topics, store: str, moves: int, fast: bool) -> dict:
    from browser import VIEWPORT, chromium_browser, prime, settle, streamlit_server

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "timing.jsonl"
        env = {
            "ANNLAB_CACHE_DIR": store,
            "ANNLAB_TIMING_LOG": str(log),
            "OMP_NUM_THREADS": THREADS,
            "ANNLAB_FAST": "1" if fast else "0",
        }
        with streamlit_server(env=env, log_name="latency-server.log") as url, chromium_browser() as b:
            prime(url, b)
            for topic in topics:
                ctx = b.new_context(viewport=VIEWPORT)
                page = ctx.new_page()
                page.goto(f"{url}/{topic.url_path}", timeout=600_000)
                settle(page)
                slider = page.locator(f".st-key-{topic.main_control}").get_by_role("slider").first
                if slider.count() == 0:
                    out[topic.url_path] = None
                    ctx.close()
                    continue
                keys = ["ArrowRight", "ArrowLeft"]
                for key in keys:  # visit both positions once: fills the caches
                    slider.focus()
                    page.keyboard.press(key)
                    settle(page)
                timed = []
                for i in range(moves):
                    log.write_text("")
                    slider.focus()
                    page.keyboard.press(keys[i % 2])
                    settle(page)
                    lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
                    if lines:
                        timed.append(sum(x["ms"] for x in lines))
                out[topic.url_path] = round(statistics.median(timed), 1) if timed else None
                ctx.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast", action="store_true", help="measure the ANNLAB_FAST configurations")
    parser.add_argument("--only", action="append", help="url_path of a page (repeatable)")
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--moves", type=int, default=8)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.reruns)))
        return 0
    from annlab.topics import TOPICS

    topics = [t for t in TOPICS if not args.only or t.url_path in args.only]
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="annlab-bench-store-") as store:
        for topic in topics:
            with tempfile.TemporaryDirectory(prefix="annlab-bench-") as cache:
                env = dict(os.environ, ANNLAB_CACHE_DIR=cache, OMP_NUM_THREADS=THREADS)
                env.pop("ANNLAB_FAST", None)
                if args.fast:
                    env["ANNLAB_FAST"] = "1"
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", topic.view, "--reruns", str(args.reruns)],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                for f in Path(cache).glob("*.pt"):  # the warm store for the browser phase
                    shutil.copy(f, store)
            try:
                out[topic.url_path] = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                out[topic.url_path] = {"error": proc.stderr.strip()[-800:]}
            out[topic.url_path]["view_lines"] = len((ROOT / topic.view).read_text().splitlines())
            print(f"{topic.url_path}: {out[topic.url_path]}", file=sys.stderr, flush=True)
        frags = fragment_times(topics, store, args.moves, args.fast)
    for name, ms in frags.items():
        out[name]["fragment_ms"] = ms
    total_lines = sum(v["view_lines"] for v in out.values())
    ok = all(
        v.get("cold_s", 1e9) <= GOALS["cold_s"]
        and v.get("warm_ms", 1e9) <= GOALS["warm_ms"]
        and (v.get("fragment_ms") or 1e9) <= GOALS["fragment_ms"]
        and v["view_lines"] <= GOALS["view_lines"]
        and "errors" not in v
        for v in out.values()
    )
    print(
        json.dumps(
            {
                "pages": out,
                "sum_view_lines": total_lines,
                "goals": GOALS,
                "within_goals": ok and total_lines <= GOALS["sum_view_lines"],
                "fast_mode": bool(args.fast),
                "torch_threads": int(THREADS),
                "cpu_count": os.cpu_count(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
