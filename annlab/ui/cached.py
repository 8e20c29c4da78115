"""The one cached call: ``ui.call(fn, *args)`` runs ``fn`` once per distinct arguments per server.

Trained models are passed as their :class:`~annlab.training.TrainResult` and hashed by their model
store key, so no page invents its own model ids.

- Without ``progress`` the result is copied out of ``st.cache_data`` (no caller can change what another
  user sees); use it for figures, tables and arrays.
- With ``progress="Racing the optimizers"`` a long experiment shows a progress bar while it runs
  (``fn`` gets ``callback(step, info)``, ``info["fraction"]`` in 0..1 and an optional ``info["text"]``),
  and its result object is kept, shared and not copied, in a bounded least-recently-used memory. The
  result must then be treated as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import streamlit as st

from annlab.training import TrainResult
from annlab.ui.on_demand import progress_callback, token

MAX_ENTRIES = 64  # per function (copied results), and in all (shared results)
_WRAPPED: dict[Callable, Callable] = {}


def result_key(result: TrainResult) -> str:
    """How a trained result is hashed: its store key (``id`` for a result that never went through it)."""
    return result.key or f"unstored-{id(result)}"


HASH_FUNCS = {TrainResult: result_key}


class LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@st.cache_resource(show_spinner=False)
def _shared() -> LRU:
    return LRU(MAX_ENTRIES)


def remember(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """What ``call(fn, *args, progress=..., **kwargs)`` returns, computed without drawing (no progress)
    if it is not in the shared memory yet: for work prepared ahead in the background (``ui.ahead``)."""
    memory = _shared()
    key = (fn.__module__, fn.__qualname__, token((args, kwargs)))
    result = memory.get(key)
    if result is None:
        result = fn(*args, **kwargs)
        memory.put(key, result)
    return result


def call(fn: Callable, *args: Any, progress: str | None = None, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, cached across reruns and users (see the module docstring)."""
    if progress is not None:
        memory = _shared()
        key = (fn.__module__, fn.__qualname__, token((args, kwargs)))
        result = memory.get(key)
        if result is None:
            bar = st.progress(0.0, text=f"{progress} ...")
            result = fn(*args, callback=progress_callback(bar, progress), **kwargs)
            bar.empty()
            memory.put(key, result)
        return result
    wrapped = _WRAPPED.get(fn)
    if wrapped is None:
        wrapped = st.cache_data(fn, show_spinner=False, max_entries=MAX_ENTRIES, hash_funcs=HASH_FUNCS)
        _WRAPPED[fn] = wrapped
    return wrapped(*args, **kwargs)
