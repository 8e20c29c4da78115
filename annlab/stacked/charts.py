"""Charts of the Stacked autoencoders page: pure functions returning Altair charts."""

from __future__ import annotations

import altair as alt
import pandas as pd

from annlab.charts import FIT_WIDTH
from annlab.stacked.defaults import KIND_NAMES

NAMES = list(KIND_NAMES.values())  # legend order: before fine-tuning, after, no pretraining


def _pct(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in ("accuracy", "low", "high"):
        out[col] = 100.0 * out[col]
    return out


def accuracy_bars(table: pd.DataFrame, *, height: int = 220) -> alt.LayerChart:
    """The three classifiers' test accuracy as bars, with -+ 1 standard error as a rule on each."""
    df = _pct(table)
    n = int(df["n_labels"].iloc[0])
    lo = max(0.0, float(df["low"].min()) - 5.0)
    x = alt.X("accuracy", type="quantitative", title="test accuracy (%)", scale=alt.Scale(domain=[lo, 100]))
    y = alt.Y("classifier", type="nominal", sort=NAMES, title=None, axis=alt.Axis(labelLimit=400))
    base = alt.Chart(df, title=f"Test accuracy with {n:,} labelled digits (bar -+ 1 standard error)")
    bars = base.mark_bar(clip=True).encode(
        x=x,
        y=y,
        color=alt.Color("classifier", type="nominal", sort=NAMES, legend=None),
        tooltip=["classifier", alt.Tooltip("accuracy", format=".1f"), alt.Tooltip("se", format=".4f")],
    )
    rule = base.mark_rule(color="black", strokeWidth=2).encode(x="low:Q", x2="high:Q", y=y)
    text = base.mark_text(align="left", dx=6, baseline="middle").encode(
        x="high:Q", y=y, text=alt.Text("accuracy", type="quantitative", format=".1f")
    )
    return (bars + rule + text).properties(height=height, autosize=FIT_WIDTH)


def accuracy_vs_labels(table: pd.DataFrame, *, height: int = 320) -> alt.LayerChart:
    """Test accuracy against the number of labelled digits (log scale), one line per classifier, with
    -+ 1 standard error bars."""
    df = _pct(table)
    x = alt.X(
        "n_labels",
        type="quantitative",
        title="labelled training digits (log scale)",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(values=sorted(df["n_labels"].unique().tolist()), format=","),
    )
    color = alt.Color("classifier", type="nominal", sort=NAMES, title="classifier")
    base = alt.Chart(df, title="Where pretraining helps: test accuracy against the labels available")
    line = base.mark_line(point=True).encode(
        x=x,
        y=alt.Y("accuracy", type="quantitative", title="test accuracy (%)", scale=alt.Scale(zero=False)),
        color=color,
        tooltip=[
            "n_labels",
            "classifier",
            alt.Tooltip("accuracy", format=".1f"),
            alt.Tooltip("se", format=".4f"),
        ],
    )
    bars = base.mark_errorbar().encode(
        x=x, y=alt.Y("low:Q", title="test accuracy (%)"), y2="high:Q", color=color
    )
    return (line + bars).properties(height=height, autosize=FIT_WIDTH)
