"""Optimizer comparison: a regression race, the loss-landscape playground and model selection."""

import streamlit as st

from annlab import ui
from annlab.optim import OPTIMIZERS
from annlab.optim import charts as oc
from annlab.optim import defaults as D
from annlab.optim import experiments as ex
from annlab.optim import landscape as ls
from annlab.optim import race as rc

ui.page(
    "Optimizer comparison",
    "Every optimizer starts from **the same initial weights** on **the same data**. A run whose loss blows "
    "up is stopped and the page says why.",
    look_for="Which optimizer gets low first *per epoch* and which *per second* (not the same thing); what "
    "noise in the data does to the validation loss; what momentum buys on a narrow valley; and why Adam "
    "gets over a bump where gradient descent stays stuck.",
)
lab = ui.current()
R, G, NAMES = D.RACE, D.GRID, list(OPTIMIZERS)
FULL_BATCH = [n for n in NAMES if n != "SGD (mini-batch)"]


def pick(box, label, key, default, options, **kw):
    """A select slider bound to the URL (``box``: st, a column or a popover)."""
    return ui.persisted(box.select_slider, label, key=key, default=default, options=options, **kw)


def slide(box, label, key, default, lo, hi, step, **kw):
    """A slider bound to the URL."""
    return ui.persisted(
        box.slider, label, key=key, default=default, min_value=lo, max_value=hi, step=step, **kw
    )


def table(t):
    formats = {c: st.column_config.NumberColumn(c, format=f) for c, f in t.formats.items()}
    st.dataframe(t.frame, hide_index=True, width="stretch", column_config=formats)


def metrics(row):
    for col, m in zip(st.columns(len(row.metrics)), row.metrics, strict=True):
        col.metric(m.label, m.value, help=m.help or None)
    st.caption(row.caption)


def data_settings(box_noise, box_task, box_number) -> dict:
    """The race's data (the grid's too): noise σ (the page's main control), task, student number."""
    noise = slide(box_noise, "Noise σ on the targets", "opt_noise", R.data.noise, 0.0, 1.0, 0.05)
    task = ui.persisted(
        box_task.selectbox, "Regression task", key="opt_task", default=R.data.task, options=rc.TASKS
    )
    number = ui.persisted(
        box_number.text_input,
        "Student number (personal regression)",
        key="opt_number",
        default=R.data.number,
        disabled=task == rc.TASKS[0],
        help="Its five largest digits weight five functions: T = Σ dᵢ Tᵢ / Σ dᵢ.",
    )
    return {"task": task, "noise": noise, "number": number}


@st.fragment
def race_section():
    left, right = st.columns([1, 3])
    more = left.popover("Student number, mini-batches, threshold", icon=":material/tune:", width="stretch")
    with left:
        race = data_settings(st, st, more)
        race["optimizers"] = ui.persisted(
            st.multiselect, "Optimizers", key="opt_optimizers", default=list(R.optimizers), options=NAMES
        )
        race["lr_scale"] = pick(
            st,
            "Learning-rate multiplier",
            "opt_lr_scale",
            R.lr_scale,
            [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
            help="Multiplies every optimizer's own learning rate (table below): push it up to see runs diverge.",
        )
        race["num_epochs"] = pick(st, "Epochs", "opt_epochs", R.num_epochs, [100, 300, 1000, 3000])
        race["layers"] = slide(st, "Hidden layers", "opt_layers", R.layers, 1, 4, 1)
        race["units"] = pick(st, "Units per layer", "opt_units", R.units, [5, 10, 20, 50, 100])
        acts = list(rc.ACTIVATIONS)
        race["activation"] = ui.persisted(
            st.selectbox, "Activation", key="opt_act", default=R.activation, options=acts
        )
    with more:
        race["batch_size"] = pick(
            st,
            "Mini-batch size",
            "opt_batch",
            R.batch_size,
            [1, 4, 8, 16, 32, 64, 128],
            help="Used by 'SGD (mini-batch)' (and by the others with the switch on).",
        )
        race["mini_batch_all"] = ui.persisted(
            st.toggle,
            "Mini-batches for all",
            key="opt_mb_all",
            default=R.mini_batch_all,
            help="Run momentum, Adam, ... on mini-batches too (GD and L-BFGS stay full-batch).",
        )
        thresholds = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
        race["threshold"] = pick(st, "Loss threshold (val MSE)", "opt_threshold", R.threshold, thresholds)
    try:
        cfg = D.race_config(**race)
    except ValueError as err:
        right.error(str(err))
        return
    data = ui.call(rc.make_data, cfg.data, lab.seed)
    with right:
        result = ui.call(ex.race, cfg, lab.seed, progress="Racing the optimizers")
        with ui.main_figure():
            for col, x in zip(st.columns(2), ("epoch", "seconds"), strict=True):
                with col:
                    ui.show_chart(oc.loss_curves(result.runs, x=x, height=260))
        for run in result.runs:
            if run.diverged:
                st.error(f"**{run.name}**: {run.diverged}")
        st.caption(
            "Solid: training loss; dashed: validation loss. Per epoch counts steps; per second counts work (a "
            "mini-batch epoch is many small steps, an L-BFGS epoch several function evaluations). Times are "
            "measured on this server and vary with its load. " + ex.data_caption(data, cfg.data.noise)
        )
    table(ex.race_table(result))
    names, best = ex.fit_choice(result)
    if names:
        st.markdown("#### The fit against the truth")
        two_d = data.X_grid.shape[1] == 2
        shown = (
            st.selectbox("Optimizer whose fit is shown", names, index=best, key="opt_fit_pick")
            if two_d
            else None
        )
        ui.show_chart(oc.race_fit(data, result.runs, shown))
    with st.expander("What each optimizer does, and its learning rate here"):
        st.dataframe(ex.optimizer_table(cfg), hide_index=True, width="stretch")


def landscape_section():
    c1, c2, c3 = st.columns(3)
    surface = ui.persisted(
        c1.selectbox, "Loss surface", key="opt_surface", default=D.SURFACE.name, options=ls.SURFACES
    )
    s = ls.SURFACES.index(surface)
    kappas = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    kappa = pick(c1, "Condition number κ = L/μ", "opt_kappa", int(D.SURFACE.kappa), kappas, disabled=s != 0)
    theta = slide(c1, "Bump height θ", "opt_theta", D.SURFACE.theta, 0.0, 2.0, 0.05, disabled=s != 3)
    names = ui.persisted(
        c2.multiselect,
        "Optimizers",
        key="opt_land_opts",
        default=list(D.LANDSCAPE_OPTIMIZERS),
        options=FULL_BATCH,
    )
    steps = pick(c2, "Steps", f"opt_steps{s}", D.STEPS[s], [10, 20, 50, 100, 200, 500, 1000])
    beta = slide(c2, "Momentum β (Momentum, Nesterov)", "opt_beta", D.BETA, 0.0, 0.99, 0.01)
    tuned = s == 0 and ui.persisted(
        c3.toggle,
        "Theory's learning rates for GD and momentum",
        key="opt_tuned",
        default=D.TUNED,
        help="GD: 2/(L+μ). Momentum: 2(1+β)/(L+μ).",
    )
    lrs = sorted(
        {1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, D.LR_GD[s]}
    )
    lr_gd = pick(
        c3, "Learning rate: GD, momentum, Nesterov", f"opt_lr_gd{s}", D.LR_GD[s], lrs, disabled=tuned
    )
    lr_ad = pick(
        c3,
        "Learning rate: Adagrad, RMSProp, Adam",
        f"opt_lr_ad{s}",
        D.LR_ADAPTIVE[s],
        [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0],
        help="For adaptive methods lr is roughly a step length in x, not a gradient multiplier. Adadelta and "
        "L-BFGS use lr = 1.",
    )
    noise = slide(
        c3,
        "Noise on the gradients (σ)",
        "opt_grad_noise",
        D.GRAD_NOISE,
        0.0,
        2.0,
        0.1,
        help="Real training is stochastic: add Gaussian noise to every gradient.",
    )
    surf = ls.Surface(surface, kappa=float(kappa), theta=float(theta))
    land = ui.call(
        ex.landscape,
        surf,
        tuple(names),
        int(steps),
        beta=float(beta),
        lr_gd=float(lr_gd),
        lr_adaptive=float(lr_ad),
        tuned=bool(tuned),
        noise=float(noise),
        seed=lab.seed,
    )
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
    data = data_settings(c1, c1, c1)
    grid = {
        "layers": ui.persisted(
            c2.multiselect, "Hidden layers", key="opt_grid_layers", default=G.layers, options=[1, 2, 3, 4]
        ),
        "units": ui.persisted(
            c2.multiselect, "Units", key="opt_grid_units", default=G.units, options=[5, 10, 20, 30, 50, 100]
        ),
        "activations": ui.persisted(
            c3.multiselect,
            "Activations",
            key="opt_grid_acts",
            default=G.activations,
            options=list(rc.ACTIVATIONS),
        ),
        "lrs": ui.persisted(
            c3.multiselect,
            "Learning rates",
            key="opt_grid_lrs",
            default=G.lrs,
            options=[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
        ),
        "optimizer": ui.persisted(
            c4.selectbox, "Optimizer", key="opt_grid_opt", default=G.optimizer, options=FULL_BATCH
        ),
        "num_epochs": pick(c4, "Epochs per model", "opt_grid_epochs", G.num_epochs, [100, 300, 1000]),
    }
    try:
        gcfg = D.grid_config(**data, **grid)
    except ValueError as err:
        st.error(str(err))
        return
    with c4:
        st.metric("Models in the grid", gcfg.size)
        result = ui.on_demand(
            "Run the grid", rc.model_selection, gcfg, seed=lab.seed, key="opt_grid", progress=True
        )
    if result is not None:
        b = result.best
        st.success(
            f"Chosen by validation: {b['layers']} hidden layer(s) × {b['units']} units, {b['activation']}, "
            f"lr {b['lr']:g} (val MSE {b['val MSE']:.4g}). **Test MSE of the chosen model: {result.test_mse:.4g}**."
        )
        ui.show_chart(oc.grid_heatmaps(result.rows))
        st.dataframe(ex.grid_table(result), hide_index=True, width="stretch")


tabs = st.tabs(
    ["Race", "Landscape", "Model selection"], on_change="rerun", key="opt_tab", bind="query-params"
)
for tab, section in zip(tabs, (race_section, landscape_section, selection_section), strict=True):
    if tab.open:
        with tab:
            section()
