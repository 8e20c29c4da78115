"""Latent space: autoencoders, VAE, MMD-AE and GAN; interpolation, sampling, clustering, denoising."""

import streamlit as st

from annlab import ui
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
c1, c2, c3, c4 = st.columns([1.2, 1.5, 0.8, 1.0])
dataset = D.DATASETS[ui.control(D.DATA, c1)]
model_name, latent_dim, loss = ui.control(D.MODEL, c2), ui.control(D.LATENT, c3), ui.control(D.LOSS, c4)
digits = ex.digit_set(dataset, lab.seed)
if digits.warning:
    st.warning(digits.warning)
spec = D.main_spec(model_name, dataset, latent_dim, loss, lab.seed)
result = ui.train(spec, show_curves=False)  # always one slot, so the canvas below keeps its place
if result.diverged:
    st.stop()


@st.fragment
def map_tab():
    """The map of the test codes and a slide between two digits: moving the slider reruns only this."""
    left, right = st.columns(2)
    with right:
        a, b, c = st.columns([1.2, 1, 1])
        start_at, end_at = D.end_controls(digits.start, digits.end, digits.last)
        start, ia, ib = ui.control(D.START, a), ui.control(start_at, b), ui.control(end_at, c)
        p, s = st.columns([1, 2])
        mode, t = ui.control(D.path_control(ex.has_prior(result)), p), ui.control(D.T_SLIDER, s)
        canvas = dict(side=digits.side, size_px=200, page="Latent space")
        drawn = ui.draw_digit("lat_canvas", **canvas) if start == "my drawing" else None
        if start == "my drawing" and drawn is None:
            st.warning(f"Nothing drawn yet: the start is test digit #{int(ia)}.")
        path = ui.call(ex.interpolation, result, dataset, lab.seed, int(ia), int(ib), t, mode, drawn)
        ui.image_grid(path.strip, D.STEPS, caption=f"Decoded codes from start to end ({mode})", width=540)
        ui.image_grid(path.ends, 3, caption=f"start / decoded at {t:.2f} / end", width=470, pad=4)
    with left:
        method = ui.control(D.PROJECTION) if latent_dim > 2 else "PCA"
        with ui.main_figure():
            ui.chart(charts.code_map, ui.call(ex.code_map, result, dataset, lab.seed, method), path)
    if latent_dim != 2:
        st.info("Pick latent size 2 to see the decoder's whole map of the latent plane as a grid of digits.")
        return
    st.subheader("The decoder's map of the latent plane")
    n_grid = ui.control(D.GRID_SIZE)
    span = "N(0, 1) quantiles 2.5 %..97.5 %" if ex.has_prior(result) else "1st..99th percentile of the codes"
    st.caption(f"Each tile decodes one point of a regular grid over the latent plane ({span}).")
    ui.image_grid(ui.call(ex.decoder_map, result, dataset, lab.seed, n_grid), n_grid, pad=0, width=560)


def reconstruction_tab():
    rec = ui.call(ex.reconstructions, result, dataset, lab.seed)
    ui.image_grid(rec.images, 12, caption="Originals (top) and reconstructions (bottom)", width=1050)
    st.metric("Mean squared error per pixel on test digits", f"{rec.mse:.4f}")
    st.subheader("The bottleneck: error and code quality against latent size")
    note = f"trains the {model_name} at every latent size, once"
    args = (ex.latent_sweep, D.sweep_specs(spec, dataset, lab.seed), dataset, lab.seed, lab.device)
    sweep = ui.on_demand("Train across latent sizes", *args, key="lat_sweep", progress=True, note=note)
    if sweep is not None:
        for col, chart in zip(st.columns(2), charts.sweep(sweep), strict=True):
            with col:
                ui.show_chart(chart)
        st.dataframe(sweep, hide_index=True)


def sampling_tab():
    s1, s2 = st.columns(2)
    n_comp, gan_name = ui.control(D.GMM, s1), ui.control(D.GAN, s2)
    gan = ui.train(D.gan_spec(gan_name, dataset, lab.seed))
    samples = ui.call(ex.sampling, result, gan, dataset, lab.seed, n_comp, model_name, gan_name)
    st.caption(
        f"A random forest (test accuracy {samples.accuracy:.1%}) labels every sample, recognised if its top "
        f"class gets probability >= {D.CONFIDENT:g} (true of {samples.real:.0%} of real test digits)."
    )
    for s in samples.sets:
        st.markdown(f"**{s.title}**: {s.recognised:.0%} of {D.N_SAMPLES} samples recognised confidently")
        g1, g2 = st.columns([1.3, 1])
        with g1:
            ui.image_grid(s.images, 10, width=680)
        with g2:
            ui.show_chart(charts.class_histogram(s.histogram))
    if gan.diverged:
        return
    st.markdown(f"**Slide between two {gan_name} samples** (spherical path between two prior draws)")
    q1, q2, q3 = st.columns([1, 1, 2])
    seed_a, seed_b, gt = ui.control(D.GAN_A, q1), ui.control(D.GAN_B, q2), ui.control(D.GAN_T, q3)
    images = ui.call(ex.gan_slide, gan, int(seed_a), int(seed_b), gt)
    r1, r2 = st.columns([3, 1])
    with r1:
        ui.image_grid(images[: D.STEPS], D.STEPS, caption="from the first draw to the second", width=780)
    with r2:
        ui.show_image(images[D.STEPS].reshape(digits.side, -1), caption=f"GAN at {gt:.2f}", width=140)


def clustering_tab():
    st.markdown(
        "k-means (k = 10) on held-out test digits; clusters are matched to labels with the "
        "Hungarian algorithm only to score them."
    )
    cres = result if ui.control(D.CLUSTER_MAIN) else ui.train(D.cluster_spec(dataset, lab.seed))
    clu = ui.call(ex.clustering, cres, dataset, lab.seed)
    st.caption(
        "The trick: t-SNE first places the codes of all digits (train digits unlabelled, to see the "
        "shape of the data) on a plane where classes form tight islands; k-means then finds them."
    )
    args = (ui.call, ex.tsne_clustering, cres, dataset, lab.seed)  # ui.call: once per model, for all users
    tsne = ui.on_demand("Cluster after a t-SNE embedding", *args, key="lat_tsne", note="about half a minute")
    reports = [*clu.reports, *([tsne] if tsne is not None else [])]
    st.dataframe(ex.cluster_table(reports).style.format(precision=3), hide_index=True)
    names = [r.features for r in reports]
    pick = st.radio("Confusion matrix of", names, index=len(names) - 1, horizontal=True, key="lat_clu_pick")
    ui.show_chart(charts.confusion(reports[names.index(pick)]))
    st.metric("SVM trained on frozen codes: test accuracy", f"{clu.svm_accuracy:.1%}")
    st.caption("Accuracy against latent size: see 'Train across latent sizes' in the bottleneck tab.")


def moons_tab():
    st.markdown("Two moons through a **one-number** bottleneck: the decoder can only draw a curve.")
    m1, m2 = st.columns(2)
    train_noise, test_noise = ui.control(D.MOON_TRAIN, m1), ui.control(D.MOON_TEST, m2)
    mres = {kind: ui.train(s) for kind, s in D.moons_specs(train_noise, lab.seed).items()}
    moons = ui.call(ex.moons_view, mres["ae"], mres["mmd"], train_noise, test_noise, lab.seed)
    mc1, mc2 = st.columns([1.4, 1])
    with mc1:
        ui.show_chart(charts.moons(moons))
        st.metric("Test reconstruction error (squared distance to the line)", f"{moons.rec_err:.3f}")
    with mc2:
        ui.show_chart(charts.code_histogram(moons))


def denoising_tab():
    st.markdown(
        "A **denoising** autoencoder sees corrupted digits and is trained to give back the clean "
        "ones. The random forest judges all three rows."
    )
    d1, d2 = st.columns(2)
    kind = ui.control(D.DN_KIND, d1)
    level = ui.control(D.DN_LEVEL[kind], d2)
    denoiser = ui.train(D.denoise_spec(kind, dataset, lab.seed))
    dn = ui.call(ex.denoising, denoiser, dataset, lab.seed, kind, level)
    ui.image_grid(dn.images, 12, caption="originals / corrupted / denoised", width=1050)
    st.caption(f"Trained at {D.DENOISE_LEVEL[kind]:g} ({kind}); the slider corrupts the test digits.")
    ui.show_chart(charts.accuracy_bars(dn.accuracy))


SECTIONS = (map_tab, reconstruction_tab, sampling_tab, clustering_tab, moons_tab, denoising_tab)
tabs = st.tabs(D.TABS, on_change="rerun", key="lat_tab", bind="query-params")
for tab, section in zip(tabs, SECTIONS, strict=True):
    if tab.open:  # only the open tab computes or trains
        with tab:
            section()
ui.learning_curves(result, spec)
