"""Lesson mode in a real browser: a presenter and three students on one server.

The presenter steps through the Hopfield lesson with the keyboard (Page Down / Page Up, what a
clicker sends), opens a class poll on a prediction scene, three students join with the room code from
their own browser contexts and vote, the presenter's live histogram shows three votes, and the reveal
shows the figure. Screenshots go to ``test-artifacts/``.
"""

import re

import pytest
from browser import ARTIFACTS, VIEWPORT, chromium_browser, exception_text, prime, settle, streamlit_server

from annlab import lessons as L

pytestmark = pytest.mark.browser

LESSON = L.get("hopfield")
VOTE_SCENE = next(
    k for k, s in enumerate(LESSON.ready, 1) if s.predict and s.predict.kind == "choice" and k > 2
)


@pytest.fixture(scope="module")
def server():
    with streamlit_server(log_name="streamlit-lessons.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    with chromium_browser() as b:
        prime(server, b)
        yield b


def _bar_text(page) -> str:
    bar = page.locator(".st-key-lesson_bar")
    bar.first.wait_for(timeout=60_000)
    return bar.first.inner_text()


def _wait_for_text(page, pattern: str, timeout_s: float = 60) -> str:
    for _ in range(int(timeout_s * 2)):
        text = page.locator("[data-testid='stMain']").inner_text()
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(500)
    raise AssertionError(f"{pattern!r} never appeared; the page says: {text[:1500]}")


def test_presenter_steps_students_vote_reveal_shows_the_figure(server, browser):
    presenter_ctx = browser.new_context(viewport=VIEWPORT)
    presenter = presenter_ctx.new_page()
    start = VOTE_SCENE - 2
    presenter.goto(f"{server}/Hopfield?lesson={LESSON.name}&scene={start}", timeout=60_000)
    settle(presenter)
    assert exception_text(presenter) is None, exception_text(presenter)
    n = len(LESSON.ready)
    assert f"scene {start} of {n}" in _bar_text(presenter)

    # the keyboard: Page Down twice, Page Up once, Page Down again
    for key, k in (
        ("PageDown", start + 1),
        ("PageDown", start + 2),
        ("PageUp", start + 1),
        ("PageDown", start + 2),
    ):
        for _attempt in range(3):  # a key pressed before the page listens is lost: press again
            presenter.evaluate("document.activeElement && document.activeElement.blur()")  # no widget
            presenter.keyboard.press(key)
            for _ in range(40):  # the rerun starts a moment after the key (longer on a loaded machine)
                presenter.wait_for_timeout(500)
                if f"scene {k} of {n}" in _bar_text(presenter):
                    break
            if f"scene {k} of {n}" in _bar_text(presenter):
                break
        settle(presenter)
        assert f"scene {k} of {n}" in _bar_text(presenter), (key, k, _bar_text(presenter))
        assert f"scene={k}" in presenter.url, presenter.url
    scene = LESSON.ready[VOTE_SCENE - 1]
    assert scene.question[:40] in _bar_text(presenter)
    assert presenter.locator(".st-key-main_figure").count() == 0, "the answer is hidden before the reveal"

    presenter.get_by_role("button", name="Open a class poll").click()
    settle(presenter)
    code = presenter.locator("[data-testid='room-code']").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}", code), code
    presenter.screenshot(path=str(ARTIFACTS / "lesson-presenter-poll.png"))

    students = []
    for i, choice in enumerate(
        [scene.predict.choices[0], scene.predict.choices[0], scene.predict.choices[1]]
    ):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"{server}/?room={code}", timeout=180_000, wait_until="domcontentloaded")
        settle(page)
        _wait_for_text(page, re.escape(scene.question[:30]))
        page.get_by_text(choice, exact=True).first.click()
        page.get_by_role("button", name="Vote").click()
        settle(page)
        _wait_for_text(page, "Your vote is in|vote is in")
        page.screenshot(path=str(ARTIFACTS / f"lesson-student-{i + 1}.png"))
        ctx.close()  # a student who voted may leave: the vote stays
        students.append(i)

    _wait_for_text(presenter, r"\b3 votes\b", timeout_s=30)
    presenter.screenshot(path=str(ARTIFACTS / "lesson-presenter-histogram.png"))
    presenter.get_by_role("button", name="Reveal the answer").click()
    settle(presenter)
    presenter.locator(".st-key-main_figure").first.wait_for(timeout=120_000)
    assert exception_text(presenter) is None, exception_text(presenter)
    assert "3 votes" in presenter.locator("[data-testid='stMain']").inner_text()
    presenter.screenshot(path=str(ARTIFACTS / "lesson-presenter-revealed.png"), full_page=True)

    # a student who votes again is refused: the reveal closed the question
    late_ctx = browser.new_context(viewport=VIEWPORT)
    late = late_ctx.new_page()
    late.goto(f"{server}/?room={code}", timeout=180_000, wait_until="domcontentloaded")
    settle(late)
    _wait_for_text(late, "answer is on the presenter's screen")
    assert len(students) == 3
    for ctx in (late_ctx, presenter_ctx):
        ctx.close()
