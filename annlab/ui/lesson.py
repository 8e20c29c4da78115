"""Lesson mode: the lesson bar above a page, predict-then-reveal with a class poll, the student's vote.

``app.py`` calls :func:`lesson_bar` before the page runs and :func:`page_end` after it. With
``?lesson=NAME&scene=K`` in the address, the bar shows "scene k of n", the scene's question in large
type, previous and next (keys: Page Up / Page Down, what a presenter's clicker sends), and applies the
scene's settings to the page's widgets when the scene is entered (students follow by opening the link).
A scene with a prediction hides the page until the presenter reveals it; a class poll gives a short room
code, students vote from their own browsers (``?room=CODE``) and the presenter sees the live histogram.
"""

from __future__ import annotations

import streamlit as st

from annlab import lessons as L
from annlab import votes
from annlab.charts import bars
from annlab.ui import snapshot
from annlab.ui.display import read_table, show_chart

_AT = "_lesson_at"  # (lesson, scene) whose settings were last applied in this session
_ROOM = "_lesson_room"  # (code, host secret) of the room this presenter opened
_REVEALED = "_lesson_revealed"  # {(lesson, scene)} revealed in this session
_VOTER = "_voter"  # this browser's random voter token
_VOTED = "_voted"  # {(code, scene): value}
QUESTION_CSS = "font-size: 1.55rem; line-height: 1.3; font-weight: 600; margin: 0.2rem 0 0.4rem 0;"


def _scene_index(lesson: L.Lesson) -> int:
    raw = st.query_params.get("scene", "1")
    try:
        k = int(raw)
    except ValueError:
        k = 1
    return min(max(k, 1), len(lesson.ready))


def apply_scene(scene: L.Scene) -> None:
    """Set the page's widgets to the scene's settings; its other keys go back to their defaults."""
    known = L.page_keys(scene.topic)
    page_keys = known.keys if known else frozenset(scene.settings)
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key in page_keys and key not in scene.settings:
            del st.session_state[key]
    for key, value in scene.settings.items():
        control = known.controls.get(key) if known else None
        st.session_state[key] = L.native(control, value)


def go_to(lesson: L.Lesson, k: int, pages: dict, current) -> None:
    """Enter scene ``k`` (1-based) of ``lesson``: apply its settings and open its page."""
    scene = lesson.ready[k - 1]
    apply_scene(scene)
    st.session_state[_AT] = (lesson.name, k)
    room = st.session_state.get(_ROOM)
    if room is not None:
        try:
            votes.move(room[0], room[1], k, scene.predict)
        except votes.VoteError:
            st.session_state.pop(_ROOM, None)
    target = pages.get(scene.page, current)
    st.switch_page(target, query_params=L.query(lesson, k))


def lesson_bar(current, pages: dict) -> bool:
    """Draw the lesson bar (or the vote form of a student); True when the page itself should run.

    ``current`` is the page ``st.navigation`` chose, ``pages`` every page by its url_path.
    """
    if "room" in st.query_params and _hosting() != st.query_params.get("room", "").upper():
        student_panel(st.query_params.get("room", ""))
        return False
    name = st.query_params.get("lesson")
    if name is None:
        return True
    lesson = L.get(name)
    if lesson is None or not lesson.ready:
        st.warning(f"There is no lesson called {name!r} that opens here; the home page lists the lessons.")
        return True
    k = _scene_index(lesson)
    scene = lesson.ready[k - 1]
    if st.session_state.get(_AT) != (lesson.name, k) or current.url_path != scene.page:
        go_to(lesson, k, pages, current)
    n = len(lesson.ready)
    with st.container(border=True, key="lesson_bar"):
        left, mid, right = st.columns([1.5, 5, 1.5], vertical_alignment="center")
        back = left.button("Previous", key="lesson_prev", disabled=k == 1, shortcut="pageup", width="stretch")
        nxt = right.button("Next", key="lesson_next", disabled=k == n, shortcut="pagedown", width="stretch")
        mid.markdown(f"**{lesson.title}** · scene {k} of {n}: {scene.title}")
        mid.markdown(f"<div style='{QUESTION_CSS}'>{_escape(scene.question)}</div>", unsafe_allow_html=True)
        if back:
            go_to(lesson, k - 1, pages, current)
        if nxt:
            go_to(lesson, k + 1, pages, current)
        show = scene.predict is None or (lesson.name, k) in st.session_state.get(_REVEALED, set())
        if scene.predict is not None:
            show = presenter_poll(lesson, k, scene) or show
        if show:
            st.caption(f"**Look for:** {scene.look_for}")
    return show


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hosting() -> str:
    room = st.session_state.get(_ROOM)
    return room[0] if room else ""


def presenter_poll(lesson: L.Lesson, k: int, scene: L.Scene) -> bool:
    """The presenter's side of a prediction: room code, live histogram, reveal. True once revealed."""
    revealed = st.session_state.setdefault(_REVEALED, set())
    room = st.session_state.get(_ROOM)
    if room is not None and votes.get_room(room[0]) is None:
        st.session_state.pop(_ROOM, None)
        room = None
    left, right = st.columns([2, 3])
    with left:
        if room is None:
            st.markdown("Let the class predict first: open a poll, students vote from their own browsers.")
            if st.button("Open a class poll", key="lesson_poll", icon=":material/how_to_vote:"):
                try:
                    opened, host = votes.open_room(lesson.name, k, scene.predict)
                except votes.VoteError as err:
                    st.error(str(err))
                else:
                    st.session_state[_ROOM] = (opened.code, host)
                    st.rerun()
        else:
            code = room[0]
            base = snapshot.base_url()
            st.markdown(
                f"Room code <span style='font-size:2.2rem;font-weight:700;letter-spacing:0.2rem' "
                f"data-testid='room-code'>{code}</span>",
                unsafe_allow_html=True,
            )
            st.caption(f"Students open {base or 'the lab'}/?room={code}, or type the code on the home page.")
            if st.button("Close the room", key="lesson_close"):
                votes.close(*room)
                st.session_state.pop(_ROOM, None)
                st.rerun()
        if (lesson.name, k) not in revealed:
            if st.button(
                "Reveal the answer", key="lesson_reveal", type="primary", icon=":material/visibility:"
            ):
                revealed.add((lesson.name, k))
                if room is not None:
                    try:
                        votes.reveal(*room)
                    except votes.VoteError:
                        pass
                st.rerun()
            st.info("The figure is hidden until you reveal it.", icon=":material/visibility_off:")
        elif scene.predict.answer:
            st.success(scene.predict.answer)
    with right:
        if room is not None:
            live_histogram(room[0], k, (lesson.name, k) in revealed)
        elif scene.predict.kind == "choice":
            st.markdown("Choices: " + " · ".join(f"**{c}**" for c in scene.predict.choices))
        else:
            unit = f" {scene.predict.unit}" if scene.predict.unit else ""
            st.markdown(f"Predict a number between {scene.predict.low:g} and {scene.predict.high:g}{unit}.")
    return (lesson.name, k) in revealed


@st.fragment(run_every=2.0)
def live_histogram(code: str, k: int, revealed: bool) -> None:
    """The votes so far on scene ``k`` (redrawn every two seconds)."""
    labels, counts = votes.tally(code, k)
    total = sum(counts)
    st.markdown(f"**{total} vote{'s' if total != 1 else ''}** so far", help="Redrawn every two seconds.")
    if labels and total:
        show_chart(bars(labels, counts, y_title="votes", title="What the class predicts", height=200))
    elif labels:
        st.caption("Waiting for the first vote: " + " · ".join(labels))


def _voter() -> str:
    if _VOTER not in st.session_state:
        st.session_state[_VOTER] = votes.new_voter()
    return st.session_state[_VOTER]


def student_panel(code: str) -> None:
    """What a student sees with ``?room=CODE``: the presenter's current question and a vote."""
    st.title("Class poll")
    room = votes.get_room(code)
    if room is None:
        st.error(f"There is no open room {code.upper()!r}: check the code on the presenter's screen.")
        return join_form()
    student_question(room.code)


@st.fragment(run_every=2.0)
def student_question(code: str) -> None:
    room = votes.get_room(code)
    if room is None:
        return st.warning("The room has closed. Thank you!")
    lesson = L.get(room.lesson)
    scenes = lesson.ready if lesson else ()
    scene = scenes[room.scene - 1] if 0 < room.scene <= len(scenes) else None
    st.caption(f"Room {room.code} · {lesson.title if lesson else room.lesson} · scene {room.scene}")
    if scene is None:
        return st.info("Waiting for the presenter.")
    st.markdown(f"<div style='{QUESTION_CSS}'>{_escape(scene.question)}</div>", unsafe_allow_html=True)
    voted = st.session_state.setdefault(_VOTED, {})
    link = f"/{scene.page}?lesson={room.lesson}&scene={room.scene}"
    if room.closed:
        return st.info("The presenter closed the room.")
    if room.prediction is None:
        return st.markdown(f"No vote on this scene: [open it yourself]({link}).")
    if room.revealed:
        st.success("The answer is on the presenter's screen.")
        return st.markdown(f"[Open this scene yourself]({link})")
    if (room.code, room.scene) in voted:
        return st.success(f"Your vote is in: **{voted[(room.code, room.scene)]}**. Wait for the reveal.")
    p = room.prediction
    with st.form(key=f"vote_{room.code}_{room.scene}", border=False):
        if p.kind == "choice":
            value = st.radio("Your prediction", p.choices, index=None, key=f"vote_value_{room.scene}")
        else:
            label = f"Your prediction ({p.low:g} to {p.high:g}{' ' + p.unit if p.unit else ''})"
            value = st.number_input(label, value=None, key=f"vote_value_{room.scene}")
        sent = st.form_submit_button("Vote", type="primary")
    if sent:
        if value is None:
            return st.warning("Pick an answer first.")
        try:
            st.success(votes.cast(room.code, _voter(), room.scene, value))
            voted[(room.code, room.scene)] = value
        except votes.VoteError as err:
            st.error(str(err))


def join_form() -> None:
    """A room-code box: a student types the presenter's code and joins the poll."""
    with st.form("join_room", border=False):
        code = st.text_input("Room code", max_chars=votes.CODE_LENGTH, placeholder="K7QM", key="join_code")
        go = st.form_submit_button("Join the class poll", icon=":material/how_to_vote:")
    if go:
        if votes.get_room(code) is None:
            st.error("There is no open room with that code: check the presenter's screen.")
        else:
            st.query_params["room"] = code.strip().upper()
            st.rerun()


def page_end(current, shown: bool) -> None:
    """After the page: the snapshot buttons (and, in a lesson, keep this scene's shot for the lesson ZIP)."""
    if "room" in st.query_params and not _hosting():
        return
    title = current.title or "Home"
    lesson = L.get(st.query_params.get("lesson", "")) if "lesson" in st.query_params else None
    st.divider()
    if lesson is None or not lesson.ready:
        return snapshot.snapshot_button(title, current.url_path)
    k = _scene_index(lesson)
    shot = snapshot.current_shot(lesson.ready[k - 1].title, current.url_path)
    if shown:
        snapshot.remember_scene(lesson.name, k, shot)
    shots = snapshot.lesson_shots(lesson, lesson.ready, k, shot)
    snapshot.snapshot_button(title, current.url_path, lesson=lesson, scene_shots=shots)


def lessons_list() -> None:
    """The lessons, as links to their first scene (the home page shows it)."""
    found, problems = L.load_all()
    for lesson in found.values():
        if not lesson.ready:
            continue
        first = lesson.ready[0]
        waiting = f" · {len(lesson.pending)} scene(s) wait for their page" if lesson.pending else ""
        st.page_link(
            _page_file(first.page),
            label=f"{lesson.title} ({len(lesson.ready)} scenes{waiting})",
            query_params=L.query(lesson, 1),
            icon=":material/school:",
            help=lesson.source,
        )
    for name, err in problems.items():
        st.warning(f"Lesson file {name}.toml does not load: {err}")


def _page_file(url_path: str) -> str:
    return L.TOPIC_BY_PATH[url_path].view


# ---------------------------------------------------------------------------------------------------
# Headless: a scene opened without a browser (tests, ``warm --lesson``, the benchmark)


def open_scene(
    lesson: L.Lesson,
    k: int,
    *,
    timeout: float = 600,
    reveal: bool = True,
    device: str = "auto",
    press: bool = True,
):
    """Run ``app.py`` in Streamlit's AppTest at scene ``k`` of ``lesson``, revealed; returns the AppTest.

    With ``press``, the buttons the scene names in ``press`` are pressed (by label) after the first
    run, as a presenter would before reading the result. Training happens in this thread (set
    ``ANNLAB_TRAIN_WORKERS=0`` before the first training). Raises :class:`LookupError` when a button
    to press is not on the page, and AppTest's ``RuntimeError`` when a run exceeds ``timeout``.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(L.REPO_ROOT / "app.py"), default_timeout=timeout)
    for key, value in L.query(lesson, k).items():
        at.query_params[key] = value
    if device != "auto":
        at.query_params["device"] = device
    scene = lesson.ready[k - 1]
    if reveal and scene.predict is not None:
        at.session_state[_REVEALED] = {(lesson.name, k)}
    at.run()
    if press and not at.exception:
        for label in scene.press:
            buttons = [b for b in at.button if _plain(b.label) == _plain(label)]
            if not buttons:
                raise LookupError(f"no button {label!r} on the page of {lesson.name} scene {k}")
            buttons[0].click().run()
    return at


def _plain(label: str) -> str:
    return label.replace("*", "").strip().lower()


def judge_scene(scene: L.Scene, text: str, *, real: bool) -> list[str]:
    """What went wrong with the scene's checks on ``text`` (fast checks only unless ``real``)."""
    problems = []
    for i, check in enumerate(scene.checks, 1):
        if check.fast or real:
            problem = check.judge(text)
            if problem:
                problems.append(f"checks[{i}]: {problem}")
    return problems


def vacuous(check: L.Check, text: str) -> list[str]:
    """How ``check`` fails to fail on ``text`` (the mutation test): with its number moved just past
    each bound (and past the number it compares with), and with its pattern removed. Empty: it can
    fail every way it claims."""
    out = []
    match, _ = check.read(text)
    if match is None:
        return [f"'{check.find}' does not match, so it cannot be mutated"]
    absent = text[: match.start()] + text[match.end() :]
    while (again := check.read(absent)[0]) is not None:  # every occurrence goes
        absent = absent[: again.start()] + absent[again.end() :]
    if check.judge(absent) is None:
        out.append("holds with its pattern absent")
    for direction, bound in check.outside(text):
        mutated = check.mutate(text, direction, bound)
        if mutated is None:
            out.append(f"its number cannot be written {direction} past {bound:g}")
        elif check.judge(mutated) is None:
            out.append(f"holds with its number moved {direction} past {bound:g}")
    return out


def check_file(path: str, *, real: bool = False, device: str = "cpu", report=print) -> int:
    """``python -m annlab lesson check FILE [--real]``: validate a lesson file, open every scene and
    run its checks. Exit code 0 (all hold), 1 (a check failed or a scene did not open), 2 (the file
    is malformed: one line naming file, scene and key)."""
    import os
    import time
    from pathlib import Path

    try:
        lesson = L.load(path)
    except L.LessonError as err:
        report(f"error: {err}")
        return 2
    if not Path(path).resolve().parent == L.LESSON_DIR.resolve():
        report(f"note: {Path(path).name} is not in lessons/: it opens here, not from the home page")
    if not real:
        os.environ["ANNLAB_FAST"] = "1"
    os.environ["ANNLAB_TRAIN_WORKERS"] = "0"
    name = Path(path).name
    failed = 0
    for scene in lesson.pending:
        report(f"{name}, '{scene.title}': pending: {scene.pending}")
    for k, scene in enumerate(lesson.ready, 1):
        start = time.perf_counter()
        where = f"{name}, scene {k} '{scene.title}'"
        try:
            at = open_scene(lesson, k, device=device)
        except Exception as err:  # noqa: BLE001 - a scene that cannot open is reported, the rest run
            failed += 1
            report(f"{where}: did not open ({type(err).__name__}: {str(err)[:200]})")
            continue
        if at.exception:
            failed += 1
            report(f"{where}: the page raised {str(at.exception[0].value)[:200]}")
            continue
        problems = judge_scene(scene, page_text(at), real=real)
        failed += bool(problems)
        seconds = time.perf_counter() - start
        if problems:
            for problem in problems:
                report(f"{where}, {problem}")
        else:
            n = sum(1 for c in scene.checks if c.fast or real)
            state = f"{n} check(s) hold" if n else f"no check ({scene.why or 'real mode only'})"
            report(f"{where}: {state} ({seconds:.1f} s)")
    report(f"{name}: {'all checks hold' if not failed else f'{failed} scene(s) failed'}")
    return 1 if failed else 0


def page_text(at) -> str:
    """Everything an AppTest run shows as text: headings, markdown, captions, alerts, metrics, tables,
    and each chart's title with its data (charts of at most :data:`CHART_ROWS` rows), as the lesson
    checks read it."""
    import pandas as pd

    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "success",
        "info",
        "warning",
        "error",
    ):
        parts += [str(e.value) for e in getattr(at, kind) if not str(e.value).startswith("<style>")]
    for m in at.metric:
        parts.append(f"{m.label}: {m.value}")
    with pd.option_context("display.max_columns", None, "display.width", 100_000, "display.max_colwidth", 80):
        for df in at.dataframe:
            value = df.value
            frame = getattr(value, "data", value)  # a Styler holds its frame in .data
            parts.append(frame.to_string() if isinstance(frame, pd.DataFrame) else str(frame))
        for t in at.table:
            parts.append(str(t.value))
        for h in at.html:
            if (frame := read_table(h.proto.body)) is not None:
                parts.append(str(frame))
        parts += chart_texts(at)
    return "\n".join(parts)


CHART_ROWS = 60


def chart_texts(at) -> list[str]:
    """Each Vega-Lite chart of the run as text: "Chart: TITLE" and its small data sets as tables."""
    import json

    import pyarrow as pa

    out = []
    stack = [at._tree]
    while stack:
        node = stack.pop()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children[k] for k in sorted(children, reverse=True))
        if getattr(node, "type", None) != "vega_lite_chart":
            continue
        proto = node.proto
        try:
            spec = json.loads(proto.spec)
        except ValueError:
            continue
        titles = [_title(spec)] + [_title(layer) for layer in spec.get("layer", []) + spec.get("vconcat", [])]
        out.append("Chart: " + " · ".join(t for t in titles if t))
        for data in [*proto.datasets, proto]:
            raw = data.data.data if hasattr(data, "data") and hasattr(data.data, "data") else b""
            if not raw:
                continue
            try:
                frame = pa.ipc.open_stream(raw).read_all().to_pandas()
            except Exception:  # noqa: BLE001 - a chart's data the text view cannot read
                continue
            if len(frame) <= CHART_ROWS:
                out.append(frame.to_string(index=False))
    return out


def _title(spec: dict) -> str:
    title = spec.get("title") if isinstance(spec, dict) else None
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else ""


def widget_keys(at) -> set[str]:
    """The user keys of every widget (and keyed tab set) the run drew."""
    keys = set()
    stack = [at._tree]
    while stack:
        node = stack.pop()
        key = getattr(node, "key", None)
        if isinstance(key, str):
            keys.add(key)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return keys


def warm_lessons(names: list[str], device: str, report) -> int:
    """``python -m annlab warm --lesson NAME``: open every scene of the lessons headless, so everything
    they show is trained into the model store (a class then runs on cache hits). Returns an exit code."""
    import os
    import time

    os.environ["ANNLAB_TRAIN_WORKERS"] = "0"  # AppTest runs no job-panel fragment: train in this thread
    found, problems = L.load_all()
    unknown = [n for n in names if n not in found]
    if unknown:
        for name in unknown:
            report(f"lesson {name!r}: " + problems.get(name, f"no such lesson; known: {sorted(found)}"))
        return 2
    failed = 0
    for name in names:
        lesson = found[name]
        for scene in lesson.pending:
            report(f"[{name}] skipped (pending): {scene.pending}")
        for k, scene in enumerate(lesson.ready, 1):
            start = time.perf_counter()
            at = open_scene(lesson, k, device=device)
            errors = [str(e.value)[:300] for e in at.exception]
            failed += bool(errors)
            state = f"error: {errors[0]}" if errors else "ready"
            report(
                f"[{name}] scene {k}/{len(lesson.ready)} {scene.title}: {state} "
                f"({time.perf_counter() - start:.1f} s)"
            )
    return 1 if failed else 0
