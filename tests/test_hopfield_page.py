"""The Hopfield page through AppTest: it renders, and its main controls change what it shows."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "2_Hopfield.py")


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at):
    return [m.value for m in at.markdown]


def _table(at, column):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_renders_the_three_sections(app):
    headers = " ".join(h.value for h in app.header)
    assert "Small networks" in headers and "Digits" in headers and "Capacity" in headers
    assert any("Stable corners" in t and "[-1, 1]" in t for t in _texts(app))  # newhop: four corners
    table = _table(app, "label")
    assert set(table["label"]) >= {"target", "inverse of a target"}
    assert abs(table["share"].sum() - 1) < 1e-9
    assert len(app.get("vega_lite_chart")) >= 3


def test_rule_changes_the_attractors(app):
    app.selectbox(key="hop_rule").set_value("hebbian").run()
    assert not app.exception
    table = _table(app, "label")
    # Hebb cannot hold [1, -1] next to [1, 1] and [-1, -1]: only two corners are stable now.
    assert any("Stable corners" in t and "(2 of 4)" in t for t in _texts(app))
    assert "inverse of a target" not in set(table["label"])
    assert any("[1, -1] is not a stable state" in w.value for w in app.warning)
    app.selectbox(key="hop_rule").set_value("newhop").run()


def test_symmetric_starts_are_unstable_equilibria_under_newhop(app):
    app.radio(key="hop_starts").set_value("high-symmetry inputs").run()
    table = _table(app, "label")
    assert list(table["label"]) == ["unstable equilibrium"] * 5
    app.radio(key="hop_starts").set_value("random inputs").run()


def test_bad_targets_get_a_clear_message(app):
    app.selectbox(key="hop_preset").set_value("my own targets").run()
    app.text_area(key="hop_targets").set_value("1 -1 1\n1 2 1").run()
    assert not app.exception
    assert any("+1 or -1" in e.value for e in app.error)
    app.text_area(key="hop_targets").set_value("1 -1 1\n-1 1 1").run()
    assert not app.error
    app.selectbox(key="hop_preset").set_value("2 neurons: [1,1], [-1,-1], [1,-1]").run()


def test_noise_and_rule_change_the_digit_recall(app):
    def retrieved():
        line = next(t for t in _texts(app) if "digits retrieved" in t)
        return int(line.split("**")[1].split()[0])

    assert retrieved() == 10  # pseudo-inverse, moderate noise
    app.slider(key="hop_flip").set_value(0.45).run()
    app.slider(key="hop_noise").set_value(1.5).run()
    assert not app.exception
    assert retrieved() < 10
    app.slider(key="hop_flip").set_value(0.1).run()
    app.slider(key="hop_noise").set_value(0.6).run()
    app.selectbox(key="hop_drule").set_value("hebbian").run()
    assert retrieved() < 5  # ten correlated digits are too much for Hebb
    app.selectbox(key="hop_drule").set_value("pseudoinverse").run()


def test_sweep_button_draws_the_accuracy_chart(app):
    before = len(app.get("vega_lite_chart"))
    app.button(key="hop_sweep_btn").click().run()
    assert not app.exception
    assert len(app.get("vega_lite_chart")) == before + 1


def test_fewer_digits_rescue_hebb(app):
    app.selectbox(key="hop_drule").set_value("hebbian").run()
    app.multiselect(key="hop_digits").set_value([0, 1]).run()
    assert not app.exception
    line = next(t for t in _texts(app) if "digits retrieved" in t)
    assert line.startswith("**2 of 2 digits retrieved**")
    app.multiselect(key="hop_digits").set_value(list(range(10))).run()
    app.selectbox(key="hop_drule").set_value("pseudoinverse").run()
