"""Every student can use it (issue 38): text alternatives, contrast, keyboard, narrow windows.

Without a browser: a chart's description is computed from its rows (other rows, other words), image
grids get alternative text, the chart colours keep 3:1 on both theme backgrounds.

In a real browser (headless Chromium against one ``streamlit run`` in fast mode, shared by the module),
on every page's default tab:

- axe-core (the npm package, injected from ``node_modules``: ``scripts/ensure_axe.sh``) finds no serious
  or critical violation in annlab's own content at 1024x768 in light, dark and projector mode and at
  390x844; those in Streamlit's own markup (``browser.FRAMEWORK_PARTS``) are written to
  ``test-artifacts/a11y-framework.json``, by rule and element;
- nothing in the main area ends past the window's edge at 1024x768 and 390x844 (normal and projector);
- every visible chart and image has an accessible name and description;
- Tab alone reaches the page's main control (``Topic.main_control``), the arrow keys move it, and every
  element of the main area that takes focus shows a focus ring.

Screenshots (390 px wide, dark mode) are kept under ``test-artifacts/a11y-*.png``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from annlab.topics import TOPICS

PAGES = [("Home", "", None)] + [(t.url_path, t.url_path, t.main_control) for t in TOPICS]
IDS = [p[0] for p in PAGES]


# --- without a browser ---------------------------------------------------------------------------


def _line_spec(values):
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    from annlab import charts
    from annlab.ui.display import _Unchecked, stable_names

    epochs = np.arange(len(values))
    df = pd.DataFrame(
        {
            "epoch": np.concatenate([epochs, epochs]),
            "loss": np.concatenate([values, np.asarray(values) * 2]),
            "curve": ["train"] * len(values) + ["validation"] * len(values),
        }
    )
    chart = charts.lines(df, x="epoch", y="loss", color="curve", title="Learning curves", y_title="MSE")
    return stable_names(_convert_altair_to_vega_lite_spec(_Unchecked(charts.style(chart))))


def test_a_chart_description_is_computed_from_its_rows():
    from annlab.describe import describe_chart

    one = describe_chart(_line_spec([1.0, 0.5, 0.25]))
    assert one.title == "Learning curves"
    assert one.sentence.startswith("Line chart of MSE against epoch over epoch 0 to 2")
    assert "train: from 1 to 0.25" in one.sentence and "validation: from 2 to 0.5" in one.sentence
    assert one.rows == 6 and list(one.table.columns) == ["epoch", "loss", "curve"]
    other = describe_chart(_line_spec([3.0, 2.0, 1.5, 1.25]))
    assert "train: from 3 to 1.25" in other.sentence and "epoch 0 to 3" in other.sentence


def test_bars_heat_maps_and_concatenated_views_are_described_by_their_extremes():
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    from annlab import charts
    from annlab.describe import describe_chart
    from annlab.ui.display import _Unchecked, stable_names

    heat = charts.heatmap(
        pd.DataFrame({"lr": [0.1, 0.1, 1.0, 1.0], "units": [8, 16, 8, 16], "error": [0.3, 0.2, 0.9, 0.1]}),
        x="lr",
        y="units",
        value="error",
        title="Error",
    )
    bars = charts.bars(["cat", "dog", "cow"], [5, 9, 2], x_title="class", y_title="count", title="Counts")
    spec = stable_names(_convert_altair_to_vega_lite_spec(_Unchecked(charts.style(heat | bars))))
    text = describe_chart(spec)
    assert text.title == "Error; Counts"
    assert "Heat map of error over lr by units, 4 cells: highest 0.9 at lr 1, units 8" in text.sentence
    assert "lowest 0.1 at lr 1, units 16" in text.sentence
    assert "3 bars: highest dog (9), lowest cow (2)" in text.sentence


def test_long_data_is_shown_as_evenly_spaced_rows():
    from annlab.describe import MAX_ROWS, describe_chart

    text = describe_chart(_line_spec(list(np.linspace(1, 0, 100))))
    assert text.rows == 200 and len(text.table) == MAX_ROWS
    assert text.table["epoch"].iloc[0] == 0 and text.table["epoch"].iloc[-1] == 99


def test_image_grids_get_alternative_text_from_caption_and_shape():
    from annlab.describe import describe_images

    grid = describe_images(np.full((12, 28, 28), 0.25), 10, "Noisy digits at noise 0.4")
    assert grid == (
        "Noisy digits at noise 0.4: a grid of 12 grey images in 2 rows of 10, each 28 by 28 pixels, "
        "mean brightness 0.25 of 1."
    )
    one = describe_images(np.zeros((8, 6, 3)), grid=False)
    assert one.startswith("One colour image, 8 by 6 pixels")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_chart_colours_keep_3_to_1_on_the_theme_background(dark):
    from annlab.charts import DARK_BACKGROUND, LIGHT_BACKGROUND, OKABE_ITO, contrast_ratio, themed

    background = DARK_BACKGROUND if dark else LIGHT_BACKGROUND
    spec = {"config": {"range": {"category": list(OKABE_ITO)}}, "mark": {"color": "#444444"}}
    colours = themed(spec, dark)["config"]["range"]["category"]
    ratios = {c: round(contrast_ratio(c, background), 2) for c in colours}
    assert all(r >= 3 for r in ratios.values()), ratios
    # the untouched colours are Okabe-Ito's own
    assert sum(a == b for a, b in zip(colours, OKABE_ITO, strict=True)) >= 5
    assert contrast_ratio("#0072B2", background) >= 3  # the focus ring (annlab/ui/frame.py)


# --- in a browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    from browser import streamlit_server

    with streamlit_server(log_name="a11y-streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from browser import chromium_browser, prime

    with chromium_browser() as b:
        prime(server, b)
        yield b


@pytest.fixture(scope="module")
def scans(server, browser):
    """One page load per (page, mode, size), its checks run once and shared by the tests below."""
    from browser import (
        ARTIFACTS,
        SIZES,
        axe_violations,
        exception_text,
        figure_texts,
        keyboard_walk,
        overflow,
        settle,
    )

    done: dict = {}
    framework: dict = {}

    def scan(name: str, mode: str, size: str) -> dict:
        if (name, mode, size) in done:
            return done[name, mode, size]
        path, key = next((p[1], p[2]) for p in PAGES if p[0] == name)
        ctx = browser.new_context(
            viewport=SIZES[size], color_scheme="dark" if mode == "dark" else "light", reduced_motion="reduce"
        )
        page = ctx.new_page()
        try:
            page.goto(
                f"{server}/{path}" + ("?projector=true" if mode == "projector" else ""), timeout=120_000
            )
            settle(page)
            page.wait_for_timeout(600)
            out = {"exception": exception_text(page)}
            out["background"] = page.evaluate(
                "() => getComputedStyle(document.querySelector(\"[data-testid='stApp']\")).backgroundColor"
            )
            out["axe"] = axe_violations(page)
            out["overflow"] = overflow(page)
            if (mode, size) == ("light", "laptop"):
                out["figures"] = figure_texts(page)
                out["keyboard"] = keyboard_walk(page, key)
            if size == "phone" or mode == "dark":  # the whole page: the window as tall as the main area
                tall = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
                page.set_viewport_size({"width": SIZES[size]["width"], "height": min(int(tall) + 40, 6000)})
                page.wait_for_timeout(800)
                page.screenshot(path=str(ARTIFACTS / f"a11y-{name}-{mode}-{size}.png"))
        finally:
            ctx.close()
        fw = [f"{v['rule']}: {v['target']}" for v in out["axe"] if v["framework"]]
        framework[f"{name} {mode} {size}"] = fw
        (ARTIFACTS / "a11y-framework.json").write_text(json.dumps(framework, indent=1))
        done[name, mode, size] = out
        return out

    return scan


MODES = [("light", "laptop"), ("dark", "laptop"), ("projector", "laptop"), ("light", "phone")]


@pytest.mark.browser
@pytest.mark.parametrize("mode,size", MODES, ids=[f"{m}-{s}" for m, s in MODES])
@pytest.mark.parametrize("name", IDS)
def test_axe_finds_no_serious_violation_in_annlab_content(scans, name, mode, size):
    result = scans(name, mode, size)
    assert result["exception"] is None, result["exception"]
    if mode == "dark":  # the emulated preference reached Streamlit: a dark page
        rgb = [int(v) for v in result["background"].strip("rgba()").split(",")[:3]]
        assert sum(rgb) < 150, result["background"]
    own = [
        f"{v['rule']} ({v['impact']}): {v['target']} {v['html']}" for v in result["axe"] if not v["framework"]
    ]
    assert not own, "\n".join(own)


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["light", "projector"])
@pytest.mark.parametrize("size", ["laptop", "phone"])
@pytest.mark.parametrize("name", IDS)
def test_nothing_ends_past_the_window_edge(scans, name, size, mode):
    result = scans(name, mode, size)["overflow"]
    assert result["page_scroll_px"] <= 0, result
    assert result["overflow_px"] <= 1, result


@pytest.mark.browser
@pytest.mark.parametrize("name", IDS)
def test_every_figure_has_an_accessible_name_and_description(scans, name):
    figures = scans(name, "light", "laptop")["figures"]
    bare = [f for f in figures if not (f["name"].strip() and f["description"].strip())]
    assert not bare, bare
    for f in figures:
        if f["kind"] == "chart":  # a sentence with the numbers drawn, not only a title
            assert f["description"] != f["name"] and any(ch.isdigit() for ch in f["description"]), f


@pytest.mark.browser
@pytest.mark.parametrize("name", IDS)
def test_the_main_control_works_from_the_keyboard_with_focus_visible(scans, name):
    key = next(p[2] for p in PAGES if p[0] == name)
    walk = scans(name, "light", "laptop")["keyboard"]
    assert walk["stops"], "Tab reaches nothing in the main area"
    hidden = [s for s in walk["stops"] if not s["focus_visible"]]
    assert not hidden, hidden
    if key:
        assert walk["control_reached"], f"Tab never reaches {key}: {walk['stops']}"
        assert walk["control_moved"], f"the arrow keys do not move {key}"


def test_the_frame_script_survives_the_html_sanitiser():
    """DOMPurify (``st.html``) silently drops a script whose text holds "<" before a letter: the figure
    links and the navigation roles would then be missing."""
    import re

    from annlab.ui.frame import LINK_JS

    js = LINK_JS.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert js.strip() and not re.findall(r"<[/\w!]", js)


def test_a_picture_of_a_digit_can_stand_in_for_drawing():
    """The canvas needs a pointer; an uploaded picture (dark ink on light paper) gives the same digit."""
    import io

    from PIL import Image, ImageDraw

    from annlab.ui.canvas import digit_from_upload

    img = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(img).line([(100, 30), (100, 170)], fill="black", width=18)  # a "1"
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    digit = digit_from_upload(buf.getvalue())
    assert digit.shape == (28, 28) and digit.max() == pytest.approx(1.0)
    cols = digit.sum(axis=0)
    assert cols[12:16].sum() > 0.8 * cols.sum()  # a vertical stroke in the middle columns
    with pytest.raises(ValueError, match="not a picture"):
        digit_from_upload(b"not an image")
    blank = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(blank, format="PNG")
    with pytest.raises(ValueError, match="No digit"):
        digit_from_upload(blank.getvalue())
