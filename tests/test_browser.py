"""A real browser: headless Chromium (Playwright) against ``streamlit run`` on 127.0.0.1 (fast mode).

Every page opens from the grouped navigation (no "app" entry), its main figure lies inside the first
1280x720 screen in normal and projector mode, a stroke drawn on a canvas is processed, a shared link
round-trips, a learning curve stays on screen after a slider move, and the device picker falls back on
an unavailable device. Screenshots are kept under ``test-artifacts/``.
"""

import re

import pytest
from browser import (
    ARTIFACTS,
    VIEWPORT,
    chromium_browser,
    exception_text,
    main_figure_box,
    prime,
    settle,
    streamlit_server,
)

from annlab.topics import SECTIONS, TOPICS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    with chromium_browser() as b:
        prime(server, b)
        yield b


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    yield ctx.new_page()
    ctx.close()


def _no_exception(page, what):
    text = exception_text(page)
    assert text is None, f"{what}: {text}"
    dialogs = page.locator("[role='dialog']")
    assert dialogs.count() == 0, f"{what}: a dialog is open: {dialogs.first.inner_text()[:300]}"


def _draw_stroke(page, canvas):
    box = canvas.bounding_box()
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + 0.3 * w, y0 + 0.2 * h)
    page.mouse.down()
    for t in range(1, 21):  # a "7": across, then down-left
        if t <= 8:
            page.mouse.move(x0 + (0.3 + 0.4 * t / 8) * w, y0 + 0.2 * h)
        else:
            s = (t - 8) / 12
            page.mouse.move(x0 + (0.7 - 0.25 * s) * w, y0 + (0.2 + 0.6 * s) * h)
    page.mouse.up()


def test_every_page_from_the_grouped_navigation(server, page):
    page.goto(server, timeout=60_000)
    settle(page)
    _no_exception(page, "home")
    assert "annlab" in page.locator("h1").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "page-home.png"), full_page=True)
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.locator("a").first.wait_for(timeout=30_000)
    text = nav.inner_text()
    assert [s for s in SECTIONS if s in text], text
    names = [a.strip().splitlines()[-1].strip() for a in nav.locator("a").all_inner_texts()]  # after the icon
    assert names[0] == "Home" and "app" not in [n.lower() for n in names], names
    assert names[1:] == [t.title for s in SECTIONS for t in TOPICS if t.section == s]
    for topic in TOPICS:
        nav.get_by_role("link", name=topic.title, exact=True).click()
        settle(page)
        _no_exception(page, topic.title)
        assert page.url.rstrip("/").endswith("/" + topic.url_path)
        page.screenshot(path=str(ARTIFACTS / f"page-{topic.url_path}.png"), full_page=True)
        canvases = page.locator("canvas.upper-canvas")
        visible = [canvases.nth(j) for j in range(canvases.count()) if canvases.nth(j).is_visible()]
        for canvas in visible[:1]:
            canvas.scroll_into_view_if_needed()
            _draw_stroke(page, canvas)
            page.wait_for_timeout(1000)
            settle(page)
            _no_exception(page, f"{topic.title} after drawing")
            page.screenshot(path=str(ARTIFACTS / f"page-{topic.url_path}-drawn.png"), full_page=True)


@pytest.mark.parametrize("mode", ["normal", "projector"])
@pytest.mark.parametrize("topic", TOPICS, ids=[t.url_path for t in TOPICS])
def test_main_figure_fits_the_first_screen(server, page, topic, mode):
    page.goto(
        f"{server}/{topic.url_path}" + ("?projector=true" if mode == "projector" else ""), timeout=60_000
    )
    settle(page)
    _no_exception(page, topic.title)
    box = main_figure_box(page)
    page.screenshot(path=str(ARTIFACTS / f"first-screen-{topic.url_path}-{mode}.png"))
    assert box is not None, f"{topic.title} has no ui.main_figure()"
    assert box["height"] > 50, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (topic.title, mode, box)
    if mode == "projector":
        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.get_attribute("data-collapsed") == "true", "projector mode folds the sidebar"


def test_shared_link_round_trips(server, page):
    page.goto(f"{server}/Hopfield?hop_noise=1.2&seed=5", timeout=60_000)
    settle(page)
    _no_exception(page, "shared link")
    noise = page.locator(".st-key-hop_noise").get_by_role("slider")
    assert float(noise.input_value()) == pytest.approx(1.2)
    step = float(noise.get_attribute("step"))
    moved = round(1.2 + step, 6)
    noise.focus()
    page.keyboard.press("ArrowRight")
    settle(page)
    assert re.search(rf"hop_noise={moved:g}(&|$)", page.url), page.url
    assert "seed=5" in page.url
    link = page.url
    other = page.context.new_page()
    other.goto(link, timeout=60_000)
    settle(other)
    again = other.locator(".st-key-hop_noise").get_by_role("slider")
    assert float(again.input_value()) == pytest.approx(moved)
    assert other.locator("[data-testid='stSidebar'] input[type='number']").first.input_value() == "5"


def test_a_value_survives_leaving_the_page(server, page):
    page.goto(f"{server}/Hopfield", timeout=60_000)
    settle(page)
    noise = page.locator(".st-key-hop_noise").get_by_role("slider")
    before, step = float(noise.input_value()), float(noise.get_attribute("step"))
    noise.focus()
    page.keyboard.press("ArrowRight")
    settle(page)
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.get_by_role("link", name="Home", exact=True).click()
    settle(page)
    nav.get_by_role("link", name="Hopfield", exact=True).click()
    settle(page)
    after = float(page.locator(".st-key-hop_noise").get_by_role("slider").input_value())
    assert after == pytest.approx(before + step)
    assert "hop_noise=" in page.url


def test_learning_curve_stays_after_a_slider_move(server, page):
    page.goto(f"{server}/RBM_inpainting", timeout=60_000)
    settle(page)
    panel = page.locator("[data-testid='stExpander']").filter(has_text="Learning curves").first
    panel.locator("summary").click()
    chart = panel.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for(timeout=30_000)
    slider = page.locator(".st-key-rbm_recon_steps").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    settle(page)
    _no_exception(page, "after the slider move")
    assert chart.is_visible(), "the learning curve disappeared after a slider move"
    page.screenshot(path=str(ARTIFACTS / "learning-curve-after-slider.png"))


def test_device_picker_and_shared_link(server, page):
    page.goto(server + "/?seed=5", timeout=60_000)
    settle(page)
    picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
    picker.scroll_into_view_if_needed()
    picker.click()  # the list may open below the 720-px fold (the navigation is long): choose by typing
    page.keyboard.type("cpu")
    page.keyboard.press("Enter")
    settle(page)
    assert "device=cpu" in page.url and "seed=5" in page.url
    assert "Running on cpu" in page.locator("[data-testid='stSidebar']").inner_text()
    page.goto(server + "/?device=cuda:3", timeout=60_000)  # a link made on a GPU machine
    settle(page)
    _no_exception(page, "unavailable device")
    assert "not available" in page.locator("[data-testid='stSidebar']").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sidebar-device-fallback.png"))
