"""Every page renders on its defaults, through the app's navigation, and its main control changes it."""

import pytest
from pagetest import errors, fingerprint, open_page

from annlab.topics import SECTIONS, TOPICS

IDS = [t.url_path for t in TOPICS]


@pytest.mark.parametrize("topic", TOPICS, ids=IDS)
def test_page_renders_on_defaults(topic):
    at = open_page(topic.view)
    assert not errors(at), errors(at)
    assert at.title and at.title[0].value, "every page has a title"
    assert any(sb.label == "Device" for sb in at.sidebar.selectbox)
    assert any(t.label == "Projector mode" for t in at.sidebar.toggle)


def _other_value(widget):
    if hasattr(widget, "options") and widget.type == "select_slider":
        options = list(widget.options)
        current = str(widget.value)
        return next(o for o in options if o != current)
    low, high = widget.min, widget.max
    return high if widget.value != high else low


@pytest.mark.parametrize("topic", TOPICS, ids=IDS)
def test_main_control_changes_the_page(topic):
    at = open_page(topic.view)
    assert not errors(at), errors(at)
    found = [w for w in (*at.slider, *at.select_slider) if w.key == topic.main_control]
    assert found, f"{topic.title}: no slider with key {topic.main_control!r} on the default screen"
    widget = found[0]
    before = fingerprint(at)
    widget.set_value(_other_value(widget)).run()
    assert not errors(at), errors(at)
    assert fingerprint(at) != before, f"moving {topic.main_control} changed nothing on {topic.title}"


def test_home_lists_every_page_by_section():
    at = open_page()
    assert not errors(at), errors(at)
    headers = [h.value for h in at.subheader]
    sections = [s for s in SECTIONS if any(t.section == s for t in TOPICS)]
    assert headers[: len(sections)] == sections  # then the lessons and the class poll
    assert headers[len(sections) :] == ["Lessons", "Join a class poll"]
    links = " ".join(str(node.proto) for node in at.main)
    for topic in TOPICS:
        assert topic.title in links


def test_topics_are_consistent():
    paths = [t.url_path for t in TOPICS]
    assert len(set(paths)) == len(paths)
    from annlab.settings import REPO_ROOT

    for topic in TOPICS:
        assert (REPO_ROOT / topic.view).exists(), topic.view
        assert callable(topic.warm_fn()), topic.warm


def test_unavailable_device_in_link_falls_back_with_warning():
    at = open_page(query={"device": "cuda:7"})
    assert not errors(at)
    assert any("cuda:7" in w.value and "CPU" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="device").value == "auto"


def test_bad_values_in_link_are_ignored():
    at = open_page(query={"seed": "not-a-number", "projector": "maybe"})
    assert not errors(at)
    assert at.sidebar.number_input(key="seed").value == 0
    assert at.sidebar.toggle(key="projector").value is False
