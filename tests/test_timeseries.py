"""Time series: windowing, folds, normalisation, forecasts and training of the Santa Fe models."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from annlab.timeseries import charts
from annlab.timeseries import defaults as d
from annlab.timeseries import experiments as ex
from annlab.timeseries.data import normalise, santafe_split, time_series_folds, windows
from annlab.timeseries.experiments import (
    baseline_rows,
    baselines,
    cross_validate,
    evaluate,
    grid_search,
    mse,
    nmse,
    seed_study,
    summary,
    verdict,
)
from annlab.timeseries.models import (
    TSConfig,
    _rollout_loss,
    build,
    forecast_iterated,
    forecast_one_step,
    train_ts,
)
from annlab.training import TrainResult

# ---------------------------------------------------------------- windows and folds


@pytest.mark.parametrize("lag", [1, 3, 7])
def test_windows_targets_never_inside_inputs(lag):
    t = np.arange(50, dtype=np.float32)  # value == time index
    X, y = windows(t, lag)
    assert X.shape == (50 - lag, lag) and y.shape == (50 - lag,)
    np.testing.assert_array_equal(X[:, 0], np.arange(50 - lag))
    np.testing.assert_array_equal(y, X[:, -1] + 1)  # the target is the value right after the window
    assert all(y[i] not in X[i] for i in range(len(y)))
    assert (y > X.max(axis=1)).all()  # strictly in the future of every input


def test_lag_longer_than_data_says_so():
    with pytest.raises(ValueError, match="longer than the data"):
        windows(np.zeros(10), 10)
    with pytest.raises(ValueError, match="at least 1"):
        windows(np.zeros(10), 0)


@pytest.mark.parametrize("n_folds,val_size,lag", [(3, 100, 20), (5, 50, 1), (1, 80, 30)])
def test_folds_respect_the_gap(n_folds, val_size, lag):
    n_windows = 1000 - lag
    folds = time_series_folds(n_windows, n_folds=n_folds, val_size=val_size, gap=lag)
    assert len(folds) == n_folds
    for train_idx, val_idx in folds:
        assert len(val_idx) == val_size
        assert val_idx[0] - train_idx[-1] - 1 == lag  # exactly `gap` windows dropped
        # times used by training windows: inputs and targets, i .. i + lag
        train_times = set(range(train_idx[0], train_idx[-1] + lag + 1))
        val_input_times = set(range(val_idx[0], val_idx[-1] + lag))
        val_target_times = set((val_idx + lag).tolist())
        assert not train_times & val_input_times  # no validation input was a training target
        assert not train_times & val_target_times
    assert folds[-1][1][-1] == n_windows - 1


def test_folds_that_do_not_fit_say_so():
    with pytest.raises(ValueError, match="do not fit"):
        time_series_folds(300, n_folds=3, val_size=100, gap=10)
    with pytest.raises(ValueError, match="validation size"):
        time_series_folds(300, n_folds=3, val_size=0)


# ---------------------------------------------------------------- normalisation


def test_normalisation_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, 200)
    a = normalise(train, rng.normal(0, 1, 30))
    b = normalise(train, rng.normal(100, 50, 30))  # a wild continuation changes nothing on the training side
    assert a.mean == b.mean == pytest.approx(train.mean())
    assert a.std == b.std == pytest.approx(train.std())
    np.testing.assert_array_equal(a.train, b.train)
    assert abs(float(a.train.mean())) < 1e-5 and float(a.train.std()) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(b.to_original(b.test), (b.test * train.std() + train.mean()), rtol=1e-6)


def test_santafe_split_is_the_classic_one():
    sp = santafe_split()
    assert sp.train.shape == (1000,) and sp.test.shape == (100,)
    assert sp.train_raw[:3] == pytest.approx([86.0, 141.0, 95.0], abs=1e-3)  # points 1..3 of data set A
    assert sp.mean == pytest.approx(float(sp.train_raw.mean()), rel=1e-6)
    assert not sp.train.flags.writeable
    with pytest.raises(ValueError, match="cannot take"):
        santafe_split(10_000, 200)


# ---------------------------------------------------------------- forecasts


class Spy(nn.Module):
    """Predicts the mean of its inputs plus 1 and records every input it sees."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.seen: list[np.ndarray] = []

    def forward(self, X):
        self.seen.append(X.detach().numpy().copy())
        return X.mean(dim=1) + 1.0 + self.w


def test_iterated_forecast_feeds_only_on_its_own_predictions():
    lag, steps = 4, 6
    history = np.array([9.0, 9.0, 1.0, 2.0, 3.0, 4.0], np.float32)
    spy = Spy()
    pred = forecast_iterated(spy, history, steps, lag)
    assert pred.shape == (steps,)
    np.testing.assert_allclose(spy.seen[0][0], history[-lag:])  # starts from the last known values only
    for k in range(1, steps):
        inputs = spy.seen[k][0]
        known = history[-lag:][k:] if k < lag else np.array([])
        expected = np.concatenate([known, pred[max(0, k - lag) : k]])
        np.testing.assert_allclose(inputs, expected, rtol=1e-6)
    # the expected recursion by hand
    buf = list(history[-lag:])
    for _ in range(steps):
        buf.append(np.mean(buf[-lag:]) + 1.0)
    np.testing.assert_allclose(pred, buf[lag:], rtol=1e-5)


def test_one_step_forecast_is_fed_the_truth():
    lag = 3
    history = np.array([0.0, 1.0, 2.0], np.float32)
    future = np.array([10.0, 20.0, 30.0, 40.0], np.float32)
    spy = Spy()
    pred = forecast_one_step(spy, history, future, lag)
    np.testing.assert_allclose(pred, [2.0, 16 / 3, 35 / 3, 21.0], rtol=1e-6)  # mean of the true past + 1
    it = forecast_iterated(Spy(), history, 4, lag)
    assert not np.allclose(it, pred)  # the closed loop differs once it uses its own outputs


def test_forecast_needs_enough_history():
    with pytest.raises(ValueError, match="known values"):
        forecast_iterated(Spy(), np.zeros(2), 5, lag=3)


# ---------------------------------------------------------------- configs, training


def test_config_validation_is_clear():
    with pytest.raises(ValueError, match="Unknown model"):
        TSConfig(model="gru")
    with pytest.raises(ValueError, match="lag"):
        TSConfig(lag=0)
    with pytest.raises(ValueError, match="hidden"):
        TSConfig(n_hidden=0)
    with pytest.raises(ValueError, match="rollout_epochs"):
        TSConfig(num_epochs=10, rollout=5, rollout_epochs=20)
    with pytest.raises(ValueError, match="longer than the data"):
        train_ts(TSConfig(lag=50, num_epochs=1), np.zeros(30, np.float32))


def test_mini_batches_are_seeded_and_lbfgs_is_full_batch():
    with pytest.raises(ValueError, match="full batch"):
        TSConfig(optimizer="lbfgs", batch_size=32)
    series = np.sin(np.arange(200) / 3).astype(np.float32)
    cfg = TSConfig(lag=6, n_hidden=8, num_epochs=20, lr=0.01, batch_size=16)
    a, b = train_ts(cfg, series, seed=1), train_ts(cfg, series, seed=1)
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    full = train_ts(dataclasses.replace(cfg, batch_size=None), series, seed=1)
    assert a.history[-1]["loss"] < full.history[-1]["loss"]  # 12 updates per epoch instead of 1


def test_rollout_of_one_is_the_one_step_loss():
    model = build(TSConfig(lag=3, n_hidden=4))
    X = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    Y = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        one = _rollout_loss(model, X, Y, 1)
        assert float(one) == pytest.approx(float(torch.mean((model(X) - Y[:, 0]) ** 2)))
        two = _rollout_loss(model, X, Y, 2)
        y1 = model(X)
        y2 = model(torch.cat([X[:, 1:], y1[:, None]], 1))
    expected = (torch.mean((y1 - Y[:, 0]) ** 2) + torch.mean((y2 - Y[:, 1]) ** 2)) / 2
    assert float(two) == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("kind", ["mlp", "lstm"])
def test_training_learns_a_sine_and_is_seeded(kind):
    t = np.arange(300)
    series = np.sin(2 * np.pi * t / 25).astype(np.float32)
    before = series.copy()
    cfg = TSConfig(model=kind, lag=10, n_hidden=8, num_epochs=150, lr=0.02)
    a = train_ts(cfg, series, seed=3)
    b = train_ts(cfg, series, seed=3)
    c = train_ts(cfg, series, seed=4)
    np.testing.assert_array_equal(series, before)  # input not modified
    losses = [h["loss"] for h in a.history]
    assert np.isfinite(losses).all() and a.diverged is None
    assert losses[-1] < 0.05 * losses[0] and losses[-1] < 0.02  # the variance of a sine is 0.5
    assert [h["loss"] for h in b.history] == losses  # same seed, same run
    assert [h["loss"] for h in c.history] != losses
    pred = forecast_iterated(a.model, series, 25, cfg.lag)
    truth = np.sin(2 * np.pi * np.arange(300, 325) / 25)
    assert nmse(truth, pred) < 0.3  # a sine is easy to continue in closed loop


def test_new_options_are_validated_in_words():
    with pytest.raises(ValueError, match="lr_end"):
        TSConfig(lr=0.01, lr_end=0.1)  # annealing can only go down
    with pytest.raises(ValueError, match="needs Adam"):
        TSConfig(optimizer="lbfgs", lr=1.0, lr_end=1e-5)
    with pytest.raises(ValueError, match="clipping"):
        TSConfig(grad_clip=0.0)
    with pytest.raises(ValueError, match="ensemble"):
        TSConfig(n_models=0)


def _record_adam(monkeypatch):
    """Wrap Adam's step: record the learning rate and each parameter's gradient norm at every update."""
    seen = []
    real = torch.optim.Adam.step

    def step(self, closure=None):
        loss = closure() if closure is not None else None  # closure computes (and clips) the gradient
        grads = [p.grad.detach().clone() for g in self.param_groups for p in g["params"]]
        seen.append((self.param_groups[0]["lr"], grads))
        real(self)
        return loss

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    return seen


def test_cosine_schedule_anneals_adam_from_lr_to_lr_end(monkeypatch):
    seen = _record_adam(monkeypatch)
    series = np.sin(np.arange(120) / 3).astype(np.float32)
    cfg = TSConfig(lag=5, n_hidden=6, num_epochs=20, lr=0.02, lr_end=1e-4, batch_size=64)
    train_ts(cfg, series, seed=0)
    lrs = [lr for lr, _ in seen]
    assert len(lrs) == 20 * 2  # 115 windows in 2 batches per epoch
    assert lrs[0] == pytest.approx(0.02) and lrs[1] == lrs[0]  # one value per epoch
    assert all(a >= b for a, b in zip(lrs, lrs[1:], strict=False))  # it only goes down
    # the last epoch's rate on the cosine: lr_end + (lr - lr_end) (1 + cos(pi 19/20)) / 2
    assert lrs[-1] == pytest.approx(1e-4 + (0.02 - 1e-4) * (1 + np.cos(np.pi * 19 / 20)) / 2, rel=1e-6)
    seen.clear()
    train_ts(dataclasses.replace(cfg, lr_end=None), series, seed=0)
    assert {lr for lr, _ in seen} == {0.02}  # no schedule: constant


def test_gradient_clipping_bounds_each_members_gradient(monkeypatch):
    seen = _record_adam(monkeypatch)
    series = (3 * np.sin(np.arange(120) / 3)).astype(np.float32)
    cfg = TSConfig(model="lstm", lag=5, n_hidden=4, num_epochs=5, lr=0.01, grad_clip=0.05, n_models=2)
    train_ts(cfg, series, seed=0)
    n = len(list(build(dataclasses.replace(cfg, n_models=1)).parameters()))
    for _, grads in seen:
        for member in (grads[:n], grads[n:]):
            assert float(torch.sqrt(sum((g**2).sum() for g in member))) <= 0.05 * (1 + 1e-5)
    seen.clear()
    train_ts(dataclasses.replace(cfg, grad_clip=None), series, seed=0)
    assert max(float(torch.sqrt(sum((g**2).sum() for g in grads[:n]))) for _, grads in seen) > 0.05


def test_an_ensemble_averages_its_members_at_every_step_and_is_seeded():
    from annlab.timeseries.models import Ensemble

    series = np.sin(2 * np.pi * np.arange(200) / 25).astype(np.float32)
    cfg = TSConfig(model="lstm", lag=6, n_hidden=5, num_epochs=30, lr=0.02, n_models=3)
    res = train_ts(cfg, series, seed=2)
    model = res.model
    assert isinstance(model, Ensemble) and len(model.members) == 3
    X = torch.as_tensor(windows(series, 6)[0][:7])
    with torch.no_grad():
        each = torch.stack([m(X) for m in model.members])  # (3, 7)
        np.testing.assert_allclose(model(X).numpy(), each.mean(0).numpy(), rtol=1e-6)
        assert float(each.std(0).mean()) > 1e-4  # different random starts, different members
    # closed loop: every step is the average, fed back (a hand-rolled loop over the members)
    buf = list(series[-6:])
    with torch.no_grad():
        for _ in range(10):
            x = torch.tensor([buf[-6:]])
            buf.append(float(torch.stack([m(x) for m in model.members]).mean()))
    np.testing.assert_allclose(forecast_iterated(model, series, 10, 6), buf[6:], rtol=1e-5, atol=1e-6)
    again = train_ts(cfg, series, seed=2)
    assert [h["loss"] for h in again.history] == [h["loss"] for h in res.history]  # seeded
    fresh = build(cfg)  # the store rebuilds it and loads the weights
    fresh.load_state_dict(model.state_dict())
    with torch.no_grad():
        np.testing.assert_array_equal(fresh(X).numpy(), model(X).numpy())


def test_ensemble_members_are_each_fitted_on_their_own_loss(monkeypatch):
    import annlab.timeseries.models as tm

    called = []
    real = tm._rollout_loss
    monkeypatch.setattr(tm, "_rollout_loss", lambda m, *a: called.append(m) or real(m, *a))
    series = np.sin(np.arange(100) / 3).astype(np.float32)
    res = train_ts(TSConfig(lag=4, n_hidden=3, num_epochs=2, lr=0.01, n_models=3), series, seed=0)
    members = list(res.model.members)
    assert len(called) == 2 * 3 and all(any(m is c for c in members) for m in called)  # never the average
    assert {id(m) for m in called} == {id(m) for m in members}


def test_divergence_stops_with_a_sentence():
    series = np.sin(np.arange(200) / 3).astype(np.float32)
    res = train_ts(TSConfig(lag=5, n_hidden=8, num_epochs=50, lr=1e30), series, seed=0)
    if res.diverged is not None:  # a huge learning rate blows up: reported in words
        assert "diverged" in res.diverged
        assert len(res.history) < 50
    else:
        pytest.fail("A learning rate of 1e30 should make the loss infinite.")


# ---------------------------------------------------------------- scores and experiments


def test_scores_and_baselines():
    sp = santafe_split()
    truth = sp.test_raw
    assert nmse(truth, np.full_like(truth, truth.mean())) == pytest.approx(1.0)
    assert mse([0, 0], [1, 3]) == pytest.approx(5.0)
    base = baselines(sp)
    assert base["training mean"] == pytest.approx(np.full(100, sp.mean))
    assert base["last value"][0] == pytest.approx(float(sp.train_raw[-1]))
    assert 0.9 < nmse(truth, base["training mean"]) < 1.1  # about 1.0, as the issue says
    assert nmse(truth, base["last value"]) > 1.0
    rows = {r["forecast"]: r for r in baseline_rows(sp)}
    flat = rows["baseline: training mean"]
    assert flat["one_step_nmse"] == flat["iterated_nmse"]
    persistence = np.concatenate([sp.train_raw[-1:], truth[:-1]])
    assert rows["baseline: last value"]["one_step_mse"] == pytest.approx(mse(truth, persistence))


def test_verdict_says_when_the_mean_is_not_beaten():
    base = {"training mean": 1.0, "last value": 1.3}
    assert "does **not** beat predicting the training mean" in verdict("MLP", 1.2, base)
    assert "training mean" in verdict("MLP", float("nan"), base)
    assert verdict("MLP", 0.25, base) is None
    assert "last value" in verdict("LSTM", 0.5, {"training mean": 1.0, "last value": 0.4})


def test_cross_validation_trains_only_before_each_gap(monkeypatch):
    import annlab.timeseries.experiments as ex

    lengths = []
    real = ex.train_ts

    def spy(cfg, data, **kw):
        lengths.append(len(data))
        return real(cfg, data, **kw)

    monkeypatch.setattr(ex, "train_ts", spy)
    series = np.sin(np.arange(400) / 4).astype(np.float32)
    cfg = TSConfig(lag=10, n_hidden=4, num_epochs=5)
    scores = cross_validate(cfg, series, n_folds=3, val_size=50, std=2.0)
    assert len(scores) == 3 and all(s >= 0 for s in scores)
    X, _ = windows(series, cfg.lag)
    folds = time_series_folds(len(X), n_folds=3, val_size=50, gap=cfg.lag)
    for n_used, (_, val_idx) in zip(lengths, folds, strict=True):
        assert n_used <= val_idx[0]  # every training value comes before the first validation input


def test_grid_search_reports_folds_that_do_not_fit():
    series = np.sin(np.arange(260) / 4).astype(np.float32)
    sp = normalise(series[:200], series[200:])
    calls = []
    rows = grid_search(
        TSConfig(num_epochs=3),
        sp,
        lags=(2, 150),
        hidden=(3,),
        n_folds=2,
        val_size=40,
        progress=lambda d, t, text: calls.append((d, t)),
    )
    assert [r["lag"] for r in rows] == [2, 150]
    assert np.isfinite(rows[0]["cv_mse"]) and rows[0]["error"] == ""
    assert np.isnan(rows[1]["cv_mse"]) and "do not fit" in rows[1]["error"]
    assert calls == [(1, 2), (2, 2)]
    spec = charts.grid_chart(rows, selected=(2, 3)).to_dict()
    # the text layer's literal colours must not share a scale with the heat map (Vega draws nothing then)
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert "cell" in str(spec["params"])  # the click selection the page reads


def test_seed_study_uses_the_store_and_scores_held_out_data(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    sp = santafe_split()
    cfg = TSConfig(lag=10, n_hidden=5, num_epochs=20)
    rows = seed_study(cfg, sp, seeds=(0, 1))
    assert [r["seed"] for r in rows] == [0, 1]
    assert len(list(tmp_path.glob("TSConfig-*.pt"))) == 2
    again = seed_study(cfg, sp, seeds=(0, 1))
    assert [r["iterated_nmse"] for r in again] == [r["iterated_nmse"] for r in rows]
    mean, std = summary(rows)
    assert mean == pytest.approx(np.mean([r["iterated_nmse"] for r in rows])) and std >= 0
    fc = evaluate(build(cfg).eval(), cfg, sp)
    assert fc.iterated.shape == fc.one_step.shape == (100,)


def test_charts_build():
    sp = santafe_split()
    assert charts.series_chart(sp.train_raw, sp.test_raw).to_dict()
    c = charts.forecast_chart(1001, sp.test_raw, {"mean": np.full(100, sp.mean)}, context=sp.train_raw[-20:])
    assert c.to_dict()
    assert charts.seed_chart([{"seed": 0, "iterated_nmse": 0.5}], 1.0).to_dict()


# ---------------------------------------------------------------- the page's defaults


def test_page_configs_are_the_defaults_outside_fast_mode(monkeypatch):
    monkeypatch.setenv("ANNLAB_FAST", "0")
    assert d.model_config("mlp") == d.MLP and d.model_config("lstm") == d.LSTM
    assert d.model_config("mlp").lr == d.LR["lbfgs"] and d.model_config("lstm").lr == d.LSTM.lr
    adam = d.model_config("mlp", optimizer="Adam", lag=12)  # the page's names work too
    assert (adam.optimizer, adam.lr, adam.batch_size, adam.lag) == ("adam", d.LR["adam"], d.BATCH, 12)
    lbfgs = d.model_config("lstm", optimizer="lbfgs")
    assert (lbfgs.lr, lbfgs.batch_size, lbfgs.lr_end) == (d.LR["lbfgs"], None, None)  # always full batch
    # the schedule control reaches the config: Adam anneals or not, L-BFGS ignores it
    assert d.model_config("lstm", schedule="constant").lr_end is None
    assert d.model_config("mlp", optimizer="Adam", schedule="cosine to 1e-5").lr_end == 1e-5
    assert d.model_config("mlp", schedule="cosine to 1e-5").lr_end is None  # L-BFGS
    assert d.model_config("lstm").lr_end == d.LSTM.lr_end
    assert d.grid_axes() == (d.GRID_LAGS, d.GRID_HIDDEN) and d.grid_config().num_epochs == d.GRID_EPOCHS


def test_fast_mode_shrinks_at_call_time(monkeypatch):
    monkeypatch.setenv("ANNLAB_FAST", "1")
    mlp, lstm = d.model_config("mlp", rollout=5), d.model_config("lstm")
    assert (mlp.num_epochs, mlp.rollout, lstm.num_epochs) == (2, 2, 10)
    assert dataclasses.replace(lstm, num_epochs=d.LSTM.num_epochs) == d.LSTM
    assert d.grid_config().num_epochs == 2 and d.grid_axes() == ((1, 5), (5, 10))


PAGE_CONTROLS = [
    d.LAG,
    d.VALIDATION_CONTROL,
    *d.MLP_CONTROLS.values(),
    *d.LSTM_CONTROLS.values(),
    *d.GRID_CONTROLS.values(),
]


def test_widget_starts_come_from_the_configs(monkeypatch):
    monkeypatch.setenv("ANNLAB_FAST", "0")
    assert d.LAG.default == d.MLP.lag and d.LSTM_CONTROLS["n_hidden"].default == d.LSTM.n_hidden
    assert d.OPTIMIZERS[d.MLP_CONTROLS["optimizer"].default] == d.MLP.optimizer
    assert d.MLP_CONTROLS["weight_decay"].default in d.DECAYS
    for kind, table in (("mlp", d.MLP_CONTROLS), ("lstm", d.LSTM_CONTROLS)):  # untouched widgets: defaults
        changes = {field: c.default for field, c in table.items()}
        assert d.model_config(kind, lag=d.LAG.default, **changes) == d.DEFAULTS[kind]
    grid = {field: c.default for field, c in d.GRID_CONTROLS.items()}
    assert d.grid_config(grid["model"], grid["num_epochs"]) == d.grid_config()
    assert (grid["n_folds"], grid["val_size"]) == (d.GRID_FOLDS, d.GRID_VAL_SIZE)
    spec = d.model_spec(d.MLP, seed=3)
    assert (spec.cfg, spec.seed, spec.data_key) == (d.MLP, 3, "santafe-1000-100-zscore")


def test_every_control_has_its_own_url_key_and_a_default_its_widget_accepts():
    keys = [c.key for c in PAGE_CONTROLS]
    assert len(keys) == len(set(keys))
    assert set(keys) == {  # the URL keys shared links carry: never renamed
        *("ts_lag", "ts_hidden", "ts_mlp_epochs", "ts_mlp_opt", "ts_mlp_decay", "ts_mlp_rollout"),
        *("ts_lstm_hidden", "ts_lstm_epochs", "ts_lstm_opt", "ts_lstm_rollout", "ts_lstm_layers"),
        *("ts_lstm_decay", "ts_val", "ts_mlp_sched", "ts_lstm_sched"),  # new in issue 15
        *("ts_grid_model", "ts_grid_epochs", "ts_folds", "ts_val_size"),
    }
    for c in PAGE_CONTROLS:
        if c.widget == "slider":
            lo, hi, step = c.kw["min_value"], c.kw["max_value"], c.kw.get("step", 1)
            assert lo <= c.default <= hi and (c.default - lo) % step == 0, c.key
        else:
            assert c.default in c.kw["options"], c.key


def test_warm_stores_both_models_for_every_seed_and_every_lag_position(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    positions = d.lag_positions()
    assert positions[0] == d.LAG.default and sorted(positions) == list(range(5, 61, 5))
    specs = d.warm_specs()
    on_seed0 = {(s.cfg.model, s.cfg.lag) for s in specs if s.seed == 0}
    assert on_seed0 == {(kind, lag) for kind in d.DEFAULTS for lag in positions}  # every slider position
    assert {s.seed for s in specs if s.cfg.lag == d.LAG.default} == set(d.SEEDS)
    assert all(s.cfg == d.model_config(s.cfg.model, lag=s.cfg.lag) for s in specs)  # the page's configs
    lines: list[str] = []
    d.warm("cpu", 1, lines.append)
    assert len(list(tmp_path.glob("TSConfig-*.pt"))) == len(specs) == len(lines) - 1
    assert all("trained in" in line for line in lines[:-1]) and "warm-up" in lines[-1]
    again: list[str] = []
    d.warm("cpu", 1, again.append)
    assert all("from the store" in line for line in again[:-1])


# ---------------------------------------------------------------- the page's sections


class Persistence(nn.Module):
    """Predicts that the next value equals the last one seen (the "last value" baseline, as a model)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, X):  # (B, lag) -> (B,)
        return X[:, -1] + 0 * self.w


def _persistence(lag=3, diverged=None, train_s=1.5):
    cfg = TSConfig(lag=lag, n_hidden=2, num_epochs=1)
    return TrainResult(Persistence(), [], cfg, extra={"train_s": train_s}, diverged=diverged, key="p")


def test_compare_scores_a_persistence_model_like_the_last_value_baseline():
    sp = santafe_split()
    cmp = ex.compare({"P": _persistence(), "broken": _persistence(diverged="NaN")}, sp)
    assert list(cmp.forecasts) == ["P"]  # a diverged model is left out
    rows = cmp.scores
    assert list(rows.index) == ["P", "baseline: training mean", "baseline: last value"]
    np.testing.assert_allclose(rows.loc["P"].iloc[:4], rows.loc["baseline: last value"].iloc[:4], rtol=1e-5)
    np.testing.assert_allclose(cmp.closed_loop["P"], np.full(100, sp.train_raw[-1]), rtol=1e-5)
    np.testing.assert_allclose(cmp.closed_loop["mean"], np.full(100, sp.mean))
    assert cmp.truth_var == pytest.approx(float(np.var(sp.test_raw)))
    value = rows.loc["P", "closed-loop NMSE"]
    mean_nmse = cmp.baseline_nmse["training mean"]
    assert cmp.metrics[0].value == f"{value:.3f}"
    assert cmp.metrics[0].delta == f"{value - mean_nmse:+.3f} vs the mean"
    assert cmp.metrics[-1].label == "Baseline: training mean"
    assert (
        len(cmp.verdicts) == 1 and "P does **not** beat" in cmp.verdicts[0]
    )  # NMSE > 1: worse than the mean
    table = cmp.table
    assert table.loc["P", "training s"] == "1.5" and table.loc["baseline: last value", "training s"] == "—"
    assert list(cmp.one_step) == ["P"] and list(cmp.closed_loop) == ["P", "mean"]


def test_seed_studies_report_progress_and_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    cfgs = {"A": TSConfig(lag=5, n_hidden=3, num_epochs=3), "B": TSConfig(lag=4, n_hidden=3, num_epochs=3)}
    assert not ex.all_stored(cfgs, (0, 1))
    steps = []
    out = ex.seed_studies(cfgs, seeds=(0, 1), callback=lambda k, info: steps.append(info["fraction"]))
    assert steps == [0.25, 0.5, 0.75, 1.0]
    assert ex.all_stored(cfgs, (0, 1))
    study = out["A"]
    assert study.mean == pytest.approx(np.mean([r["iterated_nmse"] for r in study.rows]))
    assert (study.warning is not None) == (study.mean >= study.mean_baseline)
    assert study.metric.label == "A: closed-loop NMSE over 2 seeds"


def test_grid_plan_counts_fits_and_says_when_folds_do_not_fit():
    plan = ex.GridPlan(TSConfig(), lags=(1, 5, 10), hidden=(5, 10), n_folds=3, val_size=100)
    assert plan.fits == 3 * 2 * 3 and "= 18 fits" in plan.label
    assert plan.problem() is None  # 3 * 100 + 10 < 1000
    tight = dataclasses.replace(plan, n_folds=8, val_size=124)  # 992 + 10 >= 1000
    assert "do not fit" in tight.problem() and "1002 of the 1000" in tight.problem()


def test_grid_picks_the_best_cell_or_the_clicked_one():
    rows = [
        {"lag": 1, "n_hidden": 5, "cv_mse": 30.0, "error": ""},
        {"lag": 5, "n_hidden": 5, "cv_mse": 10.0, "error": ""},
        {"lag": 9, "n_hidden": 5, "cv_mse": float("nan"), "error": "The folds do not fit"},
    ]
    grid = ex.Grid(
        ex.GridPlan(TSConfig(num_epochs=7), lags=(1, 5, 9), hidden=(5,), n_folds=2), rows, 1.25, "cpu"
    )
    assert grid.best == (5, 5) and grid.cv((1, 5)) == 30.0
    assert grid.warning.startswith("1 cell(s) could not be scored: The folds")
    assert "1.2 s on cpu (6 fits of 7 epochs)" in grid.caption
    assert grid.pick(None) == ((5, 5), grid.pick(None)[1]) and "lowest CV MSE" in grid.pick(None)[1]
    clicked = {"selection": {"cell": [{"lag": 1, "n_hidden": 5}]}}
    cell, sentence = grid.pick(clicked)
    assert cell == (1, 5) and "your pick" in sentence


def test_run_grid_times_the_grid_and_reports_progress():
    series = np.sin(np.arange(260) / 4).astype(np.float32)
    sp = normalise(series[:200], series[200:])
    plan = ex.GridPlan(TSConfig(num_epochs=2), lags=(2, 3), hidden=(3,), n_folds=2, val_size=30)
    seen = []
    grid = ex.run_grid(plan, split=sp, callback=lambda k, info: seen.append((k, info["fraction"])))
    assert seen == [(1, 0.5), (2, 1.0)]
    assert [(r["lag"], r["n_hidden"]) for r in grid.rows] == [(2, 3), (3, 3)]
    assert grid.seconds >= sum(r["seconds"] for r in grid.rows) > 0


def test_cell_report_scores_the_cell_beside_the_mean():
    sp = santafe_split()
    report = ex.cell_report(_persistence(lag=4), 123.4, sp)
    last = nmse(sp.test_raw, baselines(sp)["last value"])
    assert report.forecast.scores["iterated_nmse"] == pytest.approx(last, rel=1e-5)
    assert report.text.startswith("CV MSE 123;") and f"closed-loop NMSE {last:.3f}" in report.text
    assert report.title == "MLP, lag 4, 2 hidden units" and set(report.curves) == {"closed loop", "one step"}


# ---------------------------------------------------------------- validation, the honest protocol


def test_weight_decay_is_the_same_l2_penalty_under_adam_and_lbfgs(monkeypatch):
    import annlab.timeseries.models as tm

    series = np.sin(np.arange(120) / 3).astype(np.float32)
    calls = []
    real = tm._l2
    monkeypatch.setattr(tm, "_l2", lambda model: calls.append(1) or real(model))
    for opt, lr in (("adam", 0.01), ("lbfgs", 1.0)):
        cfg = TSConfig(lag=5, n_hidden=6, num_epochs=15, lr=lr, optimizer=opt)
        calls.clear()
        free = train_ts(cfg, series, seed=0)
        assert not calls  # no penalty without weight decay
        tied = train_ts(dataclasses.replace(cfg, weight_decay=1.0), series, seed=0)
        assert calls, opt  # the penalty term is in the loss under both optimizers
        with torch.no_grad():
            assert float(real(tied.model)) < 0.5 * float(real(free.model)), opt  # it shrinks the weights


def test_validation_holds_out_the_last_points_and_scores_them_in_closed_loop():
    series = np.sin(2 * np.pi * np.arange(200) / 25).astype(np.float32)
    cfg = TSConfig(lag=10, n_hidden=8, num_epochs=30, lr=0.02)
    held = train_ts(dataclasses.replace(cfg, val_size=40), series, seed=2)
    fit_only = train_ts(cfg, series[:-40], seed=2)
    # the held-out points are never fitted: same losses as training on the points before them
    assert [h["loss"] for h in held.history] == pytest.approx([h["loss"] for h in fit_only.history])
    last = held.history[-1]
    pred = forecast_iterated(held.model, series[:-40], 40, cfg.lag)
    assert last["val_loss"] == pytest.approx(float(np.mean((pred - series[-40:]) ** 2)), rel=1e-5)
    assert last["val_nmse"] == pytest.approx(last["val_loss"] / float(np.var(series[-40:])), rel=1e-6)
    assert "val_loss" not in fit_only.history[-1]
    with pytest.raises(ValueError, match="validation stretch"):
        TSConfig(patience=5)
    with pytest.raises(ValueError, match="too little"):
        train_ts(TSConfig(lag=10, num_epochs=1, val_size=195), series)


def test_early_stopping_keeps_the_best_validated_weights():
    series = np.sin(2 * np.pi * np.arange(200) / 25).astype(np.float32)
    cfg = TSConfig(lag=10, n_hidden=8, num_epochs=200, lr=0.05, val_size=40, patience=8)
    res = train_ts(cfg, series, seed=0)
    vals = {h["epoch"]: h["val_loss"] for h in res.history}
    best = res.extra["best_epoch"]
    assert vals[best] == min(vals.values())
    assert res.history[-1]["epoch"] - best >= cfg.patience or res.history[-1]["epoch"] == cfg.num_epochs
    pred = forecast_iterated(res.model, series[:-40], 40, cfg.lag)  # the kept weights are the best ones
    assert float(np.mean((pred - series[-40:]) ** 2)) == pytest.approx(vals[best], rel=1e-5)
    cmp_val = ex.validation_score(res)
    assert cmp_val == pytest.approx(vals[best] / float(np.var(series[-40:])), rel=1e-5)


def test_selection_never_reads_the_test_points(monkeypatch, tmp_path):
    """The honest protocol's spy: points 1,001-1,100 are NaN, yet the whole selection script runs and every
    fit and validation score is finite (each fit sees points 1..o of a rolling origin, nothing later)."""
    import importlib.util

    import annlab.timeseries.data as td
    import annlab.timeseries.select as sel
    from annlab.data import load_santafe

    real = np.asarray(load_santafe(), np.float64)
    poisoned = real.copy()
    poisoned[1000:] = np.nan  # anything that reads the test continuation (or later) turns NaN
    monkeypatch.setattr(td, "load_santafe", lambda: poisoned)
    seen = []
    real_train = sel.train_ts

    def spy(cfg, data, **kw):
        seen.append((len(data), cfg.val_size, bool(np.isnan(data).any())))
        return real_train(cfg, data, **kw)

    monkeypatch.setattr(sel, "train_ts", spy)
    tiny = {
        "mlp": (TSConfig(lag=10, n_hidden=4, num_epochs=3), TSConfig(lag=20, n_hidden=4, num_epochs=3)),
        "lstm": (TSConfig(model="lstm", lag=5, n_hidden=3, num_epochs=2, head="bounded"),),
    }
    monkeypatch.setattr(sel, "CANDIDATES", tiny)
    monkeypatch.setattr(sel, "RESULT", tmp_path / "selection.json")
    monkeypatch.delenv("BENCH_WORKERS", raising=False)  # one process: the spy sees every fit
    spec = importlib.util.spec_from_file_location("ts_select", "bench/timeseries_select.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = script.main()
    assert seen and {n for n, _, _ in seen} == set(sel.ORIGINS)  # fits of points 1..o, o = every origin
    assert all(v == 0 and not nan and n + sel.HORIZON <= 1000 for n, v, nan in seen)
    saved = sel.load(tmp_path / "selection.json")
    for kind in ("mlp", "lstm"):
        rows = saved["models"][kind]["rows"]
        assert all(np.isfinite(v) for r in rows for per in r["nmse"].values() for v in per.values())
        final = [r for r in rows if r["stage"] == "final"]
        assert final and all(r["seeds"] == list(sel.SEEDS) and r["n"] == 6 for r in final)
        assert out[f"{kind}_val_nmse_median"] == pytest.approx(saved["models"][kind]["val_nmse"], abs=1e-4)
    assert saved["rule"] == sel.RULE and out["rule"] == sel.RULE
    assert (
        sel.chosen("lstm", tmp_path / "selection.json").lag
        == sel.chosen("mlp", tmp_path / "selection.json").lag
    )
    table = ex.selection_table(saved)
    assert (table["chosen"] == "yes").sum() == 2
    note = ex.selection_note(saved)
    assert "seeds 0, 1" in note and "451-550, 551-650, 651-750" in note


def test_a_stretch_is_scored_by_a_model_fitted_only_on_the_points_before_it(monkeypatch):
    import annlab.timeseries.select as sel

    series = np.sin(2 * np.pi * np.arange(300) / 25)
    fitted = []
    real_train = sel.train_ts
    monkeypatch.setattr(
        sel, "train_ts", lambda cfg, data, **kw: fitted.append(data.copy()) or real_train(cfg, data, **kw)
    )
    cfg = TSConfig(lag=10, n_hidden=6, num_epochs=20, lr=0.02, val_size=30, patience=3)
    value = sel.stretch_nmse(cfg, series, 200, horizon=50, seed=0)
    np.testing.assert_array_equal(fitted[0], series[:200])  # points 1..o only (its own hold-out dropped)
    model = real_train(dataclasses.replace(cfg, val_size=0, patience=None), series[:200], seed=0).model
    pred = forecast_iterated(model, series[:200], 50, cfg.lag)
    assert value == pytest.approx(float(np.mean((pred - series[200:250]) ** 2) / np.var(series[200:250])))
    with pytest.raises(ValueError, match="runs past"):
        sel.stretch_nmse(cfg, series, 280, horizon=50)


def test_fits_already_made_are_reused_not_refitted(monkeypatch):
    import annlab.timeseries.select as sel

    calls = []
    monkeypatch.setattr(sel, "_job", lambda args: calls.append(args[0].n_hidden) or (0.3, 2.0))
    cands = (TSConfig(n_hidden=2), TSConfig(n_hidden=3))
    first = sel.select(cands, np.zeros(1000), seeds=(0, 1), finalists=1)
    assert len(calls) == 2 * 3 + 3  # screen both on 3 origins, then the finalist with seed 1
    data = {"models": {"mlp": {"rows": first.rows}}}
    known = sel.known_fits(data)
    assert len(known) == 9
    calls.clear()
    again = sel.select((*cands, TSConfig(n_hidden=4)), np.zeros(1000), seeds=(0, 1), finalists=1, known=known)
    assert calls == [4, 4, 4]  # only the new candidate is fitted
    assert again.rows[0]["nmse"] == first.rows[0]["nmse"]


def test_the_rule_counts_failures_first_then_the_median():
    from annlab.timeseries.select import rank_key

    assert rank_key([0.1, 0.2, 0.3]) == (0, pytest.approx(0.2))
    assert rank_key([0.1, 1.0, float("nan")]) == (2, 1.0)  # NMSE >= 1 and NaN both fail (NaN ranks last)
    assert rank_key([0.01, 0.02, 1.5]) > rank_key([0.5, 0.6, 0.9])  # one failure loses to none
    assert rank_key([0.3, 0.4]) < rank_key([0.3, 0.5])


def test_selection_screens_every_candidate_then_fits_the_finalists_with_every_seed(monkeypatch):
    import annlab.timeseries.select as sel

    # fake fits: a candidate's NMSE is set by its hidden units; seed 1 makes candidate 3 fail once
    def fake(args):
        cfg, _, origin, seed, _, _ = args
        value = {2: 0.5, 3: 0.2, 4: 0.1, 5: 0.9}[cfg.n_hidden]
        return (1.2 if cfg.n_hidden == 4 and seed == 1 and origin == 550 else value), 0.5

    monkeypatch.setattr(sel, "_job", fake)
    cands = tuple(TSConfig(n_hidden=h) for h in (2, 3, 4, 5))
    found = sel.select(cands, np.zeros(1000), seeds=(0, 1), screen_seeds=(0,), finalists=2)
    stages = [r["stage"] for r in found.rows]
    assert stages == ["screen", "final", "final", "screen"]  # the screen's best two (h 4 and 3) go on
    assert [r["seeds"] for r in found.rows] == [[0], [0, 1], [0, 1], [0]]
    assert found.best.n_hidden == 3  # h 4 was best on seed 0, but fails once with seed 1
    assert found.row["failures"] == 0 and found.val_nmse == pytest.approx(0.2)
    assert found.rows[2]["failures"] == 1 and found.rows[2]["fit_s"] == pytest.approx(0.5)


@pytest.mark.parametrize("head", ["bounded", "clipped"])
def test_a_bounded_head_keeps_every_output_inside_the_fitted_range(head):
    from annlab.timeseries.models import MARGIN, Bound, set_range

    series = np.sin(2 * np.pi * np.arange(300) / 25).astype(np.float32) * 2 + 1  # range [-1, 3]
    for kind in ("mlp", "lstm"):
        cfg = TSConfig(model=kind, lag=10, n_hidden=8, num_epochs=30, lr=0.02, head=head, val_size=50)
        res = train_ts(cfg, series, seed=0)
        fit = series[:-50]  # the range is the fitted points' only, never the hold-out's
        bounds = [m for m in res.model.modules() if isinstance(m, Bound)]
        assert bounds and all(float(b.lo) == pytest.approx(fit.min()) for b in bounds)
        assert all(float(b.hi) == pytest.approx(fit.max()) for b in bounds)
        half = (fit.max() - fit.min()) / 2 * (1 + MARGIN)
        with torch.no_grad():
            wild = torch.tensor([[1e6] * 10, [-1e6] * 10, [0.0] * 10])
            out = res.model(wild).numpy()
        assert np.all(np.abs(out - (fit.max() + fit.min()) / 2) <= half + 1e-4), kind
        pred = forecast_iterated(res.model, series, 500, cfg.lag)
        assert np.isfinite(pred).all() and np.all(np.abs(pred - (fit.max() + fit.min()) / 2) <= half + 1e-4)
        # the range travels with the weights (the model store saves the state dict)
        again = build(cfg)
        again.load_state_dict(res.model.state_dict())
        assert float([m for m in again.modules() if isinstance(m, Bound)][0].hi) == pytest.approx(fit.max())
    clip = Bound(squash=False)
    clip.lo.fill_(-1.0)
    clip.hi.fill_(3.0)
    z = torch.tensor([-5.0, -1.0, 0.5, 3.0, 9.0])
    half = 2.0 * (1 + MARGIN)
    np.testing.assert_allclose(clip(z).numpy(), [1 - half, -1.0, 0.5, 3.0, 1 + half])  # unchanged inside
    linear = build(TSConfig(lag=3, n_hidden=2))
    set_range(linear, series)  # nothing to set on a linear head
    assert not [m for m in linear.modules() if isinstance(m, Bound)]
    with pytest.raises(ValueError, match="output head"):
        TSConfig(head="sigmoid")


def test_the_schedule_is_disabled_under_lbfgs_with_its_reason():
    for table in (d.MLP_CONTROLS, d.LSTM_CONTROLS):
        fields = list(table)
        assert fields.index("optimizer") < fields.index("schedule")  # drawn after what it depends on
    off = d.control_state("schedule", {"optimizer": "L-BFGS"})
    assert off["disabled"] is True and "L-BFGS" in off["help"] and "Adam" in off["help"]
    assert d.control_state("schedule", {"optimizer": "Adam"}) == {}
    assert d.control_state("n_hidden", {"optimizer": "L-BFGS"}) == {}
    # why: under L-BFGS the schedule changes nothing in the config, under Adam it does
    lbfgs = {d.model_config("mlp", optimizer="L-BFGS", schedule=name) for name in d.SCHEDULES}
    adam = {d.model_config("mlp", optimizer="Adam", schedule=name) for name in d.SCHEDULES}
    assert len(lbfgs) == 1 and len(adam) == len(d.SCHEDULES)


def test_the_page_says_which_baselines_each_model_beats_both_ways():
    sp = santafe_split()
    cmp = ex.compare({"P": _persistence()}, sp)
    text = cmp.against_baselines
    one, closed = text.split("\n")
    rows = cmp.scores
    mean_one = rows.loc["baseline: training mean", "one-step NMSE"]
    last_one = rows.loc["baseline: last value", "one-step NMSE"]
    assert f"P {rows.loc['P', 'one-step NMSE']:.3f}" in one and f"training mean {mean_one:.3f}" in one
    assert f"last value {last_one:.3f}" in one and "One step ahead" in one
    # persistence is the last-value baseline: it does not beat it, either way
    assert "the P beats the training mean but not the last value" in one
    assert "Closed loop" in closed and "the P beats neither baseline" in closed  # closed loop: flat, NMSE > 1
    assert ex._beats(0.1, 1.0, 0.5) == "beats both baselines"
    assert ex._beats(0.7, 1.0, 0.5) == "beats the training mean but not the last value"
    assert ex._beats(float("nan"), 1.0, 0.5) == "beats neither baseline"


def test_the_defaults_are_the_saved_choice_of_the_protocol():
    from annlab.timeseries import select

    assert select.load() is not None, "run bench/timeseries_select.py: it writes selection.json"
    assert select.chosen("mlp") == d.MLP and select.chosen("lstm") == d.LSTM
    assert d.MLP.lag == d.LSTM.lag == d.LAG.default  # one shared lag slider


def test_the_page_says_which_settings_were_chosen_on_validation():
    from annlab.timeseries import select

    note = ex.chosen_note()
    assert "chosen on validation" in note and "551-650" in note and "1,001-1,100" in note
    assert select.describe(d.LSTM) in note and select.describe(d.MLP) in note  # the LSTM's settings, in words
    saved = select.load()
    assert f"{saved['models']['lstm']['val_nmse']:.3f}" in note  # with its validation score
    assert "No selection" in ex.chosen_note({})
