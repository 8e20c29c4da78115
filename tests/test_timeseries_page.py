"""The time-series page in AppTest (fast mode): forecasts on defaults, lag, lazy tabs, warm-up, the grid."""

import streamlit as st
from pagetest import errors, open_page, tables

from annlab import store
from annlab.timeseries import defaults

VIEW = "views/time_series.py"
TITLE = "Time series: the Santa Fe laser"


def _open(query=None):
    at = open_page(VIEW, query)
    assert not errors(at), errors(at)
    assert at.title[0].value == TITLE
    return at


def _trained() -> int:
    return sum(key.startswith("TSConfig-") for key in store.TRAINED)


def test_defaults_show_both_forecasts_beside_the_baselines_and_the_lag_retrains(empty_store):
    before = _trained()
    at = _open()
    assert _trained() - before == 2  # the MLP and the LSTM, nothing from the other tabs
    labels = [m.label for m in at.metric]
    assert labels == ["MLP: closed-loop NMSE", "LSTM: closed-loop NMSE", "Baseline: training mean"]
    forecasts = ["MLP", "LSTM", "baseline: training mean", "baseline: last value"]
    assert len(tables(at)) == 1  # all scores are folded: their table is built only once opened
    at.session_state["ts_scores"] = True
    at.run()
    nmse, table = tables(at)[0], tables(at)[1]  # the main figure's, then all scores
    assert list(nmse.columns) == forecasts and list(nmse.index) == ["closed-loop NMSE", "one-step NMSE"]
    assert list(table.index) == forecasts and "training s" in table.columns
    assert any("chosen on validation" in c.value and "LSTM" in c.value for c in at.caption)
    scores = [m.value for m in at.metric]
    at.slider(key="ts_lag").set_value(5).run()
    assert not errors(at), errors(at)
    assert _trained() - before == 4  # both models retrain on the new lag
    assert [m.value for m in at.metric][:2] != scores[:2]
    assert at.metric[2].value == scores[2]  # the baseline does not depend on the lag


def test_the_lstm_schedule_reaches_the_lstm_only(empty_store):
    at = _open()
    before, scores = _trained(), [m.value for m in at.metric]
    assert at.selectbox(key="ts_lstm_sched").value == defaults.SCHEDULE_OF[defaults.LSTM.lr_end]
    at.selectbox(key="ts_lstm_sched").set_value("constant").run()
    assert not errors(at), errors(at)
    assert _trained() - before == 1  # the LSTM retrains with a constant learning rate, the MLP loads
    after = [m.value for m in at.metric]
    assert after[0] == scores[0] and after[1] != scores[1]


def test_the_schedule_is_disabled_while_its_model_uses_lbfgs(empty_store):
    at = _open()
    assert defaults.MLP.optimizer == "lbfgs"  # the MLP's own default: its schedule does nothing
    sched = at.selectbox(key="ts_mlp_sched")
    assert sched.disabled and "L-BFGS" in sched.help
    assert at.selectbox(key="ts_lstm_sched").disabled == (defaults.LSTM.optimizer == "lbfgs")
    at.selectbox(key="ts_mlp_opt").set_value("Adam").run()
    assert not errors(at), errors(at)
    assert not at.selectbox(key="ts_mlp_sched").disabled  # under Adam it anneals the learning rate
    assert any(m.value.startswith("**One step ahead**") and "training mean" in m.value for m in at.markdown)


def test_seed_tab_trains_nothing_until_asked(empty_store):
    before = _trained()
    at = _open({"ts_tab": "Seeds"})
    assert _trained() == before  # neither the forecasts tab's models nor the seeds
    assert not at.metric
    at.button(key="ts_seed_button").click().run()
    assert not errors(at), errors(at)
    assert _trained() - before == 2 * len(defaults.SEEDS)
    assert len(list(empty_store.glob("TSConfig-*.pt"))) == 2 * len(defaults.SEEDS)
    assert [m.label for m in at.metric] == [f"{n}: closed-loop NMSE over 5 seeds" for n in ("MLP", "LSTM")]


def test_after_warm_the_page_and_its_seed_study_train_nothing(empty_store):
    defaults.warm("cpu", None, lambda text: None)
    st.cache_resource.clear()
    st.cache_data.clear()
    before = _trained()
    at = _open()
    at = _open({"ts_tab": "Seeds"})
    assert _trained() == before
    assert len(at.metric) == 2  # the study shows at once: every seed is in the store


def test_series_tab_shows_the_split():
    at = _open({"ts_tab": "Series"})
    assert any("training mean" in c.value for c in at.caption)


def test_grid_runs_on_demand_and_shows_the_best_cell(empty_store):
    at = _open({"ts_tab": "Grid search"})
    assert not any("The grid took" in c.value for c in at.caption)
    at.button(key="ts_grid_button").click().run()
    assert not errors(at), errors(at)
    assert any("The grid took" in c.value for c in at.caption)
    assert any("lowest CV MSE" in m.value for m in at.markdown)
    assert any(m.value.startswith("CV MSE") for m in at.markdown)  # the best cell, trained and scored
    at.slider(key="ts_folds").set_value(4).run()
    assert any("earlier settings" in w.value for w in at.warning)  # the old grid is marked stale


def test_folds_that_do_not_fit_are_explained():
    at = _open({"ts_tab": "Grid search", "ts_folds": "8", "ts_val_size": "300"})
    assert any("do not fit" in e.value for e in at.error)


def test_validation_choice_draws_validation_curves_and_scores(empty_store):
    at = _open({"ts_val": defaults.VALIDATION_CONTROL.kw["options"][2]})  # hold out + early stopping
    nmse = tables(at)[0]
    assert list(nmse.index) == ["validation NMSE", "closed-loop NMSE", "one-step NMSE"]
    assert all(v != "—" for v in nmse.loc["validation NMSE", ["MLP", "LSTM"]])
    assert nmse.loc["validation NMSE", "baseline: training mean"] == "—"
    panels = [e for e in at.expander if e.label.startswith("Learning curves")]
    assert len(panels) == 2


def test_defaults_tab_shows_the_protocol_and_the_choice():
    at = _open({"ts_tab": "Defaults"})
    table = at.dataframe[0].value
    assert set(table["model"]) == {"MLP", "LSTM"} and (table["chosen"] == "yes").sum() == 2
    assert any("551-650" in m.value and "rolling-origin" in m.value for m in at.markdown)


def test_a_lag_not_trained_keeps_the_old_figure_marked_stale_with_progress(empty_store, monkeypatch):
    at = _open()
    charts_before = len(at.get("vega_lite_chart"))
    assert charts_before >= 2

    def slow_then_stop(cfg, data, *, device="cpu", seed=0, callback=None):
        callback(1, {"loss": 1.0})  # progress is on screen ...
        raise RuntimeError("stopped mid-training by the test")  # ... and the run ends before the new figure

    monkeypatch.setattr(defaults, "train_ts", slow_then_stop)
    at.slider(key="ts_lag").set_value(45).run()
    assert any("Stale" in c.value and "lag 30" in c.value and "lag 45" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) >= charts_before  # the old forecasts stay, not a blank page
    assert at.get("progress") or at.status  # the training's progress below them
    assert at.exception  # the test's interruption
