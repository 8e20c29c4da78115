"""Lesson mode: how many lessons and scenes ship, how many are checked, whether every check holds on the
pages a class sees, whether every check can fail, how fast a scene opens warm, and how long the snapshot
ZIP of a whole lesson takes.

- ``lessons``, ``scenes`` (every scene, pending ones included), ``scenes_ready`` (their page exists),
  ``scenes_checked`` (scenes with at least one phenomenon check);
- ``scene_results``: one entry per opened scene, ``"lesson/k"`` -> ``ok``, ``s`` (seconds to open it
  cold, buttons pressed included) and ``why`` (what failed). A scene that raises, or runs past
  ``--timeout``, is reported as failed with its time, and the bench carries on;
- ``checks_passed`` / ``checks_failed`` (a list of ``"lesson/scene: why"``): the checks that apply (fast
  checks in fast mode, all of them with ``--real``), read from the opened scenes' text;
- ``vacuous_checks``: checks that held on the page and did not fail when the number they read was moved
  just outside their range (or past the number they compare with), or when their pattern was removed
  (the mutation test, on the real page text); ``vacuous_list`` names them;
- ``warm_lessons_s``: ``python -m annlab warm --lesson all`` into the (empty) store, timed (``--warm``);
- ``scene_open_ms``: median time to open a scene in a fresh session once everything it uses is cached
  (the warm case of a class following the presenter); ``snapshot_s``: median time to build one lesson's
  ZIP (every chart as PNG and SVG, the images, settings and links).

    python bench/lessons.py                              # fast mode (small configs), every lesson
    python bench/lessons.py --real --only hopfield       # the real configurations, one lesson
    python bench/lessons.py --real --only nus:1,2,3      # some scenes of a lesson
    python bench/lessons.py --real --warm                # warm every lesson first, timed (hours on 2 cores)

Last line: one JSON object with the keys above, ``real``, ``goals``, ``within_goals`` and ``torch_threads``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {"lessons": 13, "scenes": 77, "scenes_checked": 70, "scene_open_ms": 1000, "vacuous_checks": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real", action="store_true", help="real configurations (default: fast mode)")
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        help="bench only this lesson (repeatable); NAME:1,2,3 for some scenes",
    )
    parser.add_argument("--cache", default=None, help="model store to use (default: a fresh temp folder)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per scene (600 real, 180 fast)")
    parser.add_argument("--warm", action="store_true", help="time warm --lesson all into the store first")
    parser.add_argument("--no-snapshot", action="store_true", help="skip the lesson ZIPs")
    args = parser.parse_args()
    if not args.real:
        os.environ["ANNLAB_FAST"] = "1"
    os.environ["ANNLAB_CACHE_DIR"] = args.cache or tempfile.mkdtemp(prefix="annlab-bench-lessons-")
    os.environ["ANNLAB_TRAIN_WORKERS"] = "0"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    timeout = args.timeout or (600.0 if args.real else 180.0)

    import torch

    torch.set_num_threads(1)
    from annlab import lessons as L
    from annlab import snapshot as snap
    from annlab.ui import lesson as UL
    from annlab.ui import snapshot as ui_snap

    found, problems = L.load_all()
    picks = {}  # lesson name -> the scene numbers to open (None: all)
    for item in args.only or []:
        name, _, nums = item.partition(":")
        picks[name] = {int(n) for n in nums.split(",")} if nums else None
    chosen = [found[n] for n in picks] if picks else list(found.values())
    scenes = [s for lesson in found.values() for s in lesson.scenes]
    warm_s = None
    if args.warm:
        start = time.perf_counter()
        UL.warm_lessons([lesson.name for lesson in chosen], "cpu", lambda t: print(t, file=sys.stderr))
        warm_s = round(time.perf_counter() - start, 1)
    open_ms, snapshot_s, failed, passed, results = [], [], [], 0, {}
    vacuous_list = []
    for lesson in chosen:
        shots = []
        for k, scene in enumerate(lesson.ready, 1):
            if picks.get(lesson.name) is not None and k not in picks[lesson.name]:
                continue
            name = f"{lesson.name}/{k}"
            cold = time.perf_counter()
            try:
                at = UL.open_scene(lesson, k, timeout=timeout, device="cpu")  # trains (or loads) what it uses
                error = str(at.exception[0].value)[:200] if at.exception else None
            except Exception as err:  # noqa: BLE001 - a scene that fails or times out is reported, not fatal
                at, error = None, f"{type(err).__name__}: {str(err)[:200]}"
            cold = time.perf_counter() - cold
            if error is not None:
                results[name] = {"ok": False, "s": round(cold, 1), "why": error}
                failed.append(f"{name}: did not open in {cold:.0f} s ({error})")
                print(f"{name}: FAILED after {cold:.1f} s: {error}", file=sys.stderr, flush=True)
                continue
            text = UL.page_text(at)
            problems_here = UL.judge_scene(scene, text, real=args.real)
            failed += [f"{name}: {p}" for p in problems_here]
            judged = [c for c in scene.checks if c.fast or args.real]
            passed += len(judged) - len(problems_here)
            for i, check in enumerate(scene.checks, 1):
                if check in judged and check.judge(text) is None and (how := UL.vacuous(check, text)):
                    vacuous_list.append(f"{name} checks[{i}]: {'; '.join(how)}")
            results[name] = {"ok": not problems_here, "s": round(cold, 1), "why": "; ".join(problems_here)}
            start = time.perf_counter()
            UL.open_scene(lesson, k, timeout=timeout, device="cpu", press=False)  # a student's fresh session
            open_ms.append((time.perf_counter() - start) * 1000)
            if not args.no_snapshot:
                params = {key: [str(at.query_params[key])] for key in at.query_params}
                record = at.session_state["_snapshot_record"]
                shots.append(ui_snap.make_shot(scene.title, scene.page, record, params))
            state = "ok" if not problems_here else "CHECK FAILED: " + "; ".join(problems_here)
            print(
                f"{name}: cold {cold:.1f} s, warm {open_ms[-1]:.0f} ms, {state}", file=sys.stderr, flush=True
            )
        if shots:
            start = time.perf_counter()
            data = snap.zip_bytes([ui_snap._resolved(s) for s in shots], title=lesson.title)
            snapshot_s.append(time.perf_counter() - start)
            print(
                f"{lesson.name}: snapshot {snapshot_s[-1]:.2f} s, {len(data) / 1e6:.1f} MB", file=sys.stderr
            )
    checked = sum(1 for s in scenes if s.checks)
    out = {
        "real": bool(args.real),
        "lessons": len(found),
        "only": args.only,
        "scenes": len(scenes),
        "scenes_ready": sum(len(lesson.ready) for lesson in found.values()),
        "scenes_checked": checked,
        "scenes_opened": len(results),
        "scene_results": results,
        "checks_passed": passed,
        "checks_failed": failed,
        "vacuous_checks": len(vacuous_list),
        "vacuous_list": vacuous_list,
        "warm_lessons_s": warm_s,
        "scene_open_ms": round(statistics.median(open_ms), 1) if open_ms else None,
        "scene_open_ms_max": round(max(open_ms), 1) if open_ms else None,
        "snapshot_s": round(statistics.median(snapshot_s), 2) if snapshot_s else None,
        "lesson_problems": problems,
        "fast_mode": not args.real,
        "timeout_s": timeout,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "goals": GOALS,
    }
    out["within_goals"] = bool(
        out["lessons"] >= GOALS["lessons"]
        and checked >= GOALS["scenes_checked"]
        and out["scene_open_ms"] is not None
        and out["scene_open_ms"] <= GOALS["scene_open_ms"]
        and not failed
        and not vacuous_list
        and not problems
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
