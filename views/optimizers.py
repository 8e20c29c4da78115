"""Optimizer comparison: a regression race, the loss-landscape playground and model selection."""

import math
import threading

import numpy as np
import pandas as pd
import streamlit as st

from annlab import ui
from annlab.optim import DESCRIPTIONS, OPTIMIZERS
from annlab.optim import charts as oc
from annlab.optim import landscape as ls
from annlab.optim import race as rc
from annlab.settings import fast_mode, quick

lab = ui.page(
    "Optimizer comparison",
    "Every optimizer below starts from **the same initial weights** on **the same data**. Look for: "
    "which one gets low first *per epoch* and which *per second* (not the same thing); what noise in the "
    "data does to the validation loss; what momentum buys on a narrow valley; and why Adam gets over a "
    "bump where gradient descent stays stuck. A run whose loss blows up is stopped and the page says why.",
)

NAMES = list(OPTIMIZERS)
tab_race, tab_land, tab_sel = st.tabs(["Race", "Landscape", "Model selection"])


@st.cache_data(show_spinner=False, max_entries=64)
def cached_data(task_cfg, seed):
    return rc.make_data(task_cfg, seed)


@st.cache_resource(show_spinner=False)
def _race_memory():
    return {}, threading.Lock()


def cached_race(cfg, seed):
    """The race for these exact settings: run once per server (with a progress bar), then instant."""
    memory, lock = _race_memory()
    key = (cfg, seed)
    with lock:
        if key in memory:
            return memory[key]
    bar = st.progress(0.0, text="Racing the optimizers from the same initial weights ...")
    result = rc.race(
        cfg,
        seed=seed,
        callback=lambda done, info: bar.progress(
            min(1.0, info["fraction"]), text=f"Racing: {info['optimizer']} ..."
        ),
    )
    bar.empty()
    with lock:
        if len(memory) >= 64:
            memory.pop(next(iter(memory)))
        memory[key] = result
    return result


@st.cache_data(show_spinner=False, max_entries=64)
def cached_paths(surf, names, lrs, steps, beta, noise, seed):
    return [
        ls.run_path(surf, n, lr, steps, beta=beta, noise=noise, seed=seed)
        for n, lr in zip(names, lrs, strict=True)
    ]


@st.cache_data(show_spinner=False, max_entries=32)
def cached_grid(surf):
    return ls.grid_values(surf, 60 if surf.dim == 2 else 400)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_beta_scan(kappa, betas):
    return ls.beta_scan(kappa, betas)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_counts(kappa, lr_gd, lr_mom, beta):
    return (
        ls.measured_iterations(kappa, "GD (full batch)", lr_gd),
        ls.measured_iterations(kappa, "Momentum", lr_mom, beta),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def cached_polyak(kappa):
    lr_star, beta_star = ls.polyak(kappa)
    return (
        ls.measured_iterations(kappa, "Momentum", lr_star, beta_star),
        ls.measured_rate(kappa, "Momentum", lr_star, beta_star),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def cached_max_theta(name, lr, steps):
    return ls.max_theta_crossed(name, lr, steps)


def fmt(v, spec=".4f"):
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


# ------------------------------------------------------------------------------------------ Race
with tab_race:
    st.markdown("#### Data and network")
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        task = ui.persisted(
            st.selectbox, "Regression task", key="opt_task", default=rc.TASKS[0], options=list(rc.TASKS)
        )
        number = ui.persisted(
            st.text_input,
            "Student number (personal regression)",
            key="opt_number",
            default="0123456",
            disabled=task == rc.TASKS[0],
            help="The five largest digits weight five nonlinear functions: "
            "T = (d1 T1 + ... + d5 T5) / (d1 + ... + d5).",
        )
    with c2:
        noise = ui.persisted(
            st.slider,
            "Noise σ on the targets",
            key="opt_noise",
            default=0.1,
            min_value=0.0,
            max_value=1.0,
            step=0.05,
        )
    with c3:
        layers = ui.persisted(
            st.slider, "Hidden layers", key="opt_layers", default=2, min_value=1, max_value=4
        )
        units = ui.persisted(
            st.select_slider, "Units per layer", key="opt_units", default=50, options=[5, 10, 20, 50, 100]
        )
    with c4:
        activation = ui.persisted(
            st.selectbox, "Activation", key="opt_act", default="tanh", options=list(rc.ACTIVATIONS)
        )
        epochs = ui.persisted(
            st.select_slider, "Epochs", key="opt_epochs", default=1000, options=[100, 300, 1000, 3000]
        )

    st.markdown("#### Optimizers")
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    with c1:
        chosen = ui.persisted(
            st.multiselect,
            "Optimizers in the race",
            key="opt_optimizers",
            default=list(rc.RaceConfig().optimizers),
            options=NAMES,
        )
    with c2:
        lr_scale = ui.persisted(
            st.select_slider,
            "Learning-rate multiplier",
            key="opt_lr_scale",
            default=1.0,
            options=[0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
            help="Multiplies every optimizer's own learning rate (table below). "
            "Push it up to see runs diverge.",
        )
    with c3:
        batch = ui.persisted(
            st.select_slider,
            "Mini-batch size",
            key="opt_batch",
            default=32,
            options=[1, 4, 8, 16, 32, 64, 128],
            help="Used by 'SGD (mini-batch)' (and by the others with the switch on).",
        )
        mb_all = ui.persisted(
            st.toggle,
            "Mini-batches for all",
            key="opt_mb_all",
            default=False,
            help="Run momentum, Adam, ... on mini-batches too (GD and L-BFGS stay full-batch).",
        )
    with c4:
        threshold = ui.persisted(
            st.select_slider,
            "Loss threshold (val MSE)",
            key="opt_threshold",
            default=0.02,
            options=[0.005, 0.01, 0.02, 0.05, 0.1, 0.2],
        )

    try:
        task_cfg = rc.TaskConfig(task=task, noise=float(noise), number=str(number))
        cfg = quick(
            rc.RaceConfig(
                data=task_cfg,
                optimizers=tuple(chosen),
                lr_scale=float(lr_scale),
                layers=int(layers),
                units=int(units),
                activation=activation,
                num_epochs=int(epochs),
                batch_size=int(batch),
                mini_batch_all=bool(mb_all),
                threshold=float(threshold),
            ),
            num_epochs=min(int(epochs), 50),
        )
    except ValueError as err:
        st.error(str(err))
        st.stop()
    data = cached_data(task_cfg, lab.seed)
    snr = "∞ (no noise)" if not math.isfinite(data.snr_db) else f"{data.snr_db:.1f} dB"
    st.caption(
        f"Signal-to-noise ratio at σ = {noise:g}: **{snr}** (10·log₁₀ of signal variance over σ²). "
        f"{len(data.y_train)} training, {len(data.y_val)} validation, {len(data.y_test)} test points"
        + (f"; digits used: {', '.join(map(str, data.digits))}." if data.digits else ".")
    )

    result = cached_race(cfg, lab.seed)

    for run in result.runs:
        if run.diverged:
            st.error(f"**{run.name}**: {run.diverged}")

    c1, c2 = st.columns(2)
    with c1:
        ui.show_chart(oc.loss_curves(result.runs, x="epoch"))
    with c2:
        ui.show_chart(oc.loss_curves(result.runs, x="seconds"))
    st.caption(
        "Solid: training loss; dashed: validation loss. Per epoch counts steps; per second counts "
        "work (a mini-batch epoch is many small steps, an L-BFGS epoch several function evaluations). "
        "Times are measured on this server and vary with its load."
    )
    table = pd.DataFrame(result.table())
    for col in table.columns:
        if col.startswith("epochs to") or col.startswith("best epoch"):
            table[col] = table[col].astype("Int64")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(c, format="%.4g")
            for c in table.columns
            if "MSE" in c or c.startswith("s to") or c in ("total s", "lr")
        },
    )

    ok = [r for r in result.runs if not r.diverged]
    if ok:
        st.markdown("#### The fit against the truth")
        if data.X_grid.shape[1] == 1:
            ui.show_chart(
                oc.fit_1d(
                    data.X_grid[:, 0],
                    data.y_true,
                    {r.name: r.grid_pred for r in ok},
                    data.X_train[:, 0],
                    data.y_train,
                )
            )
        else:
            best = min(ok, key=lambda r: r.final_val).name
            pick = st.selectbox(
                "Optimizer whose fit is shown",
                [r.name for r in ok],
                index=[r.name for r in ok].index(best),
                key="opt_fit_pick",
            )
            run = next(r for r in ok if r.name == pick)
            ui.show_chart(oc.fit_2d(data.X_grid, data.y_true, run.grid_pred, pick))
    with st.expander("What each optimizer does, and its learning rate here"):
        st.dataframe(
            pd.DataFrame(
                [{"optimizer": n, "lr in this race": cfg.lr(n), "update": DESCRIPTIONS[n]} for n in NAMES]
            ),
            hide_index=True,
            width="stretch",
        )

# ------------------------------------------------------------------------------------- Landscape
with tab_land:
    c1, c2, c3 = st.columns([2, 2, 2])
    with c1:
        surface_name = ui.persisted(
            st.selectbox, "Loss surface", key="opt_surface", default=ls.SURFACES[0], options=list(ls.SURFACES)
        )
        skey = ls.SURFACES.index(surface_name)
        kappa = ui.persisted(
            st.select_slider,
            "Condition number κ = L/μ",
            key="opt_kappa",
            default=100,
            options=[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
            disabled=surface_name != ls.SURFACES[0],
        )
        theta = ui.persisted(
            st.slider,
            "Bump height θ",
            key="opt_theta",
            default=0.7,
            min_value=0.0,
            max_value=2.0,
            step=0.05,
            disabled=surface_name != ls.SURFACES[3],
        )
    with c2:
        land_opts = ui.persisted(
            st.multiselect,
            "Optimizers",
            key="opt_land_opts",
            default=["GD (full batch)", "Momentum", "Adam"],
            options=[n for n in NAMES if n != "SGD (mini-batch)"],
        )
        steps = ui.persisted(
            st.select_slider,
            "Steps",
            key=f"opt_steps{skey}",
            default={0: 200, 1: 500, 2: 200, 3: 20}[skey],
            options=[10, 20, 50, 100, 200, 500, 1000],
        )
        beta = ui.persisted(
            st.slider,
            "Momentum β (Momentum, Nesterov)",
            key="opt_beta",
            default=0.9,
            min_value=0.0,
            max_value=0.99,
            step=0.01,
        )
    with c3:
        tuned = False
        if skey == 0:
            tuned = ui.persisted(
                st.toggle,
                "Theory's learning rates for GD and momentum",
                key="opt_tuned",
                default=True,
                help="GD: 2/(L+μ). Momentum: 2(1+β)/(L+μ).",
            )
        gd_default = {0: 0.02, 1: 0.001, 2: 0.01, 3: 0.3}[skey]
        ad_default = {0: 0.05, 1: 0.1, 2: 0.1, 3: 0.3}[skey]
        lr_gd = ui.persisted(
            st.select_slider,
            "Learning rate: GD, momentum, Nesterov",
            key=f"opt_lr_gd{skey}",
            default=gd_default,
            disabled=tuned,
            options=sorted(
                {
                    1e-4,
                    3e-4,
                    5e-4,
                    1e-3,
                    2e-3,
                    5e-3,
                    0.01,
                    0.02,
                    0.03,
                    0.05,
                    0.1,
                    0.2,
                    0.3,
                    0.5,
                    1.0,
                    gd_default,
                }
            ),
        )
        lr_ad = ui.persisted(
            st.select_slider,
            "Learning rate: Adagrad, RMSProp, Adam",
            key=f"opt_lr_ad{skey}",
            default=ad_default,
            options=[0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0],
            help="For adaptive methods lr is roughly a step length in x, not a gradient "
            "multiplier. Adadelta and L-BFGS use lr = 1.",
        )
        grad_noise = ui.persisted(
            st.slider,
            "Noise on the gradients (σ)",
            key="opt_grad_noise",
            default=0.0,
            min_value=0.0,
            max_value=2.0,
            step=0.1,
            help="Real training is stochastic: add Gaussian noise to every gradient.",
        )

    surf = ls.Surface(surface_name, kappa=float(kappa), theta=float(theta))
    lr_gd_mom = ls.momentum_lr(surf.kappa, float(beta)) if tuned else float(lr_gd)
    if tuned:
        lr_gd = ls.optimal_gd_lr(surf.kappa)

    def lr_for(name):
        if name == "GD (full batch)":
            return float(lr_gd)
        if name in ls.MOMENTUM_NAMES:
            return lr_gd_mom
        if name in ("Adadelta", "L-BFGS"):
            return 1.0
        return float(lr_ad)

    names = tuple(land_opts)
    lrs = tuple(lr_for(n) for n in names)
    paths = cached_paths(surf, names, lrs, int(steps), float(beta), float(grad_noise), lab.seed)
    for p in paths:
        if p.diverged:
            st.error(p.diverged)
    xs, ys, Z = cached_grid(surf)
    if surf.dim == 2:
        ui.show_chart(
            oc.contour_paths(
                xs,
                ys,
                Z,
                paths,
                minimum=surf.minimum,
                title=f"{surface_name}: paths from the black square (× = minimum)",
            )
        )
    else:
        ui.show_chart(
            oc.bump_paths(xs, Z, paths, title=f"Bump of height θ = {theta:g}: {steps} steps from x₀ = 0")
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "optimizer": p.name,
                    "lr": lr,
                    "steps run": len(p.points) - 1,
                    "final loss": p.losses[-1],
                    "final position": ", ".join(f"{v:.4g}" for v in p.points[-1]),
                    "status": "diverged" if p.diverged else "ok",
                }
                for p, lr in zip(paths, lrs, strict=True)
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "lr": st.column_config.NumberColumn("lr", format="%.4g"),
            "final loss": st.column_config.NumberColumn("final loss", format="%.3e"),
        },
    )

    if skey == 0:
        st.markdown("#### What momentum buys on an ill-conditioned quadratic")
        lr_star, beta_star = ls.polyak(surf.kappa)
        gd_meas, mom_meas = cached_counts(
            surf.kappa, ls.optimal_gd_lr(surf.kappa), ls.momentum_lr(surf.kappa, beta), float(beta)
        )
        gd_theory = ls.iterations_from_rate(ls.gd_rate(surf.kappa, ls.optimal_gd_lr(surf.kappa)))
        mom_theory = ls.iterations_from_rate(
            ls.momentum_rate(surf.kappa, ls.momentum_lr(surf.kappa, beta), beta)
        )
        star_theory = ls.iterations_from_rate((math.sqrt(surf.kappa) - 1) / (math.sqrt(surf.kappa) + 1))
        star_meas, star_rate = cached_polyak(surf.kappa)
        star_from_rate = ls.iterations_from_rate(star_rate) if math.isfinite(star_rate) else None
        m1, m2, m3 = st.columns(3)
        m1.metric(
            "GD, lr = 2/(L+μ): iterations (measured)",
            fmt(gd_meas, "d"),
            help=f"Theory: ⌈ln 1e-6 / ln((κ−1)/(κ+1))⌉ = {fmt(gd_theory, '.0f')}",
        )
        m2.metric(
            f"Momentum β = {beta:g}: iterations (measured)",
            fmt(mom_meas, "d"),
            help=f"From the rate ρ: {fmt(mom_theory, '.0f')}",
        )
        m3.metric(
            f"Polyak's β* = {beta_star:.3f}: iterations from the measured rate",
            fmt(star_from_rate, ".0f"),
            help=f"Theory: ⌈ln 1e-6 / ln((√κ−1)/(√κ+1))⌉ = {fmt(star_theory, '.0f')}. Measured rate "
            f"ρ̂ = {star_rate:.4f} (from the tail of a 600-step run) against ρ = "
            f"{(math.sqrt(surf.kappa) - 1) / (math.sqrt(surf.kappa) + 1):.4f}. Counted from the start: "
            f"{fmt(star_meas, 'd')}.",
        )
        st.caption(
            f"Tolerance: the first k with ‖x_k − x*‖ ≤ 10⁻⁶·‖x₀ − x*‖ from x₀ = (−1, 1). Theory for GD: "
            f"{fmt(gd_theory, '.0f')}; for momentum at your β (lr = 2(1+β)/(L+μ)) the rate gives "
            f"{fmt(mom_theory, '.0f')}. At exactly Polyak's β* the two roots of the recurrence coincide, so "
            f"the error shrinks like k·ρᵏ, not ρᵏ: the measured rate gives {fmt(star_from_rate, '.0f')} "
            f"iterations (theory {fmt(star_theory, '.0f')}), but counted from the start it takes "
            f"{fmt(star_meas, 'd')}. A β a little above β* avoids the double root (see the scan)."
        )
        n_betas = 8 if fast_mode() else 40
        betas = tuple(
            sorted({round(float(b), 3) for b in np.linspace(0.0, 0.95, n_betas)} | {round(beta_star, 4)})
        )
        scan = cached_beta_scan(surf.kappa, betas)
        ui.show_chart(oc.beta_scan_chart(scan, beta_star=beta_star, beta_now=float(beta)))
        best = min((m, b) for m, b in zip(scan["measured"], scan["beta"], strict=True) if m is not None)
        st.caption(
            f"Best measured in the scan: {best[0]} iterations at β = {best[1]:g} "
            f"(gradient descent: {fmt(gd_meas, 'd')})."
        )
    if skey == 3:
        st.markdown("#### How high a bump can each optimizer cross?")
        m1, m2 = st.columns(2)
        adam_max = cached_max_theta("Adam", float(lr_ad), int(steps))
        gd_max = cached_max_theta("GD (full batch)", float(lr_gd), int(steps))
        m1.metric(f"Adam (lr {lr_ad:g}, {steps} steps): largest θ crossed", f"{adam_max:.2f}")
        m2.metric(f"GD (lr {lr_gd:g}, {steps} steps): largest θ crossed", f"{gd_max:.2f}")
        st.caption(
            "Crossed: after the steps, x lies beyond the top of the bump (θ on a 0.01 grid, every lower "
            "bump crossed too). Below θ ≈ 0.49 there is no local minimum at all. Gradient descent's step "
            "is lr·f′(x): it shrinks to nothing in the dip before the bump. Adam's step is about lr "
            "whatever the slope, and its momentum carries it over."
        )

# ------------------------------------------------------------------------------- Model selection
with tab_sel:
    st.markdown(
        "Every combination is trained on the race's data (tab *Race*) from seeded initial weights; "
        "the model with the lowest **validation** MSE is chosen, and only then is the test set used."
    )
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        g_layers = ui.persisted(
            st.multiselect, "Hidden layers", key="opt_grid_layers", default=[1, 2, 3], options=[1, 2, 3, 4]
        )
        g_units = ui.persisted(
            st.multiselect,
            "Units",
            key="opt_grid_units",
            default=[10, 30, 50],
            options=[5, 10, 20, 30, 50, 100],
        )
    with c2:
        g_acts = ui.persisted(
            st.multiselect,
            "Activations",
            key="opt_grid_acts",
            default=["tanh", "relu"],
            options=list(rc.ACTIVATIONS),
        )
        g_lrs = ui.persisted(
            st.multiselect,
            "Learning rates",
            key="opt_grid_lrs",
            default=[0.001, 0.005, 0.02],
            options=[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
        )
    with c3:
        g_opt = ui.persisted(
            st.selectbox,
            "Optimizer",
            key="opt_grid_opt",
            default="Adam",
            options=[n for n in NAMES if n != "SGD (mini-batch)"],
        )
        g_epochs = ui.persisted(
            st.select_slider, "Epochs per model", key="opt_grid_epochs", default=300, options=[100, 300, 1000]
        )
    try:
        gcfg = quick(
            rc.GridConfig(
                data=task_cfg,
                layers=tuple(sorted(g_layers)),
                units=tuple(sorted(g_units)),
                activations=tuple(g_acts),
                lrs=tuple(sorted(g_lrs)),
                optimizer=g_opt,
                num_epochs=int(g_epochs),
            ),
            num_epochs=20,
        )
    except ValueError as err:
        st.error(str(err))
        st.stop()
    with c4:
        st.metric("Models in the grid", gcfg.size)
        go = st.button("Run the grid", type="primary", key="opt_grid_go")
    store = st.session_state.setdefault("opt_grid_results", {})
    key = (gcfg, lab.seed)
    if go and key not in store:
        bar = st.progress(0.0, text="Training the grid ...")
        try:
            store[key] = rc.model_selection(
                gcfg,
                data,
                seed=lab.seed,
                callback=lambda i, m: bar.progress(m["fraction"], text=f"model {i} / {gcfg.size}"),
            )
        except ValueError as err:
            st.error(str(err))
        bar.empty()
    grid = store.get(key)
    if grid is None:
        st.info("Press **Run the grid** to train every combination (results are kept while you stay).")
    else:
        b = grid.best
        st.success(
            f"Chosen by validation: {b['layers']} hidden layer(s) × {b['units']} units, {b['activation']}, "
            f"lr {b['lr']:g} (val MSE {b['val MSE']:.4g}). **Test MSE of the chosen model: "
            f"{grid.test_mse:.4g}**."
        )
        ui.show_chart(oc.grid_heatmaps(grid.rows))
        st.dataframe(pd.DataFrame(grid.rows).sort_values("val MSE"), hide_index=True, width="stretch")
