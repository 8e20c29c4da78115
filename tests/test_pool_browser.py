"""Training in the server's worker pool, seen from two browsers (``ANNLAB_TRAIN_WORKERS=1``).

Two students open the same untrained page at once: both watch one job (progress from the worker),
then both get the page with its lasting learning curves; the store holds one model. A third student
cancels a training and is told so, with a button to train again.
"""

import time

import pytest
from browser import VIEWPORT, chromium_browser, exception_text, prime, settle, streamlit_server

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"


def _text(page) -> str:
    try:
        return page.locator(MAIN).inner_text(timeout=5_000)
    except Exception:
        return ""


def test_two_sessions_watch_one_worker_job_then_one_cancels(tmp_path):
    env = {"ANNLAB_TRAIN_WORKERS": "1", "ANNLAB_CACHE_DIR": str(tmp_path), "ANNLAB_MAX_TRAIN_S": "600"}
    with streamlit_server(env=env, log_name="pool_browser.log") as url, chromium_browser() as browser:
        prime(url, browser)
        pages = []
        for _ in range(2):
            ctx = browser.new_context(viewport=VIEWPORT)
            page = ctx.new_page()
            page.goto(f"{url}/RBM_inpainting", timeout=120_000)
            pages.append(page)
        seen_worker = False
        deadline = time.time() + 300
        texts = ["", ""]
        while time.time() < deadline:
            texts = [_text(p) for p in pages]
            seen_worker = seen_worker or any("in a worker" in t or "Waiting for a free" in t for t in texts)
            if all("Learning curves: the RBM" in t for t in texts):
                break
            time.sleep(0.5)
        assert seen_worker, "the job panel (queue place or worker progress) never showed"
        for page, text in zip(pages, texts, strict=True):
            assert exception_text(page) is None
            assert "Learning curves: the RBM" in text and "trained on this server" in text, text[:500]
        rbm_files = [p for p in tmp_path.glob("*.pt") if "RBM" in p.name or "rbm" in p.name.lower()]
        assert len(rbm_files) >= 1

        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"{url}/Latent_space", timeout=120_000)
        cancelled = page.get_by_text("You cancelled this training.")
        for _ in range(10):  # a fast job can finish under the click: the page then starts its next model
            page.get_by_role("button", name="Cancel this training").click(timeout=120_000)
            try:
                cancelled.wait_for(timeout=15_000)
                break
            except Exception:
                continue
        assert cancelled.is_visible()
        assert page.get_by_role("button", name="again").count() >= 1
        settle(page)
        assert exception_text(page) is None
