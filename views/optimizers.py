"""Optimizer comparison: a race, sweeps, regularisation, the loss-landscape playground, model selection."""

import functools
from urllib.parse import urlencode

import streamlit as st

from annlab import ui
from annlab.controls import neighbours
from annlab.optim import charts as oc
from annlab.optim import defaults as D
from annlab.optim import experiments as ex
from annlab.optim import landscape as ls
from annlab.optim import race as rc

ui.page("Optimizer comparison", D.LEAD, look_for=D.LOOK_FOR)
lab = ui.current()


def metrics(row):
    for col, m in zip(st.columns(len(row.metrics)), row.metrics, strict=True):
        col.metric(m.label, m.value, help=m.help or None)
    st.caption(row.caption)


def data_settings(box, more, noise=True) -> dict:
    """The race's data (the other tabs' too): noise σ (the page's main control), task, student number."""
    out = {"noise": ui.control(D.NOISE, box)} if noise else {}
    task = out["task"] = ui.control(D.TASK, box)
    return out | {"number": ui.control(D.NUMBER, more, disabled=task == rc.TASKS[0])}


def curves(result, stale=False):  # the main figure: loss per epoch and per second, the noise floor
    mean = rc.mean_mse(ui.call(rc.make_data, result.config.data, lab.seed))
    charts = oc.race_loss_charts(result, lab.seed, lab.projector, mean)
    with st.container() if stale else ui.main_figure():
        for col, (build, args, kw, key) in zip(st.columns(2), charts, strict=True):
            with col:
                ui.chart(build, *args, cache_key=key, **kw)
    for run in [] if stale else [r for r in result.runs if r.diverged]:
        st.error(f"**{run.name}**: {run.diverged}")


def built(make, where=st, **settings):  # make(**settings), or None after its ValueError in words
    try:
        return make(**settings)
    except ValueError as err:
        where.error(str(err))


def race_settings(left, noise=True) -> dict:
    """The race's settings in the column ``left`` (the sweeps' too), as keywords of ``D.race_config``;
    without the noise σ when ``noise`` is False (the race tab draws it above its figure)."""
    more = left.popover("More settings", icon=":material/tune:", width="stretch")
    with left:
        race = data_settings(st, more, noise) | ui.controls(D.RACE_CONTROLS)
        race["optimizers"] = ui.control(D.RACE_OPTIMIZERS)
        with st.popover("Per optimizer: lr, β; a second run", icon=":material/tune:", width="stretch"):
            race["tuned"] = ui.controls(D.tuning_controls(race["optimizers"]), 2)
            race["twin"] = twin_settings()
            st.markdown(f"[Open the report's race (seed 001 §1.3 Q3)](?{urlencode(D.REPORT_RACE)})")
    with more:
        race |= more_settings([*race["optimizers"], race["twin"]["name"]])
    return race


def twin_settings() -> dict:
    """The second run: which optimizer, then its lr, β and iterations, each off where it has no use."""
    c1, c2 = st.columns(2)
    twin = {"name": ui.control(D.TWIN_CONTROLS["name"], c1)}
    off = D.twin_off(twin["name"])
    for i, field in enumerate(("lr", "momentum", "max_iter")):
        twin[field] = ui.control(D.TWIN_CONTROLS[field], (c2, c1, c2)[i], off=off[field])
    return twin


def more_settings(names: list[str]) -> dict:
    """The race's "More settings": the mini-batch switch and size, off where no run uses them."""
    rest = dict(D.RACE_MORE)
    switch, size = rest.pop("mini_batch_all"), rest.pop("batch_size")
    mini_all = ui.control(switch, off=D.mini_batch_off(names, False)["mini_batch_all"])
    out = {
        "mini_batch_all": mini_all,
        "batch_size": ui.control(size, off=D.mini_batch_off(names, mini_all)["batch_size"]),
    }
    return out | ui.controls(rest)


def race_section():  # settings left; the noise slider and what it changes right, in a fragment
    left, right = st.columns([1, 3])
    race = race_settings(left, noise=False)
    if (cfg := built(D.race_config, right, **race)) is None:
        return
    with right:
        race_figure(race)
    st.expander("Each optimizer's update and lr").dataframe(ex.optimizer_table(cfg), hide_index=True)


@st.fragment
def race_figure(race: dict):
    cfg = built(D.race_config, **race, noise=ui.control(D.NOISE))
    if cfg is None:
        return
    data = ui.call(rc.make_data, cfg.data, lab.seed)
    result = ui.keep_last(
        "opt_race",
        lambda: ui.call(ex.race, cfg, lab.seed, progress="Racing the optimizers"),
        curves,
        ready=ex.race_saved(cfg, lab.seed),
        label=ex.race_label(cfg, lab.seed),
    )
    st.caption(ex.race_caption(data, cfg.data.noise))
    ui.table(ex.race_table(result).text())
    st.info(ex.choice_line(result))
    names, best = ex.fit_choice(result)
    # Built only while open (below the first screen): on every press it cost the browser ~30 ms.
    fit = names and st.expander(D.FIT_TITLE, key="opt_fit", on_change="rerun", bind="query-params")
    if fits := bool(fit and fit.open):
        with fit:
            shown = data.X_grid.shape[1] == 2 and st.selectbox(
                "Fit shown", names, index=best, key="opt_fit_pick"
            )
            for build, args, kw, key in oc.race_fit_charts(data, result, lab.seed, shown):
                ui.chart(build, *args, cache_key=key, **kw)
    near = neighbours(D.NOISE_POSITIONS, cfg.data.noise)
    ui.ahead("opt_race", [functools.partial(prepare, race, n, lab.seed, lab.projector, fits) for n in near])


def prepare(race: dict, noise: float, seed: int, projector: bool, fits: bool) -> None:
    """``race_figure``'s charts at ``noise`` (the fit's too when ``fits``), built ahead into the caches
    it reads (stored races only)."""
    if ex.race_saved(cfg := D.race_config(**race, noise=noise), seed):
        data, result = ui.call(rc.make_data, cfg.data, seed), ui.remember(ex.race, cfg, seed)
        names, best = ex.fit_choice(result)
        shown = data.X_grid.shape[1] == 2 and names[best] if names else False
        charts = oc.race_loss_charts(result, seed, projector, rc.mean_mse(data))
        charts += oc.race_fit_charts(data, result, seed, shown) if names and fits else []
        for build, args, kw, key in charts:
            ui.chart_spec(build, *args, projector=projector, cache_key=key, **kw)


def sweeps_section():
    st.markdown(D.SWEEPS_INTRO)
    left, right = st.columns([1, 3])
    if (cfg := built(D.race_config, right, **race_settings(left))) is None:
        return
    n = ui.control(D.SWEEP_REPEATS, right)
    for label, what, v in D.sweeps(ui.control(D.SWEEP_SIGMAS, right), ui.control(D.SWEEP_UNITS, right)):
        st.markdown(f"#### {label}")
        out = ui.on_demand(label, ex.sweep, cfg, lab.seed, what, v, n, key=f"opt_sw_{what}", progress=True)
        if out is not None:
            if what == "noise":
                ui.chart(oc.sweep_chart, out.table.frame)
            ui.table(out.table.text())
            st.caption(out.caption)


def regularisation_section():
    st.markdown(D.REG_INTRO)
    reg = data_settings(c := st.columns(3)[0], c)
    if (cfg := built(D.reg_config, **reg, **ui.controls(D.REG_CONTROLS, 3))) is None:
        return
    result = ui.call(ex.race, cfg, lab.seed, progress="Training with and without regularisation")
    mean = rc.mean_mse(ui.call(rc.make_data, cfg.data, lab.seed))
    ui.chart(oc.loss_curves, result.runs, x="epoch", floor=cfg.noise_floor, mean=mean, height=260)
    ui.table(ex.race_table(result).text())
    st.info(ex.choice_line(result))


def landscape_section():
    c1, c2, c3 = st.columns(3)
    surface = ui.control(D.LAND_SURFACE, c1)
    s = ls.SURFACES.index(surface)
    kappa = ui.control(D.LAND_KAPPA, c1, disabled=s != 0)
    theta = ui.control(D.LAND_THETA, c1, disabled=s != 3)
    names, steps = ui.control(D.LAND_OPTIMIZERS, c2), ui.control(D.steps_control(s), c2)
    beta = ui.control(D.LAND_BETA, c2, off=(off := D.beta_off(s, names)))
    beta = D.LAND_BETA.default if off else beta  # unused: one cached landscape for every β
    tuned = s == 0 and ui.control(D.LAND_TUNED, c3)
    lr_gd = ui.control(D.lr_gd_control(s), c3, disabled=tuned)
    lr_ad, noise = ui.control(D.lr_adaptive_control(s), c3), ui.control(D.LAND_GRAD_NOISE, c3)
    surf = ls.Surface(surface, kappa=float(kappa), theta=float(theta))
    land = ui.call(ex.landscape, surf, names, steps, beta, lr_gd, lr_ad, tuned, noise, lab.seed)
    for why in (p.diverged for p in land.paths if p.diverged):
        st.error(why)
    ui.show_chart(oc.landscape_chart(land))
    ui.table(land.table.text())
    if s == 0:
        st.markdown("#### What momentum buys on an ill-conditioned quadratic")
        metrics(ui.call(ex.momentum_metrics, surf.kappa, float(beta)))
        scan = ui.call(ex.beta_scan, surf.kappa, D.n_betas())
        ui.show_chart(oc.beta_scan_chart(scan.scan, beta_star=scan.beta_star, beta_now=float(beta)))
        st.caption(scan.caption)
    if s == 3:
        st.markdown("#### How high a bump can each optimizer cross?")
        metrics(ui.call(ex.bump_metrics, lr_ad, lr_gd, int(steps)))
        st.markdown("#### Seed 004 by hand: a piecewise-linear bump (slope +1 on (1, 1 + k), −1 elsewhere)")
        pw = ui.call(ex.linear_bump, ui.control(D.PW_K), D.PW_ALPHA, D.PW_STEPS)
        ui.chart(oc.linear_bump_chart, pw.k, pw.paths)
        metrics(pw.metrics)


def selection_section():
    st.markdown(D.GRID_INTRO)
    c1, c2, c3, c4 = st.columns(4)
    grid = data_settings(c1, c1)
    for col, controls in zip((c2, c3, c4), (D.GRID_SHAPE, D.GRID_SEARCH, D.GRID_TRAINING), strict=True):
        with col:
            grid |= ui.controls(controls)
    if (gcfg := built(D.grid_config, **grid)) is None:
        return
    with c4:
        st.metric("Models in the grid", gcfg.size)
        res = ui.on_demand(
            "Run the grid", rc.model_selection, gcfg, seed=lab.seed, key="opt_grid", progress=True
        )
    if res is not None:
        st.success(ex.grid_summary(res))
        ui.show_chart(oc.grid_heatmaps(res.rows))
        st.dataframe(ex.grid_table(res), hide_index=True, width="stretch")
        data = ui.call(rc.make_data, gcfg.data, lab.seed)
        ui.show_chart(oc.test_surfaces(data, res.best_pred, res.best_test_pred, "the chosen model"))


TABS = ["Race", "Sweeps", "Regularisation", "Landscape", "Model selection"]
SECTIONS = (race_section, sweeps_section, regularisation_section, landscape_section, selection_section)
tabs = st.tabs(TABS, on_change="rerun", key="opt_tab", bind="query-params")
for tab, section in [(t, f) for t, f in zip(tabs, SECTIONS, strict=True) if t.open]:  # the open tab only
    with tab:
        section()
