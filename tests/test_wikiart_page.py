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


def _course_folder(root, n_train=8, n_test=3):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        for k, style in enumerate(("Baroque", "Cubism", "Fauvism")):
            d = root / split / style
            d.mkdir(parents=True)
            for i in range(n + (k == 0) * 4):
                base = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200]][k], np.uint8)
                img = np.clip(base + rng.normal(0, 30, (30, 40, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(d / f"{i}.png")
    (root / "train" / "Cubism" / "broken.jpg").write_bytes(b"")


def test_wikiart_page_reads_a_configured_folder(tmp_path, monkeypatch):
    _course_folder(tmp_path)
    monkeypatch.setenv("ANNLAB_WIKIART_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("synthetic" in i.value for i in at.info)
    assert any("course layout" in c.value for c in at.caption)
    assert any("1 file(s) could not be read" in w.value for w in at.warning)
    assert at.selectbox(key="art_side").options == ["32", "64", "128"]
    assert _metric(at, "Training / test pictures") == "28 / 13"


def test_wikiart_page_explains_an_unusable_folder(tmp_path, monkeypatch):
    (tmp_path / "OnlyStyle").mkdir()
    monkeypatch.setenv("ANNLAB_WIKIART_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("no pictures" in w.value and "built-in" in w.value for w in at.warning)
