"""Hopfield maths: energy descent, fixed points, the newhop design, parsing, digits and capacity; the
page's experiments and defaults as plain functions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annlab.controls import Control
from annlab.hopfield import charts as hch
from annlab.hopfield import core as hc
from annlab.hopfield import defaults
from annlab.hopfield import digits as hd
from annlab.hopfield import experiments as ex

TWO = np.array([[1, 1], [-1, -1], [1, -1]], float)
THREE = np.array([[1, 1, 1], [-1, -1, -1], [1, -1, 1]], float)


def _random_net(seed, n, kind):
    rng = np.random.default_rng(seed)
    if kind == "random":  # any symmetric W with a non-negative diagonal, with a bias
        A = rng.normal(size=(n, n))
        W = (A + A.T) / 2
        np.fill_diagonal(W, np.abs(np.diag(W)))
        return W, rng.normal(size=n)
    X = np.where(rng.random((max(1, n // 3), n)) < 0.5, -1.0, 1.0)
    return hc.store(X, kind)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 24),
    kind=st.sampled_from(["random", "hebbian", "pseudoinverse", "storkey"]),
)
def test_energy_never_increases_under_asynchronous_updates(seed, n, kind):
    W, b = _random_net(seed, n, kind)
    rng = np.random.default_rng(seed + 1)
    x = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    e = hc.energy(W, b, x)[0]
    for _ in range(5):  # five sweeps, checking after every single neuron update
        for i in rng.permutation(n):
            field = W[i] @ x + b[i]
            x[i] = 1.0 if field > 0 else (-1.0 if field < 0 else x[i])
            e_new = hc.energy(W, b, x)[0]
            assert e_new <= e + 1e-9
            e = e_new
    # The library's own asynchronous run agrees: its per-sweep energy is non-increasing too.
    cfg = hc.HopfieldConfig("hebbian" if kind == "random" else kind, "asynchronous", 10, seed)
    tr = hc.run(W, b, rng.uniform(-1, 1, size=(4, n)), cfg)
    assert np.all(np.diff(tr.energy[1:], axis=0) <= 1e-9)


def test_synchronous_updates_can_raise_energy_and_cycle():
    # Hebb on the 2-neuron preset: [1, -1] flips to [-1, 1] and back, forever.
    W, b = hc.store(TWO, "hebbian")
    tr = hc.run(W, b, np.array([[1.0, -1.0]]), hc.HopfieldConfig("hebbian", "synchronous", 20))
    assert tr.iterations[0] == -1
    assert np.array_equal(tr.states[1, 0], [-1, 1]) and np.array_equal(tr.states[2, 0], [1, -1])


@pytest.mark.parametrize("seed", range(5))
def test_hebbian_stores_few_patterns_as_fixed_points(seed):
    rng = np.random.default_rng(seed)
    X = np.where(rng.random((3, 200)) < 0.5, -1.0, 1.0)  # P = 3 << N = 200
    W, b = hc.store(X, "hebbian")
    assert np.allclose(np.diag(W), 0)
    assert np.array_equal(np.sign(X @ W.T + b), X)


@pytest.mark.parametrize("seed", range(5))
def test_pseudoinverse_stores_any_independent_set(seed):
    rng = np.random.default_rng(seed)
    n, P = 40, 25  # heavily loaded, and correlated: every pattern shares its first 12 bits
    X = np.where(rng.random((P, n)) < 0.5, -1.0, 1.0)
    X[:, :12] = X[0, :12]
    assert np.linalg.matrix_rank(X) == P
    W, b = hc.store(X, "pseudoinverse")
    assert np.allclose(X @ W.T, X)
    assert np.array_equal(np.sign(X @ W.T + b), X)
    # Hebb fails on the same correlated set: some pattern is not a fixed point.
    Wh, bh = hc.store(X, "hebbian")
    assert not np.array_equal(np.sign(X @ Wh.T + bh), X)


def test_storkey_beats_hebb_at_moderate_load():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((20, 100)) < 0.5, -1.0, 1.0)  # P / N = 0.2 > 0.138
    stable = {
        rule: np.all(np.sign(X @ hc.store(X, rule)[0].T) == X, axis=1).mean()
        for rule in ("hebbian", "storkey")
    }
    assert stable["storkey"] == 1.0 and stable["hebbian"] < 0.9
    W, _ = hc.store(X, "storkey")
    assert np.allclose(W, W.T)


def test_newhop_two_neuron_preset_has_four_stable_corners_and_unstable_axis_points():
    W, b = hc.store(TWO, "newhop")
    cfg = hc.HopfieldConfig("newhop", max_iter=200)
    assert np.allclose(W, np.exp(0.15) * np.eye(2)) and np.allclose(b, 0)
    corners = {tuple(c) for c in hc.stable_corners(W, b, cfg)}
    assert corners == {(1, 1), (-1, -1), (1, -1), (-1, 1)}
    starts = hc.symmetric_starts(2)
    tr = hc.run(W, b, starts, cfg)
    assert np.allclose(tr.final, starts) and tr.converged.all()  # every axis point is an equilibrium ...
    labels = hc.label_states(tr.final, tr.converged, TWO, W, b, cfg)
    assert labels == ["unstable equilibrium"] * 5  # ... that a small nudge leaves
    far = hc.run(W, b, np.array([[-0.3, 0.4]]), cfg)
    assert hc.label_states(far.final, far.converged, TWO, W, b, cfg) == ["inverse of a target"]
    assert np.allclose(far.final, [[-1, 1]])


def test_newhop_three_neuron_preset_matches_the_design():
    W, b = hc.store(THREE, "newhop")
    # The targets differ from the last one in a 2-D subspace; its complement is [1, 0, -1] / sqrt(2).
    u = np.array([1, 0, -1]) / np.sqrt(2)
    expected = np.exp(0.15) * (np.eye(3) - np.outer(u, u)) + np.exp(-1.5) * np.outer(u, u)
    assert np.allclose(W, expected) and np.allclose(b, 0)
    corners = {tuple(c) for c in hc.stable_corners(W, b, hc.HopfieldConfig("newhop"))}
    assert corners == {(1, 1, 1), (-1, -1, -1), (1, -1, 1), (-1, 1, -1)}


def test_newhop_with_a_bias_keeps_every_target_stable():
    T = np.array([[1, -1, 1, 1], [-1, 1, 1, -1], [1, 1, -1, 1]], float)
    W, b = hc.store(T, "newhop")
    assert np.abs(b).max() > 0
    cfg = hc.HopfieldConfig("newhop")
    tr = hc.run(W, b, T, cfg)
    assert np.allclose(tr.final, T)
    assert hc.label_states(tr.final, tr.converged, T, W, b, cfg) == ["target"] * 3


def test_random_starts_fill_the_basins_of_the_four_corners():
    W, b = hc.store(TWO, "newhop")
    cfg = hc.HopfieldConfig("newhop", max_iter=200)
    tr = hc.run(W, b, hc.random_starts(2000, 2, seed=0), cfg)
    table = hc.attractor_table(tr, hc.label_states(tr.final, tr.converged, TWO, W, b, cfg))
    assert len(table) == 4 and table["share"].sum() == pytest.approx(1.0)
    assert table["share"].between(0.2, 0.3).all()  # W = e^h I: each quadrant flows to its corner


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least one"),
        ("1 1\n1 -1 1", "same length"),
        ("1 0", "must be"),
        ("1 a", "not a number"),
        ("1\n-1", "at least 2 neurons"),
    ],
)
def test_parse_targets_rejects_bad_input_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        hc.parse_targets(text)


def test_parse_targets_and_points():
    assert np.array_equal(hc.parse_targets("1, -1, 1\n[-1 -1 1]"), [[1, -1, 1], [-1, -1, 1]])
    assert np.allclose(hc.parse_point("0.5, -0.25", 2), [0.5, -0.25])
    with pytest.raises(ValueError, match="needs 3 numbers"):
        hc.parse_point("0.5", 3)
    with pytest.raises(ValueError, match="between -1 and 1"):
        hc.parse_point("2 0", 2)


def test_config_validates():
    with pytest.raises(ValueError, match="storage rule"):
        hc.HopfieldConfig("hebb")
    with pytest.raises(ValueError, match="dynamics"):
        hc.HopfieldConfig("hebbian", "parallel")


def test_corrupt_flips_exactly_the_asked_share():
    rng = np.random.default_rng(0)
    X = np.ones((5, 100))
    Y = hd.corrupt(X, flip=0.2, rng=rng)
    assert np.all((Y < 0).sum(axis=1) == 20) and np.all(X == 1)


def test_digit_prototypes_and_recall():
    P = hd.prototypes("digits8", 8)
    assert P.shape == (10, 64) and set(np.unique(P)) == {-1.0, 1.0}
    W, b = hc.store(P, "pseudoinverse")
    r = hd.recall(W, b, P, hc.HopfieldConfig("pseudoinverse", "synchronous", 30), flip=0.0)
    assert r.correct.all()
    # Hebb cannot hold ten correlated digits: clean digits already drift away.
    Wh, bh = hc.store(P, "hebbian")
    rh = hd.recall(Wh, bh, P, hc.HopfieldConfig("hebbian", "synchronous", 30))
    assert rh.correct.mean() < 0.5
    assert hd.outcome(3, 3, False) == "retrieved" and hd.outcome(3, 5, False) == "became a 5"
    assert hd.outcome(3, -1, False) == "spurious state" and hd.outcome(3, 3, True) == "inverse of a 3"


def test_noise_sweep_accuracy_falls_with_noise():
    P = hd.prototypes("digits8", 8)
    df = hd.noise_sweep(P, ["pseudoinverse"], [0.0, 0.45], kind="flip", repeats=5)
    acc = df.set_index("noise")["accuracy"]
    assert acc[0.0] == 1.0 and acc[0.45] < 0.5


def test_capacity_sweep_shows_the_cliff_and_matches_a_slow_reference():
    df = hd.capacity_sweep(n=60, p_max=24, trials=6, flips=(0.0, 0.1), workers=1)
    heb = df[(df.rule == "hebbian") & (df.flip == 0.0)].set_index("P")["recall"]
    assert heb[2] == 1.0 and heb[24] < 0.2  # the cliff
    pinv = df[(df.rule == "pseudoinverse") & (df.flip == 0.0)].set_index("P")["recall"]
    assert (pinv == 1.0).all()
    # Reference: plain per-network synchronous runs with the library's dynamics (same seeds as the sweep).
    rng = np.random.default_rng(0)
    X = np.where(rng.random((6, 24, 60)) < 0.5, -1.0, 1.0)
    probes = [hd.corrupt(X.reshape(-1, 60), flip=f, rng=rng).reshape(6, 24, 60) for f in (0.0, 0.1)]
    for rule in ("hebbian", "storkey"):
        for P in (8, 16):
            hits = []
            for t in range(6):
                W, b = hc.store(X[t, :P], rule)
                tr = hc.run(W, b, probes[1][t, :P], hc.HopfieldConfig(rule, "synchronous", 20))
                hits += list(tr.converged & np.all(tr.final == X[t, :P], axis=1))
            got = df[(df.rule == rule) & (df.flip == 0.1) & (df.P == P)]["recall"].item()
            assert got == pytest.approx(np.mean(hits), abs=1e-6)


def test_charts_build_for_two_and_three_neurons():
    from annlab.hopfield import charts as hch

    for T in (TWO, THREE):
        W, b = hc.store(T, "newhop")
        cfg = hc.HopfieldConfig("newhop", max_iter=100)
        tr = hc.run(W, b, hc.random_starts(20, T.shape[1], 0), cfg)
        labels = hc.label_states(tr.final, tr.converged, T, W, b, cfg)
        chart = hch.trajectories_2d(tr, labels, T) if T.shape[1] == 2 else hch.trajectories_3d(tr, labels, T)
        spec = chart.to_dict()
        assert len(spec["layer"]) >= 4
        assert hch.energy_lines(tr, labels).to_dict()["mark"]["type"] == "line"
    # The 3-D view is right-handed with a3 pointing up the screen.
    proj = hch._project(np.eye(3), 30, 20)
    assert proj[2, 1] > 0.9 and proj[0, 0] > 0.5
    assert np.allclose(np.cross(proj[:, 0], proj[:, 1]), proj[:, 2])


def _newhop_matlab(T):
    """Line-by-line transcription of MATLAB's newhop design (targets as columns), with scipy's expm."""
    from scipy.linalg import expm

    T = T.T  # (S, Q)
    S, Q = T.shape
    Y = T[:, : Q - 1] - T[:, [Q - 1]]
    U, SS, _ = np.linalg.svd(Y)
    K = np.linalg.matrix_rank(Y)
    TP = sum((np.outer(U[:, k], U[:, k]) for k in range(K)), np.zeros((S, S)))
    TM = sum((np.outer(U[:, k], U[:, k]) for k in range(K, S)), np.zeros((S, S)))
    tau, h = 10, 0.15
    Ttau = TP - tau * TM
    Itau = T[:, Q - 1] - Ttau @ T[:, Q - 1]
    C1, C2 = np.exp(h) - 1, -(np.exp(-tau * h) - 1) / tau
    D = np.diag([C1] * K + [C2] * (S - K))
    return expm(h * Ttau), U @ D @ U.T @ Itau


@pytest.mark.parametrize("seed", range(4))
def test_newhop_matches_the_matlab_recipe(seed):
    rng = np.random.default_rng(seed)
    T = np.where(rng.random((int(rng.integers(2, 5)), 6)) < 0.5, -1.0, 1.0)
    W, b = hc.newhop(T)
    W_ref, b_ref = _newhop_matlab(T)
    assert np.allclose(W, W_ref) and np.allclose(b, b_ref)


def test_storkey_matches_the_element_by_element_formula():
    rng = np.random.default_rng(3)
    X = np.where(rng.random((4, 7)) < 0.5, -1.0, 1.0)
    n = X.shape[1]
    W = np.zeros((n, n))
    for xi in X:
        new = W.copy()
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                h_ij = sum(W[i, k] * xi[k] for k in range(n) if k not in (i, j))
                h_ji = sum(W[j, k] * xi[k] for k in range(n) if k not in (i, j))
                new[i, j] += (xi[i] * xi[j] - xi[i] * h_ji - h_ij * xi[j]) / n
        W = new
    assert np.allclose(hc.store(X, "storkey")[0], W)


# ------------------------------------------------------------------------------ the page's experiments
def test_small_network_on_the_default_setup_finds_the_four_newhop_corners():
    setup = defaults.small_network()
    assert (setup.rule, setup.n, setup.n_random) == ("newhop", 2, 200)
    net = ex.small_network(setup)
    assert {tuple(c) for c in net.corners} == {(1, 1), (-1, -1), (1, -1), (-1, 1)}
    assert net.corners_line().startswith("**Stable corners of the cube** (4 of 4)")
    assert net.table["starts"].sum() == 200 and net.table["share"].sum() == pytest.approx(1.0)
    assert set(net.labels) >= {"target", "inverse of a target"} and net.lost == []
    assert net.lost_warning() is None and net.drawn_note() is None
    assert net.notes[0].startswith("**Inverse of a target**")
    # The same starts and dynamics straight from core: the experiment adds no randomness of its own.
    W, b = hc.store(TWO, "newhop")
    tr = hc.run(W, b, hc.random_starts(200, 2, 0), hc.HopfieldConfig("newhop", "synchronous", 60))
    assert np.array_equal(net.tr.final, tr.final)


def test_small_network_under_hebb_loses_a_target_and_says_so():
    setup = ex.small_setup(
        defaults.PRESETS[defaults.PRESET.default], "hebbian", "synchronous", 60, ex.STARTS[0], 400, "", 0
    )
    net = ex.small_network(setup)
    assert net.lost == ["[1, -1]"] and len(net.corners) == 2
    assert "[1, -1] is not a stable state" in net.lost_warning()
    assert net.drawn_note() == "The charts draw the first 300 of 400 starts; the table counts all."


def test_small_setup_parses_and_validates():
    s = ex.small_setup("1 -1 1\n-1 1 1", "hebbian", "asynchronous", 10, ex.STARTS[2], 10, "0.5, 0, -1", 3)
    assert s.targets == ((1.0, -1.0, 1.0), (-1.0, 1.0, 1.0)) and s.point == (0.5, 0.0, -1.0) and s.n == 3
    net = ex.small_network(s)
    assert len(net.labels) == 1  # one typed start
    with pytest.raises(ValueError, match="\\+1 or -1"):
        ex.small_setup("1 2", "hebbian", "synchronous", 10, ex.STARTS[0], 10, "", 0)
    with pytest.raises(ValueError, match="starting points"):
        ex.SmallSetup(((1.0, 1.0),), "hebbian", "synchronous", 10, "everywhere", 10, (), 0)
    with pytest.raises(ValueError, match="at most 10 neurons"):
        ex.small_network(ex.small_setup("1 " * 11, "hebbian", "synchronous", 5, ex.STARTS[1], 10, "", 0))


def test_attractor_notes_follow_the_labels_and_the_rule():
    assert ex.attractor_notes(set(), "hebbian") == []
    notes = ex.attractor_notes({"spurious", "not converged", "target"}, "hebbian")
    assert [n.split("**")[1] for n in notes] == ["Spurious", "Not converged"]
    assert "2-cycle" in notes[1]
    assert "e^0.15" in ex.attractor_notes({"not converged"}, "newhop")[0]


def test_the_inverse_note_says_whether_this_network_has_a_bias():
    """'With no bias the energy is symmetric' only where the bias is zero (issue 34)."""
    plain = ex.attractor_notes({"inverse of a target"}, "hebbian")[0]
    assert "with no bias the energy is symmetric" in plain
    for biased in (True, False):
        note = ex.attractor_notes({"inverse of a target"}, "newhop", biased=biased)[0]
        assert "with no bias the energy is symmetric" not in note
    assert "not symmetric" in ex.attractor_notes({"inverse of a target"}, "newhop", biased=True)[0]
    assert "comes out zero" in ex.attractor_notes({"inverse of a target"}, "newhop")[0]
    # the 2-neuron preset stores a target and its inverse: newhop's b comes out zero there
    net = ex.small_network(
        ex.small_setup("1 1\n-1 -1\n1 -1", "newhop", "synchronous", 60, ex.STARTS[0], 200, "", 0)
    )
    assert "inverse of a target" in set(net.table["label"]) and np.abs(net.b).max() < 1e-12
    assert any("comes out zero" in n for n in net.notes)
    # targets without their inverses: newhop's b is not zero, and the page says so where a mirror appears
    setup = ex.small_setup("1 1 -1\n-1 1 1", "newhop", "synchronous", 60, ex.STARTS[1], 200, "", 0)
    net = ex.small_network(setup)
    assert np.abs(net.b).max() > 1e-6
    assert not any("with no bias" in n or "comes out zero" in n for n in net.notes)


def test_digit_setup_forces_8x8_and_sorts_the_digits():
    s = ex.digit_setup("digits8", 16, "hebbian", [7, 1, 7], "synchronous", 5)
    assert (s.side, s.digits, s.n) == (8, (1, 7), 64)
    assert ex.digit_setup("mnist", 12, "hebbian", [], "synchronous", 5).digits == (0,)
    with pytest.raises(ValueError, match="digit source"):
        ex.DigitSetup("cifar", 8, "hebbian", (1,), "synchronous", 5)
    with pytest.raises(ValueError, match="0..9"):
        ex.DigitSetup("digits8", 8, "hebbian", (12,), "synchronous", 5)


def test_digit_recall_of_clean_digits_and_its_images():
    setup = ex.digit_setup("digits8", 8, "pseudoinverse", range(10), "synchronous", 30)
    rec = ex.digit_recall(setup, 0.0, 0.0, seed=0)
    P = hd.prototypes("digits8", 8)
    assert rec.retrieved == 10 and rec.outcomes == ["retrieved"] * 10 and not rec.hebb_blends
    assert rec.images.shape == (30, 8, 8) and rec.images.min() >= 0 and rec.images.max() <= 1
    assert np.array_equal(rec.images[:10].reshape(10, -1), (P + 1) / 2)  # top row: the stored digits
    assert rec.headline().startswith("**10 of 10 digits retrieved**")
    assert "by Pseudo-inverse, N = 64," in rec.headline()
    assert "load P/N = 0.156" in rec.headline()
    hebb = ex.digit_recall(ex.digit_setup("digits8", 8, "hebbian", range(10), "synchronous", 30), 0.0, 0.0, 0)
    assert hebb.retrieved < 5 and hebb.hebb_blends


def test_digit_recall_matches_the_library_call_it_wraps():
    setup = defaults.digits()
    rec = ex.digit_recall(setup, defaults.NOISE.default, defaults.FLIP.default, seed=4)
    P = hd.prototypes("mnist", 16)
    W, b = hc.store(P, "pseudoinverse")
    ref = hd.recall(
        W, b, P, hc.HopfieldConfig("pseudoinverse", "synchronous", 20, 4), gauss=0.6, flip=0.1, seed=4
    )
    assert np.array_equal(rec.recall.final, ref.final) and rec.retrieved == int(ref.correct.sum())


def test_drawing_a_stored_digit_or_its_inverse_stays_put():
    setup = ex.digit_setup("digits8", 8, "pseudoinverse", [3, 5], "synchronous", 10)
    three = (hd.prototypes("digits8", 8)[3].reshape(8, 8) + 1) / 2
    dr = ex.drawing_retrieval(three, setup, seed=0)
    assert (dr.which, dr.inverse, dr.iterations) == (3, False, 0)
    assert np.array_equal(dr.frames[0], three) and len(dr.frames) == len(dr.energy)
    assert dr.settled() == "It settled into the stored **3**. It stopped changing after 0 iteration(s)."
    inv = ex.drawing_retrieval(1 - three, setup, seed=0)  # b = 0: the mirror image is a valley too
    assert (inv.which, inv.inverse) == (3, True) and "inverse of the stored 3" in inv.settled()
    stuck = ex.DrawingRecall(dr.frames, dr.energy, -1, -1, False)
    assert "not converged" in stuck.settled()


def test_digit_noise_sweep_covers_every_rule_and_level():
    setup = ex.digit_setup("digits8", 8, "hebbian", [0, 1], "synchronous", 20)
    sweep = ex.digit_noise_sweep(setup, "flip", repeats=2, seed=0)
    assert len(sweep.table) == len(hc.RULES) * 11 and sweep.kind == "flip"
    clean = sweep.table[sweep.table.noise == 0.0].set_index("rule")["accuracy"]
    assert clean["pseudoinverse"] == 1.0  # every independent pattern is a fixed point
    assert "digits 0, 1" in sweep.caption and "2 noisy copies" in sweep.caption
    with pytest.raises(ValueError, match="kind of noise"):
        ex.digit_noise_sweep(setup, "salt", repeats=1, seed=0)


def test_half_recall_finds_the_first_load_below_one_half():
    import pandas as pd

    table = pd.DataFrame(
        {
            "rule": ["hebbian"] * 4 + ["storkey"] * 2,
            "flip": [0.0, 0.0, 0.0, 0.1, 0.0, 0.0],
            "load": [0.1, 0.2, 0.3, 0.1, 0.1, 0.2],
            "recall": [0.9, 0.4, 0.6, 0.0, 1.0, 0.5],
        }
    )
    half = ex.half_recall(table)
    assert list(half) == ["hebbian", "storkey"]  # sorted by name
    assert half["hebbian"] == 0.2  # the first clean load below 0.5; the flipped probe is not counted
    assert np.isnan(half["storkey"])  # 0.5 is not below one half


def test_capacity_experiment_and_its_summary():
    cap = ex.capacity(ex.CapacitySetup(40, 3), seed=0)
    assert len(cap.table) == 3 * 20 * 3 and list(cap.half) == ["hebbian", "pseudoinverse", "storkey"]
    assert np.isnan(cap.half["pseudoinverse"])  # the projection rule holds up to N/2 exactly
    hebb = cap.table[(cap.table.rule == "hebbian") & (cap.table.flip == 0.0)].set_index("load")["recall"]
    first = cap.half["hebbian"]
    assert hebb[first] < 0.5 and (hebb[hebb.index < first] >= 0.5).all()  # the first load below one half
    text = cap.summary()
    assert "0.138 N = 5.5" in text and f"N/(2 ln N) = {40 / (2 * np.log(40)):.1f}" in text
    assert "Pseudo-inverse: never below half" in text and "3 seeded trials" in text
    with pytest.raises(ValueError, match="neurons"):
        ex.CapacitySetup(2, 5)


def test_asynchronous_capacity_on_a_smaller_grid():
    cap = ex.capacity(ex.CapacitySetup(40, 30), seed=0, dynamics="asynchronous")
    loads = sorted(cap.table.P.unique())
    assert len(loads) <= ex.ASYNC_LOADS and loads[0] == 1 and loads[-1] == 20
    assert cap.setup.trials == ex.ASYNC_TRIALS and cap.dynamics == "asynchronous"
    assert set(cap.table.columns) == set(ex.capacity(ex.CapacitySetup(40, 3), seed=0).table.columns)
    clean = cap.table[cap.table.flip == 0.0].set_index(["rule", "P"])["recall"]
    assert clean["hebbian", 1] == 1.0 and clean["hebbian", 20] < 0.5  # Hebb's cliff, one neuron at a time
    assert (cap.table[cap.table.rule == "pseudoinverse"].query("flip == 0").recall == 1.0).all()
    assert "Asynchronous updates; 10 seeded trials" in cap.summary()
    again = ex.capacity(ex.CapacitySetup(40, 30), seed=0, dynamics="asynchronous")
    assert again.table.equals(cap.table)  # seeded


def test_state_space_chart_only_for_two_and_three_neurons():
    from annlab.hopfield import charts as hch

    T = np.array([[1, -1, 1, -1], [-1, -1, 1, 1]], float)
    W, b = hc.store(T, "hebbian")
    tr = hc.run(W, b, hc.random_starts(5, 4, 0), hc.HopfieldConfig("hebbian"))
    assert hch.state_space(tr, ["target"] * 5, T) is None
    W, b = hc.store(THREE, "newhop")
    tr = hc.run(W, b, hc.random_starts(5, 3, 0), hc.HopfieldConfig("newhop"))
    a = hch.state_space(tr, ["target"] * 5, THREE, azimuth=0).to_dict()
    assert a != hch.state_space(tr, ["target"] * 5, THREE, azimuth=90).to_dict()


OLD_KEYS = {  # the URL keys shared links carry: they never change
    *("hop_preset", "hop_targets", "hop_rule", "hop_dyn", "hop_iter", "hop_starts", "hop_nrand", "hop_point"),
    *(
        "hop_src",
        "hop_side",
        "hop_digits",
        "hop_drule",
        "hop_ddyn",
        "hop_diter",
        "hop_noise",
        "hop_flip",
        "hop_dstep",
    ),
    *("hop_capn", "hop_trials", "hop_metric", "hop_cap_pat", "hop_cap_dyn"),  # the last two: issue 15
}


def test_every_control_has_its_own_key_and_a_default_its_widget_accepts():
    controls = defaults.page_controls()
    keys = [c.key for c in controls]
    assert len(keys) == len(set(keys)) and set(keys) == OLD_KEYS
    for c in controls:
        kw = c.kw
        if c.widget == "slider":
            assert kw["min_value"] <= c.default <= kw["max_value"], c.key
            assert type(c.default) is type(kw["min_value"]) is type(kw["max_value"]), c.key
            steps = (c.default - kw["min_value"]) / kw.get("step", 1)
            assert steps == pytest.approx(round(steps)), c.key  # the slider can land on it
        elif c.widget in ("text_input", "text_area"):
            assert isinstance(c.default, str), c.key
        elif c.widget == "multiselect":
            assert set(c.default) <= set(kw["options"]), c.key
        else:
            assert c.default in kw["options"], c.key  # Control checks this too, on construction
        if "format_func" in kw:
            assert all(isinstance(kw["format_func"](o), str) for o in kw["options"]), c.key
    # The ones that depend on a choice made on the page validate like the rest.
    assert hc.parse_targets(defaults.OWN_TARGETS.default).shape == (2, 4)
    assert hc.parse_point(defaults.POINT.default, 2).shape == (2,)
    assert all(
        defaults.PRESETS[p] is None or hc.parse_targets(defaults.PRESETS[p]).size for p in defaults.PRESETS
    )


def test_defaults_are_the_one_source_of_the_page_controls():
    from pathlib import Path

    view = (Path(__file__).resolve().parent.parent / "views" / "hopfield.py").read_text()
    assert "ui.persisted" not in view and "def control" not in view  # no mechanism of the page's own
    assert (
        not hasattr(defaults, "controls") and not hasattr(defaults, "start") and not hasattr(defaults, "HELP")
    )
    names = {n for n in dir(defaults) if isinstance(getattr(defaults, n), Control)}
    for name in names:
        assert f"d.{name}" in view, name  # every Control is drawn on the page
    assert "d.trials_control(" in view and "d.step_control(" in view
    assert {getattr(defaults, n).key for n in names} | {
        "hop_trials",
        "hop_dstep",
    } == OLD_KEYS  # page_controls()
    small, digit, cap = defaults.small_network(), defaults.digits(), defaults.capacity()
    assert (small.rule, small.dynamics, small.max_iter, small.starts, small.n_random) == (
        "newhop",
        "synchronous",
        60,
        ex.STARTS[0],
        200,
    )
    assert (digit.source, digit.side, digit.rule, digit.digits, digit.dynamics, digit.max_iter) == (
        "mnist",
        16,
        "pseudoinverse",
        tuple(range(10)),
        "synchronous",
        20,
    )
    assert (
        defaults.NOISE.default == 0.6 and defaults.FLIP.default == 0.1 and defaults.METRIC.default == "both"
    )
    assert (cap.n, cap.trials) == (100, 10)  # fast mode (conftest): 50 trials otherwise
    assert defaults.trials_control().default == cap.trials
    assert defaults.PRESET.default == next(iter(defaults.PRESETS)) and defaults.POINT.default == "0.3, -0.2"
    assert defaults.RULE.kw["help"].startswith("newhop is MATLAB's design")  # help lives with its control
    assert "help" not in defaults.DIGIT_RULE.kw and defaults.DIGIT_RULE.label == "Storage rule "
    lines = []
    defaults.warm("cpu", 1, lines.append)
    assert len(lines) == 1 and lines[0].startswith(
        "Hopfield: nothing to train (closed-form weights); the 101 noise"
    )


# ---------------------------------------------------------------- issue 15: noise to 10, iterations, baseline


def test_gaussian_noise_10_makes_recall_fail_for_newhop_and_the_pseudo_inverse():
    P = hd.prototypes("mnist", 16)
    df = hd.noise_sweep(P, ("newhop", "pseudoinverse"), (0.0, 10.0), kind="gauss", max_iter=20, repeats=5)
    acc = df.set_index(["rule", "noise"])["accuracy"]
    for rule in ("newhop", "pseudoinverse"):
        assert acc[(rule, 0.0)] == 1.0
        assert acc[(rule, 10.0)] <= 0.5, rule  # at level 10 the noise swamps the +-1 pixels
    assert ex.SWEEP_LEVELS["gauss"].max() == 10.0 and defaults.NOISE.kw["max_value"] == 10.0


def test_iterations_are_recorded_per_probe_and_in_the_sweep():
    P = hd.prototypes("mnist", 16)
    W, b = hc.store(P, "pseudoinverse")
    cfg = hc.HopfieldConfig("pseudoinverse", "synchronous", 20, 0)
    rec = hd.recall(W, b, P, cfg, gauss=0.0, keep_states=True)
    assert rec.iterations.shape == (10,) and (rec.iterations >= 0).all()
    assert (rec.iterations == 0).all()  # clean stored patterns are fixed points: no change at all
    noisy = hd.recall(W, b, P, cfg, gauss=2.0, seed=1, keep_states=True)
    assert (noisy.iterations >= 1).all()  # the first update binarises the real-valued input
    assert noisy.states.shape == (int(noisy.iterations.max()) + 2, 10, P.shape[1])
    np.testing.assert_array_equal(noisy.states[-1], noisy.final)  # the last kept state is the final one
    tr = hc.run(W, b, noisy.noisy, cfg)  # the same count as the trajectory's own
    np.testing.assert_array_equal(tr.iterations, noisy.iterations)
    df = hd.noise_sweep(P, ("hebbian",), (0.0, 2.0), kind="gauss", max_iter=3, repeats=2)
    assert {"iterations", "not_converged", "nearest"} <= set(df.columns)
    assert df["not_converged"].between(0, 1).all()


def test_nearest_pattern_baseline_is_a_hamming_lookup():
    P = np.array([[1, 1, 1, 1], [-1, -1, 1, 1], [1, -1, -1, 1]], float)
    X = np.array([[0.9, 0.5, 1, -1], [-2, -1, 0.3, 1], [1, -1, -1, 1]])
    np.testing.assert_array_equal(hd.nearest_pattern(X, P), [0, 1, 2])
    W, b = hc.store(P, "pseudoinverse")
    rec = hd.recall(W, b, P, hc.HopfieldConfig("pseudoinverse", "synchronous", 5, 0), flip=0.0)
    assert rec.nearest.all()  # clean inputs: the lookup is right


def test_noise_levels_are_precomputed_and_the_slider_picks_one():
    setup = defaults.digits()
    seen = []
    levels = ex.digit_recall_levels(setup, 0.1, 0, callback=lambda k, info: seen.append(info["fraction"]))
    assert len(levels.levels) == 101 and levels.levels[-1] == 10.0 and seen[-1] == 1.0
    direct = ex.digit_recall(setup, 1.2, 0.1, 0)
    picked = levels.at(1.2)
    assert picked.gauss == pytest.approx(1.2)
    np.testing.assert_array_equal(picked.recall.final, direct.recall.final)
    assert picked.outcomes == direct.outcomes
    # the stepper picks a kept iteration: 0 is the binarised input, past the end the last state
    P = len(setup.digits)
    np.testing.assert_array_equal(
        picked.frames(0)[2 * P :], (np.sign(picked.recall.states[0]) + 1).reshape(P, 16, 16) / 2
    )
    np.testing.assert_array_equal(picked.frames(999), picked.images)
    assert "at least 95%" in picked.headline() and "nearest stored digit" in picked.headline()


def test_capacity_counts_exact_and_98_5_percent_of_bits():
    df = hd.capacity_sweep(n=60, p_max=20, trials=4, flips=(0.0,), rules=("hebbian",), seed=0)
    assert (df["bits985"] >= df["recall"] - 1e-12).all()  # exact recall implies 98.5 % of the bits
    assert df["bits985"].iloc[0] == 1.0
    cap = ex.Capacity(ex.CapacitySetup(60, 4), df, ex.half_recall(df))
    text = cap.summary()
    assert "large-N limit" in text and "98.5 %" in text and "N = 60" in text
    spec = hch.capacity_chart(df, 60, metric="both").to_dict()
    assert "counted as recalled" in str(spec)


def test_small_network_warning_makes_no_large_n_claim():
    setup = ex.small_setup("1 1\n-1 -1\n1 -1", "hebbian", "synchronous", 20, ex.STARTS[1], 10, "0, 0", 0)
    net = ex.small_network(setup)
    warning = net.lost_warning()
    assert warning is not None and "not a stable state" in warning  # Hebb cannot hold 3 targets in 2
    assert "0.14" not in warning and "0.138" not in warning  # no large-N claim on a 2-neuron network


@pytest.mark.parametrize("dynamics", ["synchronous", "asynchronous"])
def test_capacity_on_the_digit_prototypes_hebb_fails_early_the_pseudo_inverse_holds(dynamics):
    setup = ex.digit_setup("mnist", 16, "pseudoinverse", range(10), dynamics, 20)
    cap = ex.digit_capacity(setup, dynamics, 2, 0)
    clean = cap.table[cap.table["flip"] == 0.0].set_index(["rule", "P"])
    assert clean.loc[("pseudoinverse", 10), "recall"] == 1.0  # every independent digit is a fixed point
    assert clean.loc[("hebbian", 10), "recall"] < 0.5  # far below 0.138 N = 35 for correlated digits
    assert cap.half["hebbian"] * cap.setup.n < 0.138 * cap.setup.n
    assert "digit prototypes (N = 256)" in cap.summary() and dynamics.capitalize() in cap.summary()
