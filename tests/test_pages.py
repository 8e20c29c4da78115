"""Every page renders on its defaults without an exception (AppTest, fast mode)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_defaults(page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"
    # The shared sidebar is on every page.
    assert any(sb.label == "Device" for sb in at.sidebar.selectbox)
    assert any(t.label == "Projector mode" for t in at.sidebar.toggle)


def test_home_lists_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    headers = " ".join(h.value for h in at.subheader)
    for name in ("Optimizer", "Hopfield", "RBM", "Latent", "WikiArt", "Time series"):
        assert name in headers


def test_sidebar_state_round_trips_through_url():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["seed"] = "42"
    at.query_params["projector"] = "1"
    at.run()
    assert at.sidebar.number_input(key="seed").value == 42
    assert at.sidebar.toggle(key="projector").value is True
    at.sidebar.number_input(key="seed").set_value(7).run()
    assert at.query_params["seed"] == ["7"] or at.query_params["seed"] == "7"


def test_unavailable_device_in_link_falls_back_with_warning():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["device"] = "cuda:7"
    at.run()
    assert not at.exception
    assert any("cuda:7" in w.value and "CPU" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="device").value == "auto"


def test_bad_values_in_link_are_ignored():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["seed"] = "not-a-number"
    at.query_params["projector"] = "maybe"
    at.run()
    assert not at.exception
    assert at.sidebar.number_input(key="seed").value == 0
    assert at.sidebar.toggle(key="projector").value is False
