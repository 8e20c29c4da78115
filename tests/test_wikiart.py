"""WikiArt topic: focal loss, class weights, sampler, robust loader and cache, painted set, training, and
the page's experiments (prior correction, remedy table, picture choice, code map) without Streamlit."""

from __future__ import annotations

import dataclasses
import io
import os

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.utils.class_weight import compute_class_weight

from annlab import jobs
from annlab.training import generator
from annlab.wikiart import data as artdata
from annlab.wikiart import defaults, experiments, synthetic
from annlab.wikiart.data import ArtDataError, ArtSet, ImageError, load_folder, read_image, read_upload
from annlab.wikiart.defaults import REMEDIES, with_remedy
from annlab.wikiart.losses import balanced_sampler, class_weights, focal_alpha, focal_loss
from annlab.wikiart.models import ArtAEConfig, CNNConfig
from annlab.wikiart.train import augment_batch, metrics, predict_proba, train_ae, train_cnn


# --------------------------------------------------------------------------- focal loss
def test_focal_equals_cross_entropy_at_gamma_zero():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 7, generator=g) * 3
    y = torch.randint(0, 7, (50,), generator=g)
    assert torch.allclose(focal_loss(logits, y, gamma=0.0), F.cross_entropy(logits, y), atol=1e-6)
    w = torch.rand(7, generator=g) + 0.1
    assert torch.allclose(
        focal_loss(logits, y, gamma=0.0, alpha=w, reduction="weighted_mean"),
        F.cross_entropy(logits, y, weight=w),
        atol=1e-6,
    )
    # the paper's mean divides by the number of examples, so alpha stays in the loss
    ce = F.cross_entropy(logits, y, weight=w, reduction="none")
    assert torch.allclose(focal_loss(logits, y, gamma=0.0, alpha=w), ce.mean(), atol=1e-6)
    per = focal_loss(logits, y, gamma=0.0, reduction="none")
    assert torch.allclose(per, F.cross_entropy(logits, y, reduction="none"), atol=1e-6)


def test_focal_matches_hand_formula_and_downweights_easy_examples():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.1, 0.2, 0.0]])
    y = torch.tensor([0, 2])
    p = torch.softmax(logits, 1)[torch.arange(2), y]
    expected = -((1 - p) ** 2) * torch.log(p)
    assert torch.allclose(focal_loss(logits, y, gamma=2.0, reduction="none"), expected, atol=1e-6)
    ce = F.cross_entropy(logits, y, reduction="none")
    ratio = focal_loss(logits, y, gamma=2.0, reduction="none") / ce
    assert ratio[0] < ratio[1]  # the easy (confident, correct) example is down-weighted more


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_focal_finite_for_huge_logits(gamma):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [1e4, 1e4, -1e4]], requires_grad=True)
    y = torch.tensor([1, 1, 2])  # first and last badly wrong, second right
    loss = focal_loss(logits, y, gamma=gamma, alpha=torch.tensor([1.0, 2.0, 0.5]))
    assert torch.isfinite(loss)
    assert loss.item() > 1e3  # confidently wrong: a huge but finite loss
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    per = focal_loss(logits.detach(), y, gamma=gamma, reduction="none")
    assert per[1].item() == pytest.approx(0.0, abs=1e-6)  # the right answer costs nothing


def test_focal_alpha_changes_the_loss_and_the_gradient():
    y_train = np.repeat(np.arange(4), [200, 50, 20, 8])
    g = torch.Generator().manual_seed(1)
    logits = (torch.randn(64, 4, generator=g) * 2).requires_grad_(True)
    y = torch.randint(0, 4, (64,), generator=g)
    alpha = {s: torch.from_numpy(focal_alpha(y_train, 4, s)) for s in (0.0, 1.0, 2.0)}
    np.testing.assert_allclose(alpha[0.0].numpy(), 1.0)  # strength 0: no balancing
    np.testing.assert_allclose(alpha[1.0].numpy(), class_weights(y_train, 4), rtol=1e-6)  # inverse frequency
    losses, grads = {}, {}
    for s, a in alpha.items():
        logits.grad = None
        loss = focal_loss(logits, y, gamma=2.0, alpha=a)
        loss.backward()
        losses[s], grads[s] = loss.item(), logits.grad.flatten().clone()
    assert len({round(v, 6) for v in losses.values()}) == 3  # three strengths, three losses
    for s in (1.0, 2.0):  # not a rescaled gradient: the classes are weighed differently
        cos = F.cosine_similarity(grads[0.0], grads[s], dim=0)
        assert cos < 0.99
    # a constant alpha scales the loss and its gradient (it no longer cancels out)
    assert focal_loss(logits, y, alpha=2.0).item() == pytest.approx(2 * focal_loss(logits, y).item())
    with pytest.raises(ValueError):
        focal_alpha(y_train, 4, -1.0)


def test_focal_rejects_negative_gamma():
    with pytest.raises(ValueError):
        focal_loss(torch.zeros(2, 3), torch.tensor([0, 1]), gamma=-1.0)


# --------------------------------------------------------------------------- weights and sampler
def test_class_weights_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.choice(5, size=300, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    ours = class_weights(y, 5)
    ref = compute_class_weight("balanced", classes=np.arange(5), y=y)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    # a class absent from y gets weight 0, the others keep sklearn's values for the present classes
    y2 = y[y != 3]
    ref2 = compute_class_weight("balanced", classes=np.unique(y2), y=y2)
    w2 = class_weights(y2, 5)
    assert w2[3] == 0
    np.testing.assert_allclose(np.delete(w2, 3), ref2, rtol=1e-6)


def test_sampler_draws_balanced_in_expectation():
    y = np.repeat(np.arange(4), [500, 100, 30, 10])
    sampler = balanced_sampler(y, num_samples=40_000, generator=generator(3))
    draws = y[np.fromiter(iter(sampler), np.int64)]
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, 0.25, atol=0.015)
    # same seed, same draws
    again = np.fromiter(iter(balanced_sampler(y, num_samples=100, generator=generator(3))), np.int64)
    first = np.fromiter(iter(balanced_sampler(y, num_samples=100, generator=generator(3))), np.int64)
    np.testing.assert_array_equal(again, first)


# --------------------------------------------------------------------------- loader
def _png(path, mode="RGB", size=(20, 14), color=(200, 30, 30)):
    if mode == "RGB":
        img = Image.new("RGB", size, color)
    elif mode == "L":
        img = Image.new("L", size, 120)
    elif mode == "RGBA":
        img = Image.new("RGBA", size, (0, 0, 255, 0))  # fully transparent blue -> white
    elif mode == "P":
        img = Image.new("RGB", size, color).convert("P", palette=Image.Palette.ADAPTIVE)
    elif mode == "I;16":
        ramp = np.arange(size[0] * size[1]).reshape(size[1], size[0]) * 100
        img = Image.fromarray(ramp.astype(np.uint16))
    img.save(path, "PNG")


def _cmyk_jpeg(path, size=(24, 24)):
    Image.new("CMYK", size, (0, 255, 255, 0)).save(path, "JPEG")


def _jpeg_bytes(size=(40, 40)):
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def broken_folder(tmp_path):
    """Flat layout: two good styles with a mix of modes, plus broken files."""
    a, b = tmp_path / "Cubism", tmp_path / "Fauvism"
    a.mkdir()
    b.mkdir()
    for i in range(4):
        _png(a / f"rgb{i}.png")
    _png(a / "gray.png", "L")
    _png(a / "rgba.png", "RGBA")
    _png(a / "pal.png", "P")
    _png(a / "deep.png", "I;16")
    _cmyk_jpeg(a / "cmyk.jpg")
    for i in range(3):
        (b / f"ok{i}.jpg").write_bytes(_jpeg_bytes())
    (b / "empty.jpg").write_bytes(b"")
    (b / "truncated.jpg").write_bytes(_jpeg_bytes()[:200])
    (b / "notes.txt").write_text("not an image")
    (b / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 5)
    (b / ".DS_Store").write_bytes(b"hidden")
    return tmp_path


def test_loader_survives_broken_files_and_reports_them(broken_folder):
    art = load_folder(broken_folder, side=16, use_cache=False)
    assert art.classes == ("Cubism", "Fauvism")
    total = len(art.y_train) + len(art.y_test)
    assert total == 9 + 3  # every readable picture, whatever its mode
    assert art.X_train.shape[1:] == (16, 16, 3) and art.X_train.dtype == np.uint8
    skipped = dict(art.skipped)
    assert set(skipped) == {
        os.path.join("Fauvism", n) for n in ("empty.jpg", "truncated.jpg", "notes.txt", "fake.png")
    }
    assert "empty" in skipped[os.path.join("Fauvism", "empty.jpg")]
    assert "not a picture" in skipped[os.path.join("Fauvism", "notes.txt")]
    assert "4 file(s) could not be read" in art.warning
    # both styles are in both splits (stratified), the split is seeded
    assert set(art.y_test) == {0, 1} and set(art.y_train) == {0, 1}
    again = load_folder(broken_folder, side=16, use_cache=False)
    np.testing.assert_array_equal(art.X_test, again.X_test)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_modes_become_rgb(tmp_path, mode):
    path = tmp_path / "x.png"
    _png(path, mode)
    img = read_image(path, 8)
    assert img.shape == (8, 8, 3) and img.dtype == np.uint8
    if mode == "RGBA":  # transparent pixels are laid on white
        assert (img == 255).all()
    if mode == "L":
        assert (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all()


def test_cmyk_becomes_rgb(tmp_path):
    _cmyk_jpeg(tmp_path / "c.jpg")
    img = read_image(tmp_path / "c.jpg", 8).astype(int)
    assert img.shape == (8, 8, 3)
    assert img[..., 0].mean() > 200 and img[..., 1].mean() < 60  # CMYK (0, 255, 255, 0) is red


def test_course_layout_keeps_its_split(tmp_path):
    for split, n in (("train", 5), ("test", 2)):
        for style in ("Baroque", "Rococo", "Ukiyo_e"):
            d = tmp_path / split / style
            d.mkdir(parents=True)
            for i in range(n + (style == "Baroque") * 3):
                _png(d / f"{i}.png", color=(i * 20, 50, 90))
    art = load_folder(tmp_path, side=8, use_cache=False)
    assert art.classes == ("Baroque", "Rococo", "Ukiyo_e")
    np.testing.assert_array_equal(art.counts("train"), [8, 5, 5])
    np.testing.assert_array_equal(art.counts("test"), [5, 2, 2])
    assert "course" in art.source and art.warning is None


def test_disk_cache_second_load_and_corrupt_rebuild(broken_folder, monkeypatch, tmp_path_factory):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    first = load_folder(broken_folder, side=16)
    cache = artdata._cache_path(first.key)
    assert cache.exists()

    def boom(*a, **k):
        raise AssertionError("pictures were read again")

    monkeypatch.setattr(artdata, "read_image", boom)
    second = load_folder(broken_folder, side=16)  # from the cache: read_image is never called
    np.testing.assert_array_equal(first.X_train, second.X_train)
    assert second.skipped == first.skipped
    monkeypatch.undo()
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(cache.parent.parent))
    cache.write_bytes(b"not a torch file")  # corrupt: rebuilt from the pictures
    third = load_folder(broken_folder, side=16)
    np.testing.assert_array_equal(first.X_train, third.X_train)
    assert artdata._load_cache(cache) is not None
    # a changed file list or a new side is a new key
    assert load_folder(broken_folder, side=8).key != first.key
    _png(broken_folder / "Cubism" / "new.png")
    assert load_folder(broken_folder, side=16).key != first.key


def test_clear_errors_for_bad_folders(tmp_path):
    with pytest.raises(ArtDataError, match="does not exist"):
        load_folder(tmp_path / "nope", use_cache=False)
    (tmp_path / "Empty").mkdir()
    with pytest.raises(ArtDataError, match="no pictures"):
        load_folder(tmp_path, use_cache=False)
    for i in range(3):
        _png(tmp_path / "Empty" / f"{i}.png")
    with pytest.raises(ArtDataError, match="at least two styles"):
        load_folder(tmp_path, use_cache=False)
    (tmp_path / "Lonely").mkdir()
    _png(tmp_path / "Lonely" / "one.png")
    with pytest.raises(ArtDataError, match="Lonely: 1"):
        load_folder(tmp_path, use_cache=False)
    (tmp_path / "Third").mkdir()
    for i in range(2):
        _png(tmp_path / "Third" / f"{i}.png")
    art = load_folder(tmp_path, side=8, use_cache=False)  # the single-picture style is left out
    assert art.classes == ("Empty", "Third")
    assert "Lonely (1)" in art.warning


def test_upload_checks():
    img = read_upload(_jpeg_bytes((60, 30)), 16)
    assert img.shape == (16, 16, 3)
    with pytest.raises(ImageError, match="MB"):
        read_upload(b"x" * 2000, 16, max_bytes=1000)
    with pytest.raises(ImageError, match="not a picture"):
        read_upload(b"hello world", 16)
    with pytest.raises(ImageError, match="empty"):
        read_upload(b"", 16)
    with pytest.raises(ImageError, match="damaged"):
        read_upload(_jpeg_bytes()[:150], 16)


# --------------------------------------------------------------------------- painted set
def test_test_split_keeps_the_training_mix_within_one_picture_per_style():
    Xtr, ytr, Xte, yte, classes = synthetic.synthetic_arrays(16, seed=0)
    train, test = np.bincount(ytr), np.bincount(yte)
    expected = train * test.sum() / train.sum()  # the training mix, scaled to the test size
    assert np.abs(test - expected).max() <= 1.0
    assert train.max() / train.min() >= 20 and test.max() / test.min() >= 15  # imbalanced in both


def test_paired_styles_are_blended_with_their_twin():
    own = synthetic.paint("Pointillism", 4, 16, seed=0, mix=0.0)
    mixed = synthetic.paint("Pointillism", 4, 16, seed=0)
    assert not np.array_equal(own, mixed)  # a share of an impressionist picture is laid over it
    np.testing.assert_array_equal(
        synthetic.paint("Orphism", 4, 16, seed=0, mix=0.0), synthetic.paint("Orphism", 4, 16, seed=0)
    )
    # the rule: each of the three rarest styles has a larger look-alike
    counts = synthetic.class_counts()
    for i in np.argsort(counts, kind="stable")[:3]:
        twin = synthetic.TWINS[synthetic.STYLES[i]]
        assert counts[synthetic.STYLES.index(twin)] > counts[i]


def test_the_test_split_measures_the_rare_styles_to_within_five_points():
    Xtr, ytr, Xte, yte, classes = synthetic.synthetic_arrays(16, seed=0)
    train, test = np.bincount(ytr), np.bincount(yte)
    np.testing.assert_array_equal(test, synthetic.TEST_PER_TRAIN * train)  # stratified, 4 per training
    rare = np.argsort(train, kind="stable")[:3]
    assert experiments.mean_recall_se([0.5, 0.5, 0.5], test[rare]) <= 0.05  # the worst case recall


def test_difficulty_level_and_cnn_defaults_are_the_recorded_selection():
    import json
    from pathlib import Path

    record = json.loads((Path(synthetic.__file__).with_name("selection.json")).read_text())
    assert synthetic.LEVEL == record["difficulty"]["level"]
    assert (synthetic.MIX, synthetic.NOISE) == synthetic.LEVELS[synthetic.LEVEL]
    assert record["difficulty"]["table"][-1]["level"] == record["difficulty"]["level"]
    assert record["difficulty"]["rule_met"] == record["difficulty"]["table"][-1]["meets_rule"]
    cnn = CNNConfig()
    assert [list(cnn.channels), cnn.lr] == [
        record["cnn"]["chosen"]["channels"],
        record["cnn"]["chosen"]["lr"],
    ]
    best = max(record["cnn"]["table"], key=lambda r: r["val_balanced_acc"])
    assert [best["channels"], best["lr"]] == [
        record["cnn"]["chosen"]["channels"],
        record["cnn"]["chosen"]["lr"],
    ]
    assert record["alpha_chosen_on"] == "validation"


def test_painted_styles_are_imbalanced_seeded_and_distinct():
    Xtr, ytr, Xte, yte, classes = synthetic.synthetic_arrays(16, seed=1, largest=60)
    assert len(classes) >= 8
    counts = np.bincount(ytr)
    assert counts.max() / counts.min() >= 20
    assert np.bincount(yte).min() >= 1
    assert Xtr.shape[1:] == (16, 16, 3) and Xtr.dtype == np.uint8
    again = synthetic.paint("Op Art", 3, 16, seed=1)
    np.testing.assert_array_equal(again, synthetic.paint("Op Art", 3, 16, seed=1))
    assert not np.array_equal(again, synthetic.paint("Op Art", 3, 16, seed=2))
    # styles differ in simple statistics a person would see (mean colour, contrast)
    means = np.array([Xtr[ytr == k].reshape(-1, 3).mean(0) for k in range(len(classes))])
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1) + np.eye(len(classes)) * 1e9
    contrast = np.array([Xtr[ytr == k].std(axis=(1, 2)).mean() for k in range(len(classes))])
    assert (dist.min() > 5) or (np.ptp(contrast) > 20)
    with pytest.raises(ValueError):
        synthetic.paint("Baroque", 2, 16)


# --------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def small_art() -> ArtSet:
    # unblended twins: these tests are about learning at all, not about the built-in set's difficulty
    Xtr, ytr, Xte, yte, classes = synthetic.synthetic_arrays(16, seed=0, largest=40, ratio=8, mix=0.0)
    for a in (Xtr, ytr, Xte, yte):
        a.flags.writeable = False
    return ArtSet(Xtr, ytr, Xte, yte, tuple(classes), 16, "test", "test-small", True)


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        CNNConfig(side=20, channels=(8, 8, 8))
    with pytest.raises(ValueError, match="optimizer"):
        CNNConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="two styles"):
        CNNConfig(n_classes=1)
    with pytest.raises(ValueError):
        ArtAEConfig(side=20)
    assert with_remedy(CNNConfig(), "oversample + augment").remedy == "augment + oversample"
    assert with_remedy(CNNConfig(focal=True), "none").remedy == "none"
    assert set(REMEDIES) >= {"none", "augment", "class weights", "oversample", "focal"}


def test_augment_batch_keeps_shape_range_and_is_seeded():
    x = torch.rand(6, 3, 16, 16)
    a = augment_batch(x, generator(0))
    b = augment_batch(x, generator(0))
    assert a.shape == x.shape and torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1
    assert not torch.equal(a, x)
    # nearest-pixel warps only move pixels: every output colour exists in its input picture
    for i in range(len(x)):
        vals = {tuple(v) for v in x[i].reshape(3, -1).T.tolist()}
        out = {tuple(v) for v in a[i].reshape(3, -1).T.tolist()}
        assert out <= vals


@pytest.mark.parametrize("remedy", ["none", "oversample + augment", "class weights", "focal"])
def test_tiny_training_runs(small_art, remedy):
    before = small_art.X_train.copy()
    cfg = with_remedy(
        CNNConfig(side=16, n_classes=small_art.n_classes, channels=(8, 8, 16), num_epochs=3, patience=0),
        remedy,
    )
    seen = []
    r = train_cnn(cfg, small_art, seed=0, callback=lambda e, m: seen.append(e))
    assert seen == [1, 2, 3] and len(r.history) == 3 and r.diverged is None
    assert all(np.isfinite(h["loss"]) for h in r.history)
    assert r.history[-1]["loss"] < r.history[0]["loss"]
    t = r.extra["test"]
    assert 0 <= t["balanced_acc"] <= 1 and len(t["recall"]) == small_art.n_classes
    assert np.sum(t["confusion"]) == len(small_art.y_test)
    np.testing.assert_array_equal(before, small_art.X_train)
    p = predict_proba(r.model, small_art.X_test[:5])
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    # same seed, same model
    r2 = train_cnn(cfg, small_art, seed=0)
    assert r2.history[-1]["loss"] == pytest.approx(r.history[-1]["loss"], rel=1e-5)


def test_focal_alpha_strength_trains_a_different_network(small_art):
    base = CNNConfig(
        side=16, n_classes=small_art.n_classes, channels=(4, 4, 8), num_epochs=1, patience=0, focal=True
    )
    losses = {a: train_cnn(dataclasses.replace(base, focal_alpha=a), small_art, seed=0) for a in (0.0, 1.0)}
    w0, w1 = (r.model.head.weight.detach() for r in losses.values())
    assert not torch.allclose(w0, w1)  # the dead control of before: alpha 0.25, 1 and 2 trained the same


def test_old_model_ablation_and_early_stopping_on_validation_loss(small_art):
    cfg = CNNConfig(
        side=16,
        n_classes=small_art.n_classes,
        channels=(4, 8),
        relu=False,
        batch_norm=False,
        optimizer="sgd",
        momentum=0.0,
        lr=0.00006,
        num_epochs=3,
        patience=1,
        early_stop="val_loss",
    )
    from annlab.wikiart.models import StyleCNN

    assert not any(isinstance(m, torch.nn.ReLU) for m in StyleCNN(cfg).modules())
    assert sum(isinstance(m, torch.nn.Conv2d) for m in StyleCNN(cfg).modules()) == 2
    r = train_cnn(cfg, small_art, seed=0)
    best = min(range(len(r.history)), key=lambda i: r.history[i]["val_loss"]) + 1
    assert r.extra["best_epoch"] == best  # the kept epoch has the lowest validation loss
    with pytest.raises(ValueError):
        CNNConfig(early_stop="test_acc")
    with pytest.raises(ValueError):
        CNNConfig(momentum=1.0)


def test_cnn_learns_the_painted_styles(small_art):
    cfg = CNNConfig(
        side=16,
        n_classes=small_art.n_classes,
        channels=(8, 16, 16),
        num_epochs=12,
        patience=0,
        oversample=True,
    )
    r = train_cnn(cfg, small_art, seed=0)
    t = r.extra["test"]
    assert t["balanced_acc"] > 0.4 > 3 * t["majority_balanced"]  # chance: 0.1 (a tiny stratified test split)


def test_diverging_run_stops_with_a_sentence(small_art, monkeypatch):
    from annlab.wikiart import train as art_train

    def nan_loss(logits, y, **kw):
        return (logits * float("nan")).sum()

    monkeypatch.setattr(art_train, "focal_loss", nan_loss)
    cfg = CNNConfig(
        side=16,
        n_classes=small_art.n_classes,
        channels=(4, 4, 4),
        num_epochs=5,
        patience=0,
        focal=True,
        lr=0.5,
        optimizer="sgd",
    )
    r = art_train.train_cnn(cfg, small_art, seed=0)
    assert r.diverged and "epoch 1" in r.diverged and "0.5" in r.diverged
    assert r.history == []
    # the weights kept are the finite initial ones, so the model still answers
    assert np.isfinite(predict_proba(r.model, small_art.X_test[:3])).all()


def test_metrics_by_hand():
    y_true = np.array([0, 0, 0, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 0, 2])
    m = metrics(y_true, y_pred, 3, y_train=np.array([0, 0, 0, 1, 2]))
    assert m["acc"] == pytest.approx(4 / 6)
    assert m["recall"] == pytest.approx([2 / 3, 1.0, 0.5])
    assert m["balanced_acc"] == pytest.approx((2 / 3 + 1 + 0.5) / 3)
    assert m["majority_baseline"] == pytest.approx(3 / 6)
    assert m["confusion"] == [[2, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_autoencoder_tracks_clustering_scores(small_art):
    cfg = ArtAEConfig(side=16, channels=(8, 8, 16), latent_dim=8, num_epochs=2)
    r = train_ae(cfg, small_art, seed=0)
    assert [h["epoch"] for h in r.history] == [1, 2]
    for h in r.history:
        assert np.isfinite(h["loss"]) and -1 <= h["ari"] <= 1 and 0 <= h["nmi"] <= 1
    assert -1 <= r.extra["silhouette"] <= 1
    assert r.history[1]["loss"] < r.history[0]["loss"]
    with pytest.raises(ValueError):
        train_ae(dataclasses.replace(cfg, side=32), small_art)


def test_epoch_order_tops_up_minorities_and_oversamples():
    from annlab.wikiart.train import _epoch_order

    y = np.repeat(np.arange(5), [200, 100, 50, 20, 5])
    counts = np.bincount(y)
    minority = counts < np.median(counts)
    plain = _epoch_order(y, CNNConfig(), minority, generator(0))
    np.testing.assert_array_equal(np.sort(plain), np.arange(len(y)))  # a permutation, nothing added
    augmented = _epoch_order(y, CNNConfig(augment=True), minority, generator(0))
    np.testing.assert_array_equal(np.sort(augmented), np.arange(len(y)))  # augmentation adds no copies
    for cfg in (CNNConfig(top_up=True), CNNConfig(top_up=True, augment=True)):
        topped = np.bincount(y[_epoch_order(y, cfg, minority, generator(0))])
        np.testing.assert_array_equal(topped, [200, 100, 50, 50, 50])  # rare styles up to the median
    over = np.bincount(y[_epoch_order(y, CNNConfig(oversample=True), minority, generator(0))], minlength=5)
    assert over.sum() == len(y) and over.min() > 0.5 * len(y) / 5


# --------------------------------------------------------------------------- page experiments
def test_prior_correction_by_hand():
    probs = np.array([[0.7, 0.3], [0.6, 0.4], [0.2, 0.8]])
    prior = np.array([0.8, 0.2])
    # argmax of p / prior**alpha, worked out on paper:
    # alpha 0.5: 0.7/0.894 = 0.783 > 0.3/0.447 = 0.671; 0.6/0.894 = 0.671 < 0.4/0.447 = 0.894
    # alpha 1:   0.7/0.8 = 0.875 < 0.3/0.2 = 1.5
    np.testing.assert_array_equal(experiments.adjusted_predictions(probs, prior, 0.0), [0, 0, 1])
    np.testing.assert_array_equal(experiments.adjusted_predictions(probs, prior, 0.5), [0, 1, 1])
    np.testing.assert_array_equal(experiments.adjusted_predictions(probs, prior, 1.0), [1, 1, 1])
    with pytest.raises(ValueError, match="alpha"):
        experiments.adjusted_predictions(probs, prior, -0.1)


def test_prior_correction_only_moves_answers_to_rarer_styles():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(6), size=500)
    prior = experiments.class_prior(rng.choice(6, size=900, p=[0.4, 0.25, 0.15, 0.1, 0.07, 0.03]), 6)
    plain = experiments.adjusted_predictions(probs, prior, 0.0)
    np.testing.assert_array_equal(plain, probs.argmax(1))  # alpha 0 is the network's own answer
    for alpha in (0.3, 1.0):
        moved = experiments.adjusted_predictions(probs, prior, alpha)
        assert (prior[moved] <= prior[plain]).all()  # never towards a larger style
        assert (moved != plain).any()
    assert (
        np.bincount(experiments.adjusted_predictions(probs, prior, 1.0), minlength=6)[5]
        > np.bincount(plain, minlength=6)[5]
    )


def test_class_prior_is_the_training_share():
    prior = experiments.class_prior(np.array([0, 0, 0, 1, 2, 2]), 4)
    np.testing.assert_allclose(prior, np.array([3, 1, 2, 1]) / 7)  # a style with no picture counts as one


def test_imbalance_and_samples(small_art):
    imb = experiments.imbalance(small_art)
    counts = np.bincount(small_art.y_train)
    assert imb.ratio == pytest.approx(counts.max() / counts.min())
    assert imb.largest == small_art.classes[int(counts.argmax())]
    assert sorted(counts[list(imb.smallest)]) == sorted(counts)[:3]
    samples = experiments.style_samples(small_art, 4)
    assert len(samples) == small_art.n_classes
    assert all(s.shape[1:] == (16, 16, 3) and 0 <= s.min() and s.max() <= 1 for s in samples)
    np.testing.assert_allclose(samples[1][0], small_art.X_train[small_art.y_train == 1][0] / 255)


@pytest.fixture(scope="module")
def small_cnn(small_art):
    cfg = CNNConfig(side=16, n_classes=small_art.n_classes, channels=(8, 8, 16), num_epochs=3, patience=0)
    return train_cnn(cfg, small_art, seed=0)


def test_prior_corrected_scores_match_training_at_zero(small_art, small_cnn):
    probs = experiments.cnn_test_probabilities(small_cnn, small_art.X_test)
    assert probs.shape == (len(small_art.y_test), small_art.n_classes)
    plain = experiments.prior_corrected(probs, small_art.y_test, small_art.y_train, 0.0)
    t = small_cnn.extra["test"]
    assert plain.acc == pytest.approx(t["acc"]) and plain.balanced_acc == pytest.approx(t["balanced_acc"])
    assert list(plain.recall) == pytest.approx(t["recall"])
    smallest = experiments.imbalance(small_art).smallest
    assert plain.minority_recall == pytest.approx(np.mean([t["recall"][i] for i in smallest]))
    full = experiments.prior_corrected(probs, small_art.y_test, small_art.y_train, 1.0)
    pred = experiments.adjusted_predictions(probs, experiments.class_prior(small_art.y_train, 5), 1.0)
    assert full.acc == pytest.approx(np.mean(pred == small_art.y_test))
    assert np.sum(full.confusion) == len(small_art.y_test)


def test_compare_remedies_fills_the_table(small_art, monkeypatch, tmp_path):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    base = CNNConfig(side=16, n_classes=small_art.n_classes, channels=(4, 4, 8), num_epochs=2, patience=0)
    specs = {k: v[:1] for k, v in defaults.remedy_specs(small_art, base, n_seeds=2).items()}
    specs["none"] = defaults.remedy_specs(small_art, base, n_seeds=2)["none"]  # two seeds: a spread
    assert list(specs) == list(REMEDIES) and specs["oversample"][0].cfg.remedy == "oversample"
    assert [s.seed for s in specs["none"]] == [0, 1]
    steps = []
    smallest = experiments.imbalance(small_art).smallest
    runs = experiments.compare_remedies(specs, "cpu", smallest, callback=lambda i, info: steps.append(info))
    table = runs.table
    assert list(table["remedy"]) == [*REMEDIES, "always the largest style"]
    assert table["balanced accuracy"].between(0, 1).all() and table["accuracy"].between(0, 1).all()
    plain = [jobs.run(s, "cpu").extra["test"] for s in specs["none"]]  # from the store now
    assert table["balanced accuracy"][0] == pytest.approx(np.mean([p["balanced_acc"] for p in plain]))
    assert table["± balanced accuracy"][0] == pytest.approx(np.std([p["balanced_acc"] for p in plain]))
    assert table["seeds"][0] == 2 and table["± accuracy"][1] == 0.0
    spread = experiments.remedy_spread(runs)
    assert set(spread) == set(REMEDIES) and spread["none"] >= 0
    plain = plain[0]
    assert table["accuracy"].iloc[-1] == pytest.approx(plain["majority_baseline"])
    fractions = [s["fraction"] for s in steps]
    assert fractions == sorted(fractions) and 0 < fractions[0] and fractions[-1] == pytest.approx(1.0)
    assert set(runs.recalls) == set(REMEDIES)
    assert len(runs.rare3["none"]) == 2 and len(runs.rare3["augment"]) == 1
    for name, cis in runs.recall_ci.items():  # every per-style recall has its 95 % interval
        assert all(lo <= r <= hi for r, (lo, hi) in zip(runs.recalls[name], cis, strict=True))
    effects = experiments.remedy_effects(runs)
    assert list(effects["remedy"]) == [r for r in REMEDIES if r != "none"] and (effects["ci95"] >= 0).all()


def test_seed_mean_interval():
    lo, hi = experiments.seed_mean_ci([0.5], 100)  # one seed: the binomial interval alone
    assert (lo, hi) == (pytest.approx(0.5 - 1.959964 * 0.05), pytest.approx(0.5 + 1.959964 * 0.05))
    lo2, hi2 = experiments.seed_mean_ci([0.4, 0.6], 100)  # two seeds that disagree: wider
    assert lo2 < lo and hi2 > hi and lo2 >= 0.0


def test_pick_picture_explains_a_bad_file(small_art):
    bad = experiments.pick_picture(small_art, b"\x89PNG\r\n\x1a\n garbage", "x.png")
    assert bad.image is None and "cannot be used" in bad.error and "damaged" in bad.error
    empty = experiments.pick_picture(small_art, b"", "empty.png")
    assert empty.image is None and "empty" in empty.error
    good = experiments.pick_picture(small_art, _jpeg_bytes((50, 30)), "ok.jpg")
    assert good.error is None and good.image.shape == (16, 16, 3) and "ok.jpg" in good.caption
    test = experiments.pick_picture(small_art, None, test_index=3)
    np.testing.assert_array_equal(test.image, small_art.X_test[3])
    assert small_art.classes[small_art.y_test[3]] in test.caption


def test_code_map_of_the_autoencoder(small_art):
    cfg = ArtAEConfig(side=16, channels=(4, 4, 8), latent_dim=4, num_epochs=1)
    m = experiments.code_map(train_ae(cfg, small_art, seed=0), small_art.X_test, 5, 0, 250)
    assert m.xy.shape == (len(small_art.y_test), 2) and np.isfinite(m.xy).all()
    assert set(np.unique(m.clusters)) <= set(range(5))


def test_defaults_are_small_in_fast_mode_and_keyed_by_data(small_art):
    cfg = defaults.cnn(small_art)
    assert (cfg.side, cfg.n_classes, cfg.channels, cfg.num_epochs) == (
        16,
        small_art.n_classes,
        (8, 16, 16),
        2,
    )
    assert defaults.cnn(small_art, lr=0.01).lr == 0.01
    spec = defaults.cnn_spec(small_art, cfg, seed=3)
    assert spec.key.startswith("CNNConfig-") and spec.seed == 3 and spec.data_key == small_art.key
    assert defaults.ae_spec(small_art, defaults.ae(small_art)).key.startswith("ArtAEConfig-")
    for table in (defaults.network_controls(), defaults.REMEDY_CONTROLS, defaults.FOCAL_CONTROLS):
        fields = {f: (len(cfg.channels) if f == "blocks" else getattr(cfg, f)) for f in table}
        assert {field: c.default for field, c in table.items()} == fields
    assert defaults.MOMENTUM.default == cfg.momentum
    # the report's ablation: conv blocks, ReLU on/off, SGD momentum (only for SGD), low learning rates
    assert defaults.cnn(small_art, blocks=2).channels == (8, 16)
    assert defaults.cnn(small_art, momentum=0.5).momentum == cfg.momentum  # Adam: momentum ignored
    assert defaults.cnn(small_art, optimizer="sgd", momentum=0.5).momentum == 0.5
    assert min(defaults.LEARNING_RATES) == 0.00006
    assert {f: c.default for f, c in defaults.ae_controls().items()} == {"num_epochs": 2, "training": "adam"}
    # patience 0: no early stopping, so the score it would watch is ignored (the view disables it)
    assert defaults.cnn(small_art, patience=0, early_stop="val_loss").early_stop == cfg.early_stop
    assert defaults.cnn(small_art, patience=3, early_stop="val_loss").early_stop == "val_loss"
    assert "patience 0" in defaults.EARLY_STOP_CONTROL.kw["help"]
    # the report's autoencoder training: plain SGD at lr 6e-5 with an L2 penalty of 0.001
    sgd = defaults.ae(small_art, training="sgd_report")
    assert (sgd.optimizer, sgd.lr, sgd.weight_decay) == ("sgd", 6e-5, 1e-3)
    assert defaults.ae(small_art).optimizer == "adam"


def test_controls_start_at_the_full_size_network_without_fast_mode(small_art, monkeypatch):
    monkeypatch.setenv("ANNLAB_FAST", "0")
    cfg, ae_cfg = defaults.cnn(small_art), defaults.ae(small_art)
    assert defaults.network_controls()["num_epochs"].default == cfg.num_epochs == 30
    epochs = {f: c.default for f, c in defaults.ae_controls().items()}["num_epochs"]
    assert epochs == ae_cfg.num_epochs


@pytest.mark.parametrize("folder", [False, True])
def test_every_control_has_its_own_key_and_a_default_its_widget_accepts(folder):
    controls = defaults.all_controls(folder, n_test=30)
    keys = [c.key for c in controls]
    assert len(keys) == len(set(keys)) and all(k.startswith("art_") for k in keys)
    assert "art_tab" not in keys  # the tabs' key, whose values are defaults.TABS
    for c in controls:  # Control itself checks a default against its options
        lo, hi = c.kw.get("min_value"), c.kw.get("max_value")
        if c.widget in ("slider", "number_input"):
            assert lo <= c.default <= hi, c.key
            step = c.kw.get("step", 1)
            assert abs((c.default - lo) / step - round((c.default - lo) / step)) < 1e-9, c.key
        elif c.widget == "toggle":
            assert isinstance(c.default, bool), c.key
        else:
            assert c.default in c.kw["options"], c.key
    assert defaults.pick_control(0).kw["max_value"] == 0  # no test pictures: still a valid widget


def test_charts_put_the_largest_style_first():
    from annlab.wikiart import charts

    classes, counts = ["a", "b", "c"], [5, 50, 20]
    spec = charts.recall_by_style({"plain": [0.1, 0.9, 0.5]}, classes, counts, horizontal=True).to_dict()
    assert spec["encoding"]["y"]["field"] == "style" and spec["encoding"]["y"]["sort"] == ["b", "c", "a"]
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 1]
    vertical = charts.recall_by_style({"plain": [0.1, 0.9, 0.5]}, classes, counts).to_dict()
    assert vertical["encoding"]["x"]["field"] == "style"
    by_style, by_cluster = charts.code_maps(np.zeros((4, 2)), [0, 1, 2, 0], [1, 1, 0, 0], classes)
    assert set(by_style.data["style"]) == {"a", "b", "c"}
    assert set(by_cluster.data["cluster"]) == {"cluster 0", "cluster 1"}
    history = [{"epoch": 1, "ari": 0.1, "nmi": 0.2}, {"epoch": 2, "ari": 0.3, "nmi": 0.4}]
    assert sorted(charts.clustering_scores(history).data["curve"].unique()) == ["ARI", "NMI"]


# --------------------------------------------------------------------------- intervals, alpha, baselines
def test_wilson_interval_matches_known_values():
    lo, hi = experiments.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = experiments.wilson(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert experiments.wilson(0, 0) == (0.0, 1.0)


def test_rare_recall_standard_error_and_scores_intervals():
    r, n = [0.2, 0.5, 0.9], [64, 92, 132]
    expected = np.sqrt(0.2 * 0.8 / 64 + 0.25 / 92 + 0.09 / 132) / 3
    assert experiments.mean_recall_se(r, n) == pytest.approx(expected)
    y_true = np.array([0] * 50 + [1] * 10 + [2] * 5)
    y_pred = np.array([0] * 50 + [0] * 5 + [1] * 5 + [2, 0, 0, 0, 0])
    m = metrics(y_true, y_pred, 3, np.array([0] * 20 + [1] * 5 + [2] * 2))
    sc = experiments.Scores.from_metrics(m, [2, 1, 0])
    assert sc.n_test == 65 and sc.minority_n == 65
    assert sc.minority_recall == pytest.approx((1 + 0.5 + 0.2) / 3)
    lo, hi = sc.minority_ci
    assert lo < sc.minority_recall < hi and hi - lo == pytest.approx(2 * 1.959964 * sc.minority_se)
    assert sc.recall_ci(2) == experiments.wilson(1, 5)
    assert sc.acc_ci == experiments.wilson(56, 65)


def test_effect_interval_combines_seed_spread_and_test_sampling():
    d, half = experiments.effect_ci([0.3], [0.2], [0.03], [0.04])
    assert d == pytest.approx(0.1) and half == pytest.approx(1.959964 * 0.05)
    d, half = experiments.effect_ci([0.3, 0.4, 0.5], [0.2, 0.2, 0.2])  # no sampling error given
    from scipy import stats

    assert d == pytest.approx(0.2) and half == pytest.approx(stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3))
    runs = experiments.RemedyRuns(
        pd.DataFrame(),
        {},
        {"none": (0.2, 0.3), "oversample": (0.5, 0.6)},
        {"none": (0, 0), "oversample": (0, 0)},
    )
    effects = experiments.remedy_effects(runs)
    assert list(effects["remedy"]) == ["oversample"] and effects["effect"][0] == pytest.approx(0.3)
    assert effects["ci95"][0] == pytest.approx(0.0, abs=1e-12)  # the same gain on both seeds
    assert "Raised beyond its 95 % interval by: oversample" in experiments.effects_sentence(effects, runs)


def test_alpha_is_chosen_on_validation_and_never_reads_the_test():
    rng = np.random.default_rng(0)
    y_train = np.repeat(np.arange(3), [80, 15, 5])
    y_val = np.repeat(np.arange(3), [20, 10, 10])
    # a network biased to the large style: the rare styles need a prior correction
    logits = np.eye(3)[y_val] * 1.0 + np.array([2.0, 0.5, 0.0]) + rng.normal(0, 0.5, (40, 3))
    val_probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    test_probs, y_test = val_probs[:30], y_val[:30]
    choice = experiments.choose_alpha(val_probs, y_val, test_probs, y_test, y_train)
    assert choice.alpha > 0 and choice.n_val == 40
    assert (
        choice.table["val balanced accuracy"].max()
        == choice.table.set_index("alpha").loc[choice.alpha].iloc[0]
    )
    spied = experiments.choose_alpha(val_probs, y_val, np.full_like(test_probs, np.nan), y_test, y_train)
    assert spied.alpha == choice.alpha  # the test's probabilities do not move the choice
    assert choice.test == experiments.prior_corrected(test_probs, y_test, y_train, choice.alpha)


def test_validation_probabilities_are_the_training_runs_own_validation_part(small_art):
    from annlab.wikiart.train import _val_split

    cfg = CNNConfig(side=16, n_classes=small_art.n_classes, channels=(4, 8), num_epochs=1)
    result = train_cnn(cfg, small_art, seed=4)
    probs, y_val = experiments.validation_probabilities(result, small_art.X_train, small_art.y_train, 4)
    _, idx = _val_split(small_art.y_train, cfg.val_fraction, 4)
    np.testing.assert_array_equal(y_val, small_art.y_train[idx])
    assert probs.shape == (len(idx), small_art.n_classes)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)


def test_patience_zero_trains_every_epoch_and_keeps_the_last(small_art):
    cfg = CNNConfig(side=16, n_classes=small_art.n_classes, channels=(4, 8), num_epochs=3, patience=0)
    result = train_cnn(cfg, small_art, seed=0)
    assert len(result.history) == 3 and result.extra["best_epoch"] == 3


def test_autoencoder_trains_with_the_reports_sgd_and_kmeans_baselines(small_art):
    cfg = ArtAEConfig(side=16, channels=(4, 4, 8), latent_dim=4, num_epochs=1, optimizer="sgd", lr=6e-5)
    result = train_ae(dataclasses.replace(cfg, weight_decay=1e-3), small_art, seed=0)
    assert np.isfinite(result.history[-1]["loss"])
    with pytest.raises(ValueError, match="optimizer"):
        ArtAEConfig(optimizer="rmsprop")
    base = experiments.clustering_baselines(small_art.X_train, small_art.X_test, small_art.y_test, 5, 0)
    assert list(base["method"]) == ["k-means on raw pixels", "k-means on PCA (32 components)"]
    assert base["ARI"].between(-1, 1).all() and base["NMI"].between(0, 1).all()
    assert base["NMI"].max() > 0.05  # the painted styles differ in colour: pixels find some of them
    table = experiments.clustering_table({"ari": 0.1, "nmi": 0.2}, base)
    assert table["method"][0] == "k-means on the autoencoder's codes" and len(table) == 3
