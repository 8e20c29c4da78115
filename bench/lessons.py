"""Lesson mode: how many lessons and scenes ship, how many have a phenomenon test, how fast a scene opens
warm, and how long the snapshot ZIP of a whole lesson takes.

- ``lessons``, ``scenes`` (every scene, pending ones included), ``scenes_ready`` (their page exists),
  ``scenes_checked`` (scenes with at least one phenomenon check);
- ``scene_open_ms``: median time to open a scene in a fresh session (AppTest through ``app.py``, the
  lesson bar applying the scene's settings) once everything it uses is trained and cached in the
  process: the warm case of a class following the presenter;
- ``snapshot_s``: median time to build the ZIP of one whole lesson (every chart as PNG and SVG through
  Altair's export, the images, settings and links), from what its scenes showed;
- ``checks_passed`` / ``checks_failed``: the phenomenon checks that apply (fast checks in fast mode,
  all of them with ``--real``), read from the opened scenes, and which failed.

    python bench/lessons.py                  # fast mode (small configs), every lesson
    python bench/lessons.py --real           # the real configurations (trains a lot the first time)
    python bench/lessons.py --only hopfield --only boltzmann

Last line: one JSON object with the keys above, ``goals``, ``within_goals`` and ``torch_threads``.
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

GOALS = {"lessons": 13, "scenes": 60, "checked_share": 0.5, "scene_open_ms": 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real", action="store_true", help="real configurations (default: fast mode)")
    parser.add_argument("--only", action="append", default=None, help="bench only this lesson (repeatable)")
    parser.add_argument("--cache", default=None, help="model store to use (default: a fresh temp folder)")
    args = parser.parse_args()
    if not args.real:
        os.environ["ANNLAB_FAST"] = "1"
    os.environ["ANNLAB_CACHE_DIR"] = args.cache or tempfile.mkdtemp(prefix="annlab-bench-lessons-")
    os.environ["ANNLAB_TRAIN_WORKERS"] = "0"
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import torch

    torch.set_num_threads(1)
    from annlab import lessons as L
    from annlab import snapshot as snap
    from annlab.ui import lesson as UL
    from annlab.ui import snapshot as ui_snap

    found, problems = L.load_all()
    chosen = [found[n] for n in args.only] if args.only else list(found.values())
    scenes = [s for lesson in found.values() for s in lesson.scenes]
    open_ms, snapshot_s, failed, passed, errors = [], [], [], 0, []
    for lesson in chosen:
        shots = []
        for k, scene in enumerate(lesson.ready, 1):
            cold = time.perf_counter()
            at = UL.open_scene(lesson, k)  # trains (or loads) what the scene uses
            cold = time.perf_counter() - cold
            if at.exception:
                errors.append(f"{lesson.name} {k}: {str(at.exception[0].value)[:200]}")
                continue
            text = UL.page_text(at)
            for check in scene.checks:
                if check.fast or args.real:
                    problem = check.judge(text)
                    if problem:
                        failed.append(f"{lesson.name} {k}: {problem}")
                    else:
                        passed += 1
            start = time.perf_counter()
            UL.open_scene(lesson, k)  # a fresh session: a student opening the link, all cached
            open_ms.append((time.perf_counter() - start) * 1000)
            params = {key: [str(at.query_params[key])] for key in at.query_params}
            shots.append(
                ui_snap.make_shot(scene.title, scene.page, at.session_state["_snapshot_record"], params)
            )
            print(
                f"{lesson.name} {k}: cold {cold:.1f} s, warm {open_ms[-1]:.0f} ms",
                file=sys.stderr,
                flush=True,
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
        "lessons": len(found),
        "scenes": len(scenes),
        "scenes_ready": sum(len(lesson.ready) for lesson in found.values()),
        "scenes_checked": checked,
        "scene_open_ms": round(statistics.median(open_ms), 1) if open_ms else None,
        "scene_open_ms_max": round(max(open_ms), 1) if open_ms else None,
        "snapshot_s": round(statistics.median(snapshot_s), 2) if snapshot_s else None,
        "checks_passed": passed,
        "checks_failed": failed,
        "scene_errors": errors,
        "lesson_problems": problems,
        "scenes_opened": len(open_ms),
        "fast_mode": not args.real,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "goals": GOALS,
    }
    out["within_goals"] = bool(
        out["lessons"] >= GOALS["lessons"]
        and out["scenes"] >= GOALS["scenes"]
        and checked >= GOALS["checked_share"] * len(scenes)
        and out["scene_open_ms"] is not None
        and out["scene_open_ms"] <= GOALS["scene_open_ms"]
        and not failed
        and not errors
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
