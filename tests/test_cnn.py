"""Convolutions and CNNs: the hand convolution against torch, the parameter table against torch's count,
the shape check, tiny seeded training runs, and the page's experiments as plain functions."""

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annlab import jobs
from annlab.cnn import conv, experiments, models, params
from annlab.cnn import defaults as D
from annlab.cnn.models import CNNConfig, DenseConfig
from annlab.data import mnist

HAND_X = [[2, 5, 4, 1], [3, 1, 2, 0], [4, 5, 7, 1], [1, 2, 3, 4]]


def torch_conv(X, K, s, p, d, bias=None):
    x = torch.tensor(np.asarray(X, np.float64))[None, None] if np.ndim(X) == 2 else torch.tensor(X)[None]
    k = torch.tensor(np.asarray(K, np.float64))[None, None] if np.ndim(K) == 2 else torch.tensor(K)[None]
    b = None if bias is None else torch.tensor([float(bias)], dtype=torch.float64)
    return F.conv2d(x, k, b, stride=s, padding=p, dilation=d)[0, 0].numpy()


# --- the convolution by hand ----------------------------------------------------------------------------


def test_the_course_example_gives_3_4_6_11():
    X, K = conv.parse_matrix(D.HAND_X), conv.parse_matrix(D.HAND_K)
    hc = conv.hand_conv(X, K, D.HAND_STRIDE, D.HAND_PAD, D.HAND_DIL)
    assert conv.as_nested(hc.output) == [[3, 4], [6, 11]]
    assert np.array_equal(X, HAND_X)
    assert hc.text(0) == "2×1 + 5×0 + 3×0 + 1×1 = 3"
    assert [w.value for w in hc.windows] == [3, 4, 6, 11]
    assert all(r.message is None for r in hc.rules)  # stride 2 tiles the 4x4 input exactly
    assert hc.formulas[0].endswith("= 2")


@settings(max_examples=150, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_hand_convolution_equals_torch_conv2d(h, w, kh, kw, s, p, d, seed):
    rng = np.random.default_rng(seed)
    X, K = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    oh, ow = conv.output_size(h, kh, s, p, d), conv.output_size(w, kw, s, p, d)
    if oh < 1 or ow < 1:
        with pytest.raises(RuntimeError):
            torch_conv(X, K, s, p, d)
        assert conv.hand_conv(X, K, s, p, d).windows == ()
        return
    ref = torch_conv(X, K, s, p, d)
    hc = conv.hand_conv(X, K, s, p, d)
    assert hc.output.shape == ref.shape == (oh, ow)
    np.testing.assert_allclose(hc.output, ref, atol=1e-10)
    np.testing.assert_allclose(conv.conv2d_loops(X, K, s, p, d), ref, atol=1e-10)
    assert len(hc.windows) == oh * ow
    for win in hc.windows:  # each window's products sum to its output cell
        np.testing.assert_allclose(win.products.sum(), ref[win.out_row, win.out_col], atol=1e-10)


@settings(max_examples=80, deadline=None)
@given(
    i=st.integers(1, 10), k=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 2), d=st.integers(1, 3)
)
def test_unvisited_cells_are_exactly_those_that_cannot_change_the_output(i, k, s, p, d):
    assume(conv.output_size(i, k, s, p, d) >= 1)
    X, K = np.zeros((1, i)), np.ones((1, k))
    base = conv.hand_conv(X, K, s, p, d).output
    row_rule, rule = conv.size_rules((1, i), (1, k), s, p, d)
    for x in range(i):
        bumped = X.copy()
        bumped[0, x] = 1.0
        changed = not np.array_equal(conv.hand_conv(bumped, K, s, p, d).output, base)
        assert changed == (x not in rule.missed and not row_rule.missed), (x, rule.missed)
    assert (rule.message is None) == (not rule.missed)


def test_stride_that_does_not_tile_is_reported_in_words():
    rules = conv.size_rules((4, 4), (2, 2), 3, 0, 1)
    assert rules[0].out == 1
    assert "rows 3 and 4 of the 4 input rows are never visited" in rules[0].message
    empty = conv.size_rules((3, 3), (3, 3), 1, 0, 2)[0]
    assert empty.out < 1 and "no output at all" in empty.message


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("1 2; 3", "same number of entries"),
        ("1 2; 3 x", "'x', which is not a number"),
        ("; ".join(["1 " * 13] * 2), "at most 12 x 12"),
        ("1 nan", "not a finite number"),
    ],
)
def test_bad_matrices_get_a_sentence(text, words):
    with pytest.raises(ValueError, match=words):
        conv.parse_matrix(text, name="input")


def test_parse_and_format_round_trip():
    M = conv.parse_matrix("1, 2.5 -3\n4 5 6")
    assert M.shape == (2, 3)
    assert np.array_equal(conv.parse_matrix(conv.format_matrix(M)), M)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), side=st.integers(3, 6), k=st.integers(1, 3), s=st.integers(1, 2))
def test_multi_channel_equals_torch_with_bias(seed, side, k, s):
    rng = np.random.default_rng(seed)
    X, K, bias = rng.normal(size=(3, side, side)), rng.normal(size=(3, k, k)), float(rng.normal())
    mc = conv.multi_channel(X, K, bias, stride=s)
    np.testing.assert_allclose(mc.output, torch_conv(X, K, s, 0, 1, bias), atol=1e-10)
    index = mc.output.size - 1
    assert mc.text(index).endswith(f"= {conv._num(mc.output.ravel()[index])}")


def test_rgb_example_is_seeded():
    a, b = conv.rgb_example(3), conv.rgb_example(3)
    assert all(np.array_equal(x, y) for x, y in zip(a[:2], b[:2], strict=True))
    assert a[0].shape == (3, D.MC_SIDE, D.MC_SIDE) and a[1].shape == (3, D.MC_KERNEL, D.MC_KERNEL)


# --- parameter table and shape check ---------------------------------------------------------------------


def test_keras_preset_counts_34826_and_its_last_map_is_5x5x64():
    layers = params.layers(D.KERAS)
    assert params.total(D.KERAS) == D.KERAS_PARAMS == 34_826
    assert models.n_params(models.build(D.KERAS)) == 34_826
    assert next(lay for lay in layers if lay.name == "flatten").formula == "5·5·64"
    same = D.PRESETS["Keras network, same padding"]
    assert next(lay for lay in params.layers(same) if lay.name == "flatten").formula == "7·7·64"
    assert params.total(same) == models.n_params(models.build(same)) == 320 + 18_496 + (7 * 7 * 64 + 1) * 10


designs = st.builds(
    CNNConfig,
    side=st.sampled_from([28, 8]),
    channels=st.lists(st.integers(1, 12), min_size=1, max_size=4).map(tuple),
    kernel=st.integers(1, 7),
    padding=st.sampled_from(models.PADDINGS),
    pool=st.sampled_from(models.POOLS),
    batch_norm=st.booleans(),
    activation=st.sampled_from(list(models.ACTIVATIONS)),
    dropout=st.sampled_from([0.0, 0.3]),
    dense=st.sampled_from([0, 7, 32]),
    shift=st.just(0),
)


@settings(max_examples=60, deadline=None)
@given(cfg=designs)
def test_parameter_table_equals_torch_count_and_shapes(cfg):
    problem = params.check(cfg)
    if problem is not None:
        assert "vanishes" in problem
        with pytest.raises(ValueError):
            models.build(cfg)
        return
    model = models.build(cfg)
    assert params.total(cfg) == sum(p.numel() for p in model.parameters())
    table = params.table(cfg)
    assert table["count"].iloc[-1] == table["count"].iloc[:-1].sum() == params.total(cfg)
    with torch.no_grad():
        maps = model.eval().features(torch.zeros(2, cfg.side * cfg.side))
    block_ends = [lay for lay in params.layers(cfg) if lay.name.startswith(("max pool", "avg pool"))]
    if cfg.pool == "none":
        block_ends = [lay for lay in params.layers(cfg) if lay.name.startswith(cfg.activation)]
    assert [tuple(m.shape[2:]) + (m.shape[1],) for m in maps] == [lay.shape for lay in block_ends]


def test_an_impossible_design_gets_a_sentence_not_a_traceback():
    cfg = CNNConfig(side=8, channels=(8, 16, 32, 64), padding="valid")
    problem = params.check(cfg)
    assert problem is not None and "feature map vanishes" in problem and "Block" in problem
    assert params.check(D.DEFAULT_CNN) is None
    with pytest.raises(params.DesignError):
        params.table(cfg)


@pytest.mark.parametrize("pool", ["avg", "none"])
def test_receptive_field_matches_the_gradient_footprint(pool):
    """The input pixels one central cell of each block depends on span the receptive field."""
    cfg = CNNConfig(
        channels=(2, 2, 2), kernel=3, padding="same", pool=pool, batch_norm=False, activation="elu"
    )
    model = models.initial_model(cfg, seed=1).eval()
    x = torch.full((1, 784), 0.5, requires_grad=True)
    for block, rf in zip(
        model.features(x), params.receptive_fields(cfg)["receptive field (pixels)"], strict=True
    ):
        x.grad = None
        h, w = block.shape[2:]
        block[0, :, h // 2, w // 2].sum().backward(retain_graph=True)
        rows = np.nonzero(x.grad.reshape(28, 28).abs().sum(1).numpy())[0]
        assert rows.max() - rows.min() + 1 == rf


def test_matched_dense_has_about_the_cnns_parameter_count():
    dense = params.matched_dense(D.DEFAULT_CNN)
    n_cnn, n_dense = params.total(D.DEFAULT_CNN), params.total(dense)
    assert abs(n_dense - n_cnn) / n_cnn < 0.05
    assert n_dense == models.n_params(models.build(dense))
    assert (dense.optimizer, dense.num_epochs, dense.shift) == (
        D.DEFAULT_CNN.optimizer,
        D.DEFAULT_CNN.num_epochs,
        D.DEFAULT_CNN.shift,
    )


@pytest.mark.parametrize(
    "bad",
    [
        dict(padding="full"),
        dict(pool="min"),
        dict(channels=()),
        dict(kernel=0),
        dict(dropout=1.0),
        dict(optimizer="Lion"),
        dict(shift=14),
        dict(side=14),
    ],
)
def test_configs_are_validated(bad):
    with pytest.raises(ValueError):
        CNNConfig(**bad)


# --- training ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    d = mnist()
    return {
        "X": d.X_train[:400],
        "y": d.y_train[:400],
        "X_val": d.X_train[3600:3800],
        "y_val": d.y_train[3600:3800],
        "X_test": d.X_test[:200],
        "y_test": d.y_test[:200],
    }


def test_tiny_training_learns_and_is_seeded(small):
    cfg = CNNConfig(channels=(4, 8), num_epochs=2, batch_size=32, shift=1)
    before = small["X"].copy()
    a = models.train_classifier(cfg, small, seed=3)
    b = models.train_classifier(cfg, small, seed=3)
    assert np.array_equal(small["X"], before)
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert all(np.isfinite(h["loss"]) for h in a.history)
    assert a.history[-1]["loss"] < np.log(10)  # better than guessing
    assert a.history[-1]["val_acc"] > 0.2  # chance: 0.1
    assert {"epoch", "loss", "acc", "val_loss", "val_acc", "seconds"} <= set(a.history[-1])
    assert not any(k.startswith("test") for row in a.history for k in row)  # test: once, after training
    assert a.extra["test_acc"] > 0.2 and a.extra["n_test"] == 200 and a.extra["n_val"] == 200
    assert a.extra["n_params"] == params.total(cfg)


def test_spy_nan_test_digits_leave_training_and_validation_finite(small):
    """Every test input set to NaN: the curves stay finite, only the test score is NaN."""
    poisoned = {**small, "X_test": np.full_like(small["X_test"], np.nan)}
    for cfg in (CNNConfig(channels=(4, 8), num_epochs=2, shift=1), DenseConfig(hidden=(16,), num_epochs=2)):
        r = models.train_classifier(cfg, poisoned, seed=0)
        assert not r.diverged
        assert all(np.isfinite(v) for row in r.history for k, v in row.items())
        assert np.isnan(r.extra["test_loss"])


def test_the_page_data_carve_validation_from_the_training_split():
    data, d = D.digit_data("mnist", 0), mnist()
    assert len(data["X"]) + len(data["X_val"]) == len(d.X_train) and len(data["X_val"]) == 400
    train_rows = {r.tobytes() for r in d.X_train}
    assert all(r.tobytes() in train_rows for r in data["X_val"])
    assert not {r.tobytes() for r in data["X_val"]} & {r.tobytes() for r in data["X"]}
    assert np.array_equal(data["X_test"], d.X_test)
    assert D.default_spec().curves == ("loss", "val_loss", "val_acc")


@pytest.mark.parametrize("schedule", models.SCHEDULES)
@pytest.mark.parametrize("optimizer", list(models.OPTIMIZERS))
def test_every_optimizer_trains_under_every_schedule(optimizer, schedule, small):
    """Fast mode: one epoch on 200 digits; Adadelta with the one-cycle schedule used to raise."""
    tiny = {k: v[:200] for k, v in small.items()}
    cfg = replace(D.design("mnist", blocks=1, filters=4, optimizer=optimizer, schedule=schedule), **D.FAST)
    r = models.train_classifier(cfg, tiny, seed=0)
    assert len(r.history) == 1 and np.isfinite(r.history[0]["val_loss"])


def test_the_one_cycle_schedule_cycles_momentum_only_where_there_is_one():
    p = [torch.zeros(1, requires_grad=True)]
    for name, want in (("Adam", True), ("SGD + momentum 0.9", True), ("SGD", False), ("RMSProp", False)):
        opt = models.make_optimizer(replace(D.KERAS, optimizer=name), p)
        assert models.has_momentum(opt) is want
    sgd = models.make_optimizer(replace(D.KERAS, optimizer="SGD", schedule="onecycle"), p)
    models.make_scheduler(replace(D.KERAS, optimizer="SGD", schedule="onecycle"), sgd, 10)
    assert sgd.param_groups[0]["momentum"] == 0  # plain SGD stays plain under one-cycle


def test_every_optimizer_starts_from_the_same_weights():
    starts = [models.initial_model(replace(D.KERAS, optimizer=name), seed=5).state_dict() for name in D.RACE]
    for other in starts[1:]:
        assert all(torch.equal(starts[0][k], other[k]) for k in starts[0])
    names = {
        type(
            models.make_optimizer(replace(D.KERAS, optimizer=n), [torch.zeros(1, requires_grad=True)])
        ).__name__
        for n in D.RACE
    }
    assert names == {"Adam", "SGD", "RMSprop", "Adadelta"}
    assert replace(D.KERAS, optimizer="Adadelta (torch lr 1.0)").learning_rate == 1.0
    assert replace(D.KERAS, optimizer="Adadelta (Keras lr 0.001)").learning_rate == 0.001


def test_a_diverging_run_stops_with_a_sentence(small):
    cfg = CNNConfig(channels=(4,), batch_norm=False, optimizer="SGD", lr=1e30, num_epochs=3, shift=0)
    result = models.train_classifier(cfg, small, seed=0)
    assert result.diverged and "diverged" in result.diverged
    assert len(result.history) < 3


def test_random_shift_moves_whole_images():
    x = torch.zeros(64, 1, 12, 12)
    x[:, 0, 5, 6] = 1.0
    out = models.random_shift(x, 2, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and torch.equal(out.sum((1, 2, 3)), x.sum((1, 2, 3)))
    where = out[:, 0].reshape(64, -1).argmax(1)
    rows, cols = where // 12, where % 12
    assert rows.min() >= 3 and rows.max() <= 7 and cols.min() >= 4 and cols.max() <= 8
    assert len(set(zip(rows.tolist(), cols.tolist(), strict=True))) > 10
    assert models.random_shift(x, 0, torch.Generator()) is x


# --- experiments (plain functions) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    d = mnist()
    data = {"X": d.X_train[:600], "y": d.y_train[:600]}
    cnn = models.train_classifier(CNNConfig(channels=(4, 8), num_epochs=1, shift=0), data, seed=0)
    dense = models.train_classifier(DenseConfig(hidden=(16,), num_epochs=1, shift=0), data, seed=0)
    return cnn, dense


def test_predict_proba(trained):
    cnn, _ = trained
    X = mnist().X_test[:7]
    state = {k: v.clone() for k, v in cnn.model.state_dict().items()}
    p = experiments.predict_proba(cnn, X)
    assert p.shape == (7, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(p, experiments.predict_proba(cnn, X))
    assert all(torch.equal(state[k], v) for k, v in cnn.model.state_dict().items())
    assert not cnn.model.training


def test_score_and_baselines(trained):
    cnn, _ = trained
    s = experiments.score(cnn, "mnist", 0, "CNN")
    assert s.n == 1000 and 0 <= s.acc <= 1
    assert s.se == pytest.approx(np.sqrt(s.acc * (1 - s.acc) / 1000))
    lr = experiments.logistic_regression("mnist", 0, n_train=500)
    assert lr.n_params == 7850 and lr.acc > 0.75
    table = experiments.score_table([s, lr])
    assert list(table["model"]) == ["CNN", "logistic regression on pixels"]


def test_what_it_sees_shapes_and_drawing(trained):
    cnn, _ = trained
    seen = experiments.what_it_sees(cnn, "mnist", 0, index=3)
    assert seen.image.shape == (28, 28) and seen.filters.shape == (4, 3, 3)
    assert [m.shape for m in seen.maps] == [(4, 14, 14), (8, 7, 7)]
    np.testing.assert_allclose(seen.probs.sum(), 1.0, atol=1e-5)
    np.testing.assert_allclose(seen.probs, experiments.predict_proba(cnn, mnist().X_test[3:4])[0], atol=1e-6)
    drawing = np.zeros((28, 28), np.float32)
    drawing[6:22, 13:15] = 1.0
    assert experiments.what_it_sees(cnn, "mnist", 0, drawn=drawing).image.shape == (28, 28)
    assert list(seen.receptive["receptive field (pixels)"]) == [4, 10]


def test_shift_images_and_sweep(trained):
    X = mnist().X_test[:5]
    before = X.copy()
    moved = experiments.shift_images(X, 3, 28).reshape(5, 28, 28)
    assert np.array_equal(X, before)
    np.testing.assert_array_equal(moved[:, :, 3:], X.reshape(5, 28, 28)[:, :, :-3])
    assert not moved[:, :, :3].any()
    np.testing.assert_array_equal(experiments.shift_images(X, 0, 28), X)
    cnn, dense = trained
    sweep = experiments.shift_sweep(cnn, dense, "mnist", 0, max_shift=2)
    assert sorted(sweep.curves["shift"].unique()) == [0, 1, 2]
    assert set(sweep.at(1)) == {"CNN", "dense network"}
    assert sweep.examples.shape == (3, 8, 28, 28)
    assert sweep.params["CNN"] == models.n_params(cnn.model)


def test_hand_positions_precomputes_every_window():
    hc = experiments.hand_positions(np.array(HAND_X, float), np.eye(2), 1, 0, 1)
    assert len(hc.windows) == 9 and hc.output.shape == (3, 3)
    mc = experiments.rgb_positions(0)
    assert len(mc.steps[0].windows) == mc.output.size == 9


# --- defaults ------------------------------------------------------------------------------------------


def test_the_controls_default_to_the_default_design():
    values = {f: c.default for f, c in (D.DESIGN | D.TRAINING).items()}
    assert D.design("mnist", **values) == D.DEFAULT_CNN
    assert D.default_spec().cfg == replace(D.DEFAULT_CNN, **D.FAST)  # fast mode in tests
    assert D.default_spec().key == D.spec(D.design("mnist", **values)).key  # the page and others share it
    assert set(D.race_specs()) == set(D.RACE)
    assert len({s.key for s in D.race_specs().values()}) == len(D.RACE)


def test_default_spec_runs_and_predicts(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    result = jobs.run(D.default_spec(), "cpu")
    p = experiments.predict_proba(result, mnist().X_test[:4])
    assert p.shape == (4, 10)
    assert jobs.run(D.default_spec(), "cpu").from_cache


def test_the_window_figure_holds_every_position_and_a_move_sets_one_parameter():
    from annlab.cnn import charts
    from annlab.ui.display import with_params

    X, K = conv.parse_matrix(D.HAND_X), conv.parse_matrix(D.HAND_K)
    hc = experiments.hand_positions(X, K, 1, 1, 1)
    spec = charts.window(hc.padded, hc.K, hc.output, hc.p, hc.s, hc.d).to_dict()
    assert spec["params"] == [{"name": "pos", "value": 0}]
    moved = with_params(spec, {"pos": 7})
    assert moved["params"] == [{"name": "pos", "value": 7}] and spec["params"][0]["value"] == 0
    assert moved["layer"] is spec["layer"]  # nothing else is rebuilt or copied
    mc = experiments.rgb_positions(0)
    assert charts.channels(mc.X, mc.K, mc.per_channel, mc.output).to_dict()["params"][0]["name"] == "pos"
