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
os.environ["ANNLAB_CHECK_CHARTS"] = "1"  # every chart a page test draws is checked against the schema
os.environ["ANNLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="annlab-test-cache-")
os.environ.pop("ANNLAB_MNIST_DIR", None)
os.environ.pop("ANNLAB_WIKIART_DIR", None)
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ["ANNLAB_TRAIN_WORKERS"] = "0"  # train in the calling thread; tests/test_jobs.py tests the pool

ARTIFACTS = ROOT / "test-artifacts"


import pytest  # noqa: E402
from stores import s3_endpoint, store_env  # noqa: E402, F401 (the two store backends, tests/stores.py)


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """An empty model store and no model or cached call in memory: whatever a page needs, it trains."""
    import streamlit as st

    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()
