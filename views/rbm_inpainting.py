"""RBM inpainting: an RBM learns digits, dreams new ones and fills in erased pixels; a DBM beside it."""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from annlab import dbm, rbm, ui
from annlab import inpaint as ip
from annlab.charts import lines
from annlab.images import tile
from annlab.settings import fast_mode, quick

lab = ui.page(
    "RBM inpainting",
    "A restricted Boltzmann machine (RBM) learns which pixels of a digit go together. Erase part of a digit, "
    "keep the rest **clamped**, and let the machine Gibbs-sample only the missing pixels. Look for: the "
    "erased strokes coming back after a few dozen Gibbs steps; the error on the missing pixels falling "
    "with more steps and rising with wider gaps; which band of a digit is hardest to fill in; filters that "
    "look like pieces of strokes or whole digit shapes; and dreamed digits from random noise that get "
    "sharper with more Gibbs steps (a deep Boltzmann machine beside it).",
)

DATASETS = {"MNIST-5k (28x28)": "mnist", "8x8 digits": "digits8"}
STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]

with st.expander("RBM settings (changing one retrains; the model store keeps every trained RBM)"):
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        data_label = ui.persisted(st.selectbox, "Digits", key="rbm_data", default="MNIST-5k (28x28)",
                                  options=list(DATASETS))
        n_hidden = ui.persisted(st.select_slider, "Hidden units", key="rbm_hidden",
                                default=rbm.DEFAULT.n_hidden, options=[16, 32, 64, 100, 200, 400, 800])
    with c2:
        lr = ui.persisted(st.select_slider, "Learning rate", key="rbm_lr", default=rbm.DEFAULT.lr,
                          options=[0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0, 50.0],
                          help="Step size on the mean gradient of a mini-batch (as scikit-learn's "
                               "BernoulliRBM). Very large rates make the weights blow up.")
        num_epochs = ui.persisted(st.slider, "Epochs", key="rbm_epochs", default=rbm.DEFAULT.num_epochs,
                                  min_value=1, max_value=100)
    with c3:
        batch_size = ui.persisted(st.select_slider, "Batch size", key="rbm_batch",
                                  default=rbm.DEFAULT.batch_size, options=[10, 20, 50, 100, 200])
        k = ui.persisted(st.slider, "Gibbs steps per update (k)", key="rbm_k", default=1, min_value=1,
                         max_value=10)
    with c4:
        method = ui.persisted(st.radio, "Training", key="rbm_method", default="pcd", options=["pcd", "cd"],
                              format_func={"pcd": "PCD (persistent chains)",
                                           "cd": "CD (chains restart at the data)"}.get)

dataset = DATASETS[data_label]
split, data_key = rbm.binary_digits(dataset, lab.seed)
side, V = split.side, split.side ** 2
if split.warning:
    st.warning(split.warning)
cfg = quick(rbm.RBMConfig(dataset=dataset, n_hidden=n_hidden, lr=lr, num_epochs=num_epochs,
                          batch_size=batch_size, k=k, method=method), num_epochs=2)
result = ui.train(cfg, rbm.train_rbm, rbm.build, lambda: (split.X_train, split.X_test), data_key=data_key,
                  device=lab.device, seed=lab.seed, label="the RBM", num_epochs=cfg.num_epochs,
                  curves=("pseudo_ll_per_pixel", "recon_error"))
if result.diverged:
    st.error(result.diverged + " The page uses the weights from before it diverged.")
model = result.model
model_id = (repr(cfg), lab.seed, data_key, lab.device)


@st.cache_data(show_spinner=False, max_entries=64)
def inpaint_cached(_model, model_id, X, missing, steps, seed):
    return ip.inpaint(_model, X, missing, steps, seed=seed)


@st.cache_data(show_spinner=False, max_entries=32)
def dream_cached(_model, model_id, kind, n, steps, seed):
    sampler = rbm.sample if kind == "rbm" else dbm.sample
    return sampler(_model, n, steps, seed=seed, keep_every=max(1, steps // 10), mean_last=1)


def strip(images, ncols):
    return tile(np.asarray(images).reshape(-1, side, side), ncols=ncols)


def show_grid(img, caption=None):
    """A grid of digits or filters, about 600 pixels wide (more in projector mode)."""
    ui.show_image(img, caption, scale=max(1, (900 if lab.projector else 600) // img.shape[1]))


tab_fill, tab_sweep, tab_filters, tab_dream, tab_dbm = st.tabs(
    ["Inpainting", "Inpainting sweeps", "Training and filters", "Dreaming (Gibbs sampling)",
     "Deep Boltzmann machine"])

with tab_fill:
    left, right = st.columns([1, 2])
    with left:
        drawn = ui.draw_digit("rbm_canvas", side=side, page="RBM inpainting")
        region = ui.persisted(st.selectbox, "What to erase", key="rbm_region", default="rows",
                              options=["rows", *ip.REGIONS],
                              format_func={"rows": "rows (choose below)", "top": "top third",
                                           "middle": "middle third", "bottom": "bottom third",
                                           "left": "left half", "right": "right half",
                                           "random": "random pixels"}.get)
        if region == "rows":
            start, end = ui.persisted(st.slider, "Erased rows (start, end)", key=f"rbm_rows{side}",
                                      default=ip.centred_rows(side, max(1, side // 5 + 1)),
                                      min_value=0, max_value=side - 1)
            missing = ip.row_mask(side, int(start), int(end))
        else:
            frac = 0.5
            if region == "random":
                frac = ui.persisted(st.slider, "Fraction of pixels erased", key="rbm_frac", default=0.5,
                                    min_value=0.1, max_value=0.9, step=0.1)
            missing = ip.region_mask(side, region, fraction=frac, seed=lab.seed)
        steps = ui.persisted(st.select_slider, "reconstruction_gibbs_steps", key="rbm_recon_steps",
                             default=100, options=STEPS,
                             help="Gibbs steps with the known pixels clamped; the reconstruction is the "
                                  "mean of P(pixel on | hidden) over the second half of the steps.")
        first = ui.persisted(st.number_input, "First test digit", key=f"rbm_first{side}", default=0,
                             min_value=0, max_value=len(split.X_test) - 8, step=8)
    idx = np.arange(int(first), int(first) + 8)
    X = split.X_test[idx]
    y = split.y_test[idx]
    names = [f"test #{i} ({label})" for i, label in zip(idx, y, strict=True)]
    if drawn is not None:
        X = np.vstack([(drawn.reshape(1, V) > 0.5).astype(np.float32), X])
        y = np.concatenate([[-1], y])
        names = ["your drawing"] + names
    R = inpaint_cached(model, model_id, X, missing, int(steps), lab.seed)
    masked = np.where(missing, 0.5, X)
    err = ip.missing_error(R, X, missing)
    clf = ip.digit_classifier(dataset, lab.seed)
    with right:
        n = len(X)
        st.markdown("**Original** (binarised)")
        ui.show_image(strip(X, n), scale=max(1, 84 // side))
        st.markdown("**Erased** (gray = missing)")
        ui.show_image(strip(masked, n), scale=max(1, 84 // side))
        st.markdown(f"**Reconstruction** after {steps} Gibbs steps")
        ui.show_image(strip(R, n), scale=max(1, 84 // side))
        st.markdown("**Error** on the missing pixels (white = wrong)")
        ui.show_image(strip(np.abs(R - X) * missing, n), scale=max(1, 84 // side))
        st.caption("Digits left to right: " + ", ".join(names))
        tested = y >= 0
        m1, m2, m3 = st.columns(3)
        m1.metric("Error on missing pixels", f"{err[tested].mean():.3f}",
                  help="Mean squared error between the reconstructed probability and the true pixel, "
                       "over the missing pixels of the test digits (0 = perfect; 0.25 = a coin flip).")
        m2.metric("Classifier right: erased", f"{(clf.predict(masked[tested]) == y[tested]).mean():.0%}",
                  help="Logistic regression trained on clean training digits, on the erased digits.")
        m3.metric("Classifier right: inpainted", f"{(clf.predict(R[tested]) == y[tested]).mean():.0%}")
        if drawn is not None:
            st.caption(f"The classifier reads your inpainted drawing as a **{clf.predict(R[:1])[0]}**.")

with tab_sweep:
    n_test, steps_grid, fractions = ((20, [1, 10, 50], (0.2, 0.5)) if fast_mode() else
                                     (150, [1, 5, 10, 20, 50, 100, 200], (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)))
    st.markdown(f"Each sweep inpaints {n_test} test digits and compares the RBM (and the DBM, once trained "
                "on its tab's settings) with filling the gap by the mean training image. **Error** is the "
                "mean squared error on the missing pixels; **label accuracy** is how often a logistic "
                "regression trained on clean digits gives the inpainted digit its true label.")
    sweep_steps_n = ui.persisted(st.select_slider, "Gibbs steps for the row sweeps", key="rbm_sweep_steps",
                                 default=100, options=STEPS)
    sweep_key = ("sweeps", model_id, st.session_state.get("_rbm_dbm_id"), int(sweep_steps_n), n_test)
    if st.button("Run the sweeps", key="rbm_run_sweeps", type="primary"):
        models = {"RBM": model}
        trained_dbm = st.session_state.get("_rbm_dbm")
        if trained_dbm is not None and trained_dbm.n_visible == V:
            models["DBM"] = trained_dbm
        Xs, ys = split.X_test[:n_test], split.y_test[:n_test]
        kw = dict(seed=lab.seed, clf=clf, pixel_mean=split.X_train.mean(0))
        band = max(1, side // 5 + 1)
        n_rows_grid = sorted({max(1, round(f * side)) for f in fractions})
        with st.spinner("Gibbs sampling the sweeps ..."):
            st.session_state["_rbm_sweeps"] = (sweep_key, {
                "steps": ip.sweep_steps(models, Xs, ys, ip.row_mask(side, *ip.centred_rows(side, band)),
                                        steps_grid, **kw),
                "rows": ip.sweep_rows(models, Xs, ys, side, n_rows_grid, int(sweep_steps_n), **kw),
                "where": ip.sweep_location(models, Xs, ys, side, band, int(sweep_steps_n),
                                           n_positions=3 if fast_mode() else 6, **kw),
                "clean": float((clf.predict(Xs) == ys).mean()),
            })
    saved = st.session_state.get("_rbm_sweeps")
    if saved is None or saved[0] != sweep_key:
        st.info("Press **Run the sweeps** (about a minute on a laptop for MNIST).")
    else:
        res = saved[1]
        axes = {"steps": ("gibbs_steps", "Gibbs steps (log scale)", "middle band erased"),
                "rows": ("rows_removed", "rows erased (a band in the middle)",
                         f"{sweep_steps_n} Gibbs steps"),
                "where": ("band_start_row", "first erased row (band of fixed height)",
                          f"{sweep_steps_n} Gibbs steps")}
        for name, (x, x_title, note) in axes.items():
            c1, c2 = st.columns(2)
            with c1:
                ui.show_chart(ip.sweep_chart(res[name], x=x, y="error", x_title=x_title,
                                             log_x=name == "steps", y_title="error on missing pixels (MSE)",
                                             title=f"Error ({note})"))
            with c2:
                ui.show_chart(ip.sweep_chart(res[name], x=x, y="label_acc", x_title=x_title,
                                             log_x=name == "steps", y_title="label accuracy (fraction)",
                                             title=f"Classifier on inpainted digits ({note})"))
        st.caption(f"On the clean test digits the classifier is right {res['clean']:.0%} of the time.")

with tab_filters:
    hist = pd.DataFrame(result.history)
    if len(hist):
        c1, c2 = st.columns(2)
        with c1:
            ui.show_chart(lines(hist, x="epoch", y="pseudo_ll", title="Pseudo-likelihood on held-out digits",
                                x_title="epoch", y_title="pseudo-log-likelihood (nats per digit)"))
        with c2:
            ui.show_chart(lines(hist, x="epoch", y="recon_error",
                                title="Reconstruction error on held-out digits", x_title="epoch",
                                y_title="mean squared error per pixel"))
        st.caption("Pseudo-likelihood: scikit-learn's estimator (flip one random pixel per digit); higher is "
                   "better. Reconstruction: digit to hidden probabilities and back.")
    n_show = min(100, model.n_hidden)
    st.markdown(f"**Filters**: the weights of {n_show} hidden units, one image each (gray = 0, "
                "light = excitatory, dark = inhibitory).")
    show_grid(tile(model.filters()[:n_show].reshape(-1, side, side), ncols=10, normalise_each=True))

with tab_dream:
    gibbs_steps = ui.persisted(st.select_slider, "Gibbs steps", key="rbm_gibbs_steps", default=200,
                               options=STEPS)
    dream = dream_cached(model, model_id, "rbm", 30, int(gibbs_steps), lab.seed)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.markdown(f"**30 chains** from random pixels after {gibbs_steps} Gibbs steps "
                    "(showing P(pixel on | hidden))")
        show_grid(strip(dream["p"], 10))
    with c2:
        st.markdown("**One chain**, every tenth of the way")
        show_grid(strip(dream["trace"], 5))

with tab_dbm:
    st.markdown("Two hidden layers: each pretrained greedily as an RBM, then trained jointly (mean-field "
                "inference for the data, persistent Gibbs chains for the model).")
    c1, c2, c3 = st.columns(3)
    with c1:
        h1 = ui.persisted(st.select_slider, "First hidden layer", key="rbm_dbm_h1",
                          default=dbm.DEFAULT.n_hidden1, options=[50, 100, 200, 400])
    with c2:
        h2 = ui.persisted(st.select_slider, "Second hidden layer", key="rbm_dbm_h2",
                          default=dbm.DEFAULT.n_hidden2, options=[25, 50, 100, 200])
    with c3:
        joint = ui.persisted(st.slider, "Joint training epochs", key="rbm_dbm_epochs",
                             default=dbm.DEFAULT.num_epochs, min_value=1, max_value=50)
    dcfg = quick(replace(dbm.DEFAULT, dataset=dataset, n_hidden1=h1, n_hidden2=h2, num_epochs=joint),
                 pretrain_epochs=1, num_epochs=1)
    dres = ui.train(dcfg, dbm.train_dbm, dbm.build, lambda: (split.X_train, split.X_test), data_key=data_key,
                    device=lab.device, seed=lab.seed, label="the DBM", num_epochs=dcfg.total_epochs,
                    curves=("recon_error",))
    if dres.diverged:
        st.error(dres.diverged)
    st.session_state["_rbm_dbm"] = dres.model
    st.session_state["_rbm_dbm_id"] = (repr(dcfg), lab.seed, data_key, lab.device)
    f1, f2 = dres.model.filters()
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**First-layer filters** (W1)")
        show_grid(tile(f1[:50].reshape(-1, side, side), ncols=10, normalise_each=True))
    with c2:
        st.markdown("**Second-layer filters** in pixel space (W2 W1)")
        show_grid(tile(f2[:50].reshape(-1, side, side), ncols=10, normalise_each=True))
    dd = dream_cached(dres.model, st.session_state["_rbm_dbm_id"], "dbm", 30, int(gibbs_steps), lab.seed)
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**DBM samples** after {gibbs_steps} Gibbs steps")
        show_grid(strip(dd["p"], 10))
    with c2:
        st.markdown(f"**RBM samples** after {gibbs_steps} Gibbs steps (the same random starts)")
        show_grid(strip(dream["p"], 10))
    st.caption("Change the number of Gibbs steps on the Dreaming tab.")
