"""RBM inpainting: an RBM learns digits, dreams new ones and fills in erased pixels; a DBM beside it."""

import streamlit as st

from annlab import ui
from annlab.boltzmann import charts, rbm
from annlab.boltzmann import defaults as d
from annlab.boltzmann import experiments as ex

ui.page(
    "RBM inpainting",
    "Erase part of a digit, keep the rest **clamped**: an RBM Gibbs-samples only the missing pixels.",
    look_for="A restricted Boltzmann machine (RBM) learns which pixels of a digit go together. Look for: the "
    "erased strokes coming back after a few dozen Gibbs steps; the error on the missing pixels falling with "
    "more steps and rising with wider gaps; which band of a digit is hardest to fill in; filters that look "
    "like pieces of strokes or whole digit shapes; and dreamed digits from random noise that get sharper "
    "with more Gibbs steps (a deep Boltzmann machine beside it).",
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
        steps = int(ui.control(d.RECON_STEPS))
        region = ui.control(d.REGION)
        rows = ui.control(d.rows_control(side)) if region == "rows" else None
        fraction = ui.control(d.FRACTION) if region == "random" else d.FRACTION.default
        first = int(ui.control(d.first_control(side, len(split.X_test))))
        drawn = ui.draw_digit("rbm_canvas", side=side, page="RBM inpainting")
    missing = ex.erase_mask(side, region, rows=rows, fraction=fraction, seed=lab.seed)
    view = ui.call(ex.inpaint_view, result, dataset, lab.seed, missing, steps, first, drawn)
    with right:
        with ui.main_figure():
            ui.image_grid(view.grid, ncols=view.n, caption=ex.GRID_CAPTION)
        m1, m2, m3 = st.columns(3)
        m1.metric("Error on the gap", f"{view.error:.3f}", help=ex.ERROR_HELP)
        m2.metric("Classifier: erased", f"{view.acc_erased:.0%}", help=ex.CLASSIFIER_HELP)
        m3.metric("Classifier: filled", f"{view.acc_inpainted:.0%}", help=ex.CLASSIFIER_HELP)
        st.caption(f"Filled in after {steps} Gibbs steps. Left to right: " + ", ".join(view.names))
        if view.drawing_label is not None:
            st.caption(f"The classifier reads your inpainted drawing as a **{view.drawing_label}**.")


@st.fragment
def dreaming():
    steps = int(ui.control(d.DREAM_STEPS))
    out = ui.call(ex.dream, result, steps, lab.seed)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.markdown(
            f"**{d.N_DREAMS} chains** from random pixels after {steps} Gibbs steps (P(pixel on | hidden))"
        )
        ui.image_grid(out.p, ncols=10)
    with c2:
        st.markdown("**One chain**, every tenth of the way")
        ui.image_grid(out.trace, ncols=5)


@st.fragment
def dbm_dreams(dres):
    steps = int(ui.control(d.DREAM_STEPS))  # the Dreaming tab's key: one number of steps for both tabs
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**DBM samples** after {steps} Gibbs steps")
        ui.image_grid(ui.call(ex.dream, dres, steps, lab.seed).p, ncols=10)
    with c2:
        st.markdown(f"**RBM samples** after {steps} Gibbs steps (the same random starts)")
        ui.image_grid(ui.call(ex.dream, result, steps, lab.seed).p, ncols=10)


fill, sweep, filters, dream, deep = st.tabs(d.TABS, on_change="rerun", key="rbm_tab", bind="query-params")
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
        c1, c2 = st.columns(2)
        sweep_steps, with_dbm = int(ui.control(d.SWEEP_STEPS, c1)), ui.control(d.SWEEP_DBM, c2)
        dres = ui.train(d.dbm_spec(dataset, lab.seed)) if with_dbm else None
        args = (result, dres, dataset, lab.seed, sweep_steps, plan)
        note = "about a minute on a laptop for MNIST"
        res = ui.on_demand("Run the sweeps", ex.sweeps, *args, key="rbm_sweeps", progress=True, note=note)
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
        st.caption(
            "Pseudo-likelihood: scikit-learn's estimator (flip one random pixel per digit), per pixel; "
            "higher is better. Reconstruction error: digit to hidden probabilities and back."
        )

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
        f1, f2 = ex.dbm_filters(dres)
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**First-layer filters** (W1)")
            ui.image_grid(f1, ncols=10, normalise_each=True)
        with c2:
            st.markdown("**Second-layer filters** in pixel space (W2 W1)")
            ui.image_grid(f2, ncols=10, normalise_each=True)
        dbm_dreams(dres)
