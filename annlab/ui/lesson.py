"""Lesson mode: the lesson bar above a page, predict-then-reveal with a class poll, the student's vote.

``app.py`` calls :func:`lesson_bar` before the page runs and :func:`page_end` after it. With
``?lesson=NAME&scene=K`` in the address, the bar shows "scene k of n", the scene's question in large
type, previous and next (keys: Page Up / Page Down, what a presenter's clicker sends), and applies the
scene's settings to the page's widgets when the scene is entered (students follow by opening the link).
A scene with a prediction hides the page until the presenter reveals it; a class poll gives a short room
code, students vote from their own browsers (``?room=CODE``) and the presenter sees the live histogram.
Peer instruction (Mazur): after the first vote the class discusses in pairs and votes again; the presenter
sees both histograms side by side, after the reveal the share of wrong first votes that moved to the
answer, and downloads the room's counts as CSV. A student alone (no room) answers in the bar and the
reveal says whether the prediction was right and why: the look-for and the numbers the scene's checks
read on the page.
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
_VOTED = "_voted"  # {(code, scene, round): value}
_MINE = "_lesson_mine"  # {(lesson, scene): value} a student's own prediction (at home, no room)
_TRUTH = "_lesson_truth"  # {(lesson, scene): number} what the prediction's check read on the page
_SLOT = "_lesson_slot"  # the bar's container where the at-home verdict goes (filled after the page)
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
            mine = (lesson.name, k) in st.session_state.get(_MINE, {})
            numbered = scene.predict is not None and bool(scene.predict.check)
            polled = numbered and st.session_state.get(_ROOM) is not None
            if mine or polled:  # only then: recording costs a little on every rerun
                _Recorder.start()  # the page's text, for the verdict and the pinned numbers
                st.session_state[_SLOT] = st.container()
    return show


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hosting() -> str:
    room = st.session_state.get(_ROOM)
    return room[0] if room else ""


def presenter_poll(lesson: L.Lesson, k: int, scene: L.Scene) -> bool:
    """The presenter's side of a prediction: room code, live histograms (first vote, and the second
    after discussion), reveal, the room's counts as CSV; without a room, a student's own answer (at
    home). True once revealed."""
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
            current = votes.get_room(code)
            if current is not None and current.round == 1 and (lesson.name, k) not in revealed:
                if st.button(
                    "Discuss in pairs, then vote again",
                    key="lesson_round2",
                    icon=":material/forum:",
                    help="Peer instruction: the class talks it over, then everyone votes once more.",
                ):
                    try:
                        votes.second_round(*room)
                    except votes.VoteError as err:
                        st.error(str(err))
                    else:
                        st.rerun()
            if st.button("Close the room", key="lesson_close"):
                votes.close(*room)
                st.session_state.pop(_ROOM, None)
                st.rerun()
        if (lesson.name, k) not in revealed:
            if room is None:
                home_answer(lesson, k, scene)
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
            live_histogram(room[0], lesson.name, k, (lesson.name, k) in revealed)
            room_csv(room[0], lesson)
        elif scene.predict.kind == "choice":
            st.markdown("Choices: " + " · ".join(f"**{c}**" for c in scene.predict.choices))
        else:
            unit = f" {scene.predict.unit}" if scene.predict.unit else ""
            st.markdown(f"Predict a number between {scene.predict.low:g} and {scene.predict.high:g}{unit}.")
    return (lesson.name, k) in revealed


def home_answer(lesson: L.Lesson, k: int, scene: L.Scene) -> None:
    """A student alone: their own prediction, then the reveal says whether it was right and why."""
    p = scene.predict
    key = f"lesson_mine_{lesson.name}_{k}"  # one per scene: a choice never meets another scene's options
    with st.form(key=f"lesson_home_{lesson.name}_{k}", border=False):
        if p.kind == "choice":
            value = st.radio("Alone? Your prediction", p.choices, index=None, key=key)
        else:
            unit = f" {p.unit}" if p.unit else ""
            label = f"Alone? Your prediction ({p.low:g} to {p.high:g}{unit})"
            value = st.number_input(label, min_value=p.low, max_value=p.high, value=None, key=key)
        sent = st.form_submit_button("Check my prediction", icon=":material/task_alt:")
    if sent:
        if value is None:
            st.warning("Pick an answer first.")
            return
        st.session_state.setdefault(_MINE, {})[(lesson.name, k)] = value
        st.session_state.setdefault(_REVEALED, set()).add((lesson.name, k))
        st.rerun()


def _right_of(lesson_name: str, k: int, prediction: L.Prediction):
    """``value -> bool | None``: whether a vote is right (None when the lesson does not say)."""
    truth = st.session_state.get(_TRUTH, {}).get((lesson_name, k))
    return lambda value: prediction.right(value, truth)


@st.fragment(run_every=2.0)
def live_histogram(code: str, lesson_name: str, k: int, revealed: bool) -> None:
    """The votes so far on scene ``k`` (redrawn every two seconds); once a second vote is open, both
    rounds side by side, and after the reveal the share of wrong first votes that moved to the answer."""
    room = votes.get_room(code)
    if room is None:
        return
    rounds = (1, 2) if room.round == 2 else (1,)
    columns = st.columns(len(rounds)) if len(rounds) > 1 else [st.container()]
    for round_, column in zip(rounds, columns, strict=True):
        labels, counts = votes.tally(code, k, round=round_)
        total = sum(counts)
        title = "First vote" if round_ == 1 else "After discussion"
        with column:
            word = f"vote{'s' if total != 1 else ''}"
            st.markdown(f"**{total} {word}**" + (f" · {title}" if len(rounds) > 1 else " so far"))
            if labels and total:
                show_chart(bars(labels, counts, y_title="votes", title=title, height=200))
            elif labels:
                st.caption("Waiting for the first vote: " + " · ".join(labels))
    if revealed and len(rounds) > 1 and room.prediction is not None:
        moved = votes.shift(code, k, _right_of(lesson_name, k, room.prediction))
        p = room.prediction
        truth = st.session_state.get(_TRUTH, {}).get((lesson_name, k))
        if not ((p.kind == "choice" and p.correct) or (p.kind == "number" and truth is not None)):
            st.caption("The lesson names no right answer for this question: compare the two histograms.")
        else:
            share = "—" if moved.moved is None else f"{moved.moved:.0%}"
            st.markdown(
                f"Right answers: **{moved.right1} of {moved.n1}** in the first vote, **{moved.right2} of "
                f"{moved.n2}** after discussion. Of the {moved.wrong_both} who were wrong and voted again, "
                f"**{moved.wrong_then_right} moved to the answer ({share})**."
            )


def room_csv(code: str, lesson: L.Lesson) -> None:
    """The room's counts per scene and round, as CSV (no voter tokens)."""
    predictions = {i: s.predict for i, s in enumerate(lesson.ready, 1) if s.predict is not None}
    st.download_button(
        "Download the room's counts (CSV)",
        data=votes.counts_csv(code, lesson.name, predictions),
        file_name=f"room-{code}-{lesson.name}.csv",
        mime="text/csv",
        key="lesson_csv",
        icon=":material/download:",
        on_click="ignore",
    )


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
    mine = voted.get((room.code, room.scene, room.round))
    if mine is not None:
        return st.success(f"Your vote is in: **{mine}**. Wait for the reveal.")
    if room.round > 1:
        st.markdown("**Second vote**, after talking it over with your neighbour: vote again.")
    p = room.prediction
    with st.form(key=f"vote_{room.code}_{room.scene}_{room.round}", border=False):
        if p.kind == "choice":
            value = st.radio(
                "Your prediction", p.choices, index=None, key=f"vote_value_{room.scene}_{room.round}"
            )
        else:
            label = f"Your prediction ({p.low:g} to {p.high:g}{' ' + p.unit if p.unit else ''})"
            value = st.number_input(label, value=None, key=f"vote_value_{room.scene}_{room.round}")
        sent = st.form_submit_button("Vote", type="primary")
    if sent:
        if value is None:
            return st.warning("Pick an answer first.")
        try:
            st.success(votes.cast(room.code, _voter(), room.scene, value))
            voted[(room.code, room.scene, room.round)] = value
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
    text = _Recorder.stop()
    if shown and text is not None:
        verdict(lesson, k, lesson.ready[k - 1], text)
    shot = snapshot.current_shot(lesson.ready[k - 1].title, current.url_path)
    if shown:
        snapshot.remember_scene(lesson.name, k, shot)
    shots = snapshot.lesson_shots(lesson, lesson.ready, k, shot)
    snapshot.snapshot_button(title, current.url_path, lesson=lesson, scene_shots=shots)


def pinned(scene: L.Scene, text: str) -> list[str]:
    """What the scene's checks read on the page, in words: one line per check."""
    lines = []
    for check in scene.checks:
        match, value = check.read(text)
        if match is None:
            lines.append(f"{check.why}: not on the page")
            continue
        shown = f"{value:g}" if value is not None else match.group(0)[:80]
        bounds = []
        if check.min is not None:
            bounds.append(f"at least {check.min:g}")
        if check.max is not None:
            bounds.append(f"at most {check.max:g}")
        ref = check.reference(text)
        if ref is not None:
            margin = f" by {check.by:g}" if check.by else ""
            bounds.append(f"{'above' if check.above else 'below'} {ref:g}{margin}")
        ok = check.judge(text) is None
        mark = "" if ok else " (**not** as the lesson says: tell your teacher)"
        where = f" ({', '.join(bounds)})" if bounds and value is not None else ""
        lines.append(f"{check.why}: **{shown}**{where}{mark}" if value is not None else f"{check.why}{mark}")
    return lines


def verdict(lesson: L.Lesson, k: int, scene: L.Scene, text: str) -> None:
    """After the page: the number the prediction's check read, and a student's own verdict (at home)."""
    p = scene.predict
    if p is None:
        return
    truth = None
    if p.check:
        truth = scene.checks[p.check - 1].read(text)[1]
        st.session_state.setdefault(_TRUTH, {})[(lesson.name, k)] = truth
    mine = st.session_state.get(_MINE, {}).get((lesson.name, k))
    slot = st.session_state.pop(_SLOT, None)
    if mine is None or slot is None:
        return
    right = p.right(mine, truth)
    with slot:
        unit = f" {p.unit}" if p.kind == "number" and p.unit else ""
        said = (
            f"Your prediction: **{mine:g}{unit}**" if p.kind == "number" else f"Your prediction: **{mine}**"
        )
        if right is True:
            st.success(f"{said}. Right.", icon=":material/check_circle:")
        elif right is False:
            answer = p.correct if p.kind == "choice" else f"about {truth:g}{unit}"
            st.warning(f"{said}. Not quite: the answer is **{answer}**.", icon=":material/cancel:")
        else:
            st.info(f"{said}. Compare it with the page: {p.answer or scene.look_for}")
        lines = [f"**Why:** {scene.look_for}"]
        found = pinned(scene, text)
        if found:
            lines.append("**What the page shows:**\n" + "\n".join(f"- {line}" for line in found))
        st.markdown("\n\n".join(lines))


class _Recorder:
    """The text of what the page sends to the browser in this run (markdown, alerts, metrics, tables,
    charts' titles and small data sets), recorded on the way out, for the lesson's checks."""

    _KEY = "_lesson_recorder"

    @classmethod
    def start(cls) -> None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None or "enqueue" in vars(ctx):
            return
        parts: list[str] = []
        original = ctx.enqueue

        def enqueue(msg) -> None:
            try:
                parts.extend(_message_text(msg))
            except Exception:  # noqa: BLE001 - recording must never break the page
                pass
            original(msg)

        ctx.enqueue = enqueue
        st.session_state[cls._KEY] = parts

    @classmethod
    def stop(cls) -> str | None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None and "enqueue" in vars(ctx):
            del ctx.enqueue
        parts = st.session_state.pop(cls._KEY, None)
        return None if parts is None else "\n".join(parts)


def _message_text(msg) -> list[str]:
    import json

    if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
        return []
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind in ("markdown", "alert", "heading"):
        return [getattr(element, kind).body]
    if kind == "metric":
        return [f"{element.metric.label}: {element.metric.body}"]
    if kind in ("dataframe", "table"):
        proto = getattr(element, kind)
        raw = proto.arrow_data.data if proto.HasField("arrow_data") else getattr(proto, "data", b"")
        frame = _arrow_frame(raw)
        return [] if frame is None else [_frame_text(frame)]
    if kind == "html":
        frame = read_table(element.html.body)
        return [] if frame is None else [str(frame)]
    if kind == "vega_lite_chart":
        chart = element.vega_lite_chart
        spec = json.loads(chart.spec) if chart.spec else {}
        titles = [_title(spec)] + [_title(layer) for layer in spec.get("layer", []) + spec.get("vconcat", [])]
        out = ["Chart: " + " · ".join(t for t in titles if t)]
        for data in chart.datasets:
            frame = _arrow_frame(data.data.data)
            if frame is not None and len(frame) <= CHART_ROWS:
                out.append(frame.to_string(index=False))
        return out
    return []


def _arrow_frame(raw: bytes):
    import pyarrow as pa

    if not raw:
        return None
    try:
        return pa.ipc.open_stream(raw).read_all().to_pandas()
    except Exception:  # noqa: BLE001 - data this text view cannot read
        return None


def _frame_text(frame) -> str:
    import pandas as pd

    with pd.option_context("display.max_columns", None, "display.width", 100_000, "display.max_colwidth", 80):
        return frame.to_string()


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
    run, as a presenter would before reading the result (a button the page does not show, because
    its result is already in the store, is skipped). Training happens in this thread (set
    ``ANNLAB_TRAIN_WORKERS=0`` before the first training). AppTest raises ``RuntimeError`` when a run
    exceeds ``timeout``.
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
            if buttons:  # absent: its result is already stored and on the page (the checks say)
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
    if Path(path).resolve().parent != L.LESSON_DIR.resolve():
        report(f"note: {Path(path).name} is not in lessons/: it opens here, not from the home page")
        os.environ["ANNLAB_LESSON_FILE"] = str(Path(path).resolve())
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
    """``python -m annlab warm --lesson NAME`` (or ``all``): open every scene of the lessons headless and
    press the buttons a scene names, so everything they show is trained into the model store (a class
    then runs on cache hits). A scene that fails is reported and the rest go on. Returns an exit code."""
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
            try:  # the scene's buttons (``press``) are pressed too: what they compute is stored
                at = open_scene(lesson, k, device=device)
                errors = [str(e.value)[:300] for e in at.exception]
            except Exception as err:  # noqa: BLE001 - one scene that fails does not stop the warm-up
                errors = [f"{type(err).__name__}: {str(err)[:300]}"]
            failed += bool(errors)
            pressed = f", pressed {', '.join(scene.press)}" if scene.press and not errors else ""
            state = f"error: {errors[0]}" if errors else f"ready{pressed}"
            report(
                f"[{name}] scene {k}/{len(lesson.ready)} {scene.title}: {state} "
                f"({time.perf_counter() - start:.1f} s)"
            )
    return 1 if failed else 0
