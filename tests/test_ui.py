"""The UI toolkit: legacy link decoding, the LRU, train(spec) with lasting curves, ui.call, on_demand."""

from streamlit.testing.v1 import AppTest

from annlab.ui.cached import LRU
from annlab.ui.widgets import _legacy


def test_legacy_values_from_old_links_are_decoded():
    assert _legacy(["1"], "toggle", False, {}) is True
    assert _legacy(["off"], "toggle", True, {}) is False
    assert _legacy(["true"], "toggle", False, {}) is None  # native format: left to Streamlit
    assert _legacy(["maybe"], "toggle", False, {}) is None
    assert _legacy(["Adam,SGD"], "multiselect", [], {"options": ["SGD", "Adam"]}) == ["Adam", "SGD"]
    assert _legacy(["1,7"], "multiselect", [0], {"options": list(range(10))}) == [1, 7]
    assert _legacy(["Adam,Nope"], "multiselect", [], {"options": ["SGD", "Adam"]}) is None
    assert _legacy(["3,9"], "slider", (0, 5), {"min_value": 0, "max_value": 27}) == (3, 9)
    assert _legacy(["3,99"], "slider", (0, 5), {"min_value": 0, "max_value": 27}) is None
    assert _legacy(["0.3"], "slider", 0.1, {}) is None  # a plain number is native already
    assert _legacy(["a", "b"], "multiselect", [], {"options": ["a", "b"]}) is None


def test_lru_keeps_the_most_recent():
    lru = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now the most recent
    lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
    assert len(lru) == 2


def _train_app():
    from dataclasses import dataclass

    import torch

    from annlab import ui
    from annlab.training import TrainResult, TrainSpec

    @dataclass(frozen=True)
    class UiTinyConfig:
        n_in: int = 2
        num_epochs: int = 3

    def build(cfg):
        return torch.nn.Linear(cfg.n_in, 1)

    def train_fn(cfg, data, *, device="cpu", seed=0, callback=None):
        history = []
        for epoch in range(1, cfg.num_epochs + 1):
            row = {"epoch": epoch, "loss": 1.0 / epoch, "val_loss": 1.2 / epoch}
            history.append(row)
            if callback:
                callback(epoch, row)
        return TrainResult(build(cfg), history, cfg)

    spec = TrainSpec(UiTinyConfig(), train_fn, build, lambda: None, data_key="none", label="the tiny net")
    result = ui.train(spec)
    ui.call(lambda r: r.key, result)


def test_train_keeps_its_learning_curves_on_every_rerun(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    at = AppTest.from_function(_train_app, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [e.label for e in at.expander]
    assert any("Learning curves: the tiny net (3 epochs" in x for x in labels), labels
    assert list(tmp_path.glob("UiTinyConfig-*.pt")), "trained through the model store"
    at.run()  # a rerun: the model comes from memory, the panel is still there
    assert any("Learning curves: the tiny net" in e.label for e in at.expander)
    fresh = AppTest.from_function(_train_app, default_timeout=60)  # a new session, same server memory
    fresh.run()
    assert any("Learning curves" in e.label for e in fresh.expander)


def _on_demand_app():
    import streamlit as st

    from annlab import ui

    n = st.number_input("n", value=2, key="n")
    out = ui.on_demand("Square it", lambda x: x * x, int(n), key="sq")
    st.write(f"result={out}")


def test_on_demand_runs_on_the_button_keeps_and_marks_stale():
    at = AppTest.from_function(_on_demand_app, default_timeout=30)
    at.run()
    assert "result=None" in [m.value for m in at.markdown]
    at.button(key="sq_button").click().run()
    assert "result=4" in [m.value for m in at.markdown]
    at.run()  # kept for the session
    assert "result=4" in [m.value for m in at.markdown] and not at.warning
    at.number_input(key="n").set_value(3).run()
    assert "result=4" in [m.value for m in at.markdown]  # the old result stays on screen ...
    assert any("earlier settings" in w.value for w in at.warning)  # ... marked as stale
    at.button(key="sq_button").click().run()
    assert "result=9" in [m.value for m in at.markdown] and not at.warning


def test_legacy_raw_options_of_formatted_widgets_are_decoded():
    fmt = {"hebbian": "Hebbian", "newhop": "newhop (MATLAB)"}.get
    kw = {"options": ["hebbian", "newhop"], "format_func": fmt}
    assert _legacy(["hebbian"], "selectbox", "newhop", kw) == "hebbian"
    assert _legacy(["Hebbian"], "selectbox", "newhop", kw) is None  # the native form
    assert _legacy(["nope"], "radio", "newhop", kw) is None
    assert _legacy(["hebbian,newhop"], "multiselect", [], kw) == ["hebbian", "newhop"]
    assert _legacy(["hebbian"], "multiselect", [], kw) == ["hebbian"]
    assert _legacy(["Hebbian"], "multiselect", [], kw) is None


def test_control_validates_its_default():
    import pytest

    from annlab.controls import Control

    Control("select_slider", "Units", "opt_units", 50, {"options": [5, 10, 50]})
    with pytest.raises(ValueError, match="not among the options"):
        Control("selectbox", "Rule", "hop_rule", "nope", {"options": ["hebbian"]})
    with pytest.raises(ValueError, match="outside"):
        Control("slider", "Noise", "hop_noise", 3.0, {"min_value": 0.0, "max_value": 2.0})
    with pytest.raises(ValueError, match="Unknown widget"):
        Control("knob", "Noise", "hop_noise", 0.1)
    Control("multiselect", "Digits", "hop_digits", [1, 7], {"options": list(range(10))})
    Control("slider", "Rows", "rbm_rows28", (10, 15), {"min_value": 0, "max_value": 27})


def test_charts_draw_on_a_canvas_and_skip_the_schema_check_only_outside_the_tests(monkeypatch):
    """Every house chart asks Vega for its canvas renderer (a slider move repaints one canvas instead of
    updating thousands of SVG nodes); a page builds specs without the schema check, the tests with it,
    and both give the same spec."""
    import altair as alt
    import pandas as pd

    from annlab.charts import CANVAS, style
    from annlab.ui import display

    def build(n):
        return alt.Chart(pd.DataFrame({"x": range(n), "y": range(n)})).mark_line().encode(x="x:Q", y="y:Q")

    assert style(build(3)).to_dict()["usermeta"] == CANVAS
    display._BUILDERS["test.build"] = build
    checked = display._spec("test.build", False, (5,), {})
    monkeypatch.setenv("ANNLAB_CHECK_CHARTS", "0")
    assert display._spec("test.build", False, (5,), {}) == checked
    bad = alt.Chart(pd.DataFrame({"x": [1]})).mark_line().encode(x=alt.X("x:Q", bin="nonsense"))
    display._BUILDERS["test.bad"] = lambda: bad
    display._spec("test.bad", False, (), {})  # unchecked: no error
    monkeypatch.setenv("ANNLAB_CHECK_CHARTS", "1")
    try:
        display._spec("test.bad", False, (), {})
    except Exception as err:  # altair's SchemaValidationError
        assert "bin" in str(err)
    else:
        raise AssertionError("the schema check did not run")


def test_neighbours_are_the_next_presses_nearest_first():
    from annlab.controls import neighbours

    assert neighbours([0.0, 0.05, 0.1, 0.15, 0.2], 0.1) == [0.15, 0.05, 0.2, 0.0]
    assert neighbours([0.0, 0.05, 0.1], 0.0, k=2) == [0.05, 0.1]
    assert neighbours([1, 2, 3], 2.9, k=1) == [2]
    assert neighbours([], 1) == []


def test_work_prepared_ahead_fills_the_caches_the_page_reads_and_a_newer_request_drops_the_older():
    """``ui.ahead`` runs jobs in the background; ``remember`` fills what ``call(..., progress=)`` reads
    (without drawing); ``chart_spec`` what ``ui.chart`` draws; a later request of the same section drops
    the jobs of the earlier one that had not started."""
    import threading

    import altair as alt
    import pandas as pd

    from annlab.ui import cached, display
    from annlab.ui.background import ahead

    runs = []

    def slow(x, callback=None):
        runs.append(x)
        return {"x": x}

    gate = threading.Event()
    first = ahead("test_section", [gate.wait, lambda: cached.remember(slow, 1)])
    second = ahead("test_section", [lambda: cached.remember(slow, 2)])
    gate.set()
    assert first.wait(10) and second.wait(10)
    assert runs == [2]  # the first request's job was dropped unstarted
    assert cached.call(slow, 2, progress="never shown") == {"x": 2} and runs == [2]  # from memory

    built = []

    def line(n):
        built.append(n)
        return alt.Chart(pd.DataFrame({"x": range(n)})).mark_line().encode(x="x:Q", y="x:Q")

    assert ahead("test_charts", [lambda: display.chart_spec(line, 4, projector=False)]).wait(30)
    spec = display.chart_spec(line, 4, projector=False)  # what ui.chart would draw: built once, ahead
    assert built == [4] and spec["usermeta"]["embedOptions"]["renderer"] == "canvas"


def test_a_chart_cached_on_a_small_key_hashes_the_key_not_its_arguments():
    """``cache_key`` stands for the arguments it determines (the config and seed of a race): the same
    key gives the spec built first, whatever arrays come with it; a new key builds again."""
    import altair as alt
    import numpy as np
    import pandas as pd

    from annlab.ui import display

    built = []

    def line(values):
        built.append(len(values))
        return alt.Chart(pd.DataFrame({"x": values})).mark_line().encode(x="x:Q", y="x:Q")

    first = display.chart_spec(line, np.arange(3), projector=False, cache_key=("race", 0))
    again = display.chart_spec(line, np.arange(5), projector=False, cache_key=("race", 0))
    other = display.chart_spec(line, np.arange(5), projector=False, cache_key=("race", 1))
    assert built == [3, 5] and first == again and other != first


def test_a_static_table_reads_back_as_the_frame_it_shows():
    """``ui.table`` draws one HTML table (escaped cells, optional row labels); ``read_table`` gives the
    frame back (the page tests and the lesson checks read tables through it)."""
    import pandas as pd

    from annlab.ui.display import read_table

    script = """
import pandas as pd
from annlab import ui
frame = pd.DataFrame({"optimizer": ["Adam", "<b>GD</b>"], "val MSE": ["0.01", "0.02"]})
ui.table(frame)
ui.table(frame.set_index("optimizer"), index=True)
"""
    at = AppTest.from_string(script)
    at.run()
    plain, labelled = (h.proto.body for h in at.html)
    assert "<b>GD</b>" not in plain and "&lt;b&gt;GD&lt;/b&gt;" in plain  # escaped, not markup
    frame = pd.DataFrame({"optimizer": ["Adam", "<b>GD</b>"], "val MSE": ["0.01", "0.02"]})
    assert read_table(plain).equals(frame)
    back = read_table(labelled)
    assert list(back.index) == ["Adam", "<b>GD</b>"] and list(back.columns) == ["val MSE"]
    assert read_table("<p>not a table</p>") is None


def test_named_data_moves_a_mark_without_changing_the_spec_and_a_snapshot_shows_it():
    """``ui.chart(..., data_values=...)``: the spec the browser compares stays the same (only the named
    dataset's rows change, so the drawn view is kept); the snapshot's Altair chart carries the rows."""
    import altair as alt
    import pandas as pd

    from annlab.ui.display import as_drawn, with_data

    def marked():
        base = alt.Chart(pd.DataFrame({"x": [0, 1]})).mark_line().encode(x="x:Q", y="x:Q")
        dot = alt.Chart(alt.NamedData(name="dot")).mark_point().encode(x="x:Q", y="x:Q")
        return alt.layer(base, dot)

    spec = marked().to_dict()
    moved = with_data(spec, {"dot": pd.DataFrame({"x": [0.5]})})

    def rest(s):
        return {k: v for k, v in s.items() if k != "datasets"}

    assert rest(moved) == rest(spec)
    assert list(moved["datasets"]["dot"]["x"]) == [0.5] and set(spec["datasets"]) < set(moved["datasets"])
    drawn = as_drawn(marked(), None, {"dot": pd.DataFrame({"x": [0.5]})}).to_dict()
    assert drawn["datasets"]["dot"] == [{"x": 0.5}]


def test_a_chart_of_other_numbers_has_the_same_spec_so_the_browser_keeps_its_view():
    """Datasets are named by position, not by a hash of their rows: the race at another noise (other
    rows, same chart) gives the browser the same spec, so it replaces the rows in the view it has."""
    import altair as alt
    import pandas as pd

    from annlab.ui import display

    def curve(ys):
        line = alt.Chart(pd.DataFrame({"x": range(len(ys)), "y": ys})).mark_line().encode(x="x:Q", y="y:Q")
        floor = alt.Chart(pd.DataFrame({"y": [min(ys)]})).mark_rule().encode(y="y:Q")
        return alt.layer(line, floor)

    display._BUILDERS["test.curve"] = curve
    a, b = (display._spec("test.curve", False, (ys,), {}) for ys in ([3, 2, 1], [5, 4, 2, 1]))
    assert set(a["datasets"]) == {"data0", "data1"}
    assert {k: v for k, v in a.items() if k != "datasets"} == {k: v for k, v in b.items() if k != "datasets"}
    assert a["datasets"]["data0"] != b["datasets"]["data0"]  # the rows differ, the names do not
    refs = [layer["data"]["name"] for layer in a["layer"]]
    assert sorted(refs) == ["data0", "data1"]  # every reference renamed with its dataset
    lookup = {"transform": [{"from": {"data": {"name": "h1"}, "key": "k"}}], "datasets": {"h1": 0}}
    assert display.stable_names(lookup)["transform"][0]["from"]["data"] == {"name": "data0"}
