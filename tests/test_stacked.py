"""Stacked autoencoders: the layers against hand formulas, the stage keys, each layer's input, the
labelled subset, fine-tuning's start, and the page's experiments as plain functions."""

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from annlab import jobs
from annlab.stacked import defaults as d
from annlab.stacked import experiments as ex
from annlab.stacked import pretrain as pt
from annlab.stacked.models import LayerAE, StackNet, mask_noise, seeded_init, shift_images
from annlab.training import generator

SMALL = d.Stack(n_layers=2, first_units=32, layer_epochs=1, corruption=0.2, epochs=1, shift=1.0, n_labels=50)


def digits(n=300):
    split, _ = d.data()
    return np.array(split.X_train[:n]), np.array(split.y_train[:n])


# ---------------------------------------------------------------- the models against hand formulas
def test_layer_loss_matches_hand_formulas():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(5, 12, generator=gen)
    bounded = seeded_init(LayerAE(12, 4, bounded=True), generator(1))
    h = torch.relu(x @ bounded.encoder.weight.T + bounded.encoder.bias)
    p = torch.sigmoid(h @ bounded.decoder.weight.T + bounded.decoder.bias)
    bce = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(1).mean()
    assert torch.allclose(bounded.loss(x, x), bce, atol=1e-5)
    assert torch.allclose(bounded(x), p, atol=1e-6)
    linear = seeded_init(LayerAE(12, 4, bounded=False), generator(2))
    out = torch.relu(linear.encoder(x)) @ linear.decoder.weight.T + linear.decoder.bias
    assert torch.allclose(linear.loss(x, x), (out - x).pow(2).sum(1).mean(), atol=1e-5)


def test_seeded_init_is_pytorch_default_range_and_reproducible():
    a = seeded_init(StackNet((784, 64, 32)), generator(3))
    b = seeded_init(StackNet((784, 64, 32)), generator(3))
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
    bound = 1 / math.sqrt(784)
    assert a.encoders[0].weight.abs().max() <= bound
    assert a.encoders[0].weight.std() > bound / 3  # spread over the range, not all zero


def test_mask_noise_zeroes_the_fraction_and_keeps_the_mean():
    x = torch.ones(200, 500)
    out = mask_noise(x, 0.3, generator(0))
    zeroed = (out == 0).float().mean().item()
    assert abs(zeroed - 0.3) < 0.01
    assert abs(out.mean().item() - 1.0) < 0.02  # kept entries scaled by 1 / 0.7
    assert torch.equal(x, torch.ones(200, 500))  # input not modified
    assert mask_noise(x, 0.0, generator(0)) is x


def test_shift_moves_the_centre_of_mass_by_the_drawn_shift():
    img = torch.zeros(1, 28, 28)
    img[0, 10:15, 8:12] = 1.0
    flat = img.reshape(1, 784)

    assert torch.equal(shift_images(flat, 0.0, generator(0)), flat)
    out = shift_images(flat, 2.0, generator(0)).reshape(28, 28)
    assert abs(out.sum().item() - img.sum().item()) < 1e-3  # mass kept (the blob stays inside)
    gen = generator(0)
    d_xy = (torch.rand(1, 2, generator=gen) * 2 - 1) * 2.0  # the shift shift_images drew
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    before = ((img[0] * xs).sum() / img.sum(), (img[0] * ys).sum() / img.sum())
    after = ((out * xs).sum() / out.sum(), (out * ys).sum() / out.sum())
    assert abs((after[0] - before[0]) - d_xy[0, 0]).item() < 1e-3  # the centre of mass moved by dx
    assert abs((after[1] - before[1]) - d_xy[0, 1]).item() < 1e-3  # and by dy


def test_stacknet_loads_pretrained_encoders():
    layers = [
        seeded_init(LayerAE(784, 32, True), generator(1)),
        seeded_init(LayerAE(32, 16, False), generator(2)),
    ]
    net = StackNet((784, 32, 16)).load_encoders([m.state_dict() for m in layers])
    x = torch.rand(3, 784)
    assert torch.allclose(net.codes(x), layers[1].encode(layers[0].encode(x)))
    with pytest.raises(ValueError, match="pretrained layers"):
        StackNet((784, 32)).load_encoders([m.state_dict() for m in layers])


# ---------------------------------------------------------------- configs and stage keys
def test_configs_reject_bad_values():
    with pytest.raises(ValueError, match="names the one below"):
        pt.LayerConfig(layer=2, n_in=256, n_hidden=128)
    with pytest.raises(ValueError, match="fraction"):
        pt.LayerConfig(layer=1, n_in=784, n_hidden=128, corruption=1.0)
    with pytest.raises(ValueError, match="kind"):
        pt.ClassifierConfig("dbn", (784, 64), 100, below="x")
    with pytest.raises(ValueError, match="scratch"):
        pt.ClassifierConfig("finetune", (784, 64), 100)
    with pytest.raises(ValueError, match="labelled"):
        pt.ClassifierConfig("scratch", (784, 64), 5)
    with pytest.raises(ValueError, match="1 to 5"):
        d.Stack(n_layers=0)


def test_default_stack_is_784_512_256_128():
    assert d.STACK.sizes == (784, 512, 256, 128)
    assert d.LABELS.default in d.LABEL_COUNTS and 100 in d.LABEL_COUNTS
    assert max(d.LABEL_COUNTS) == len(d.fit_val().y_fit)  # the largest count: every fit digit


def test_each_layer_key_includes_the_layer_below():
    specs = d.layer_specs(d.STACK)
    assert specs[0].cfg.below == ""
    assert [s.cfg.below for s in specs[1:]] == [s.key for s in specs[:-1]]
    changed = d.layer_specs(dataclasses.replace(d.STACK, corruption=0.1))
    assert all(a.key != b.key for a, b in zip(specs, changed, strict=True))  # layer 1 changed: all retrain
    wider = d.layer_specs(dataclasses.replace(d.STACK, first_units=256))
    assert all(a.key != b.key for a, b in zip(specs, wider, strict=True))
    fewer_labels = d.layer_specs(dataclasses.replace(d.STACK, n_labels=3600))
    assert [s.key for s in specs] == [s.key for s in fewer_labels]  # labels never retrain the stack
    three = d.classifier_specs(d.STACK)
    assert three.frozen.cfg.below == specs[-1].key
    assert three.finetune.cfg.below == three.frozen.key
    assert three.scratch.cfg.below == ""
    other = d.classifier_specs(dataclasses.replace(d.STACK, n_labels=3600))
    assert {s.key for _, s in three.items()}.isdisjoint({s.key for _, s in other.items()})


def test_each_layer_trains_on_the_codes_of_the_layer_below():
    specs = d.layer_specs(SMALL)
    first = jobs.run(specs[0])
    x_train, x_val, x_test = specs[0].data_fn()
    split, _ = d.data()
    fv = d.fit_val()
    assert x_train.shape == (len(fv.X_fit), 784) and x_val.shape == (len(fv.X_val), 784)
    assert np.array_equal(x_test, split.X_test)
    assert len(fv.X_fit) + len(fv.X_val) == len(split.X_train) and len(fv.X_val) == 400
    codes, val, test = specs[1].data_fn()
    assert codes.shape == (len(fv.X_fit), SMALL.sizes[1]) and val.shape[1] == test.shape[1] == SMALL.sizes[1]
    assert np.allclose(codes, pt.encode(first.model, fv.X_fit))
    assert first.extra["n_val"] == 400 and first.extra["n_test"] == len(split.X_test)
    assert codes.min() >= 0  # ReLU codes
    second = jobs.run(specs[1])
    top = d.stack_codes([first, second], split.X_test[:7])
    assert top.shape == (7, SMALL.sizes[2])
    with pytest.raises(ValueError, match="expects 32 inputs"):
        pt.train_layer(specs[1].cfg, (split.X_train[:10], split.X_test[:10]))


# ---------------------------------------------------------------- training
def test_layer_training_lowers_the_loss_and_leaves_the_input_alone():
    X, _ = digits(400)
    copy = X.copy()
    cfg = pt.LayerConfig(layer=1, n_in=784, n_hidden=32, corruption=0.2, num_epochs=4, batch_size=32)
    r = pt.train_layer(cfg, (X, X[:100]), seed=0)
    losses = [h["loss"] for h in r.history]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]
    assert set(r.history[0]) >= {"epoch", "loss", "val_loss", "seconds"}
    assert np.array_equal(X, copy)
    again = pt.train_layer(cfg, (X, X[:100]), seed=0)
    assert torch.equal(r.model.encoder.weight, again.model.encoder.weight)  # same seed, same weights


def test_spy_nan_test_digits_leave_layers_and_classifiers_finite(tmp_path, monkeypatch):
    """Every test input set to NaN: each layer's, the frozen softmax's, the fine-tuned stack's and the
    scratch network's curves stay finite; only their test scores are NaN."""
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    split, _ = d.data()
    poisoned = dataclasses.replace(split, X_test=np.full_like(split.X_test, np.nan))
    monkeypatch.setattr(d, "mnist", lambda: poisoned)
    tiny = dataclasses.replace(SMALL, n_layers=2, first_units=16)
    layers = [jobs.run(s) for s in d.layer_specs(tiny)]
    results = [jobs.run(s) for _, s in d.classifier_specs(tiny).items()]
    for r in layers + results:
        assert not r.diverged and r.history
        assert all(math.isfinite(v) for row in r.history for v in row.values())
    assert all(math.isnan(r.extra["test_loss"]) for r in layers + results)


def test_labelled_subset_is_stratified_and_seeded():
    split, _ = d.data()
    y = split.y_train
    idx = pt.labelled_subset(y, 100, seed=0)
    assert len(idx) == 100 and len(set(idx)) == 100
    assert np.bincount(y[idx], minlength=10).tolist() == [10] * 10
    assert np.array_equal(idx, pt.labelled_subset(y, 100, seed=0))
    assert not np.array_equal(idx, pt.labelled_subset(y, 100, seed=1))
    assert np.array_equal(pt.labelled_subset(y, len(y), seed=3), np.arange(len(y)))
    with pytest.raises(ValueError, match="one per class"):
        pt.labelled_subset(y, 5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(10, 3999), seed=st.integers(0, 10_000))
def test_labelled_subset_keeps_class_proportions(n, seed):
    y = np.repeat(np.arange(10), 400)
    counts = np.bincount(y[pt.labelled_subset(y, n, seed)], minlength=10)
    assert counts.sum() == n and counts.max() - counts.min() <= 1


def _small_classifiers():
    X, y = digits(300)
    layers = []
    codes = X
    for k, (a, b) in enumerate(((784, 32), (32, 16)), start=1):
        cfg = pt.LayerConfig(layer=k, n_in=a, n_hidden=b, num_epochs=1, below="" if k == 1 else "l1")
        layers.append(pt.train_layer(cfg, (codes, codes[:50]), seed=k))
        codes = pt.encode(layers[-1].model, codes)
    start = [r.model.state_dict() for r in layers]
    split, _ = d.data()
    data = pt.ClassifierData(
        X[:100], y[:100], X[200:], y[200:], split.X_test[:200], split.y_test[:200], start
    )
    return layers, data


def test_frozen_softmax_keeps_the_pretrained_encoders():
    layers, data = _small_classifiers()
    cfg = pt.ClassifierConfig("frozen", (784, 32, 16), 100, num_epochs=3, lr=1e-2, below="l2")
    r = pt.train_classifier(cfg, data, seed=0)
    for enc, layer in zip(r.model.encoders, layers, strict=True):
        assert torch.equal(enc.weight, layer.model.encoder.weight)  # only the softmax layer learnt
    assert r.history[-1]["loss"] < r.history[0]["loss"]
    assert all(p.requires_grad for p in r.model.parameters())


def test_fine_tuning_starts_from_the_pretrained_weights():
    layers, data = _small_classifiers()
    frozen_cfg = pt.ClassifierConfig("frozen", (784, 32, 16), 100, num_epochs=2, lr=1e-2, below="l2")
    frozen = pt.train_classifier(frozen_cfg, data, seed=0)
    ft_data = dataclasses.replace(data, start=frozen.model.state_dict())
    cfg = pt.ClassifierConfig("finetune", (784, 32, 16), 100, num_epochs=1, lr=1e-3, below="f")
    start = pt.start_model(cfg, ft_data, seed=5)
    for name, p in start.state_dict().items():
        assert torch.equal(p, frozen.model.state_dict()[name]), name  # before the first step: equal
    tiny = pt.train_classifier(dataclasses.replace(cfg, lr=1e-9, weight_decay=0.0, dropout=0.0), ft_data)
    for name, p in tiny.model.state_dict().items():
        assert torch.allclose(p, frozen.model.state_dict()[name], atol=1e-6), name
    tuned = pt.train_classifier(cfg, ft_data)
    moved = tuned.model.encoders[0].weight - layers[0].model.encoder.weight
    assert moved.abs().max() > 1e-4  # fine-tuning moves the encoders too
    scratch = pt.start_model(pt.ClassifierConfig("scratch", (784, 32, 16), 100), data, seed=5)
    assert not torch.equal(scratch.encoders[0].weight, layers[0].model.encoder.weight)


def test_classifier_history_and_accuracy():
    _, data = _small_classifiers()
    cfg = pt.ClassifierConfig("scratch", (784, 32, 16), 100, num_epochs=20, lr=1e-2, shift=1.0, dropout=0.1)
    r = pt.train_classifier(cfg, data, seed=0)
    assert set(r.history[0]) >= {"epoch", "loss", "acc", "val_acc", "seconds"}
    assert not any(k.startswith("test") for row in r.history for k in row)  # test: once, after training
    assert r.history[-1]["val_acc"] == pytest.approx(pt.accuracy(r.model, data.X_val, data.y_val))
    assert r.extra["test_acc"] == pytest.approx(pt.accuracy(r.model, data.X_test, data.y_test))
    assert r.history[-1]["acc"] > 0.5  # learns its 100 labelled digits
    manual = (r.model(torch.tensor(data.X_test)).argmax(1).numpy() == data.y_test).mean()
    assert pt.accuracy(r.model, data.X_test, data.y_test) == pytest.approx(manual)


# ---------------------------------------------------------------- experiments
def test_standard_error_formula():
    assert ex.standard_error(0.9, 1000) == pytest.approx(math.sqrt(0.9 * 0.1 / 1000))
    assert ex.standard_error(1.0, 50) == 0.0


def test_compare_reconstruct_and_filters_on_a_small_stack():
    layer_specs = d.layer_specs(SMALL)
    layers = [jobs.run(s) for s in layer_specs]
    three = d.classifier_specs(SMALL, 0, layer_specs)
    results = [jobs.run(s) for _, s in three.items()]
    comp = ex.compare(*results)
    assert list(comp.table["kind"]) == list(ex.ORDER)
    assert (comp.table["n_labels"] == SMALL.n_labels).all()
    row = comp.table.iloc[1]
    assert row["se"] == pytest.approx(ex.standard_error(row["accuracy"], comp.n_test))
    assert comp.gain == pytest.approx(comp.accuracy("finetune") - comp.accuracy("scratch"))
    assert "50 labelled digits" in comp.headline()
    rec = ex.reconstructions(layers, first=3, n=5)
    assert rec.grid.shape == (5 * (1 + SMALL.n_layers), 784) and len(rec.errors) == SMALL.n_layers
    split, _ = d.data()
    assert np.array_equal(rec.grid[:5], split.X_test[3:8])
    assert rec.grid.min() >= 0 and rec.grid.max() <= 1
    assert ex.first_filters(layers[0], 10).shape == (10, 784)
    base = ex.layer_baselines(layers)
    assert list(base.table["layer"]) == [1, 2] and list(base.table["input -> code"]) == [
        "784 -> 32",
        "32 -> 16",
    ]
    assert base.table["PCA MSE"].gt(0).all() and base.table["autoencoder MSE"].gt(0).all()
    assert [(k, u) for k, u, _, _ in base.stack] == [(1, 32), (2, 16)]
    assert base.stack[-1][2] == pytest.approx(rec.errors[-1], rel=1e-5)  # the grid's error, beside PCA
    assert isinstance(base.sentence(), str) and "PCA" in base.sentence()
    assert not ex.report_table().empty


def test_label_sweep_covers_every_count_and_reuses_the_store():
    from annlab import store

    tiny = dataclasses.replace(SMALL, n_layers=1, first_units=16)
    steps = []
    sweep = ex.label_sweep(tiny, 0, callback=lambda step, info: steps.append(info["fraction"]))
    assert sorted(sweep.gains) == list(d.LABEL_COUNTS)
    assert len(sweep.table) == 3 * len(d.LABEL_COUNTS)
    assert steps[-1] == 1.0 and steps == sorted(steps)
    assert d.sweep_stored(tiny)
    before = len(store.TRAINED)
    again = ex.label_sweep(tiny, 0)
    assert store.TRAINED[before:] == []  # every stage came from the store
    assert again.table.equals(sweep.table)
    assert isinstance(sweep.summary(), str) and sweep.summary()


def test_shift_augmentation_is_a_new_tensor():
    x = torch.rand(4, 784)
    copy = x.clone()
    out = shift_images(x, 2.0, generator(0), max_rotate=10.0)
    assert out.shape == x.shape and torch.equal(x, copy)
    assert not torch.allclose(out, x)
    assert F.mse_loss(out, x) < F.mse_loss(torch.zeros_like(x), x) * 4


# ---------------------------------------------------------------- augmentation, subsets, the recorded choice
def test_scale_augmentation_scales_the_spread_by_the_drawn_factor():
    img = torch.zeros(1, 28, 28)
    img[0, 11:17, 11:17] = 1.0  # a centred square
    flat = img.reshape(1, 784)
    out = shift_images(flat, 0.0, generator(4), max_scale=0.2).reshape(28, 28)
    gen = generator(4)
    torch.rand(1, 2, generator=gen), torch.rand(1, generator=gen)  # the shift and angle draws come first
    factor = 1.0 + (torch.rand(1, generator=gen).item() * 2 - 1) * 0.2
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")

    def spread(a):
        cx = (a * xs).sum() / a.sum()
        return torch.sqrt((a * (xs - cx) ** 2).sum() / a.sum()).item()

    assert out.sum().item() == pytest.approx(img.sum().item() * factor**2, rel=0.03)  # area times s^2
    assert spread(out) / spread(img[0]) == pytest.approx(factor, rel=0.05)


def test_warp_bends_the_digit_smoothly_and_keeps_its_ink():
    split, _ = d.data()
    x = torch.tensor(np.array(split.X_train[:64]))
    copy = x.clone()
    out = shift_images(x, 0.0, generator(0), warp=2.0)
    assert out.shape == x.shape and torch.equal(x, copy)  # a new tensor, the input untouched
    assert not torch.allclose(out, x)
    assert out.min() >= 0 and out.max() <= 1 + 1e-6
    ink = out.sum(1) / x.sum(1)  # a warp stretches some strokes and squeezes others: ink kept on average
    assert abs(ink.mean().item() - 1.0) < 0.05 and ink.min() > 0.5 and ink.max() < 1.6
    assert torch.equal(out, shift_images(x, 0.0, generator(0), warp=2.0))  # seeded
    assert F.mse_loss(shift_images(x, 0.0, generator(0), warp=0.5), x) < F.mse_loss(out, x)  # more = further


def test_classifier_config_checks_the_new_augmentations():
    for bad in ({"scale": 1.0}, {"warp": -1.0}, {"label_smoothing": 1.0}, {"rotate": -2.0}):
        with pytest.raises(ValueError):
            pt.ClassifierConfig("scratch", (784, 64), 100, **bad)
    with pytest.raises(ValueError, match="warp"):
        d.Stack(warp=-1.0)


def test_warp_control_reaches_every_classifier_and_changes_training():
    assert d.STACK_CONTROLS["warp"].key == "sae_warp"
    assert d.STACK_CONTROLS["warp"].default == d.STACK.warp
    warped = dataclasses.replace(SMALL, warp=2.0)
    three = d.classifier_specs(warped)
    assert all(spec.cfg.warp == 2.0 for _, spec in three.items())  # the three alike
    plain = d.classifier_specs(dataclasses.replace(SMALL, warp=0.0))
    assert all(a.key != b.key for (_, a), (_, b) in zip(three.items(), plain.items(), strict=True))
    assert [s.key for s in d.layer_specs(warped)] == [s.key for s in d.layer_specs(SMALL)]  # stack kept
    _, data = _small_classifiers()
    cfg = pt.ClassifierConfig("scratch", (784, 32, 16), 100, num_epochs=2, lr=1e-2)
    a = pt.train_classifier(cfg, data, seed=0)
    b = pt.train_classifier(dataclasses.replace(cfg, warp=2.0), data, seed=0)
    assert not torch.equal(a.model.encoders[0].weight, b.model.encoders[0].weight)
    c = pt.train_classifier(dataclasses.replace(cfg, label_smoothing=0.2), data, seed=0)
    assert c.history[-1]["loss"] > a.history[-1]["loss"]  # smoothed targets: the loss cannot reach 0


def test_subset_specs_share_the_stack_and_draw_different_subsets():
    subsets = d.subset_specs(SMALL, seed=3, n_subsets=3)
    assert sorted(subsets) == [3, 4, 5]
    page = d.classifier_specs(SMALL, 3)
    assert subsets[3].finetune.key == page.finetune.key  # the first subset is the page's own
    layers_key = d.layer_specs(SMALL, 3)[-1].key
    assert all(three.frozen.cfg.below == layers_key for three in subsets.values())  # one pretrained stack
    assert len({three.scratch.key for three in subsets.values()}) == 3
    split, _ = d.data()
    drawn = [set(pt.labelled_subset(split.y_train, SMALL.n_labels, s)) for s in subsets]
    assert drawn[0] != drawn[1] != drawn[2]


def test_subset_gains_mean_and_standard_error():
    tiny = dataclasses.replace(SMALL, n_layers=1, first_units=16)
    gains = ex.subset_gains(tiny, 0)
    assert len(gains.table) == d.N_SUBSETS and list(gains.table["seed"]) == list(range(d.N_SUBSETS))
    g = (gains.table["after"] - gains.table["scratch"]).to_numpy()
    assert np.allclose(gains.table["gain"], g)
    assert gains.mean == pytest.approx(g.mean())
    assert gains.se == pytest.approx(np.std(g, ddof=1) / math.sqrt(len(g)))
    assert d.subsets_stored(tiny)
    assert f"{d.N_SUBSETS} labelled subsets of 50 digits" in gains.summary()


@pytest.mark.parametrize(
    ("gains", "says"),
    [
        ([0.05, 0.06, 0.04, 0.05], "clearly pays"),
        ([0.01, 0.012, 0.008, 0.01], "real (more than two standard errors above zero) but small"),
        ([0.01, -0.01, 0.02, -0.005], "does not reliably help"),
        ([-0.03, -0.02, -0.04, -0.03], "pretraining hurt"),
    ],
)
def test_subset_summary_follows_the_numbers(gains, says):
    import pandas as pd

    table = pd.DataFrame({"seed": range(len(gains)), "gain": gains})
    g = np.array(gains)
    result = ex.SubsetGains(table, 100, float(g.mean()), float(g.std(ddof=1) / math.sqrt(len(g))))
    assert says in result.summary()
    assert f"{g.mean() * 100:+.1f} points on average" in result.summary()


def test_defaults_are_the_recorded_validation_choice():
    import json
    from pathlib import Path

    import annlab.stacked

    record = json.loads((Path(annlab.stacked.__file__).parent / "selection.json").read_text())
    chosen = record["chosen"]
    assert {k: getattr(d.STACK, k) for k in chosen["stack"]} == chosen["stack"]
    assert d.CLF == chosen["classifier"]
    means = {}  # the rule, recomputed from the recorded validation rows (3,200 labels)
    for row in record["validation"]:
        means.setdefault(row["candidate"], {})[row["fold"]] = row["val_after"]
    eligible = {
        name: np.mean([accs[f] for f in record["folds"]])
        for name, accs in means.items()
        if set(record["folds"]) <= set(accs) and name not in record["over_budget"]
    }
    assert max(eligible, key=eligible.get) == chosen["candidate"]
    assert all(row["labels"] < 4000 for row in record["validation"])  # validation digits, never test


def test_warp_field_is_bicubic_interpolation_of_the_control_points():
    from annlab.stacked import models

    coarse = torch.randn(3, 2, models.WARP_POINTS, models.WARP_POINTS, generator=generator(0))
    ref = F.interpolate(coarse, size=(28, 28), mode="bicubic", align_corners=True)  # (3, 2, 28, 28)
    mine = coarse.view(3, 2, -1) @ models._warp_basis(28)
    assert torch.allclose(mine.view(3, 2, 28, 28), ref, atol=1e-5)


@pytest.mark.parametrize(
    ("ae", "says"),
    [
        ([1.0, 1.0, 1.0], "Every layer rebuilds its test input better than PCA"),
        ([3.0, 1.0, 3.0], "Layers 1, 3 rebuild their test input worse than PCA"),
        ([3.0, 1.0, 1.0], "Layer 1 rebuilds its test input worse than PCA"),
    ],
)
def test_layer_baseline_sentence_follows_the_numbers(ae, says):
    import pandas as pd

    table = pd.DataFrame({"layer": [1, 2, 3], "autoencoder MSE": ae, "PCA MSE": [2.0, 2.0, 2.0]})
    assert says in ex.LayerBaselines(table, ()).sentence()


def test_subset_summary_says_when_every_digit_is_labelled():
    import pandas as pd

    table = pd.DataFrame({"seed": range(3), "gain": [0.001, -0.002, 0.0]})
    every = ex.SubsetGains(table, 4000, -0.0003, 0.001, every_digit=True).summary()
    assert "3 runs with all 4,000 training digits labelled" in every and "subsets" not in every


def test_classifier_training_with_dropout_is_seeded_and_leaves_the_global_rng_alone():
    _, data = _small_classifiers()
    cfg = pt.ClassifierConfig("scratch", (784, 32, 16), 100, num_epochs=2, lr=1e-2, dropout=0.3, warp=1.0)
    state = torch.random.get_rng_state()
    a = pt.train_classifier(cfg, data, seed=0)
    assert torch.equal(torch.random.get_rng_state(), state)  # nothing drawn from the global RNG
    torch.rand(5)  # a different global state must not change the result
    b = pt.train_classifier(cfg, data, seed=0)
    assert torch.equal(a.model.encoders[0].weight, b.model.encoders[0].weight)
    net = StackNet((784, 32, 16), dropout=0.5).train()
    with pytest.raises(ValueError, match="Generator"):
        net(torch.rand(2, 784))
    x = torch.rand(4, 784)
    assert torch.equal(net(x, generator(1)), net(x, generator(1)))
    assert torch.equal(net.eval()(x), net(x, generator(2)))  # no dropout in eval mode
