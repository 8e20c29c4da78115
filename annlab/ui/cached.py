"""The one cached call: ``ui.call(fn, *args)`` runs ``fn`` once per distinct arguments per server.

Trained models are passed as their :class:`~annlab.training.TrainResult` and hashed by their model
store key, so no page invents its own model ids. Results are copied out of the cache
(``st.cache_data``), so a caller can never change what another user sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from annlab.training import TrainResult

MAX_ENTRIES = 64  # per function
_WRAPPED: dict[Callable, Callable] = {}


def result_key(result: TrainResult) -> str:
    """How a trained result is hashed: its store key (``id`` for a result that never went through it)."""
    return result.key or f"unstored-{id(result)}"


HASH_FUNCS = {TrainResult: result_key}


def call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, cached across reruns and users (at most 64 argument sets per function)."""
    wrapped = _WRAPPED.get(fn)
    if wrapped is None:
        wrapped = st.cache_data(fn, show_spinner=False, max_entries=MAX_ENTRIES, hash_funcs=HASH_FUNCS)
        _WRAPPED[fn] = wrapped
    return wrapped(*args, **kwargs)
