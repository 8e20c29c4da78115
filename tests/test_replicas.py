"""Two replicas behind HAProxy (``python -m annlab serve --replicas 2``), driven by Chromium.

The websocket works through the proxy, images load from the replica that holds the session, a model
trained through one replica loads from the shared store on the other, and killing a replica leaves new
sessions working (HAProxy takes it out; the supervisor restarts it).
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from browser import ARTIFACTS, VIEWPORT, chromium_browser, exception_text, free_port, settle

from annlab.serve import COOKIE, find_haproxy, healthy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_haproxy() is None, reason="HAProxy is not installed (make haproxy)"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port = free_port()
    env = dict(os.environ, ANNLAB_CACHE_DIR=str(tmp_path_factory.mktemp("shared-store")))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "annlab",
            "serve",
            "--replicas",
            "2",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    deadline = time.time() + 240
    while not any("behind HAProxy" in line for line in lines):
        assert proc.poll() is None and time.time() < deadline, "".join(lines)
        time.sleep(0.5)
    pids = [int(p) for p in re.search(r"pids ([\d, ]+)\)", "".join(lines)).group(1).split(", ")]
    yield f"http://127.0.0.1:{port}", pids, lines
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _open(browser, url):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(url, timeout=120_000)
    settle(page)
    replica = next(c["value"] for c in ctx.cookies() if c["name"] == COOKIE)
    return ctx, page, replica


def test_two_replicas_behind_the_proxy(served):
    url, pids, lines = served
    with chromium_browser() as browser:
        homes = [_open(browser, url) for _ in range(2)]  # first session of each fresh replica
        assert {r for _, _, r in homes} == {"r1", "r2"}, "round robin should reach both replicas"
        for ctx, _, _ in homes:
            ctx.close()

        ctx_a, page_a, r_a = _open(browser, f"{url}/RBM_inpainting")
        assert exception_text(page_a) is None
        assert "trained on this server" in page_a.locator("[data-testid='stMain']").inner_text()
        images = page_a.locator("[data-testid='stMain'] img")
        assert images.count() > 0
        sizes = [images.nth(i).evaluate("img => img.naturalWidth") for i in range(images.count())]
        assert all(w > 0 for w in sizes), f"an image did not load through the proxy: {sizes}"
        page_a.screenshot(path=str(ARTIFACTS / "replicas-a.png"))

        ctx_b, page_b, r_b = _open(browser, url)
        while r_b == r_a:  # the next cookie-less session goes to the other replica
            ctx_b.close()
            ctx_b, page_b, r_b = _open(browser, url)
        page_b.goto(f"{url}/RBM_inpainting")
        settle(page_b)
        assert exception_text(page_b) is None
        text_b = page_b.locator("[data-testid='stMain']").inner_text()
        assert "loaded from the model store" in text_b, "replica 2 trained again instead of loading"
        ctx_a.close()
        ctx_b.close()

        victim = pids[int(r_a[1:]) - 1]
        os.kill(victim, signal.SIGKILL)
        ctx_c = browser.new_context(viewport=VIEWPORT)
        page_c = ctx_c.new_page()
        page_c.goto(f"{url}/Hopfield", timeout=120_000)
        settle(page_c)
        assert exception_text(page_c) is None
        assert "Hopfield" in page_c.locator("[data-testid='stMain']").inner_text()
        ctx_c.close()
        deadline = time.time() + 60
        while not any("restarted" in line for line in lines) and time.time() < deadline:
            time.sleep(0.5)
        assert any(f"replica {r_a[1:]} had stopped" in line for line in lines), "".join(lines)
        assert healthy(url)
