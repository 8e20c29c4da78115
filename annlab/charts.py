"""Shared Altair chart builders: pure functions from arrays / DataFrames to ``alt.Chart``.

Colours come from the Okabe-Ito palette (colour-blind safe). :func:`style` applies the projector
look (larger fonts, thicker lines and marks) to any finished chart; pages call it through
``annlab.ui.show_chart``. Topic modules keep their own special charts next to their maths.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd
from altair.utils import schemapi


class _CachedFromDict(schemapi._FromDict):
    """Altair 6.3 rebuilds a table of every schema class (a ``json.dumps`` of each of ~560 schemas,
    about 25 ms) each time an encoding is given as a string (``x="epoch"``, a tooltip list). The
    classes never change after import, so the table is built once per class set."""

    _tables: dict = {}

    def __init__(self, wrapper_classes, /) -> None:
        classes = tuple(wrapper_classes)
        table = self._tables.get(classes)
        if table is None:
            super().__init__(classes)
            self._tables[classes] = self.class_dict
        else:
            self.class_dict = table


schemapi._FromDict = _CachedFromDict

# Size a chart by its plot: the width fits the container, and titles, axes and legend add to the given
# height instead of squeezing the plot (large projector fonts squeezed it to a sliver).
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# Lines and marks need 3:1 against the page (WCAG 2.2, 1.4.11). Three Okabe-Ito colours fall below it on
# white (orange 2.3, sky blue 2.3, yellow 1.3) and black does on Streamlit's dark background (1.1): on
# each background those are drawn in a darker (lighter) shade of the same hue, >= 3.5:1 (tests/test_a11y.py).
LIGHT_BACKGROUND, DARK_BACKGROUND = "#FFFFFF", "#0E1117"  # Streamlit's light and dark themes
CONTRAST_SHADES = {
    False: {"#E69F00": "#B57C00", "#56B4E9": "#3A8DC4", "#F0E442": "#8C8300"},
    True: {"#000000": "#C0C0C0", "#444444": "#A0A0A0"},
}


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""

    def luminance(h: str) -> float:
        c = [int(h.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def themed(spec, dark: bool):
    """A copy of the Vega-Lite ``spec`` (a dict) whose colours that lack contrast on the light (``dark``:
    the dark) background are replaced by their :data:`CONTRAST_SHADES` (the datasets are shared)."""
    shades = {k.lower(): v for k, v in CONTRAST_SHADES[dark].items()}

    def walk(node):
        if isinstance(node, str):
            return shades.get(node.lower(), node)
        if isinstance(node, dict):
            return {k: v if k == "datasets" else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(spec)


# Vega draws every chart on a canvas: a slider move then repaints it in a few milliseconds, where the SVG
# renderer (Streamlit's choice below 2,000 points per dataset) updates one DOM node per mark (thousands
# of DOM changes, then style and layout, per chart and per move).
CANVAS = {"embedOptions": {"renderer": "canvas"}}


@functools.lru_cache(maxsize=2)
def _config(projector: bool) -> alt.Config:
    font, title, stroke, point = (20, 24, 4, 160) if projector else (13, 15, 2, 50)
    return alt.Config(
        # no per-point ARIA description expressions (a canvas draws none of them anyway); the chart as a
        # whole keeps its accessible name (Vega's container, from the spec's description)
        mark=alt.MarkConfig(aria=False),
        range=alt.RangeConfig(category=OKABE_ITO),
        axis=alt.AxisConfig(labelFontSize=font, titleFontSize=font, grid=True, aria=False),
        legend=alt.LegendConfig(
            aria=False,
            labelFontSize=font,
            titleFontSize=font,
            symbolSize=point * 2,
            symbolStrokeWidth=stroke,
            labelLimit=400,
        ),
        title=alt.TitleConfig(fontSize=title, anchor="start"),
        line=alt.LineConfig(strokeWidth=stroke),
        point=alt.MarkConfig(size=point),
        circle=alt.MarkConfig(size=point),
        text=alt.MarkConfig(fontSize=font),
    )


def style(chart: alt.TopLevelMixin, *, projector: bool = False) -> alt.TopLevelMixin:
    """Apply the house look; ``projector=True`` gives large fonts and thick marks for a beamer.

    One config object, set on a shallow copy: chaining ``configure_*`` deep-copies the chart (and its
    data) once per call, which made every page rerun measurably slower.
    """
    out = chart.copy(deep=False)
    out.config = _config(projector)
    out.usermeta = CANVAS
    return out


def lines(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    log_y: bool = False,
    height: int = 300,
) -> alt.Chart:
    """Line chart of ``y`` against ``x`` in long format, one line per value of ``color``."""
    scale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    enc = {
        "x": alt.X(x, type="quantitative", title=x_title or x),
        "y": alt.Y(y, type="quantitative", title=y_title or y, scale=scale),
        "tooltip": [c for c in (x, y, color) if c],
    }
    if color:
        enc["color"] = alt.Color(color, type="nominal", title=color)
    return alt.Chart(df, title=title, height=height).mark_line(point=False).encode(**enc)


def heatmap(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    value: str,
    title: str = "",
    fmt: str = ".3g",
    scheme: str = "viridis",
    reverse: bool = False,
    height: int = 300,
    x_order: list | None = None,
    y_order: list | None = None,
) -> alt.LayerChart:
    """Annotated heat map of ``value`` over two discrete axes (sorted, or in the given orders)."""
    base = alt.Chart(df, title=title, height=height).encode(
        x=alt.X(x, type="ordinal", title=x, sort=x_order or "ascending"),
        y=alt.Y(y, type="ordinal", title=y, sort=y_order or "ascending"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            value, type="quantitative", title=value, scale=alt.Scale(scheme=scheme, reverse=reverse)
        ),
        tooltip=[x, y, alt.Tooltip(value, format=fmt)],
    )
    # white on the dark half of the colour scheme, black on the light half (viridis-like schemes)
    vals = pd.to_numeric(df[value], errors="coerce") if value in df else pd.Series(dtype=float)
    mid = float((vals.min() + vals.max()) / 2) if vals.notna().any() else 0.0
    light_high = not reverse
    test = f"datum[{value!r}] {'>' if light_high else '<'} {mid!r}"
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text(value, type="quantitative", format=fmt),
        color=alt.condition(test, alt.value("black"), alt.value("white")),
    )
    return rect + text


def bars(
    labels, values, *, x_title: str = "", y_title: str = "", title: str = "", height: int = 300
) -> alt.Chart:
    """Bar chart of ``values`` per label, labels kept in the given order."""
    df = pd.DataFrame({"label": [str(v) for v in labels], "value": np.asarray(values, float)})
    return (
        alt.Chart(df, title=title, height=height)
        .mark_bar()
        .encode(
            x=alt.X("label", type="nominal", sort=list(df["label"]), title=x_title),
            y=alt.Y("value", type="quantitative", title=y_title),
            tooltip=["label", alt.Tooltip("value", format=".3g")],
        )
    )


def scatter(
    X2: np.ndarray,
    labels,
    *,
    title: str = "",
    x_title: str = "dim 1",
    y_title: str = "dim 2",
    label_title: str = "label",
    order=None,
    height: int = 400,
) -> alt.Chart:
    """2-D scatter of points ``X2`` (n, 2) coloured by ``labels``.

    Categories appear in ``order`` (default: sorted, numbers numerically); more than 8 categories switch
    to Tableau colours so none repeats (:func:`category_scale`).
    """
    X2 = np.asarray(X2, float)
    groups = [str(v) for v in (order if order is not None else sorted(set(np.asarray(labels).tolist())))]
    df = pd.DataFrame({"x": X2[:, 0], "y": X2[:, 1], label_title: [str(v) for v in labels]})
    return (
        alt.Chart(df, title=title, height=height)
        .mark_circle(opacity=0.7)
        .encode(
            x=alt.X("x", type="quantitative", title=x_title, scale=alt.Scale(zero=False)),
            y=alt.Y("y", type="quantitative", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                label_title, type="nominal", sort=groups, scale=category_scale(len(groups)), title=label_title
            ),
            tooltip=[label_title],
        )
    )


def category_scale(n: int) -> alt.Scale | None:
    """Okabe-Ito (the default) for up to 8 categories; Tableau 10/20 beyond, so no colour repeats."""
    if n <= len(OKABE_ITO):
        return alt.Undefined
    return alt.Scale(scheme="tableau10" if n <= 10 else "tableau20")


PAIRED = ("loss", "val_loss")  # drawn in one chart: the gap between them is the point


def curve_groups(keys) -> list[tuple[str, ...]]:
    """History keys in the charts they share: ``loss`` with ``val_loss``, every other key alone."""
    paired = tuple(k for k in keys if k in PAIRED)
    return ([paired] if paired else []) + [(k,) for k in keys if k not in PAIRED]


def history_chart(history: list[dict], group: tuple[str, ...], *, height: int = 200) -> alt.Chart:
    """Learning curves of the history keys ``group`` against ``epoch`` (one dict per epoch).

    Use :func:`curve_groups` to split a model's keys: ``loss`` and ``val_loss`` share one chart
    (overfitting shows as the gap between them); other metrics get their own, so their scales stay
    readable.
    """
    long = (
        pd.DataFrame(history)
        .melt(id_vars="epoch", value_vars=list(group), var_name="curve", value_name="value")
        .dropna()
    )
    return lines(
        long,
        x="epoch",
        y="value",
        color="curve" if len(group) > 1 else None,
        title=" and ".join(group),
        x_title="epoch",
        y_title=group[0],
        height=height,
    )
