"""Latent space: autoencoders, VAE, MMD-AE and GAN; interpolation, sampling, clustering, denoising."""

from dataclasses import replace

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from annlab import autoencoders as ae
from annlab import gan as gan_mod
from annlab import latent as lat
from annlab import ui
from annlab.charts import bars, heatmap, lines, scatter
from annlab.data import digit_split, two_moons
from annlab.images import tile
from annlab.settings import quick

lab = ui.page(
    "Latent space",
    "An autoencoder squeezes each digit through a few numbers, its **code**, and rebuilds it from there. "
    "Look for: digits of one class landing near each other in the code plane; a slide between two codes "
    "that morphs one digit into another (smoothly for a VAE, with blurry ghosts for a plain autoencoder); "
    "new digits decoded from sampled codes, and whether a classifier recognises them; and whether "
    "clusters of codes are the digit classes at all.",
)

c1, c2, c3, c4 = st.columns(4)
with c1:
    data_label = ui.persisted(st.selectbox, "Data", key="lat_data", default="MNIST-5k (28x28)",
                              options=list(lat.DATASETS))
with c2:
    model_name = ui.persisted(st.selectbox, "Model", key="lat_model", default=lat.DEFAULT_MODEL,
                              options=list(lat.MODELS))
with c3:
    latent_dim = ui.persisted(st.selectbox, "Latent size", key="lat_dim", default=lat.DEFAULT_LATENT,
                              options=list(ae.LATENT_SIZES))
with c4:
    loss = ui.persisted(st.selectbox, "Reconstruction loss", key="lat_loss", default="bce",
                        options=list(ae.LOSSES),
                        help="bce: binary cross-entropy (pixels as probabilities); mse: squared error; "
                             "l1: absolute error.")

dataset = lat.DATASETS[data_label]
digits = digit_split(dataset, seed=lab.seed)
side = digits.side
if digits.warning:
    st.warning(digits.warning)


def small(cfg):
    """Fast mode (tests): two epochs, same code path."""
    return quick(cfg, num_epochs=2)


def train_model(cfg, label=None):
    return ui.train(cfg, ae.train_autoencoder, ae.build, lambda: (digits.X_train, digits.X_test),
                    data_key=dataset, device=lab.device, seed=lab.seed, label=label or cfg.label,
                    num_epochs=cfg.num_epochs, curves=("loss", "test_loss"))


def train_gan(cfg):
    return ui.train(cfg, gan_mod.train_gan, gan_mod.build_gan, lambda: digits.X_train, data_key=dataset,
                    device=lab.device, seed=lab.seed, label=cfg.label, num_epochs=cfg.num_epochs,
                    curves=("g_loss", "d_loss"))


cfg = small(lat.model_config(model_name, dataset, latent_dim, loss))
result = train_model(cfg)  # ui.train always holds one slot, so the canvas below keeps its place
if result.diverged:
    st.error(result.diverged)
    st.stop()
model = result.model
is_prior = cfg.kind in ("vae", "mmd")


@st.cache_data(show_spinner=False, max_entries=16)
def test_codes(_model, key):
    return ae.encode(_model, digits.X_test)


@st.cache_data(show_spinner="Projecting the codes ...", max_entries=16)
def projected(_model, key, method):
    return lat.project_2d(test_codes(_model, key), method, seed=lab.seed)


mkey = (cfg, dataset, lab.seed)  # what identifies the trained model in the caches
Z_test = test_codes(model, mkey)

tab_map, tab_rec, tab_samp, tab_clu, tab_moons, tab_dn = st.tabs(
    ["Map & interpolation", "Reconstructions & bottleneck", "Sampling", "Clustering & classifying",
     "Two moons", "Denoising"])

# ---------------------------------------------------------------------------------------------------
with tab_map:
    left, right = st.columns([1.1, 1])
    with left:
        st.subheader("Where the test digits land")
        method = "PCA"
        if latent_dim > 2:
            method = ui.persisted(st.radio, "Show codes with", key="lat_proj", default="PCA",
                                  options=["PCA", "t-SNE"], horizontal=True)
        P = projected(model, mkey, method)
        xt, yt = (("z1", "z2") if latent_dim == 2 else ("z1", "(none)") if latent_dim == 1
                  else (f"{method} 1", f"{method} 2"))
        scatter_slot = st.empty()  # filled below, once the interpolation path is known
    with right:
        st.subheader("Slide from one digit to another")
        drawn = ui.draw_digit("lat_canvas", side=side, size_px=200, page="Latent space")
        a_col, b_col = st.columns(2)
        n_test = len(digits.X_test)

        def first_of(label):  # default ends: the first test 0 and the first test 1, far apart in any map
            return int(np.flatnonzero(digits.y_test == label)[0])

        for k in ("lat_ia", "lat_ib"):  # a number kept from the larger data set may not exist in this one
            for kk in (k, f"_keep_{k}"):
                if st.session_state.get(kk, 0) > n_test - 1:
                    st.session_state[kk] = n_test - 1

        with a_col:
            start = ui.persisted(st.selectbox, "Start", key="lat_start", default="test digit",
                                 options=["test digit", "my drawing"])
            ia = ui.persisted(st.number_input, "Start test digit #", key="lat_ia", default=first_of(0),
                              min_value=0, max_value=n_test - 1, step=1)
        with b_col:
            ib = ui.persisted(st.number_input, "End test digit #", key="lat_ib", default=first_of(1),
                              min_value=0, max_value=n_test - 1, step=1)
            mode_default = "spherical" if is_prior else "linear"
            mode = ui.persisted(st.radio, "Path", key="lat_path", default=mode_default,
                                options=["linear", "spherical"], horizontal=True,
                                help="Spherical follows a great circle: codes keep the length typical of "
                                     "a N(0, I) prior (VAE, MMD-AE).")
        x_a = digits.X_test[int(ia)]
        if start == "my drawing":
            if drawn is None:
                st.warning(f"Nothing drawn yet: the start is test digit #{int(ia)}.")
            else:
                x_a = drawn.reshape(-1)
        x_b = digits.X_test[int(ib)]
        t = ui.persisted(st.slider, "Position along the path", key="lat_t", default=0.5, min_value=0.0,
                         max_value=1.0, step=0.05)
        za, zb = ae.encode(model, np.stack([x_a, x_b]))
        path = lat.interpolate(za, zb, 9, mode)
        z_t = (lat.slerp if mode == "spherical" else lat.lerp)(za, zb, t)
        strip = ae.decode(model, np.vstack([path, z_t[None]]))
        ui.show_image(tile(strip[:9], 9), caption=f"Decoded codes from start to end ({mode} path)", scale=4)
        i1, i2, i3 = st.columns(3)
        with i1:
            ui.show_image(x_a.reshape(side, side), caption="start", scale=5)
        with i2:
            ui.show_image(strip[9].reshape(side, side), caption=f"decoded at {t:.2f}", scale=5)
        with i3:
            ui.show_image(x_b.reshape(side, side), caption="end", scale=5)
    with left:
        chart = scatter(P, digits.y_test, title=f"{len(P)} test digits, coloured by true label",
                        x_title=xt, y_title=yt, label_title="digit", height=430)
        if latent_dim == 2:  # the slider's path, drawn in the code plane itself
            fine = lat.interpolate(za, zb, 40, mode)
            df_path = pd.DataFrame({"x": fine[:, 0], "y": fine[:, 1], "i": np.arange(len(fine))})
            df_now = pd.DataFrame({"x": [z_t[0]], "y": [z_t[1]]})
            chart = (chart + alt.Chart(df_path).mark_line(color="black", strokeDash=[6, 3]).encode(
                x="x", y="y", order="i") + alt.Chart(df_now).mark_point(
                shape="diamond", size=300, filled=True, color="black").encode(x="x", y="y"))
        with scatter_slot.container():
            ui.show_chart(chart)
            if latent_dim == 2:
                st.caption("Dashed: the path of the slider in the code plane; diamond: the decoded point.")

    if latent_dim == 2:
        st.subheader("The decoder's map of the latent plane")
        n_grid = ui.persisted(st.slider, "Grid size", key="lat_grid", default=15, min_value=5, max_value=25)
        grid = lat.latent_grid(Z_test, n_grid, prior=is_prior)
        span = "N(0, 1) quantiles 2.5 %..97.5 %" if is_prior else "1st..99th percentile of the codes"
        st.caption(f"Each tile decodes one point of a regular grid over the latent plane ({span}).")
        g_left, _ = st.columns([3, 2])
        with g_left:  # about 560 pixels wide: the whole map fits a 1280x720 screen
            ui.show_image(tile(ae.decode(model, grid), n_grid, pad=0), scale=max(1, 560 // (n_grid * side)))
    else:
        st.info("Pick latent size 2 to see the decoder's whole map of the latent plane as a grid of digits.")

# ---------------------------------------------------------------------------------------------------
with tab_rec:
    st.subheader("Originals (top) and reconstructions (bottom)")
    show = digits.X_test[:12]
    ui.show_image(tile(np.vstack([show, ae.reconstruct(model, show)]), 12), scale=3 if side == 28 else 8)

    @st.cache_data(show_spinner=False, max_entries=16)
    def test_error(key, _m):
        return float(ae.per_image_error(_m, digits.X_test).mean())

    st.metric("Mean squared error per pixel on test digits", f"{test_error(mkey, model):.4f}")
    st.subheader("The bottleneck: error and code quality against latent size")
    st.caption(f"Trains the {model_name} at every latent size {list(ae.LATENT_SIZES)} "
               "(cached after the first time).")
    sweep_key = f"lat_sweep::{cfg.kind}-{cfg.arch}-{loss}-{dataset}-{lab.seed}"
    if st.button("Train across latent sizes", key="lat_sweep_btn"):
        rows = []
        for d in ae.LATENT_SIZES:
            c = replace(cfg, latent_dim=d)
            r = train_model(c, f"latent size {d}")
            Ztr, Zte = ae.encode(r.model, digits.X_train), ae.encode(r.model, digits.X_test)
            rows.append({"latent size": d, "test MSE per pixel": float(ae.per_image_error(r.model,
                                                                                           digits.X_test).mean()),
                         "classifier accuracy on codes": lat.code_classifier_accuracy(
                             Ztr, digits.y_train, Zte, digits.y_test, seed=lab.seed)})
        st.session_state[sweep_key] = pd.DataFrame(rows)
    if sweep_key in st.session_state:
        df = st.session_state[sweep_key]
        s1, s2 = st.columns(2)
        with s1:
            ui.show_chart(lines(df, x="latent size", y="test MSE per pixel", title="Reconstruction error",
                                y_title="test MSE per pixel").mark_line(point=True))
        with s2:
            ui.show_chart(lines(df, x="latent size", y="classifier accuracy on codes",
                                title="SVM on frozen codes", y_title="test accuracy").mark_line(point=True))
        st.dataframe(df, hide_index=True)

# ---------------------------------------------------------------------------------------------------
with tab_samp:
    _, clf_acc, real_rec = lat.digit_classifier(dataset, lab.seed)
    st.caption(f"A random forest trained on real digits (test accuracy {clf_acc:.1%}) labels every sample; "
               f"a sample counts as recognised when its top class gets probability >= {lat.CONFIDENT:g}. "
               f"For reference, {real_rec:.0%} of real test digits are recognised that way.")
    n_comp = ui.persisted(st.slider, "Gaussian-mixture components", key="lat_gmm", default=10,
                          min_value=1, max_value=30)
    gan_arch = ui.persisted(st.radio, "GAN", key="lat_gan", default="GAN (dense)", options=list(lat.GANS),
                            horizontal=True)
    gcfg = small(lat.gan_config(lat.GANS[gan_arch], dataset))
    gres = train_gan(gcfg)
    if gres.diverged:
        st.error(gres.diverged)

    @st.cache_data(show_spinner="Sampling and judging ...", max_entries=32)
    def sampled(key, gkey, k, _model, _gan, n=300):
        """Decoded samples (first 30 kept for display) and the forest's verdict on all n."""
        out = {f"GMM ({k} components) on the codes":
               ae.decode(_model, lat.gmm_sample(ae.encode(_model, digits.X_train), k, n, seed=lab.seed))}
        if is_prior:
            out[f"{model_name.split(' (')[0]}: codes drawn from N(0, I)"] = ae.decode(
                _model, lat.prior_sample(latent_dim, n, lab.seed))
        if _gan is not None:
            z = gan_mod.sample_z(gcfg, n, lab.seed)
            out[f"{gan_arch}: z drawn from N(0, I)"] = gan_mod.generate(_gan, z)
        return {title: (imgs[:30], lat.judge(imgs, dataset, seed=lab.seed)) for title, imgs in out.items()}

    sources = sampled(mkey, (gcfg, dataset, lab.seed), n_comp, model, None if gres.diverged else gres.model)
    for title, (imgs, verdict) in sources.items():
        st.markdown(f"**{title}**: {verdict['recognised']:.0%} of 300 samples recognised confidently")
        g1, g2 = st.columns([1.3, 1])
        with g1:
            ui.show_image(tile(imgs[:30], 10), scale=3 if side == 28 else 8)
        with g2:
            ui.show_chart(bars(range(10), verdict["histogram"], x_title="class the forest sees",
                               y_title="confident samples", title="Class histogram", height=200))
    if not gres.diverged:
        st.markdown(f"**Slide between two {gan_arch} samples** (spherical path between two prior draws)")
        q1, q2, q3 = st.columns([1, 1, 2])
        with q1:
            seed_a = ui.persisted(st.number_input, "First draw #", key="lat_gan_a", default=1, min_value=0,
                                  max_value=9999, step=1)
        with q2:
            seed_b = ui.persisted(st.number_input, "Second draw #", key="lat_gan_b", default=2, min_value=0,
                                  max_value=9999, step=1)
        with q3:
            gt = ui.persisted(st.slider, "Position along the path", key="lat_gan_t", default=0.5,
                              min_value=0.0, max_value=1.0, step=0.05)
        ga, gb = gan_mod.sample_z(gcfg, 1, int(seed_a))[0], gan_mod.sample_z(gcfg, 1, int(seed_b))[0]
        gpath = np.vstack([lat.interpolate(ga, gb, 9, "spherical"), lat.slerp(ga, gb, gt)[None]])
        gimgs = gan_mod.generate(gres.model, gpath)
        r1, r2 = st.columns([3, 1])
        with r1:
            ui.show_image(tile(gimgs[:9], 9), caption="from the first draw to the second",
                          scale=3 if side == 28 else 8)
        with r2:
            ui.show_image(gimgs[9].reshape(side, side), caption=f"GAN at {gt:.2f}", scale=5)
    with st.expander("GAN losses during training"):
        h = pd.DataFrame(gres.history)
        if len(h):
            long = h.melt(id_vars="epoch", value_vars=["g_loss", "d_loss"], var_name="network",
                          value_name="loss")
            ui.show_chart(lines(long, x="epoch", y="loss", color="network", title="Generator and "
                                "discriminator", y_title="BCE loss"))

# ---------------------------------------------------------------------------------------------------
with tab_clu:
    st.markdown("k-means (k = 10) on held-out test digits; clusters are matched to labels with the "
                "Hungarian algorithm only to score them.")
    ccfg = small(lat.model_config(lat.CLUSTER_MODEL, dataset, lat.CLUSTER_LATENT))
    use_main = ui.persisted(st.toggle, "Cluster the codes of the model chosen above (else a "
                            f"{lat.CLUSTER_LATENT}-D dense VAE)", key="lat_clu_main", default=False)
    cm = model if use_main else train_model(ccfg).model
    ck = mkey if use_main else (ccfg, dataset, lab.seed)

    @st.cache_data(show_spinner="Clustering ...", max_entries=16)
    def clustering(key, _m):
        Zc = ae.encode(_m, digits.X_test)
        svm = lat.code_classifier_accuracy(ae.encode(_m, digits.X_train), digits.y_train, Zc, digits.y_test,
                                           seed=lab.seed)
        return svm, [lat.cluster_report(digits.X_test, digits.y_test, seed=lab.seed, features="raw pixels"),
                     lat.cluster_report(Zc, digits.y_test, seed=lab.seed, features="autoencoder codes")]

    @st.cache_data(show_spinner="t-SNE of all codes, then k-means (about half a minute) ...", max_entries=8)
    def tsne_clustering(key, _m):
        return lat.embed_then_cluster(ae.encode(_m, digits.X_test), digits.y_test,
                                      Z_unlabelled=ae.encode(_m, digits.X_train), seed=lab.seed,
                                      features="t-SNE of the codes")

    svm_acc, reports = clustering(ck, cm)
    tsne_key = f"lat_tsne::{ck}"
    st.caption("The trick: t-SNE first places the codes of all digits (train digits unlabelled, to see "
               "the shape of the data) on a plane where classes form tight islands; k-means then finds them.")
    if st.button("Cluster after a t-SNE embedding", key="lat_tsne_btn"):
        st.session_state[tsne_key] = tsne_clustering(ck, cm)
    if tsne_key in st.session_state:
        reports = [*reports, st.session_state[tsne_key]]
    st.dataframe(pd.DataFrame([{"k-means on": r.features, "accuracy": r.accuracy, "ARI": r.ari, "NMI": r.nmi,
                                "silhouette": r.silhouette} for r in reports]).style.format(precision=3),
                 hide_index=True)
    pick = st.radio("Confusion matrix of", options=[r.features for r in reports], index=len(reports) - 1,
                    horizontal=True, key="lat_clu_pick")
    rep = next(r for r in reports if r.features == pick)
    cols = [str(i) for i in range(10)] + ["no label"]
    conf = pd.DataFrame(rep.confusion, columns=cols[: rep.confusion.shape[1]])
    if not conf["no label"].any():  # k = 10: every cluster got a label
        conf = conf.drop(columns="no label")
    conf["true digit"] = [str(i) for i in range(len(conf))]
    long = conf.melt(id_vars="true digit", var_name="label of the cluster", value_name="test digits")
    ui.show_chart(heatmap(long, x="label of the cluster", y="true digit", value="test digits", fmt="d",
                          title=f"k-means on {pick}: accuracy {rep.accuracy:.1%}", height=380))
    st.metric("SVM trained on frozen codes: test accuracy", f"{svm_acc:.1%}")
    st.caption("Accuracy against latent size: see 'Train across latent sizes' in the bottleneck tab.")

# ---------------------------------------------------------------------------------------------------
with tab_moons:
    st.markdown("Two moons through a **one-number** bottleneck: the decoder can only draw a curve.")
    m1, m2 = st.columns(2)
    with m1:
        train_noise = ui.persisted(st.select_slider, "Noise of the training data", key="lat_moon_train",
                                   default=0.1, options=[0.05, 0.1, 0.2, 0.3])
    with m2:
        test_noise = ui.persisted(st.slider, "Noise of the test data", key="lat_moon_test", default=0.1,
                                  min_value=0.0, max_value=0.5, step=0.05)
    mcfgs = {k: small(c) for k, c in lat.moons_configs().items()}
    mres = {k: ui.train(c, ae.train_autoencoder, ae.build,
                        lambda c=c: (two_moons(lat.MOONS_N, noise=train_noise, seed=lab.seed)[0],
                                     two_moons(lat.MOONS_N, noise=train_noise, seed=lab.seed + 1000)[0]),
                        data_key=f"moons-noise{train_noise:g}", device=lab.device, seed=lab.seed,
                        label=f"the two-moons {k.upper()}", num_epochs=c.num_epochs,
                        curves=("loss", "test_loss")) for k, c in mcfgs.items()}

    @st.cache_data(show_spinner=False, max_entries=32)
    def moons_view(key, test_noise, _am, _mmd):
        Xm, ym = two_moons(500, noise=test_noise, seed=lab.seed + 2000)
        Zm = ae.encode(_am, Xm)
        rec_err = float(((ae.decode(_am, Zm) - Xm) ** 2).sum(1).mean())
        Z_fit = ae.encode(_am, two_moons(lat.MOONS_N, noise=key[1], seed=lab.seed)[0])
        gm = ae.decode(_am, lat.gmm_sample(Z_fit, 4, 300, seed=lab.seed))
        mm = ae.decode(_mmd, lat.prior_sample(1, 300, lab.seed))
        return Xm, ym, Zm, lat.moons_curve(_am, Zm), rec_err, gm, mm

    Xm, ym, Zm, curve, rec_err, gm, mm = moons_view((mcfgs["ae"], train_noise, lab.seed), test_noise,
                                                    mres["ae"].model, mres["mmd"].model)

    def pts(X, name):
        return pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "points": name})

    df_pts = pd.concat([pts(Xm, "test points"), pts(gm, "GMM samples, decoded"),
                        pts(mm, "MMD-AE: N(0, 1) samples, decoded")])
    base = alt.Chart(df_pts).mark_circle(opacity=0.55).encode(
        x=alt.X("x", title="x1"), y=alt.Y("y", title="x2"), color=alt.Color("points", title=None))
    df_line = pd.DataFrame({"x": curve[:, 0], "y": curve[:, 1], "i": np.arange(len(curve))})
    line = alt.Chart(df_line).mark_line(color="black").encode(x="x", y="y", order="i")
    mc1, mc2 = st.columns([1.4, 1])
    with mc1:
        ui.show_chart((base + line).properties(title="Data, the reconstruction line (black) and samples",
                                               height=400))
        st.metric("Test reconstruction error (squared distance to the line)", f"{rec_err:.3f}")
    with mc2:
        hdf = pd.DataFrame({"code": Zm[:, 0], "moon": ym.astype(str)})
        ui.show_chart(alt.Chart(hdf, title="Histogram of the 1-D codes", height=400).mark_bar(opacity=0.7)
                      .encode(x=alt.X("code", bin=alt.Bin(maxbins=40), title="code z"),
                              y=alt.Y("count()", stack=None, title="test points"), color="moon"))

# ---------------------------------------------------------------------------------------------------
with tab_dn:
    st.markdown("A **denoising** autoencoder sees corrupted digits and is trained to give back the clean "
                "ones. The random forest judges all three rows.")
    d1, d2 = st.columns(2)
    with d1:
        kind = ui.persisted(st.radio, "Corruption", key="lat_dn_kind", default="blur",
                            options=["blur", "noise"], horizontal=True)
    with d2:
        if kind == "blur":
            level = ui.persisted(st.slider, "Blur sigma (pixels)", key="lat_dn_sigma", default=1.5,
                                 min_value=0.0, max_value=3.0, step=0.1)
        else:
            level = ui.persisted(st.slider, "Noise standard deviation", key="lat_dn_std", default=0.5,
                                 min_value=0.0, max_value=1.0, step=0.05)
    dcfg = small(lat.denoise_config(kind, dataset))
    dres = train_model(dcfg)

    @st.cache_data(show_spinner=False, max_entries=64)
    def denoise_view(key, kind, level, _m):
        show = digits.X_test[:200]
        noisy = ae.corrupt(show, kind, level, side=side, seed=lab.seed)
        clean = ae.reconstruct(_m, noisy)
        accs = {name: float(np.mean(lat.judge(x, dataset, seed=lab.seed)["labels"] == digits.y_test[:200]))
                for name, x in (("originals", show), ("corrupted", noisy), ("denoised", clean))}
        return tile(np.vstack([show[:12], noisy[:12], clean[:12]]), 12), accs

    grid_img, accs = denoise_view((dcfg, dataset, lab.seed), kind, level, dres.model)
    ui.show_image(grid_img, scale=3 if side == 28 else 8, caption="originals / corrupted / denoised")
    st.caption(f"Trained at {dcfg.corrupt_level:g} ({kind}); the slider corrupts the test digits.")
    ui.show_chart(bars(list(accs), list(accs.values()), x_title="", y_title="forest accuracy",
                       title="Random forest accuracy on 200 test digits", height=260)
                  .encode(x=alt.X("label", type="nominal", sort=list(accs), title="",
                                  axis=alt.Axis(labelAngle=0))))
