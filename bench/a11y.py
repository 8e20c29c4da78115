"""Accessibility of every page, in a real browser: axe-core, sideways overflow, keyboard, text alternatives.

For each page (home and the topic list), its default tab, against ``streamlit run``:

- ``violations``: serious and critical axe-core violations (one per element and scan) in annlab's own
  content, over the scans at 1024x768 in light, dark (``prefers-color-scheme: dark``) and projector
  mode and at 390x844 in light and dark mode; those inside Streamlit's own markup (the navigation, the
  header: ``tests/browser.py``'s ``FRAMEWORK_PARTS``) are counted apart as ``framework_violations``;
- ``overflow_px``: how far an element of the main area ends past the window's edge (clipped, or in a
  region that scrolls sideways), the worst of 1024x768 and 390x844, normal and projector mode;
- ``keyboard_ok``: pages whose main control (``Topic.main_control``; home: its first link) is reached
  with Tab alone and moves with the arrow keys, every focused element of the main area showing a focus
  indicator;
- ``figures_without_text``: visible charts and images without an accessible name and description.

    python bench/a11y.py [--fast] [--only Hopfield] [--port 8670] [--verbose]

Last line: {"pages": {page: {"violations": n, "overflow_px": n}}, "violations": total,
"framework_violations": n, "keyboard_ok": [pages], "figures_without_text": n, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

THREADS = "1"
# (mode, size): which scans run axe, which measure overflow
AXE_SCANS = [
    ("light", "laptop"),
    ("dark", "laptop"),
    ("projector", "laptop"),
    ("light", "phone"),
    ("dark", "phone"),
]
OVERFLOW_SCANS = [("light", "laptop"), ("projector", "laptop"), ("light", "phone"), ("projector", "phone")]


def pages() -> list[tuple[str, str, str | None]]:
    """(name, url path, main control key) of home and every topic."""
    from annlab.topics import TOPICS

    return [("Home", "", None)] + [(t.url_path, t.url_path, t.main_control) for t in TOPICS]


def open_page(browser, url: str, path: str, mode: str, size: str):
    from browser import SIZES, settle

    ctx = browser.new_context(
        viewport=SIZES[size], color_scheme="dark" if mode == "dark" else "light", reduced_motion="reduce"
    )
    page = ctx.new_page()
    page.goto(f"{url}/{path}" + ("?projector=true" if mode == "projector" else ""), timeout=120_000)
    settle(page)
    page.wait_for_timeout(600)  # charts finish their layout
    return ctx, page


def scan_page(browser, url: str, name: str, path: str, key: str | None, verbose: bool) -> dict:
    from browser import axe_violations, figure_texts, keyboard_walk, overflow

    out = {
        "violations": 0,
        "framework_violations": 0,
        "overflow_px": 0,
        "rules": Counter(),
        "framework": Counter(),
    }
    for mode, size in dict.fromkeys(AXE_SCANS + OVERFLOW_SCANS):
        ctx, page = open_page(browser, url, path, mode, size)
        try:
            if (mode, size) in OVERFLOW_SCANS:
                ov = overflow(page)
                if ov["overflow_px"] > out["overflow_px"]:
                    out["overflow_px"], out["overflow_at"] = (
                        ov["overflow_px"],
                        f"{mode} {size}: {ov['element']}",
                    )
            if (mode, size) in AXE_SCANS:
                for v in axe_violations(page):
                    which = "framework" if v["framework"] else "rules"
                    out[which][v["rule"]] += 1
                    out["framework_violations" if v["framework"] else "violations"] += 1
                    if verbose:
                        print(
                            f"  {name} {mode} {size}: {v['rule']} [{which}] {v['target']} {v['html'][:100]}"
                        )
            if (mode, size) == ("light", "laptop"):
                figs = figure_texts(page)
                out["figures"] = len(figs)
                out["figures_without_text"] = sum(1 for f in figs if not (f["name"] and f["description"]))
                walk = keyboard_walk(page, key or None)
                hidden = [s for s in walk["stops"] if not s["focus_visible"]]
                reached = walk["control_reached"] and walk["control_moved"] if key else bool(walk["stops"])
                out["keyboard_ok"] = reached and not hidden
                out["focus_hidden"] = [f"{s['testid']}:{s['role']}:{s['label'][:30]}" for s in hidden]
                out["tab_stops"] = len(walk["stops"])
        finally:
            ctx.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fast", action="store_true", help="small configurations (ANNLAB_FAST=1)")
    parser.add_argument("--store", help="model store to use (default: a fresh temporary one)")
    parser.add_argument("--only", action="append", help="page url path (Home for the home page)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--verbose", action="store_true", help="print every violation found")
    args = parser.parse_args()

    from browser import chromium_browser, prime, streamlit_server

    store = args.store or tempfile.mkdtemp(prefix="annlab-a11y-")
    env = {"ANNLAB_CACHE_DIR": store, "OMP_NUM_THREADS": THREADS, "ANNLAB_FAST": "1" if args.fast else "0"}
    env["ANNLAB_TRAIN_WORKERS"] = "0"  # train in the page's own run: a scan starts once the page is ready
    os.environ.update(env)
    todo = [p for p in pages() if not args.only or p[0] in args.only]
    result: dict = {"pages": {}}
    details: dict = {}
    t0 = time.time()
    with (
        streamlit_server(env=env, log_name="a11y-server.log", port=args.port) as url,
        chromium_browser() as b,
    ):
        prime(url, b)
        for name, path, key in todo:
            r = scan_page(b, url, name, path, key, args.verbose)
            result["pages"][name] = {"violations": r["violations"], "overflow_px": r["overflow_px"]}
            details[name] = {
                k: dict(v) if isinstance(v, Counter) else v
                for k, v in r.items()
                if k not in ("violations", "overflow_px")
            }
            print(json.dumps({name: details[name]}), flush=True)
    result["violations"] = sum(p["violations"] for p in result["pages"].values())
    result["framework_violations"] = sum(d["framework_violations"] for d in details.values())
    result["keyboard_ok"] = [n for n, d in details.items() if d.get("keyboard_ok")]
    result["figures_without_text"] = sum(d.get("figures_without_text", 0) for d in details.values())
    result["framework_rules"] = dict(sum((Counter(d["framework"]) for d in details.values()), Counter()))
    result["fast_mode"] = args.fast
    result["torch_threads"] = int(THREADS)
    result["seconds"] = round(time.time() - t0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
