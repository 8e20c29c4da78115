"""Latent space: autoencoders, VAE, MMD-AE and GAN; interpolation, sampling, clustering, denoising."""

import streamlit as st

from annlab import ui
from annlab.latent import charts
from annlab.latent import defaults as D
from annlab.latent import experiments as ex

lab = ui.current()
ui.page("Latent space", D.LEAD, look_for=D.LOOK_FOR)
head, more = st.columns([5, 1], vertical_alignment="bottom")
with head:
    top = ui.controls(D.TOP, 4)  # data set, model, latent size, loss
dataset, model_name, latent_dim, loss = D.DATASETS[top["data"]], top["model"], top["latent_dim"], top["loss"]
is_vae = D.MODELS[model_name]["kind"] == "vae"
with more.popover("Training", icon=":material/tune:", width="stretch"):
    budget = ui.controls(D.budget_controls(dataset, is_vae), 1)  # epochs, batch size, beta (VAE)
digits = ex.digit_set(dataset, lab.seed)
if digits.warning:
    st.warning(digits.warning)
spec = D.main_spec(model_name, dataset, latent_dim, loss, lab.seed, **budget)
result = ui.train(spec, show_curves=False)  # always one slot, so the canvas below keeps its place
if result.diverged:
    st.stop()


def row(charts_, widths=None):  # charts side by side
    for col, chart in zip(st.columns(widths or len(charts_)), charts_, strict=True):
        with col:
            ui.show_chart(chart)


@st.fragment
def slide_section():
    """The slide and its code map: the slider reruns only this and picks a position decoded once."""
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
        path = ui.call(ex.slide, result, dataset, lab.seed, int(ia), int(ib), mode, drawn).at(t)
        ui.image_grid(path.strip, D.STEPS, caption=f"Decoded codes from start to end ({mode})", width=540)
        ui.image_grid(path.ends, 3, caption=f"start / decoded at {t:.2f} / end", width=470, pad=4)
    with left:
        method = ui.control(D.PROJECTION) if latent_dim > 2 else "PCA"
        with ui.main_figure():
            cmap, point = ui.call(ex.code_map, result, dataset, lab.seed, method), charts.point_row(path)
            ui.chart(charts.code_map, cmap, path.path, data_values={charts.POINT_DATA: point})


def map_tab():
    slide_section()
    if latent_dim != 2:
        st.info(D.GRID_INFO)
        return
    st.subheader("The decoder's map of the latent plane")
    n_grid = ui.control(D.GRID_SIZE)
    st.caption(D.grid_caption(ex.has_prior(result)))
    ui.image_grid(ui.call(ex.decoder_map, result, dataset, lab.seed, n_grid), n_grid, pad=0, width=560)


def reconstruction_tab():
    rec = ui.call(ex.reconstructions, result, dataset, lab.seed)
    ui.image_grid(rec.images, 12, caption="Test digits (top) and reconstructions (bottom)", width=1050)
    st.metric("Mean squared error per pixel on test digits", f"{rec.mse:.4f}")
    st.markdown(D.recon_caption(rec))
    groups = [("loss", "val_loss"), *([("recon", "val_recon"), ("reg", "val_reg")] if is_vae else [])]
    st.caption(D.CURVES_NOTE)
    row([charts.curves(result.history, group) for group in groups])
    if is_vae:
        vae = ui.call(ex.vae_report, result, dataset, lab.seed)
        st.metric("Test ELBO per digit (beta = 1)", f"{vae.elbo:.1f}", help=D.elbo_help(vae, loss))
        st.markdown(D.elbo_caption(vae, loss))
        ui.chart(charts.kl_per_dim, vae)
    snap = tuple(ui.control(D.snapshot_control(budget["num_epochs"])))
    er = ui.call(ex.epoch_reconstructions, result, dataset, lab.seed, snap)
    ui.image_grid(er.images, er.n, caption=f"Validation digits, then after epochs {er.epochs}", width=520)
    st.subheader("The bottleneck: error and code quality against latent size")
    args = (ex.latent_sweep, D.sweep_specs(spec, dataset, lab.seed), dataset, lab.seed, lab.device)
    sweep = ui.on_demand(D.SWEEP_BUTTON, *args, key="lat_sweep", progress=True, note=D.SWEEP_NOTE)
    if sweep is not None:
        ui.show_chart(charts.sweep_validation(sweep))
        with st.expander(D.SWEEP_TEST):  # folded away from what chooses
            row(charts.sweep(sweep))
            st.dataframe(sweep.drop(columns="validation loss"), hide_index=True)
    args = (ex.ae_table, D.seed002_specs(dataset, loss, lab.seed), dataset, lab.seed, lab.device)
    table = ui.on_demand(D.SEED002_BUTTON, *args, key="lat_s002", progress=True, note=D.SEED002_NOTE)
    if table is not None:
        st.caption(D.SEED002_CAPTION)
        st.dataframe(table.style.format(precision=4), hide_index=True)


def sampling_tab():
    s1, s2 = st.columns(2)
    n_comp, gan_name = ui.control(D.GMM, s1), ui.control(D.GAN, s2)
    gan = ui.train(D.gan_spec(gan_name, dataset, lab.seed))
    samples = ui.call(ex.sampling, result, gan, dataset, lab.seed, n_comp, model_name, gan_name)
    st.caption(D.judge_caption(samples.accuracy, samples.real))
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
    ui.image_grid(images, D.STEPS + 1, caption=f"first draw to second, then the GAN at {gt:.2f}", width=860)


def clustering_tab():
    st.markdown(D.CLUSTER_LEAD)
    cres = result if ui.control(D.CLUSTER_MAIN) else ui.train(D.cluster_spec(dataset, lab.seed))
    clu, how = ui.call(ex.clustering, cres, dataset, lab.seed), ui.control(D.MAPPING)
    st.caption(D.CLUSTER_NOTES)  # the three mappings; t-SNE's caveats
    args = (ui.call, ex.tsne_clustering, cres, dataset, lab.seed)  # ui.call: once per model, for all users
    tsne = ui.on_demand("Cluster after a t-SNE embedding", *args, key="lat_tsne", note="about half a minute")
    reports = [*clu.reports, *([tsne] if tsne is not None else [])]
    st.dataframe(ex.cluster_table(reports).style.format(precision=3), hide_index=True)
    names = [r.features for r in reports]
    pick = st.radio("Confusion matrix of", names, index=len(names) - 1, horizontal=True, key="lat_clu_pick")
    ui.show_chart(charts.confusion(reports[names.index(pick)], how))
    st.markdown(D.svm_caption(clu.svm_accuracy, clu.pixel_svm_accuracy))
    row(charts.cluster_scatter(clu))


def moons_tab():
    st.markdown(D.MOONS_LEAD)
    m = ui.controls(D.MOON_TABLE, 5)
    specs = D.moons_specs(m["train_noise"], lab.seed, beta=m["beta"], bandwidth=m["bandwidth"])
    a, mm, a2 = (ui.train(specs[kind]) for kind in ("ae", "mmd", "ae2"))  # a2: a plain AE, 2-D code
    moons = ui.call(ex.moons_view, a, mm, m["train_noise"], m["test_noise"], lab.seed, m["n_gmm"], a2)
    row([build(moons) for build in (charts.moons, charts.code_histogram, charts.mmd_codes)], [1.4, 1, 1])
    st.metric(D.MOONS_ERROR, f"{moons.rec_err:.3f}")
    st.markdown(D.moons_caption(moons))
    ui.show_chart(charts.mmd_reconstructions(moons))
    args = (D.STUDY_BUTTON, ex.moons_study, m["train_noise"], lab.seed, D.digits8_specs(lab.seed), lab.device)
    study = ui.on_demand(*args, key="lat_moon_grid", note=D.STUDY_NOTE, progress=True, **D.STUDY)
    if study is not None:
        row([*charts.moons_grid(study.grid), charts.moons_net_grid(study.net_grid)])
        st.dataframe(study.repeats.style.format(precision=4), hide_index=True)
        ui.image_grid(study.digits8.images, 10, caption=D.DIGITS8_CAPTION, width=520)
        st.dataframe(study.digits8.table.style.format(precision=3), hide_index=True)
        row(charts.digits8_grid(study.digits8_grid))  # seed 003's grid, on validation digits


def denoising_tab():
    st.markdown(D.DENOISE_LEAD)
    d1, d2, d3 = st.columns(3)
    kind, dim = ui.control(D.DN_KIND, d1), ui.control(D.DN_DIM, d3)
    level = ui.control(D.DN_LEVEL[kind], d2)
    denoiser = ui.train(D.denoise_spec(kind, dataset, lab.seed, dim))
    cnn = ui.train(s) if (s := D.cnn_judge_spec(dataset, lab.seed)) is not None else None
    dn = ui.call(ex.denoising, denoiser, dataset, lab.seed, kind, level, cnn)
    ui.image_grid(dn.images, 12, caption="originals / corrupted / denoised", width=1050)
    st.caption(f"Trained at {D.DENOISE_LEVEL[kind]:g} ({kind}); the slider corrupts the test digits.")
    ui.show_chart(charts.accuracy_bars(dn.accuracy))


def gan_tab():
    g1, g2 = st.columns([1, 2])
    gan_name, preset = ui.control(D.GAN, g1), D.GAN_PRESETS[ui.control(D.GAN_PRESET, g2)] or {}
    settings = {**ui.controls({k: c for k, c in D.GAN_TABLE.items() if k not in preset}, 3), **preset}
    if preset:
        st.caption(D.preset_caption(preset))
    gan = ui.train(D.gan_spec(gan_name, dataset, lab.seed, **settings))  # "ema" only picks the sampler
    row(charts.gan_curves(gan.history))
    snap = ui.control(D.snapshot_control(len(gan.history), "lat_gan_snap"))
    ep = ui.call(ex.gan_epochs, gan, dataset, lab.seed, tuple(snap), averaged=bool(settings["ema"]))
    ui.image_grid(ep.images, ep.n, caption=D.gan_epochs_caption(ep), width=560)
    ui.chart(charts.gan_histograms, ep)


SECTIONS = (map_tab, reconstruction_tab, sampling_tab, clustering_tab, moons_tab, denoising_tab, gan_tab)
tabs = st.tabs(D.TABS, on_change="rerun", key="lat_tab", bind="query-params")
for tab, section in zip(tabs, SECTIONS, strict=True):
    if tab.open:  # only the open tab computes or trains
        with tab:
            section()
ui.learning_curves(result, spec)
