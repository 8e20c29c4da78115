"""Display helpers that respect projector mode: charts, images and image grids."""

from __future__ import annotations

import numpy as np
import streamlit as st

from annlab.charts import style
from annlab.images import tile, upscale
from annlab.settings import fast_mode
from annlab.ui.cached import call
from annlab.ui.sidebar import current

PROJECTOR_ZOOM = 1.5  # images are this much wider in projector mode


def show_chart(chart, **kwargs):
    """Draw an Altair chart with the house style (projector mode from the sidebar).

    Extra keyword arguments go to ``st.vega_lite_chart`` (e.g. ``on_select="rerun", key=...``); its
    return value (the selection state, when selecting) is returned. Checking a spec against the
    Vega-Lite schema takes about a third of a chart's server time, so it is done only in fast mode,
    where the test suite draws every chart of every page.
    """
    kwargs.setdefault("width", "stretch")
    spec = style(chart, projector=current().projector).to_dict(validate=fast_mode())
    return st.vega_lite_chart(spec, **kwargs)


_BUILDERS: dict[str, object] = {}  # chart functions by dotted name (the cache keys on the name)


def _spec(name: str, projector: bool, validate: bool, args: tuple, kwargs: dict) -> dict:
    return style(_BUILDERS[name](*args, **kwargs), projector=projector).to_dict(validate=validate)


def chart(build, *args, **kwargs) -> None:
    """Draw the chart ``build(*args, **kwargs)`` (a function of a topic's ``charts.py``), built once.

    The finished Vega-Lite spec is cached per arguments (as :func:`annlab.ui.call`), so a rerun, or a
    slider moved back to a position seen before, skips building the Altair chart (tens of ms each).
    """
    name = f"{build.__module__}.{build.__qualname__}"
    _BUILDERS[name] = build
    spec = call(_spec, name, current().projector, fast_mode(), args, kwargs)
    st.vega_lite_chart(spec, width="stretch")


def show_image(img: np.ndarray, caption: str | None = None, *, width: int = 600, clamp: bool = True) -> None:
    """Show a gray (h, w) or RGB (h, w, 3) image in [0, 1] about ``width`` pixels wide, crisp pixels.

    The image is upscaled by a whole factor (nearest neighbour, so digits stay sharp), at most to
    ``width`` screen pixels (times 1.5 in projector mode) and never above 420 (630) pixels tall.
    """
    img = np.asarray(img, np.float32)
    zoom = PROJECTOR_ZOOM if current().projector else 1.0
    h, w = img.shape[:2]
    scale = max(1, min(int(width * zoom) // max(w, 1), int(420 * zoom) // max(h, 1)))
    st.image(upscale(np.clip(img, 0, 1) if clamp else img, scale), caption=caption, clamp=clamp)


def image_grid(
    images,
    ncols: int = 10,
    *,
    caption: str | None = None,
    width: int = 600,
    normalise_each: bool = False,
    pad: int = 1,
    pad_value: float = 0.5,
) -> None:
    """Tile images (n, h, w), (n, h*w) for square ones, or (n, h, w, 3) into a grid and show it.

    One helper for every grid of digits, filters and samples: ``ncols`` per row, about ``width``
    pixels wide (see :func:`show_image`); ``normalise_each`` min-max scales each image (filters).
    """
    show_image(
        tile(images, ncols, pad=pad, pad_value=pad_value, normalise_each=normalise_each), caption, width=width
    )
