"""Server-side timing of fragment reruns, for ``bench/latency.py`` only.

With ``ANNLAB_TIMING_LOG=/path/file.jsonl`` set on the server, every ``st.fragment`` a view defines
appends one line ``{"fragment": name, "ms": server time of its body}`` per run. Without the variable
nothing is patched.
"""

from __future__ import annotations

import functools
import json
import os
import time

import streamlit as st

_REAL_FRAGMENT = st.fragment


def _timed_fragment(func=None, **options):
    if func is None:
        return lambda f: _timed_fragment(f, **options)
    log = os.environ["ANNLAB_TIMING_LOG"]

    @functools.wraps(func)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            with open(log, "a") as fh:
                fh.write(
                    json.dumps({"fragment": func.__qualname__, "ms": 1000 * (time.perf_counter() - start)})
                    + "\n"
                )

    return _REAL_FRAGMENT(timed, **options)


def install() -> None:
    """Time every fragment when ``ANNLAB_TIMING_LOG`` is set (called by the frame)."""
    if os.environ.get("ANNLAB_TIMING_LOG") and st.fragment is _REAL_FRAGMENT:
        st.fragment = _timed_fragment
