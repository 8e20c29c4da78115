"""Driving the app in a real browser: ``streamlit run`` on 127.0.0.1 and headless Chromium (Playwright).

Used by the browser tests, ``scripts/first_screen.py`` and the benchmarks. A system Chromium is used
(``ANNLAB_CHROMIUM``, ``/usr/bin/chromium``), else Playwright's own browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 720}


def chromium() -> str | None:
    for candidate in (
        os.environ.get("ANNLAB_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, log_name: str = "streamlit.log"):
    """Start ``streamlit run app.py`` on a free port; yields its base URL."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    with open(ARTIFACTS / log_name, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"streamlit did not start; see {ARTIFACTS / log_name}") from None
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def prime(url: str, browser) -> None:
    """Open the home page once on a fresh server.

    Streamlit 1.67 shows a "Page not found" notice to the very first session of a fresh server when it
    opens a page other than the home page (streamlit/streamlit#8860: the page registry of
    ``st.navigation`` is filled by the first run); every later session is fine.
    """
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(url, timeout=60_000)
    settle(page)
    ctx.close()


@contextlib.contextmanager
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        exe = chromium()
        b = (
            p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            if exe
            else p.chromium.launch(args=CHROMIUM_ARGS)
        )
        try:
            yield b
        finally:
            b.close()


def settle(page, timeout_s: float = 600, idle_polls: int = 4) -> None:
    """Wait until the app has finished running the script and stays idle for a moment."""
    app = page.locator("[data-testid='stApp']")
    app.wait_for(timeout=60_000)
    deadline = time.time() + timeout_s
    idle = 0
    while time.time() < deadline:
        state = app.get_attribute("data-test-script-state")
        idle = idle + 1 if state == "notRunning" else 0
        if idle >= idle_polls:
            return
        page.wait_for_timeout(400)
    raise AssertionError("the page kept running")


def exception_text(page) -> str | None:
    boxes = page.locator("[data-testid='stException']")
    return boxes.first.inner_text()[:2000] if boxes.count() else None


def main_figure_box(page) -> dict | None:
    """Bounding box of the page's main figure (``ui.main_figure()``), in page coordinates."""
    fig = page.locator(".st-key-main_figure")
    if fig.count() == 0:
        return None
    fig.first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # charts finish their layout
    return fig.first.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height}; }"
    )
