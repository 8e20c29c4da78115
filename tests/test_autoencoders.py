"""Autoencoders, VAE, MMD-AE and GAN: shapes, loss terms against hand formulas, tiny training runs."""

import numpy as np
import pytest
import torch

from annlab.data import load_digits8
from annlab.latent import autoencoders as ae
from annlab.latent import gan as gan_mod
from annlab.store import get_or_train
from annlab.training import generator

VARIANTS = [(kind, arch, dim) for kind in ae.KINDS for arch in ae.ARCHS for dim in (784, 64)]


def _batch(n=8, dim=784, seed=0):
    return torch.rand(n, dim, generator=generator(seed))


@pytest.mark.parametrize(("kind", "arch", "dim"), VARIANTS)
def test_shapes_and_finite_losses(kind, arch, dim):
    cfg = ae.AEConfig(kind=kind, arch=arch, input_dim=dim, latent_dim=3, hidden=(32, 16))
    model = ae.build(cfg)
    x = _batch(8, dim)
    mu, logvar = model.encode(x)
    assert mu.shape == (8, 3)
    assert (logvar is not None) == (kind == "vae")
    if logvar is not None:
        assert logvar.shape == (8, 3)
    out = model.decode(mu).detach()
    assert out.shape == (8, dim) and float(out.min()) >= 0 and float(out.max()) <= 1
    terms = {k: v.detach() for k, v in ae.losses(model, x, x, generator(1)).items()}
    assert set(terms) == {"loss", "recon", "reg"}
    assert all(torch.isfinite(v) for v in terms.values())
    if kind == "ae":
        assert float(terms["reg"]) == 0.0 and torch.allclose(terms["loss"], terms["recon"])
    else:
        assert float(terms["reg"]) != 0.0
        assert torch.allclose(terms["loss"], terms["recon"] + cfg.beta * terms["reg"])


def test_kl_matches_closed_form_and_torch():
    g = generator(3)
    mu, logvar = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    got = ae.kl_normal(mu, logvar)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ref = torch.distributions.kl_divergence(q, p).sum(1)
    assert torch.allclose(got, ref, atol=1e-5)
    hand = 0.5 * (mu[0] ** 2 + logvar[0].exp() - 1 - logvar[0]).sum()
    assert torch.isclose(got[0], hand)
    assert torch.allclose(ae.kl_normal(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))


def test_mmd_small_for_same_distribution_large_for_shifted():
    g = generator(0)
    a, b = torch.randn(200, 2, generator=g), torch.randn(200, 2, generator=g)
    same = float(ae.mmd_imq(a, b))
    shifted = float(ae.mmd_imq(a + 2.0, b))
    assert abs(same) < 0.02
    assert shifted > 10 * max(abs(same), 1e-3)


@pytest.mark.parametrize(("loss", "expected"), [("mse", 0.25 * 4), ("l1", 0.5 * 4)])
def test_reconstruction_losses_by_hand(loss, expected):
    logits = torch.zeros(1, 4)  # sigmoid -> 0.5 everywhere
    x = torch.tensor([[0.0, 1.0, 0.0, 1.0]])
    assert float(ae.reconstruction_loss(logits, x, loss, True)[0]) == pytest.approx(expected)
    bce = float(ae.reconstruction_loss(logits, x, "bce", True)[0])
    assert bce == pytest.approx(4 * np.log(2), rel=1e-5)


def test_config_validation():
    with pytest.raises(ValueError, match="kind"):
        ae.AEConfig(kind="gan")
    with pytest.raises(ValueError, match="Binary cross-entropy"):
        ae.AEConfig(loss="bce", bounded=False, input_dim=2)
    with pytest.raises(ValueError, match="side divisible by 4"):
        ae.AEConfig(arch="conv", input_dim=100)
    with pytest.raises(ValueError):
        ae.AEConfig(num_epochs=0)
    with pytest.raises(ValueError, match="DCGAN"):
        gan_mod.GANConfig(arch="dcgan", input_dim=2)


def test_tiny_training_lowers_loss_is_seeded_and_leaves_data_alone():
    X = np.array(load_digits8()[0][:256])
    X_before = X.copy()
    cfg = ae.AEConfig(
        kind="vae", input_dim=64, latent_dim=2, hidden=(32,), num_epochs=8, batch_size=32, lr=3e-3
    )
    r1 = ae.train_autoencoder(cfg, (X, X[:32]), seed=1)
    r2 = ae.train_autoencoder(cfg, (X, X[:32]), seed=1)
    assert np.array_equal(X, X_before)
    losses = [h["loss"] for h in r1.history]
    assert all(np.isfinite(losses)) and losses[-1] < 0.9 * losses[0]
    assert "test_loss" in r1.history[-1] and r1.diverged is None
    assert [h["loss"] for h in r2.history] == losses  # same seed, same run
    assert not r1.model.training


def test_training_does_not_touch_the_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ae.train_autoencoder(
        ae.AEConfig(input_dim=4, latent_dim=1, hidden=(4,), num_epochs=1, loss="mse"),
        np.ones((8, 4), np.float32) * 0.5,
    )
    assert torch.equal(torch.rand(3), expected)


def test_diverging_run_stops_with_a_message():
    X = np.random.default_rng(0).random((64, 4)).astype(np.float32) * 1e3
    cfg = ae.AEConfig(
        input_dim=4, latent_dim=1, hidden=(8,), loss="mse", bounded=False, lr=1e6, num_epochs=30
    )
    r = ae.train_autoencoder(cfg, X)
    assert r.diverged and "diverged" in r.diverged and len(r.history) < 30


def test_corruptions():
    X = np.zeros((2, 64), np.float32)
    X[:, 27] = 1.0  # one bright pixel
    blurred = ae.corrupt(X, "blur", 1.0, side=8)
    assert blurred.shape == X.shape and X[0, 27] == 1.0  # input untouched
    assert blurred[0, 27] < 0.5 and blurred[0].sum() == pytest.approx(1.0, abs=1e-4)
    noisy1 = ae.corrupt(X, "noise", 0.3, seed=4)
    noisy2 = ae.corrupt(X, "noise", 0.3, seed=4)
    assert np.array_equal(noisy1, noisy2) and noisy1.min() >= 0 and noisy1.max() <= 1
    assert np.array_equal(ae.corrupt(X, "none", 0.5), X)


def test_denoising_config_trains_on_corrupted_inputs():
    X = np.random.default_rng(1).random((64, 64)).astype(np.float32)
    cfg = ae.AEConfig(
        input_dim=64, latent_dim=4, hidden=(16,), corrupt="noise", corrupt_level=0.3, num_epochs=2, loss="mse"
    )
    r = ae.train_autoencoder(cfg, X)
    assert np.isfinite(r.history[-1]["loss"])
    assert ae.encode(r.model, X).shape == (64, 4) and ae.reconstruct(r.model, X).shape == (64, 64)


@pytest.mark.parametrize("arch", gan_mod.GAN_ARCHS)
def test_gan_shapes_losses_and_tiny_training(arch):
    cfg = gan_mod.GANConfig(
        arch=arch, input_dim=64, latent_dim=4, hidden=(16, 32), num_epochs=2, batch_size=16
    )
    model = gan_mod.build_gan(cfg)
    z = torch.randn(6, 4, generator=generator(0))
    x = model.generate(z).detach()
    assert x.shape == (6, 64) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert model.discriminate(x).shape == (6,)
    terms = gan_mod.gan_losses(model, torch.rand(6, 64, generator=generator(1)), z)
    assert all(torch.isfinite(v) for v in terms.values())
    X = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    r = gan_mod.train_gan(cfg, X, seed=3)
    assert len(r.history) == 2 and {"g_loss", "d_loss", "d_real", "d_fake"} <= set(r.history[0])
    assert all(np.isfinite(h["g_loss"]) and np.isfinite(h["d_loss"]) for h in r.history)
    imgs = gan_mod.generate(r.model, gan_mod.sample_z(cfg, 5, seed=2))
    assert imgs.shape == (5, 64)
    assert np.array_equal(imgs, gan_mod.generate(r.model, gan_mod.sample_z(cfg, 5, seed=2)))


def test_model_store_round_trip(tmp_path):
    X = np.random.default_rng(0).random((32, 64)).astype(np.float32)
    cfg = ae.AEConfig(kind="mmd", input_dim=64, latent_dim=2, hidden=(8,), num_epochs=1)
    first = get_or_train(cfg, ae.train_autoencoder, ae.build, X, data_key="t", directory=tmp_path)
    again = get_or_train(cfg, ae.train_autoencoder, ae.build, X, data_key="t", directory=tmp_path)
    assert not first.from_cache and again.from_cache
    assert np.allclose(ae.encode(first.model, X), ae.encode(again.model, X))
    gcfg = gan_mod.GANConfig(input_dim=64, latent_dim=2, hidden=(8, 8), num_epochs=1, batch_size=8)
    g1 = get_or_train(gcfg, gan_mod.train_gan, gan_mod.build_gan, X, data_key="t", directory=tmp_path)
    g2 = get_or_train(gcfg, gan_mod.train_gan, gan_mod.build_gan, X, data_key="t", directory=tmp_path)
    z = gan_mod.sample_z(gcfg, 3)
    assert g2.from_cache and np.allclose(gan_mod.generate(g1.model, z), gan_mod.generate(g2.model, z))
