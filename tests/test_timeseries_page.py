"""The time-series page in AppTest (fast mode): renders, and moving the lag changes the forecasts."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "6_Time_series.py")


def _scores(at):
    return [m.value for m in at.metric]


def test_lag_slider_changes_the_forecast_and_grid_runs():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Time series: the Santa Fe laser"
    before = _scores(at)
    assert any("training mean" in m.label for m in at.metric)
    at.slider(key="ts_lag").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]
    after = _scores(at)
    assert after != before  # new lag, new models, new scores
    # the grid is button-driven and kept in session_state
    at.button(key="ts_grid_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "ts_grid_result" in at.session_state
    assert any("The grid took" in c.value for c in at.caption)


def test_folds_that_do_not_fit_are_explained():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    at.slider(key="ts_folds").set_value(8).run()
    at.slider(key="ts_val_size").set_value(300).run()
    assert not at.exception
    assert any("do not fit" in e.value for e in at.error)
