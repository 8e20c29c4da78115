"""RBM inpainting: an RBM learns digits, dreams new ones and fills in erased pixels; a DBM beside it."""

import streamlit as st

from annlab import ui
from annlab.boltzmann import charts, rbm
from annlab.boltzmann import defaults as d
from annlab.boltzmann import experiments as ex

ui.page(
    "RBM inpainting",
    "A restricted Boltzmann machine (RBM) learns which pixels of a digit go together: erase part of a "
    "digit, keep the rest **clamped**, and let it Gibbs-sample only the missing pixels.",
    look_for="The erased strokes coming back after a few dozen Gibbs steps; the error on the missing "
    "pixels falling with more steps and rising with wider gaps; which band of a digit is hardest to fill "
    "in; filters that look like pieces of strokes or whole digit shapes; and dreamed digits from random "
    "noise that get sharper with more Gibbs steps (a deep Boltzmann machine beside it).",
)
lab = ui.current()


def controls(table: dict, base, n_cols: int) -> dict:
    """One URL-bound widget per config field of ``table`` (see defaults.py), in columns: the chosen values."""
    cols = st.columns(n_cols)
    return {
        field: ui.persisted(
            getattr(cols[i % n_cols], kind), label, key=key, default=getattr(base, field), **kw
        )
        for i, (field, (kind, label, key, kw)) in enumerate(table.items())
    }


settings, curves = st.columns(2)
with settings.expander("RBM settings (changing one retrains; the model store keeps every trained RBM)"):
    labels = list(d.DATASETS)
    dataset = d.DATASETS[
        ui.persisted(st.selectbox, "Digits", key="rbm_data", default=labels[0], options=labels)
    ]
    rbm_changes = controls(d.RBM_CONTROLS, d.RBM, 2)
split, _ = rbm.binary_digits(dataset, lab.seed)
side = split.side
if split.warning:
    st.warning(split.warning)
with curves:
    result = ui.train(d.rbm_spec(dataset, lab.seed, **rbm_changes))


def dream_steps() -> int:
    """The Gibbs steps of the dreamed digits (one key, shared by the Dreaming and DBM tabs)."""
    kw = dict(key="rbm_gibbs_steps", default=d.DREAM_STEPS, options=d.STEP_OPTIONS)
    return int(ui.persisted(st.select_slider, "Gibbs steps", **kw))


@st.fragment
def inpainting():
    left, right = st.columns([1, 2])
    with left:
        steps = ui.persisted(
            st.select_slider,
            "Gibbs steps",
            key="rbm_recon_steps",
            default=d.RECON_STEPS,
            options=d.STEP_OPTIONS,
            help="Gibbs steps with the known pixels clamped; the reconstruction is "
            "the mean of P(pixel on | hidden) over the second half of the steps.",
        )
        region = ui.persisted(
            st.selectbox,
            "What to erase",
            key="rbm_region",
            default=d.REGION,
            options=list(d.REGION_LABELS),
            format_func=d.REGION_LABELS.get,
        )
        rows, frac = None, d.FRACTION
        if region == "rows":
            rows = ui.persisted(
                st.slider,
                "Erased rows (start, end)",
                key=f"rbm_rows{side}",
                default=d.erased_rows(side),
                min_value=0,
                max_value=side - 1,
            )
        elif region == "random":
            frac = ui.persisted(
                st.slider,
                "Fraction of pixels erased",
                key="rbm_frac",
                default=d.FRACTION,
                min_value=0.1,
                max_value=0.9,
                step=0.1,
            )
        first = ui.persisted(
            st.number_input,
            "First test digit",
            key=f"rbm_first{side}",
            default=0,
            min_value=0,
            max_value=len(split.X_test) - d.N_SHOWN,
            step=d.N_SHOWN,
        )
        drawn = ui.draw_digit("rbm_canvas", side=side, page="RBM inpainting")
    missing = ex.erase_mask(side, region, rows=rows, fraction=frac, seed=lab.seed)
    view = ui.call(
        ex.inpaint_view,
        result,
        dataset=dataset,
        seed=lab.seed,
        missing=missing,
        steps=int(steps),
        first=int(first),
        drawn=drawn,
    )
    with right:
        with ui.main_figure():
            st.markdown(
                f"**Top to bottom:** the digits (binarised); erased (gray = missing); filled in after "
                f"**{steps}** Gibbs steps; error on the missing pixels (white = wrong)"
            )
            ui.image_grid(view.grid, ncols=view.n, caption="Left to right: " + ", ".join(view.names))
        m1, m2, m3 = st.columns(3)
        m1.metric(
            "Error on missing pixels",
            f"{view.error:.3f}",
            help="Mean squared error between the "
            "reconstructed probability and the true pixel, over the missing pixels of the test digits "
            "(0 = perfect; 0.25 = a coin flip).",
        )
        m2.metric(
            "Classifier right: erased",
            f"{view.acc_erased:.0%}",
            help="Logistic regression trained on clean training digits, on the erased digits.",
        )
        m3.metric("Classifier right: inpainted", f"{view.acc_inpainted:.0%}")
        if view.drawing_label is not None:
            st.caption(f"The classifier reads your inpainted drawing as a **{view.drawing_label}**.")


@st.fragment
def dreaming():
    steps = dream_steps()
    out = ui.call(ex.dream, result, steps, lab.seed)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.markdown(
            f"**{d.N_DREAMS} chains** from random pixels after {steps} Gibbs steps "
            "(showing P(pixel on | hidden))"
        )
        ui.image_grid(out.p, ncols=10)
    with c2:
        st.markdown("**One chain**, every tenth of the way")
        ui.image_grid(out.trace, ncols=5)


@st.fragment
def dbm_dreams(dres):
    steps = dream_steps()
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**DBM samples** after {steps} Gibbs steps")
        ui.image_grid(ui.call(ex.dream, dres, steps, lab.seed).p, ncols=10)
    with c2:
        st.markdown(f"**RBM samples** after {steps} Gibbs steps (the same random starts)")
        ui.image_grid(ui.call(ex.dream, result, steps, lab.seed).p, ncols=10)


TABS = [
    "Inpainting",
    "Inpainting sweeps",
    "Training and filters",
    "Dreaming (Gibbs sampling)",
    "Deep Boltzmann machine",
]
fill, sweep, filters, dream, deep = st.tabs(TABS, on_change="rerun", key="rbm_tab", bind="query-params")
if fill.open:
    with fill:
        inpainting()

if sweep.open:
    with sweep:
        plan = d.sweep_plan()
        st.markdown(
            f"Each sweep inpaints {plan.n_test} test digits and compares the RBM (and the DBM, if "
            "asked) with filling the gap by the mean training image. **Error** is the mean squared "
            "error on the missing pixels; **label accuracy** is how often a logistic regression "
            "trained on clean digits gives the inpainted digit its true label."
        )
        c1, c2 = st.columns(2)
        kw = dict(key="rbm_sweep_steps", default=d.RECON_STEPS, options=d.STEP_OPTIONS)
        sweep_steps = ui.persisted(c1.select_slider, "Gibbs steps for the row sweeps", **kw)
        with_dbm = ui.persisted(
            c2.toggle,
            "Compare with the DBM (the DBM tab's default settings)",
            key="rbm_sweep_dbm",
            default=False,
        )
        dres = ui.train(d.dbm_spec(dataset, lab.seed)) if with_dbm else None
        res = ui.on_demand(
            "Run the sweeps",
            ex.sweeps,
            result,
            dres,
            dataset=dataset,
            seed=lab.seed,
            steps=int(sweep_steps),
            plan=plan,
            key="rbm_sweeps",
            progress=True,
            note="about a minute on a laptop for MNIST",
        )
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
        if result.history:
            for col, chart in zip(st.columns(2), charts.rbm_curves(result.history), strict=True):
                with col:
                    ui.show_chart(chart)
            st.caption(
                "Pseudo-likelihood: scikit-learn's estimator (flip one random pixel per digit); higher "
                "is better. Reconstruction: digit to hidden probabilities and back."
            )
        shown = ex.rbm_filters(result)
        st.markdown(
            f"**Filters**: the weights of {len(shown)} hidden units, one image each (gray = 0, "
            "light = excitatory, dark = inhibitory)."
        )
        ui.image_grid(shown, ncols=20, width=1200, normalise_each=True)

if dream.open:
    with dream:
        dreaming()

if deep.open:
    with deep:
        st.markdown(
            "Two hidden layers: each pretrained greedily as an RBM, then trained jointly (mean-field "
            "inference for the data, persistent Gibbs chains for the model)."
        )
        dres = ui.train(d.dbm_spec(dataset, lab.seed, **controls(d.DBM_CONTROLS, d.DBM, 3)))
        f1, f2 = ex.dbm_filters(dres)
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**First-layer filters** (W1)")
            ui.image_grid(f1, ncols=10, normalise_each=True)
        with c2:
            st.markdown("**Second-layer filters** in pixel space (W2 W1)")
            ui.image_grid(f2, ncols=10, normalise_each=True)
        dbm_dreams(dres)
