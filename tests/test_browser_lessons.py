"""Lesson mode in a real browser: a presenter and three students on one server.

The presenter steps through the Hopfield lesson with the keyboard (Page Down / Page Up, what a
clicker sends), opens a class poll on a prediction scene, three students join with the room code from
their own browser contexts and vote, the presenter's live histogram shows three votes, and the reveal
shows the figure. Then peer instruction: two students vote, discuss, vote again; the presenter sees both
rounds side by side, the share that moved to the answer, and downloads the counts as CSV. Screenshots go
to ``test-artifacts/``.
"""

import re
import socket
from pathlib import Path

import browser as browser_helpers
import pytest
from browser import ARTIFACTS, VIEWPORT, chromium_browser, exception_text, prime, settle, streamlit_server

from annlab import lessons as L

pytestmark = pytest.mark.browser

LESSON = L.get("hopfield")
VOTE_SCENE = next(
    k for k, s in enumerate(LESSON.ready, 1) if s.predict and s.predict.kind == "choice" and k > 2
)


def _port_in_lesson_range() -> int:
    """A free port among 8600-8609 (the range this suite's servers use), else any free port."""
    for port in range(8600, 8610):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return _any_free_port()


_any_free_port = browser_helpers.free_port


@pytest.fixture(scope="module")
def server():
    browser_helpers.free_port = _port_in_lesson_range
    try:
        with streamlit_server(log_name="streamlit-lessons.log") as url:
            yield url
    finally:
        browser_helpers.free_port = _any_free_port


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


PEER_SCENE = next(k for k, s in enumerate(LESSON.ready, 1) if s.predict and s.predict.correct)


def test_peer_instruction_a_presenter_and_two_students_vote_twice(server, browser):
    """Mazur's peer instruction: vote, discuss, vote again. The presenter sees both histograms side by
    side, after the reveal the share that moved to the answer, and downloads the counts as CSV."""
    import csv
    import io

    scene = LESSON.ready[PEER_SCENE - 1]
    right = scene.predict.correct
    wrong = next(c for c in scene.predict.choices if c != right)
    presenter_ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    presenter = presenter_ctx.new_page()
    presenter.goto(f"{server}/Hopfield?lesson={LESSON.name}&scene={PEER_SCENE}", timeout=60_000)
    settle(presenter)
    presenter.get_by_role("button", name="Open a class poll").click()
    settle(presenter)
    code = presenter.locator("[data-testid='room-code']").first.inner_text().strip()

    students = []
    for first in (wrong, right):  # one student wrong, one right; their pages stay open between votes
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"{server}/?room={code}", timeout=180_000, wait_until="domcontentloaded")
        settle(page)
        _wait_for_text(page, re.escape(scene.question[:30]))
        page.get_by_text(first, exact=True).first.click()
        page.get_by_role("button", name="Vote").click()
        _wait_for_text(page, "vote is in")
        students.append((ctx, page))
    _wait_for_text(presenter, r"\b2 votes\b", timeout_s=30)

    presenter.get_by_role("button", name="Discuss in pairs, then vote again").click()
    settle(presenter)
    for (_, page), second in zip(students, (right, right), strict=True):  # the wrong one is convinced
        _wait_for_text(page, "Second vote", timeout_s=30)
        page.get_by_text(second, exact=True).first.click()
        page.get_by_role("button", name="Vote").click()
        _wait_for_text(page, "vote is in")
        page.screenshot(path=str(ARTIFACTS / "lesson-peer-student-second-vote.png"))
    text = _wait_for_text(presenter, r"2 votes · After discussion", timeout_s=30)
    assert "2 votes · First vote" in text, text[:1500]
    assert "moved to the answer" not in text, "the share that moved gives the answer away: after the reveal"
    presenter.screenshot(path=str(ARTIFACTS / "lesson-peer-presenter-two-rounds.png"))

    presenter.get_by_role("button", name="Reveal the answer").click()
    settle(presenter)
    text = _wait_for_text(presenter, "moved to the answer", timeout_s=30)
    assert "Right answers: **" not in text  # rendered, not raw markdown
    assert "1 of 2 in the first vote" in text and "2 of 2 after discussion" in text, text[:2000]
    assert "Of the 1 who were wrong and voted again, 1 moved to the answer (100%)" in text, text[:2000]
    presenter.screenshot(path=str(ARTIFACTS / "lesson-peer-presenter-revealed.png"), full_page=True)
    assert exception_text(presenter) is None, exception_text(presenter)

    with presenter.expect_download() as download:
        presenter.get_by_role("button", name="Download the room's counts (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    counts = {(r["round"], r["answer"]): int(r["votes"]) for r in rows if r["scene"] == str(PEER_SCENE)}
    assert counts[("1", wrong)] == 1 and counts[("1", right)] == 1
    assert counts[("2", right)] == 2 and counts[("2", wrong)] == 0
    assert set(rows[0]) == {"room", "lesson", "scene", "round", "answer", "votes"}
    for ctx, _ in students:
        ctx.close()
    presenter_ctx.close()
