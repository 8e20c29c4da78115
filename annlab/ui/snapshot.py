"""What this run showed (charts, images, widget values), and the "Download snapshot" button.

``annlab.ui.display`` and ``annlab.ui.widgets`` report here as they draw; :func:`begin_run` clears the
record at the start of each full run. A chart redrawn by a fragment replaces the one it drew before
(records are keyed by their place on the page). The ZIP itself is built only when the button is pressed
(Streamlit's deferred download), by :func:`annlab.snapshot.zip_bytes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from annlab import snapshot as snap

_RECORD = "_snapshot_record"
_SHOTS = "_lesson_shots"
_SKIP_QUERY = {"lesson", "scene", "room"}


def _record() -> dict:
    rec = st.session_state.get(_RECORD)
    if rec is None:
        rec = st.session_state[_RECORD] = {"charts": {}, "images": {}, "widgets": {}}
    return rec


def begin_run() -> None:
    """Forget what the previous full run showed (called once per full run, before the page)."""
    st.session_state[_RECORD] = {"charts": {}, "images": {}, "widgets": {}}


def _place(element) -> tuple:
    """Where ``element`` (a DeltaGenerator) sits on the page, to key its record."""
    cursor = getattr(element, "_cursor", None)
    path = getattr(cursor, "delta_path", None)
    if path is None:
        return (10**9, len(_record()["charts"]) + len(_record()["images"]))  # ints: sorts after placed ones
    return tuple(path)


def record_chart(element, chart: Any | Callable[[], Any]) -> None:
    """Remember a chart drawn at ``element``: an Altair chart, or a function that builds it."""
    with _quiet():
        _record()["charts"][_place(element)] = chart


def record_image(element, img, caption: str | None) -> None:
    with _quiet():
        _record()["images"][_place(element)] = (img, caption)


def url_values(kind: str, value: Any, kwargs: dict) -> Any:
    """The value as the widget's URL parameter holds it (a formatted option, a list for many)."""
    fmt = kwargs.get("format_func")
    many = isinstance(value, list | tuple)
    values = list(value) if many else [value]
    if fmt is not None and kwargs.get("options") is not None:
        values = [str(fmt(v)) for v in values]
    values = [snap.url_text(v) for v in values]
    return values if many else values[0]


def record_widget(key: str, kind: str, value: Any, default: Any, kwargs: dict) -> None:
    """Remember a URL-bound widget's value (``annlab.ui.persisted`` calls it)."""
    with _quiet():
        _record()["widgets"][key] = (value, default, url_values(kind, value, kwargs))


class _quiet:
    """Recording must never break a page."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], Exception)


def current_shot(title: str, page: str, note: str = "") -> snap.Shot:
    """The shot of this run so far: its charts and images in page order, its settings and its link."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    return make_shot(title, page, _record(), params, note)


def make_shot(title: str, page: str, rec: dict, params: dict[str, list[str]], note: str = "") -> snap.Shot:
    """A :class:`~annlab.snapshot.Shot` from a run's record and its URL parameters (key -> values).

    URL keys no widget reported (an open tab) are kept as they are; every reported widget gives its
    value to the settings and, when it is not the default, its URL form to the link.
    """
    query: dict[str, Any] = {}
    for key, values in params.items():
        if key not in _SKIP_QUERY and key != "device" and values:
            query[key] = values if len(values) > 1 else values[0]
    settings = {}
    for key, (value, default, url) in rec["widgets"].items():
        settings[key] = value
        query.pop(key, None)
        same = value == default or (isinstance(value, list | tuple) and list(value) == list(default or []))
        if not same:
            query[key] = url
    for key, value in query.items():
        settings.setdefault(key, value)
    charts = [rec["charts"][k] for k in sorted(rec["charts"])]
    images = [rec["images"][k] for k in sorted(rec["images"])]
    return snap.Shot(title, page, settings, query, charts, images, note)


def _resolved(shot: snap.Shot) -> snap.Shot:
    charts = [c() if callable(c) and not hasattr(c, "save") else c for c in shot.charts]
    return snap.Shot(shot.title, shot.page, shot.settings, shot.query, charts, shot.images, shot.note)


def remember_scene(lesson: str, index: int, shot: snap.Shot) -> None:
    """Keep the shot of a lesson's scene for the lesson's ZIP."""
    st.session_state.setdefault(_SHOTS, {})[(lesson, index)] = shot


def base_url() -> str:
    try:
        url = st.context.url or ""
    except AttributeError:
        return ""
    parts = url.split("/")
    return "/".join(parts[:3]) if url.startswith("http") else ""


def snapshot_button(title: str, page: str, lesson=None, scene_shots: list | None = None) -> None:
    """ "Download snapshot" for this page, and for a lesson, the ZIP of all its scenes."""
    shot = current_shot(title, page)
    base = base_url()
    cols = st.columns([1, 1, 1]) if lesson is not None else [st.container()]
    cols[0].download_button(
        "Download snapshot",
        data=lambda: snap.zip_bytes([_resolved(shot)], base=base),
        file_name=f"annlab-{snap.slug(page)}.zip",
        mime="application/zip",
        icon=":material/photo_camera:",
        on_click="ignore",
        key="snapshot_download",
        help="A ZIP with every chart on screen (PNG and SVG), the images, the settings and the link.",
    )
    if lesson is not None and scene_shots is not None:
        cols[1].download_button(
            "Snapshot of the lesson",
            data=lambda: snap.zip_bytes([_resolved(s) for s in scene_shots], base=base, title=lesson.title),
            file_name=f"annlab-lesson-{lesson.name}.zip",
            mime="application/zip",
            icon=":material/folder_zip:",
            on_click="ignore",
            key="snapshot_lesson_download",
            help="One folder per scene: the charts of the scenes shown so far, each scene's settings, link.",
        )


def lesson_shots(lesson, scenes, shown_now: int, shot_now: snap.Shot) -> list[snap.Shot]:
    """One shot per scene: the one recorded when it was shown, else its settings and link only."""
    from annlab import lessons as L

    kept = st.session_state.get(_SHOTS, {})
    out = []
    for k, scene in enumerate(scenes, 1):
        if k == shown_now:
            out.append(shot_now)
            continue
        got = kept.get((lesson.name, k))
        if got is not None:
            out.append(got)
        else:
            note = "not shown yet in this session: open the link to see it"
            out.append(
                snap.Shot(scene.title, scene.page, dict(scene.settings), L.query(lesson, k), note=note)
            )
    return out
