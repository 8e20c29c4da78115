"""RBM inpainting: an RBM learns digits, dreams new ones and fills in erased pixels; a DBM beside it."""

import streamlit as st

from annlab import ui
from annlab.boltzmann import charts, rbm
from annlab.boltzmann import defaults as d
from annlab.boltzmann import experiments as ex

ui.page(
    "RBM inpainting",
    "Erase part of a digit, keep the rest **clamped**: an RBM Gibbs-samples only the missing pixels.",
    look_for=ex.LOOK_FOR,
)
lab = ui.current()


settings, curves = st.columns([1, 3])
with settings.expander("RBM settings"):
    st.caption("Changing one retrains; the model store keeps every trained RBM.")
    dataset = d.DATASETS[ui.control(d.DATA)]
    rbm_changes = ui.controls(d.RBM_CONTROLS, 1)
split, _ = rbm.binary_digits(dataset, lab.seed)
side = split.side
if split.warning:
    st.warning(split.warning)
with curves:
    result = ui.train(d.rbm_spec(dataset, lab.seed, **rbm_changes))


@st.fragment
def inpainting():
    left, right = st.columns([2, 3])  # the figure fits the first screen in projector mode too
    with left:
        steps, chains = int(ui.control(d.RECON_STEPS)), int(ui.control(d.CHAINS))
        region = ui.control(d.REGION)
        rows = ui.control(d.rows_control(side)) if region == "rows" else None
        fraction = ui.control(d.FRACTION) if region == "random" else d.FRACTION.default
        first = int(ui.control(d.first_control(side, len(split.X_test))))
        drawn = ui.draw_digit("rbm_canvas", side=side, page="RBM inpainting")
    missing = ex.erase_mask(side, region, rows=rows, fraction=fraction, seed=lab.seed)
    whole = drawn is None and chains == 1  # the test digits' one chain runs to the end at once
    positions = d.chain_positions(d.chain_length(steps, whole=whole))  # the slider picks a snapshot
    args = (result, dataset, lab.seed, missing, positions, first, drawn)
    chain = ui.call(ex.inpaint_chain, *args, n_chains=chains)
    view = ex.inpaint_at(chain, steps)
    with right:
        with ui.main_figure():
            ui.image_grid(view.grid, ncols=view.n, caption=ex.GRID_CAPTION)
        scored(missing, steps, chains)
        how = "one chain per digit" if chains == 1 else f"the mean of {chains} chains per digit"
        st.caption(f"Filled in after {steps} Gibbs steps, {how}. Left to right: " + ", ".join(view.names))
        st.caption(ex.SQUARED_ERROR_NOTE)
        if view.drawing_label is not None:
            st.caption(f"The classifier reads your inpainted drawing as a **{view.drawing_label}**.")


def scored(missing, steps: int, chains: int) -> None:
    """The four metrics over the first test digits (the figure's are examples), with their baselines."""
    length, by_itself = d.score_length(steps, chains)
    args = (result, dataset, lab.seed, missing, d.chain_positions(length), d.n_scored(), chains)
    if by_itself:
        sc = ui.call(ex.inpaint_scores, *args, progress=f"Scoring {d.n_scored()} test digits")
    else:
        note = f"{d.n_scored()} digits x {chains} chain(s) x {length} Gibbs steps: a minute or more"
        sc = ui.on_demand(
            f"Score {d.n_scored()} test digits",
            ex.inpaint_scores,
            *args,
            key="rbm_score",
            progress=True,
            note=note,
        )
    if sc is None or int(steps) not in sc.error:
        return
    m1, m2, m3, m4 = st.columns(4)
    acc = sc.acc_inpainted[int(steps)]
    m1.metric("Label right: RBM fill", f"{acc:.1%}", help=ex.CLASSIFIER_HELP)
    m2.metric("Label right: mean fill", f"{sc.acc_mean_fill:.1%}", help=ex.MEAN_FILL_HELP)
    m3.metric("Label right: erased", f"{sc.acc_erased:.1%}", help=ex.CLASSIFIER_HELP)
    gap = f"mean fill {sc.error_mean_fill:.3f}"
    m4.metric("Error on the gap", f"{sc.error[int(steps)]:.3f}", gap, delta_color="off", help=ex.ERROR_HELP)
    st.markdown(sc.summary(steps))


def dream_grid(res, steps: int, title: str, ncols: int = 10) -> ex.Dream:
    chain = ui.call(ex.dream_chain, res, d.chain_positions(d.chain_length(steps)), lab.seed)
    out = ex.dream_at(chain, steps)  # a snapshot of the chain: no sampling when the slider moves
    st.markdown(
        f"**{title}** after {steps} Gibbs steps: the digit judge recognises **{out.recognised:.0%}** "
        f"(real test digits: {out.real_recognised:.0%})"
    )
    ui.image_grid(out.p, ncols=ncols)
    return out


@st.fragment
def dreaming():
    steps = int(ui.control(d.DREAM_STEPS))
    c1, c2 = st.columns([3, 2])
    with c1:
        out = dream_grid(result, steps, f"{d.N_DREAMS} chains from random pixels (P(pixel on | hidden))")
    with c2:
        st.markdown("**One chain**, every tenth of the way")
        ui.image_grid(out.trace, ncols=5)
    st.caption(ex.JUDGE_NOTE)


@st.fragment
def dbm_dreams(dres):
    steps = int(ui.control(d.DREAM_STEPS))  # the Dreaming tab's key: one number of steps for both tabs
    c1, c2 = st.columns(2)
    with c1:
        dream_grid(dres, steps, "DBM samples")
    with c2:
        dream_grid(result, steps, "RBM samples (the same random starts)")
    st.caption(ex.JUDGE_NOTE)


tabs = st.tabs(d.TABS, on_change="rerun", key="rbm_tab", bind="query-params")
fill, sweep, filters, dream, deep, likelihood = tabs
if fill.open:
    with fill:
        inpainting()

if sweep.open:
    with sweep:
        plan = d.sweep_plan()
        st.markdown(
            f"Each sweep inpaints {plan.n_test} test digits with the RBM (and the DBM, if asked) and with "
            "the mean training image. **Error**: mean squared error on the missing pixels; **label "
            "accuracy**: how often a logistic regression trained on clean digits labels the inpainted digit "
            "right."
        )
        c1, c2, c3 = st.columns(3)
        sweep_steps, with_dbm = int(ui.control(d.SWEEP_STEPS, c1)), ui.control(d.SWEEP_DBM, c2)
        chains = int(ui.control(d.CHAINS, c3))
        dres = ui.train(d.dbm_spec(dataset, lab.seed)) if with_dbm else None
        args = (result, dres, dataset, lab.seed, sweep_steps, plan)
        note = "a minute or two on a laptop for MNIST, longer with more chains"
        opts = dict(key="rbm_sweeps", progress=True, note=note, n_chains=chains)
        res = ui.on_demand("Run the sweeps", ex.sweeps, *args, **opts)
        for error_chart, acc_chart in charts.sweep_charts(res) if res is not None else []:
            c1, c2 = st.columns(2)
            with c1:
                ui.show_chart(error_chart)
            with c2:
                ui.show_chart(acc_chart)
        if res is not None:
            st.caption(f"On the clean test digits the classifier is right {res.clean:.0%} of the time.")

if filters.open:
    with filters:
        shown = ex.rbm_filters(result)
        st.markdown(
            f"**Filters**: the weights of {len(shown)} hidden units, one image each (gray = 0, light = "
            "excitatory, dark = inhibitory). The learning curves are in the panel at the top right."
        )
        ui.image_grid(shown, ncols=20, width=1200, normalise_each=True)
        st.markdown("**Plain reconstructions** of test digits, v → h → v (top: digit, bottom: P(v | h))")
        ui.image_grid(ui.call(ex.reconstructions, result, dataset, lab.seed), ncols=d.N_RECON, width=700)
        st.caption(ex.CURVES_NOTE)

if dream.open:
    with dream:
        dreaming()

if deep.open:
    with deep:
        st.markdown(
            "Two hidden layers: each pretrained greedily as an RBM, then trained jointly (mean-field "
            "inference for the data, persistent Gibbs chains for the model)."
        )
        dres = ui.train(d.dbm_spec(dataset, lab.seed, **ui.controls(d.DBM_CONTROLS, 3)))
        ui.chart(charts.dbm_history_chart, dres.history)
        f1, f2 = ex.dbm_filters(dres)
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**First-layer filters** (W1)")
            ui.image_grid(f1, ncols=10, normalise_each=True)
        with c2:
            st.markdown("**Second-layer filters** in pixel space (W2 W1)")
            ui.image_grid(f2, ncols=10, normalise_each=True)
        dbm_dreams(dres)

if likelihood.open:
    with likelihood:
        st.markdown(ex.LIKELIHOOD_INTRO)
        small = ui.controls(d.SMALL_CONTROLS, 3)
        runs = {
            d.METHODS[m]: ui.train(d.small_rbm_spec(dataset, lab.seed, method=m, **small), show_curves=False)
            for m in d.METHODS
        }
        frame, baseline = ex.likelihood_frame(runs), ui.call(ex.independent_pixels, dataset, lab.seed)
        c1, c2 = st.columns(2)
        with c1:
            ui.chart(charts.likelihood_chart, frame, baseline=baseline)
        with c2:
            ui.chart(charts.gap_chart, frame)
        st.caption(ex.likelihood_caption(frame, baseline))
        st.caption(ex.LIKELIHOOD_NOTE)
