"""Optimizer comparison: a regression race, the loss-landscape playground and model selection."""

import streamlit as st

from annlab import ui
from annlab.optim import charts as oc
from annlab.optim import defaults as D
from annlab.optim import experiments as ex
from annlab.optim import landscape as ls
from annlab.optim import race as rc

ui.page(
    "Optimizer comparison",
    "Every optimizer starts from **the same initial weights** on **the same data**. A run whose loss blows "
    "up is stopped and the page says why.",
    look_for="Which optimizer gets low first *per epoch* and which *per second*; what noise in the data "
    "does to the validation loss; what momentum buys on a narrow valley; why Adam gets over a bump where "
    "gradient descent stays stuck.",
)
lab = ui.current()


def table(t):
    formats = {c: st.column_config.NumberColumn(c, format=f) for c, f in t.formats.items()}
    st.dataframe(t.frame, hide_index=True, width="stretch", column_config=formats)


def metrics(row):
    for col, m in zip(st.columns(len(row.metrics)), row.metrics, strict=True):
        col.metric(m.label, m.value, help=m.help or None)
    st.caption(row.caption)


def data_settings(box, more) -> dict:
    """The race's data (the grid's too): noise σ (the page's main control), task, student number."""
    noise = ui.control(D.NOISE, box)
    task = ui.control(D.TASK, box)
    number = ui.control(D.NUMBER, more, disabled=task == rc.TASKS[0])
    return {"task": task, "noise": noise, "number": number}


@st.fragment
def race_section():
    left, right = st.columns([1, 3])
    more = left.popover("More settings", icon=":material/tune:", width="stretch")
    with left:
        race = data_settings(st, more)
        race |= ui.controls(D.RACE_CONTROLS)
    figure = right.container()  # filled once the race has run, above its optimizers
    race["optimizers"] = ui.control(D.RACE_OPTIMIZERS, right)
    with more:
        race |= ui.controls(D.RACE_MORE)
    try:
        cfg = D.race_config(**race)
    except ValueError as err:
        right.error(str(err))
        return
    data = ui.call(rc.make_data, cfg.data, lab.seed)
    with figure:
        result = ui.call(ex.race, cfg, lab.seed, progress="Racing the optimizers")
        with ui.main_figure():
            for col, x in zip(st.columns(2), ("epoch", "seconds"), strict=True):
                with col:
                    ui.chart(oc.loss_curves, result.runs, x=x)
    for run in result.runs:
        if run.diverged:
            right.error(f"**{run.name}**: {run.diverged}")
    right.caption(ex.race_caption(data, cfg.data.noise))
    table(ex.race_table(result))
    names, best = ex.fit_choice(result)
    if names:
        st.markdown("#### The fit against the truth")
        two_d = data.X_grid.shape[1] == 2
        shown = two_d and st.selectbox("Optimizer whose fit is shown", names, index=best, key="opt_fit_pick")
        ui.chart(oc.race_fit, data, result.runs, shown)
    with st.expander("What each optimizer does, and its learning rate here"):
        st.dataframe(ex.optimizer_table(cfg), hide_index=True, width="stretch")


def landscape_section():
    c1, c2, c3 = st.columns(3)
    surface = ui.control(D.LAND_SURFACE, c1)
    s = ls.SURFACES.index(surface)
    kappa = ui.control(D.LAND_KAPPA, c1, disabled=s != 0)
    theta = ui.control(D.LAND_THETA, c1, disabled=s != 3)
    names = ui.control(D.LAND_OPTIMIZERS, c2)
    steps = ui.control(D.steps_control(s), c2)
    beta = ui.control(D.LAND_BETA, c2)
    tuned = s == 0 and ui.control(D.LAND_TUNED, c3)
    lr_gd = ui.control(D.lr_gd_control(s), c3, disabled=tuned)
    lr_ad = ui.control(D.lr_adaptive_control(s), c3)
    noise = ui.control(D.LAND_GRAD_NOISE, c3)
    surf = ls.Surface(surface, kappa=float(kappa), theta=float(theta))
    land = ui.call(ex.landscape, surf, names, steps, beta, lr_gd, lr_ad, tuned, noise, lab.seed)
    for p in land.paths:
        if p.diverged:
            st.error(p.diverged)
    ui.show_chart(oc.landscape_chart(land))
    table(land.table)
    if s == 0:
        st.markdown("#### What momentum buys on an ill-conditioned quadratic")
        metrics(ui.call(ex.momentum_metrics, surf.kappa, float(beta)))
        scan = ui.call(ex.beta_scan, surf.kappa, D.n_betas())
        ui.show_chart(oc.beta_scan_chart(scan.scan, beta_star=scan.beta_star, beta_now=float(beta)))
        st.caption(scan.caption)
    if s == 3:
        st.markdown("#### How high a bump can each optimizer cross?")
        metrics(ui.call(ex.bump_metrics, lr_ad, lr_gd, int(steps)))


def selection_section():
    st.markdown(
        "Every combination is trained on the race's data from seeded initial weights; the model with the "
        "lowest **validation** MSE is chosen, and only then is the test set used."
    )
    c1, c2, c3, c4 = st.columns(4)
    grid = data_settings(c1, c1)
    for col, controls in zip((c2, c3, c4), (D.GRID_SHAPE, D.GRID_SEARCH, D.GRID_TRAINING), strict=True):
        with col:
            grid |= ui.controls(controls)
    try:
        gcfg = D.grid_config(**grid)
    except ValueError as err:
        st.error(str(err))
        return
    with c4:
        st.metric("Models in the grid", gcfg.size)
        result = ui.on_demand(
            "Run the grid", rc.model_selection, gcfg, seed=lab.seed, key="opt_grid", progress=True
        )
    if result is not None:
        st.success(ex.grid_summary(result))
        ui.show_chart(oc.grid_heatmaps(result.rows))
        st.dataframe(ex.grid_table(result), hide_index=True, width="stretch")


tabs = st.tabs(
    ["Race", "Landscape", "Model selection"], on_change="rerun", key="opt_tab", bind="query-params"
)
for tab, section in zip(tabs, (race_section, landscape_section, selection_section), strict=True):
    if tab.open:
        with tab:
            section()
