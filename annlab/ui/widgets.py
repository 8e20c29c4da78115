"""Widgets whose values live in the page address and survive page changes.

Streamlit does this natively: ``bind="query-params"`` puts the value in the URL (a bad or out-of-range
value in a link falls back to the default, and the parameter disappears when the value is the default)
and ``persist_state="session"`` keeps it across page changes. :func:`persisted` adds only what the
native binding lacks, and says why:

- one argument, ``default``, whatever the widget calls its own (``value``, ``index``, ``default``);
- links shared before the native binding wrote booleans as ``1``/``0``, lists (multiselects, range
  sliders) comma-joined, and the raw option of a widget with a ``format_func`` ("hebbian"), where the
  native binding expects the formatted label ("Hebbian"); the native parser rejects all three. Such a
  value is decoded here once per session and handed to the widget through ``st.session_state`` (the
  URL takes the native form at the next change), so every link lecturers already shared opens the
  same state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from annlab.controls import Control
from annlab.ui import snapshot

_VALUE = {
    "slider",
    "number_input",
    "toggle",
    "checkbox",
    "text_input",
    "text_area",
    "select_slider",
    "color_picker",
}
_INDEX = {"selectbox", "radio"}
_DEFAULT = {"multiselect", "pills", "segmented_control"}
_TRUE, _FALSE = {"1", "yes", "on"}, {"0", "no", "off"}


class _QuietSessionStateWarning(logging.Filter):
    """A decoded legacy value set through session state makes Streamlit log a warning; it is intended."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "had its value set via the Session State API" not in record.getMessage()


logging.getLogger("streamlit.elements.lib.policies").addFilter(_QuietSessionStateWarning())


def _legacy(raw: list[str], kind: str, default: Any, kwargs: dict) -> Any:
    """Decode a value written by the hand-made URL layer, or return None when there is none to decode."""
    if len(raw) != 1:
        return None
    text = raw[0].strip()
    if kind in ("toggle", "checkbox"):
        low = text.lower()
        return True if low in _TRUE else False if low in _FALSE else None
    fmt, options = kwargs.get("format_func"), kwargs.get("options")
    if fmt is not None and options is not None and kind in _INDEX | {"select_slider", "segmented_control"}:
        labels = {str(fmt(o)) for o in options}
        if text not in labels:
            return {str(o): o for o in options}.get(text)
    is_list = kind in _DEFAULT and kind != "segmented_control" or isinstance(default, tuple | list)
    if not is_list:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if fmt is not None and options is not None:
        labels = {str(fmt(o)) for o in options}
        if all(p in labels for p in parts):
            return None  # the native form
    elif "," not in text:
        return None
    if options is not None:
        by_text = {str(o): o for o in options}
        if not all(p in by_text for p in parts):
            return None
        value = [by_text[p] for p in parts]
    else:
        try:
            cast = type(default[0]) if default else float
            value = [cast(p) for p in parts]
        except (TypeError, ValueError):
            return None
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        if any((lo is not None and v < lo) or (hi is not None and v > hi) for v in value):
            return None
    return tuple(value) if isinstance(default, tuple) else value


def clamp(value: Any, low: Any = None, high: Any = None, options: Any = None) -> Any:
    """``value`` brought into a widget's range: into [``low``, ``high``] (each end of a range slider's
    tuple), or, with ``options``, to the nearest option (by value for numbers, else the first). None
    when ``value`` already fits."""

    def one(v):
        if options is not None:
            opts = list(options)
            if v in opts or not opts:
                return v
            numbers = [o for o in opts if isinstance(o, int | float) and not isinstance(o, bool)]
            if isinstance(v, int | float) and len(numbers) == len(opts):
                return min(opts, key=lambda o: abs(o - v))
            return opts[0]
        if not isinstance(v, int | float) or isinstance(v, bool):
            return v
        if low is not None and v < low:
            return type(v)(low)
        if high is not None and v > high:
            return type(v)(high)
        return v

    out = tuple(one(v) for v in value) if isinstance(value, tuple) else one(value)
    return None if out == value else out


def keep_in_range(key: str, *, min_value: Any = None, max_value: Any = None, options: Any = None) -> None:
    """Clamp the value the widget ``key`` holds from an earlier run into its range today (see
    :func:`clamp`), before the widget is drawn: a control whose range depends on another (the iteration
    stepper's maximum is the number of iterations) then follows it instead of raising "The value 20 is
    greater than the max_value 1". :func:`persisted` does this for every slider, number input and select
    slider; call it yourself only for a plain ``st.slider`` with a ``key``."""
    if key not in st.session_state:
        return
    fixed = clamp(st.session_state[key], min_value, max_value, options)
    if fixed is not None:
        st.session_state[key] = fixed


def persisted(widget: Callable, label: str, *, key: str, default: Any, **kwargs) -> Any:
    """Draw ``widget(label, key=key, **kwargs)`` bound to the URL parameter ``key`` and kept per session.

    ``widget`` is any Streamlit input (``st.slider``, ``st.selectbox``, a column's ``col.radio`` ...);
    ``default`` is its value on a plain link. Keys are global across pages: prefix them with the page
    (``hop_``, ``rbm_``, ...) and never change what a key means, since shared links carry them.

    Example: ``persisted(st.slider, "Noise", key="hop_noise", default=0.2, min_value=0.0, max_value=1.0)``.
    """
    kind = getattr(widget, "__name__", "")
    if kind in _VALUE:
        kwargs["value"] = default
    elif kind in _INDEX:
        options = list(kwargs.get("options", []))
        kwargs["index"] = options.index(default) if default in options else 0
    elif kind in _DEFAULT:
        kwargs["default"] = default
    else:
        raise TypeError(f"persisted() does not know the widget {kind!r}.")
    if key not in st.session_state:
        decoded = _legacy(st.query_params.get_all(key), kind, default, kwargs)
        if decoded is not None:
            st.session_state[key] = decoded
    if kind in ("slider", "number_input", "select_slider"):
        options = kwargs.get("options") if kind == "select_slider" else None
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        keep_in_range(key, min_value=low, max_value=high, options=options)
    value = widget(label, key=key, bind="query-params", persist_state="session", **kwargs)
    snapshot.record_widget(key, kind, value, default, kwargs)  # the settings of "Download snapshot"
    return value


def follow_max(key: str, high: Any) -> None:
    """A stepper whose range grows and shrinks with the state (iterations run until the network
    settled): when it was at its end last time, it stays at the end of today's range."""
    mark = f"_follow_max_{key}"
    last = st.session_state.get(mark)
    if last is not None and last != high and st.session_state.get(key, None) == last:
        st.session_state[key] = high
    st.session_state[mark] = high


def control(c: Control, where=st, *, off: str | None = None, at_end: bool = False, **kw) -> Any:
    """Draw the :class:`~annlab.controls.Control` ``c`` (from a topic's ``defaults.py``) in ``where``
    (``st``, ``st.sidebar``, a column, a popover) bound to the URL; ``kw`` overrides widget options.

    ``off``: why the control does nothing in this state; it is then disabled and its help says why.
    ``at_end``: a slider left at the end of its range stays at the end when the range changes
    (:func:`follow_max`); a value beyond a shrunk range is clamped in any case."""
    if at_end:
        follow_max(c.key, kw.get("max_value", c.kw.get("max_value")))
    if off:
        kw["disabled"] = True
        help_text = kw.get("help", c.kw.get("help"))
        kw["help"] = f"**Off here:** {off}" + (f"\n\n{help_text}" if help_text else "")
    return persisted(getattr(where, c.widget), c.label, key=c.key, default=c.default, **{**c.kw, **kw})


def controls(table: dict[str, Control], n_cols: int = 1, **kw) -> dict[str, Any]:
    """Draw a table of controls (config field -> Control) in ``n_cols`` columns: field -> chosen value.

    ``kw`` overrides widget options of every control in the table (``disabled=True``)."""
    cols = st.columns(n_cols) if n_cols > 1 else [st]
    return {field: control(c, cols[i % n_cols], **kw) for i, (field, c) in enumerate(table.items())}
