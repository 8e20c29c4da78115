"""Command line: ``python -m annlab warm [--device D] [--epochs N] [--only TITLE] [--lesson NAME]``, and
``python -m annlab wikiart train --epochs N --device D [--remedy NAME]`` (see :mod:`annlab.wikiart.cli`),
and ``python -m annlab serve --replicas N [--port P]`` (see :mod:`annlab.serve`),
``python -m annlab worker [--queue cpu|cuda]`` (trainings from Redis, see :mod:`annlab.jobs`), and
``python -m annlab lesson check lessons/FILE.toml [--real]`` (validate a lesson file and run its checks).

``warm`` trains what every page needs on its defaults into the model store (each topic's
``defaults.warm``, listed in :mod:`annlab.topics`), so the first class opens every page instantly;
``warm --sliders`` only what the named class sliders need at every position (``defaults.warm_sliders``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    from annlab.topics import TOPICS

    parser = argparse.ArgumentParser(prog="python -m annlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    warm = sub.add_parser("warm", help="train every page's default models into the cache")
    warm.add_argument("--device", default="auto", help="auto, cpu, cuda:N or mps (default auto)")
    warm.add_argument("--epochs", type=int, default=None, help="override epochs (quick smoke run)")
    warm.add_argument(
        "--only",
        action="append",
        default=None,
        help=f"warm only this page (repeatable): {', '.join(t.title for t in TOPICS)}",
    )
    warm.add_argument(
        "--sliders",
        action="store_true",
        help="only what the named class sliders need at every position (each page's warm_sliders)",
    )
    warm.add_argument(
        "--lesson",
        action="append",
        default=None,
        help="warm what this lesson's scenes use (repeatable; a file stem in lessons/, or 'all')",
    )
    lesson = sub.add_parser("lesson", help="lesson files: validate one and run its checks")
    lesson_sub = lesson.add_subparsers(dest="lesson_command", required=True)
    lesson_check = lesson_sub.add_parser("check", help="validate a lesson file and run its checks")
    lesson_check.add_argument("file", help="the lesson file (lessons/NAME.toml)")
    lesson_check.add_argument("--real", action="store_true", help="the real configurations (slow)")
    lesson_check.add_argument("--device", default="cpu", help="device to train on (default cpu)")
    from annlab.wikiart import cli as wikiart_cli

    wikiart_cli.add_parser(sub)  # python -m annlab wikiart train --epochs N --device D [--remedy ...]
    serve = sub.add_parser("serve", help="several Streamlit replicas behind HAProxy, for a whole class")
    serve.add_argument("--replicas", type=int, default=2, help="Streamlit processes (default 2)")
    serve.add_argument("--port", type=int, default=8501, help="public port of the proxy (default 8501)")
    serve.add_argument("--address", default="0.0.0.0", help="address the proxy listens on")
    worker = sub.add_parser("worker", help="run trainings from the Redis queue (ANNLAB_REDIS_URL)")
    worker.add_argument("--queue", default="cpu", choices=("cpu", "cuda"), help="which queue (default cpu)")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "worker":
        from annlab import jobs

        try:
            return jobs.work(args.queue, burst=args.burst)
        except (RuntimeError, ValueError) as exc:
            print(f"worker: {exc}", file=sys.stderr)
            return 2
    if args.command == "wikiart":
        return wikiart_cli.main(args)
    if args.command == "lesson":
        from annlab.ui.lesson import check_file  # validates, then opens every scene headless

        out = lambda t: print(t, flush=True)  # noqa: E731
        return check_file(args.file, real=args.real, device=args.device, report=out)

    from annlab.device import resolve_device

    device, warning = resolve_device(args.device)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    titles = [t.title for t in TOPICS]
    unknown = [n for n in args.only or [] if n not in titles]
    if unknown:
        print(f"unknown page(s): {unknown}; known: {titles}", file=sys.stderr)
        return 2
    if args.lesson:
        from annlab.ui.lesson import warm_lessons  # opens every scene headless: trains what it shows

        if "all" in args.lesson:
            from annlab import lessons

            args.lesson = [path.stem for path in lessons.files()]
        return warm_lessons(args.lesson, device, lambda text: print(text, flush=True))
    from annlab import jobs

    limit = None if os.environ.get("ANNLAB_MAX_TRAIN_S") else float("inf")  # warm-up: no limit unless set
    os.environ.setdefault("ANNLAB_TRAIN_WORKERS", str(os.cpu_count() or 1))  # before class: every core
    pool = jobs.server_pool(limit)  # the same training workers a server uses (ANNLAB_TRAIN_WORKERS)
    if pool is not None:
        print(f"training in {pool.size} worker process(es)", flush=True)
    total = time.perf_counter()
    for topic in TOPICS:
        if args.only and topic.title not in args.only:
            continue
        fn = topic.warm_fn(sliders=args.sliders)
        if fn is None:
            print(f"[{topic.title}] no slider positions to warm", flush=True)
            continue
        start = time.perf_counter()
        print(f"[{topic.title}] warming on {device} ...", flush=True)
        fn(device, args.epochs, lambda text, n=topic.title: print(f"[{n}] {text}", flush=True))
        print(f"[{topic.title}] done in {time.perf_counter() - start:.1f} s", flush=True)
    jobs.deactivate()
    print(f"warm: all done in {(time.perf_counter() - total) / 60:.1f} min", flush=True)
    return 0


def _serve(args) -> int:
    from annlab.serve import Replicas

    try:
        replicas = Replicas(args.replicas, port=args.port, address=args.address)
        url = replicas.start()
    except (RuntimeError, ValueError) as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    pids = ", ".join(str(p.pid) for p in replicas.procs)
    print(f"serving {args.replicas} replicas (pids {pids}) behind HAProxy at {url}", flush=True)
    print(f"model store: {replicas.env['ANNLAB_CACHE_DIR']}; logs: {replicas.log_dir}", flush=True)
    replicas.supervise(report=lambda text: print(text, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
