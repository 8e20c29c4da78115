"""Deep Boltzmann machine: conditionals against the energy, mean-field fixed point, training, clamping."""

import itertools

import numpy as np
import pytest
import torch

from annlab.boltzmann.dbm import DBM, DBMConfig, sample, train_dbm
from annlab.boltzmann.inpaint import inpaint, row_mask
from annlab.data import binarize, digits8
from annlab.training import generator


def random_dbm(V=4, H1=3, H2=2, seed=0) -> DBM:
    m = DBM(V, H1, H2)
    g = generator(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 1.0, generator=g)
    return m


def test_conditionals_follow_from_the_energy():
    """P(h1 | v, h2) from the energy by enumerating h1, against the sigmoid formula."""
    m = random_dbm()
    v = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    h2 = torch.tensor([[0.0, 1.0]])
    states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)))
    logp = -m.energy(v.expand(8, 4), states, h2.expand(8, 2))
    probs = torch.softmax(logp, 0)
    marg = (probs[:, None] * states).sum(0)  # P(h1_j = 1 | v, h2)
    torch.testing.assert_close(m.p_h1(v, h2)[0], marg, atol=1e-5, rtol=1e-5)
    # P(v | h1) and P(h2 | h1) likewise
    h1 = torch.tensor([[1.0, 0.0, 1.0]])
    vs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)))
    pv = torch.softmax(-m.energy(vs, h1.expand(16, 3), h2.expand(16, 2)), 0)
    torch.testing.assert_close(m.p_v(h1)[0], (pv[:, None] * vs).sum(0), atol=1e-5, rtol=1e-5)
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=2)))
    ph = torch.softmax(-m.energy(v.expand(4, 4), h1.expand(4, 3), hs), 0)
    torch.testing.assert_close(m.p_h2(h1)[0], (ph[:, None] * hs).sum(0), atol=1e-5, rtol=1e-5)


def test_mean_field_reaches_a_fixed_point():
    m = random_dbm(V=10, H1=6, H2=4, seed=1)
    with torch.no_grad():
        m.W1.mul_(0.3)
        m.W2.mul_(0.3)
    v = torch.bernoulli(torch.full((5, 10), 0.5), generator=generator(2))
    mu1, mu2 = m.mean_field(v, steps=50)
    torch.testing.assert_close(mu1, m.p_h1(v, mu2), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mu2, m.p_h2(mu1), atol=1e-5, rtol=1e-5)


@pytest.fixture(scope="module")
def trained():
    split = digits8()
    cfg = DBMConfig(
        dataset="digits8",
        n_hidden1=48,
        n_hidden2=24,
        pretrain_epochs=3,
        num_epochs=3,
        batch_size=20,
        n_chains=50,
    )
    return train_dbm(cfg, (binarize(split.X_train), binarize(split.X_test)), seed=0), split


def test_dbm_training_history_and_filters(trained):
    result, _ = trained
    assert result.diverged is None
    stages = [h["stage"] for h in result.history]
    assert stages == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    first = result.history[0]["recon_error"]
    assert result.history[-1]["recon_error"] < first
    f1, f2 = result.model.filters()
    assert f1.shape == (48, 64) and f2.shape == (24, 64)
    assert np.isfinite(f2).all()


def test_dbm_samples_and_clamped_inpainting(trained):
    result, split = trained
    s = sample(result.model, 6, 30, seed=0, keep_every=10)
    assert s["p"].shape == (6, 64) and s["trace"].shape == (3, 64)
    assert np.array_equal(s["p"], sample(result.model, 6, 30, seed=0, keep_every=10)["p"])
    X = binarize(split.X_test[:20])
    missing = row_mask(8, 0, 3)
    R = inpaint(result.model, X, missing, 20, seed=0)
    assert np.array_equal(R[:, ~missing], X[:, ~missing])


def test_dbm_divergence_is_reported():
    X = binarize(digits8().X_train)
    r = train_dbm(
        DBMConfig(dataset="digits8", n_hidden1=8, n_hidden2=4, lr=3e38, pretrain_epochs=0, num_epochs=2), X
    )
    assert r.diverged and "learning rate" in r.diverged
    assert all(torch.isfinite(p).all() for p in r.model.parameters())


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_hidden2=0),
        dict(lr=0.0),
        dict(pretrain_epochs=0, num_epochs=0),
        dict(mf_steps=0),
        dict(dataset="x"),
    ],
)
def test_dbm_config_validation(kwargs):
    with pytest.raises(ValueError):
        DBMConfig(**kwargs)
