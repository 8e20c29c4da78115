"""WikiArt styles: a CNN classifies art styles, meets class imbalance, and an autoencoder clusters art."""

import dataclasses

import numpy as np
import pandas as pd
import streamlit as st
from sklearn.manifold import TSNE

from annlab import ui
from annlab.charts import lines, scatter
from annlab.images import tile
from annlab.settings import fast_mode
from annlab.wikiart import charts as art_charts
from annlab.wikiart.data import (
    DEFAULT_MAX_PER_CLASS,
    MAX_UPLOAD_BYTES,
    UPLOAD_TYPES,
    ImageError,
    load_art,
    read_upload,
    wikiart_dir,
)
from annlab.wikiart.models import OPTIMIZERS
from annlab.wikiart.train import (
    REMEDIES,
    build_ae,
    build_cnn,
    cluster,
    default_ae,
    default_cnn,
    encode,
    predict_proba,
    train_ae,
    train_cnn,
    with_remedy,
)

lab = ui.page(
    "WikiArt styles",
    "A small convolutional network learns to tell art styles apart, from pictures where some styles are "
    "**25 times rarer** than others. Look for: a high accuracy that hides a rare style the network never "
    "predicts (compare accuracy with **balanced accuracy**, and both with the *always answer the largest "
    "style* baseline); which remedy (augmenting the rare styles, weighting the loss, oversampling, focal "
    "loss) brings the rare styles' recall up, and what it costs the large ones; and whether an "
    "autoencoder that never sees a label puts pictures of one style together.",
    icon="🎨",
)

# ----------------------------------------------------------------------------------------------- data
real = wikiart_dir() is not None
d1, d2, _ = st.columns(3)
with d1:
    side = ui.persisted(st.selectbox, "Image side (pixels)", key="art_side", default=32,
                        options=[32, 64, 128] if real else [32, 48],
                        help="Every picture is centre-cropped to a square and resized to this side. Larger "
                             "sides show more brushwork but train more slowly.")
per_style = DEFAULT_MAX_PER_CLASS
if real:
    with d2:
        per_style = ui.persisted(st.selectbox, "Pictures per style (at most)", key="art_per_style",
                                 default=DEFAULT_MAX_PER_CLASS, options=[100, 300, 1000, 3000, 0],
                                 format_func=lambda v: "all" if v == 0 else str(v),
                                 help="A seeded random choice per style; fewer pictures load and train "
                                      "faster.")


@st.cache_resource(show_spinner="Loading pictures (the first time this can take minutes) ...", max_entries=4)
def get_art(side: int, folder: str, per_style: int):
    return load_art(side, max_per_class=per_style or None)


art = get_art(side, str(wikiart_dir()), per_style)
if art.synthetic:
    why = ("The WikiArt folder on this server cannot be used (see below)" if real else
           "No WikiArt folder is configured on this server (`ANNLAB_WIKIART_DIR`)")
    st.info(f"{why}, so this page uses **built-in synthetic paintings**: ten styles painted by a "
            "program, not real art. They are as imbalanced as WikiArt, and some pairs look alike on "
            "purpose (dots and strokes, colour fields and minimalist canvases).")
else:
    st.caption(f"Data: {art.source}, {len(art.y_train)} training and {len(art.y_test)} test pictures.")
if art.warning:
    st.warning(art.warning)
classes = list(art.classes)
train_counts, test_counts = art.counts("train"), art.counts("test")
smallest3 = np.argsort(train_counts, kind="stable")[:3]


def train_model(cfg, label="the style CNN"):
    return ui.train(cfg, train_cnn, build_cnn, lambda: art, data_key=art.key, device=lab.device,
                    seed=lab.seed, label=label, num_epochs=cfg.num_epochs,
                    curves=("loss", "val_loss", "val_bal_acc"))


tab_data, tab_cnn, tab_runs, tab_up, tab_clu = st.tabs(
    ["Data", "Classifier", "Imbalance remedies", "Your picture", "Clustering"])

with tab_data:
    c1, c2 = st.columns([3, 2])
    with c1:
        ui.show_chart(art_charts.class_distribution(classes, train_counts, test_counts))
    with c2:
        st.metric("Largest : smallest style (training pictures)",
                  f"{train_counts.max() / max(train_counts.min(), 1):.0f} : 1")
        st.metric("Training / test pictures", f"{len(art.y_train)} / {len(art.y_test)}")
        if art.synthetic:
            st.caption("The test split keeps at least 30 pictures per style, so a rare style's recall is "
                       "measured on more than a handful of pictures; the training split keeps the imbalance.")
        if art.skipped:
            with st.expander(f"{len(art.skipped)} file(s) skipped"):
                st.dataframe(pd.DataFrame(art.skipped, columns=["file", "why"]), hide_index=True)

    @st.cache_data(show_spinner=False, max_entries=8)
    def gallery(key: str, label: int, n: int = 8):
        imgs = art.X_train[art.y_train == label][:n].astype(np.float32) / 255
        return tile(imgs, n, pad=2, pad_value=1.0)

    st.subheader("A few pictures of every style")
    cols = st.columns(2)
    for i, name in enumerate(classes):
        with cols[i % 2]:
            ui.show_image(gallery(art.key, i), f"{name} ({train_counts[i]} training pictures)",
                          scale=max(1, 96 // art.side))

# ----------------------------------------------------------------------------------------------- classifier
with tab_cnn:
    st.markdown("**Training** (the network: 3 blocks of 3x3 convolution, optional batch norm, ReLU and 2x2 "
                "max pooling, then global average pooling and a linear layer)")
    c1, c2, c3 = st.columns(3)
    with c1:
        opt = ui.persisted(st.selectbox, "Optimizer", key="art_opt", default="adam", options=list(OPTIMIZERS))
        bn = ui.persisted(st.toggle, "Batch norm", key="art_bn", default=True)
    with c2:
        lr = ui.persisted(st.select_slider, "Learning rate", key="art_lr", default=0.003,
                          options=[0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0])
        l2 = ui.persisted(st.select_slider, "L2 penalty (weight decay)", key="art_l2", default=0.0001,
                          options=[0.0, 0.00001, 0.0001, 0.001, 0.01])
    with c3:
        epochs = ui.persisted(st.slider, "Max epochs", key="art_epochs", default=default_cnn(art).num_epochs,
                              min_value=2, max_value=60)
        patience = ui.persisted(st.slider, "Early-stopping patience (epochs, 0 = off)", key="art_patience",
                                default=6, min_value=0, max_value=20,
                                help="Stop when the balanced accuracy on a validation part of the training "
                                     "pictures has not improved for this many epochs; keep the best epoch.")
    st.markdown("**Remedies against imbalance** (combine them freely)")
    r1, r2, r3, r4 = st.columns(4)
    with r1:
        augment = ui.persisted(st.toggle, "Augment rare styles", key="art_augment", default=False,
                               help="Flip, rotate and crop pictures of the styles smaller than the median, "
                                    "and top each of them up to the median size with such variants.")
    with r2:
        weighted = ui.persisted(st.toggle, "Class-weighted loss", key="art_weights", default=False,
                                help="Weight each style by n / (styles x its count), scikit-learn's "
                                     "'balanced': a mistake on a rare style costs more.")
    with r3:
        oversample = ui.persisted(st.toggle, "Oversample", key="art_oversample", default=False,
                                  help="Draw batches with a weighted random sampler: every style equally "
                                       "likely, rare pictures seen many times per epoch.")
    with r4:
        focal = ui.persisted(st.toggle, "Focal loss", key="art_focal", default=False,
                             help="-alpha (1 - p)^gamma log p: pictures already classified with confidence "
                                  "count less, the hard ones more.")
        gamma = ui.persisted(st.slider, "Focal gamma", key="art_gamma", default=2.0, min_value=0.0,
                             max_value=5.0, step=0.5, disabled=not focal)
        alpha = ui.persisted(st.slider, "Focal alpha", key="art_alpha", default=1.0, min_value=0.25,
                             max_value=2.0, step=0.25, disabled=not focal,
                             help="Scales the loss; with the class-weighted loss on, alpha is multiplied "
                                  "by each style's weight (per-class alpha, as in the paper).")

    base = dataclasses.replace(default_cnn(art), optimizer=opt, batch_norm=bn, lr=lr, weight_decay=l2,
                               patience=patience, focal_gamma=gamma, focal_alpha=alpha, num_epochs=epochs)
    cfg = dataclasses.replace(base, augment=augment, class_weights=weighted, oversample=oversample,
                              focal=focal)
    result = train_model(cfg)
    if result.diverged:
        st.error(result.diverged)
    test = result.extra.get("test")
    if test is None:
        st.warning("There are no test pictures, so nothing can be measured.")
    else:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Test accuracy", f"{test['acc']:.1%}",
                  f"{test['acc'] - test['majority_baseline']:+.1%} vs baseline")
        m2.metric("Balanced accuracy", f"{test['balanced_acc']:.1%}",
                  f"{test['balanced_acc'] - test['majority_balanced']:+.1%} vs baseline",
                  help="The mean of the recalls of the styles: every style counts the same.")
        m3.metric("Macro-F1", f"{test['macro_f1']:.3f}")
        m4.metric("Largest-style baseline", f"{test['majority_baseline']:.1%}",
                  help=f"Accuracy of always answering '{classes[int(np.argmax(train_counts))]}', the "
                       f"largest style; its balanced accuracy is {test['majority_balanced']:.1%}.")
        st.caption(f"Remedies: **{cfg.remedy}**. Kept epoch {result.extra.get('best_epoch')} of "
                   f"{len(result.history)} (best validation balanced accuracy). Mean recall of the three "
                   f"smallest styles: {np.mean([test['recall'][i] for i in smallest3]):.1%}.")
        g1, g2 = st.columns(2)
        with g1:
            df = art_charts.history_long(result.history, {"loss": "training loss",
                                                          "val_loss": "validation loss"})
            ui.show_chart(lines(df, x="epoch", y="value", color="curve", title="Loss",
                                x_title="epoch", y_title="loss (per picture)",
                                height=260))
        with g2:
            df = art_charts.history_long(result.history, {"acc": "training accuracy",
                                                          "val_acc": "validation accuracy",
                                                          "val_bal_acc": "validation balanced accuracy"})
            ui.show_chart(lines(df, x="epoch", y="value", color="curve", title="Accuracy",
                                x_title="epoch", y_title="share correct", height=260))
        g3, g4 = st.columns([3, 2])
        with g3:
            ui.show_chart(art_charts.confusion(test["confusion"], classes))
        with g4:
            ui.show_chart(art_charts.recall_by_style({cfg.remedy: test["recall"]}, classes, train_counts,
                                                     height=420))

# ----------------------------------------------------------------------------------------------- run table
with tab_runs:
    st.markdown("Train the same network (the settings of the *Classifier* tab) once without remedies and "
                "once with each remedy, then compare them on the test split. Every run is kept in the "
                "model cache, so a second comparison is instant.")
    plain = with_remedy(cfg, "none")
    runs_key = ("art_runs", plain, art.key, lab.seed)
    if st.button("Compare the remedies", key="art_run_btn", type="primary"):
        rows, recalls = [], {}
        for name in REMEDIES:
            r = train_model(with_remedy(plain, name), label=f"the CNN with remedy '{name}'")
            t = r.extra.get("test")
            if t is None:
                continue
            rows.append({"remedy": name, "accuracy": t["acc"], "balanced accuracy": t["balanced_acc"],
                         "macro-F1": t["macro_f1"],
                         "recall of 3 smallest styles": float(np.mean([t["recall"][i] for i in smallest3])),
                         "epochs": len(r.history), "diverged": bool(r.diverged)})
            recalls[name] = t["recall"]
        if rows:
            base_row = {"remedy": "always the largest style",
                        "accuracy": test["majority_baseline"] if test else np.nan,
                        "balanced accuracy": test["majority_balanced"] if test else np.nan,
                        "macro-F1": test.get("majority_macro_f1", np.nan) if test else np.nan,
                        "recall of 3 smallest styles": 0.0, "epochs": 0, "diverged": False}
            st.session_state[str(runs_key)] = (pd.DataFrame(rows + [base_row]), recalls)
    if str(runs_key) in st.session_state:
        table, recalls = st.session_state[str(runs_key)]
        pct = {c: st.column_config.NumberColumn(c, format="percent")
               for c in ("accuracy", "balanced accuracy", "recall of 3 smallest styles")}
        st.dataframe(table, hide_index=True,
                     column_config=pct | {"macro-F1": st.column_config.NumberColumn(format="%.3f")})
        ui.show_chart(art_charts.recall_by_style(recalls, classes, train_counts))
    else:
        st.caption("Press the button to train and compare the runs (about half a minute per run on a laptop "
                   "CPU the first time).")

# ----------------------------------------------------------------------------------------------- upload
with tab_up:
    st.markdown("Which style does the network see in your picture? (the classifier of the *Classifier* tab; "
                f"PNG, JPEG, WebP, BMP, GIF or TIFF, at most {MAX_UPLOAD_BYTES // 2**20} MB)")
    u1, u2 = st.columns([2, 1])
    with u1:
        up = st.file_uploader("Upload a picture", type=UPLOAD_TYPES, key="art_upload",
                              max_upload_size=MAX_UPLOAD_BYTES // 2**20)
    picture, caption = None, None
    if up is not None:
        try:
            picture = read_upload(up.getvalue(), art.side)
            caption = f"{up.name}, as the network sees it ({art.side} x {art.side})"
        except ImageError as exc:
            st.error(f"That file cannot be used: {exc}")
    else:
        with u2:
            idx = ui.persisted(st.number_input, "Or pick a test picture (number)", key="art_test_pick",
                               default=0, min_value=0, max_value=max(len(art.y_test) - 1, 0), step=1)
        if len(art.y_test):
            picture = art.X_test[int(idx)]
            caption = f"Test picture {int(idx)}: {classes[art.y_test[int(idx)]]}"
    if picture is not None:
        p1, p2 = st.columns([1, 2])
        with p1:
            ui.show_image(picture.astype(np.float32) / 255, caption, scale=6)
        with p2:
            probs = predict_proba(result.model, picture[None])[0]
            ui.show_chart(art_charts.top_k(probs, classes, 5))

# ----------------------------------------------------------------------------------------------- clustering
with tab_clu:
    st.markdown("A convolutional autoencoder squeezes each picture into a **32-number code** and rebuilds "
                "it. It never sees a style name. After every epoch, k-means (k = number of styles) groups "
                "the codes of the test pictures, and ARI / NMI measure how well those groups match the "
                "styles "
                "(0: no better than chance, 1: the styles exactly).")
    a1, _ = st.columns([1, 2])
    with a1:
        ae_epochs = ui.persisted(st.slider, "Autoencoder epochs", key="art_ae_epochs",
                                 default=default_ae(art).num_epochs, min_value=2, max_value=60)
    ae_cfg = dataclasses.replace(default_ae(art), num_epochs=ae_epochs)
    ae_res = ui.train(ae_cfg, train_ae, build_ae, lambda: art, data_key=art.key, device=lab.device,
                      seed=lab.seed, label="the autoencoder", num_epochs=ae_cfg.num_epochs,
                      curves=("ari", "nmi"))
    if ae_res.diverged:
        st.error(ae_res.diverged)
    if ae_res.history:
        last = ae_res.history[-1]
        k1, k2, k3 = st.columns(3)
        k1.metric("ARI (last epoch)", f"{last['ari']:.3f}")
        k2.metric("NMI (last epoch)", f"{last['nmi']:.3f}")
        sil = ae_res.extra.get("silhouette")
        k3.metric("Silhouette of the clusters", "-" if sil is None else f"{sil:.3f}",
                  help="From -1 to 1: how much closer a code is to its own cluster than to the next one.")
        df = art_charts.history_long(ae_res.history, {"ari": "ARI", "nmi": "NMI"})
        ui.show_chart(lines(df, x="epoch", y="value", color="curve", title="Do the clusters find the styles?",
                            x_title="epoch", y_title="agreement with the true styles", height=260))

        @st.cache_data(show_spinner="Running t-SNE on the codes ...", max_entries=8)
        def tsne_map(_model, key, seed: int):
            codes = encode(_model, art.X_test)
            labels = cluster(codes, art.n_classes, seed)
            z = (codes - codes.mean(0)) / (codes.std(0) + 1e-8)
            perplexity = float(min(30, max(2, (len(z) - 1) // 3)))
            xy = TSNE(2, perplexity=perplexity, init="pca", max_iter=250 if fast_mode() else 1000,
                      random_state=seed).fit_transform(z)
            return xy, labels

        if len(art.y_test) >= 5:
            xy, labels = tsne_map(ae_res.model, (ae_cfg, art.key, lab.seed), lab.seed)
            s1, s2 = st.columns(2)
            with s1:
                ui.show_chart(scatter(xy, [classes[i] for i in art.y_test],
                                        title="t-SNE of the codes: true style", x_title="t-SNE 1",
                                        y_title="t-SNE 2", label_title="style", order=classes, height=420))
            with s2:
                ui.show_chart(scatter(xy, [f"cluster {c}" for c in labels],
                                        title="t-SNE of the codes: k-means cluster", x_title="t-SNE 1",
                                        y_title="t-SNE 2", label_title="cluster",
                                        order=[f"cluster {c}" for c in range(art.n_classes)], height=420))
