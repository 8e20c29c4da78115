"""Optimizers: one step of each against the hand formula, quadratic theory, divergence, the race, the bump."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from annlab import store
from annlab.optim import DESCRIPTIONS, OPTIMIZERS, defaults, make_optimizer
from annlab.optim import charts as oc
from annlab.optim import experiments as ex
from annlab.optim import landscape as ls
from annlab.optim import race as rc

# ------------------------------------------------------------------ one step against the hand formula
W0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
H = torch.tensor([3.0, 0.5], dtype=torch.float64)  # f(w) = 0.5 * sum(H * w**2), gradient H * w


def _steps(name, lr, n, **kw):
    w = W0.clone().requires_grad_(True)
    opt = make_optimizer(name, [w], lr, **kw)
    out = []

    def closure():
        opt.zero_grad()
        loss = 0.5 * (H * w**2).sum()
        loss.backward()
        return loss

    for _ in range(n):
        if name == "L-BFGS":
            opt.step(closure)
        else:
            closure()
            opt.step()
        out.append(w.detach().clone())
    return out


def _hand(name, lr, n):
    """The textbook updates, written out (torch.optim's conventions: buffers start at zero or at g)."""
    w = W0.clone()
    m = torch.zeros_like(w)
    v = torch.zeros_like(w)
    acc_dx = torch.zeros_like(w)
    out = []
    for t in range(1, n + 1):
        g = H * w
        if name in ("GD (full batch)", "SGD (mini-batch)"):
            w = w - lr * g
        elif name == "Momentum":
            m = g if t == 1 else 0.9 * m + g
            w = w - lr * m
        elif name == "Nesterov":
            m = g if t == 1 else 0.9 * m + g
            w = w - lr * (g + 0.9 * m)
        elif name == "Adagrad":
            v = v + g**2
            w = w - lr * g / (v.sqrt() + 1e-10)
        elif name == "RMSProp":
            v = 0.99 * v + 0.01 * g**2
            w = w - lr * g / (v.sqrt() + 1e-8)
        elif name == "Adam":
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
            w = w - lr * m_hat / (v_hat.sqrt() + 1e-8)
        elif name == "Adadelta":
            v = 0.9 * v + 0.1 * g**2
            dx = (acc_dx + 1e-6).sqrt() / (v + 1e-6).sqrt() * g
            acc_dx = 0.9 * acc_dx + 0.1 * dx**2
            w = w - lr * dx
        out.append(w.clone())
    return out


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "L-BFGS"])
def test_each_optimizer_matches_hand_computed_updates(name):
    lr = 0.1
    got, want = _steps(name, lr, 3), _hand(name, lr, 3)
    for step, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        assert torch.allclose(g, w, rtol=1e-10, atol=1e-12), f"{name} step {step}: {g} != {w}"
    assert not torch.allclose(got[0], W0)  # it moved


def test_first_adam_step_is_lr_times_sign_of_gradient():
    (w1,) = _steps("Adam", 0.01, 1)
    assert torch.allclose(w1, W0 - 0.01 * torch.sign(H * W0), atol=1e-9)


def test_lbfgs_solves_a_quadratic_in_a_few_steps():
    w = _steps("L-BFGS", 1.0, 2)[-1]
    f0, f2 = float(0.5 * (H * W0**2).sum()), float(0.5 * (H * w**2).sum())
    assert f2 < 1e-9 * f0  # two step() calls (<= 10 quasi-Newton iterations); GD needs far more


def test_unknown_optimizer_and_bad_lr_are_clear_errors():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="Unknown optimizer"):
        make_optimizer("Adamax", p, 0.1)
    with pytest.raises(ValueError, match="positive"):
        make_optimizer("Adam", p, 0.0)


# --------------------------------------------------------------------------------- quadratic theory
def test_kappa100_counts_match_the_numbers_quoted_in_class():
    lr = ls.optimal_gd_lr(100)
    assert ls.iterations_from_rate(ls.gd_rate(100, lr)) == 691
    assert ls.measured_iterations(100, "GD (full batch)", lr) == 691
    s = math.sqrt(100)
    assert ls.iterations_from_rate((s - 1) / (s + 1)) == 69
    lr_star, beta_star = ls.polyak(100)
    assert math.isclose(ls.momentum_rate(100, lr_star, beta_star), (s - 1) / (s + 1), rel_tol=1e-6)
    assert math.isclose(ls.momentum_lr(100, beta_star), lr_star)


@pytest.mark.parametrize("kappa,scale", [(10, 1.0), (100, 1.0), (100, 0.5), (1000, 1.0), (20, 0.9)])
def test_gradient_descent_measured_within_10_percent_of_rate(kappa, scale):
    lr = scale * ls.optimal_gd_lr(kappa)
    predicted = ls.iterations_from_rate(ls.gd_rate(kappa, lr))
    measured = ls.measured_iterations(kappa, "GD (full batch)", lr, max_iter=50000)
    assert measured is not None
    assert abs(measured - predicted) <= 0.10 * predicted, (measured, predicted)


@pytest.mark.parametrize("beta", [0.3, 0.8, 0.85, 0.9])
def test_momentum_measured_within_10_percent_of_rate(beta):
    lr = ls.momentum_lr(100, beta)
    predicted = ls.iterations_from_rate(ls.momentum_rate(100, lr, beta))
    measured = ls.measured_iterations(100, "Momentum", lr, beta)
    assert abs(measured - predicted) <= 0.10 * predicted, (measured, predicted)


@pytest.mark.parametrize("beta", [0.0, 0.5, None, 0.7])
def test_torch_momentum_follows_the_exact_recurrence(beta):
    lr_star, beta_star = ls.polyak(100)
    beta = beta_star if beta is None else beta
    lr = ls.momentum_lr(100, beta)
    measured = ls.measured_iterations(100, "Momentum", lr, beta)
    assert measured == ls.recurrence_iterations(100, lr, beta)


def test_polyak_double_root_takes_longer_than_the_rate_says():
    lr_star, beta_star = ls.polyak(100)
    measured = ls.measured_iterations(100, "Momentum", lr_star, beta_star)
    assert 69 < measured < 2 * 69  # k * rho^k, not rho^k: the documented 93 from (-1, 1)


def test_measured_rates_match_theory():
    lr_star, beta_star = ls.polyak(100)
    rho = ls.measured_rate(100, "Momentum", lr_star, beta_star)
    assert abs(ls.iterations_from_rate(rho) - 69) <= 0.10 * 69  # 70: the rate is Polyak's, not the count
    gd = ls.measured_rate(100, "GD (full batch)", ls.optimal_gd_lr(100))
    assert math.isclose(gd, 99 / 101, rel_tol=1e-6)


def test_beta_scan_agrees_with_single_runs():
    betas = (0.0, 0.5, 0.8)
    scan = ls.beta_scan(100, betas)
    for b, m in zip(betas, scan["measured"], strict=True):
        assert m == ls.measured_iterations(100, "Momentum", ls.momentum_lr(100, b), b)
    assert scan["measured"][2] < scan["measured"][0]  # momentum buys iterations


# ------------------------------------------------------------------------------------- divergence
def test_gd_on_quadratic_diverges_above_2_over_L_and_says_why():
    surf = ls.Surface("Quadratic (ill-conditioned)", kappa=100)
    ok = ls.run_path(surf, "GD (full batch)", 0.0199, 300)
    assert ok.diverged is None and ok.losses[-1] < ok.losses[0]
    bad = ls.run_path(surf, "GD (full batch)", 0.021, 3000)
    assert bad.diverged is not None
    assert "diverged at step" in bad.diverged and "2/L" in bad.diverged and "L = 100" in bad.diverged
    assert np.isfinite(bad.points).all() and np.abs(bad.points).max() <= ls.DIVERGED_NORM
    assert len(bad.points) < 3001


def test_diverging_race_run_stops_at_its_epoch_and_keeps_no_garbage():
    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Adam"), lr_scale=100.0, num_epochs=60, data=rc.TaskConfig(n_points=60)
    )
    res = rc.race(cfg, seed=0)
    gd, adam = res.runs
    assert gd.diverged is not None and "epoch" in gd.diverged and "lr = 10" in gd.diverged
    assert np.isfinite(gd.train).all() and np.isfinite(gd.val).all()
    assert gd.epoch[-1] < 60 and math.isnan(gd.final_val) and math.isnan(gd.test)
    assert np.isnan(gd.grid_pred).all()
    row = res.table()[0]
    assert row["status"] == "diverged"
    assert adam.diverged is None or np.isfinite(adam.train).all()


# ------------------------------------------------------------------------------------------- bump
def test_gd_stops_in_front_of_the_bump_and_adam_crosses():
    surf = ls.Surface("1-D bump", theta=0.7)
    peak = float(ls.bump_peak([0.7])[0])
    gd = ls.run_path(surf, "GD (full batch)", 0.3, 200)
    adam = ls.run_path(surf, "Adam", 0.3, 20)
    assert gd.points[-1, 0] < peak < adam.points[-1, 0]
    assert (
        abs(
            float(
                torch.autograd.functional.jacobian(
                    lambda x: ls.bump(x, 0.7), torch.tensor([gd.points[-1, 0]])
                )[0, 0]
            )
        )
        < 1e-3
    )  # a stationary point


def test_bump_scan_matches_single_runs_and_adam_beats_gd():
    scan = ls.bump_crossing("Adam", 0.3, 20, [0.3, 0.7, 1.5])
    for th, x in zip(scan["theta"], scan["final_x"], strict=True):
        path = ls.run_path(ls.Surface("1-D bump", theta=float(th)), "Adam", 0.3, 20)
        assert math.isclose(path.points[-1, 0], x, rel_tol=1e-9)
    adam, gd = ls.max_theta_crossed("Adam"), ls.max_theta_crossed("GD (full batch)")
    assert 0.5 < adam and gd < adam


def test_gradient_noise_is_seeded():
    surf = ls.Surface("Rosenbrock")
    a = ls.run_path(surf, "Adam", 0.05, 30, noise=1.0, seed=3)
    b = ls.run_path(surf, "Adam", 0.05, 30, noise=1.0, seed=3)
    c = ls.run_path(surf, "Adam", 0.05, 30, noise=0.0)
    assert np.array_equal(a.points, b.points) and not np.allclose(a.points, c.points)


def test_surfaces_have_their_minimum_where_documented():
    for name in ("Rosenbrock", "Beale", "Quadratic (ill-conditioned)"):
        surf = ls.Surface(name)
        assert float(surf(torch.tensor(surf.minimum, dtype=torch.float64))) < 1e-12
    with pytest.raises(ValueError, match="condition number"):
        ls.Surface("Quadratic (ill-conditioned)", kappa=0.5)


# -------------------------------------------------------------------------------------- race/data
def test_personal_digits_and_clear_errors():
    assert rc.personal_digits("r0123456") == (6, 5, 4, 3, 2)
    with pytest.raises(ValueError, match="at least 5 digits"):
        rc.personal_digits("r12")
    with pytest.raises(ValueError, match="all 0"):
        rc.TaskConfig(task=rc.TASKS[1], number="00000")


def test_data_split_noise_and_snr():
    clean = rc.make_data(rc.TaskConfig(task=rc.TASKS[1], noise=0.0, n_points=20), seed=1)
    noisy = rc.make_data(rc.TaskConfig(task=rc.TASKS[1], noise=0.2, n_points=20), seed=1)
    assert len(clean.y_train) + len(clean.y_val) + len(clean.y_test) == 400
    assert clean.snr_db == math.inf
    expected = 10 * np.log10(np.var(clean.y_true) / 0.04)
    assert math.isclose(noisy.snr_db, expected, rel_tol=1e-5)
    rows = set()
    for part in (clean.X_train, clean.X_val, clean.X_test):
        rows |= {tuple(r) for r in part}
    assert len(rows) == 400  # disjoint
    resid = noisy.y_train - rc.personal_target(noisy.X_train, noisy.digits)
    assert 0.15 < resid.std() < 0.25


def test_race_starts_all_optimizers_from_the_same_weights_and_is_reproducible():
    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Momentum", "Adam", "SGD (mini-batch)", "L-BFGS"),
        num_epochs=30,
        data=rc.TaskConfig(n_points=80),
    )
    a = rc.race(cfg, seed=2)
    b = rc.race(cfg, seed=2)
    starts = {round(r.train[0], 12) for r in a.runs}
    assert len(starts) == 1
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert np.array_equal(ra.val, rb.val)
        assert ra.diverged is None and len(ra.epoch) == 31
        assert ra.train[-1] < ra.train[0]
        assert np.all(np.diff(ra.seconds) >= 0)
    assert min(r.final_train for r in a.runs) < 0.5 * a.runs[0].train[0]


def test_model_selection_picks_the_lowest_validation_loss():
    cfg = rc.GridConfig(
        data=rc.TaskConfig(n_points=60),
        layers=(1, 2),
        units=(5, 20),
        activations=("tanh",),
        lrs=(0.001, 0.02),
        num_epochs=40,
    )
    res = rc.model_selection(cfg, seed=0)
    assert len(res.rows) == cfg.size == 8
    assert res.best["val MSE"] == min(r["val MSE"] for r in res.rows)
    assert math.isfinite(res.test_mse)
    with pytest.raises(ValueError, match="at least one"):
        rc.GridConfig(units=())


def test_race_uses_the_same_updates_as_plain_torch_optim():
    """The race asks for torch's fused CPU kernels (fewer ops per step): same numbers as the default."""
    cfg = rc.RaceConfig(
        optimizers=("Momentum", "Nesterov", "Adam", "Adagrad"), num_epochs=15, data=rc.TaskConfig(n_points=40)
    )
    data = rc.make_data(cfg.data, seed=0)
    res = rc.race(cfg, data, seed=0)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    for run in res.runs:
        model = rc.build_mlp(1, cfg.layers, cfg.units, cfg.activation, seed=0)
        opt = make_optimizer(run.name, model.parameters(), cfg.lr(run.name))
        for _ in range(15):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(X).squeeze(1), y).backward()
            opt.step()
        with torch.no_grad():
            final = float(torch.nn.functional.mse_loss(model(X).squeeze(1), y))
        assert math.isclose(run.train[-1], final, rel_tol=1e-4), run.name


# ----------------------------------------------------------------------------- experiments / defaults
def test_race_callback_reports_fraction_and_text():
    cfg = rc.RaceConfig(optimizers=("GD (full batch)", "Adam"), num_epochs=5, data=rc.TaskConfig(n_points=30))
    seen = []
    rc.race(cfg, seed=0, callback=lambda step, info: seen.append(info))
    assert seen[-1]["fraction"] == 1.0
    assert all(0 <= s["fraction"] <= 1 and s["text"] for s in seen)
    assert any("Adam" in s["text"] for s in seen)


def test_race_is_kept_on_disk_and_loaded_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Adam"), lr_scale=100.0, num_epochs=40, data=rc.TaskConfig(n_points=40)
    )
    since = len(store.TRAINED)
    first = ex.race(cfg, 1)
    again = ex.race(cfg, 1)  # from the file
    assert store.TRAINED[since:] == [ex.race_key(cfg, 1)]
    assert (tmp_path / f"{ex.race_key(cfg, 1)}.pt").exists()
    assert again is not first and again.config == cfg and again.snr_db == first.snr_db
    for a, b in zip(first.runs, again.runs, strict=True):
        for name in ("epoch", "train", "val", "seconds", "grid_pred"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
            assert getattr(a, name).dtype == getattr(b, name).dtype
        assert (a.diverged, a.threshold_epoch, a.threshold_seconds) == (
            b.diverged,
            b.threshold_epoch,
            b.threshold_seconds,
        )
        assert a.test == b.test or (math.isnan(a.test) and math.isnan(b.test))
    assert first.runs[0].diverged and not again.runs[1].diverged  # lr 10 for GD blows up; kept as such


def test_unreadable_saved_race_is_run_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    cfg = rc.RaceConfig(optimizers=("Adam",), num_epochs=5, data=rc.TaskConfig(n_points=30))
    (tmp_path / f"{ex.race_key(cfg, 0)}.pt").write_bytes(b"not a race")
    since = len(store.TRAINED)
    with pytest.warns(store.StoreWarning, match="could not be read"):
        result = ex.race(cfg, 0)
    assert store.TRAINED[since:] == [ex.race_key(cfg, 0)] and len(result.runs[0].epoch) == 6


def test_race_table_and_fit_choice():
    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Momentum", "Adam"), num_epochs=30, data=rc.TaskConfig(n_points=40)
    )
    result = rc.race(cfg, seed=0)
    table = ex.race_table(result)
    assert list(table.frame["optimizer"]) == list(cfg.optimizers)
    assert str(table.frame["best epoch"].dtype) == "Int64"
    assert {"lr", "train MSE", "val MSE", "lowest val MSE", "total s"} <= set(table.formats)
    assert not any("test" in c for c in table.frame.columns)  # the test set is for the final choice only
    line = ex.choice_line(result)
    chosen = result.choice()
    assert chosen.final_val == min(r.final_val for r in result.runs)
    assert f"**{chosen.name}**" in line and f"{chosen.test:.4g}" in line
    names, best = ex.fit_choice(result)
    assert names == list(cfg.optimizers)
    assert result.runs[best].final_val == min(r.final_val for r in result.runs)
    result.runs[best].diverged = "blew up"
    names, _ = ex.fit_choice(result)
    assert result.runs[best].name not in names and len(names) == 2


def test_race_caption_states_the_snr_and_split():
    data = rc.make_data(rc.TaskConfig(noise=0.2), seed=0)
    text = ex.race_caption(data, 0.2)
    assert f"σ = 0.2: **{data.snr_db:.1f} dB**" in text and "120 training, 40 validation, 40 test" in text
    assert "∞ (no noise)" in ex.race_caption(rc.make_data(rc.TaskConfig(noise=0.0), seed=0), 0.0)


def test_landscape_learning_rates_follow_the_theory():
    surf = ls.Surface("Quadratic (ill-conditioned)", kappa=100)
    kw = {"beta": 0.5, "lr_gd": 0.02, "lr_adaptive": 0.3}
    assert ex.landscape_lr("GD (full batch)", surf, tuned=True, **kw) == pytest.approx(2 / 101)
    assert ex.landscape_lr("Momentum", surf, tuned=True, **kw) == pytest.approx(2 * 1.5 / 101)
    assert ex.landscape_lr("Nesterov", surf, tuned=False, **kw) == 0.02
    assert ex.landscape_lr("Adam", surf, tuned=True, **kw) == 0.3
    assert ex.landscape_lr("L-BFGS", surf, **kw) == ex.landscape_lr("Adadelta", surf, **kw) == 1.0


def test_landscape_paths_grid_and_table():
    surf = ls.Surface("Quadratic (ill-conditioned)", kappa=10)
    land = ex.landscape(surf, ["GD (full batch)", "Adam"], 30, 0.9, 0.05, 0.1)
    assert land.lrs == (0.05, 0.1) and land.Z.shape == (60, 60)
    x, y = land.xs[7], land.ys[11]
    assert land.Z[11, 7] == pytest.approx(0.5 * (x**2 + 10 * y**2))  # indexed [iy, ix]
    rows = land.table.frame
    assert list(rows["steps run"]) == [len(p.points) - 1 for p in land.paths] == [30, 30]
    assert rows["final loss"].iloc[0] == pytest.approx(float(land.paths[0].losses[-1]))
    bump = ex.landscape(ls.Surface("1-D bump"), ("GD (full batch)",), 5, 0.9, 10.0, 0.1)
    assert bump.Z.shape == (400,) and bump.ys.size == 0


def test_momentum_metrics_quote_the_numbers_of_the_class():
    row = ex.momentum_metrics(100.0, 0.9)
    values = [m.value for m in row.metrics]
    assert values[0] == "691"  # GD at 2/(L+μ)
    assert values[1] == str(ls.measured_iterations(100, "Momentum", ls.momentum_lr(100, 0.9), 0.9))
    assert values[2] == "70"  # Polyak's rate measured from a run's tail (theory 69)
    assert "93" in row.caption and "69" in row.caption  # counted from the start: the double root


def test_beta_scan_includes_polyak_and_finds_a_better_beta_than_gd():
    betas = ex.scan_betas(100.0, 8)
    beta_star = ls.polyak(100.0)[1]
    assert betas[0] == 0.0 and betas[-1] == 0.95 and round(beta_star, 4) in betas and len(betas) == 9
    scan = ex.beta_scan(100.0, 8)
    assert scan.scan["beta"] == list(betas) and scan.beta_star == beta_star
    best = min(m for m in scan.scan["measured"] if m is not None)
    assert f"Best measured in the scan: {best} iterations" in scan.caption and best < 691


def test_bump_metrics_adam_crosses_higher():
    row = ex.bump_metrics(0.3, 0.3, 20)
    adam, gd = (float(m.value) for m in row.metrics)
    assert adam == ls.max_theta_crossed("Adam", 0.3, 20) and gd == ls.max_theta_crossed(
        "GD (full batch)", 0.3, 20
    )
    assert adam > gd


def test_grid_table_and_summary():
    cfg = rc.GridConfig(
        data=rc.TaskConfig(n_points=40),
        layers=(1,),
        units=(5, 10),
        activations=("tanh",),
        lrs=(0.01,),
        num_epochs=10,
    )
    result = rc.model_selection(cfg, seed=0)
    frame = ex.grid_table(result)
    assert list(frame["val MSE"]) == sorted(r["val MSE"] for r in result.rows)
    assert f"{result.test_mse:.4g}" in ex.grid_summary(result)


def test_defaults_build_the_page_configs():
    cfg = defaults.race_config()
    assert cfg.num_epochs == defaults.FAST_RACE_EPOCHS  # conftest turns fast mode on
    assert cfg == dataclasses.replace(defaults.RACE, num_epochs=defaults.FAST_RACE_EPOCHS)
    moved = defaults.race_config(noise=0.5, optimizers=["Adam"], lr_scale=1, num_epochs=30)
    assert moved.optimizers == ("Adam",) and moved.lr_scale == 1.0 and isinstance(moved.lr_scale, float)
    assert moved.data.noise == 0.5 and moved.num_epochs == 30
    with pytest.raises(ValueError, match="at least one"):
        defaults.race_config(optimizers=[])
    grid = defaults.grid_config(
        task=rc.TASKS[0],
        noise=0.1,
        number="0123456",
        layers=[3, 1],
        units=[50, 10],
        activations=["relu"],
        lrs=[0.02, 0.001],
        optimizer="Adam",
        num_epochs=300,
    )
    assert grid.layers == (1, 3) and grid.units == (10, 50) and grid.lrs == (0.001, 0.02)
    assert grid.num_epochs == defaults.FAST_GRID_EPOCHS


def test_every_control_has_a_unique_key_and_a_default_its_widget_accepts():
    controls = defaults.all_controls()
    keys = [c.key for c in controls]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert all(k.startswith("opt_") for k in keys)
    for c in controls:  # Control itself checks that a default is among the options
        if c.widget == "slider":
            assert c.kw["min_value"] <= c.default <= c.kw["max_value"], c.key
        elif c.widget in ("multiselect", "select_slider", "selectbox"):
            assert "options" in c.kw, c.key
    # the keys shared links carry, unchanged
    assert {"opt_noise", "opt_optimizers", "opt_land_opts", "opt_grid_lrs"} <= set(keys)
    assert {f"opt_{k}{s}" for k in ("steps", "lr_gd", "lr_ad") for s in range(len(ls.SURFACES))} <= set(keys)
    assert defaults.lr_gd_control(1).default == 0.001 and defaults.steps_control(3).default == 20
    assert defaults.NOISE.default == defaults.RACE.data.noise and defaults.LAND_KAPPA.default == 100


def test_two_threads_asking_for_one_new_race_run_it_once(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    cfg = rc.RaceConfig(optimizers=("Adam",), num_epochs=30, data=rc.TaskConfig(n_points=30))
    since = len(store.TRAINED)
    results = []
    threads = [threading.Thread(target=lambda: results.append(ex.race(cfg, 2))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.TRAINED[since:] == [ex.race_key(cfg, 2)]
    assert len(results) == 2 and np.array_equal(results[0].runs[0].val, results[1].runs[0].val)


# ------------------------------------------------------------------- issue 15: the optimizer part
def test_batched_mini_batch_sgd_matches_a_plain_loop():
    """SGD on mini-batches trained side by side gives what one plain torch.optim loop gives."""
    cfg = rc.RaceConfig(optimizers=("SGD (mini-batch)",), num_epochs=6, data=rc.TaskConfig(n_points=50))
    cfg2 = dataclasses.replace(cfg, mini_batch_all=True, optimizers=("SGD (mini-batch)", "Adam"))
    data = rc.make_data(cfg.data, seed=0)
    one, two = rc.race(cfg, data, seed=0), rc.race(cfg2, data, seed=0)
    model = rc.build_mlp(1, cfg.layers, cfg.units, cfg.activation, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr("SGD (mini-batch)"))
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    gen = torch.Generator().manual_seed(1)
    for _ in range(6):
        perm = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(X[idx]).squeeze(1), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        final = float(torch.nn.functional.mse_loss(model(X).squeeze(1), y))
    assert math.isclose(one.runs[0].train[-1], final, rel_tol=1e-4)
    assert math.isclose(two.runs[0].train[-1], final, rel_tol=1e-4)  # next to Adam: the same batches


def test_per_optimizer_settings_reach_the_optimizer(monkeypatch):
    seen = []
    real = torch.optim.SGD.__init__

    def spy(self, params, **kw):
        seen.append(kw)
        real(self, params, **kw)

    monkeypatch.setattr(torch.optim.SGD, "__init__", spy)
    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Nesterov", "L-BFGS"),
        base_lrs=(("GD (full batch)", 0.05), ("Nesterov", 0.1)),
        momenta=(("Nesterov", 0.8),),
        lbfgs_max_iter=1,
        extra=(rc.RunSpec("GD (full batch)", lr=0.1),),
        num_epochs=5,
        data=rc.TaskConfig(n_points=30),
    )
    res = rc.race(cfg, seed=0)
    gd, nest, lbfgs, gd2 = res.runs
    assert gd.settings["lr"] == 0.05 and gd2.settings["lr"] == 0.1
    assert nest.settings["lr"] == 0.1 and nest.settings["momentum"] == 0.8 and nest.settings["nesterov"]
    assert lbfgs.settings["max_iter"] == 1
    assert gd.name == "GD (full batch)" and gd2.name == "GD (full batch), lr 0.1"
    assert not np.allclose(gd.val, gd2.val)  # the same optimizer twice, two different runs
    assert {"lr": 0.1, "momentum": 0.8} in [{k: kw.get(k) for k in ("lr", "momentum")} for kw in seen]
    # the page's controls build that config
    tuned = {("lr", "GD (full batch)"): 0.05, ("lr", "Nesterov"): 0.1, ("momentum", "Nesterov"): 0.8}
    twin = {"name": "GD (full batch)", "lr": 0.1, "momentum": 0.5, "max_iter": 1}
    page = defaults.race_config(optimizers=["GD (full batch)", "Nesterov"], tuned=tuned, twin=twin)
    assert page.lr("GD (full batch)") == 0.05 and page.momentum("Nesterov") == 0.8
    assert page.specs()[-1].lr == 0.1 and page.specs()[-1].momentum is None
    assert defaults.race_config(tuned={("lr", "Adam"): rc.DEFAULT_LR["Adam"]}) == defaults.race_config()


def test_l2_in_the_race_is_the_penalty_on_the_loss():
    lam = 0.05
    cfg = rc.RaceConfig(
        optimizers=(),
        extra=(rc.RunSpec("GD (full batch)", weight_decay=lam), rc.RunSpec("L-BFGS", weight_decay=lam)),
        num_epochs=8,
        data=rc.TaskConfig(n_points=40),
    )
    data = rc.make_data(cfg.data, seed=0)
    res = rc.race(cfg, data, seed=0)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    for run in res.runs:
        model = rc.build_mlp(1, cfg.layers, cfg.units, cfg.activation, seed=0)
        opt = make_optimizer(run.optimizer, model.parameters(), run.lr)

        def closure(model=model, opt=opt):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(X).squeeze(1), y)
            loss = loss + 0.5 * lam * sum((p**2).sum() for p in model.parameters())
            loss.backward()
            return loss

        for _ in range(8):
            opt.step(closure) if run.optimizer == "L-BFGS" else (closure(), opt.step())
        with torch.no_grad():
            final = float(torch.nn.functional.mse_loss(model(X).squeeze(1), y))
        assert math.isclose(run.train[-1], final, rel_tol=1e-3), run.name
        assert run.settings["weight_decay"] == lam


def test_early_stopping_and_dropout():
    cfg = rc.RaceConfig(
        optimizers=(),
        extra=(
            rc.RunSpec("Adam", lr=0.02, label="plain"),
            rc.RunSpec("Adam", lr=0.02, patience=15, label="early"),
            rc.RunSpec("Adam", lr=0.02, dropout=0.3, label="dropout"),
        ),
        units=60,
        num_epochs=300,
        data=rc.TaskConfig(noise=0.3, n_train=15),
    )
    a, b = rc.race(cfg, seed=0), rc.race(cfg, seed=0)
    plain, early, drop = a.runs
    assert early.stopped_epoch is not None and early.stopped_epoch - early.best_epoch == 15
    assert len(early.epoch) == early.stopped_epoch + 1 and early.final_val == early.best_val
    assert np.array_equal(early.val, plain.val[: len(early.val)])  # the same run until it stops
    assert drop.val[0] == plain.val[0]  # measured without dropout, at the same initial weights
    assert not np.allclose(drop.val[1:20], plain.val[1:20]) and np.array_equal(drop.val, b.runs[2].val)
    assert plain.val[-1] > plain.best_val and plain.train[-1] < plain.train[early.best_epoch]  # overfits
    assert "stopped early" in a.table()[1]["status"]


def test_noise_floor_threshold_and_sigma_range():
    assert defaults.NOISE.kw["max_value"] == 2.0 and defaults.NOISE_POSITIONS[-1] == 2.0
    cfg = rc.RaceConfig(
        optimizers=("Adam",), num_epochs=20, threshold=0.02, data=rc.TaskConfig(noise=0.3, n_points=40)
    )
    row = rc.race(cfg, seed=0).table()[0]
    assert row["epochs to val ≤ 0.02"] == "never: the noise floor σ² = 0.09 is above it"
    above = rc.race(
        dataclasses.replace(cfg, threshold_above_floor=True, threshold=0.2, num_epochs=200), seed=0
    )
    assert above.config.threshold_value == pytest.approx(0.29)
    col = next(c for c in above.table()[0] if c.startswith("epochs to"))
    assert "σ² + 0.2" in col and above.table()[0][col].isdigit()
    chart = oc.loss_curves(above.runs, floor=0.09).to_dict()
    rules = [layer for layer in chart["layer"] if layer["mark"]["type"] == "rule"]
    assert rules, "the noise floor is drawn"
    floor_data = next(v for k, v in chart["datasets"].items() if v and "text" in v[0])
    assert floor_data[0]["MSE"] == 0.09 and "σ²" in floor_data[0]["text"]
    label = next(layer for layer in chart["layer"] if layer["mark"]["type"] == "text")
    assert label["encoding"]["x"] == {"value": "width"}, "the label sits right of the plot, off the curves"
    assert "layer" not in oc.loss_curves(above.runs, floor=0.0).to_dict()  # no noise: no floor line
    data = rc.make_data(rc.TaskConfig(noise=0.3), seed=0)
    assert "noise floor" in ex.race_caption(data, 0.3)
    mean = rc.mean_mse(data)  # predict-the-mean: the training targets' mean scored on validation
    assert mean == pytest.approx(np.mean((data.y_val - data.y_train.mean()) ** 2))
    assert mean == pytest.approx(np.var(data.y_val), rel=0.1) and mean > 0.09
    both = oc.loss_curves(above.runs, floor=0.09, mean=mean).to_dict()
    assert len([lay for lay in both["layer"] if lay["mark"]["type"] == "rule"]) == 2
    texts = [r["text"] for v in both["datasets"].values() if v and "text" in v[0] for r in v]
    assert "σ²" in texts and "mean" in texts
    assert f"here {mean:.3g}" in ex.race_caption(data, 0.3)


def test_sigma_sweep_size_sweep_and_repeats(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    cfg = rc.RaceConfig(
        optimizers=("GD (full batch)", "Adam"), num_epochs=15, data=rc.TaskConfig(n_points=40)
    )
    noise = ex.sweep(cfg, 0, "noise", [0.1, 2.0], repeats=2)
    frame = noise.table.frame
    assert list(frame["σ"]) == [0.1, 0.1, 2.0, 2.0] and list(frame["σ² (floor)"]) == pytest.approx(
        [0.01] * 2 + [4.0] * 2
    )
    assert {"SNR (dB)", "train MSE", "val MSE", "test MSE", "val MSE sd"} <= set(frame.columns)
    snr = 10 * np.log10(np.var(rc.make_data(rc.TaskConfig(noise=0.0, n_points=40)).y_true) / 4.0)
    assert frame["SNR (dB)"].iloc[2] == pytest.approx(snr, rel=1e-5)
    assert (frame["val MSE"].iloc[2:] > 1.0).all()  # the floor, not the optimizer
    size = ex.sweep(cfg, 0, "units", [10, 50], repeats=1).table.frame
    assert list(size["units"]) == [10, 10, 50, 50] and {"best epoch", "seconds", "lowest val MSE"} <= set(
        size
    )
    ranking = ex.sweep(cfg, 0, "repeat", (), repeats=3)
    assert len({r["lowest val MSE"] for r in ranking.rows if r["optimizer"] == "Adam"}) == 3  # 3 inits
    firsts = [int(t.split()[0]) for t in ranking.table.frame["ranked first"]]
    assert sum(firsts) == 3 and "lowest val MSE sd" in ranking.table.frame
    again = ex.sweep(cfg, 0, "noise", [0.1], repeats=2)  # loaded from the races on disk
    assert again.rows[:4] == noise.rows[:4]


def test_subsampled_training_set_keeps_validation_and_test():
    full = rc.make_data(rc.TaskConfig(), seed=0)
    few = rc.make_data(rc.TaskConfig(n_train=20), seed=0)
    assert (
        len(few.y_train) == 20
        and np.array_equal(few.y_val, full.y_val)
        and np.array_equal(few.y_test, full.y_test)
    )
    with pytest.raises(ValueError, match="n_train"):
        rc.TaskConfig(n_train=1000)


def test_seed004_linear_bump_gd_path_and_adam():
    gd = ls.linear_bump_path("GD (full batch)", 0.3, 6, k=0.5)
    assert np.round(gd[1:], 2).tolist() == [0.3, 0.6, 0.9, 1.2, 0.9, 1.2]
    highest, widest = ls.linear_bump_escape("Adam", 0.3, 20)
    assert round(highest, 2) == 1.41 and widest == pytest.approx(0.41)
    assert ls.linear_bump_path("Adam", 0.3, 20, k=0.41).max() >= 1.41  # escapes h = 0.41
    assert ls.linear_bump_path("Adam", 0.3, 20, k=0.45).max() < 1.45  # not h = 0.45
    x = torch.tensor([0.0, 1.0, 1.3, 1.5, 2.0])
    assert ls.linear_bump(x, 0.5).tolist() == pytest.approx([1.0, 0.0, 0.3, 0.5, 0.0])
    page = ex.linear_bump(0.4)
    values = {m.label: m.value for m in page.metrics.metrics}
    assert values["GD: x₁ … x₆"] == "0.3, 0.6, 0.9, 1.2, 0.9, 1.2"
    assert values["Adam's highest point (endless slope)"] == "1.41" and values["Adam at k = 0.4"] == "escapes"


@pytest.mark.parametrize("k", [0.05, 0.1, 0.2, 0.21, 0.4, 1.0])
def test_linear_bump_caption_follows_gradient_descent(k):
    """For k <= 0.2 the step from 0.9 lands at 1.2, past the rising stretch: GD walks on to x20 = 6.0;
    wider bumps hold it between 0.9 and 1.2 (seed 004). The caption says which, from the run."""
    page = ex.linear_bump(k)
    gd = page.paths["GD (full batch)"]
    caption = page.metrics.caption
    if k <= 0.2:
        assert gd[-1] == pytest.approx(6.0)
        assert "walks on down the far side (x₂₀ = 6.0)" in caption and "bounces" not in caption
    else:
        assert gd[-1] == pytest.approx(1.2)
        assert "bounces between 0.9 and 1.2" in caption and "walks on" not in caption


def test_adagrad_is_described_by_its_effective_learning_rate():
    text = DESCRIPTIONS["Adagrad"]
    assert "effective learning rate" in text and "steps only ever shrink" not in text


@pytest.mark.parametrize("activation", list(rc.ACTIVATIONS))
def test_stacked_backprop_matches_autograd(activation):
    from annlab.optim import batched

    nets = [rc.build_mlp(2, 2, 7, activation, seed=s) for s in (0, 1)]
    params = [torch.cat(p) for p in zip(*(batched.stack_weights(n, 1) for n in nets), strict=True)]
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(9, 2, generator=gen), torch.randn(9, generator=gen)
    masks = [(torch.rand(2, 9, 7, generator=gen) < 0.7).float() / 0.7 for _ in range(2)]
    for m in (None, masks):
        loss = batched.loss_and_grads(params, x, y, rc.ACTIVATIONS[activation](), m)
        leaves = [p.detach().clone().requires_grad_(True) for p in params]
        ref = batched.forward(leaves, x, rc.ACTIVATIONS[activation](), m)
        ref_loss = ((ref - y) ** 2).mean(1)
        ref_loss.sum().backward()
        assert torch.allclose(loss, ref_loss.detach(), atol=1e-6)
        for p, leaf in zip(params, leaves, strict=True):
            assert torch.allclose(p.grad, leaf.grad, atol=1e-5), activation


def test_dead_control_reasons():
    assert defaults.beta_off(0, ["GD (full batch)"]) is None  # the quadratic's momentum section uses β
    assert defaults.beta_off(1, ["Momentum"]) is None and defaults.beta_off(3, ["Nesterov", "Adam"]) is None
    assert "Momentum and Nesterov" in defaults.beta_off(1, ["GD (full batch)", "Adam"])
    off = defaults.mini_batch_off(["GD (full batch)", "L-BFGS", "none"], False)
    assert off["batch_size"] and off["mini_batch_all"]
    assert defaults.mini_batch_off(["SGD (mini-batch)"], False)["batch_size"] is None
    off = defaults.mini_batch_off(["Adam"], False)
    assert off["batch_size"] and off["mini_batch_all"] is None
    assert defaults.mini_batch_off(["Adam"], True)["batch_size"] is None
    assert all(defaults.twin_off(defaults.NO_TWIN).values())
    assert defaults.twin_off("Nesterov") == {
        "lr": None,
        "momentum": None,
        "max_iter": defaults.twin_off("Adam")["max_iter"],
    }
    assert defaults.twin_off("L-BFGS")["max_iter"] is None and defaults.twin_off("L-BFGS")["momentum"]
