"""Stacked autoencoders: greedy layer-wise pretraining, a softmax on the frozen codes, fine-tuning, and
the same network trained from random weights, as the number of labelled digits changes."""

import streamlit as st

from annlab import ui
from annlab.stacked import charts
from annlab.stacked import defaults as d
from annlab.stacked import experiments as ex

ui.page(
    "Stacked autoencoders",
    "Train one autoencoder per layer on the codes of the layer below, **without labels**; then put a "
    "softmax on top and fine-tune the whole stack with the few labels you have.",
    look_for="Each layer's reconstruction loss falling on its own curve; first-layer filters that look like "
    "pieces of strokes; reconstructions that get blurrier the deeper the code they come from; the softmax on "
    "frozen codes already far above chance; fine-tuning adding more; and how the gap to the network trained "
    "from random weights changes from 50 labels to 3,600 (measured, with its noise, not assumed).",
)
lab = ui.current()

left, right = st.columns([2, 1], vertical_alignment="bottom")
with left:
    n_labels = int(ui.control(d.LABELS))
with right.popover("Stack and training", icon=":material/tune:", width="stretch"):
    st.caption("Changing the stack retrains it (layer by layer); the model store keeps every stage.")
    stack = d.Stack(**ui.controls(d.STACK_CONTROLS), n_labels=n_labels)
split, _ = d.data()
fv = d.fit_val()
if split.warning:
    st.warning(split.warning)

layer_specs = d.layer_specs(stack, lab.seed)
layers = [ui.train(spec, show_curves=False) for spec in layer_specs]
if any(r.diverged for r in layers):
    st.stop()
specs = d.classifier_specs(stack, lab.seed, layer_specs)
results = [ui.train(spec, show_curves=False) for _, spec in specs.items()]
comp = ui.call(ex.compare, *results)
chart_col, table_col = st.columns([3, 2])
with chart_col, ui.main_figure():
    ui.chart(charts.accuracy_bars, comp.table)
with table_col:
    st.markdown(comp.headline())
    shown = comp.table[["classifier", "accuracy", "se"]].rename(columns={"se": "standard error"})
    st.dataframe(shown.style.format(precision=3), hide_index=True, width="stretch")

st.markdown(
    f"**1. Pretraining** the stack **{stack.name}**: each layer an autoencoder on the codes of the layer "
    f"below, on all {len(fv.y_fit):,} fit images and no labels (the learning curves' validation loss is "
    f"on {len(fv.y_val):,} digits carved from the training split)"
    + (f" (denoising: {stack.corruption:.0%} of each input zeroed)." if stack.corruption else ".")
)
for col, spec, result in zip(st.columns(len(layer_specs)), layer_specs, layers, strict=True):
    with col:
        ui.learning_curves(result, spec)
st.markdown(
    f"**2. Three classifiers** on the same **{n_labels:,} labelled digits**, {stack.epochs} epochs each"
    + (f", every digit shifted at random by up to {stack.shift:g} pixels" if stack.shift else "")
    + (f", bent by elastic distortions of up to about {stack.warp:g} pixels" if stack.warp else "")
    + ": a softmax on the frozen top codes (*before* fine-tuning), the whole stack fine-tuned from there "
    "(*after*), and the same network from random weights (*no pretraining*). Their curves: accuracy on "
    f"the labelled digits and on the {len(fv.y_val):,} validation digits; the test digits above are "
    "scored once, after training."
)
for col, (_, spec), result in zip(st.columns(3), specs.items(), results, strict=True):
    with col:
        ui.learning_curves(result, spec)

sweep_tab, layer_tab, why_tab = st.tabs(d.TABS, on_change="rerun", key="sae_tab", bind="query-params")
if sweep_tab.open:
    with sweep_tab:
        st.markdown(
            f"The same stack, the same epochs, with {', '.join(f'{n:,}' for n in d.LABEL_COUNTS)} labelled "
            "digits: the pretraining is shared (it never sees a label), only the classifiers are retrained."
        )
        if d.sweep_stored(stack, lab.seed):
            sweep = ui.call(ex.label_sweep, stack, lab.seed, lab.device, progress="Loading the classifiers")
        else:
            note = f"{3 * len(d.LABEL_COUNTS)} classifiers, a few minutes on a laptop for a new stack"
            args = (ex.label_sweep, stack, lab.seed, lab.device)
            sweep = ui.on_demand(
                "Train the classifiers for every count", *args, key="sae_sweep", progress=True, note=note
            )
        if sweep is not None:
            c1, c2 = st.columns([3, 2])
            with c1:
                ui.chart(charts.accuracy_vs_labels, sweep.table)
            with c2:
                st.markdown(sweep.summary())
                wide = sweep.table.pivot(index="n_labels", columns="classifier", values="accuracy")
                st.dataframe(wide[list(d.KIND_NAMES.values())].style.format(precision=3), width="stretch")
                st.caption("Test accuracy on the same test digits (standard errors about 0.5 to 1.5 points).")

if layer_tab.open:
    with layer_tab:
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Layer 1 filters**: the weights of 100 units, one image each (gray = 0)")
            ui.image_grid(ui.call(ex.first_filters, layers[0]), ncols=10, normalise_each=True)
        with c2:
            rec = ui.call(ex.reconstructions, layers)
            st.markdown(
                "**Reconstructions through the stack**: top row test digits, then rebuilt from the codes of "
                "layer 1, 2, ... (encode up, decode back down)"
            )
            ui.image_grid(rec.grid, ncols=rec.n)
            base = ui.call(ex.layer_baselines, layers)
            st.caption(
                "Mean squared error per pixel on all test digits (scored once, after training), beside "
                "PCA of the pixels with as many components: "
                + ", ".join(f"from layer {k} ({u} units) {e:.4f} (PCA {p:.4f})" for k, u, e, p in base.stack)
            )
        st.markdown(
            "**Each layer against PCA of its own input**, with as many components as the layer has units "
            "(PCA fitted on the fit digits' input to that layer; errors on the test digits)"
        )
        st.dataframe(base.table.style.format(precision=4), hide_index=True, width="stretch")
        st.caption(base.sentence())

if why_tab.open:
    with why_tab:
        c1, c2 = st.columns(2)
        with c1:
            st.markdown(
                "**What layer-wise pretraining buys.** Bengio et al. (2007) trained deep networks one layer "
                "at a time, each as an autoencoder on the layer below, and found the fine-tuned stack "
                "generalised better than the same network from random weights; Vincent et al. (2010) made "
                "each layer *denoising* and got better features still. The pretraining uses only images, so "
                "it helps most when labels are few: the features are learnt from all the images, the labels "
                "only adjust them."
            )
            st.markdown(
                "**Why the gap narrows.** In 2007 deep sigmoid networks from random weights trained badly. "
                "ReLU units, initialisations scaled to the layer size (Glorot & Bengio 2010, He et al. 2015) "
                "and adaptive optimisers such as Adam now train the same network well from scratch, so with "
                "thousands of labels pretraining adds little. Whether it still helps with a few labels is a "
                "measurement, not a given:"
            )
            if d.subsets_stored(stack, lab.seed):
                gains = ui.call(
                    ex.subset_gains, stack, lab.seed, lab.device, progress="Loading the classifiers"
                )
            else:
                note = (
                    f"{3 * d.N_SUBSETS} classifiers with {n_labels:,} labels each; minutes for 3,600 labels"
                )
                args = (ex.subset_gains, stack, lab.seed, lab.device)
                label = f"Measure the gain on {d.N_SUBSETS} labelled subsets"
                gains = ui.on_demand(label, *args, key="sae_subsets", progress=True, note=note)
            if gains is not None:
                st.markdown(gains.summary())
                names = {"seed": "subset (seed)", "before": "before fine-tuning", "after": "after"}
                shown = gains.table.rename(columns={**names, "scratch": "no pretraining", "gain": "gain"})
                st.dataframe(shown.style.format(precision=3), hide_index=True, width="stretch")
        with c2:
            st.markdown(
                "**The report's numbers** (KU Leuven report, section 3.1 Q2: full MNIST, 60,000 labels):"
            )
            st.dataframe(ex.report_table().style.format(precision=3), hide_index=True, width="stretch")
            st.markdown(
                f"**Ours** ({stack.name}, {n_labels:,} labels of MNIST-5k, {comp.n_test:,} test digits): "
                f"before fine-tuning {comp.accuracy('frozen'):.3f}, after {comp.accuracy('finetune'):.3f}, "
                f"no pretraining {comp.accuracy('scratch'):.3f}. The report never gave the accuracy before "
                "fine-tuning nor a network without pretraining."
            )
