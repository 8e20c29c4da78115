"""The Convolutions page through AppTest: defaults, the kernel window, words for bad input, every tab."""

import pytest
from pagetest import errors, fingerprint, open_page

VIEW = "views/cnn.py"


def texts(at) -> str:
    return "\n".join(str(n.value) for kind in (at.markdown, at.caption, at.latex) for n in kind)


def test_defaults_show_the_course_example():
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert "Whole output: [[3, 4], [6, 11]]" in texts(at)
    assert "2×1 + 5×0 + 3×0 + 1×1 = 3" in texts(at)
    assert any(r"\frac{2}{2}" in x.value for x in at.latex)
    pos = at.slider(key="cnn_pos")
    assert (pos.min, pos.max, pos.value) == (1, 4, 1)
    before = fingerprint(at)
    pos.set_value(4).run()
    assert not errors(at)
    assert "7×1 + 1×0 + 3×0 + 4×1 = 11" in texts(at)
    assert fingerprint(at) != before


def test_stride_and_bad_input_get_words():
    at = open_page(VIEW, {"cnn_s": "3"})
    assert not errors(at), errors(at)
    assert any("never visited" in w.value for w in at.warning)
    at.text_input(key="cnn_x").input("1 2 3; 4 5").run()
    assert not errors(at)
    assert any("same number of entries" in e.value for e in at.error)
    at = open_page(VIEW, {"cnn_k": "1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1"})
    assert not errors(at), errors(at)
    assert any("no output at all" in w.value for w in at.warning)


def test_multi_channel_slider_moves_its_cell():
    at = open_page(VIEW)
    before = [m.value for m in at.markdown if "channel sums" in m.value]
    at.slider(key="cnn_mc_pos").set_value(5).run()
    after = [m.value for m in at.markdown if "channel sums" in m.value]
    assert not errors(at) and before and after and before != after
    assert "Output cell (2, 2)" in after[0]


def test_counting_parameters_keras_preset():
    at = open_page(VIEW, {"cnn_tab": "Counting parameters"})
    assert not errors(at), errors(at)
    values = [m.value for m in at.metric]
    assert values == ["34,826", "34,826"]
    assert any("5x5x64" in i.value for i in at.info)
    at.radio(key="cnn_preset").set_value("Keras network, same padding").run()
    assert [m.value for m in at.metric] == ["50,186", "50,186"]


def test_impossible_design_gives_a_sentence():
    query = {"cnn_tab": "Design and train", "cnn_data": "8x8 digits", "cnn_blocks": "4", "cnn_pad": "valid"}
    at = open_page(VIEW, query)
    assert not errors(at), errors(at)
    assert any("feature map vanishes" in e.value for e in at.error)


def test_design_and_train_shows_the_cnn_beside_its_baselines():
    at = open_page(VIEW, {"cnn_tab": "Design and train"})
    assert not errors(at), errors(at)
    labels = [m.label for m in at.metric]
    assert labels == [
        "CNN: test accuracy",
        "dense network: test accuracy",
        "logistic regression on pixels: test accuracy",
    ]
    assert all("±" in m.value for m in at.metric)
    assert any("validation digits carved from the training split" in c.value for c in at.caption)


def test_adadelta_in_the_designer_trains_under_the_one_cycle_schedule():
    """The issue-33 traceback: Adadelta has no momentum for the one-cycle schedule to cycle."""
    at = open_page(VIEW, {"cnn_tab": "Design and train", "cnn_opt": "Adadelta (torch lr 1.0)"})
    assert not errors(at), errors(at)
    assert len(at.metric) == 3


def test_what_the_network_sees_and_why_convolutions():
    at = open_page(VIEW, {"cnn_tab": "What the network sees"})
    assert not errors(at), errors(at)
    assert any("First-layer filters" in m.value for m in at.markdown)
    assert any("Block 2 feature maps" in m.value for m in at.markdown)
    before = fingerprint(at)
    at.number_input(key="cnn_digit").set_value(5).run()
    assert not errors(at) and fingerprint(at) != before
    at.radio(key="cnn_src").set_value("my drawing").run()
    assert not errors(at)
    assert any("canvas is empty" in i.value for i in at.info)

    at = open_page(VIEW, {"cnn_tab": "Why convolutions"})
    assert not errors(at), errors(at)
    before = [m.value for m in at.metric]
    at.slider(key="cnn_shift").set_value(6).run()
    assert not errors(at) and [m.value for m in at.metric] != before


def test_the_optimizer_race_runs_on_its_button():
    at = open_page(VIEW, {"cnn_tab": "Optimizers"})
    assert not errors(at), errors(at)
    assert any("Adadelta" in m.value and "1.0" in m.value for m in at.markdown)
    at.button(key="cnn_race_button").click().run()
    assert not errors(at), errors(at)
    assert at.dataframe and len(at.dataframe[0].value) == 6
    assert "test accuracy (once, after training)" in at.dataframe[0].value.columns
    assert any("validation digits" in c.value for c in at.caption)


@pytest.mark.browser
def test_the_canvas_path_in_the_browser():
    """A stroke drawn on the shared canvas goes through the CNN: feature maps of the drawing, no error."""
    from browser import ARTIFACTS, VIEWPORT, chromium_browser, exception_text, prime, settle, streamlit_server

    with streamlit_server(log_name="streamlit-cnn.log") as url, chromium_browser() as browser:
        prime(url, browser)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(f"{url}/CNN?cnn_tab=What+the+network+sees&cnn_src=my+drawing", timeout=60_000)
        settle(page)
        assert exception_text(page) is None, exception_text(page)
        assert page.get_by_text("The canvas is empty").count() == 1
        canvas = page.locator("canvas.upper-canvas").first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
        page.mouse.down()
        for t in range(1, 16):  # a "1": straight down the middle
            page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + (0.15 + 0.7 * t / 15) * box["height"])
        page.mouse.up()
        page.wait_for_timeout(1000)
        settle(page)
        assert exception_text(page) is None, exception_text(page)
        assert page.get_by_text("The canvas is empty").count() == 0
        assert page.get_by_text("Block 1 feature maps").count() == 1
        page.screenshot(path=str(ARTIFACTS / "page-CNN-canvas.png"), full_page=True)
