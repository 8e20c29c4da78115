"""The optimizer page: the main controls change what is shown; divergence is explained, not plotted."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "1_Optimizers.py")


def _captions(at):
    return " ".join(c.value for c in at.caption)


def _table(at, i=0):
    return at.dataframe[i].value


def test_noise_and_learning_rate_change_the_race():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "SNR" in _captions(at) or "Signal-to-noise" in _captions(at)
    before = _table(at).copy()
    snr_before = _captions(at)

    at.slider(key="opt_noise").set_value(0.5).run()
    assert not at.exception
    assert "Signal-to-noise ratio at σ = 0.5" in _captions(at) and _captions(at) != snr_before
    after = _table(at)
    assert not before["val MSE"].equals(after["val MSE"])

    at.select_slider(key="opt_lr_scale").set_value(100.0).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "diverged at epoch" in errors and "learning rate" in errors.lower()
    assert (_table(at)["status"] == "diverged").any()


def test_landscape_surface_and_bump_controls():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    gd_label = next(k for k in metrics if k.startswith("GD, lr = 2/(L+μ)"))
    assert metrics[gd_label] == "691"

    at.select_slider(key="opt_kappa").set_value(10).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[gd_label] != "691"

    at.selectbox(key="opt_surface").set_value("1-D bump").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    adam = next(v for k, v in metrics.items() if k.startswith("Adam (lr 0.3, 20 steps)"))
    gd = next(v for k, v in metrics.items() if k.startswith("GD (lr 0.3, 20 steps)"))
    assert float(adam) > float(gd)


def test_bad_student_number_is_a_readable_error():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    at.selectbox(key="opt_task").set_value("Personal regression (2-D)").run()
    assert not at.exception
    at.text_input(key="opt_number").set_value("r12").run()
    assert not at.exception
    assert any("at least 5 digits" in e.value for e in at.error)


def test_model_selection_grid_runs_on_the_button():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    at.multiselect(key="opt_grid_units").set_value([10])
    at.multiselect(key="opt_grid_layers").set_value([1, 2]).run()
    assert not at.exception
    assert not any("Chosen by validation" in s.value for s in at.success)
    at.button(key="opt_grid_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    chosen = next(s.value for s in at.success if "Chosen by validation" in s.value)
    assert "Test MSE of the chosen model" in chosen
