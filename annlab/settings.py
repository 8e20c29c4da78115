"""Process-wide settings read from environment variables (documented in README.md).

- ``ANNLAB_CACHE_DIR``: where the model store writes (default: ``models_cache/`` in the repo).
- ``ANNLAB_FAST=1``: pages train small configurations (tests and quick demos); same code path.
- ``ANNLAB_MNIST_DIR``: folder with full MNIST IDX files.
- ``ANNLAB_WIKIART_DIR``: folder with WikiArt images.
- ``ANNLAB_CHECK_CHARTS=1``: check every chart against the Vega-Lite schema when it is built (the tests
  do; a page does not, the check costs ~60 % of building a chart when a slider reaches a new position).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Folder of the model store (created on demand)."""
    path = Path(os.environ.get("ANNLAB_CACHE_DIR") or REPO_ROOT / "models_cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_charts() -> bool:
    """True when ``ANNLAB_CHECK_CHARTS`` is set to a true value (the tests)."""
    return os.environ.get("ANNLAB_CHECK_CHARTS", "").strip().lower() in {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """True when ``ANNLAB_FAST`` is set to a true value (tests, quick demos)."""
    return os.environ.get("ANNLAB_FAST", "").strip().lower() in {"1", "true", "yes", "on"}


def quick(cfg, **small):
    """Return ``cfg`` with the ``small`` overrides applied when fast mode is on, else ``cfg`` itself.

    Pages wrap their default configs with it, so tests run the same code path on small settings:
    ``cfg = quick(RBMConfig(), num_epochs=1)``.
    """
    return dataclasses.replace(cfg, **small) if fast_mode() else cfg
