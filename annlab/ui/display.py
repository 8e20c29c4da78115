"""Display helpers that respect projector mode: charts, images and image grids."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from annlab.charts import style, themed
from annlab.describe import FigureText, describe_chart, describe_images
from annlab.images import tile, upscale
from annlab.settings import check_charts
from annlab.ui import snapshot
from annlab.ui.cached import call
from annlab.ui.on_demand import token
from annlab.ui.sidebar import current

PROJECTOR_ZOOM = 1.5  # images are this much wider in projector mode


def show_chart(chart, **kwargs):
    """``st.altair_chart`` with the house style (projector mode from the sidebar).

    Extra keyword arguments go to ``st.altair_chart`` (e.g. ``on_select="rerun", key=...``); its return
    value (the selection state, when selecting) is returned. Prefer :func:`chart` for a chart that
    is the same on many reruns.
    """
    kwargs.setdefault("width", "stretch")
    styled = style(chart, projector=current().projector)
    # st.altair_chart's own conversion (datasets named by their rows, as it does), then
    # st.vega_lite_chart: the spec is at hand to describe it
    spec = themed(_convert_altair_to_vega_lite_spec(_Unchecked(styled)), dark_theme())
    text = _describe(spec)
    out = st.vega_lite_chart(spec, alt=text.label, **kwargs)
    snapshot.record_chart(out, styled)  # for "Download snapshot"
    figure_text(text)
    return out


def dark_theme() -> bool:
    """True when the browser shows Streamlit's dark theme (``st.context.theme``; light when unknown)."""
    try:
        return st.context.theme.type == "dark"
    except Exception:
        return False


def _describe(spec: dict, frames: dict | None = None) -> FigureText:
    try:
        return describe_chart(spec, frames)
    except Exception:  # a text alternative must never break a page; the browser test finds it missing
        return FigureText(title="", sentence="")


_SR_ONLY = "annlab-sr"  # visually hidden, read by screen readers (BASE_CSS in annlab/ui/frame.py)


def figure_text(text: FigureText) -> None:
    """The text alternative of the chart drawn just before: its title and sentence (hidden; the
    frame's script makes them the chart's accessible name and description) and a "Data as a table"
    disclosure with the chart's rows (every k-th row of a long dataset)."""
    if not text.sentence:
        return
    title, sentence = escape(text.title), escape(text.sentence)
    body = ""
    if text.table is not None and len(text.table):
        shown = len(text.table)
        note = f"{text.rows} rows" if shown == text.rows else f"{shown} evenly spaced rows of {text.rows}"
        frame = text.table.rename(columns=str).rename_axis(index=None, columns=None)
        html = frame.to_html(index=False, border=0, classes="annlab-datatable", escape=True, float_format=_g)
        body = (
            f'<details><summary>Data as a table<span class="{_SR_ONLY}">: {title}</span></summary>'
            f'<div class="annlab-datawrap" tabindex="0" role="region" aria-label="Data of {title}">'
            f"<p>{title}: {note}.</p>{html}</div></details>"
        )
    st.html(
        f'<div class="annlab-figtext"><span class="annlab-figtitle" hidden>{title}</span>'
        f'<span class="annlab-figdesc" hidden>{sentence}</span>{body}</div>'
    )


def live_curves(slot, frame: pd.DataFrame, *, height: int = 180) -> None:
    """``slot.line_chart(frame)`` (learning curves while a model trains: one column per curve, the
    epoch as index) with its text alternative (:func:`figure_text`): where each curve started and is now."""
    from annlab.describe import fmt

    with slot.container():
        st.line_chart(frame, height=height)
        index = frame.index
        words = [
            f"{c}: from {fmt(frame[c].iloc[0])} to {fmt(frame[c].iloc[-1])}"
            for c in frame.columns
            if len(frame)
        ]
        span = f" over {index.name or 'x'} {fmt(index[0])} to {fmt(index[-1])}" if len(frame) else ""
        sentence = f"Line chart of {', '.join(map(str, frame.columns))}{span}" + (
            f": {'; '.join(words)}" if words else ""
        )
        table = frame.reset_index()
        if len(table) > 40:  # evenly spaced rows, first and last included
            table = table.iloc[np.linspace(0, len(table) - 1, 40).round().astype(int)]
        figure_text(FigureText("Learning curves while training", sentence + ".", table, len(frame)))


def _g(v: float) -> str:
    return f"{v:.4g}"


_BUILDERS: dict[str, object] = {}  # chart functions by dotted name (the cache keys on the name)


class _Unchecked:
    """A chart whose ``to_dict()`` skips the Vega-Lite schema check (unless ``ANNLAB_CHECK_CHARTS``)."""

    def __init__(self, chart) -> None:
        self.chart = chart

    def to_dict(self) -> dict:
        return self.chart.to_dict(validate=check_charts())


def _spec(name: str, projector: bool, args: tuple, kwargs: dict, dark: bool = False) -> dict:
    # st.altair_chart's own conversion (Streamlit is pinned at 1.67.0): the "none" theme, the data as
    # Arrow datasets beside the spec; the schema check only in the tests (ANNLAB_CHECK_CHARTS).
    chart = style(_BUILDERS[name](*args, **kwargs), projector=projector)
    spec = themed(stable_names(_convert_altair_to_vega_lite_spec(_Unchecked(chart))), dark)
    return spec


_TEXT = "_annlab_text"  # the key of a cached spec's FigureText (taken off before the spec is drawn)


def _described(name: str, projector: bool, args: tuple, kwargs: dict, dark: bool = False) -> dict:
    # _spec with its text alternative under _TEXT, cached with it (described once per arguments)
    spec = _spec(name, projector, args, kwargs, dark)
    return {**spec, _TEXT: _describe(spec)}


def stable_names(spec: dict) -> dict:
    """``spec`` with its datasets named by position ("data0", "data1", ...) instead of by a hash of
    their rows. The same chart of other numbers (the race at another noise, the forecast at another
    lag) then has the same spec, and the browser replaces the rows in the view it has instead of
    building a new view (which costs it tens of milliseconds a chart on every slider move)."""
    names = {old: f"data{i}" for i, old in enumerate(spec.get("datasets", {}))}

    def rename(node):
        if isinstance(node, dict):
            if isinstance(node.get("name"), str) and node["name"] in names and len(node) == 1:
                return {"name": names[node["name"]]}
            return {k: v if k == "datasets" else rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        return node

    out = rename(spec)
    if names:
        out["datasets"] = {names[old]: rows for old, rows in spec["datasets"].items()}
    return out


def _keyed_spec(
    name: str, projector: bool, cache_key: str, kwargs: dict, _args: tuple, dark: bool = False
) -> dict:
    # _spec cached on ``cache_key`` (its token) instead of the arguments (a leading underscore:
    # st.cache_data does not hash ``_args``).
    return _described(name, projector, _args, kwargs, dark)


def with_params(spec: dict, values: dict) -> dict:
    """A shallow copy of a Vega-Lite ``spec`` whose top-level parameters named in ``values`` take those
    values (data and everything else shared, not copied)."""
    if "params" not in spec:
        return spec
    params = [dict(p, value=values[p["name"]]) if p.get("name") in values else p for p in spec["params"]]
    return {**spec, "params": params}


def with_data(spec: dict, frames: dict[str, pd.DataFrame]) -> dict:
    """A shallow copy of a Vega-Lite ``spec`` whose named datasets (``alt.NamedData(name)``) are the
    rows of ``frames`` (the other datasets shared, not copied)."""
    return {**spec, "datasets": {**spec.get("datasets", {}), **frames}}


def as_drawn(chart, param_values: dict | None, data_values: dict | None):
    """The Altair ``chart`` with the parameter values and named datasets the page drew it with (what a
    snapshot saves)."""
    for param in chart.params if param_values and chart.params is not alt.Undefined else ():
        if param.name in param_values:
            param.value = param_values[param.name]
    if data_values:
        chart.datasets = {name: frame.to_dict("records") for name, frame in data_values.items()}
    return chart


def chart_spec(build, *args, projector: bool, cache_key=None, dark: bool = False, **kwargs) -> dict:
    """The cached Vega-Lite spec of ``build(*args, **kwargs)`` in the house style (what :func:`chart`
    draws); a background job calls it to prepare a slider position ahead (``ui.ahead``). ``cache_key``
    as in :func:`chart`; ``dark``: coloured for the dark theme (:func:`annlab.charts.themed`)."""
    spec = dict(_cached_spec(build, args, kwargs, projector, cache_key, dark))
    spec.pop(_TEXT, None)
    return spec


def _cached_spec(build, args: tuple, kwargs: dict, projector: bool, cache_key, dark: bool) -> dict:
    """The cached spec of :func:`chart_spec` with its :class:`FigureText` under ``_TEXT``."""
    name = f"{build.__module__}.{build.__qualname__}"
    _BUILDERS[name] = build
    if cache_key is None:
        return call(_described, name, projector, args, kwargs, *((True,) if dark else ()))
    return call(_keyed_spec, name, projector, token(cache_key), kwargs, args, *((True,) if dark else ()))


def chart(
    build, *args, param_values: dict | None = None, data_values: dict | None = None, cache_key=None, **kwargs
) -> None:
    """Draw the chart ``build(*args, **kwargs)`` (a function of a topic's ``charts.py``), built once.

    The finished Vega-Lite spec is cached per arguments (as :func:`annlab.ui.call`), so a rerun, or a
    slider moved back to a position seen before, skips building, converting and checking the Altair
    chart (tens of milliseconds each). ``cache_key``: a small value that determines ``args`` (the
    config and seed they were computed from), hashed in their place: hashing a race's arrays on every
    rerun cost ~5 ms a chart. A slider that only moves part of a chart does no new work on the server:

    - ``param_values`` sets the values of the chart's top-level Vega-Lite parameters
      (``alt.param(name=...)``) on the cached spec. The spec changes, so the browser builds the view
      again: for small charts whose every mark reads the parameter (the CNN's kernel board).
    - ``data_values`` gives the rows of the chart's named datasets (``alt.NamedData(name)``, one
      DataFrame each). The spec stays the same, so the browser keeps its view and replaces those rows
      alone: for a mark that moves on a big chart (the latent map's decoded point over 1,000 codes).
    """
    projector = current().projector
    spec = dict(_cached_spec(build, args, kwargs, projector, cache_key, dark_theme()))
    text = spec.pop(_TEXT, None) or _describe(spec)
    spec = with_params(spec, param_values) if param_values else spec
    if data_values:  # other rows than the cached spec's: describe what is drawn
        spec = with_data(spec, data_values)
        text = _describe(spec, {**_frames(spec), **data_values})
    # no ``alt``: the element stays the same when only the rows change (the browser keeps its view);
    # the frame's script names the chart from figure_text's title and sentence
    out = st.vega_lite_chart(spec, width="stretch")

    def drawn():  # for snapshots
        return as_drawn(style(build(*args, **kwargs), projector=projector), param_values, data_values)

    snapshot.record_chart(out, drawn)
    figure_text(text)


def _frames(spec: dict) -> dict:
    from annlab.describe import datasets

    return datasets(spec)


def table(frame: pd.DataFrame, *, index: bool = False) -> None:
    """A static table (``frame``'s cells as they are, text preferably) drawn as plain HTML in the house
    style (:data:`annlab.ui.frame.BASE_CSS`): one element the browser lays out at once when a slider
    moves, where ``st.table`` renders every cell as a styled component (~30 ms more per move measured
    on the optimizer race). ``index``: the row labels as a first column. :func:`read_table` reads it
    back (the tests, the lesson checks)."""
    frame = frame.rename_axis(index=None, columns=None)
    body = frame.to_html(index=index, border=0, classes="annlab-table", escape=True)
    body = body.replace("<table ", f'<table data-index="{int(index)}" ', 1)
    st.html(f'<div style="overflow-x: auto">{body}</div>')  # a wide table scrolls, the page does not


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.index = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "table":
            self.index = dict(attrs).get("data-index") == "1"
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_table(html: str) -> pd.DataFrame | None:
    """The frame a :func:`table` shows, from its HTML (None for other HTML): cells as text."""
    if 'class="dataframe annlab-table"' not in html:
        return None
    cells = _Cells()
    cells.feed(html)
    head, rows = cells.rows[0], cells.rows[1:]
    if not cells.index:
        return pd.DataFrame(rows, columns=head)
    return pd.DataFrame([r[1:] for r in rows], columns=head[1:], index=[r[0] for r in rows])


def show_image(
    img: np.ndarray,
    caption: str | None = None,
    *,
    width: int = 600,
    clamp: bool = True,
    alt: str | None = None,
) -> None:
    """Show a gray (h, w) or RGB (h, w, 3) image in [0, 1] about ``width`` pixels wide, crisp pixels.

    The image is upscaled by a whole factor (nearest neighbour, so digits stay sharp), at most to
    ``width`` screen pixels (times 1.5 in projector mode) and never above 420 (630) pixels tall.
    ``alt``: its alternative text (default: the caption, the image's size and brightness).
    """
    img = np.asarray(img, np.float32)
    zoom = PROJECTOR_ZOOM if current().projector else 1.0
    h, w = img.shape[:2]
    scale = max(1, min(int(width * zoom) // max(w, 1), int(420 * zoom) // max(h, 1)))
    shown = upscale(np.clip(img, 0, 1) if clamp else img, scale)
    alt = alt or describe_images(np.clip(img, 0, 1), caption=caption, grid=False)
    snapshot.record_image(st.image(shown, caption=caption, clamp=clamp, alt=alt), shown, caption)  # snapshots


def image_grid(
    images,
    ncols: int = 10,
    *,
    caption: str | None = None,
    width: int = 600,
    normalise_each: bool = False,
    pad: int = 1,
    pad_value: float = 0.5,
    alt: str | None = None,
) -> None:
    """Tile images (n, h, w), (n, h*w) for square ones, or (n, h, w, 3) into a grid and show it.

    One helper for every grid of digits, filters and samples: ``ncols`` per row, about ``width``
    pixels wide (see :func:`show_image`); ``normalise_each`` min-max scales each image (filters).
    ``alt``: the grid's alternative text (default: the caption, then the grid's shape and brightness).
    """
    grid = tile(images, ncols, pad=pad, pad_value=pad_value, normalise_each=normalise_each)
    if alt is None:
        kind = "filters, each scaled to its own range" if normalise_each else None
        alt = describe_images(np.clip(np.asarray(images, np.float32), 0, 1), ncols, caption or kind)
    show_image(grid, caption, width=width, alt=alt)
