"""Charts of the Latent space page: pure functions from experiment results to Altair charts."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.charts import bars, heatmap, lines, scatter
from annlab.latent.codes import ClusterReport
from annlab.latent.experiments import CodeMap, Interpolation, MoonsView


def code_map(cmap: CodeMap, slide: Interpolation | None = None, *, height: int = 320) -> alt.TopLevelMixin:
    """The test codes coloured by true digit; for 2-D codes also the slide's path (dashed) and the
    decoded point (a diamond labelled with its position ``t``)."""
    chart = scatter(
        cmap.points,
        cmap.labels,
        title=f"{len(cmap.points)} test digits, coloured by true label",
        x_title=cmap.x_title,
        y_title=cmap.y_title,
        label_title="digit",
        height=height,
    )
    chart.encoding.color.legend = alt.Legend(columns=2)  # ten digits fit beside the plot on a projector
    if slide is None or cmap.latent_dim != 2:
        return chart
    # typed channels and one LayerChart: shorthand strings and "+" cost Altair a validation each, and
    # this chart is redrawn on every move of the slider
    x, y = alt.X("x", type="quantitative"), alt.Y("y", type="quantitative")
    path = pd.DataFrame({"x": slide.path[:, 0], "y": slide.path[:, 1], "i": np.arange(len(slide.path))})
    now = alt.Chart(pd.DataFrame({"x": [slide.point[0]], "y": [slide.point[1]], "t": [f"t = {slide.t:.2f}"]}))
    dashed = alt.Chart(path).mark_line(color="black", strokeDash=[6, 3])
    title, chart.title = chart.title, alt.Undefined  # the title belongs to the whole layered chart
    return alt.LayerChart(
        title=title,
        layer=[
            chart,
            dashed.encode(x, y, alt.Order("i", type="quantitative")),
            now.mark_point(shape="diamond", size=300, filled=True, color="black").encode(x, y),
            now.mark_text(align="right", dx=-12, dy=-12, fontWeight="bold", color="black").encode(
                x, y, alt.Text("t", type="nominal")
            ),
        ],
    )


def sweep(df: pd.DataFrame) -> list[alt.Chart]:
    """Test error and the SVM's accuracy on frozen codes against latent size (two charts)."""
    return [
        lines(df, x="latent size", y="test MSE per pixel", title="Reconstruction error").mark_line(
            point=True
        ),
        lines(
            df,
            x="latent size",
            y="classifier accuracy on codes",
            title="SVM on frozen codes",
            y_title="test accuracy",
        ).mark_line(point=True),
    ]


def class_histogram(histogram: np.ndarray) -> alt.Chart:
    """How many confidently recognised samples the forest gives each class."""
    return bars(
        range(10),
        histogram,
        x_title="class the forest sees",
        y_title="confident samples",
        title="Class histogram",
        height=200,
    )


def confusion(report: ClusterReport) -> alt.LayerChart:
    """True digit against the label matched to its cluster (a "no label" column only when needed)."""
    n = report.confusion.shape[0]  # labels 0..n-1, then one column for clusters that got no label
    conf = pd.DataFrame(report.confusion, columns=[str(i) for i in range(n)] + ["no label"])
    if not conf["no label"].any():  # k = 10: every cluster got a label
        conf = conf.drop(columns="no label")
    conf["true digit"] = [str(i) for i in range(len(conf))]
    long = conf.melt(id_vars="true digit", var_name="label of the cluster", value_name="test digits")
    return heatmap(
        long,
        x="label of the cluster",
        y="true digit",
        value="test digits",
        fmt="d",
        title=f"k-means on {report.features}: accuracy {report.accuracy:.1%}",
        height=380,
    )


def moons(view: MoonsView, *, height: int = 400) -> alt.LayerChart:
    """Test points, decoded samples and the decoder's curve (black) in the data plane."""

    def pts(X, name):
        return pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "points": name})

    df = pd.concat(
        [
            pts(view.X, "test points"),
            pts(view.gmm, "GMM samples, decoded"),
            pts(view.prior, "MMD-AE: N(0, 1) samples, decoded"),
        ]
    )
    base = (
        alt.Chart(df)
        .mark_circle(opacity=0.55)
        .encode(x=alt.X("x", title="x1"), y=alt.Y("y", title="x2"), color=alt.Color("points", title=None))
    )
    curve = pd.DataFrame({"x": view.curve[:, 0], "y": view.curve[:, 1], "i": np.arange(len(view.curve))})
    line = alt.Chart(curve).mark_line(color="black").encode(x="x", y="y", order="i")
    return (base + line).properties(title="Data, the reconstruction line (black) and samples", height=height)


def code_histogram(view: MoonsView, *, height: int = 400) -> alt.Chart:
    """Histogram of the 1-D codes of the test points, one colour per moon."""
    df = pd.DataFrame({"code": view.Z[:, 0], "moon": view.y.astype(str)})
    return (
        alt.Chart(df, title="Histogram of the 1-D codes", height=height)
        .mark_bar(opacity=0.7)
        .encode(
            x=alt.X("code", bin=alt.Bin(maxbins=40), title="code z"),
            y=alt.Y("count()", stack=None, title="test points"),
            color="moon",
        )
    )


def accuracy_bars(accuracy: dict[str, float]) -> alt.Chart:
    """The forest's accuracy on originals, corrupted and denoised digits, in that order."""
    return bars(
        list(accuracy),
        list(accuracy.values()),
        y_title="forest accuracy",
        title="Random forest accuracy on 200 test digits",
        height=260,
    ).encode(x=alt.X("label", type="nominal", sort=list(accuracy), title="", axis=alt.Axis(labelAngle=0)))
