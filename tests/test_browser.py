"""A real browser: headless Chromium (Playwright) against ``streamlit run`` on 127.0.0.1.

The home page loads, every page opens from the navigation without an exception box, the sidebar device
picker works, a stroke drawn on each visible canvas is processed, and a screenshot of each page is saved
under ``test-artifacts/``. Uses a system Chromium (``/usr/bin/chromium`` or ``ANNLAB_CHROMIUM``) when
present, else Playwright's own browser.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PAGE_TIMEOUT_MS = 600_000
pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-dev-shm-usage"]


def _chromium() -> str | None:
    for candidate in (os.environ.get("ANNLAB_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start; see test-artifacts/streamlit.log")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        exe = _chromium()
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS) if exe else \
            p.chromium.launch(args=CHROMIUM_ARGS)
        yield b
        b.close()


def _settle(page, timeout_ms=PAGE_TIMEOUT_MS):
    """Wait until the app has finished running the script (and stays idle for a moment)."""
    app = page.locator("[data-testid='stApp']")
    app.wait_for(timeout=60_000)
    deadline = time.time() + timeout_ms / 1000
    idle = 0
    while time.time() < deadline:
        state = app.get_attribute("data-test-script-state")
        idle = idle + 1 if state == "notRunning" else 0
        if idle >= 4:
            return
        page.wait_for_timeout(400)
    raise AssertionError("the page kept running")


def _assert_no_exception(page, what):
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, f"{what}: {boxes.first.inner_text()[:2000]}"


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


def test_every_page_from_the_navigation(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.goto(server, timeout=60_000)
    _settle(page)
    _assert_no_exception(page, "home")
    assert "annlab" in page.locator("h1").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "page-home.png"), full_page=True)

    links = page.locator("[data-testid='stSidebarNav'] a")
    pages = sorted((ROOT / "pages").glob("*.py"))
    if pages:
        links.first.wait_for(timeout=30_000)
    names = [links.nth(i).inner_text().strip() for i in range(links.count())]
    assert len(names) == (len(pages) + 1 if pages else 0), names
    for i, name in enumerate(names[1:], start=1):
        page.locator("[data-testid='stSidebarNav'] a").nth(i).click()
        _settle(page)
        _assert_no_exception(page, name)
        assert page.locator("h1").count() >= 1
        slug = name.lower().replace(" ", "_")
        page.screenshot(path=str(ARTIFACTS / f"page-{i}-{slug}.png"), full_page=True)
        canvases = page.locator("canvas.upper-canvas")
        visible = [canvases.nth(j) for j in range(canvases.count()) if canvases.nth(j).is_visible()]
        for canvas in visible[:1]:
            canvas.scroll_into_view_if_needed()
            _draw_stroke(page, canvas)
            page.wait_for_timeout(1000)
            _settle(page)
            _assert_no_exception(page, f"{name} after drawing")
            page.screenshot(path=str(ARTIFACTS / f"page-{i}-{slug}-drawn.png"), full_page=True)
    ctx.close()


def test_device_picker_and_shared_link(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.goto(server + "/?seed=5", timeout=60_000)
    _settle(page)
    picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
    picker.click()
    page.get_by_role("option", name="cpu", exact=True).click()
    _settle(page)
    assert "device=cpu" in page.url and "seed=5" in page.url
    assert "Running on cpu" in page.locator("[data-testid='stSidebar']").inner_text()
    # A link made on a GPU machine opens here with a warning, not a crash.
    page.goto(server + "/?device=cuda:3", timeout=60_000)
    _settle(page)
    _assert_no_exception(page, "unavailable device")
    assert "not available" in page.locator("[data-testid='stSidebar']").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sidebar-device-fallback.png"))
    ctx.close()
