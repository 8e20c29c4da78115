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
HELP = {
    "opt_number": "Its five largest digits weight five functions: T = Σ dᵢ Tᵢ / Σ dᵢ.",
    "opt_lr_scale": "Multiplies every optimizer's own learning rate (table below): push it up to see runs "
    "diverge.",
    "opt_batch": "Used by 'SGD (mini-batch)' (and by the others with the switch on).",
    "opt_mb_all": "Run momentum, Adam, ... on mini-batches too (GD and L-BFGS stay full-batch).",
    "opt_tuned": "GD: 2/(L+μ). Momentum: 2(1+β)/(L+μ).",
    "opt_lr_ad": "For adaptive methods lr is roughly a step length in x, not a gradient multiplier. Adadelta "
    "and L-BFGS use lr = 1.",
    "opt_grad_noise": "Real training is stochastic: add Gaussian noise to every gradient.",
}


def w(widget, label, key, *surface, **kw):
    """``widget`` bound to the URL key ``key`` (per surface when given), with its default and choices."""
    return ui.persisted(widget, label, **D.control(key, *surface), help=HELP.get(key), **kw)


def table(t):
    formats = {c: st.column_config.NumberColumn(c, format=f) for c, f in t.formats.items()}
    st.dataframe(t.frame, hide_index=True, width="stretch", column_config=formats)


def metrics(row):
    for col, m in zip(st.columns(len(row.metrics)), row.metrics, strict=True):
        col.metric(m.label, m.value, help=m.help or None)
    st.caption(row.caption)


def data_settings(box, more) -> dict:
    """The race's data (the grid's too): noise σ (the page's main control), task, student number."""
    noise = w(box.slider, "Noise σ on the targets", "opt_noise")
    task = w(box.selectbox, "Regression task", "opt_task")
    number = w(
        more.text_input, "Student number (personal regression)", "opt_number", disabled=task == rc.TASKS[0]
    )
    return {"task": task, "noise": noise, "number": number}


@st.fragment
def race_section():
    left, right = st.columns([1, 3])
    more = left.popover("More settings", icon=":material/tune:", width="stretch")
    with left:
        race = data_settings(st, more)
        race["lr_scale"] = w(st.select_slider, "Learning-rate multiplier", "opt_lr_scale")
        race["num_epochs"] = w(st.select_slider, "Epochs", "opt_epochs")
        race["layers"] = w(st.slider, "Hidden layers", "opt_layers")
        race["units"] = w(st.select_slider, "Units per layer", "opt_units")
        race["activation"] = w(st.selectbox, "Activation", "opt_act")
    figure = right.container()  # filled once the race has run, above its optimizers
    race["optimizers"] = w(right.multiselect, "Optimizers in the race", "opt_optimizers")
    with more:
        race["batch_size"] = w(st.select_slider, "Mini-batch size", "opt_batch")
        race["mini_batch_all"] = w(st.toggle, "Mini-batches for all", "opt_mb_all")
        race["threshold"] = w(st.select_slider, "Loss threshold (val MSE)", "opt_threshold")
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
                    ui.show_chart(oc.loss_curves(result.runs, x=x))
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
        ui.show_chart(oc.race_fit(data, result.runs, shown))
    with st.expander("What each optimizer does, and its learning rate here"):
        st.dataframe(ex.optimizer_table(cfg), hide_index=True, width="stretch")


def landscape_section():
    c1, c2, c3 = st.columns(3)
    surface = w(c1.selectbox, "Loss surface", "opt_surface")
    s = ls.SURFACES.index(surface)
    kappa = w(c1.select_slider, "Condition number κ = L/μ", "opt_kappa", disabled=s != 0)
    theta = w(c1.slider, "Bump height θ", "opt_theta", disabled=s != 3)
    names = w(c2.multiselect, "Optimizers", "opt_land_opts")
    steps = w(c2.select_slider, "Steps", "opt_steps", s)
    beta = w(c2.slider, "Momentum β (Momentum, Nesterov)", "opt_beta")
    tuned = s == 0 and w(c3.toggle, "Theory's learning rates for GD and momentum", "opt_tuned")
    lr_gd = w(c3.select_slider, "Learning rate: GD, momentum, Nesterov", "opt_lr_gd", s, disabled=tuned)
    lr_ad = w(c3.select_slider, "Learning rate: Adagrad, RMSProp, Adam", "opt_lr_ad", s)
    noise = w(c3.slider, "Noise on the gradients (σ)", "opt_grad_noise")
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
    grid["layers"] = w(c2.multiselect, "Hidden layers", "opt_grid_layers")
    grid["units"] = w(c2.multiselect, "Units", "opt_grid_units")
    grid["activations"] = w(c3.multiselect, "Activations", "opt_grid_acts")
    grid["lrs"] = w(c3.multiselect, "Learning rates", "opt_grid_lrs")
    grid["optimizer"] = w(c4.selectbox, "Optimizer", "opt_grid_opt")
    grid["num_epochs"] = w(c4.select_slider, "Epochs per model", "opt_grid_epochs")
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
