"""Altair charts of the time-series page: pure functions from arrays to charts."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.charts import FIT_WIDTH
from annlab.timeseries.data import SeriesSplit

# Streamlit turns a legend's null title into " ", which still takes a line: that line is made empty.
NO_TITLE = dict(padding=0, titleFontSize=0, titlePadding=0)
# The forecasts' legend: one row above the plot from the chart's left edge (an ``orient="top"`` legend
# starts at the plot's, and does not fit half a column in projector mode). Such a legend does not push
# the chart's title up: the title's offset makes room for it.
TOP_ROW = alt.Legend(
    orient="none", direction="horizontal", legendX=-60, legendY=-26, columnPadding=6, **NO_TITLE
)
TITLE_OFFSET = 24
# Width fits the column, ``height`` is the plot's. Streamlit's default ("fit" both ways) takes the title,
# legend and axes out of ``height``, which squashed these plots to a sliver in projector mode.


def series_chart(train: np.ndarray, test: np.ndarray, *, height: int = 260) -> alt.LayerChart:
    """The raw series, training part and continuation in two colours, with a rule at the split.

    train : ndarray of shape (n_train,), original units; test : ndarray of shape (n_test,);
    height : of the plot
    """
    n = len(train)
    df = pd.DataFrame(
        {
            "point": np.arange(1, n + len(test) + 1),
            "intensity": np.concatenate([train, test]),
            "part": [f"training (1-{n})"] * n + [f"to predict ({n + 1}-{n + len(test)})"] * len(test),
        }
    )
    line = (
        alt.Chart(df, title="The Santa Fe laser series and the split", height=height)
        .mark_line(strokeWidth=1.2)
        .encode(
            x=alt.X("point", type="quantitative", title="time step (point number)"),
            y=alt.Y("intensity", type="quantitative", title="laser intensity (a.u.)"),
            color=alt.Color("part", type="nominal", title=None, legend=alt.Legend(orient="top", **NO_TITLE)),
            tooltip=["point", "intensity", "part"],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"point": [n + 0.5]}))
        .mark_rule(strokeDash=[6, 4], color="gray")
        .encode(x="point:Q")
    )
    return (line + rule).properties(autosize=FIT_WIDTH)


def forecast_chart(
    start: int,
    truth: np.ndarray,
    curves: dict[str, np.ndarray],
    *,
    context: np.ndarray | None = None,
    title: str = "",
    height: int = 260,
    y_title: str = "laser intensity (a.u.)",
) -> alt.Chart:
    """Truth and forecasts of the continuation, one line each.

    start : point number of the first forecast value (1001); truth : ndarray of shape (n_test,)
    curves : name -> ndarray of shape (n_test,); context : optional last training values drawn before
    height : of the plot; y_title : a short one for a low plot (a title longer than the plot adds space)
    """
    rows = []
    n = len(truth)
    pts = np.arange(start, start + n)
    if context is not None:
        ctx_pts = np.arange(start - len(context), start)
        rows.append(pd.DataFrame({"point": ctx_pts, "intensity": context, "series": "truth"}))
    rows.append(pd.DataFrame({"point": pts, "intensity": truth, "series": "truth"}))
    for name, values in curves.items():
        rows.append(pd.DataFrame({"point": pts, "intensity": np.asarray(values, float), "series": name}))
    df = pd.concat(rows, ignore_index=True)
    order = ["truth", *curves]
    return (
        alt.Chart(df, title=alt.Title(title, offset=TITLE_OFFSET), height=height)
        .mark_line()
        .encode(
            x=alt.X(
                "point", type="quantitative", title="time step (point number)", scale=alt.Scale(zero=False)
            ),
            y=alt.Y("intensity", type="quantitative", title=y_title),
            color=alt.Color("series", type="nominal", title=None, sort=order, legend=TOP_ROW),
            strokeDash=alt.condition(alt.datum.series == "truth", alt.value([1, 0]), alt.value([5, 3])),
            tooltip=["series", "point", alt.Tooltip("intensity", format=".1f")],
        )
        .properties(autosize=FIT_WIDTH)
    )


def continuation_chart(
    split: SeriesSplit,
    curves: dict[str, np.ndarray],
    *,
    title: str = "",
    height: int = 260,
    context: int = 40,
    **kw,
) -> alt.LayerChart:
    """:func:`forecast_chart` of ``split``'s continuation, after its last ``context`` training points.

    ``kw`` go to :func:`forecast_chart` (``baseline``, ``y_title``).
    """
    return forecast_chart(
        split.train.size + 1,
        split.test_raw,
        curves,
        context=split.train_raw[-context:],
        title=title,
        height=height,
        **kw,
    )


def forecast_panel(split: SeriesSplit, closed_loop: dict, one_step: dict, which: int, *, height: int = 150):
    """One of :func:`forecast_panels` (0: closed loop, 1: one step), for a chart drawn on its own."""
    return forecast_panels(split, closed_loop, one_step, height=height)[which]


def forecast_charts(split: SeriesSplit, cmp, model_keys: tuple, projector: bool) -> list[tuple]:
    """The page's main figure as (builder, args, keywords, cache key) for ``ui.chart``: the closed-loop
    and one-step panels of the comparison ``cmp`` (:func:`annlab.timeseries.experiments.compare`),
    keyed on the models' store keys ``model_keys`` (in projector mode 115 px tall, so the figure fits
    the first screen). The page draws them and prepares them ahead for the neighbouring lags."""
    kw = {"height": 115 if projector else 190}
    args = (split, cmp.closed_loop, cmp.one_step)
    return [(forecast_panel, (*args, which), kw, (model_keys, which)) for which in (0, 1)]


def forecast_panels(
    split: SeriesSplit,
    closed_loop: dict[str, np.ndarray],
    one_step: dict[str, np.ndarray],
    *,
    height: int = 150,
) -> list[alt.Chart]:
    """The page's main figure, side by side: the closed-loop forecasts, then the one-step ones.

    closed_loop, one_step : name -> ndarray (n_test,); the same names get the same colours in both.
    ``height`` is the plot's (the title, legend and axes come on top); the width fits the column.
    """
    kw = dict(height=height, y_title="intensity (a.u.)")
    return [
        continuation_chart(split, closed_loop, title="Closed loop: fed own output", **kw),
        continuation_chart(split, one_step, title="One step: fed the true past", **kw),
    ]


def grid_chart(
    rows: list[dict], *, selected: tuple[int, int] | None = None, height: int = 320
) -> alt.LayerChart:
    """Heat map of cross-validated MSE over lag x hidden units; a click selects a cell (``name="cell"``).

    rows : list of dict with ``lag``, ``n_hidden``, ``cv_mse`` (from ``grid_search``)
    """
    df = pd.DataFrame(rows)[["lag", "n_hidden", "cv_mse"]].copy()
    df["label"] = df["cv_mse"].map(lambda v: "n/a" if not np.isfinite(v) else f"{v:.0f}")
    finite = df["cv_mse"][np.isfinite(df["cv_mse"])]
    middle = float(np.exp(np.log(finite).mean())) if len(finite) else 0.0
    df["ink"] = np.where(df["cv_mse"] > middle, "white", "black")  # dark cells (high MSE) get white text
    value = [{"lag": selected[0], "n_hidden": selected[1]}] if selected else alt.Undefined
    pick = alt.selection_point(name="cell", fields=["lag", "n_hidden"], on="click", toggle=False, value=value)
    base = alt.Chart(
        df, title="Cross-validated MSE (lower is better): click a cell to see that model", height=height
    ).encode(
        x=alt.X("lag:O", title="lag (past values seen)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n_hidden:O", title="hidden units", sort="descending"),
    )
    rect = (
        base.mark_rect(stroke="black")
        .encode(
            color=alt.Color(
                "cv_mse:Q",
                title="CV MSE",
                legend=alt.Legend(format=".0f"),
                scale=alt.Scale(scheme="viridis", reverse=True, type="log"),
            ),
            strokeWidth=alt.condition(pick, alt.value(3), alt.value(0)),
            tooltip=[
                "lag:O",
                alt.Tooltip("n_hidden:O", title="hidden"),
                alt.Tooltip("cv_mse:Q", title="CV MSE", format=".1f"),
            ],
        )
        .add_params(pick)
    )
    text = base.mark_text(baseline="middle", fontWeight="bold").encode(
        text="label:N", color=alt.Color("ink:N", scale=None, legend=None)
    )
    return (rect + text).resolve_scale(color="independent")  # the text colour must not merge with the map's


SEED_TITLE = alt.Title("Closed-loop NMSE per seed", subtitle="dashed: predicting the training mean")


def seed_chart(rows: list[dict], mean_baseline: float, *, height: int = 200) -> alt.LayerChart:
    """Iterated NMSE per seed as bars, with the training-mean baseline as a dashed line (plot ``height``)."""
    df = pd.DataFrame({"seed": [str(r["seed"]) for r in rows], "NMSE": [r["iterated_nmse"] for r in rows]})
    bars = (
        alt.Chart(df, title=SEED_TITLE, height=height)
        .mark_bar()
        .encode(
            x=alt.X("seed:N", title="seed", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("NMSE:Q", title="closed-loop NMSE"),
            tooltip=["seed", alt.Tooltip("NMSE", format=".3f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"NMSE": [mean_baseline]}))
        .mark_rule(strokeDash=[6, 4], color="black")
        .encode(y="NMSE:Q")
    )
    return (bars + rule).properties(autosize=FIT_WIDTH)
