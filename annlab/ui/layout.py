"""Page frame and display helpers that respect projector mode."""

from __future__ import annotations

import numpy as np
import streamlit as st

from annlab.charts import style
from annlab.images import upscale
from annlab.ui.sidebar import LabSettings, current, sidebar


def page(title: str, intro: str, *, icon: str = "🧠") -> LabSettings:
    """Set up a page: wide layout, the shared sidebar, the title and the what-to-look-for paragraph."""
    st.set_page_config(page_title=f"{title} · annlab", page_icon=icon, layout="wide")
    settings = sidebar()
    st.title(title)
    st.markdown(intro)
    return settings


def show_chart(chart, **kwargs):
    """``st.altair_chart`` with the house style (projector mode from the sidebar).

    Extra keyword arguments go to ``st.altair_chart`` (e.g. ``on_select="rerun", key=...``); its return
    value (the selection state, when selecting) is returned.
    """
    kwargs.setdefault("width", "stretch")
    return st.altair_chart(style(chart, projector=current().projector), **kwargs)


def show_image(img: np.ndarray, caption: str | None = None, *, scale: int | None = None,
               clamp: bool = True) -> None:
    """Show a gray or RGB float image in [0, 1], upscaled with crisp pixels (more in projector mode).

    By default the scale fits the image into about 600 x 280 screen pixels (900 x 420 in projector
    mode), so a single digit and a wide strip of digits are both legible.
    """
    img = np.asarray(img, np.float32)
    if scale is None:
        h, w = img.shape[:2]
        max_w, max_h = (900, 420) if current().projector else (600, 280)
        scale = max(1, min(max_w // max(w, 1), max_h // max(h, 1)))
    st.image(upscale(np.clip(img, 0, 1) if clamp else img, scale), caption=caption, clamp=clamp)
