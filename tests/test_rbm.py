"""RBM maths against hand formulas and scikit-learn; tiny training runs; inpainting invariants."""

import dataclasses
import itertools
import math

import numpy as np
import pytest
import torch

from annlab.boltzmann import rbm as rbm_module
from annlab.boltzmann.charts import sweep_chart
from annlab.boltzmann.inpaint import (
    centred_rows,
    digit_classifier,
    inpaint,
    mean_fill,
    missing_error,
    region_mask,
    row_mask,
    sweep_rows,
    sweep_steps,
)
from annlab.boltzmann.rbm import RBM, RBMConfig, exact_log_likelihood, fit, sample, train_rbm
from annlab.data import binarize, digits8
from annlab.training import generator


def tiny_rbm() -> RBM:
    m = RBM(3, 2)
    with torch.no_grad():
        m.W.copy_(torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.5, -1.0]]))
        m.b_v.copy_(torch.tensor([0.1, -0.2, 0.3]))
        m.b_h.copy_(torch.tensor([-0.5, 0.25]))
    return m


def sig(x):
    return 1 / (1 + math.exp(-x))


def test_conditionals_and_free_energy_match_hand_computation():
    m = tiny_rbm()
    v = torch.tensor([[1.0, 0.0, 1.0]])
    h = torch.tensor([[1.0, 1.0]])
    # P(h1=1|v) = sig(1*1 + 0.5*1 - 0.5) = sig(1.0); P(h2=1|v) = sig(0 - 1 + 0.25) = sig(-0.75)
    assert m.p_h(v)[0].tolist() == pytest.approx([sig(1.0), sig(-0.75)], abs=1e-6)
    # P(v|h=(1,1)): sig(0.1 + 1 + 0) , sig(-0.2 - 2 + 1.5), sig(0.3 + 0.5 - 1)
    assert m.p_v(h)[0].tolist() == pytest.approx([sig(1.1), sig(-0.7), sig(-0.2)], abs=1e-6)
    # F(v) = -(0.1 + 0.3) - log(1 + e^1) - log(1 + e^-0.75)
    f = -0.4 - math.log(1 + math.e) - math.log(1 + math.exp(-0.75))
    assert float(m.free_energy(v)[0]) == pytest.approx(f, abs=1e-5)
    # and F(v) = -log sum_h exp(-E(v, h)) by enumerating h
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=2)))
    e = m.energy(v.expand(4, 3), hs)
    assert float(m.free_energy(v)[0]) == pytest.approx(float(-torch.logsumexp(-e, 0)), abs=1e-5)


def test_pseudo_likelihood_is_sklearns_estimator():
    from sklearn.neural_network import BernoulliRBM

    split = digits8()
    X = binarize(split.X_test[:200])
    g = generator(3)
    m = RBM(64, 20)
    with torch.no_grad():
        m.W.normal_(0, 0.3, generator=g)
        m.b_v.normal_(0, 0.3, generator=g)
        m.b_h.normal_(0, 0.3, generator=g)
    sk = BernoulliRBM(n_components=20, random_state=7)
    sk.components_ = m.W.numpy().astype(np.float64)
    sk.intercept_hidden_ = m.b_h.numpy().astype(np.float64)
    sk.intercept_visible_ = m.b_v.numpy().astype(np.float64)
    sk.n_features_in_ = 64
    index = np.random.RandomState(7).randint(0, 64, len(X))  # the bits sklearn flips for random_state=7
    ours = m.pseudo_likelihood(torch.as_tensor(X), index=torch.as_tensor(index)).numpy()
    np.testing.assert_allclose(ours, sk.score_samples(X), rtol=1e-4, atol=1e-3)


def toy_data(n=300, seed=0):
    """Three 6-pixel prototypes with 5% bit noise."""
    rng = np.random.default_rng(seed)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], np.float32)
    X = protos[rng.integers(0, 3, n)]
    flip = rng.random(X.shape) < 0.05
    return np.where(flip, 1 - X, X).astype(np.float32)


@pytest.mark.parametrize("method,k", [("cd", 1), ("pcd", 1), ("cd", 3), ("pcd", 3)])
def test_exact_log_likelihood_rises_under_training(method, k):
    X = torch.as_tensor(toy_data())
    cfg = RBMConfig(n_hidden=4, lr=0.1, num_epochs=30, batch_size=10, method=method, k=k)
    init = fit(RBMConfig(n_hidden=4, lr=1e-12, num_epochs=1, batch_size=10), X, X, seed=1).model
    trained = fit(cfg, X, X, seed=1).model
    before, after = exact_log_likelihood(init, X), exact_log_likelihood(trained, X)
    # The initial model is (nearly) independent pixels at the data's means, about -3.8 nats; the true
    # mixture of three prototypes with 5% noise has log(1/3) + 6 * (0.05 log 0.05 + 0.95 log 0.95) = -2.3.
    assert -4.2 < before < -3.5
    assert after > before + 0.8, (before, after)
    assert after < -2.2


def test_clamped_pixels_never_change_during_inpainting():
    split = digits8()
    X = binarize(split.X_test[:30])
    result = train_rbm(RBMConfig(dataset="digits8", n_hidden=32, num_epochs=2), binarize(split.X_train))
    missing = row_mask(8, 2, 5)
    R = inpaint(result.model, X, missing, steps=25, seed=0)
    assert np.array_equal(R[:, ~missing], X[:, ~missing])
    assert np.all((R[:, missing] >= 0) & (R[:, missing] <= 1))
    # the chain's binary state keeps the clamped values at every step: check through gibbs directly
    v = torch.as_tensor(X)
    known = torch.as_tensor(~missing)
    out = result.model.gibbs(v, 10, generator(0), known=known)
    assert torch.equal(out["v"][:, known], v[:, known])


def test_inpainting_beats_the_mean_image_and_is_seeded():
    split = digits8()
    Xtr, X = binarize(split.X_train), binarize(split.X_test[:150])
    model = train_rbm(RBMConfig(dataset="digits8", n_hidden=64, lr=0.1, num_epochs=30), Xtr).model
    missing = row_mask(8, *centred_rows(8, 3))
    R = inpaint(model, X, missing, steps=50, seed=1, mean_last=25)
    base = mean_fill(X, missing, Xtr.mean(0))
    assert missing_error(R, X, missing).mean() < 0.9 * missing_error(base, X, missing).mean()
    assert np.array_equal(R, inpaint(model, X, missing, steps=50, seed=1, mean_last=25))
    assert not np.array_equal(R, inpaint(model, X, missing, steps=50, seed=2, mean_last=25))


def test_training_improves_held_out_metrics_and_does_not_modify_input():
    split = digits8()
    Xtr, Xte = binarize(split.X_train), binarize(split.X_test)
    copy = Xtr.copy()
    r = train_rbm(RBMConfig(dataset="digits8", n_hidden=48, lr=0.05, num_epochs=10), (Xtr, Xte), seed=0)
    assert r.diverged is None and len(r.history) == 10
    first, last = r.history[0], r.history[-1]
    assert last["recon_error"] < first["recon_error"]
    assert last["pseudo_ll"] > -30  # sklearn's RBM on load_digits scores about -20 to -25 on its data
    assert np.array_equal(Xtr, copy)
    r2 = train_rbm(RBMConfig(dataset="digits8", n_hidden=48, lr=0.05, num_epochs=10), (Xtr, Xte), seed=0)
    assert torch.equal(r.model.W, r2.model.W)


def test_high_learning_rate_gives_no_nans():
    Xtr = binarize(digits8().X_train)
    r = train_rbm(RBMConfig(dataset="digits8", n_hidden=16, lr=50.0, num_epochs=3), Xtr)
    assert all(math.isfinite(h["pseudo_ll"]) and math.isfinite(h["recon_error"]) for h in r.history)
    assert all(torch.isfinite(p).all() for p in r.model.parameters())
    # an absurd rate overflows: the run stops, says why, and keeps the last finite weights
    r = train_rbm(RBMConfig(dataset="digits8", n_hidden=16, lr=1e37, num_epochs=3), Xtr)
    assert r.diverged and "learning rate" in r.diverged
    assert all(torch.isfinite(p).all() for p in r.model.parameters())
    assert all(math.isfinite(h["pseudo_ll"]) for h in r.history)


def test_sampling_is_seeded_and_traces():
    model = train_rbm(
        RBMConfig(dataset="digits8", n_hidden=16, num_epochs=1), binarize(digits8().X_train)
    ).model
    a = sample(model, 5, 20, seed=4, keep_every=5)
    assert a["p"].shape == (5, 64) and a["trace"].shape == (4, 64)
    assert np.array_equal(a["p"], sample(model, 5, 20, seed=4, keep_every=5)["p"])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_hidden=0),
        dict(lr=-1.0),
        dict(lr=float("nan")),
        dict(k=0),
        dict(method="adam"),
        dict(dataset="cifar"),
        dict(batch_size=0),
    ],
)
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        RBMConfig(**kwargs)


def test_masks():
    m = row_mask(28, 10, 15)
    assert m.reshape(28, 28)[10:16].all() and m.sum() == 6 * 28
    assert centred_rows(28, 6) == (11, 16)
    with pytest.raises(ValueError):
        row_mask(28, 15, 10)
    with pytest.raises(ValueError):
        row_mask(8, 0, 8)
    assert region_mask(8, "left").reshape(8, 8)[:, :4].all() and region_mask(8, "left").sum() == 32
    r = region_mask(28, "random", fraction=0.3, seed=1)
    assert r.sum() == round(0.3 * 784) and np.array_equal(r, region_mask(28, "random", fraction=0.3, seed=1))
    with pytest.raises(ValueError):
        region_mask(8, "diagonal")


def test_sweeps_and_classifier():
    split = digits8()
    Xtr = binarize(split.X_train)
    X, y = binarize(split.X_test[:100]), split.y_test[:100]
    model = train_rbm(RBMConfig(dataset="digits8", n_hidden=64, num_epochs=10), Xtr).model
    clf = digit_classifier("digits8", 0)
    assert (clf.predict(X) == y).mean() > 0.8
    df = sweep_steps({"RBM": model}, X, y, row_mask(8, 2, 5), [0, 20], clf=clf, pixel_mean=Xtr.mean(0))
    assert set(df["method"]) == {"RBM", "mean image fill"} and len(df) == 4
    rbm = df[df.method == "RBM"].set_index("gibbs_steps")
    assert rbm.loc[20, "error"] < rbm.loc[0, "error"]  # 0 steps = every missing pixel at 0.5
    spec = sweep_chart(
        df, x="gibbs_steps", y="error", x_title="Gibbs steps", y_title="MSE", title="t", log_x=True
    ).to_dict()
    assert spec["encoding"]["x"]["scale"]["type"] == "log" and spec["encoding"]["color"]["field"] == "method"
    dr = sweep_rows({"RBM": model}, X, y, 8, [1, 4, 7], 20, clf=clf)
    acc = dr.set_index("rows_removed")["label_acc"]
    assert acc[1] > acc[7]


# --- the page's experiments (annlab.boltzmann.experiments), without Streamlit -----------------------


@pytest.fixture(scope="module")
def digits8_rbm():
    from annlab.boltzmann.rbm import binary_digits

    split, _ = binary_digits("digits8", 0)
    return train_rbm(RBMConfig(dataset="digits8", n_hidden=32, num_epochs=3), (split.X_train, split.X_test))


def test_erase_mask_follows_the_controls():
    from annlab.boltzmann import defaults
    from annlab.boltzmann.experiments import erase_mask

    assert np.array_equal(erase_mask(28, "rows", rows=(3, 9)), row_mask(28, 3, 9))
    assert np.array_equal(erase_mask(8, "rows"), row_mask(8, *defaults.erased_rows(8)))
    assert defaults.erased_rows(28) == (11, 16)  # 6 rows in the middle, as the page always erased
    assert np.array_equal(
        erase_mask(8, "random", fraction=0.3, seed=2), region_mask(8, "random", fraction=0.3, seed=2)
    )
    assert erase_mask(8, "left").reshape(8, 8)[:, :4].all()


def test_inpaint_view_rows_and_metrics(digits8_rbm):
    from annlab.boltzmann.experiments import inpaint_view
    from annlab.boltzmann.rbm import binary_digits

    split, _ = binary_digits("digits8", 0)
    missing = row_mask(8, 2, 4)
    view = inpaint_view(digits8_rbm, "digits8", 0, missing, 30, first=16)
    X = split.X_test[16:24]
    n, V = 8, 64
    assert view.n == n and view.grid.shape == (4 * n, V)
    originals, erased, recon, error = (
        view.grid[:n],
        view.grid[n : 2 * n],
        view.grid[2 * n : 3 * n],
        view.grid[3 * n :],
    )
    assert np.array_equal(originals, X)
    assert np.all(erased[:, missing] == 0.5) and np.array_equal(erased[:, ~missing], X[:, ~missing])
    assert np.array_equal(recon[:, ~missing], X[:, ~missing])  # the known pixels stay clamped
    assert np.all(error[:, ~missing] == 0) and np.allclose(error[:, missing], np.abs(recon - X)[:, missing])
    assert view.error == pytest.approx(float(((recon - X)[:, missing] ** 2).mean()), rel=1e-5)
    assert view.names[0] == f"test #16 ({split.y_test[16]})" and view.drawing_label is None
    # no Gibbs steps: every missing pixel stays at 0.5, so the error on binary pixels is exactly 0.25
    assert inpaint_view(digits8_rbm, "digits8", 0, missing, 0).error == pytest.approx(0.25)


def test_inpaint_view_with_a_drawing(digits8_rbm):
    from annlab.boltzmann.experiments import inpaint_view

    drawn = np.zeros((8, 8), np.float32)
    drawn[1:7, 3:5] = 0.9  # a "1"
    view = inpaint_view(digits8_rbm, "digits8", 0, row_mask(8, 3, 4), 20, drawn=drawn)
    assert view.n == 9 and view.names[0] == "your drawing"
    assert np.array_equal(view.grid[0], (drawn.ravel() > 0.5).astype(np.float32))
    assert view.drawing_label in range(10)
    assert 0.0 <= view.acc_erased <= 1.0 and 0.0 <= view.acc_inpainted <= 1.0


def test_dream_is_seeded_and_traces_a_tenth_of_the_way(digits8_rbm):
    from annlab.boltzmann.experiments import dream

    a = dream(digits8_rbm, 50, seed=3, n=6)
    assert a.p.shape == (6, 64) and a.trace.shape == (10, 64) and a.steps == 50
    assert np.array_equal(a.p, dream(digits8_rbm, 50, seed=3, n=6).p)
    assert not np.array_equal(a.p, dream(digits8_rbm, 50, seed=4, n=6).p)
    assert np.array_equal(a.p, sample(digits8_rbm.model, 6, 50, seed=3, keep_every=5, mean_last=1)["p"])


def test_sweeps_bundle(digits8_rbm):
    from annlab.boltzmann.charts import sweep_charts
    from annlab.boltzmann.defaults import SweepPlan
    from annlab.boltzmann.experiments import sweeps
    from annlab.boltzmann.rbm import binary_digits

    split, _ = binary_digits("digits8", 0)
    plan = SweepPlan(n_test=30, steps=(0, 20), fractions=(0.25, 0.5), n_positions=3)
    seen = []
    res = sweeps(
        digits8_rbm, None, "digits8", 0, 20, plan, callback=lambda i, info: seen.append(info["fraction"])
    )
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert set(res.steps["method"]) == {"RBM", "mean image fill"}
    assert sorted(res.rows["rows_removed"].unique()) == [2, 4]  # round(0.25 * 8), round(0.5 * 8)
    assert res.where["band_start_row"].nunique() == 3
    rbm_steps = res.steps[res.steps.method == "RBM"].set_index("gibbs_steps")
    assert rbm_steps.loc[0, "error"] == pytest.approx(0.25)  # no steps: the missing pixels stay at 0.5
    assert rbm_steps.loc[20, "error"] < 0.25
    clf = digit_classifier("digits8", 0)
    assert res.clean == pytest.approx((clf.predict(split.X_test[:30]) == split.y_test[:30]).mean())
    pairs = sweep_charts(res)
    assert len(pairs) == 3
    specs = [chart.to_dict() for pair in pairs for chart in pair]
    assert [s["encoding"]["x"]["scale"].get("type") for s in specs] == ["log", "log"] + [None] * 4
    assert {s["encoding"]["y"]["field"] for s in specs} == {"error", "label_acc"}


def test_default_specs_and_warm(tmp_path, monkeypatch):
    from annlab import store
    from annlab.boltzmann import defaults

    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    spec = defaults.rbm_spec()
    assert spec.cfg.num_epochs == 2  # fast mode (conftest) at call time
    assert spec.cfg.n_hidden == defaults.RBM.n_hidden and spec.curves == defaults.CURVES
    assert defaults.rbm_spec(n_hidden=16).key != spec.key
    d = defaults.dbm_spec("digits8", n_hidden1=50)
    assert (d.cfg.pretrain_epochs, d.cfg.num_epochs, d.cfg.n_hidden1, d.cfg.dataset) == (1, 1, 50, "digits8")
    monkeypatch.setenv("ANNLAB_FAST", "0")
    assert defaults.rbm_spec().cfg == defaults.RBM  # full settings outside fast mode
    monkeypatch.setenv("ANNLAB_FAST", "1")
    lines = []
    before = len(store.TRAINED)
    defaults.warm("cpu", 1, lines.append)
    trained = store.TRAINED[before:]
    assert [k.split("-")[0] for k in trained] == ["RBMConfig", "DBMConfig", "RBMConfig", "RBMConfig"]
    assert len(lines) == 4
    defaults.warm("cpu", 1, lines.append)  # a second warm-up loads
    assert store.TRAINED[before:] == trained and "cached" in lines[-1]


# --------------------------------------------------------------------------- issue 17 / 18 additions
def _brute_log_z(m: RBM) -> float:
    V, H = m.n_visible, m.n_hidden
    vs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=V)))
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=H)))
    E = torch.stack([m.energy(vs, h.expand(len(vs), H)) for h in hs])  # (2**H, 2**V): every joint state
    return float(torch.logsumexp(-E.flatten(), 0))


@pytest.mark.parametrize("V,H", [(6, 4), (4, 7), (8, 3)])
def test_exact_log_likelihood_matches_brute_force_over_all_states(V, H):
    from annlab.boltzmann.rbm import log_partition

    g = torch.Generator().manual_seed(V * 10 + H)
    m = RBM(V, H)
    with torch.no_grad():
        m.W.copy_(torch.randn(H, V, generator=g))
        m.b_v.copy_(torch.randn(V, generator=g))
        m.b_h.copy_(torch.randn(H, generator=g))
    log_z = _brute_log_z(m)
    assert log_partition(m) == pytest.approx(log_z, abs=1e-4)  # summing out hidden or visible units
    v = torch.tensor(list(itertools.product([0.0, 1.0], repeat=V)))
    ll = exact_log_likelihood(m, v[:5])
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=H)))
    by_hand = torch.stack([torch.logsumexp(-m.energy(x.expand(len(hs), V), hs), 0) for x in v[:5]])
    assert ll == pytest.approx(float(by_hand.mean()) - log_z, abs=1e-4)
    assert float(torch.logsumexp(-m.free_energy(v), 0)) == pytest.approx(log_z, abs=1e-4)  # P sums to 1
    with pytest.raises(ValueError, match="at most"):
        log_partition(RBM(30, 25))


def test_small_rbm_history_has_exact_likelihood_and_free_energy_gap():
    split = digits8()
    Xtr, Xte = binarize(split.X_train[:400]), binarize(split.X_test[:200])
    res = train_rbm(RBMConfig(dataset="digits8", n_hidden=6, lr=0.05, num_epochs=3), (Xtr, Xte), seed=0)
    last = res.history[-1]
    assert {"exact_ll", "exact_ll_per_pixel", "pseudo_ll_per_pixel", "free_energy_gap"} <= set(last)
    assert last["exact_ll"] == pytest.approx(exact_log_likelihood(res.model, torch.tensor(Xte)), rel=1e-5)
    assert res.history[-1]["exact_ll"] > res.history[0]["exact_ll"] - 1.0
    big = train_rbm(RBMConfig(dataset="digits8", n_hidden=32, num_epochs=1), (Xtr, Xte), seed=0)
    assert "exact_ll" not in big.history[-1] and "free_energy_gap" in big.history[-1]


def test_cd_and_pcd_start_from_the_same_weights():
    X = torch.as_tensor(toy_data())
    a = fit(RBMConfig(n_hidden=4, lr=1e-12, num_epochs=1, method="cd"), X, X, seed=5).model
    b = fit(RBMConfig(n_hidden=4, lr=1e-12, num_epochs=1, method="pcd"), X, X, seed=5).model
    assert torch.allclose(a.W, b.W, atol=1e-9)


def test_momentum_trains_and_is_validated():
    X = torch.as_tensor(toy_data())
    cfg = RBMConfig(n_hidden=4, lr=0.05, num_epochs=10, batch_size=10, method="cd")
    plain = fit(cfg, X, X, seed=1).model
    fast = fit(dataclasses.replace(cfg, momentum=0.9), X, X, seed=1).model
    assert not torch.allclose(plain.W, fast.W)
    # steps ten times as long on average: the same epochs get much further (-2.5 against -3.8 nats)
    assert exact_log_likelihood(fast, X) > exact_log_likelihood(plain, X) + 0.5
    with pytest.raises(ValueError, match="momentum"):
        RBMConfig(momentum=1.0)


def test_one_chain_gives_every_slider_position(digits8_rbm):
    from annlab.boltzmann import dbm
    from annlab.boltzmann.inpaint import inpaint_snapshots
    from annlab.boltzmann.rbm import sample_snapshots

    model = digits8_rbm.model
    X = binarize(digits8().X_test[:6])
    missing = row_mask(8, 2, 4)
    positions = [1, 2, 5, 20, 50]
    kept = inpaint_snapshots(model, X, missing, [0, *positions], seed=2)
    for s in positions:
        np.testing.assert_allclose(kept[s], inpaint(model, X, missing, s, seed=2), atol=1e-5)
    assert np.all(kept[0][:, missing] == 0.5)
    dreams = sample_snapshots(model, 4, positions, seed=1)
    for s in positions:
        direct = sample(model, 4, s, seed=1, keep_every=max(1, s // 10), mean_last=1)
        np.testing.assert_allclose(dreams["p"][s], direct["p"], atol=1e-5)
        np.testing.assert_array_equal(dreams["trace"][s], direct["trace"])
    deep = dbm.DBM(64, 8, 4)
    with torch.no_grad():
        deep.W1.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
    kept = sample_snapshots(deep, 3, [5, 10], seed=0)
    np.testing.assert_allclose(kept["p"][10], dbm.sample(deep, 3, 10, seed=0)["p"], atol=1e-5)


def test_inpaint_chain_and_its_snapshots_match_the_direct_view(digits8_rbm):
    from annlab.boltzmann import experiments as ex

    missing = row_mask(8, 2, 4)
    chain = ex.inpaint_chain(digits8_rbm, "digits8", 0, missing, [1, 10, 30], first=8)
    for s in (1, 10, 30):
        at, direct = ex.inpaint_at(chain, s), ex.inpaint_view(digits8_rbm, "digits8", 0, missing, s, first=8)
        np.testing.assert_allclose(at.grid, direct.grid, atol=1e-5)
        assert at.acc_inpainted == direct.acc_inpainted
    view = ex.inpaint_at(chain, 30)
    assert 0 <= view.acc_mean_fill <= 1 and 0 < view.error_mean_fill < 1
    with pytest.raises(ValueError, match="kept"):
        ex.inpaint_at(chain, 7)


def test_dream_chain_is_judged_and_reconstructions_and_curves(digits8_rbm):
    from annlab.boltzmann import charts
    from annlab.boltzmann import experiments as ex

    chain = ex.dream_chain(digits8_rbm, [5, 50], seed=0, n=8)
    d50 = ex.dream_at(chain, 50)
    assert d50.p.shape == (8, 64) and 0 <= d50.recognised <= 1 and 0 < d50.real_recognised <= 1
    np.testing.assert_array_equal(d50.p, ex.dream(digits8_rbm, 50, seed=0, n=8).p)
    rec = ex.reconstructions(digits8_rbm, "digits8", 0, n=4)
    assert rec.shape == (8, 64) and np.all((rec[4:] >= 0) & (rec[4:] <= 1))
    split = digits8()
    Xtr, Xte = binarize(split.X_train[:300]), binarize(split.X_test[:100])
    runs = {
        m: train_rbm(RBMConfig(dataset="digits8", n_hidden=4, num_epochs=2, method=m), (Xtr, Xte), seed=0)
        for m in ("cd", "pcd")
    }
    frame = ex.likelihood_frame(runs)
    assert set(frame["curve"]) == {"exact log-likelihood", "pseudo-likelihood", "free-energy gap"}
    assert len(frame) == 2 * 2 * 3
    spec = charts.likelihood_chart(frame).to_dict()
    assert spec["encoding"]["y"]["title"] == "log-likelihood per digit (nats)"
    exact = frame[frame["curve"] == "exact log-likelihood"]["value"]
    per_pixel = [h["exact_ll_per_pixel"] * 64 for r in runs.values() for h in r.history]
    assert sorted(exact) == pytest.approx(sorted(per_pixel))  # the same numbers, per digit
    base = ex.independent_pixels("digits8", 0)
    assert -64 * np.log(2) < base < 0  # better than a fair coin per pixel, worse than certain
    layered = charts.likelihood_chart(frame, baseline=base).to_dict()
    assert [lay["mark"]["type"] for lay in layered["layer"]][1:] == ["rule", "text"]
    caption = ex.likelihood_caption(frame, base)
    assert "nats per digit" in caption and f"{base:.1f}" in caption
    assert charts.gap_chart(frame).to_dict()["encoding"]["x"]["title"] == "epoch"


def test_independent_pixel_baseline_matches_a_hand_count():
    X_train = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 0, 0]], np.float32)
    X_eval = np.array([[1, 0, 1], [0, 1, 1]], np.float32)
    p = np.array([4 / 6, 2 / 6, 2 / 6])  # (ink + 1) / (n + 2)
    by_hand = np.mean([np.sum(np.where(x == 1, np.log(p), np.log(1 - p))) for x in X_eval])
    assert rbm_module.independent_pixel_ll(X_train, X_eval) == pytest.approx(by_hand)


def test_several_chains_per_digit_are_the_mean_of_one_chain_runs(digits8_rbm):
    from annlab.boltzmann.inpaint import inpaint_snapshots

    model = digits8_rbm.model
    X = binarize(digits8().X_test[:5])
    missing = row_mask(8, 2, 5)
    four = inpaint(model, X, missing, 20, seed=3, n_chains=4)
    # the same draws as one chain each on every digit repeated 4 times, then averaged per digit
    repeated = inpaint(model, np.repeat(X, 4, 0), missing, 20, seed=3)
    np.testing.assert_allclose(four, repeated.reshape(5, 4, 64).mean(1), atol=1e-6)
    assert four.shape == X.shape and np.array_equal(four[:, ~missing], X[:, ~missing])
    assert not np.allclose(four, inpaint(model, X, missing, 20, seed=3))  # a different fill than 1 chain
    kept = inpaint_snapshots(model, X, missing, [5, 20], seed=3, n_chains=4)  # one run, every position
    np.testing.assert_allclose(kept[20], four, atol=1e-5)
    np.testing.assert_allclose(kept[5], inpaint(model, X, missing, 5, seed=3, n_chains=4), atol=1e-5)
    with pytest.raises(ValueError, match="n_chains"):
        inpaint(model, X, missing, 5, n_chains=0)


def test_inpaint_chain_passes_the_chains_on(digits8_rbm):
    from annlab.boltzmann import experiments as ex

    missing = row_mask(8, 2, 4)
    one = ex.inpaint_chain(digits8_rbm, "digits8", 0, missing, [10], n_chains=1)
    many = ex.inpaint_chain(digits8_rbm, "digits8", 0, missing, [10], n_chains=8)
    assert many.n_chains == 8 and not np.allclose(one.fills[10], many.fills[10])
    direct = inpaint(digits8_rbm.model, many.X, missing, 10, seed=0, n_chains=8)
    np.testing.assert_allclose(many.fills[10], direct, atol=1e-5)
    assert ex.inpaint_at(many, 10).grid.shape == (4 * 8, 64)


def test_linear_learning_rate_schedule():
    X = torch.as_tensor(toy_data())
    cfg = RBMConfig(n_hidden=4, lr=0.05, num_epochs=1, batch_size=len(X), method="cd")
    # one update: the linear schedule's first step is the full rate, the same numbers as constant
    a = fit(cfg, X, X, seed=2).model
    b = fit(dataclasses.replace(cfg, lr_schedule="linear"), X, X, seed=2).model
    assert torch.equal(a.W, b.W)
    # two epochs of one update each: the second step is half as long (scale 1 - 1/2)
    cfg2 = dataclasses.replace(cfg, num_epochs=2)
    start = fit(dataclasses.replace(cfg, lr=1e-30), X, X, seed=2).model.W
    const = fit(cfg2, X, X, seed=2).model.W - start
    lin = fit(dataclasses.replace(cfg2, lr_schedule="linear"), X, X, seed=2).model.W - start
    first = a.W - start
    np.testing.assert_allclose((lin - first).numpy(), 0.5 * (const - first).numpy(), atol=1e-4)
    with pytest.raises(ValueError, match="lr_schedule"):
        RBMConfig(lr_schedule="cosine")
    from annlab.boltzmann import defaults, rbm

    assert tuple(defaults.LR_SCHEDULES) == rbm.LR_SCHEDULES  # the page's radio offers every schedule


def test_inpaint_scores_cover_hundreds_of_digits_with_their_baselines(digits8_rbm):
    """Issue 34: the Inpainting tab's metrics over at least 500 test digits, not the 8 on screen."""
    from annlab.boltzmann import defaults
    from annlab.boltzmann import experiments as ex
    from annlab.boltzmann import inpaint as ip
    from annlab.boltzmann.rbm import binary_digits

    split, _ = binary_digits("digits8", 0)
    missing = row_mask(8, 2, 4)
    assert defaults.N_SCORED >= 500  # MNIST has 1,000 test digits; the 8x8 set 360, all scored
    sc = ex.inpaint_scores(digits8_rbm, "digits8", 0, missing, [0, 1, 30], defaults.N_SCORED, batch=128)
    assert sc.n == len(split.X_test) == 360 and set(sc.error) == {0, 1, 30}
    X, y = split.X_test[: sc.n], split.y_test[: sc.n]
    clf = ip.digit_classifier("digits8", 0)
    assert sc.acc_clean == pytest.approx((clf.predict(X) == y).mean())
    assert sc.acc_erased == pytest.approx((clf.predict(np.where(missing, 0.5, X)) == y).mean())
    assert sc.error[0] == pytest.approx(0.25) and sc.acc_inpainted[0] == pytest.approx(sc.acc_erased)
    assert sc.error[30] < sc.error[0] and sc.acc_inpainted[30] > sc.acc_erased  # the RBM fills something
    assert sc.acc_inpainted[30] * sc.n == pytest.approx(round(sc.acc_inpainted[30] * sc.n))  # a count of n
    text = sc.summary(30)
    assert f"first {sc.n} test digits" in text and f"{sc.acc_inpainted[30]:.1%}" in text and "CI" not in text
    small = ex.inpaint_scores(digits8_rbm, "digits8", 0, missing, [30], 50)
    assert "95 % CI" in small.summary(30)  # fewer than 200 digits: the interval is shown
    lo, hi = ex.wilson(0.5, 100)
    assert lo == pytest.approx(0.404, abs=1e-3) and hi == pytest.approx(0.596, abs=1e-3)
