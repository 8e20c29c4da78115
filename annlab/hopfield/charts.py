"""Charts of the Hopfield page: pure functions from arrays to ``alt.Chart`` (no streamlit here)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.hopfield.core import LABELS, RULE_NAMES, Trajectories, fmt_state

LABEL_COLOURS = {
    "target": "#0072B2",
    "inverse of a target": "#E69F00",
    "spurious": "#D55E00",
    "unstable equilibrium": "#CC79A7",
    "not converged": "#000000",
}
_LEGEND = alt.Legend(orient="bottom", columns=2)
_label_scale = alt.Scale(domain=list(LABELS), range=[LABEL_COLOURS[k] for k in LABELS])


def _paths(tr: Trajectories, labels: list[str], max_paths: int) -> pd.DataFrame:
    """Long table of the first ``max_paths`` trajectories, each cut one step after it converged."""
    n_iter = tr.states.shape[0] - 1
    S = min(max_paths, tr.states.shape[1])
    stop = np.where(tr.iterations[:S] < 0, n_iter, np.minimum(n_iter, tr.iterations[:S] + 1))  # (S,)
    k, s = np.nonzero(np.arange(n_iter + 1)[:, None] <= stop[None, :])  # (rows,), iteration-major
    order = np.lexsort((k, s))
    k, s = k[order], s[order]
    frm = np.array([fmt_state(x) for x in tr.states[0, :S]])
    to = np.array([fmt_state(x) for x in tr.states[-1, :S]])
    df = pd.DataFrame(
        {
            "start": s,
            "iteration": k,
            "energy": tr.energy[k, s],
            "label": np.asarray(labels[:S])[s],
            "from": frm[s],
            "to": to[s],
        }
    )
    for i in range(tr.states.shape[2]):
        df[f"x{i + 1}"] = tr.states[k, s, i]
    return df


def trajectories_2d(
    tr: Trajectories,
    labels: list[str],
    targets: np.ndarray,
    *,
    max_paths: int = 300,
    title: str = "Trajectories in state space",
    size: int = 460,
) -> alt.LayerChart:
    """Paths of a 2-neuron network in the square [-1, 1]^2, coloured by where they ended.

    Parameters
    ----------
    tr : trajectories of S starts; labels : S labels from :func:`annlab.hopfield.core.label_states`
    targets : ndarray of shape (P, 2)
    """
    df = _paths(tr, labels, max_paths)
    scale = alt.Scale(domain=[-1.3, 1.3], nice=False)
    enc = {
        "x": alt.X("x1:Q", title="neuron 1 (a1)", scale=scale),
        "y": alt.Y("x2:Q", title="neuron 2 (a2)", scale=scale),
    }
    lines = (
        alt.Chart(df)
        .mark_line(opacity=0.6, strokeWidth=1.5)
        .encode(
            **enc,
            detail="start:N",
            order="iteration:Q",
            color=alt.Color("label:N", scale=_label_scale, title="ended as", legend=_LEGEND),
            tooltip=["from", "to", "label", "iteration"],
        )
    )
    starts = (
        alt.Chart(df[df.iteration == 0])
        .mark_circle(size=35, opacity=0.8)
        .encode(
            **enc,
            color=alt.Color("label:N", scale=_label_scale, title="ended as", legend=_LEGEND),
            tooltip=["from", "to", "label"],
        )
    )
    tg = pd.DataFrame(
        {
            "x1": targets[:, 0],
            "x2": targets[:, 1],
            "name": [fmt_state(t) for t in targets],
            "ty": targets[:, 1] + 0.17 * np.sign(targets[:, 1]),
        }  # the name just outside its square
    )
    marks = (
        alt.Chart(tg)
        .mark_point(shape="square", size=600, filled=False, strokeWidth=3, color="#009E73")
        .encode(**enc, tooltip=["name"])
    )
    text = (
        alt.Chart(tg)
        .mark_text(color="#009E73", fontWeight="bold")
        .encode(x=enc["x"], y=alt.Y("ty:Q", scale=scale), text="name")
    )
    return (lines + starts + marks + text).properties(title=title, width=size, height=size)


def _project(P: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """Orthographic view of 3-D points (n, 3) from the given angles (degrees): (n, 2) screen coords and
    depth as a third column (larger = nearer)."""
    a, e = np.radians(azimuth), np.radians(elevation)
    right = np.array([np.cos(a), np.sin(a), 0.0])
    toward = np.array([np.sin(a) * np.cos(e), -np.cos(a) * np.cos(e), np.sin(e)])  # origin -> camera
    up = np.cross(toward, right)  # right x up = toward: a right-handed view, a3 pointing up
    P = np.asarray(P, float)
    return np.stack([P @ right, P @ up, P @ toward], axis=1)


def trajectories_3d(
    tr: Trajectories,
    labels: list[str],
    targets: np.ndarray,
    *,
    azimuth: float = 30.0,
    elevation: float = 20.0,
    max_paths: int = 200,
    title: str = "Trajectories in the cube (corners named [a1, a2, a3])",
    size: int = 480,
) -> alt.LayerChart:
    """A 3-neuron network's paths inside the cube [-1, 1]^3, seen from (``azimuth``, ``elevation``).

    The cube's edges are drawn and every corner is named, so the view stays readable when turned.
    """
    df = _paths(tr, labels, max_paths)
    xyz = df[["x1", "x2", "x3"]].to_numpy() if len(df) else np.zeros((0, 3))
    proj = _project(xyz, azimuth, elevation)
    df = df.assign(u=proj[:, 0], v=proj[:, 1])
    corners = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1], indexing="ij")).reshape(3, -1).T
    edges = [(i, j) for i in range(8) for j in range(i + 1, 8) if np.abs(corners[i] - corners[j]).sum() == 2]
    cp = _project(corners, azimuth, elevation)
    edge_df = pd.DataFrame(
        [{"edge": k, "u": cp[i, 0], "v": cp[i, 1]} for k, e in enumerate(edges) for i in e]
    )
    is_target = [bool(np.any(np.all(targets == c, axis=1))) for c in corners]
    corner_df = pd.DataFrame(
        {
            "u": cp[:, 0],
            "v": cp[:, 1],
            "name": [fmt_state(c) for c in corners],
            "kind": ["target" if t else "corner" for t in is_target],
        }
    )
    lim = 1.9
    sc = alt.Scale(domain=[-lim, lim], nice=False)
    enc = {"x": alt.X("u:Q", scale=sc, axis=None), "y": alt.Y("v:Q", scale=sc, axis=None)}
    cube = alt.Chart(edge_df).mark_line(color="#999999", strokeWidth=1).encode(**enc, detail="edge:N")
    lines = (
        alt.Chart(df)
        .mark_line(opacity=0.6, strokeWidth=1.5)
        .encode(
            **enc,
            detail="start:N",
            order="iteration:Q",
            color=alt.Color("label:N", scale=_label_scale, title="ended as", legend=_LEGEND),
            tooltip=["from", "to", "label"],
        )
    )
    starts = (
        alt.Chart(df[df.iteration == 0])
        .mark_circle(size=30)
        .encode(
            **enc,
            color=alt.Color("label:N", scale=_label_scale, title="ended as", legend=_LEGEND),
            tooltip=["from", "to", "label"],
        )
    )
    tgt = (
        alt.Chart(corner_df[corner_df.kind == "target"])
        .mark_point(shape="square", size=500, filled=False, strokeWidth=3, color="#009E73")
        .encode(**enc, tooltip=["name"])
    )
    names = (
        alt.Chart(corner_df)
        .mark_text(dy=-16)
        .encode(
            **enc,
            text="name",
            color=alt.condition(alt.datum.kind == "target", alt.value("#009E73"), alt.value("#555555")),
        )
    )
    return (cube + lines + starts + tgt + names).properties(title=title, width=size, height=size)


def energy_lines(
    tr: Trajectories, labels: list[str], *, max_paths: int = 300, title: str = "Energy along every trajectory"
) -> alt.Chart:
    """Energy E = -a'Wa/2 - b'a against iteration, one line per start, coloured by where it ended."""
    df = _paths(tr, labels, max_paths)
    return (
        alt.Chart(df, title=title, height=300)
        .mark_line(opacity=0.5, point=False)
        .encode(
            x=alt.X("iteration:Q", title="iteration"),
            y=alt.Y("energy:Q", title="energy E(a)", scale=alt.Scale(zero=False)),
            detail="start:N",
            color=alt.Color("label:N", scale=_label_scale, title="ended as", legend=_LEGEND),
            tooltip=["from", "to", "label", "iteration", alt.Tooltip("energy:Q", format=".3f")],
        )
    )


def energy_step(
    energy: np.ndarray, current: int, *, title: str = "Energy of the drawn digit"
) -> alt.LayerChart:
    """One energy curve (n_iter + 1,) with the iteration being shown marked."""
    df = pd.DataFrame({"iteration": np.arange(len(energy)), "energy": np.asarray(energy, float)})
    base = alt.Chart(df, title=title, height=260).encode(
        x=alt.X("iteration:Q", title="iteration", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("energy:Q", title="energy E(a)", scale=alt.Scale(zero=False)),
    )
    now = base.transform_filter(alt.datum.iteration == int(current)).mark_circle(size=220, color="#D55E00")
    return base.mark_line(point=True) + now


def noise_sweep_chart(df: pd.DataFrame, *, kind: str) -> alt.LayerChart:
    """Retrieval accuracy against noise, one line per rule, and the nearest-stored-pattern baseline."""
    df = df.assign(rule=df["rule"].map(RULE_NAMES))
    x_title = "share of flipped pixels" if kind == "flip" else "Gaussian noise level (std of added noise)"
    x = alt.X("noise:Q", title=x_title)
    lines = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("accuracy:Q", title="retrieved correctly (share)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("rule:N", title="storage rule"),
            tooltip=[
                "rule",
                "noise",
                alt.Tooltip("accuracy:Q", format=".2f"),
                alt.Tooltip("spurious:Q", format=".2f"),
            ],
        )
    )
    base = df.groupby("noise", as_index=False)["nearest"].mean()
    nearest = (
        alt.Chart(base)
        .mark_line(color="black", strokeDash=[6, 4], strokeWidth=2)
        .encode(x=x, y="nearest:Q", tooltip=["noise", alt.Tooltip("nearest:Q", format=".2f")])
    )
    return (lines + nearest).properties(
        title=alt.Title(
            "Digits retrieved correctly as the noise grows",
            subtitle="dashed black: nearest stored digit (Hamming), no dynamics",
        ),
        height=320,
    )


def iterations_chart(df: pd.DataFrame, *, kind: str) -> alt.Chart:
    """Mean iterations until the state stopped changing, and the share that never did, against noise."""
    df = df.assign(rule=df["rule"].map(RULE_NAMES))
    x_title = "share of flipped pixels" if kind == "flip" else "Gaussian noise level (std of added noise)"
    long = df.melt(
        id_vars=["rule", "noise"],
        value_vars=["iterations", "not_converged"],
        var_name="measure",
        value_name="value",
    )
    long["measure"] = long["measure"].map(
        {"iterations": "mean iterations to settle", "not_converged": "share not converged"}
    )
    return (
        alt.Chart(long, height=150)
        .mark_line(point=True)
        .encode(
            x=alt.X("noise:Q", title=x_title),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("rule:N", title="storage rule"),
            row=alt.Row("measure:N", title=None),
            tooltip=["rule", "noise", "measure", alt.Tooltip("value:Q", format=".2f")],
        )
        .resolve_scale(y="independent")
        .properties(title="Iterations against noise")
    )


Y_TITLES = {
    "recall": "patterns recalled exactly (share)",
    "bits985": "probes with >= 98.5 % bits right (share)",
    "overlap": "correct bits after recall (share)",
}
BOTH = {"recall": "exact pattern", "bits985": ">= 98.5 % of bits right"}


def capacity_chart(df: pd.DataFrame, n: int, *, metric: str = "both") -> alt.LayerChart:
    """Recall against load P/N per rule (colour), with the two theory lines. ``metric`` "both": clean
    probes, exact recall (solid) and at least 98.5 % of bits right (dashed); else that column, one dash
    per share of flipped bits."""
    df = df.assign(
        rule=df["rule"].map(RULE_NAMES), flipped=(df["flip"] * 100).round().astype(int).astype(str) + " %"
    )
    if metric == "both":
        df = df[df["flip"] == 0.0].melt(
            id_vars=["rule", "P", "load"], value_vars=list(BOTH), var_name="counted", value_name="share"
        )
        df["counted"] = df["counted"].map(BOTH)
        y, y_title, dash = (
            "share",
            "recalled (share of clean probes)",
            alt.StrokeDash("counted:N", title="counted as recalled", sort=list(BOTH.values())),
        )
    else:
        y, y_title = metric, Y_TITLES[metric]
        dash = alt.StrokeDash("flipped:N", title="bits flipped in the probe")
    lines = (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(size=20))
        .encode(
            x=alt.X("load:Q", title="load P / N (stored patterns per neuron)"),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domain=[0.5, 1] if y == "overlap" else [0, 1])),
            color=alt.Color("rule:N", title="storage rule"),
            strokeDash=dash,
            tooltip=["rule", "P", alt.Tooltip(f"{y}:Q", format=".3f")],
        )
    )
    theory = pd.DataFrame(
        {
            "load": [0.138, 1 / (2 * np.log(n))],
            "name": [
                "0.138 N (Hebb, large-N limit, ~1.5 % bits wrong)",
                f"N/(2 ln N) = {n / (2 * np.log(n)):.1f} (Hebb, exact)",
            ],
        }
    )
    rules = (
        alt.Chart(theory)
        .mark_rule(color="#555555", strokeDash=[2, 2], strokeWidth=2)
        .encode(x="load:Q", tooltip=["name"])
    )
    text = (
        alt.Chart(theory)
        .mark_text(align="left", dx=4, dy=-6, angle=270, baseline="bottom", color="#555555")
        .encode(x="load:Q", y=alt.value(150), text="name")
    )
    return (lines + rules + text).properties(
        title=f"Capacity cliff: recall against load (N = {n})", height=380
    )


def state_space(
    tr: Trajectories,
    labels: list[str],
    targets: np.ndarray,
    *,
    azimuth: float = 35.0,
    elevation: float = 20.0,
) -> alt.LayerChart | None:
    """The trajectories in state space: the square for 2 neurons, the cube (seen from ``azimuth`` and
    ``elevation``, degrees) for 3, None beyond (no picture)."""
    n = targets.shape[1]
    if n == 2:
        return trajectories_2d(tr, labels, targets)
    if n == 3:
        return trajectories_3d(tr, labels, targets, azimuth=azimuth, elevation=elevation)
    return None
