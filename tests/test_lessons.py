"""Lessons: every shipped file validates, bad files say what is wrong, every scene opens at its settings
(its keys are widgets the page draws), its phenomenon shows where it can be read, and the lesson bar
steps, hides and reveals."""

import os

import pytest

from annlab import lessons as L
from annlab.topics import Topic
from annlab.ui import lesson as UL

os.environ.setdefault("ANNLAB_TRAIN_WORKERS", "0")  # train in the script thread, as AppTest needs

LESSONS, PROBLEMS = L.load_all()
SCENES = [(lesson, k) for lesson in LESSONS.values() for k in range(1, len(lesson.ready) + 1)]


def test_every_shipped_lesson_validates():
    assert PROBLEMS == {}
    assert len(LESSONS) >= 13
    assert sum(len(lesson.scenes) for lesson in LESSONS.values()) >= 60


def test_every_report_section_has_a_lesson():
    sources = " ".join(lesson.source for lesson in LESSONS.values())
    for section in ("1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2"):
        assert f"section {section}" in sources or f"sections {section}" in sources, section
    for report in ("000", "002", "003", "004"):
        assert sources.count(report) >= 1, report


def test_seventy_scenes_are_checked_and_the_others_say_why():
    scenes = [s for lesson in LESSONS.values() for s in lesson.scenes]
    assert sum(1 for s in scenes if s.checks) >= 70
    assert all(s.checks or s.why for s in scenes)


CHECKS = [
    (lesson.name, k, i, check)
    for lesson in LESSONS.values()
    for k, scene in enumerate(lesson.scenes, 1)
    for i, check in enumerate(scene.checks, 1)
]


def _page(check: L.Check) -> str:
    """A page text the check holds on, written from its own patterns: its number in range (and on the
    right side of the number it compares with), between lines of other text."""
    if check.min is not None and check.max is not None:
        values = [(check.min + check.max) / 2]
    elif check.max is not None:
        values = [check.max / 2 if check.max > 0 else check.max - 1]
    elif check.min is not None:
        values = [check.min * 1.5 if check.min > 0 else check.min + 1]
    else:
        values = [0.3, 5.0] if check.below else [0.6 + check.by, 10.0 + check.by]
    pairs = []
    values += [b for b in (check.min, check.max) if b is not None]  # a bound itself is in range
    for value in values + ([0.3, 5.0] if check.below else [0.6 + check.by, 10.0 + check.by]):
        if check.above:
            pairs.append((value, (value - check.by) / 2))
        elif check.below:
            pairs.append((value, value + check.by + max(abs(value), 0.3)))
        else:
            pairs.append((value, None))
    forms = [(p, q) for p in range(5) for q in range(5)]  # decimals of the number and of the reference
    for value, ref in [(round(v, 6), None if r is None else round(r, 6)) for v, r in pairs]:
        for places, ref_places in forms:  # the first written form the patterns read back, in range
            number = f"{value:.{places}f}"
            if float(number) != value or (ref is not None and float(f"{ref:.{ref_places}f}") != ref):
                continue  # written rounded: not the number meant
            text = "other text\n" + L.example(check.find, number if check.numeric else None) + "\n"
            if ref is not None:
                text += L.example(check.above or check.below, f"{ref:.{ref_places}f}") + "\nmore\n"
            if check.judge(text) is None:
                return text
    raise AssertionError(f"no example page on which {check.find!r} holds: {check.judge(text)}")


@pytest.mark.parametrize("item", CHECKS, ids=[f"{n}-{k}-{i}" for n, k, i, _ in CHECKS])
def test_every_shipped_check_can_fail(item):
    """The mutation test: each check holds on a page written from its patterns, and fails with its
    number moved just outside its range, past the number it compares with, or with the pattern gone."""
    name, k, i, check = item
    text = _page(check)
    assert check.judge(text) is None
    assert UL.vacuous(check, text) == [], f"{name} scene {k} check {i}: {UL.vacuous(check, text)}"
    assert check.judge("") is not None


def test_the_mutation_test_catches_a_vacuous_check():
    text = "Test accuracy: 85.5%\nBaseline: 30.9%"
    assert UL.vacuous(L.Check(r"accuracy: (\d+\.\d)%", "w", max=100), text) == []  # 100.1 fails
    digits_only = L.Check(r"accuracy: (\d+\.\d)%", "w", min=0)  # a number this pattern reads is never < 0
    assert UL.vacuous(digits_only, text) == ["its number cannot be written down past 0"]
    compare = L.Check(r"Test accuracy: (\d+\.\d)%", "w", above=r"Baseline: (\d+\.\d)%", by=10)
    assert compare.judge(text) is None and UL.vacuous(compare, text) == []
    assert "not above 30.9 by 10" in compare.judge("Test accuracy: 35.0%\nBaseline: 30.9%")


def write(tmp_path, text, name="bad"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


GOOD_SCENE = """
[[scenes]]
page = "Hopfield"
title = "t"
question = "q?"
look_for = "l"
checks = []
why = 'w'
"""
BARE = GOOD_SCENE.replace("checks = []\nwhy = 'w'\n", "")


@pytest.mark.parametrize(
    "text, message",
    [
        ("title = 'x'\nsource = 's'\n[[scenes]\n", "not valid TOML"),
        ("title = 'x'\nsource = 's'\n", "at least one"),
        ("source = 's'\n" + GOOD_SCENE, "'title' is missing"),
        ("title = 'x'\nsource = 's'\ncolour = 1\n" + GOOD_SCENE, "unknown field"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE.replace("Hopfield", "Nowhere"), "not a page of the lab"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE.replace('question = "q?"', ""), "'question' is missing"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE + "settings = { hop_nosuch = 1 }\n", "reads no key"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE + "settings = { hop_noise = -1.0 }\n", "outside"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE + "settings = { hop_rule = 'magic' }\n", "not among"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE + "settings = { seed = 3 }\n", "lab-wide"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE + "predict = { choices = ['only one'] }\n", "2 to 8"),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE + "predict = { low = 3, high = 1 }\n", "low < high"),
        (
            "title = 'x'\nsource = 's'\n" + BARE + "checks = [{ find = '(', why = 'w' }]\n",
            "regular expression",
        ),
        ("title = 'x'\nsource = 's'\n" + BARE + "checks = [{ find = 'a' }]\n", "'why' is missing"),
        (
            "title = 'x'\nsource = 's'\n" + GOOD_SCENE.replace("checks = []\nwhy = 'w'\n", ""),
            "'checks' is missing",
        ),
        ("title = 'x'\nsource = 's'\n" + GOOD_SCENE.replace("why = 'w'\n", ""), "'why' is missing"),
        (
            "title = 'x'\nsource = 's'\n"
            + GOOD_SCENE.replace("checks = []", "checks = [{ find = 'a', why = 'b' }]"),
            "'why' is for a scene with checks",
        ),
        (
            "title = 'x'\nsource = 's'\n"
            + GOOD_SCENE
            + "predict = { choices = ['a', 'b'], correct = 'c' }\n",
            "not one of",
        ),
        (
            "title = 'x'\nsource = 's'\n" + GOOD_SCENE + "predict = { low = 0, high = 1, check = 2 }\n",
            "names no check",
        ),
        (
            "title = 'x'\nsource = 's'\n"
            + GOOD_SCENE.replace(
                "checks = []\nwhy = 'w'\n", "checks = [{ find = 'a', why = 'b', max = 1 }]\n"
            ),
            "needs a group",
        ),
        (
            "title = 'x'\nsource = 's'\n"
            + GOOD_SCENE.replace(
                "checks = []\nwhy = 'w'\n", "checks = [{ find = '(1)', why = 'b', by = 1 }]\n"
            ),
            "'by' is the margin",
        ),
    ],
)
def test_a_bad_file_gets_a_clear_message(tmp_path, text, message):
    with pytest.raises(L.LessonError, match=message) as err:
        L.load(write(tmp_path, text))
    assert "bad.toml" in str(err.value)
    lessons, problems = L.load_all(tmp_path)
    assert lessons == {} and message.split()[0] in problems["bad"]


def test_a_scene_waiting_for_its_page_is_pending_not_an_error(tmp_path, monkeypatch):
    topic = Topic("Soon", "Soon", "Applications", ":material/star:", "l", "views/soon.py", "m:f", "soon_x")
    monkeypatch.setitem(L.TOPIC_BY_PATH, "Soon", topic)
    scene = (
        GOOD_SCENE
        + '\n[[scenes]]\npage = "Soon"\ntitle = "t"\nquestion = "q"\nlook_for = "l"\nchecks = []\nwhy = "w"\n'
    )
    with pytest.raises(L.LessonError, match="waits for its page"):
        L.load(write(tmp_path, "title = 'x'\nsource = 's'\n" + scene))
    lesson = L.load(write(tmp_path, "title = 'x'\nsource = 's'\n" + scene + "waiting = true\n"))
    assert len(lesson.scenes) == 2 and len(lesson.ready) == 1
    assert "views/soon.py" in lesson.pending[0].pending


def test_checks_judge_numbers_and_say_why():
    check = L.Check(r"(\d+) of 10 digits retrieved", "why", min=6)
    assert check.judge("**8 of 10 digits retrieved** with ...") is None
    assert "outside" in check.judge("**2 of 10 digits retrieved**")
    assert "not found" in check.judge("nothing here")
    assert L.Check(r"acc (\d+\.\d)%", "w", max=50).judge("acc 12.5%") is None


def _scene_id(item):
    lesson, k = item
    return f"{lesson.name}-{k}"


@pytest.mark.parametrize("item", SCENES, ids=[_scene_id(s) for s in SCENES])
def test_every_scene_opens_at_its_settings_and_shows_its_phenomenon(item):
    lesson, k = item
    scene = lesson.ready[k - 1]
    at = UL.open_scene(lesson, k)
    errors = [str(e.value)[:500] for e in at.exception]
    assert not errors, errors
    drawn = UL.widget_keys(at)
    assert set(scene.settings) <= drawn, f"keys the page did not draw: {set(scene.settings) - drawn}"
    for key, value in scene.settings.items():  # the widgets hold the scene's values
        got = at.session_state[key]
        want = L.native(L.page_keys(scene.topic).controls.get(key), value)
        assert list(got) == list(want) if isinstance(want, list | tuple) else got == want, (key, got, want)
    text = UL.page_text(at)
    assert f"scene {k} of {len(lesson.ready)}" in text
    own = " ".join([scene.question, scene.look_for, *(scene.predict.choices if scene.predict else ())])
    own += " " + (scene.predict.answer if scene.predict else "")
    for check in scene.checks:
        assert check.judge(own) is not None, f"check {check.find!r} matches the lesson's own words"
        if check.fast:
            problem = check.judge(text)
            assert problem is None, problem


def _text(at) -> str:
    return UL.page_text(at)


def test_the_bar_hides_the_answer_steps_and_applies_each_scenes_settings():
    lesson = LESSONS["hopfield"]
    k = next(
        i for i, s in enumerate(lesson.ready, 1) if s.predict and s.settings.get("hop_drule") == "hebbian"
    )
    at = UL.open_scene(lesson, k, reveal=False)
    assert not at.exception
    assert f"scene {k} of {len(lesson.ready)}" in _text(at)
    assert "digits retrieved" not in _text(at), "the figure is hidden until the reveal"
    at.button(key="lesson_reveal").click().run()
    assert "digits retrieved" in _text(at)
    at.button(key="lesson_next").click().run()
    assert f"scene {k + 1} of" in _text(at)
    assert at.query_params["scene"] in (str(k + 1), [str(k + 1)])
    assert at.session_state["hop_drule"] == lesson.ready[k].settings["hop_drule"]
    at.button(key="lesson_prev").click().run()
    assert f"scene {k} of" in _text(at) and at.session_state["hop_drule"] == "hebbian"


def test_a_class_poll_from_presenter_to_students_and_back():
    from streamlit.testing.v1 import AppTest

    from annlab import votes

    lesson = LESSONS["hopfield"]
    k = next(i for i, s in enumerate(lesson.ready, 1) if s.predict and s.predict.kind == "choice")
    presenter = UL.open_scene(lesson, k, reveal=False)
    presenter.button(key="lesson_poll").click().run()
    code, _ = presenter.session_state["_lesson_room"]
    assert code in _text(presenter)
    student = AppTest.from_file(str(L.REPO_ROOT / "app.py"), default_timeout=120)
    student.query_params["room"] = code.lower()
    student.run()
    assert lesson.ready[k - 1].question[:30] in _text(student)
    choice = lesson.ready[k - 1].predict.choices[0]
    student.radio(key=f"vote_value_{k}_1").set_value(choice)
    student.button[0].click().run()
    assert "vote is in" in _text(student)
    for _ in range(2):
        votes.cast(code, votes.new_voter(), k, choice)
    presenter.run()
    assert "3 votes" in _text(presenter)
    presenter.button(key="lesson_reveal").click().run()
    assert votes.get_room(code).revealed
    with pytest.raises(votes.VoteError, match="already shown"):
        votes.cast(code, votes.new_voter(), k, choice)


def test_warm_lesson_trains_what_the_scenes_use_then_nothing(tmp_path, monkeypatch):
    import streamlit as st

    from annlab import store
    from annlab.__main__ import main

    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    assert main(["warm", "--device", "cpu", "--lesson", "boltzmann"]) == 0
    assert list(tmp_path.glob("*.pt")), "warm --lesson trained nothing into the store"
    st.cache_resource.clear()  # only the store may answer now
    st.cache_data.clear()
    before = len(store.TRAINED)
    lesson = LESSONS["boltzmann"]
    for k in range(1, len(lesson.ready) + 1):
        at = UL.open_scene(lesson, k, device="cpu")
        assert not at.exception, at.exception
    assert store.TRAINED[before:] == [], store.TRAINED[before:]
    assert main(["warm", "--lesson", "no-such-lesson"]) == 2


def test_the_home_page_lists_every_lesson_with_a_link_to_its_first_scene():
    from pagetest import errors, open_page

    at = open_page(None)
    assert not errors(at), errors(at)
    links = [str(link.proto) for link in at.get("page_link")]
    for lesson in LESSONS.values():
        assert any(f"lesson={lesson.name}&scene=1" in link for link in links), lesson.name


def test_lesson_check_cli_names_file_scene_and_key_and_exits_2_on_a_malformed_file(tmp_path, capsys):
    from annlab.__main__ import main

    bad = write(tmp_path, "title = 'x'\nsource = 's'\n" + GOOD_SCENE + "settings = { hop_rule = 'magic' }\n")
    assert main(["lesson", "check", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "bad.toml, scene 1" in out and "hop_rule" in out and "not among the options" in out
    broken = write(tmp_path, "title = 'x'\n[[scenes]\n", name="broken")
    assert main(["lesson", "check", str(broken)]) == 2
    assert "broken.toml: not valid TOML" in capsys.readouterr().out
    checkless = write(tmp_path, "title = 'x'\nsource = 's'\n" + BARE, name="checkless")
    assert main(["lesson", "check", str(checkless)]) == 2
    assert "checkless.toml, scene 1: 'checks' is missing" in capsys.readouterr().out


def test_lesson_check_cli_runs_the_checks_and_names_the_failing_one(tmp_path, capsys, monkeypatch):
    from annlab.__main__ import main

    monkeypatch.delenv("ANNLAB_LESSON_FILE", raising=False)

    scene = (
        '[[scenes]]\npage = "Hopfield"\ntitle = "Two neurons"\nquestion = "q?"\nlook_for = "l"\n'
        'settings = { hop_tab = "Small networks", hop_preset = "2 neurons: [1,1], [-1,-1], [1,-1]", '
        'hop_rule = "newhop", hop_starts = "random inputs" }\n'
    )
    holds = (
        "checks = [{ find = 'Stable corners of the cube\\** \\((\\d+) of 4\\)', min = 4, why = 'four' }]\n"
    )
    fails = "checks = [{ find = 'Stable corners of the cube\\** \\((\\d+) of 4\\)', max = 2, why = 'two' }]\n"
    good = write(tmp_path, "title = 'x'\nsource = 's'\n" + scene + holds, name="good")
    assert main(["lesson", "check", str(good)]) == 0
    assert "good.toml, scene 1 'Two neurons': 1 check(s) hold" in capsys.readouterr().out
    wrong = write(tmp_path, "title = 'x'\nsource = 's'\n" + scene + fails, name="wrong")
    assert main(["lesson", "check", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "wrong.toml, scene 1 'Two neurons', checks[1]: 4 is outside [None, 2.0] (two)" in out


def test_a_student_alone_answers_and_the_reveal_says_right_or_wrong_and_why():
    lesson = LESSONS["hopfield"]
    k = next(i for i, s in enumerate(lesson.ready, 1) if s.predict and s.predict.correct)
    scene = lesson.ready[k - 1]
    wrong = next(c for c in scene.predict.choices if c != scene.predict.correct)
    for choice, verdict in ((scene.predict.correct, "Right."), (wrong, "Not quite")):
        at = UL.open_scene(lesson, k, reveal=False)
        at.radio(key=f"lesson_mine_{lesson.name}_{k}").set_value(choice)
        at.button[[b.label for b in at.button].index("Check my prediction")].click().run()
        assert not at.exception, at.exception
        text = _text(at)
        assert f"Your prediction: **{choice}**. {verdict}" in text, text[:2000]
        assert scene.look_for[:40] in text and "What the page shows" in text
        if verdict != "Right.":
            assert f"the answer is **{scene.predict.correct}**" in text
        for check in scene.checks:  # each pinned number, as the page showed it
            value = check.read(text)[1]
            assert value is not None and f"{check.why}: **{value:g}**" in text


def test_a_number_prediction_at_home_is_judged_against_the_number_on_the_page():
    lesson = LESSONS["hopfield"]
    k = next(i for i, s in enumerate(lesson.ready, 1) if s.predict and s.predict.check)
    scene = lesson.ready[k - 1]
    at = UL.open_scene(lesson, k)
    truth = scene.checks[scene.predict.check - 1].read(_text(at))[1]
    at = UL.open_scene(lesson, k, reveal=False)
    at.number_input(key=f"lesson_mine_{lesson.name}_{k}").set_value(truth)
    at.button[[b.label for b in at.button].index("Check my prediction")].click().run()
    assert "Right." in _text(at), _text(at)[:1500]


def test_the_worked_example_in_the_docs_is_a_valid_lesson(tmp_path):
    import re

    text = (L.REPO_ROOT / "docs" / "lessons.md").read_text()
    block = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    lesson = L.load(write(tmp_path, block, name="example"))
    assert len(lesson.scenes) == 3 and lesson.scenes[0].predict.correct and lesson.scenes[2].why
