"""Charts of the WikiArt page: pure functions from arrays to ``alt.Chart`` (testable without a server)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.charts import lines, scatter


def class_distribution(classes, train_counts, test_counts, *, height: int = 320) -> alt.Chart:
    """Horizontal bars of pictures per style, train and test side by side, largest style on top."""
    rows = [
        {"style": c, "split": s, "pictures": int(n)}
        for s, counts in (("train", train_counts), ("test", test_counts))
        for c, n in zip(classes, counts, strict=True)
    ]
    order = [classes[i] for i in np.argsort(-np.asarray(train_counts), kind="stable")]
    return (
        alt.Chart(pd.DataFrame(rows), title="Pictures per style", height=height)
        .mark_bar()
        .encode(
            y=alt.Y("style:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
            yOffset=alt.YOffset("split:N"),
            x=alt.X("pictures:Q", title="number of pictures"),
            color=alt.Color("split:N", title="split"),
            tooltip=["style", "split", "pictures"],
        )
    )


def confusion(matrix, classes, *, normalise: bool = True, height: int = 420) -> alt.LayerChart:
    """Confusion matrix: rows = true style, columns = predicted style; cells are row shares (recall)."""
    m = np.asarray(matrix, float)
    shown = m / np.maximum(m.sum(1, keepdims=True), 1) if normalise else m
    rows = [
        {
            "true style": classes[i],
            "predicted style": classes[j],
            "share": shown[i, j],
            "pictures": int(m[i, j]),
        }
        for i in range(len(classes))
        for j in range(len(classes))
    ]
    df = pd.DataFrame(rows)
    df["label"] = [f"{v:.2f}" if v >= 0.005 else "" for v in df["share"]]
    df["ink"] = np.where(df["share"] > 0.5, "white", "black")  # a column, not alt.condition: much faster
    base = alt.Chart(
        df,
        title="Confusion matrix (row = true style, share of its test pictures)",
        height=height,
        width="container",
    ).encode(
        x=alt.X("predicted style:N", sort=list(classes), axis=alt.Axis(labelAngle=-40, labelOverlap=False)),
        y=alt.Y("true style:N", sort=list(classes), axis=alt.Axis(labelOverlap=False)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="share"),
        tooltip=[
            alt.Tooltip("true style:N"),
            alt.Tooltip("predicted style:N"),
            alt.Tooltip("pictures:Q"),
            alt.Tooltip("share:Q", format=".2f"),
        ],
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text("label:N"), color=alt.Color("ink:N", scale=None)
    )
    return rect + text


def recall_by_style(
    recalls: dict[str, list[float]],
    classes,
    counts,
    *,
    intervals: dict[str, list[tuple[float, float]]] | None = None,
    horizontal: bool = False,
    height: int = 360,
) -> alt.Chart | alt.LayerChart:
    """Per-style test recall, one bar per run, styles ordered largest to smallest.

    ``intervals`` (run -> one (low, high) per style) draws each recall's 95 % interval as a black
    rule. ``horizontal`` puts the styles on the y axis (no slanted labels: a compact first-screen
    figure).
    """
    order = [classes[i] for i in np.argsort(-np.asarray(counts), kind="stable")]
    rows = []
    for run, rs in recalls.items():
        lhs = (intervals or {}).get(run) or [(float(r), float(r)) for r in rs]
        for c, r, (lo, hi) in zip(classes, rs, lhs, strict=True):
            rows.append({"style": c, "run": run, "recall": float(r), "low": float(lo), "high": float(hi)})
    df = pd.DataFrame(rows)
    style_axis = alt.Axis(labelAngle=0 if horizontal else -40, labelOverlap=False, labelLimit=240)
    style = (alt.Y if horizontal else alt.X)("style:N", sort=order, title=None, axis=style_axis)
    recall = (alt.X if horizontal else alt.Y)(
        "recall:Q", scale=alt.Scale(domain=[0, 1]), title="recall on the test split"
    )
    offset = (alt.YOffset if horizontal else alt.XOffset)("run:N", sort=list(recalls))
    title = "Recall per style (largest style " + ("on top)" if horizontal else "first)")
    if intervals:
        title += ", black line: 95 % interval"
    tips = ["style", "run", alt.Tooltip("recall:Q", format=".2f")]
    if intervals:
        tips += [alt.Tooltip("low:Q", format=".2f"), alt.Tooltip("high:Q", format=".2f")]
    bars = (
        alt.Chart(df, title=title, height=height)
        .mark_bar()
        .encode(style, recall, offset, tooltip=tips, color=alt.Color("run:N", sort=list(recalls)))
    )
    if not intervals:
        return bars
    lo, hi = ("low:Q", "high:Q")
    ends = {"x": lo, "x2": hi} if horizontal else {"y": lo, "y2": hi}
    rules = alt.Chart(df).mark_rule(color="black", strokeWidth=2).encode(style, offset, **ends)
    return bars + rules


def remedy_effects(effects: pd.DataFrame, *, height: int = 300) -> alt.LayerChart:
    """Each remedy's effect on the rare-3 recall (points) with its 95 % interval (rules) and zero.

    ``effects`` is :func:`annlab.wikiart.experiments.remedy_effects` (remedy, effect, low, high)."""
    df = effects.assign(
        effect_pts=effects["effect"] * 100, low_pts=effects["low"] * 100, high_pts=effects["high"] * 100
    )
    base = alt.Chart(
        df, title="Effect of each remedy on the 3 rarest styles' recall (points), with its 95 % interval"
    )
    y = alt.Y("remedy:N", sort=list(df["remedy"]), title=None, axis=alt.Axis(labelLimit=240))
    x_title = "change of the rare-3 recall against no remedy (percentage points)"
    rules = base.mark_rule(strokeWidth=3).encode(x=alt.X("low_pts:Q", title=x_title), x2="high_pts:Q", y=y)
    points = base.mark_point(filled=True, size=90, color="black").encode(
        x="effect_pts:Q",
        y=y,
        tooltip=[
            "remedy",
            alt.Tooltip("effect_pts:Q", format="+.1f", title="effect (points)"),
            alt.Tooltip("low_pts:Q", format="+.1f", title="95 % low"),
            alt.Tooltip("high_pts:Q", format="+.1f", title="95 % high"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="x:Q")
    return (rules + points + zero).properties(height=height)


def top_k(probs, classes, k: int = 5, *, height: int = 240) -> alt.Chart:
    """Horizontal bars of the ``k`` most likely styles."""
    probs = np.asarray(probs, float)
    idx = np.argsort(-probs)[:k]
    df = pd.DataFrame({"style": [classes[i] for i in idx], "probability": probs[idx]})
    return (
        alt.Chart(df, title=f"Top {len(idx)} styles", height=height)
        .mark_bar()
        .encode(
            y=alt.Y("style:N", sort=list(df["style"]), title=None),
            x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), title="probability"),
            tooltip=["style", alt.Tooltip("probability:Q", format=".3f")],
        )
    )


def history_long(history: list[dict], keys: dict[str, str]) -> pd.DataFrame:
    """Per-epoch history as long format for ``annlab.charts.lines``: keys maps metric -> label."""
    rows = [
        {"epoch": h["epoch"], "curve": label, "value": h[k]}
        for h in history
        for k, label in keys.items()
        if k in h
    ]
    return pd.DataFrame(rows, columns=["epoch", "curve", "value"])


def clustering_scores(history: list[dict], *, height: int = 260) -> alt.Chart:
    """ARI and NMI of the k-means clusters of the codes against the true styles, per epoch."""
    df = history_long(history, {"ari": "ARI", "nmi": "NMI"})
    return lines(
        df,
        x="epoch",
        y="value",
        color="curve",
        title="Do the clusters find the styles?",
        x_title="epoch",
        y_title="agreement with the true styles",
        height=height,
    )


def code_map(xy, labels, names=None, *, height: int = 420) -> alt.Chart:
    """t-SNE map of the codes, points coloured by ``labels`` (ints): true styles when ``names`` (the style
    names) is given, else k-means clusters."""
    by = "style" if names is not None else "cluster"
    names = list(names) if names is not None else [f"cluster {c}" for c in range(int(np.max(labels)) + 1)]
    title = "t-SNE of the codes: " + ("true style" if by == "style" else "k-means cluster")
    return scatter(
        xy,
        [names[int(i)] for i in labels],
        title=title,
        x_title="t-SNE 1",
        y_title="t-SNE 2",
        label_title=by,
        order=names,
        height=height,
    )


def code_maps(xy, y_true, clusters, classes, *, height: int = 420) -> tuple[alt.Chart, alt.Chart]:
    """The t-SNE map of the codes twice: coloured by true style, and by k-means cluster."""
    return code_map(xy, y_true, classes, height=height), code_map(xy, clusters, height=height)


def remedy_errorbars(table: pd.DataFrame, *, height: int = 320) -> alt.LayerChart:
    """Mean test accuracy and balanced accuracy per remedy over seeds, with +- one standard deviation.

    ``table`` is :attr:`annlab.wikiart.experiments.RemedyRuns.table` (columns "remedy", "accuracy",
    "± accuracy", "balanced accuracy", "± balanced accuracy")."""
    rows = [
        {
            "remedy": r["remedy"],
            "score": score,
            "mean": float(r[score]),
            "low": float(r[score] - r[f"± {score}"]),
            "high": float(r[score] + r[f"± {score}"]),
            "seeds": int(r["seeds"]),
        }
        for _, r in table.iterrows()
        for score in ("accuracy", "balanced accuracy")
    ]
    df = pd.DataFrame(rows)
    order = list(table["remedy"])
    base = alt.Chart(df, title="Test scores per remedy: mean over seeds, bar = ± 1 standard deviation")
    y = alt.Y("remedy:N", sort=order, title=None, axis=alt.Axis(labelLimit=240))
    offset = alt.YOffset("score:N")
    points = base.mark_point(filled=True, size=80).encode(
        x=alt.X("mean:Q", title="score on the test split", scale=alt.Scale(domain=[0, 1])),
        y=y,
        yOffset=offset,
        color=alt.Color("score:N", title="score"),
        tooltip=["remedy", "score", alt.Tooltip("mean:Q", format=".3f"), "seeds"],
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x="low:Q", x2="high:Q", y=y, yOffset=offset, color=alt.Color("score:N")
    )
    return (bars + points).properties(height=height)
