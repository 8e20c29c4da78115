"""The optimizer page: the main controls change what is shown; divergence is explained, not plotted;
only the open tab works; after the warm-up a plain link races nothing."""

import streamlit as st
from pagetest import errors, open_page, tables

from annlab import store
from annlab.optim import defaults
from annlab.optim import experiments as ex
from annlab.optim import race as rc
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
    before = tables(at)[0].copy()

    at.slider(key="opt_noise").set_value(0.5).run()
    assert not errors(at), errors(at)
    assert "Signal-to-noise ratio at σ = 0.5" in _captions(at)
    assert not before["val MSE"].equals(tables(at)[0]["val MSE"])

    at.select_slider(key="opt_lr_scale").set_value(100.0).run()
    assert not errors(at), errors(at)
    text = " ".join(e.value for e in at.error)
    assert "diverged at epoch" in text and "learning rate" in text.lower()
    assert (tables(at)[0]["status"] == "diverged").any()


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
    assert any(line.startswith("race: 41 noise positions") for line in lines), lines
    st.cache_resource.clear()  # forget the races in memory: only the files may answer now
    st.cache_data.clear()
    since = len(store.TRAINED)
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert _races_run(since) == []
    assert "Signal-to-noise ratio at σ = 0.1" in _captions(at)
    for noise in (1.35, 2.0, 0.0, 0.1):  # every position of the noise slider was raced by the warm-up
        at.slider(key="opt_noise").set_value(noise).run()
        assert not errors(at), errors(at)
        assert f"Signal-to-noise ratio at σ = {noise:g}" in _captions(at)
    at.session_state["opt_tab"] = "Regularisation"
    at.run()
    assert not errors(at), errors(at)
    assert _races_run(since) == [], "the regularisation race on defaults is warmed too"


def test_the_grid_uses_the_race_data_settings():
    at = open_page(VIEW)
    at.slider(key="opt_noise").set_value(0.5).run()
    at.session_state["opt_tab"] = "Model selection"
    at.run()
    assert not errors(at), errors(at)
    assert at.slider(key="opt_noise").value == 0.5 and at.metric[0].label == "Models in the grid"


def test_a_noise_position_not_ready_keeps_the_old_figure_with_progress(monkeypatch):
    at = open_page(VIEW, query={"seed": "5151"})
    assert not errors(at), errors(at)
    charts = len(at.get("vega_lite_chart"))
    assert charts >= 2

    def still_computing(*args, **kwargs):  # what the page shows while the race runs, frozen
        raise RuntimeError("still computing")

    monkeypatch.setattr(rc, "race", still_computing)
    at.slider(key="opt_noise").set_value(0.55).run()
    assert any("still computing" in e for e in errors(at))
    assert any("Stale" in c.value and "σ = 0.1" in c.value for c in at.caption), "the old figure is marked"
    assert len(at.get("vega_lite_chart")) >= 2, "the old loss curves stay on screen"
    assert at.get("progress"), "a progress bar says the new position is computing"


def test_report_race_link_and_second_run_of_one_optimizer():
    at = open_page(VIEW, query=defaults.REPORT_RACE)
    assert not errors(at), errors(at)
    frame = tables(at)[0]
    assert list(frame["optimizer"]) == [
        "GD (full batch)",
        "Nesterov",
        "Adam",
        "L-BFGS",
        "GD (full batch), lr 0.1",
    ]
    assert list(frame["lr"]) == ["0.05", "0.1", "0.001", "1", "0.1"]  # as the static table writes them
    assert not any("test" in c for c in frame.columns)
    assert any("Final choice by validation" in i.value and "test MSE" in i.value for i in at.info)


def test_sweeps_regularisation_bump_and_test_surfaces():
    at = open_page(VIEW, query={"opt_tab": "Sweeps", "opt_repeats": "1", "opt_sweep_sigmas": "0.1,2.0"})
    assert not errors(at), errors(at)
    at.button(key="opt_sw_noise_button").click().run()
    assert not errors(at), errors(at)
    frame = next(d for d in tables(at) if "σ² (floor)" in d.columns)
    assert sorted(set(frame["σ"])) == ["0.1", "2"] and "test MSE" in frame.columns

    at = open_page(VIEW, query={"opt_tab": "Regularisation"})
    assert not errors(at), errors(at)
    names = list(tables(at)[0]["optimizer"])
    assert names[0] == "no regularisation" and any(n.startswith("L2") for n in names)
    assert any(n.startswith("dropout") for n in names) and any(n.startswith("early") for n in names)

    at = open_page(VIEW, query={"opt_tab": "Landscape", "opt_surface": "1-D bump"})
    assert not errors(at), errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["GD: x₁ … x₆"] == "0.3, 0.6, 0.9, 1.2, 0.9, 1.2"
    assert metrics["Adam's highest point (endless slope)"] == "1.41"

    at = open_page(VIEW, query={"opt_tab": "Model selection", "opt_grid_units": "10", "opt_grid_layers": "1"})
    at.button(key="opt_grid_button").click().run()
    assert not errors(at), errors(at)
    assert any("test points" in str(c.proto) for c in at.get("vega_lite_chart"))


def test_the_next_noise_positions_are_prepared_while_the_class_looks(monkeypatch):
    """After a move, the stored races of the neighbouring noise positions are loaded and their charts
    built in the background, so the next press builds nothing: here a chart builder that fails when
    called is swapped in after the preparation, and the press still draws without error."""
    from annlab.optim import charts as oc
    from annlab.ui.background import wait_idle

    race = defaults.race_config(noise=0.15)
    ex.race(race, 0)  # stored, as after the warm-up
    at = open_page(VIEW)  # at σ = 0.1: prepares 0.15 (stored) and skips the others (not stored)
    assert not errors(at), errors(at)
    wait_idle()
    since = len(store.TRAINED)
    real = oc.loss_curves

    def loss_curves(*args, **kwargs):
        raise AssertionError("built again, not prepared ahead")

    loss_curves.__module__, loss_curves.__qualname__ = real.__module__, real.__qualname__
    monkeypatch.setattr(oc, "loss_curves", loss_curves)
    at.slider(key="opt_noise").set_value(0.15).run()
    assert not errors(at), errors(at)
    assert "Signal-to-noise ratio at σ = 0.15" in _captions(at) and not _races_run(since)


def test_the_fit_against_the_truth_is_built_only_while_its_section_is_open():
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    closed = len(at.get("vega_lite_chart"))
    assert closed == 2, "the two loss charts, nothing below the first screen"
    at = open_page(VIEW, query={"opt_fit": "true"})  # a shared link (or a lesson) opens it
    assert not errors(at), errors(at)
    charts = at.get("vega_lite_chart")
    assert len(charts) == closed + 2 and any("Residuals" in str(c.proto) for c in charts)


def test_dead_controls_are_off_with_the_reason():
    """β with no momentum method (off the quadratic), the batch size with no mini-batch run."""
    at = open_page(VIEW, query={"opt_tab": "Landscape", "opt_surface": "Rosenbrock"})
    assert not errors(at), errors(at)
    assert not at.slider(key="opt_beta").disabled  # Momentum is in the default landscape race
    at.multiselect(key="opt_land_opts").set_value(["GD (full batch)", "Adam"]).run()
    assert not errors(at), errors(at)
    beta = at.slider(key="opt_beta")
    assert beta.disabled and "Off here" in beta.help and "Momentum and Nesterov" in beta.help
    at.multiselect(key="opt_land_opts").set_value(["Nesterov", "Adam"]).run()
    assert not at.slider(key="opt_beta").disabled

    at = open_page(VIEW, query={"opt_optimizers": "GD (full batch),L-BFGS"})
    assert not errors(at), errors(at)
    batch, switch = at.select_slider(key="opt_batch"), at.toggle(key="opt_mb_all")
    assert batch.disabled and "No run uses mini-batches" in batch.help
    assert switch.disabled and "can switch" in switch.help
    at.multiselect(key="opt_optimizers").set_value(["GD (full batch)", "Adam"]).run()
    assert not at.toggle(key="opt_mb_all").disabled and at.select_slider(key="opt_batch").disabled
    at.toggle(key="opt_mb_all").set_value(True).run()
    assert not errors(at), errors(at)
    assert not at.select_slider(key="opt_batch").disabled
