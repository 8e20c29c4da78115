"""Latent-space tools (matching, clustering, interpolation, sampling, judging) and the Latent space page."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from annlab import latent as lat
from annlab.data import digits8

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "4_Latent_space.py")


def test_hungarian_accuracy_is_one_for_a_permuted_perfect_clustering():
    y = np.repeat(np.arange(10), 7)
    perm = np.random.default_rng(0).permutation(10)
    clusters = perm[y] + 100  # arbitrary cluster ids
    assert lat.cluster_accuracy(y, clusters) == 1.0
    assert lat.match_clusters(y, clusters) == {int(perm[k] + 100): k for k in range(10)}


def test_hungarian_accuracy_partial_and_one_to_one():
    y = np.array([0, 0, 0, 1, 1, 1])
    assert lat.cluster_accuracy(y, np.array([5, 5, 7, 7, 7, 7])) == pytest.approx(5 / 6)
    # one cluster for everything: only one label can be matched
    assert lat.cluster_accuracy(y, np.zeros(6, int)) == pytest.approx(0.5)


def test_cluster_report_on_separated_blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (4, 5))
    y = np.repeat(np.arange(4), 30)
    F = centres[y] + rng.normal(0, 0.1, (120, 5))
    rep = lat.cluster_report(F, y, k=4, seed=0)
    assert rep.accuracy == 1.0 and rep.ari == pytest.approx(1.0) and rep.nmi == pytest.approx(1.0)
    assert rep.silhouette > 0.9
    assert rep.confusion.shape == (4, 5) and np.trace(rep.confusion) == 120
    noise = lat.cluster_report(rng.normal(size=(120, 5)), y, k=4, seed=0)
    assert noise.ari < 0.1 and noise.accuracy < 0.6


def test_interpolation_ends_midpoints_and_norm():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    path = lat.interpolate(a, b, 5, "linear")
    assert path.shape == (5, 2) and np.allclose(path[0], a) and np.allclose(path[-1], b)
    assert np.allclose(path[2], [1.5, 1.5])
    sph = lat.interpolate(a, b, 5, "spherical")
    assert np.allclose(sph[0], a, atol=1e-6) and np.allclose(sph[-1], b, atol=1e-6)
    assert np.allclose(np.linalg.norm(sph, axis=1), 3.0, atol=1e-5)  # stays on the sphere
    assert np.allclose(lat.slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: falls back to lerp
    with pytest.raises(ValueError):
        lat.interpolate(a, b, 1)


def test_grid_projection_and_sampling_shapes():
    assert lat.latent_grid(None, 4, prior=True).shape == (16, 2)
    Z = np.random.default_rng(0).normal(size=(200, 2))
    g = lat.latent_grid(Z, 5)
    assert g.shape == (25, 2) and g[0, 1] > g[-1, 1]  # top row first
    assert lat.project_2d(np.ones((10, 1))).shape == (10, 2)
    P = lat.project_2d(np.random.default_rng(1).normal(size=(50, 8)), "PCA")
    assert P.shape == (50, 2)
    S = lat.gmm_sample(Z + 5.0, 3, 100, seed=0)
    assert S.shape == (100, 2) and abs(S.mean() - 5.0) < 0.5
    assert np.array_equal(S, lat.gmm_sample(Z + 5.0, 3, 100, seed=0))
    with pytest.raises(ValueError):
        lat.gmm_sample(Z, 0, 10)


def test_code_classifier_and_digit_judge():
    d = digits8()
    acc = lat.code_classifier_accuracy(d.X_train, d.y_train, d.X_test, d.y_test)
    assert acc > 0.9  # the 8x8 pixels themselves are good "codes"
    verdict = lat.judge(d.X_test[:100], "digits8")
    assert verdict["recognised"] > 0.5
    assert np.mean(verdict["labels"] == d.y_test[:100]) > 0.8
    assert verdict["histogram"].sum() == int(round(verdict["recognised"] * 100))
    blank = lat.judge(np.zeros((20, 64), np.float32), "digits8")
    assert len(set(blank["labels"])) == 1  # mode collapse is visible: one class only


def test_moons_autoencoder_draws_a_curve():
    from annlab import autoencoders as ae
    from annlab.data import two_moons

    cfg = lat.moons_config("ae", num_epochs=30)
    r = ae.train_autoencoder(cfg, two_moons(400, noise=0.05, seed=0)[0], seed=0)
    X = two_moons(200, noise=0.05, seed=1)[0]
    Z = ae.encode(r.model, X)
    assert Z.shape == (200, 1)
    curve = lat.moons_curve(r.model, Z, 50)
    assert curve.shape == (50, 2)
    err = float(((ae.reconstruct(r.model, X) - X) ** 2).sum(1).mean())
    assert err < 0.5 * float(X.var(0).sum())  # better than reconstructing the mean


def test_default_configs_cover_every_model_family():
    cfgs = lat.default_configs("mnist")
    assert {"main", "cluster", "gan", "denoise"} <= set(cfgs)
    for name in lat.MODELS:
        assert lat.model_config(name, "digits8", 8).input_dim == 64
    with pytest.raises(ValueError):
        lat.model_config("no such model")


# --- the page --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _strip_caption_image(at):
    for el in at.get("image"):
        for url, caption in zip(el.value, el.captions, strict=True):
            if caption.startswith("decoded at"):
                return url, caption
    raise AssertionError("no decoded-at image on the page")


def test_page_renders_and_slider_moves_the_decoded_digit(page):
    at = page
    assert at.title[0].value == "Latent space"
    before = _strip_caption_image(at)
    at.slider(key="lat_t").set_value(0.9).run()
    assert not at.exception
    after = _strip_caption_image(at)
    assert after[1] == "decoded at 0.90" and after[0] != before[0]


def test_page_canvas_path_uses_a_drawn_digit(page):
    at = page
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = 1.0  # a "1"
    at.session_state["_last_drawing"] = (digit, "Hopfield")
    at.slider(key="lat_t").set_value(0.0).run()
    default_start = _strip_caption_image(at)[0]
    at.selectbox(key="lat_start").set_value("my drawing").run()
    assert not at.exception
    assert not any("Nothing drawn" in w.value for w in at.warning)
    assert _strip_caption_image(at)[0] != default_start


def test_digit_scatter_gives_ten_distinct_colours():
    from annlab.charts import scatter

    chart = scatter(np.zeros((10, 2)), np.arange(10), label_title="digit").to_dict()
    assert chart["encoding"]["color"]["scale"] == {"scheme": "tableau10"}  # not the 8 Okabe-Ito colours
    assert chart["encoding"]["color"]["sort"] == [str(i) for i in range(10)]


def test_page_switches_to_the_small_digits_without_error(page):
    at = page  # runs last: it leaves the page on the 8x8 digits
    at.number_input(key="lat_ib").set_value(900).run()
    at.selectbox(key="lat_data").set_value("8x8 digits").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="lat_ib").value <= 359  # clamped to the 360 test digits of the 8x8 set
    assert _strip_caption_image(at)[1].startswith("decoded at")
