"""Autoencoders, VAE, MMD-AE and GAN: shapes, loss terms against hand formulas, tiny training runs."""

import copy

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
    assert {"val_loss", "val_recon", "val_reg"} <= set(r1.history[-1]) and r1.diverged is None
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
    terms = gan_mod.d_step_loss(model, torch.rand(6, 64, generator=generator(1)), z)
    assert all(torch.isfinite(v) for v in terms.values())
    assert torch.isfinite(gan_mod.g_step_loss(model, z))
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


def test_beta_zero_removes_the_kl_term_from_the_vae_loss():
    x = _batch(8, 64)
    for beta in (0.0, 2.0):
        cfg = ae.AEConfig(kind="vae", input_dim=64, latent_dim=3, hidden=(16,), beta=beta)
        terms = ae.losses(ae.build(cfg), x, x, generator(1))
        assert float(terms["reg"].detach()) > 0  # the KL is still measured ...
        assert torch.allclose(terms["loss"], terms["recon"] + beta * terms["reg"])  # ... and weighted by beta
    model = ae.build(ae.AEConfig(kind="vae", input_dim=64, latent_dim=3, hidden=(16,), beta=0.0))
    ae.losses(model, x, x, generator(1))["loss"].backward()
    from_loss = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    ae.losses(model, x, x, generator(1))["recon"].backward()
    assert all(torch.equal(a, p.grad) for a, p in zip(from_loss, model.parameters(), strict=True))


def test_kl_per_dimension_sums_to_the_kl_and_shows_unused_dimensions():
    cfg = ae.AEConfig(kind="vae", input_dim=64, latent_dim=3, hidden=(16,))
    model = ae.build(cfg)
    X = np.random.default_rng(0).random((50, 64)).astype(np.float32)
    per_dim = ae.kl_per_dim(model, X)
    mu, logvar = model.encode(torch.tensor(X))
    assert per_dim.shape == (3,)
    assert per_dim.sum() == pytest.approx(float(ae.kl_normal(mu, logvar).mean()), rel=1e-5)
    plain = ae.build(ae.AEConfig(kind="ae", input_dim=64, latent_dim=3, hidden=(16,)))
    assert np.array_equal(ae.kl_per_dim(plain, X), np.zeros(3))


def test_rbf_mmd_matches_a_hand_computation():
    g = generator(2)
    a, b = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    h = 0.7

    def k(u, v):
        return float(torch.exp(-((u - v) ** 2).sum() / (2 * h * h)))

    n = 5
    kaa = sum(k(a[i], a[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kbb = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kab = sum(k(a[i], b[j]) for i in range(n) for j in range(n)) / (n * n)
    assert float(ae.mmd(a, b, "rbf", h)) == pytest.approx(kaa + kbb - 2 * kab, rel=1e-5)
    assert float(ae.mmd(a, b, "imq", 1.0)) == pytest.approx(float(ae.mmd_imq(a, b)))
    with pytest.raises(ValueError):
        ae.AEConfig(kind="mmd", kernel="laplace")


def test_training_keeps_reconstructions_of_the_shown_digits_after_every_epoch():
    X = np.array(load_digits8()[0][:128])
    cfg = ae.AEConfig(input_dim=64, latent_dim=2, hidden=(16,), num_epochs=3, batch_size=32)
    r = ae.train_autoencoder(cfg, (X, X[:32], X[:5]), seed=0)
    snaps = ae.snapshots(r)
    assert snaps.shape == (3, 5, 64) and 0.0 <= snaps.min() and snaps.max() <= 1.0
    assert np.allclose(snaps[-1], ae.reconstruct(r.model, X[:5]), atol=1 / 255)  # the last one: the model now
    assert not np.allclose(snaps[0], snaps[-1], atol=1 / 255)  # training moved them


def _gan(**kw):
    cfg = gan_mod.GANConfig(input_dim=64, latent_dim=4, hidden=(16, 16), batch_size=8, batch_norm=False, **kw)
    return cfg, gan_mod.build_gan(cfg)


def _opts(model, cfg):
    return (
        torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999)),
        torch.optim.Adam(model.generator.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999)),
    )


def test_gan_updates_alternate_as_in_algorithm_1():
    """k discriminator steps against the generator as it was, then a generator step against the updated
    discriminator: checked against the same steps written out by hand."""
    cfg, model = _gan(d_steps=2, lr_d=1e-2, lr_g=1e-2)
    batches = [torch.rand(8, 64, generator=generator(s)) for s in (1, 2)]
    ref, start = copy.deepcopy(model), copy.deepcopy(model)
    g_before = copy.deepcopy(model.generator.state_dict())
    gan_mod.train_step(model, *_opts(model, cfg), batches, generator(7), cfg)

    opt_d, opt_g = _opts(ref, cfg)
    gen = generator(7)
    for xb in batches:  # D steps: the generator has not moved yet
        z = torch.randn(8, 4, generator=gen)
        assert all(torch.equal(v, g_before[k]) for k, v in ref.generator.state_dict().items())
        loss = gan_mod.d_step_loss(ref, xb, z, cfg.label_smoothing)["d_loss"]
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
    d_after = copy.deepcopy(ref.discriminator.state_dict())
    z = torch.randn(cfg.batch_size, 4, generator=gen)
    g_loss = gan_mod.g_step_loss(ref, z, cfg.g_loss)  # against the discriminator after its k steps
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    for a, b in zip(model.parameters(), ref.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    assert all(
        torch.equal(v, d_after[k]) for k, v in ref.discriminator.state_dict().items()
    )  # G step: D fixed

    # a simultaneous update (the generator's gradient taken from the old discriminator) ends elsewhere
    sim = copy.deepcopy(start)
    opt_g = _opts(sim, cfg)[1]
    g_loss = gan_mod.g_step_loss(sim, z, cfg.g_loss)
    opt_g.zero_grad()
    g_loss.backward(inputs=list(sim.generator.parameters()))
    opt_g.step()
    moved = [
        (a - b).abs().max()
        for a, b in zip(sim.generator.parameters(), ref.generator.parameters(), strict=True)
    ]
    assert max(moved) > 1e-5


def test_saturating_and_non_saturating_generator_losses_by_hand():
    cfg, model = _gan()
    z = torch.randn(6, 4, generator=generator(0))
    d = torch.sigmoid(model.discriminate(model.generate(z)))
    assert float(gan_mod.g_step_loss(model, z, "non-saturating")) == pytest.approx(
        float(-torch.log(d).mean()), rel=1e-5
    )
    assert float(gan_mod.g_step_loss(model, z, "saturating")) == pytest.approx(
        float(torch.log(1 - d).mean()), rel=1e-5
    )
    with pytest.raises(ValueError):
        gan_mod.GANConfig(g_loss="wasserstein")


def test_gan_controls_reach_training_and_snapshots_are_kept():
    X = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    base = dict(input_dim=64, latent_dim=4, hidden=(16, 16), num_epochs=2, batch_size=16, snapshots=6)
    r1 = gan_mod.train_gan(gan_mod.GANConfig(**base), X, seed=0)
    snaps = gan_mod.snapshots(r1)
    assert snaps.shape == (2, 6, 64)
    assert np.allclose(snaps[-1], gan_mod.generate(r1.model, gan_mod.snapshot_z(r1.config)), atol=1 / 255)
    z = gan_mod.sample_z(r1.config, 5, seed=3)
    for change in (dict(lr_g=1e-3), dict(lr_d=1e-3), dict(d_steps=3), dict(label_smoothing=1.0),
                   dict(g_loss="saturating"), dict(batch_size=8)):  # fmt: skip
        r2 = gan_mod.train_gan(gan_mod.GANConfig(**{**base, **change}), X, seed=0)
        assert not np.allclose(gan_mod.generate(r1.model, z), gan_mod.generate(r2.model, z)), change


# --- wide codes and the baselines beside the losses (issue 33) --------------------------------------


def test_widths_never_narrower_than_the_code_and_unchanged_for_narrow_codes():
    assert ae.widths((512, 128), 2) == ae.widths((512, 128), 64) == (512, 128)  # keys kept up to 64
    assert ae.widths((512, 128), 128) == (512, 256)  # twice the code: room for units that die
    assert ae.widths((512, 128), 256) == (512, 512)
    assert ae.widths((128,), 600) == (1200,)


@pytest.mark.parametrize("arch", ae.ARCHS)
def test_a_wide_code_has_full_rank_when_no_layer_is_narrower(arch):
    from annlab.latent import codes

    X = torch.rand(400, 784, generator=generator(1)).numpy()
    d = 160
    wide = ae.build(ae.AEConfig(arch=arch, latent_dim=d, hidden=ae.widths((512, 128), d)))
    narrow = ae.build(ae.AEConfig(arch=arch, latent_dim=d, hidden=(512, 128) if arch == "dense" else (128,)))
    # a few ReLU units of a random start are dead on every input; the 128-unit layer is a hard ceiling
    assert codes.numerical_rank(ae.encode(wide, X)) > 128 >= codes.numerical_rank(ae.encode(narrow, X))


def test_numerical_rank_counts_directions():
    from annlab.latent import codes

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 8))  # rank 3 in 8 dimensions
    assert codes.numerical_rank(Z) == 3
    assert codes.numerical_rank(Z + 1e-9 * rng.normal(size=Z.shape)) == 3  # rounding is not a direction
    assert codes.numerical_rank(np.full((5, 2), np.nan)) == 0


def test_pca_reconstruction_mse_matches_the_eigenvalues():
    from annlab.latent import codes

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 4)) * np.array([3.0, 2.0, 1.0, 0.5])
    # keeping two components leaves the two smallest variances: (1 + 0.25) / 4 per coordinate
    assert codes.pca_reconstruction_mse(X, X, 2, clip=False) == pytest.approx(1.25 / 4, rel=0.05)
    assert codes.pca_reconstruction_mse(X, X, 4, clip=False) == pytest.approx(0.0, abs=1e-9)


def test_independent_pixel_nll_by_hand():
    from annlab.latent import codes

    X_fit = np.array([[1, 0], [1, 1], [0, 0], [1, 0]], float)  # p = (4/6, 2/6) with Laplace smoothing
    x = np.array([[1, 0]], float)
    expected = -(np.log(4 / 6) + np.log(1 - 2 / 6))
    assert codes.independent_pixel_nll(X_fit, x) == pytest.approx(expected)
    assert codes.binarise(np.array([[0.2, 0.7]])).tolist() == [[0.0, 1.0]]


def test_bernoulli_elbo_is_bce_plus_kl_and_a_bound_below_the_pixel_model_after_training():
    from annlab.latent import codes

    X = codes.binarise(load_digits8()[0][:300])
    cfg = ae.AEConfig(kind="vae", input_dim=64, latent_dim=4, hidden=(64,), num_epochs=1)
    model = ae.build(cfg)
    out = ae.bernoulli_elbo(model, X, seed=0)
    assert out["elbo"] == pytest.approx(-(out["recon"] + out["kl"]))
    with torch.no_grad():  # the KL term equals the closed form on the codes
        mu, logvar = model.encode(torch.as_tensor(X))
        assert out["kl"] == pytest.approx(float(ae.kl_normal(mu, logvar).mean()), rel=1e-4)
    trained = ae.train_autoencoder(replace_cfg(cfg, num_epochs=60), X, seed=0).model
    assert -ae.bernoulli_elbo(trained, X)["elbo"] < codes.independent_pixel_nll(X, X)


def replace_cfg(cfg, **kw):
    from dataclasses import replace

    return replace(cfg, **kw)


def test_mmd_to_prior_is_small_for_prior_draws_and_large_for_shifted_codes():
    from annlab.latent import codes

    near = codes.mmd_to_prior(codes.prior_sample(2, 500, seed=5), seed=0)
    far = codes.mmd_to_prior(codes.prior_sample(2, 500, seed=5) + 3.0, seed=0)
    assert abs(near) < 0.01 < far


def test_gan_keeps_both_generators_and_samples_from_either(tmp_path):
    X = load_digits8()[0][:96]
    cfg = gan_mod.GANConfig(input_dim=64, latent_dim=4, hidden=(16, 16), num_epochs=2, batch_size=16, ema=0.9)
    r = gan_mod.train_gan(cfg, X, seed=0)
    z = gan_mod.sample_z(cfg, 5, seed=3)
    avg, live = gan_mod.generate(r.model, z), gan_mod.generate(r.model, z, averaged=False)
    assert not np.allclose(avg, live)
    with torch.no_grad():
        assert np.allclose(live, r.model.fake(torch.as_tensor(z)).numpy())
    assert gan_mod.snapshots(r).shape == gan_mod.snapshots(r, averaged=False).shape
    assert not np.allclose(gan_mod.snapshots(r), gan_mod.snapshots(r, averaged=False))
