"""Settings that survive page changes and round-trip through the URL.

Every persisted value lives in ``st.session_state`` under a key that no widget owns (``_keep_<key>``),
so Streamlit does not drop it when the widget disappears on another page, and is mirrored in
``st.query_params[key]``, so a link reproduces the exact state. Widgets are made through
:func:`persisted`, which reads the URL once per session, validates the value (out-of-range or unknown
values fall back to the default) and writes the value back after every run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

_KEEP = "_keep_"


def _decode(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, tuple)):
        items = [s for s in raw.split(",") if s != ""]
        if default and not isinstance(default[0], str):
            items = [type(default[0])(s) for s in items]
        return type(default)(items)
    return raw


def encode(value: Any) -> str:
    """A value as it is written into the URL."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _valid(value: Any, kwargs: dict) -> bool:
    options = kwargs.get("options")
    if options is not None:
        opts = list(options)
        if isinstance(value, (list, tuple)) and not kwargs.get("_single_choice"):
            return all(v in opts for v in value)
        return value in opts
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    vals = value if isinstance(value, (list, tuple)) else [value]
    try:
        return all((lo is None or v >= lo) and (hi is None or v <= hi) for v in vals)
    except TypeError:
        return False


def initial(key: str, default: Any, **kwargs) -> Any:
    """The value for ``key`` in this session: kept value, else the URL's (validated), else default."""
    keep = _KEEP + key
    if keep not in st.session_state:
        value = default
        raw = st.query_params.get(key)
        if raw is not None:
            try:
                decoded = _decode(raw, default)
                if _valid(decoded, kwargs):
                    value = decoded
            except (TypeError, ValueError):
                pass
        st.session_state[keep] = value
    return st.session_state[keep]


def remember(key: str, value: Any) -> None:
    """Keep ``value`` for ``key`` across pages and write it into the URL."""
    st.session_state[_KEEP + key] = value
    text = encode(value)
    if st.query_params.get(key) != text:
        st.query_params[key] = text


def persisted(widget: Callable, label: str, *, key: str, default: Any, **kwargs) -> Any:
    """Draw ``widget(label, key=key, **kwargs)`` whose value persists across pages and in the URL.

    Use keyword arguments for the widget's options, e.g.
    ``persisted(st.slider, "Noise", key="hop_noise", default=0.2, min_value=0.0, max_value=1.0)``
    or ``persisted(st.selectbox, "Rule", key="hop_rule", default="hebbian", options=RULES)``.
    Keys are global across pages, so prefix them with the page (``hop_``, ``rbm_``, ...).
    """
    single = widget in (st.selectbox, st.radio, st.select_slider, st.segmented_control, st.pills)
    check = dict(kwargs, _single_choice=single)
    if widget is st.select_slider and isinstance(default, tuple):
        check["_single_choice"] = False
    value = initial(key, default, **check)
    if key not in st.session_state:
        st.session_state[key] = value
    result = widget(label, key=key, **kwargs)
    remember(key, result)
    return result
