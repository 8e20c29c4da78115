"""The optimizer page: the main controls change what is shown; divergence is explained, not plotted;
only the open tab works; after the warm-up a plain link races nothing."""

import streamlit as st
from pagetest import errors, open_page

from annlab import store
from annlab.optim import defaults
from annlab.optim import experiments as ex
from annlab.settings import cache_dir

VIEW = "views/optimizers.py"


def _captions(at):
    return " ".join(c.value for c in at.caption)


def _races_run(since):
    return [k for k in store.TRAINED[since:] if k.startswith("RaceConfig-")]


def test_noise_and_learning_rate_change_the_race():
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert "Signal-to-noise ratio at σ = 0.1" in _captions(at)
    before = at.dataframe[0].value.copy()

    at.slider(key="opt_noise").set_value(0.5).run()
    assert not errors(at), errors(at)
    assert "Signal-to-noise ratio at σ = 0.5" in _captions(at)
    assert not before["val MSE"].equals(at.dataframe[0].value["val MSE"])

    at.select_slider(key="opt_lr_scale").set_value(100.0).run()
    assert not errors(at), errors(at)
    text = " ".join(e.value for e in at.error)
    assert "diverged at epoch" in text and "learning rate" in text.lower()
    assert (at.dataframe[0].value["status"] == "diverged").any()


def test_landscape_surface_and_bump_controls():
    at = open_page(VIEW, query={"opt_tab": "Landscape"})
    assert not errors(at), errors(at)
    metrics = {m.label: m.value for m in at.metric}
    gd_label = next(k for k in metrics if k.startswith("GD, lr = 2/(L+μ)"))
    assert metrics[gd_label] == "691"

    at.select_slider(key="opt_kappa").set_value(10).run()
    assert not errors(at), errors(at)
    assert {m.label: m.value for m in at.metric}[gd_label] != "691"

    at.selectbox(key="opt_surface").set_value("1-D bump").run()
    assert not errors(at), errors(at)
    metrics = {m.label: m.value for m in at.metric}
    adam = next(v for k, v in metrics.items() if k.startswith("Adam (lr 0.3, 20 steps)"))
    gd = next(v for k, v in metrics.items() if k.startswith("GD (lr 0.3, 20 steps)"))
    assert float(adam) > float(gd)


def test_bad_student_number_is_a_readable_error():
    at = open_page(VIEW)
    at.selectbox(key="opt_task").set_value("Personal regression (2-D)").run()
    assert not errors(at), errors(at)
    at.text_input(key="opt_number").set_value("r12").run()
    assert not errors(at), errors(at)
    assert any("at least 5 digits" in e.value for e in at.error)


def test_model_selection_grid_runs_on_the_button():
    at = open_page(VIEW, query={"opt_tab": "Model selection"})
    assert not errors(at), errors(at)
    at.multiselect(key="opt_grid_units").set_value([10])
    at.multiselect(key="opt_grid_layers").set_value([1, 2]).run()
    assert not errors(at), errors(at)
    assert {m.label: m.value for m in at.metric}["Models in the grid"] == "12"
    assert not any("Chosen by validation" in s.value for s in at.success)
    at.button(key="opt_grid_button").click().run()
    assert not errors(at), errors(at)
    chosen = next(s.value for s in at.success if "Chosen by validation" in s.value)
    assert "Test MSE of the chosen model" in chosen


def test_only_the_open_tab_races():
    since = len(store.TRAINED)
    at = open_page(VIEW, query={"opt_tab": "Landscape", "seed": "4242"})  # a seed nothing raced yet
    assert not errors(at), errors(at)
    assert _races_run(since) == []
    at = open_page(VIEW, query={"seed": "4242"})
    assert not errors(at), errors(at)
    assert _races_run(since) == [ex.race_key(defaults.race_config(), 4242)]


def test_after_warm_a_plain_link_races_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    lines = []
    defaults.warm("cpu", None, lines.append)
    assert (cache_dir() / f"{ex.race_key(defaults.race_config(), defaults.SEED)}.pt").exists()
    assert lines and "race" in lines[0]
    st.cache_resource.clear()  # forget the races in memory: only the files may answer now
    st.cache_data.clear()
    since = len(store.TRAINED)
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert _races_run(since) == []
    assert "Signal-to-noise ratio at σ = 0.1" in _captions(at)


def test_the_grid_uses_the_race_data_settings():
    at = open_page(VIEW)
    at.slider(key="opt_noise").set_value(0.5).run()
    at.session_state["opt_tab"] = "Model selection"
    at.run()
    assert not errors(at), errors(at)
    assert at.slider(key="opt_noise").value == 0.5 and at.metric[0].label == "Models in the grid"
