"""Test set-up: fast mode and a private model cache for the whole session.

``ANNLAB_FAST=1`` makes every page train its small configuration (same code path, see
``annlab.settings.quick``); ``ANNLAB_CACHE_DIR`` keeps test models out of ``models_cache/``.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ["ANNLAB_FAST"] = "1"
os.environ["ANNLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="annlab-test-cache-")
os.environ.pop("ANNLAB_MNIST_DIR", None)
os.environ.pop("ANNLAB_WIKIART_DIR", None)
os.environ.setdefault("OMP_NUM_THREADS", "2")

ARTIFACTS = ROOT / "test-artifacts"
