"""``on_demand``: the one way to run an experiment on a button and keep its result for the session."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from annlab import jobs
from annlab.training import TrainResult


def token(value: Any) -> str:
    """A stable fingerprint of experiment inputs (configs, trained results, arrays, plain values)."""
    if isinstance(value, TrainResult):
        return f"model:{value.key or id(value)}"
    if isinstance(value, np.ndarray):
        return f"array:{value.shape}:{hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest()}"
    if isinstance(value, list | tuple):
        return "(" + ",".join(token(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={token(v)}" for k, v in sorted(value.items())) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return repr(value)
    return repr(value)


def progress_callback(bar, label: str):
    """``callback(step, info)`` for a library function: moves ``bar`` to ``info["fraction"]``."""

    def callback(step, info: dict) -> None:
        fraction = float(min(1.0, max(0.0, info.get("fraction", 0.0))))
        bar.progress(fraction, text=info.get("text") or f"{label} ...")

    return callback


def on_demand(
    label: str,
    fn: Callable,
    *args: Any,
    key: str,
    progress: bool = False,
    note: str | None = None,
    **kwargs: Any,
) -> Any:
    """A button that runs ``fn(*args, **kwargs)``; its result is kept for the session.

    Parameters
    ----------
    label : the button's text ("Run the sweep")
    fn : the experiment (a plain library function)
    key : names the result in the session (prefix it with the page, like widget keys)
    progress : pass ``callback(step, info)`` to ``fn`` and show a progress bar from ``info["fraction"]``
        (0..1) and ``info.get("text")``
    note : what pressing the button does, shown until it has been pressed (e.g. "about a minute")

    Returns
    -------
    The result, or None before the first press. When the inputs changed since the result was computed,
    the old result is still returned (nothing blanks) and marked stale above it.
    """
    slot = f"_on_demand_{key}"
    inputs = token((args, kwargs))
    pressed = st.button(label, key=f"{key}_button", type="primary")
    if pressed:
        bar = st.progress(0.0, text=f"{label} ...") if progress else None
        if progress:
            kwargs = dict(kwargs, callback=progress_callback(bar, label))
        try:
            with contextlib.nullcontext() if progress else st.spinner(f"{label} ..."):
                st.session_state[slot] = (inputs, fn(*args, **kwargs))
        except ValueError as err:
            st.error(str(err))
        except (jobs.JobRefused, jobs.JobFailed) as err:  # a training inside it was refused or stopped
            st.warning(str(err), icon=":material/block:")
        if bar is not None:
            bar.empty()
    saved = st.session_state.get(slot)
    if saved is None:
        st.caption(
            f"Press **{label}** to run it"
            + (f" ({note})." if note else ".")
            + " The result stays while you use the lab."
        )
        return None
    if saved[0] != inputs:
        st.warning(
            f"These results are for earlier settings: press **{label}** to update them.",
            icon=":material/history:",
        )
    return saved[1]
