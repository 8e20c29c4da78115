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


def likelihood_chart(df: pd.DataFrame, *, baseline: float | None = None, height: int = 300) -> alt.Chart:
    """Exact held-out log-likelihood beside the pseudo-likelihood (both in nats per digit) per epoch, one
    colour per training method, solid = exact, dashed = pseudo (``df`` from
    ``experiments.likelihood_frame``), with the independent-pixel ``baseline`` as a grey line."""
    shown = df[df["curve"] != "free-energy gap"]
    curves = (
        alt.Chart(shown, title="Held-out log-likelihood: exact (solid) and pseudo (dashed)", height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="epoch"),
            y=alt.Y("value:Q", title="log-likelihood per digit (nats)", scale=alt.Scale(zero=False)),
            color=alt.Color("method:N", title="training"),
            strokeDash=alt.StrokeDash("curve:N", title="curve", sort=["exact log-likelihood"]),
            tooltip=["epoch", "method", "curve", alt.Tooltip("value:Q", format=".2f")],
        )
    )
    if baseline is None:
        return curves
    line = pd.DataFrame({"value": [round(float(baseline), 2)], "text": ["independent pixels"]})
    rule = alt.Chart(line).mark_rule(color="#777777", strokeDash=[2, 3], strokeWidth=2).encode(y="value:Q")
    text = (
        alt.Chart(line)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color="#555555", fontWeight="bold")
        .encode(y="value:Q", x=alt.value(0), text="text:N")
    )
    return alt.layer(curves, rule, text)


def gap_chart(df: pd.DataFrame, *, height: int = 300) -> alt.Chart:
    """The free-energy gap mean F(held-out) - mean F(training digits) per epoch, one line per method."""
    shown = df[df["curve"] == "free-energy gap"]
    return (
        alt.Chart(shown, title="Free-energy gap: held-out minus training digits", height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="epoch"),
            y=alt.Y("value:Q", title="free-energy gap (nats per digit)"),
            color=alt.Color("method:N", title="training"),
            tooltip=["epoch", "method", alt.Tooltip("value:Q", format=".3f")],
        )
    )


STAGES = {1: "pretraining layer 1", 2: "pretraining layer 2", 3: "joint training"}


def dbm_history_chart(history: list[dict], *, height: int = 260) -> alt.Chart:
    """The DBM's held-out reconstruction error per epoch through its three stages (one colour each)."""
    df = pd.DataFrame(
        [
            {"epoch": h["epoch"], "stage": STAGES.get(h["stage"], str(h["stage"])), "error": h["recon_error"]}
            for h in history
        ],
        columns=["epoch", "stage", "error"],
    )
    return (
        alt.Chart(df, title="DBM training: held-out reconstruction error", height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="epoch (all stages)"),
            y=alt.Y("error:Q", title="squared error per pixel", scale=alt.Scale(zero=False)),
            color=alt.Color("stage:N", title="stage", sort=list(STAGES.values())),
            tooltip=["epoch", "stage", alt.Tooltip("error:Q", format=".4f")],
        )
    )
