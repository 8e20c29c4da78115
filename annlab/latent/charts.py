"""Charts of the Latent space page: pure functions from experiment results to Altair charts."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from annlab.charts import bars, heatmap, history_chart, lines, scatter
from annlab.latent.codes import ClusterReport
from annlab.latent.experiments import Clustering, CodeMap, GANEpochs, MoonsView, VAEReport

POINT_DATA = "slide_point"  # the named dataset of the slide's decoded point: one row (x, y, t)


def code_map(cmap: CodeMap, path: np.ndarray | None = None, *, height: int = 320) -> alt.TopLevelMixin:
    """The test codes coloured by true digit; for 2-D codes also the slide's ``path`` (dashed) and the
    decoded point (a diamond labelled with its position t). The point is the named dataset
    :data:`POINT_DATA` (its row from :func:`point_row`, given by ``ui.chart(..., data_values=...)``),
    so moving the slider changes that row alone: the spec and the codes stay the same, and the browser
    moves the diamond without building the view again."""
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
    if path is None or cmap.latent_dim != 2:
        return chart
    # typed channels and one LayerChart: shorthand strings and "+" cost Altair a validation each
    x, y = alt.X("x", type="quantitative"), alt.Y("y", type="quantitative")
    line = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "i": np.arange(len(path))})
    now = alt.Chart(alt.NamedData(name=POINT_DATA))
    dashed = alt.Chart(line).mark_line(color="black", strokeDash=[6, 3])
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


def point_row(slide) -> pd.DataFrame:
    """The row of :data:`POINT_DATA` for an :class:`~annlab.latent.experiments.Interpolation`."""
    x, y = (float(v) for v in slide.point[:2])
    return pd.DataFrame({"x": [x], "y": [y], "t": [f"t = {slide.t:.2f}"]})


def _log2_x() -> alt.X:
    return alt.X("latent size", type="quantitative", scale=alt.Scale(type="log", base=2), title="latent size")


def sweep_validation(df: pd.DataFrame) -> alt.Chart:
    """The last validation loss against latent size: what a size may be chosen on."""
    chart = lines(df, x="latent size", y="validation loss", title="Validation loss (last epoch)")
    return chart.mark_line(point=True).encode(x=_log2_x())


def sweep(df: pd.DataFrame) -> list[alt.Chart]:
    """Test scores against latent size (scored once, after training): the autoencoder's test error with
    PCA of the same size beside it, the SVM's accuracy on frozen codes, and the share of test digits the
    forest labels the same on originals and reconstructions (three charts, log-scaled sizes)."""

    def one(data, y, title, y_title, color=None):
        chart = lines(data, x="latent size", y=y, color=color, title=title, y_title=y_title)
        return chart.mark_line(point=True).encode(x=_log2_x())

    err = df.melt(
        id_vars="latent size",
        value_vars=["test MSE per pixel", "PCA test MSE per pixel"],
        var_name="model",
        value_name="MSE",
    ).replace({"model": {"test MSE per pixel": "autoencoder", "PCA test MSE per pixel": "PCA (same size)"}})
    return [
        one(err, "MSE", "Test reconstruction error", "test MSE per pixel", "model"),
        one(df, "classifier accuracy on codes", "SVM on frozen codes", "test accuracy"),
        one(
            df,
            "labels kept by reconstructions",
            "Forest: same label after reconstruction",
            "share of test digits",
        ),
    ]


def curves(history: list[dict], group: tuple[str, ...]) -> alt.Chart:
    """Learning curves of ``group`` (history keys) against epoch, as the house draws them."""
    return history_chart(history, group)


def vae_curves(history: list[dict]) -> list[alt.Chart]:
    """The VAE's two loss terms per epoch, train and validation: reconstruction and KL (nats/image)."""
    return [history_chart(history, ("recon", "val_recon")), history_chart(history, ("reg", "val_reg"))]


def kl_per_dim(report: VAEReport) -> alt.Chart:
    """Mean KL of each latent dimension on the test digits: near-zero bars are collapsed dimensions."""
    return bars(
        [f"z{i + 1}" for i in range(len(report.kl_per_dim))],
        report.kl_per_dim,
        x_title="latent dimension",
        y_title="KL (nats per test digit)",
        title=f"KL per latent dimension (beta = {report.beta:g})",
        height=240,
    )


def gan_curves(history: list[dict]) -> list[alt.Chart]:
    """The GAN's losses per epoch, and the discriminator's mean output on real and generated digits."""
    df = pd.DataFrame(history).rename(columns={"d_real": "D(x)", "d_fake": "D(G(z))"})
    rows = df.to_dict("records")
    probs = history_chart(rows, ("D(x)", "D(G(z))"))
    probs.title = "Discriminator on real (D(x)) and generated (D(G(z))) digits"
    return [history_chart(rows, ("d_loss", "g_loss")), probs]


def gan_histograms(ep: GANEpochs) -> alt.LayerChart:
    """Class the forest sees in the confident samples of the fixed codes, epoch by epoch (mode collapse
    shows as one column taking over)."""
    n_ep = len(ep.histograms)
    df = pd.DataFrame(
        [
            {"epoch": e + 1, "class the forest sees": str(c), "samples": int(ep.histograms[e, c])}
            for e in range(n_ep)
            for c in range(10)
        ]
    )
    return heatmap(
        df,
        x="class the forest sees",
        y="epoch",
        value="samples",
        fmt="d",
        title="Judge's class histogram per epoch (confident samples of 100 fixed codes)",
        height=max(160, min(520, 14 * n_ep)),
    )


def cluster_scatter(clu: Clustering) -> list[alt.Chart]:
    """The test codes on a plane twice: coloured by k-means cluster, and by true digit."""
    kw = dict(x_title=clu.axes[0], y_title=clu.axes[1], height=320)
    by_cluster = scatter(
        clu.points, clu.clusters, title="coloured by k-means cluster", label_title="cluster", **kw
    )
    by_label = scatter(clu.points, clu.labels, title="coloured by true digit", label_title="digit", **kw)
    return [by_cluster, by_label]


def digits8_grid(df: pd.DataFrame) -> list[alt.Chart]:
    """Seed 003's view of its 8x8 grid, on validation digits: the best validation MSE for each value of
    one setting (minimum over the others)."""
    out = []
    for col in ("training size", "steps", "lr"):
        best = df.groupby(col, as_index=False)["validation MSE"].min()
        title = f"Best validation MSE by {col}"
        out.append(lines(best, x=col, y="validation MSE", title=title).mark_line(point=True))
    return out


def moons_grid(df: pd.DataFrame) -> list[alt.Chart]:
    """Seed 003's view of the first grid: the best validation MSE for each value of one setting (minimum over
    the others)."""
    out = []
    for col in ("training size", "steps", "lr"):
        best = df.groupby(col, as_index=False)["validation MSE"].min()
        out.append(
            lines(best, x=col, y="validation MSE", title=f"Best validation MSE by {col}").mark_line(
                point=True
            )
        )
    return out


def moons_net_grid(df: pd.DataFrame) -> alt.LayerChart:
    """Validation MSE over hidden units x layers."""
    return heatmap(
        df,
        x="hidden units",
        y="layers",
        value="validation MSE",
        title="Validation MSE by network size",
        reverse=True,
    )


def mmd_codes(view: MoonsView, *, height: int = 320) -> alt.Chart:
    """The MMD-AE's 2-D codes of the test points, one colour per moon (pushed towards N(0, I))."""
    return scatter(
        view.Z_mmd,
        view.y,
        title="MMD-AE: 2-D codes of the test points",
        x_title="z1",
        y_title="z2",
        label_title="moon",
        height=height,
    )


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


def confusion(report: ClusterReport, how: str = "hungarian") -> alt.LayerChart:
    """True digit against the label mapped to its cluster under ``how`` (a "no label" column only when
    needed)."""
    matrix = report.confusions.get(how, report.confusion)
    n = matrix.shape[0]  # labels 0..n-1, then one column for clusters that got no label
    conf = pd.DataFrame(matrix, columns=[str(i) for i in range(n)] + ["no label"])
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
        title=f"k-means on {report.features}: accuracy {report.accuracies.get(how, report.accuracy):.1%}",
        height=380,
    )


def moons(view: MoonsView, *, height: int = 400) -> alt.LayerChart:
    """Test points, decoded samples and the decoder's curve (black) in the data plane."""

    def pts(X, name):
        return pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "points": name})

    df = pd.concat(
        [
            pts(view.X, "test points"),
            pts(view.gmm, f"GMM ({view.n_components}) samples, decoded"),
            pts(view.prior, "MMD-AE: N(0, I) samples, decoded"),
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


def mmd_reconstructions(view: MoonsView, *, height: int = 320) -> alt.Chart:
    """The test points and the MMD-AE's reconstructions of them in the data plane (seed 003)."""
    rec = view.mmd_rec if view.mmd_rec is not None else np.zeros((0, 2))
    df = pd.concat(
        [
            pd.DataFrame({"x": view.X[:, 0], "y": view.X[:, 1], "points": "test points"}),
            pd.DataFrame({"x": rec[:, 0], "y": rec[:, 1], "points": "MMD-AE reconstructions"}),
        ]
    )
    return (
        alt.Chart(df, title="MMD-AE: test points and their reconstructions", height=height)
        .mark_circle(opacity=0.55)
        .encode(x=alt.X("x", title="x1"), y=alt.Y("y", title="x2"), color=alt.Color("points", title=None))
    )


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


def accuracy_bars(accuracy: dict[str, dict[str, float]]) -> alt.Chart:
    """Each judge's accuracy on originals, corrupted and denoised digits, in that order."""
    df = pd.DataFrame(
        [
            {"judge": j, "digits": row, "accuracy": a}
            for j, rows in accuracy.items()
            for row, a in rows.items()
        ]
    )
    order = list(next(iter(accuracy.values())))
    return (
        alt.Chart(df, title="Judges' accuracy on 200 test digits", height=260)
        .mark_bar()
        .encode(
            x=alt.X("digits", type="nominal", sort=order, title="", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("judge", type="nominal"),
            y=alt.Y("accuracy", type="quantitative", title="accuracy", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("judge", type="nominal", title="judge"),
            tooltip=["judge", "digits", alt.Tooltip("accuracy", format=".1%")],
        )
    )
