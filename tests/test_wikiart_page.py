"""The WikiArt page in AppTest (fast mode): renders, a remedy changes the result, the run table fills."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "5_WikiArt.py")


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_wikiart_page_remedy_changes_result_and_run_table():
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "WikiArt styles"
    assert any("synthetic" in i.value for i in at.info)  # no WikiArt configured in tests: said on screen
    before = _metric(at, "Balanced accuracy")
    assert _metric(at, "Largest-style baseline").endswith("%")

    at.toggle(key="art_oversample").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Balanced accuracy") != before
    assert at.query_params["art_oversample"] in ("1", ["1"])

    at.button(key="art_run_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[-1].value
    assert list(table["remedy"])[:2] == ["none", "augment"]
    assert table["balanced accuracy"].between(0, 1).all()
