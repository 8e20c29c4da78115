"""The Hopfield page through the app's navigation: lazy tabs, the digits under noise, small networks,
the drawing, the capacity cliff."""

import numpy as np
import pytest
import streamlit as st
from pagetest import errors, open_page

from annlab import settings, store
from annlab.hopfield import defaults
from annlab.hopfield import digits as hd

VIEW = "views/hopfield.py"


def _open(query=None):
    at = open_page(VIEW, query)
    assert not errors(at), errors(at)
    return at


def _texts(at):
    return [m.value for m in at.markdown]


def _retrieved(at) -> int:
    line = next(t for t in _texts(at) if "digits retrieved" in t)
    return int(line.split("**")[1].split()[0])


def _on_defaults(at, controls):
    """Each control is on screen with its label and starts from its default (a plain link)."""
    for c in controls:
        widget = getattr(at, c.widget)(key=c.key)
        assert widget.label == c.label, c.key
        assert widget.value == (pytest.approx(c.default) if isinstance(c.default, float) else c.default), (
            c.key
        )


def _table(at, column):
    return next(df.value for df in at.dataframe if column in df.value.columns)


@pytest.fixture(scope="module")
def digits_tab():
    return _open()


@pytest.fixture(scope="module")
def small_tab():
    return _open({"hop_tab": "Small networks"})


def test_opens_on_the_digits_and_computes_no_other_tab(digits_tab):
    at = digits_tab
    assert _retrieved(at) == 10  # pseudo-inverse, moderate noise
    assert at.slider(key="hop_noise").value == pytest.approx(defaults.NOISE.default)
    d = defaults
    _on_defaults(at, (d.SOURCE, d.SIDE, d.DIGITS, d.DIGIT_RULE, d.DIGIT_DYN, d.DIGIT_ITER, d.NOISE, d.FLIP))
    assert len(at.get("image")) == 1  # stored / noisy / settled grid
    keys = {w.key for w in (*at.slider, *at.selectbox, *at.radio)}
    assert {"hop_noise", "hop_flip", "hop_drule", "hop_src"} <= keys
    assert not keys & {"hop_rule", "hop_iter", "hop_capn", "hop_trials", "hop_metric"}  # other tabs idle
    assert not any("Stable corners" in t or "first drops below" in t for t in _texts(at))


def test_noise_and_rule_change_the_digit_recall(digits_tab):
    at = digits_tab
    at.slider(key="hop_flip").set_value(0.45).run()
    at.slider(key="hop_noise").set_value(1.5).run()
    assert not errors(at)
    assert _retrieved(at) < 10
    at.slider(key="hop_flip").set_value(defaults.FLIP.default).run()
    at.slider(key="hop_noise").set_value(defaults.NOISE.default).run()
    at.selectbox(key="hop_drule").set_value("hebbian").run()
    assert _retrieved(at) < 5  # ten correlated digits are too much for Hebb
    assert any("blended (spurious) states" in i.value for i in at.info)
    at.multiselect(key="hop_digits").set_value([0, 1]).run()
    assert next(t for t in _texts(at) if "digits retrieved" in t).startswith("**2 of 2 digits retrieved**")
    at.multiselect(key="hop_digits").set_value(list(range(10))).run()
    at.selectbox(key="hop_drule").set_value("pseudoinverse").run()
    assert _retrieved(at) == 10


def test_sweep_runs_on_the_button_only(digits_tab):
    at = digits_tab
    assert len(at.get("vega_lite_chart")) == 0
    at.button(key="hop_sweep_button").click().run()
    assert not errors(at)
    assert len(at.get("vega_lite_chart")) == 2  # accuracy (with the Hamming baseline), iterations
    assert any("noisy copies of each digit per level" in c.value for c in at.caption)
    assert any("at least 95%" in c.value and "Hamming" in c.value for c in at.caption)


def test_small_networks_show_the_newhop_corners(small_tab):
    at = small_tab
    d = defaults
    _on_defaults(at, (d.PRESET, d.OWN_TARGETS, d.RULE, d.DYN, d.ITER, d.START_KIND, d.N_RANDOM, d.POINT))
    assert at.text_area(key="hop_targets").disabled and at.text_input(key="hop_point").disabled
    assert any("Stable corners" in t and "(4 of 4)" in t for t in _texts(at))
    table = _table(at, "label")
    assert set(table["label"]) >= {"target", "inverse of a target"}
    assert table["share"].sum() == pytest.approx(1.0)
    assert len(at.get("vega_lite_chart")) == 2  # state space and energy


def test_rule_changes_the_attractors(small_tab):
    at = small_tab
    at.selectbox(key="hop_rule").set_value("hebbian").run()
    assert not errors(at)
    # Hebb cannot hold [1, -1] next to [1, 1] and [-1, -1]: only two corners are stable now.
    assert any("Stable corners" in t and "(2 of 4)" in t for t in _texts(at))
    assert "inverse of a target" not in set(_table(at, "label")["label"])
    assert any("[1, -1] is not a stable state" in w.value for w in at.warning)
    at.selectbox(key="hop_rule").set_value("newhop").run()


def test_symmetric_starts_are_unstable_equilibria_under_newhop(small_tab):
    at = small_tab
    at.radio(key="hop_starts").set_value("high-symmetry inputs").run()
    assert list(_table(at, "label")["label"]) == ["unstable equilibrium"] * 5
    at.radio(key="hop_starts").set_value("random inputs").run()


def test_bad_targets_get_a_clear_message(small_tab):
    at = small_tab
    at.selectbox(key="hop_preset").set_value("my own targets").run()
    at.text_area(key="hop_targets").set_value("1 -1 1\n1 2 1").run()
    assert not errors(at)
    assert any("+1 or -1" in e.value for e in at.error)
    at.text_area(key="hop_targets").set_value("1 -1 1\n-1 1 1").run()
    assert not at.error
    assert at.slider(key="hop_az").value == defaults.AZIMUTH  # three neurons: the cube can turn
    before = at.get("vega_lite_chart")[0].proto.spec
    at.slider(key="hop_az").set_value(90).run()
    assert at.get("vega_lite_chart")[0].proto.spec != before
    at.selectbox(key="hop_preset").set_value(defaults.PRESET.default).run()


def test_draw_tab_retrieves_a_digit_drawn_earlier():
    at = open_page(VIEW, {"hop_tab": "Draw a digit"})
    assert not errors(at), errors(at)
    assert any("canvas is empty" in i.value for i in at.info)
    seven = (hd.prototypes("mnist", 28)[7].reshape(28, 28) > 0).astype(np.float32)
    at.session_state["_last_drawing"] = (seven, "RBM inpainting")
    at.run()
    assert not errors(at), errors(at)
    assert any("It settled into the stored **7**" in t for t in _texts(at))
    step = at.slider(key="hop_step")
    step.set_value(0).run()
    assert not errors(at)
    assert any("iteration 0" in c for i in at.get("image") for c in i.captions)


def test_capacity_tab_shows_the_cliff():
    at = open_page(VIEW, {"hop_tab": "Capacity"})
    assert not errors(at), errors(at)
    assert at.slider(key="hop_trials").value == defaults.capacity().trials
    _on_defaults(at, (defaults.CAP_N, defaults.trials_control(), defaults.METRIC))
    summary = next(t for t in _texts(at) if "first drops below one half" in t)
    assert "Hebbian at P/N = " in summary and "0.138 N = 13.8" in summary
    assert len(at.get("vega_lite_chart")) == 1


def test_warm_trains_nothing_and_no_tab_trains(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    lines = []
    defaults.warm("cpu", None, lines.append)
    assert lines and "nothing to train" in lines[0]
    st.cache_resource.clear()
    st.cache_data.clear()
    before = len(store.TRAINED)
    for tab in ("Digits under noise", "Small networks", "Draw a digit", "Capacity"):
        assert not errors(open_page(VIEW, {"hop_tab": tab}))
    assert store.TRAINED[before:] == []
    assert not list(settings.cache_dir().iterdir())


def test_noise_10_fails_and_the_stepper_picks_kept_iterations(digits_tab):
    at = digits_tab
    at.slider(key="hop_noise").set_value(10.0).run()
    assert not errors(at)
    assert _retrieved(at) < 10  # Gaussian noise 10 swamps the pseudo-inverse too
    headline = next(t for t in _texts(at) if "digits retrieved" in t)
    assert "at least 95%" in headline and "nearest stored digit" in headline
    last = str(at.get("image")[0].proto)
    at.slider(key="hop_dstep").set_value(0).run()
    first = str(at.get("image")[0].proto)
    assert "after iteration 0" in first and first != last  # the binarised input, not the settled state
    at.slider(key="hop_noise").set_value(defaults.NOISE.default).run()
    at.slider(key="hop_dstep").set_value(at.slider(key="hop_dstep").max).run()
    assert _retrieved(at) == 10


def test_lowering_the_iterations_clamps_the_stepper():
    """Issue 34's traceback: Iterations 20, stepper at 20, Iterations 1 -> 'The value 20 is greater than
    the max_value 1'. The stepper follows its range instead."""
    at = _open()
    at.slider(key="hop_noise").set_value(10.0).run()  # probes that need several iterations to settle
    assert not errors(at), errors(at)
    step = at.slider(key="hop_dstep")
    assert 1 < step.max <= defaults.DIGIT_ITER.default and step.value == step.max
    at.slider(key="hop_diter").set_value(1).run()
    assert not errors(at), errors(at)
    one = at.slider(key="hop_dstep")
    assert one.max == 1 and one.value == 1
    at.slider(key="hop_diter").set_value(30).run()
    assert not errors(at), errors(at)
    assert at.slider(key="hop_dstep").max == step.max  # the probes settle before 30 too


def test_the_stepper_ends_where_the_network_stopped():
    """No dead positions: past the iteration where every probe settled, a stepper would show the same."""
    at = _open()
    step = at.slider(key="hop_dstep")
    assert 1 <= step.max < defaults.DIGIT_ITER.default  # at the default noise the digits settle early
    shown = str(at.get("image")[0].proto)
    step.set_value(step.max - 1).run()
    assert str(at.get("image")[0].proto) != shown


def test_asynchronous_random_capacity_offers_only_the_trials_it_runs():
    at = open_page(VIEW, {"hop_tab": "Capacity", "hop_trials": "60", "hop_capn": "40"})  # N = 40: quick
    assert not errors(at), errors(at)
    assert at.slider(key="hop_trials").value == 60 and at.slider(key="hop_trials").max == 100
    at.radio(key="hop_cap_dyn").set_value("asynchronous").run()
    assert not errors(at), errors(at)
    trials = at.slider(key="hop_trials")
    assert trials.max == 10 and trials.value == 10 and "at most 10" in trials.help
    summary = next(t for t in _texts(at) if "first drops below one half" in t)
    assert "10 seeded trials per point" in summary
