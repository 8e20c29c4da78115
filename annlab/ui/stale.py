"""``keep_last``: a section that keeps its last figure on screen, marked stale, while a new one computes.

A slider position that is not ready (not in the model store, not precomputed) must never blank the
page: the section first redraws what it showed last (from this session), with a caption saying it is
stale, then computes (the computation draws its own progress below it), then replaces the stale figure
with the new one in place. A position that is ready is drawn at once, with nothing stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

STALE = ":material/history: **Stale:** still showing {old} while {new} computes (progress below) ..."


def keep_last(
    key: str,
    compute: Callable[[], Any],
    draw: Callable[[Any, bool], None],
    *,
    ready: bool,
    label: str,
) -> Any:
    """Draw ``draw(compute(), False)``; when not ``ready``, draw the last value stale meanwhile.

    Parameters
    ----------
    key : names the section in the session (page-prefixed, like widget keys)
    compute : makes the value; may draw progress (``ui.train``) and take a while
    draw : ``draw(value, stale)`` draws the section's figure (``stale`` True for the old value: skip
        anything keyed or interactive there)
    ready : True when ``compute`` returns at once (nothing to train)
    label : the new position in words ("lag 45"), for the stale caption

    Returns
    -------
    The computed value.
    """
    slot = f"_keep_last_{key}"
    box = st.empty()
    last = st.session_state.get(slot)
    if not ready and last is not None and last[0] != label:
        with box.container():
            st.caption(STALE.format(old=last[0], new=label))
            draw(last[1], True)
    value = compute()
    st.session_state[slot] = (label, value)
    with box.container():
        draw(value, False)
    return value
