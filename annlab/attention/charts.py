"""Charts of the Attention page: pure functions returning Altair charts (``annlab.charts`` style)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.charts import FIT_WIDTH, bars, lines

TEXT_CELLS = 120  # numbers are written into the cells of matrices up to this size


def matrix(
    M: np.ndarray,
    title: str,
    *,
    rows: list | None = None,
    cols: list | None = None,
    row_title: str = "token",
    col_title: str = "feature",
    weights: bool = False,
    height: int | None = None,
) -> alt.LayerChart:
    """One matrix as a heat map, its shape in the title.

    Parameters
    ----------
    M : (r, c) values; -inf (masked scores) is drawn grey and labelled "masked"
    weights : values in [0, 1] (attention weights): a sequential scale from 0 to 1; else a diverging
        scale centred on 0
    """
    M = np.asarray(M, np.float64)
    r, c = M.shape
    rows = [str(v) for v in (rows or range(1, r + 1))]
    cols = [str(v) for v in (cols or range(1, c + 1))]
    df = pd.DataFrame(
        {
            "row": np.repeat(rows, c),
            "col": np.tile(cols, r),
            "value": np.where(np.isfinite(M), M, np.nan).ravel(),
            "label": [f"{v:.2f}" if np.isfinite(v) else "masked" for v in M.ravel()],
        }
    )
    if weights:
        scale = alt.Scale(scheme="blues", domain=[0, 1])
    else:
        lim = float(np.nanmax(np.abs(df["value"]))) if df["value"].notna().any() else 1.0
        scale = alt.Scale(scheme="redblue", domain=[-lim, lim], reverse=True)
    base = alt.Chart(df, title=f"{title}   ({r} x {c})", height=height or min(320, 24 * r + 30)).encode(
        x=alt.X("col:O", sort=cols, title=col_title, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("row:O", sort=rows, title=row_title, axis=alt.Axis(labelOverlap=True)),
        tooltip=[alt.Tooltip("row:O", title=row_title), alt.Tooltip("col:O", title=col_title), "label:N"],
    )
    rect = base.mark_rect().encode(
        color=alt.condition(
            "isValid(datum.value)",
            alt.Color("value:Q", scale=scale, title="value", legend=alt.Legend(orient="right")),
            alt.value("#bbbbbb"),
        )
    )
    chart = rect
    if r * c <= TEXT_CELLS:
        chart = rect + base.mark_text().encode(text="label:N", color=alt.value("black"))
    return chart.properties(autosize=FIT_WIDTH)


def saturation(df: pd.DataFrame, d_k: int, scaled: bool) -> alt.LayerChart:
    """Mean largest softmax weight per row against d_k, scaled and unscaled; the current d_k marked."""
    base = lines(
        df,
        x="d_k",
        y="row_max",
        color="scaling",
        title="Does the softmax saturate as d_k grows?",
        x_title="d_k (query/key size, log scale)",
        y_title="mean largest weight per row",
        height=240,
    ).encode(x=alt.X("d_k:Q", scale=alt.Scale(type="log", base=2), title="d_k (query/key size, log scale)"))
    pts = base.mark_point(filled=True)
    rule = (
        alt.Chart(pd.DataFrame({"d_k": [d_k]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="d_k:Q")
    )
    return (base + pts + rule).properties(autosize=FIT_WIDTH)


def accuracy_curves(df: pd.DataFrame) -> alt.Chart:
    """Train and test accuracy per epoch (long format from ``experiments.accuracy_table``)."""
    return lines(
        df,
        x="epoch",
        y="accuracy",
        color="set",
        title="Accuracy per epoch: a widening gap is overfitting",
        x_title="epoch",
        y_title="accuracy (share correct)",
        height=260,
    ).properties(autosize=FIT_WIDTH)


def parameter_bars(table: pd.DataFrame) -> alt.Chart:
    """Parameters per part of the ViT (the total left out)."""
    parts = table[table["part"] != "total"]
    return bars(
        parts["part"],
        parts["parameters"],
        x_title="part",
        y_title="parameters",
        title="Where the parameters are",
    ).properties(autosize=FIT_WIDTH, height=220)


def probabilities(proba: np.ndarray) -> alt.Chart:
    """The ViT's class probabilities for one digit."""
    return bars(
        list(range(10)),
        proba,
        x_title="digit class",
        y_title="probability",
        title="What the ViT says",
        height=200,
    ).properties(autosize=FIT_WIDTH)


def grid_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Validation accuracy (digits carved from the training split, with +- one standard error) against
    parameters for the report's configurations; the test accuracy is in the table, scored once."""
    acc, se = "validation accuracy", "validation ± std. error"
    d = df.assign(low=df[acc] - df[se], high=df[acc] + df[se])
    base = alt.Chart(d, title="The report's architectures on MNIST-5k (validation digits)", height=300)
    x = alt.X("parameters:Q", scale=alt.Scale(type="log"), title="parameters (log scale)")
    pts = base.mark_circle(size=120).encode(
        x=x,
        y=alt.Y(f"{acc}:Q", scale=alt.Scale(zero=False), title="validation accuracy (share correct)"),
        color=alt.Color("config:N", title="configuration"),
        tooltip=[
            "config",
            "parameters",
            alt.Tooltip("seconds:Q", format=".1f"),
            alt.Tooltip(f"{acc}:Q", format=".3f"),
        ],
    )
    err = base.mark_rule().encode(x=x, y="low:Q", y2="high:Q", color="config:N")
    return (err + pts).properties(autosize=FIT_WIDTH)
