"""WikiArt styles: a CNN classifies art styles, meets class imbalance, and an autoencoder clusters art."""

import pandas as pd
import streamlit as st

from annlab import ui
from annlab.wikiart import charts, defaults, experiments
from annlab.wikiart.data import MAX_UPLOAD_MB as MAX_MB
from annlab.wikiart.data import UPLOAD_TYPES, wikiart_dir

SYNTHETIC = (
    "No usable WikiArt folder (`ANNLAB_WIKIART_DIR`): these are **built-in synthetic paintings**, ten styles "
    "as imbalanced as the ratio below. Four pairs are alike on purpose and blended with each other "
    "(impressionist strokes and pointillist dots, colour fields and minimalist canvases, cubist facets and "
    "Mondrian grids, op-art stripes and action-painting drips): each of the three rarest styles has a large "
    "look-alike. The test split is stratified (the training split's style mix) and, since painted pictures "
    "are free, 4 times as large as the training split, so even the rarest style has 64 test pictures. How "
    "hard the set is was fixed by a rule written down before any result (see `annlab/wikiart/synthetic.py`)."
)
CLUSTERING = (
    "An autoencoder squeezes each picture into a **32-number code**, never seeing a style name. ARI / NMI: "
    "do k-means clusters of the test codes match the styles? (0: chance, 1: exactly)"
)
SIL_TIP = "From -1 to 1: how much closer a code is to its own cluster than to the next one."
PCT = {
    c: st.column_config.NumberColumn(c, format="percent")
    for c in ("accuracy", "balanced accuracy", "± accuracy", "± balanced accuracy")
}

ui.page(
    "WikiArt styles",
    "A small CNN learns art styles from pictures where some styles are **25 times rarer** than others.",
    look_for="The test split has the training split's style mix, so **accuracy** counts the large "
    "styles as often as they occur and **balanced accuracy** counts every style the same: compare the "
    "two, the **recall of the 3 rarest styles**, and the *always the largest style* baseline. The "
    "**prior correction α** (no retraining) is chosen on validation pictures; the slider explores "
    "other values on the test split. Try the remedies: does the rare styles' recall rise, and what "
    "does it cost the large styles? The remedy table trains each remedy with several seeds and gives "
    "its effect on the rare styles with a 95 % interval. Does an autoencoder that never sees a label "
    "group a style's pictures better than k-means on the pixels?",
)
lab, folder = ui.current(), str(wikiart_dir() or "")


c_data, c_net, c_fix, c_info = st.columns([1, 1.3, 1.4, 3.3], vertical_alignment="center")
with c_data.popover("Data", icon=":material/photo_library:", width="stretch"):
    side = ui.control(defaults.side_control(bool(folder)))
    per_style = ui.control(defaults.PER_STYLE_CONTROL) if folder else defaults.PER_STYLE
art = ui.call(experiments.load_pictures, side, per_style, folder, progress="Loading pictures")
imb, classes = experiments.imbalance(art), list(art.classes)
with c_net.popover("Network", icon=":material/tune:", width="stretch"):
    st.caption("3x3 convolutions, batch norm and ReLU (each optional), 2x2 max pooling; a linear layer.")
    net = ui.controls(defaults.network_controls())
    net["momentum"] = ui.control(defaults.MOMENTUM, disabled=net["optimizer"] != "sgd")
    net["early_stop"] = ui.control(defaults.EARLY_STOP_CONTROL, disabled=net["patience"] == 0)
with c_fix.popover("Remedies", icon=":material/balance:", width="stretch"):
    fix = ui.controls(defaults.REMEDY_CONTROLS)
    fix |= {f: ui.control(c, disabled=not fix["focal"]) for f, c in defaults.FOCAL_CONTROLS.items()}
cfg = defaults.cnn(art, **net, **fix)
c_info.caption(f"{art.source}: {len(art.y_train)} training, {len(art.y_test)} test pictures.")
if art.warning:
    st.warning(art.warning)
tabs = st.tabs(defaults.TABS, on_change="rerun", key="art_tab", bind="query-params")
t_cnn, t_data, t_runs, t_up, t_clu = tabs


@st.fragment
def classifier(result, probs, choice):
    left, right = st.columns([2, 3])
    plain = ui.call(experiments.prior_corrected, probs, art.y_test, art.y_train, 0.0)
    with left:
        m1, m2, m3, m4 = (*st.columns(2), *st.columns(2))  # two rows of two
        vs = dict(delta_description="vs baseline")
        m1.metric("Test accuracy", f"{plain.acc:.1%}", f"{plain.acc - plain.majority_baseline:+.1%}", **vs)
        bal_delta = f"{plain.balanced_acc - plain.majority_balanced:+.1%}"
        m2.metric("Balanced accuracy", f"{plain.balanced_acc:.1%}", bal_delta, **vs)
        m3.metric("Recall of the 3 rarest styles", f"{plain.minority_recall:.1%}", help=experiments.RARE_TIP)
        tip = f"Always {imb.largest}, the largest style (balanced accuracy {plain.majority_balanced:.0%})."
        m4.metric("Baseline", f"{plain.majority_baseline:.1%}", help=tip)
        st.caption(
            experiments.scores_sentence(plain, cfg.remedy, result.extra.get("best_epoch"), result.history)
        )
        st.markdown(experiments.prior_sentence(choice, plain))
        alpha = ui.control(defaults.PRIOR)
        s = ui.call(experiments.prior_corrected, probs, art.y_test, art.y_train, alpha)
        st.caption(experiments.explore_sentence(s, alpha))
    runs = {"plain network": plain, f"α = {choice.alpha:.2f} (chosen on validation)": choice.test}
    if alpha not in (0.0, choice.alpha):
        runs[f"α = {alpha:.2f} (exploring the test)"] = s
    recalls = {name: sc.recall for name, sc in runs.items()}
    cis = {name: [sc.recall_ci(i) for i in range(len(classes))] for name, sc in runs.items()}
    with right, ui.main_figure():
        ui.chart(charts.recall_by_style, recalls, classes, imb.train_counts, intervals=cis, horizontal=True)
    ui.chart(charts.confusion, s.confusion, classes)


if t_cnn.open:
    with t_cnn:
        spec = defaults.cnn_spec(art, cfg, lab.seed)
        result = ui.train(spec, show_curves=False)
        if not len(art.y_test):
            st.warning("There are no test pictures, so nothing can be measured.")
        else:
            probs = ui.call(experiments.cnn_test_probabilities, result, art.X_test)
            val = ui.call(experiments.validation_probabilities, result, art.X_train, art.y_train, lab.seed)
            choice = ui.call(experiments.choose_alpha, *val, probs, art.y_test, art.y_train)
            classifier(result, probs, choice)
        ui.learning_curves(result, spec)

if t_data.open:
    with t_data:
        if art.synthetic:
            st.info(SYNTHETIC)
        c1, c2 = st.columns([3, 2])
        with c1:
            ui.show_chart(charts.class_distribution(classes, imb.train_counts, imb.test_counts))
        c2.metric("Largest : smallest style (training pictures)", f"{imb.ratio:.0f} : 1")
        c2.metric("Training / test pictures", f"{len(art.y_train)} / {len(art.y_test)}")
        if art.skipped:
            with c2.expander(f"{len(art.skipped)} file(s) skipped"):
                st.dataframe(pd.DataFrame(art.skipped, columns=["file", "why"]), hide_index=True)
        st.subheader("A few pictures of every style")
        cols = st.columns(2)
        for i, images in enumerate(experiments.style_samples(art)):
            with cols[i % 2]:
                caption = f"{classes[i]} ({imb.train_counts[i]} training pictures)"
                ui.image_grid(images, 8, caption=caption, width=420, pad=2, pad_value=1.0)

if t_runs.open:
    with t_runs:
        n_seeds = ui.control(defaults.SEEDS, st.columns([1, 2])[0])
        st.caption(
            f"The network of the settings above, without remedies and with each, trained with {n_seeds} "
            "seed(s) and scored on the test split: the mean, and ± its standard deviation over the seeds. "
            "A difference smaller than the spread may be luck."
        )
        args = (defaults.remedy_specs(art, cfg, lab.seed, n_seeds), lab.device, imb.smallest)
        opts = dict(key="art_runs", progress=True, note="about half a minute per run on a laptop at first")
        runs = ui.on_demand("Compare the remedies", experiments.compare_remedies, *args, **opts)
        if runs is not None:
            st.dataframe(runs.table, hide_index=True, column_config=PCT)
            effects = experiments.remedy_effects(runs)
            if len(effects):
                st.markdown(experiments.effects_sentence(effects, runs))
                ui.show_chart(charts.remedy_effects(effects))
            ui.show_chart(charts.remedy_errorbars(runs.table))
            ui.show_chart(
                charts.recall_by_style(runs.recalls, classes, imb.train_counts, intervals=runs.recall_ci)
            )

if t_up.open:
    with t_up:
        result = ui.train(defaults.cnn_spec(art, cfg, lab.seed))
        st.markdown(f"Which style does the network see in your picture? (at most {MAX_MB} MB)")
        u1, u2 = st.columns([2, 1])
        up = u1.file_uploader("Upload a picture", type=UPLOAD_TYPES, key="art_upload", max_upload_size=MAX_MB)
        idx = ui.control(defaults.pick_control(len(art.y_test)), u2) if up is None else 0
        pic = experiments.pick_picture(art, up.getvalue() if up else None, up.name if up else "", idx)
        if pic.error:
            st.error(pic.error)
        if pic.image is not None:
            p1, p2 = st.columns([1, 2])
            with p1:
                ui.show_image(pic.image / 255, pic.caption, width=200)
            with p2:
                probs = ui.call(experiments.style_probabilities, result, pic.image)
                ui.show_chart(charts.top_k(probs, classes))

if t_clu.open:
    with t_clu:
        st.markdown(CLUSTERING)
        with st.columns([1, 2])[0]:
            ae_cfg = defaults.ae(art, **ui.controls(defaults.ae_controls()))
        ae = ui.train(defaults.ae_spec(art, ae_cfg, lab.seed))
        if ae.history:
            sil = ae.extra.get("silhouette")
            k1, k2, k3 = st.columns(3)
            k1.metric("ARI (last epoch)", f"{ae.history[-1]['ari']:.3f}")
            k2.metric("NMI (last epoch)", f"{ae.history[-1]['nmi']:.3f}")
            k3.metric("Silhouette of the clusters", "-" if sil is None else f"{sil:.3f}", help=SIL_TIP)
            base = ui.call(
                experiments.clustering_baselines, art.X_train, art.X_test, art.y_test, art.n_classes
            )
            st.dataframe(experiments.clustering_table(ae.history[-1], base), hide_index=True)
            ui.show_chart(charts.clustering_scores(ae.history))
        if ae.history and len(art.y_test) >= 5:
            args = (ae, art.X_test, art.n_classes, lab.seed, defaults.tsne_iterations())
            m = ui.call(experiments.code_map, *args, progress="Running t-SNE on the codes")
            maps = charts.code_maps(m.xy, art.y_test[m.index], m.clusters, classes)
            for col, chart in zip(st.columns(2), maps, strict=True):
                with col:
                    ui.show_chart(chart)
