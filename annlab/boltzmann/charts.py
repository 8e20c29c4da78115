"""Charts of the RBM inpainting page: pure functions returning Altair charts."""

from __future__ import annotations

import altair as alt
import pandas as pd

from annlab.boltzmann.experiments import Sweeps


def sweep_chart(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    title: str,
    log_x: bool = False,
    height: int = 300,
) -> alt.Chart:
    """Line chart with points of a sweep (one line per method); ``log_x`` for Gibbs steps (1 ... 1000)."""
    scale = alt.Scale(type="log") if log_x else alt.Scale(zero=False)
    return (
        alt.Chart(df, title=title, height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X(x, type="quantitative", title=x_title, scale=scale),
            y=alt.Y(y, type="quantitative", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color("method", type="nominal", title="method"),
            tooltip=[x, "method", alt.Tooltip(y, format=".3f")],
        )
    )


def sweep_charts(res: Sweeps) -> list[tuple[alt.Chart, alt.Chart]]:
    """Per sweep (Gibbs steps, rows erased, band position): its error chart and its label-accuracy chart."""
    steps = f"{res.gibbs_steps} Gibbs steps"
    axes = [
        (res.steps, "gibbs_steps", "Gibbs steps (log scale)", "middle band erased"),
        (res.rows, "rows_removed", "rows erased (a band in the middle)", steps),
        (res.where, "band_start_row", "first erased row (band of fixed height)", steps),
    ]
    out = []
    for df, x, x_title, note in axes:
        log_x = x == "gibbs_steps"
        out.append(
            (
                sweep_chart(
                    df,
                    x=x,
                    y="error",
                    x_title=x_title,
                    log_x=log_x,
                    y_title="error on missing pixels (MSE)",
                    title=f"Error ({note})",
                ),
                sweep_chart(
                    df,
                    x=x,
                    y="label_acc",
                    x_title=x_title,
                    log_x=log_x,
                    y_title="label accuracy (fraction)",
                    title=f"Classifier on inpainted digits ({note})",
                ),
            )
        )
    return out
