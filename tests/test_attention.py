"""Self-attention in NumPy and torch against scaled_dot_product_attention, and the ViT: parameter
counts against torch, output shapes, attention maps, a tiny seeded training run, the experiments."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from annlab.attention import defaults as D
from annlab.attention import experiments as ex
from annlab.attention import selfattention as sa
from annlab.attention import vit as vm
from annlab.data import mnist

TOL = 1e-5


def _case(n, d_model, d_k, d_v, heads, seed):
    X = np.random.default_rng(seed).normal(size=(n, d_model))
    return X, sa.random_weights(d_model, d_k, d_v, heads, seed=seed + 1)


shapes = st.tuples(
    st.integers(1, 12), st.integers(1, 16), st.integers(1, 32), st.integers(1, 12), st.integers(1, 4)
)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000), causal=st.booleans(), scaled=st.booleans())
def test_numpy_and_torch_agree_with_sdpa(shape, seed, causal, scaled):
    X, W = _case(*shape, seed)
    ours = sa.attention_numpy(X, **W, causal=causal, scaled=scaled)
    theirs = sa.attention_torch(X, **W, causal=causal, scaled=scaled)
    ref = sa.attention_sdpa(X, **W, causal=causal, scaled=scaled)
    assert sa.max_abs_diff(ours["out"], ref) <= TOL
    assert sa.max_abs_diff(theirs["out"], ref) <= TOL
    for key in ours:
        assert sa.max_abs_diff(ours[key], theirs[key]) <= TOL, key
    np.testing.assert_allclose(ours["weights"].sum(-1), 1.0, atol=1e-12)  # rows sum to 1
    n, d_model, d_k, d_v, heads = shape
    assert ours["scores"].shape == (heads, n, n)
    assert ours["heads"].shape == (heads, n, d_v)
    assert ours["concat"].shape == (n, heads * d_v)
    assert ours["out"].shape == (n, d_model)


def test_sdpa_reference_is_the_textbook_formula():
    """The reference itself, against softmax(Q K^T / sqrt(d_k)) V written with torch primitives."""
    X, W = _case(5, 6, 3, 2, 1, seed=3)
    Q, K, V = (
        torch.as_tensor(X, dtype=torch.float32) @ torch.as_tensor(W[k], dtype=torch.float32)
        for k in ("W_Q", "W_K", "W_V")
    )
    manual = torch.softmax(Q @ K.transpose(-2, -1) / 3**0.5, -1) @ V
    assert torch.allclose(F.scaled_dot_product_attention(Q, K, V), manual, atol=1e-6)


def test_causal_mask_hides_the_future():
    X, W = _case(6, 4, 3, 3, 2, seed=0)
    weights = sa.attention_numpy(X, **W, causal=True)["weights"]
    assert np.all(np.triu(weights[0], k=1) == 0) and np.all(np.triu(weights[1], k=1) == 0)
    assert weights[0, 0, 0] == pytest.approx(1.0)  # the first token sees only itself
    first = sa.attention_numpy(X[:3], **W, causal=True)["out"]
    assert np.allclose(
        first, sa.attention_numpy(X, **W, causal=True)["out"][:3]
    )  # later tokens change nothing


def test_without_scaling_the_softmax_saturates_as_dk_grows():
    df = ex.saturation_curve(D.ToySetup())
    scaled = df[df.scaling.str.startswith("scores")].set_index("d_k")
    raw = df[df.scaling == "no scaling"].set_index("d_k")
    assert raw.row_max[128] > 0.9 > scaled.row_max[128]
    assert raw.score_std[128] > 2.5 * raw.score_std[8]  # the spread grows like sqrt(d_k): 4x from 8 to 128
    assert 0.5 < scaled.score_std[128] / scaled.score_std[8] < 2  # scaled: it stays put


def test_step_by_step_reports_agreement_and_digit_tokens():
    steps = ex.step_by_step(D.ToySetup(heads=3, d_k=5, causal=True))
    assert all(v <= TOL for v in steps.diffs.values()) and steps.row_sum_error < 1e-12
    assert steps.numpy["weights"].shape == (3, 6, 6)
    assert len(steps.shapes()) == 11
    digit = ex.step_by_step(D.ToySetup(source=D.SOURCES[1], digit=3))
    assert digit.X.shape == (16, 49) and digit.setup.n == 16 and digit.setup.d_model == 49
    assert np.allclose(digit.X.reshape(4, 4, 7, 7).transpose(0, 2, 1, 3).reshape(28, 28), ex.test_digit(3)[0])


def test_bad_setups_are_refused_in_words():
    with pytest.raises(ValueError, match="multiple of heads"):
        vm.ViTConfig(dim=64, heads=5)
    with pytest.raises(ValueError, match="divide"):
        vm.ViTConfig(patch=5)
    with pytest.raises(ValueError, match="at least 1"):
        D.ToySetup(d_k=0)


@pytest.mark.parametrize("cfg", [vm.ViTConfig(), vm.ViTConfig(patch=4, dim=32, depth=2, heads=8, mlp_dim=64)])
def test_parameter_count_per_part_equals_torchs(cfg):
    model = vm.build(cfg)
    parts = vm.parts(model)
    assert sum(parts.values()) == sum(p.numel() for p in model.parameters())
    d, t = cfg.dim, cfg.n_patches + 1
    assert parts["patch embedding"] == cfg.patch**2 * d + d
    assert parts["CLS token + position embedding"] == d + t * d
    per_block = (
        2 * 2 * d
        + (3 * d * d + 3 * d)
        + (d * d + d)
        + (d * cfg.mlp_dim + cfg.mlp_dim)
        + (cfg.mlp_dim * d + d)
    )
    assert parts["Transformer blocks"] == cfg.depth * per_block  # hand formula
    table = ex.parameter_table(cfg)
    assert table.set_index("part").parameters["total"] == sum(parts.values())


def test_vit_shapes_and_attention_maps():
    cfg = vm.ViTConfig(depth=2, heads=4)
    model = vm.seeded_init(vm.build(cfg), torch.Generator().manual_seed(0)).eval()
    x = torch.rand(5, 784)
    with torch.no_grad():
        logits, att = model(x, keep=True)
        plain = model(x)
    assert logits.shape == (5, 10) and att.shape == (2, 5, 4, 17, 17)
    assert torch.allclose(logits, plain, atol=1e-5)  # the written-out attention equals SDPA's
    assert torch.allclose(att.sum(-1), torch.ones(2, 5, 4, 17), atol=1e-5)
    patches = vm.patchify(x, 7)
    assert patches.shape == (5, 16, 49) and torch.equal(
        patches[0, 1], x[0].reshape(28, 28)[:7, 7:14].reshape(-1)
    )


def test_rollout_of_identity_attention_is_identity_and_rows_sum_to_one():
    t = 5
    eye = np.broadcast_to(np.eye(t), (3, 2, t, t))
    assert np.allclose(ex.rollout(eye), np.eye(t))
    rand = np.random.default_rng(0).random((3, 2, t, t))
    rand /= rand.sum(-1, keepdims=True)
    assert np.allclose(ex.rollout(rand).sum(-1), 1.0)


def test_shift_augmentation_moves_pixels_and_keeps_the_input():
    x = torch.zeros(3, 784)
    x[:, 14 * 28 + 14] = 1.0
    before = x.clone()
    out = vm.shift_batch(x, 2, torch.Generator().manual_seed(1))
    assert torch.equal(x, before)
    assert torch.all(out.sum(1) == 1.0)  # the bright pixel moved, never left the image
    pos = out.argmax(1)
    assert torch.all((pos // 28 - 14).abs() <= 2) and torch.all((pos % 28 - 14).abs() <= 2)


def test_lr_schedule_warms_up_then_decays():
    f = [vm.lr_factor(s, 10, 100) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[10:], f[11:], strict=False)) and f[-1] < 0.01


def _tiny_data(n=300):
    d = D.digit_data(0)
    return d[0][:n], d[1][:n], d[2][:200], d[3][:200], d[4][:200], d[5][:200]


def test_tiny_seeded_training_lowers_the_loss_and_is_repeatable():
    cfg = vm.ViTConfig(dim=32, depth=1, heads=2, mlp_dim=32, num_epochs=4, warmup=1, batch_size=32)
    data = _tiny_data()
    X_before = data[0].copy()
    a = vm.train_vit(cfg, data, seed=0)
    b = vm.train_vit(cfg, data, seed=0)
    losses = [row["loss"] for row in a.history]
    assert losses[-1] < losses[0] and all(np.isfinite(losses))
    assert [r["loss"] for r in b.history] == losses  # same seed, same run
    assert a.history[-1]["val_acc"] > 0.2  # above chance (0.1) after 4 short epochs on 300 digits
    assert {"epoch", "loss", "val_loss", "train_acc", "val_acc", "seconds"} <= set(a.history[0])
    assert not any(k.startswith("test") for row in a.history for k in row)  # test: once, after training
    assert a.extra["test_acc"] > 0.2 and a.extra["n_test"] == 200 and a.extra["n_val"] == 200
    assert np.array_equal(data[0], X_before)


@pytest.mark.parametrize("train", ["vit", "dense"])
def test_spy_nan_test_digits_leave_training_and_validation_finite(train):
    """Every test input set to NaN: the per-epoch curves stay finite, only the test score is NaN."""
    data = list(_tiny_data(200))
    data[4] = np.full_like(data[4], np.nan)
    if train == "vit":
        res = vm.train_vit(vm.ViTConfig(dim=16, depth=1, heads=2, mlp_dim=16, num_epochs=2, warmup=0), data)
    else:
        res = vm.train_dense(vm.DenseConfig(hidden=(32,), num_epochs=2, warmup=0), data)
    assert not res.diverged and len(res.history) == 2
    assert all(np.isfinite(v) for row in res.history for v in row.values())
    assert np.isnan(res.extra["test_loss"])


def test_validation_digits_are_carved_from_the_training_split():
    from annlab.cnn.defaults import digit_data as cnn_data

    X_fit, _, X_val, _, X_test, _ = D.digit_data(0)
    train = mnist(seed=0).X_train
    assert len(X_fit) + len(X_val) == len(train) and len(X_val) == round(D.VAL_SHARE * len(train))
    rows = {r.tobytes() for r in train}
    assert all(r.tobytes() in rows for r in X_val)
    assert not {r.tobytes() for r in X_val} & {r.tobytes() for r in X_fit}
    assert np.array_equal(X_test, mnist(seed=0).X_test)
    assert np.array_equal(cnn_data("mnist", 0)["X_val"], X_val)  # the CNN beside it: the same split
    assert D.vit_spec().curves == ("loss", "val_loss", "train_acc", "val_acc")


def test_dense_baseline_trains():
    cfg = vm.DenseConfig(hidden=(64,), num_epochs=5, warmup=0, lr=3e-3)
    res = vm.train_dense(cfg, _tiny_data(), seed=0)
    assert res.history[-1]["loss"] < res.history[0]["loss"] and res.history[-1]["val_acc"] > 0.4


def test_inside_a_model_and_inference_leaves_it_unchanged():
    cfg = vm.ViTConfig(dim=32, depth=2, heads=2, mlp_dim=32, num_epochs=1, warmup=0)
    res = vm.train_vit(cfg, _tiny_data(200), seed=0)
    state = {k: v.clone() for k, v in res.model.state_dict().items()}
    digit, _ = ex.test_digit(0)
    inside = ex.inside(res, digit)
    assert inside.cls_maps.shape == (2, 2, 4, 4) and inside.rollout.shape == (4, 4)
    assert inside.proba.sum() == pytest.approx(1.0, abs=1e-5)
    assert inside.overlays().shape == (4, 28, 28, 3)
    assert 0 <= inside.overlays().min() and inside.overlays().max() <= 1
    sim = ex.position_similarity(res)
    assert sim.shape == (16, 4, 4) and np.allclose([sim[i].ravel()[i] for i in range(16)], 1.0)
    comps, ratio = ex.embedding_components(res, k=8)
    assert comps.shape == (8, 7, 7) and 0 < ratio.sum() <= 1 + 1e-9
    assert ex.patch_grid(digit, 7).shape == (224, 224, 3)
    for k, v in res.model.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_binomial_standard_error():
    assert ex.binomial_se(0.9, 1000) == pytest.approx((0.9 * 0.1 / 1000) ** 0.5)
    assert ex.binomial_se(1.0, 1000) == 0.0


def test_grid_has_the_reports_configurations():
    cfgs = D.grid_configs(3)
    assert len(cfgs) == 7 and all(c.num_epochs == 3 and c.patch == 7 for c in cfgs)
    assert (cfgs[0].dim, cfgs[0].depth, cfgs[0].heads, cfgs[0].mlp_dim) == (64, 6, 8, 128)
    assert len({D.vit_spec(c).key for c in cfgs}) == 7
