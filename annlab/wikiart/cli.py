"""``python -m annlab wikiart train --epochs N --device D [--remedy NAME ...] [--seed S]``.

The report's programs took ``--epochs`` and ``--device``; this trains the page's style CNN (its default
settings, with the chosen remedies) into the same model store the page reads, so a network trained on a
GPU box shows up on the page there (or on any machine that gets the store folder). A progress bar goes
to the terminal (stderr); the test metrics go to stdout as one JSON object at the end.

The page finds the model when it asks for the same settings: ``--epochs`` sets the page's "Max epochs"
control (``art_epochs``), and each remedy is a toggle of its Remedies popover.
"""

from __future__ import annotations

import json
import sys
import time

from annlab import jobs
from annlab.wikiart import defaults

REMEDY_FLAGS = ("augment", "top_up", "class_weights", "oversample", "focal")


def add_parser(sub) -> None:
    """Add ``wikiart train`` to the subcommands ``sub`` of ``python -m annlab``."""
    art = sub.add_parser("wikiart", help="train the WikiArt page's style CNN from the terminal")
    what = art.add_subparsers(dest="wikiart_command", required=True)
    train = what.add_parser("train", help="train the style CNN into the model store (metrics as JSON)")
    train.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the page's)")
    train.add_argument("--device", default="auto", help="auto, cpu, cuda:N or mps (default auto)")
    train.add_argument(
        "--remedy",
        action="append",
        default=[],
        choices=REMEDY_FLAGS,
        help="switch a remedy on (repeatable): " + ", ".join(REMEDY_FLAGS),
    )
    train.add_argument("--seed", type=int, default=0, help="training seed (the page's sidebar seed)")


class ProgressBar:
    """A one-line text progress bar on ``stream``: ``[#####.....] epoch 5/10  loss 1.23``."""

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total, self.width, self.stream = max(int(total), 1), width, stream or sys.stderr
        self.start = time.perf_counter()

    def __call__(self, epoch: int, metrics: dict) -> None:
        done = min(1.0, epoch / self.total)
        bar = "#" * round(done * self.width)
        shown = "  ".join(
            f"{k} {v:.3f}" for k, v in metrics.items() if k in ("loss", "val_loss", "val_bal_acc")
        )
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r[{bar:<{self.width}}] epoch {epoch}/{self.total}  {shown}  {elapsed:.0f} s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def train(args) -> int:
    """Run ``wikiart train``; returns the exit status (prints the JSON metrics on stdout)."""
    from annlab.device import resolve_device

    device, warning = resolve_device(args.device)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    if args.epochs is not None and not 1 <= args.epochs <= 1000:
        print("--epochs must be between 1 and 1000.", file=sys.stderr)
        return 2
    art = defaults.data()
    print(f"data: {art.source}, {len(art.y_train)} training pictures; device {device}", file=sys.stderr)
    changes = {flag: True for flag in args.remedy}
    if args.epochs is not None:
        changes["num_epochs"] = args.epochs
    cfg = defaults.cnn(art, **changes)
    spec = defaults.cnn_spec(art, cfg, args.seed)
    bar = ProgressBar(cfg.num_epochs)
    start = time.perf_counter()
    result = jobs.run(spec, device, callback=bar)
    bar.close()
    test = result.extra.get("test", {})
    out = {
        "remedy": cfg.remedy,
        "epochs_trained": len(result.history),
        "best_epoch": result.extra.get("best_epoch"),
        "from_cache": result.from_cache,
        "seconds": round(time.perf_counter() - start, 2),
        "store_key": result.key or spec.key,
        "diverged": result.diverged,
        **{k: test[k] for k in ("acc", "balanced_acc", "macro_f1", "majority_baseline") if k in test},
        "recall": dict(zip(art.classes, test.get("recall", []), strict=False)),
    }
    print(json.dumps(out))
    return 1 if result.diverged else 0


def main(args) -> int:
    """Dispatch ``python -m annlab wikiart <command>``."""
    if args.wikiart_command == "train":
        return train(args)
    return 2
