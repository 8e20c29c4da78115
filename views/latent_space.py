"""Latent space: autoencoders, VAE, MMD-AE and GAN; interpolation, sampling, clustering, denoising."""

import streamlit as st

from annlab import ui
from annlab.latent import autoencoders as ae
from annlab.latent import charts
from annlab.latent import defaults as D
from annlab.latent import experiments as ex

lab = ui.current()
ui.page(
    "Latent space",
    "An autoencoder squeezes each digit through a few numbers, its **code**, and rebuilds it from there.",
    look_for="Digits of one class landing near each other in the code plane; a slide between two codes "
    "that morphs one digit into another (smoothly for a VAE, with blurry ghosts for a plain autoencoder); "
    "new digits decoded from sampled codes, and whether a classifier recognises them; and whether "
    "clusters of codes are the digit classes at all.",
)
c1, c2, c3, c4 = st.columns([1.2, 1.6, 0.8, 0.8])
data_label = ui.persisted(
    c1.selectbox, "Data", key="lat_data", default=D.DEFAULT_DATA, options=list(D.DATASETS)
)
model_name = ui.persisted(
    c2.selectbox, "Model", key="lat_model", default=D.DEFAULT_MODEL, options=list(D.MODELS)
)
latent_dim = ui.persisted(
    c3.selectbox, "Latent size", key="lat_dim", default=D.DEFAULT_LATENT, options=list(ae.LATENT_SIZES)
)
loss = ui.persisted(
    c4.selectbox,
    "Reconstruction loss",
    key="lat_loss",
    default=D.DEFAULT_LOSS,
    options=list(ae.LOSSES),
    help=D.LOSS_HELP,
)
dataset = D.DATASETS[data_label]
digits = ex.digit_set(dataset, lab.seed)
if digits.warning:
    st.warning(digits.warning)
spec = D.main_spec(model_name, dataset, latent_dim, loss, lab.seed)
result = ui.train(spec)  # ui.train always holds one slot, so the canvas below keeps its place
if result.diverged:
    st.stop()
tabs = st.tabs(D.TABS, on_change="rerun", key="lat_tab", bind="query-params")


@st.fragment
def slide():
    """The map of the test codes and a slide between two digits: moving the slider reruns only this."""
    left, right = st.columns([1.1, 1])
    with right:
        a_col, b_col, p_col = st.columns([1.2, 1, 1])
        start = ui.persisted(
            a_col.selectbox,
            "Start",
            key="lat_start",
            default="test digit",
            options=["test digit", "my drawing"],
        )
        ia = ui.persisted(
            a_col.number_input,
            "Start test digit #",
            key="lat_ia",
            default=digits.start,
            min_value=0,
            max_value=digits.n_test - 1,
            step=1,
        )
        ib = ui.persisted(
            b_col.number_input,
            "End test digit #",
            key="lat_ib",
            default=digits.end,
            min_value=0,
            max_value=digits.n_test - 1,
            step=1,
        )
        mode = ui.persisted(
            p_col.radio,
            "Path",
            key="lat_path",
            options=["linear", "spherical"],
            default="spherical" if ex.has_prior(result) else "linear",
            help=D.PATH_HELP,
        )
        t = ui.persisted(
            st.slider,
            "Position along the path",
            key="lat_t",
            default=D.T,
            min_value=0.0,
            max_value=1.0,
            step=0.05,
        )
        drawn = None
        if start == "my drawing":
            drawn = ui.draw_digit("lat_canvas", side=digits.side, size_px=200, page="Latent space")
            if drawn is None:
                st.warning(f"Nothing drawn yet: the start is test digit #{int(ia)}.")
        path = ui.call(ex.interpolation, result, dataset, lab.seed, int(ia), int(ib), t, mode, drawn)
        ui.image_grid(
            path.strip, D.STEPS, caption=f"Decoded codes from start to end ({mode} path)", width=540
        )
        ends = (path.start, path.decoded, path.end), ("start", f"decoded at {t:.2f}", "end")
        for col, img, caption in zip(st.columns(3), *ends, strict=True):
            with col:
                ui.show_image(img.reshape(digits.side, digits.side), caption=caption, width=140)
    with left:
        figure = ui.main_figure()
        method = "PCA"
        if latent_dim > 2:
            method = ui.persisted(
                st.radio,
                "Show codes with",
                key="lat_proj",
                default="PCA",
                options=["PCA", "t-SNE"],
                horizontal=True,
            )
        cmap = ui.call(ex.code_map, result, dataset, lab.seed, method)
        with figure:
            ui.show_chart(charts.code_map(cmap, path))
            if latent_dim == 2:
                st.caption("Dashed: the path of the slider in the code plane; diamond: the decoded point.")


if tabs[0].open:
    with tabs[0]:
        slide()
        if latent_dim == 2:
            st.subheader("The decoder's map of the latent plane")
            n_grid = ui.persisted(
                st.slider, "Grid size", key="lat_grid", default=D.GRID, min_value=5, max_value=25
            )
            span = (
                "N(0, 1) quantiles 2.5 %..97.5 %"
                if ex.has_prior(result)
                else "1st..99th percentile of the codes"
            )
            st.caption(f"Each tile decodes one point of a regular grid over the latent plane ({span}).")
            ui.image_grid(
                ui.call(ex.decoder_map, result, dataset, lab.seed, n_grid), n_grid, pad=0, width=560
            )
        else:
            st.info(
                "Pick latent size 2 to see the decoder's whole map of the latent plane as a grid of digits."
            )

if tabs[1].open:
    with tabs[1]:
        rec = ui.call(ex.reconstructions, result, dataset, lab.seed)
        st.subheader("Originals (top) and reconstructions (bottom)")
        ui.image_grid(rec.images, 12, width=1050)
        st.metric("Mean squared error per pixel on test digits", f"{rec.mse:.4f}")
        st.subheader("The bottleneck: error and code quality against latent size")
        sweep = ui.on_demand(
            "Train across latent sizes",
            ex.latent_sweep,
            D.sweep_specs(spec, dataset, lab.seed),
            dataset,
            lab.seed,
            lab.device,
            key="lat_sweep",
            progress=True,
            note=f"trains the {model_name} at every latent size {list(ae.LATENT_SIZES)}, "
            "kept in the model store after the first time",
        )
        if sweep is not None:
            for col, chart in zip(st.columns(2), charts.sweep(sweep), strict=True):
                with col:
                    ui.show_chart(chart)
            st.dataframe(sweep, hide_index=True)

if tabs[2].open:
    with tabs[2]:
        s1, s2 = st.columns(2)
        n_comp = ui.persisted(
            s1.slider,
            "Gaussian-mixture components",
            key="lat_gmm",
            default=D.GMM_COMPONENTS,
            min_value=1,
            max_value=30,
        )
        gan_name = ui.persisted(
            s2.radio, "GAN", key="lat_gan", default=D.DEFAULT_GAN, options=list(D.GANS), horizontal=True
        )
        gres = ui.train(D.gan_spec(gan_name, dataset, lab.seed))
        gan = None if gres.diverged else gres
        samples = ui.call(ex.sampling, result, gan, dataset, lab.seed, n_comp, model_name, gan_name)
        st.caption(
            f"A random forest trained on real digits (test accuracy {samples.classifier_accuracy:.1%}) "
            "labels every sample; a sample counts as recognised when its top class gets probability "
            f">= {D.CONFIDENT:g}. For reference, {samples.real_recognised:.0%} of real test digits are "
            "recognised that way."
        )
        for s in samples.sets:
            st.markdown(f"**{s.title}**: {s.recognised:.0%} of {D.N_SAMPLES} samples recognised confidently")
            g1, g2 = st.columns([1.3, 1])
            with g1:
                ui.image_grid(s.images, 10, width=680)
            with g2:
                ui.show_chart(charts.class_histogram(s.histogram))
        if gan is not None:
            st.markdown(f"**Slide between two {gan_name} samples** (spherical path between two prior draws)")
            q1, q2, q3 = st.columns([1, 1, 2])
            seed_a = ui.persisted(
                q1.number_input,
                "First draw #",
                key="lat_gan_a",
                default=D.GAN_DRAWS[0],
                min_value=0,
                max_value=9999,
                step=1,
            )
            seed_b = ui.persisted(
                q2.number_input,
                "Second draw #",
                key="lat_gan_b",
                default=D.GAN_DRAWS[1],
                min_value=0,
                max_value=9999,
                step=1,
            )
            gt = ui.persisted(
                q3.slider,
                "Position along the path",
                key="lat_gan_t",
                default=D.T,
                min_value=0.0,
                max_value=1.0,
                step=0.05,
            )
            gimgs = ui.call(ex.gan_slide, gan, int(seed_a), int(seed_b), gt)
            r1, r2 = st.columns([3, 1])
            with r1:
                ui.image_grid(
                    gimgs[: D.STEPS], D.STEPS, caption="from the first draw to the second", width=780
                )
            with r2:
                ui.show_image(
                    gimgs[D.STEPS].reshape(digits.side, digits.side), caption=f"GAN at {gt:.2f}", width=140
                )

if tabs[3].open:
    with tabs[3]:
        st.markdown(
            "k-means (k = 10) on held-out test digits; clusters are matched to labels with the "
            "Hungarian algorithm only to score them."
        )
        use_main = ui.persisted(
            st.toggle,
            f"Cluster the codes of the model chosen above (else a {D.CLUSTER_LATENT}-D dense VAE)",
            key="lat_clu_main",
            default=False,
        )
        cres = result if use_main else ui.train(D.cluster_spec(dataset, lab.seed))
        clu = ui.call(ex.clustering, cres, dataset, lab.seed)
        st.caption(
            "The trick: t-SNE first places the codes of all digits (train digits unlabelled, to see the "
            "shape of the data) on a plane where classes form tight islands; k-means then finds them."
        )
        tsne = ui.on_demand(
            "Cluster after a t-SNE embedding",
            ui.call,
            ex.tsne_clustering,
            cres,
            dataset,
            lab.seed,
            key="lat_tsne",
            note="about half a minute",
        )
        reports = [*clu.reports, *([tsne] if tsne is not None else [])]
        st.dataframe(ex.cluster_table(reports).style.format(precision=3), hide_index=True)
        names = [r.features for r in reports]
        pick = st.radio(
            "Confusion matrix of", options=names, index=len(reports) - 1, horizontal=True, key="lat_clu_pick"
        )
        ui.show_chart(charts.confusion(reports[names.index(pick)]))
        st.metric("SVM trained on frozen codes: test accuracy", f"{clu.svm_accuracy:.1%}")
        st.caption("Accuracy against latent size: see 'Train across latent sizes' in the bottleneck tab.")

if tabs[4].open:
    with tabs[4]:
        st.markdown("Two moons through a **one-number** bottleneck: the decoder can only draw a curve.")
        m1, m2 = st.columns(2)
        train_noise = ui.persisted(
            m1.select_slider,
            "Noise of the training data",
            key="lat_moon_train",
            default=D.MOONS_TRAIN_NOISE,
            options=list(D.MOONS_NOISE),
        )
        test_noise = ui.persisted(
            m2.slider,
            "Noise of the test data",
            key="lat_moon_test",
            default=D.MOONS_TEST_NOISE,
            min_value=0.0,
            max_value=0.5,
            step=0.05,
        )
        mres = {kind: ui.train(s) for kind, s in D.moons_specs(train_noise, lab.seed).items()}
        moons = ui.call(ex.moons_view, mres["ae"], mres["mmd"], train_noise, test_noise, lab.seed)
        mc1, mc2 = st.columns([1.4, 1])
        with mc1:
            ui.show_chart(charts.moons(moons))
            st.metric("Test reconstruction error (squared distance to the line)", f"{moons.rec_err:.3f}")
        with mc2:
            ui.show_chart(charts.code_histogram(moons))

if tabs[5].open:
    with tabs[5]:
        st.markdown(
            "A **denoising** autoencoder sees corrupted digits and is trained to give back the clean "
            "ones. The random forest judges all three rows."
        )
        d1, d2 = st.columns(2)
        kind = ui.persisted(
            d1.radio,
            "Corruption",
            key="lat_dn_kind",
            default=D.DENOISE_KIND,
            options=list(D.DENOISE_LEVEL),
            horizontal=True,
        )
        if kind == "blur":
            level = ui.persisted(
                d2.slider,
                "Blur sigma (pixels)",
                key="lat_dn_sigma",
                default=D.DENOISE_LEVEL["blur"],
                min_value=0.0,
                max_value=3.0,
                step=0.1,
            )
        else:
            level = ui.persisted(
                d2.slider,
                "Noise standard deviation",
                key="lat_dn_std",
                default=D.DENOISE_LEVEL["noise"],
                min_value=0.0,
                max_value=1.0,
                step=0.05,
            )
        dspec = D.denoise_spec(kind, dataset, lab.seed)
        dn = ui.call(ex.denoising, ui.train(dspec), dataset, lab.seed, kind, level)
        ui.image_grid(dn.images, 12, caption="originals / corrupted / denoised", width=1050)
        st.caption(f"Trained at {dspec.cfg.corrupt_level:g} ({kind}); the slider corrupts the test digits.")
        ui.show_chart(charts.accuracy_bars(dn.accuracy))
