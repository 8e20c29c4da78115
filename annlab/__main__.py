"""Command line: ``python -m annlab warm [--device D] [--epochs N] [--only NAME]``."""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m annlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    warm = sub.add_parser("warm", help="train every page's default models into the cache")
    warm.add_argument("--device", default="auto", help="auto, cpu, cuda:N or mps (default auto)")
    warm.add_argument("--epochs", type=int, default=None, help="override epochs (quick smoke run)")
    warm.add_argument("--only", action="append", default=None, help="warm only this page (repeatable)")
    args = parser.parse_args(argv)

    from annlab.device import resolve_device
    from annlab.warm import discover

    device, warning = resolve_device(args.device)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    registry = discover()
    names = args.only or sorted(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        print(f"unknown page(s): {unknown}; known: {sorted(registry)}", file=sys.stderr)
        return 2
    for name in names:
        start = time.perf_counter()
        print(f"[{name}] warming on {device} ...", flush=True)
        registry[name](device, args.epochs, lambda text, n=name: print(f"[{n}] {text}", flush=True))
        print(f"[{name}] done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
