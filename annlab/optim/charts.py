"""Altair charts of the optimizer page: pure functions, arrays in, ``alt.Chart`` out."""

from __future__ import annotations

import base64
import io
import math

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from annlab.charts import FIT_WIDTH, OKABE_ITO
from annlab.charts import heatmap as _heatmap

FIT_STRIDE = 3  # fit_1d draws every FIT_STRIDE-th grid point, 67 of 200 (redrawn on every noise move)
MAX_POINTS = 40  # points per curve: enough for a smooth line; more only slows the browser when a slider moves
# A legend's labels without "(full batch)" / "(mini-batch)": three fit in a row of half a page.
SHORT_NAMES = "replace(replace(datum.label, ' (full batch)', ''), ' (mini-batch)', '')"
# Okabe-Ito colours, one per optimizer, the same in every chart (no yellow: it vanishes on the grey map).
OPTIMIZER_COLOURS = {
    "GD (full batch)": "#0072B2",
    "SGD (mini-batch)": "#56B4E9",
    "Momentum": "#009E73",
    "Nesterov": "#CC79A7",
    "Adagrad": "#882255",
    "RMSProp": "#E69F00",
    "Adam": "#D55E00",
    "Adadelta": "#999999",
    "L-BFGS": "#000000",
}


def _thin(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` of ``n`` samples: dense at the start, always the last one."""
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.concatenate([np.round(np.geomspace(1, n, max_points)).astype(int) - 1, [0, n - 1]]))
    return idx


def _sig(a: np.ndarray, digits: int = 4) -> np.ndarray:
    """``a`` rounded to ``digits`` significant digits (smaller charts, same picture)."""
    return np.array([float(f"{v:.{digits}g}") for v in np.asarray(a, float)])


def _colors(names) -> alt.Scale:
    """One fixed colour per optimizer, the same in every chart; other runs (a second run of one
    optimizer, the regularisation remedies) take the palette's colours the optimizers leave free."""
    names = list(dict.fromkeys(names))
    taken = {OPTIMIZER_COLOURS[n] for n in names if n in OPTIMIZER_COLOURS}
    free = iter([c for c in (*OKABE_ITO, "#444444", "#AA4499", "#117733") if c not in taken])
    return alt.Scale(domain=names, range=[OPTIMIZER_COLOURS.get(n) or next(free) for n in names])


def loss_curves(
    runs,
    *,
    x: str = "epoch",
    log_y: bool = True,
    height: int = 180,
    floor: float | None = None,
    mean: float | None = None,
) -> alt.Chart:
    """Training (solid) and validation (dashed) MSE of each run against ``x`` ("epoch" or "seconds"),
    with the noise floor ``floor`` = σ² as a dotted grey line (none when None or 0) and the
    predict-the-mean baseline ``mean`` (:func:`annlab.optim.data.mean_mse`) as a dashed grey line
    labelled "mean" (none when None).

    ``runs`` : list of :class:`annlab.optim.race.RunResult`. Diverged runs end where they blew up.
    ``height`` is the plot's own height: the chart fits its container's width only ("fit-x"), so axes
    and legend add to it in every mode instead of squeezing the plot (large projector fonts did). The
    legend names each optimizer without "(full batch)" / "(mini-batch)", two to a row, so it fits under
    half a page.
    """
    frames = []
    for r in runs:
        idx = _thin(len(r.epoch))
        for split, values in (("train", r.train), ("validation", r.val)):
            frames.append(
                pd.DataFrame(
                    {  # only the x column drawn: each column is converted to rows in the browser
                        "optimizer": r.name,
                        "split": split,
                        x: r.epoch[idx] if x == "epoch" else np.round(r.seconds[idx], 3),
                        "MSE": _sig(np.maximum(values[idx], 1e-12)),
                    }
                )
            )
    df = pd.concat(frames, ignore_index=True)
    x_title = "epoch" if x == "epoch" else "CPU time (s)"
    curves = (
        alt.Chart(df, height=height, title=f"Loss against {x_title}")
        .mark_line()
        .encode(
            x=alt.X(x, type="quantitative", title=None),  # the chart title names it
            y=alt.Y(
                "MSE",
                type="quantitative",
                title="MSE",
                scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False),
                axis=alt.Axis(tickCount=3),
            ),
            color=alt.Color(
                "optimizer",
                type="nominal",
                scale=_colors(df["optimizer"]),
                legend=alt.Legend(
                    orient="bottom",
                    columns=2,
                    title="",
                    labelExpr=SHORT_NAMES,
                ),
            ),
            strokeDash=alt.StrokeDash(
                "split",
                type="nominal",
                title="data",
                legend=None,
                scale=alt.Scale(domain=["train", "validation"], range=[[1, 0], [6, 4]]),
            ),
        )
    )
    lines = [(floor, "σ²", [2, 3])] if floor else []
    lines += [(mean, "mean", [8, 3])] if mean is not None and math.isfinite(mean) and mean > 0 else []
    if not lines:
        return curves.properties(autosize=FIT_WIDTH)
    line = pd.DataFrame({"MSE": [float(f"{v:.4g}") for v, _, _ in lines], "text": [t for _, t, _ in lines]})
    rules = [  # one layer per line, each with its own dash (a dash encoding would share the curves' scale)
        alt.Chart(line.iloc[[i]]).mark_rule(color="#777777", strokeDash=d, strokeWidth=2).encode(y="MSE:Q")
        for i, (_, _, d) in enumerate(lines)
    ]
    text = (  # beside the plot, right of the line's end: on the plot it would sit on the curves near it
        alt.Chart(line)
        .mark_text(align="left", baseline="middle", dx=4, color="#555555", fontWeight="bold")
        .encode(y="MSE:Q", x=alt.value("width"), text="text:N")
    )
    return alt.layer(curves, *rules, text).properties(autosize=FIT_WIDTH)


def fit_1d(
    x_grid: np.ndarray,
    y_true: np.ndarray,
    preds: dict,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    residuals: bool = False,
    height: int = 300,
) -> alt.LayerChart:
    """The fitted curves (one per optimizer in ``preds``) against the truth; with ``residuals`` the
    fits minus the truth instead (drawn below it). Each fits its container's width.

    ``x_grid`` (m,), ``y_true`` (m,), ``preds`` {name: (m,)}; training points ``x_train`` (n,),
    ``y_train`` (n,).
    """
    names = list(preds)
    x_grid, y_true = x_grid[::FIT_STRIDE], y_true[::FIT_STRIDE]  # smooth curves from a third of the grid
    preds = {n: p[::FIT_STRIDE] for n, p in preds.items()}
    x_grid, y_true = np.round(x_grid.astype(float), 4), np.round(y_true.astype(float), 4)
    preds = {n: np.round(p.astype(float), 4) for n, p in preds.items()}
    fits = pd.concat(
        [
            pd.DataFrame({"x": x_grid, "y": p, "curve": n, "residual": np.round(p - y_true, 4)})
            for n, p in preds.items()
        ],
        ignore_index=True,
    )
    scale = _colors(names)
    if residuals:
        res = (
            alt.Chart(
                fits[["x", "residual", "curve"]],
                height=height * 0.55,
                title="Residuals: fit minus the noise-free truth",
            )
            .mark_line()
            .encode(
                x=alt.X("x:Q", title="x"),
                y=alt.Y("residual:Q", title="fit − truth"),
                color=alt.Color("curve:N", title="optimizer", scale=scale, legend=None),
            )
        )
        rule = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="black").encode(y="y:Q")
        return (res + rule).properties(autosize=FIT_WIDTH)
    x_train, y_train = np.round(x_train.astype(float), 4), np.round(y_train.astype(float), 4)
    truth = pd.DataFrame({"x": x_grid, "y": y_true, "curve": "truth"})
    pts = (
        alt.Chart(pd.DataFrame({"x": x_train, "y": y_train}))
        .mark_circle(color="#999999", opacity=0.5)
        .encode(x="x:Q", y="y:Q")
    )
    base = (
        alt.Chart(truth)
        .mark_line(color="black", strokeDash=[2, 2])
        .encode(x=alt.X("x:Q", title="x"), y=alt.Y("y:Q", title="y"))
    )
    lines = (
        alt.Chart(fits[["x", "y", "curve"]])
        .mark_line()
        .encode(
            x="x:Q",
            y="y:Q",
            color=alt.Color(
                "curve:N",
                scale=scale,
                legend=alt.Legend(orient="top", columns=3, title="", labelExpr=SHORT_NAMES),
            ),
            tooltip=["curve"],
        )
    )
    title = "Fit (coloured) against the truth (dashed black); grey dots: training data"
    return (pts + base + lines).properties(height=height, title=title, autosize=FIT_WIDTH)


def surface_2d(
    X_grid: np.ndarray,
    values: np.ndarray,
    *,
    title: str,
    scheme: str = "viridis",
    domain: tuple[float, float] | None = None,
    height: int = 210,
) -> alt.Chart:
    """A heat map of ``values`` (m,) on the 2-D grid points ``X_grid`` (m, 2) (a regular square grid)."""
    side = int(round(np.sqrt(len(values))))
    step = (X_grid[:, 0].max() - X_grid[:, 0].min()) / max(side - 1, 1)
    df = pd.DataFrame(
        {
            "x1": X_grid[:, 0] - step / 2,
            "x2": X_grid[:, 1] - step / 2,
            "x1e": X_grid[:, 0] + step / 2,
            "x2e": X_grid[:, 1] + step / 2,
            "value": values,
        }
    )
    scale = alt.Scale(scheme=scheme, domain=list(domain)) if domain else alt.Scale(scheme=scheme)
    return (
        alt.Chart(df, title=title, height=height, width=height)
        .mark_rect()
        .encode(
            x=alt.X("x1:Q", title="x₁"),
            x2="x1e:Q",
            y=alt.Y("x2:Q", title="x₂"),
            y2="x2e:Q",
            color=alt.Color(
                "value:Q",
                title="",
                scale=scale,
                legend=alt.Legend(orient="bottom", gradientLength=min(180, height)),
            ),
            tooltip=[alt.Tooltip("value:Q", format=".3f")],
        )
    )


def fit_2d(data, pred: np.ndarray, name: str, side: int = 200) -> alt.ConcatChart:
    """The training points, the truth, the fit and its residual, two by two (independent colour
    scales): ``data`` the race's :class:`annlab.optim.data.RegressionData`, ``pred`` the fit on its grid.
    Each map is ``side`` pixels square, so the four fit half a page (a row of three overflowed it)."""
    X_grid, y_true = data.X_grid, data.y_true
    lo, hi = float(min(y_true.min(), pred.min())), float(max(y_true.max(), pred.max()))
    res = pred - y_true
    r = float(np.abs(res).max()) or 1.0
    title = f"The {len(data.y_train)} training points (noisy targets)"
    return alt.concat(
        points_2d(data.X_train, data.y_train, title=title, height=side),
        surface_2d(X_grid, y_true, title="Truth (noise-free)", domain=(lo, hi), height=side),
        surface_2d(X_grid, pred, title=f"Fit by {name}", domain=(lo, hi), height=side),
        surface_2d(X_grid, res, title="Residual: fit − truth", scheme="redblue", domain=(-r, r), height=side),
        columns=2,
    ).resolve_scale(color="independent")


def contour_paths(
    xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, paths, *, minimum=None, title: str = "", height: int = 460
) -> alt.LayerChart:
    """Optimizer paths over a filled contour map of log10(f − min f + 1e-3) (16 grey levels, darker = lower).

    ``xs`` (n,), ``ys`` (n,), ``Z`` (n, n) indexed [iy, ix]; ``paths``: list of
    :class:`annlab.optim.landscape.Path`; ``minimum``: (x, y) drawn as a star.
    """
    lz = np.log10(Z - Z.min() + 1e-3)
    band = np.floor((lz - lz.min()) / max(float(np.ptp(lz)), 1e-12) * 15.999)  # 16 loss levels, 0 = lowest
    grey = (95 + band * 10).astype(np.uint8)[::-1]  # darker = lower; row 0 = top
    buf = io.BytesIO()
    Image.fromarray(grey, mode="L").resize((4 * grey.shape[1], 4 * grey.shape[0]), Image.NEAREST).save(
        buf, format="PNG"
    )
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    # The filled contour map is one embedded picture, not thousands of rectangles: a far smaller chart.
    heat = (
        alt.Chart(pd.DataFrame({"url": [url], "x": [xs[0]], "x2": [xs[-1]], "y": [ys[-1]], "y2": [ys[0]]}))
        .mark_image(aspect=False, opacity=0.9)
        .encode(
            x=alt.X("x:Q", title="x", scale=alt.Scale(domain=[float(xs[0]), float(xs[-1])], nice=False)),
            x2="x2:Q",
            y=alt.Y("y:Q", title="y", scale=alt.Scale(domain=[float(ys[0]), float(ys[-1])], nice=False)),
            y2="y2:Q",
            url="url:N",
        )
    )
    layers = [heat]
    frames = []
    for p in paths:
        pts = p.points
        keep = (pts[:, 0] >= xs[0]) & (pts[:, 0] <= xs[-1]) & (pts[:, 1] >= ys[0]) & (pts[:, 1] <= ys[-1])
        idx = np.nonzero(keep)[0][_thin(int(keep.sum()), 400)]
        frames.append(
            pd.DataFrame(
                {"optimizer": p.name, "step": idx, "x": pts[idx, 0], "y": pts[idx, 1], "loss": p.losses[idx]}
            )
        )
    if frames:
        df = pd.concat(frames, ignore_index=True)
        enc = {
            "x": "x:Q",
            "y": "y:Q",
            "order": "step:Q",
            "color": alt.Color("optimizer:N", scale=_colors(df["optimizer"])),
            "tooltip": [
                "optimizer",
                "step",
                alt.Tooltip("x", format=".3f"),
                alt.Tooltip("y", format=".3f"),
                alt.Tooltip("loss", format=".3g"),
            ],
        }
        dots = alt.OverlayMarkDef(size=25, filled=True)
        layers.append(alt.Chart(df).mark_line(strokeWidth=2.5, point=dots).encode(**enc))
        start = df[df["step"] == 0].head(1)
        layers.append(
            alt.Chart(start)
            .mark_point(shape="square", size=200, color="black", filled=True)
            .encode(x="x:Q", y="y:Q")
        )
    if minimum is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"x": [minimum[0]], "y": [minimum[1]]}))
            .mark_point(
                shape="cross", size=300, color="#FFFFFF", stroke="#000000", strokeWidth=1.5, filled=True
            )
            .encode(x="x:Q", y="y:Q")
        )
    return alt.layer(*layers).properties(height=height, title=title)


def bump_paths(xs: np.ndarray, f: np.ndarray, paths, *, title: str = "", height: int = 380) -> alt.LayerChart:
    """The 1-D bump f(x) and each optimizer's iterates (x_k, f(x_k)) joined in step order."""
    curve = (
        alt.Chart(pd.DataFrame({"x": xs, "f": f}))
        .mark_line(color="black")
        .encode(x=alt.X("x:Q", title="x"), y=alt.Y("f:Q", title="loss f(x)"))
    )
    frames = [
        pd.DataFrame(
            {"optimizer": p.name, "step": np.arange(len(p.losses)), "x": p.points[:, 0], "f": p.losses}
        )
        for p in paths
    ]
    layers = [curve]
    if frames:
        df = pd.concat(frames, ignore_index=True)
        df = df[(df["x"] >= xs[0]) & (df["x"] <= xs[-1])]
        enc = {
            "x": "x:Q",
            "y": "f:Q",
            "order": "step:Q",
            "color": alt.Color("optimizer:N", scale=_colors(df["optimizer"])),
            "tooltip": ["optimizer", "step", alt.Tooltip("x", format=".3f"), alt.Tooltip("f", format=".3g")],
        }
        dots = alt.OverlayMarkDef(size=60, filled=True, opacity=1.0)
        layers.append(alt.Chart(df).mark_line(opacity=0.7, point=dots).encode(**enc))
    return alt.layer(*layers).properties(height=height, title=title)


def beta_scan_chart(scan: dict, *, beta_star: float, beta_now: float, height: int = 320) -> alt.LayerChart:
    """Measured iterations and the rate prediction ``ceil(ln tol / ln ρ)`` against β."""
    rows = []
    for b, m, r in zip(scan["beta"], scan["measured"], scan["from_rate"], strict=True):
        if m is not None:
            rows.append({"β": b, "iterations": m, "what": "measured (torch.optim)"})
        if np.isfinite(r):
            rows.append({"β": b, "iterations": r, "what": "from the rate: ⌈ln tol / ln ρ⌉"})
    df = pd.DataFrame(rows)
    lines = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("β:Q", title="momentum β"),
            y=alt.Y("iterations:Q", title="iterations to tolerance", scale=alt.Scale(type="log")),
            color=alt.Color("what:N", title="", scale=alt.Scale(range=[OKABE_ITO[0], OKABE_ITO[1]])),
            strokeDash=alt.StrokeDash("what:N", legend=None),
            tooltip=["β", "iterations", "what"],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"β": [beta_star, beta_now], "which": ["Polyak's β*", "your β"]}))
        .mark_rule(strokeWidth=2)
        .encode(x="β:Q", color=alt.value("#555555"), strokeDash=alt.StrokeDash("which:N", title=""))
    )
    return alt.layer(lines, rules).properties(height=height, title="Iterations to reach the tolerance")


def grid_heatmaps(rows: list[dict]) -> alt.HConcatChart:
    """Best validation MSE over learning rates, layers × units, one heat map per activation."""
    df = pd.DataFrame(rows)
    df = df[df["status"] == "ok"]
    best = df.groupby(["activation", "layers", "units"], as_index=False)["val MSE"].min()
    charts = []
    for act in best["activation"].unique():
        part = best[best["activation"] == act]
        charts.append(
            _heatmap(
                part,
                x="units",
                y="layers",
                value="val MSE",
                title=f"{act}: best val MSE over the learning rates",
                fmt=".3f",
                reverse=True,
                height=220,
            ).properties(width=max(160, 90 * part["units"].nunique()))
        )
    return alt.hconcat(*charts).resolve_scale(color="shared")


def race_fit(data, runs, pick: str | None = None, residuals: bool = False):
    """The fit of the race's networks: every run against the 1-D truth (or its residuals), or the run
    ``pick`` in 2-D.

    ``data`` : :class:`annlab.optim.data.RegressionData`; ``runs`` : its race's RunResults (diverged
    ones are left out).
    """
    ok = {r.name: r for r in runs if not r.diverged}
    if data.X_grid.shape[1] == 1:
        preds = {name: r.grid_pred for name, r in ok.items()}
        x_grid, x_train = data.X_grid[:, 0], data.X_train[:, 0]
        return fit_1d(x_grid, data.y_true, preds, x_train, data.y_train, residuals=residuals)
    return fit_2d(data, ok[pick].grid_pred, pick)


def race_loss_charts(result, seed: int, projector: bool, mean: float | None = None) -> list[tuple]:
    """The race's main figure as (builder, args, keywords, cache key) for ``ui.chart``: the loss per
    epoch and per second, with the noise floor and the predict-the-mean baseline ``mean`` (in projector
    mode 100 px tall, so the figure fits the first screen). The page draws them and prepares them ahead
    for the neighbouring noise positions. ``mean`` follows from the race's data and seed, which the
    cache key holds."""
    kw = {"floor": result.config.noise_floor, "mean": mean, "height": 100 if projector else 180}
    return [
        (loss_curves, (result.runs,), {"x": x, **kw}, (result.config, seed)) for x in ("epoch", "seconds")
    ]


def race_fit_charts(data, result, seed: int, shown) -> list[tuple]:
    """The data and the fit against the truth, as in :func:`race_loss_charts`: in 1-D the fit (its grey
    dots are the training points) and its residuals, in 2-D the training points and the fit of the run
    ``shown`` in one chart."""
    args, key = (data, result.runs, shown), (result.config, seed, shown)
    if data.X_grid.shape[1] == 2:
        return [(race_fit, args, {}, key)]
    return [(race_fit, args, {}, key), (race_fit, args, {"residuals": True}, key)]


def landscape_chart(land):
    """The paths of :func:`annlab.optim.experiments.landscape` over its surface (contours, or the bump)."""
    surf = land.surface
    if surf.dim == 2:
        title = f"{surf.name}: paths from the black square (× = minimum)"
        return contour_paths(land.xs, land.ys, land.Z, land.paths, minimum=surf.minimum, title=title)
    title = f"Bump of height θ = {surf.theta:g}: {land.steps} steps from x₀ = 0"
    return bump_paths(land.xs, land.Z, land.paths, title=title)


def points_2d(X: np.ndarray, y: np.ndarray, *, title: str, domain=None, scheme: str = "viridis", height=210):
    """The data points themselves (x₁, x₂) coloured by their value ``y`` (n,): no surface in between."""
    df = pd.DataFrame({"x1": X[:, 0].astype(float), "x2": X[:, 1].astype(float), "value": _sig(y, 3)})
    scale = alt.Scale(scheme=scheme, domain=list(domain)) if domain else alt.Scale(scheme=scheme)
    return (
        alt.Chart(df, title=title, height=height, width=height)
        .mark_circle(size=45, opacity=0.9)
        .encode(
            x=alt.X("x1:Q", title="x₁"),
            y=alt.Y("x2:Q", title="x₂"),
            color=alt.Color(
                "value:Q",
                title="",
                scale=scale,
                legend=alt.Legend(orient="bottom", gradientLength=min(180, height)),
            ),
            tooltip=[alt.Tooltip("value:Q", format=".3f")],
        )
    )


def test_surfaces(data, grid_pred: np.ndarray, test_pred: np.ndarray, name: str) -> alt.HConcatChart:
    """§1.4 Q3: the test points, the chosen model's surface, and its error on the test points (2-D), or
    the fit with the test points and their errors (1-D)."""
    err = test_pred - data.y_test
    r = float(np.nanmax(np.abs(err))) or 1.0
    side, width = 160, 280  # fixed sizes (a concat does not stretch): the row fits 1280 px in both modes
    if data.X_grid.shape[1] == 2:
        lo = float(min(data.y_test.min(), grid_pred.min()))
        hi = float(max(data.y_test.max(), grid_pred.max()))
        return alt.hconcat(
            points_2d(
                data.X_test,
                data.y_test,
                title=f"The {len(data.y_test)} test points",
                domain=(lo, hi),
                height=side,
            ),
            surface_2d(
                data.X_grid,
                grid_pred,
                title=f"Surface of {name}",
                domain=(lo, hi),
                height=side,
            ),
            points_2d(
                data.X_test,
                err,
                title="Its error on the test points",
                scheme="redblue",
                domain=(-r, r),
                height=side,
            ),
        ).resolve_scale(color="independent")
    fit = pd.DataFrame({"x": data.X_grid[:, 0].astype(float), "y": _sig(grid_pred, 4)})
    pts = pd.DataFrame(
        {"x": data.X_test[:, 0].astype(float), "y": _sig(data.y_test, 4), "error": _sig(err, 4)}
    )
    top = alt.layer(
        alt.Chart(fit)
        .mark_line(color="#D55E00")
        .encode(x=alt.X("x:Q", title="x"), y=alt.Y("y:Q", title="y")),
        alt.Chart(pts).mark_circle(size=50, color="black").encode(x="x:Q", y="y:Q"),
    ).properties(
        title=f"{name[:1].upper() + name[1:]} (the line) and the test points (the dots)",
        height=220,
        width=width,
    )
    bottom = (
        alt.Chart(pts, title="Its error on the test points (fit − target)", height=220, width=width)
        .mark_bar(size=4, color="#0072B2")
        .encode(x=alt.X("x:Q", title="x"), y=alt.Y("error:Q", title="error"))
    )
    return alt.hconcat(top, bottom)


def sweep_chart(table: pd.DataFrame, *, column: str = "val MSE") -> alt.LayerChart:
    """Validation MSE against σ per run (the σ sweep's mean), with the noise floor σ² dashed."""
    df = table[["σ", "optimizer", column]].copy()
    lines = (
        alt.Chart(df, title=f"{column} against the noise σ", height=260)
        .mark_line(point=True)
        .encode(
            x=alt.X("σ:Q", title="noise σ"),
            y=alt.Y(f"{column}:Q", title=f"{column} (log)", scale=alt.Scale(type="log")),
            color=alt.Color("optimizer:N", title="", scale=_colors(df["optimizer"])),
            tooltip=["optimizer", "σ", alt.Tooltip(f"{column}:Q", format=".4g")],
        )
    )
    floor = pd.DataFrame({"σ": sorted(df["σ"].unique())})
    floor["floor"] = np.maximum(floor["σ"] ** 2, 1e-6)
    rule = alt.Chart(floor).mark_line(color="#777777", strokeDash=[2, 3]).encode(x="σ:Q", y="floor:Q")
    return alt.layer(lines, rule).properties(autosize=FIT_WIDTH)


def linear_bump_chart(k: float, paths: dict[str, np.ndarray]) -> alt.LayerChart:
    """Seed 004's piecewise-linear bump and each optimizer's iterates (x_k, f(x_k)) in step order."""
    xs = np.linspace(-0.2, max(2.6, 1.2 + 2 * k), 300)
    f = np.maximum(1 - xs, 0) + np.clip(xs - 1, 0, k) - np.maximum(xs - 1 - k, 0)
    curve = (
        alt.Chart(pd.DataFrame({"x": np.round(xs, 4), "f": np.round(f, 4)}))
        .mark_line(color="black")
        .encode(x=alt.X("x:Q", title="x"), y=alt.Y("f:Q", title="loss f(x)"))
    )
    frames = []
    for name, p in paths.items():
        fp = np.maximum(1 - p, 0) + np.clip(p - 1, 0, k) - np.maximum(p - 1 - k, 0)
        frames.append(pd.DataFrame({"optimizer": name, "step": np.arange(len(p)), "x": p, "f": fp}))
    df = pd.concat(frames, ignore_index=True)
    dots = (
        alt.Chart(df)
        .mark_line(opacity=0.7, point=alt.OverlayMarkDef(size=60, filled=True))
        .encode(
            x="x:Q",
            y="f:Q",
            order="step:Q",
            color=alt.Color("optimizer:N", title="", scale=_colors(df["optimizer"])),
            tooltip=["optimizer", "step", alt.Tooltip("x", format=".3f")],
        )
    )
    title = f"Seed 004's linear bump, k = {k:g}: 20 steps of α = 0.3 from x₀ = 0"
    return alt.layer(curve, dots).properties(height=300, title=title, autosize=FIT_WIDTH)
