"""Charts of the Convolutions page: pure functions returning Altair charts (house style applied by ``ui``)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.charts import FIT_WIDTH, bars, lines

CELL = 40  # pixels per matrix cell in the convolution figures
ORANGE, BLUE, GRAY = "#E69F00", "#56B4E9", "#DDDDDD"


def _fmt(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.2g}"


def _texts(values: np.ndarray) -> list[str]:
    return [_fmt(v) for v in np.asarray(values).ravel()]


def _board(panels: list[dict], *, stride: int, dilation: int, kernel: tuple[int, int], out_cols: int):
    """Matrices laid out on one grid, the kernel window drawn from the Vega-Lite parameter ``pos``.

    Every kernel position is in the one spec: the window on each input panel, the current output cell
    and the cells filled so far are computed in the browser from ``pos`` (the 0-based window number),
    so moving a position slider only changes that parameter (``ui.chart(..., param_values=...)``).
    Each panel: ``kind`` ("input", "kernel", "output"), ``values`` (2-D), ``x0``, ``y0`` (grid offset),
    ``title``, ``pad`` (padding cells drawn gray on an input).
    """
    rows, titles = [], []
    width = height = 0
    for panel in panels:
        v = np.asarray(panel["values"], float)
        h, w = v.shape
        pad = panel.get("pad", 0)
        for (r, c), text in zip(np.ndindex(h, w), _texts(v), strict=True):
            inside = pad <= r < h - pad and pad <= c < w - pad
            idx = r * w + c if panel["kind"] == "output" else -1
            x, y = panel["x0"] + c, panel["y0"] + r
            rows.append(
                dict(
                    kind=panel["kind"],
                    row=r,
                    col=c,
                    x=x,
                    x2=x + 1,
                    y=y,
                    y2=y + 1,
                    xc=x + 0.5,
                    yc=y + 0.5,
                    text=text,
                    pad=not inside,
                    idx=idx,
                )
            )
        titles.append({"x": panel["x0"], "y": panel["y0"] - 0.35, "title": panel["title"]})
        width, height = max(width, panel["x0"] + w), max(height, panel["y0"] + h)
    (kh, kw), s, d = kernel, stride, dilation
    dr = f"(datum.row - floor(pos / {max(out_cols, 1)}) * {s})"
    dc = f"(datum.col - (pos % {max(out_cols, 1)}) * {s})"
    under = (
        f"datum.kind == 'input' && {dr} >= 0 && {dr} % {d} == 0 && {dr} / {d} < {kh} "
        f"&& {dc} >= 0 && {dc} % {d} == 0 && {dc} / {d} < {kw}"
    )
    fill = (
        f"datum.under ? '{ORANGE}' : datum.kind == 'input' ? (datum.pad ? '{GRAY}' : 'white') : "
        f"datum.kind == 'kernel' ? '{ORANGE}' : datum.idx == pos ? '{ORANGE}' : "
        f"datum.idx < pos ? '{BLUE}' : 'white'"
    )
    pos = alt.param(name="pos", value=0)
    cells = (
        alt.Chart(pd.DataFrame(rows))
        .transform_calculate(under=under)
        .transform_calculate(
            fill=fill,
            outline="datum.under || datum.idx == pos ? 4 : 0.5",
            shown="datum.kind == 'output' && datum.idx > pos ? '' : datum.text",
        )
    )
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, width]), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[height, -1]), axis=None)
    rect = cells.mark_rect(stroke="#555555").encode(
        x=x,
        x2="x2:Q",
        y=y,
        y2="y2:Q",
        color=alt.Color("fill:N", scale=None),
        strokeWidth=alt.StrokeWidth("outline:Q", scale=None),
        tooltip=[alt.Tooltip("text:N", title="value")],
    )
    text = cells.mark_text(color="black").encode(x="xc:Q", y="yc:Q", text="shown:N")
    heads = alt.Chart(pd.DataFrame(titles)).mark_text(align="left", baseline="bottom", fontWeight="bold")
    heads = heads.encode(x="x:Q", y="y:Q", text="title:N")
    size = dict(width=width * CELL, height=(height + 1) * CELL, view=alt.ViewBackground(stroke=None))
    return alt.layer(rect, text, heads).add_params(pos).properties(**size)


def window(padded: np.ndarray, kernel: np.ndarray, output: np.ndarray, pad: int, stride: int, dilation: int):
    """The kernel window on the padded input, the kernel, and the output filled up to the window of the
    Vega-Lite parameter ``pos`` (every position in one spec, see :func:`_board`).

    Parameters
    ----------
    padded : (h + 2p, w + 2p) input; kernel : (kh, kw); output : (oh, ow)
    pad : padding on each side (those cells are drawn gray); stride, dilation : of the convolution
    """
    ph, pw = padded.shape
    kh, kw = kernel.shape
    panels = [
        dict(kind="input", values=padded, x0=0, y0=0, title="Input X (gray: padding)", pad=pad),
        dict(kind="kernel", values=kernel, x0=pw + 1, y0=0, title="Kernel K"),
        dict(kind="output", values=output, x0=pw + kw + 2, y0=0, title="Output"),
    ]
    geometry = dict(stride=stride, dilation=dilation, kernel=(kh, kw), out_cols=output.shape[1])
    return _board(panels, **geometry)


def channels(X: np.ndarray, K: np.ndarray, per_channel: np.ndarray, output: np.ndarray):
    """The multi-channel step (stride 1, no padding): one row per channel (input with its window, kernel,
    channel result), and the summed output plus bias; the window follows the parameter ``pos``."""
    names = ("red", "green", "blue")
    _, h, w = X.shape
    _, kh, kw = K.shape
    oh, ow = output.shape
    panels = []
    for c in range(len(X)):
        y0 = c * (h + 1)
        name = names[c] if c < 3 else str(c + 1)
        panels += [
            dict(kind="input", values=X[c], x0=0, y0=y0, title=f"channel {c + 1} ({name})"),
            dict(kind="kernel", values=K[c], x0=w + 1, y0=y0, title=f"kernel {c + 1}"),
            dict(kind="output", values=per_channel[c], x0=w + kw + 2, y0=y0, title="result"),
        ]
    panels.append(dict(kind="output", values=output, x0=w + kw + ow + 4, y0=0, title="sum + bias"))
    return _board(panels, stride=1, dilation=1, kernel=(kh, kw), out_cols=ow)


def race(curves: pd.DataFrame, against: str = "epoch") -> alt.Chart:
    """Validation accuracy (digits carved from the training split) of each optimizer against epochs or
    training seconds."""
    x_title = "epoch" if against == "epoch" else "training time (s)"
    chart = lines(
        curves,
        x=against,
        y="val_acc",
        color="optimizer",
        title=f"Validation accuracy against {x_title}",
        x_title=x_title,
        y_title="validation accuracy",
        height=280,
    )
    return chart.mark_line(point=True).properties(autosize=FIT_WIDTH)


def race_loss(curves: pd.DataFrame) -> alt.Chart:
    """Training loss of each optimizer against epochs (log scale)."""
    chart = lines(
        curves,
        x="epoch",
        y="loss",
        color="optimizer",
        title="Training loss (cross-entropy)",
        x_title="epoch",
        y_title="training loss",
        log_y=True,
        height=280,
    )
    return chart.mark_line(point=True).properties(autosize=FIT_WIDTH)


def probabilities(probs: np.ndarray) -> alt.Chart:
    """The ten class probabilities as bars."""
    chart = bars(
        range(10), probs, x_title="digit", y_title="probability", title="What the CNN answers", height=220
    )
    return chart.properties(autosize=FIT_WIDTH)


def scores(table: pd.DataFrame) -> alt.LayerChart:
    """Test accuracy per model with +-1 standard error bars."""
    df = table.assign(
        low=table["test accuracy"] - table["± (standard error)"],
        high=table["test accuracy"] + table["± (standard error)"],
    )
    order = list(df["model"])
    base = alt.Chart(
        df, title="Test accuracy on the held-out digits (±1 standard error)", height=60 + 40 * len(df)
    )
    y = alt.Y("model:N", sort=order, title=None, axis=alt.Axis(labelLimit=400))
    lo = max(0.0, float(df["low"].min()) - 0.02)
    x = alt.X(
        "test accuracy:Q", scale=alt.Scale(domain=[lo, 1.0]), title="test accuracy", axis=alt.Axis(format="%")
    )
    bar = base.mark_bar(color=BLUE).encode(
        x=x, y=y, tooltip=["model", alt.Tooltip("test accuracy:Q", format=".1%")]
    )
    err = base.mark_rule(strokeWidth=3).encode(x="low:Q", x2="high:Q", y=y)
    return (bar + err).properties(autosize=FIT_WIDTH)


def shift_curves(curves: pd.DataFrame, k: int) -> alt.LayerChart:
    """Accuracy against the shift of the test digits, one line per network; a rule at the chosen shift."""
    chart = lines(
        curves,
        x="shift",
        y="accuracy",
        color="model",
        title="Test accuracy when the digits move right",
        x_title="shift (pixels)",
        y_title="test accuracy",
        height=300,
    ).mark_line(point=True)
    rule = (
        alt.Chart(pd.DataFrame({"shift": [k]})).mark_rule(strokeDash=[6, 4], color="gray").encode(x="shift:Q")
    )
    return (chart + rule).properties(autosize=FIT_WIDTH)
