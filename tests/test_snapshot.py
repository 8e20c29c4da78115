"""Snapshots: a ZIP with each chart as PNG and SVG (Altair's own export, offline), the images, the
settings as JSON and the link; opening the link reproduces the widget values; a lesson gives one folder
per scene."""

import io
import json
import urllib.parse
import zipfile

import altair as alt
import numpy as np
import pandas as pd
import pytest
from pagetest import errors, open_page

from annlab import lessons as L
from annlab import snapshot as snap
from annlab.ui import snapshot as ui_snap

RECORD = "_snapshot_record"


def _params(at) -> dict[str, list[str]]:
    out = {}
    for key in at.query_params:
        value = at.query_params[key]
        out[key] = list(value) if isinstance(value, list | tuple) else [value]
    return out


def _shot(at, title="Hopfield", page="Hopfield"):
    return ui_snap.make_shot(title, page, at.session_state[RECORD], _params(at))


def test_chart_export_is_altairs_own_and_works_offline():
    chart = (
        alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]}), title="t").mark_line().encode(x="x", y="y")
    )
    png, svg = snap.chart_bytes(chart, "png"), snap.chart_bytes(chart, "svg")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 500
    assert b"<svg" in svg[:400]


@pytest.fixture(scope="module")
def small_network():
    query = {"hop_tab": "Small networks", "hop_rule": "hebbian", "hop_iter": "30", "seed": "3"}
    at = open_page("views/hopfield.py", query)
    assert not errors(at), errors(at)
    return at


def test_a_snapshot_zip_holds_the_charts_and_the_settings(small_network):
    shot = _shot(small_network)
    assert len(shot.charts) >= 2, "the page drew a state-space and an energy chart"
    data = snap.zip_bytes([ui_snap._resolved(shot)], base="http://lab:8501")
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = zf.namelist()
    for i in range(1, len(shot.charts) + 1):
        assert f"chart-{i:02d}.png" in names and f"chart-{i:02d}.svg" in names, names
        assert zf.read(f"chart-{i:02d}.png")[:4] == b"\x89PNG"
        assert b"<svg" in zf.read(f"chart-{i:02d}.svg")[:400]
    settings = json.loads(zf.read("settings.json"))
    assert settings["settings"]["hop_rule"] == "hebbian" and settings["settings"]["hop_iter"] == 30
    assert settings["settings"]["seed"] == 3
    assert "export_problems" not in settings
    link = zf.read("link.txt").decode().strip()
    assert link == settings["link"] and link.startswith("http://lab:8501/Hopfield?")


def test_opening_the_snapshot_link_reproduces_the_widget_values(small_network):
    shot = _shot(small_network)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(shot.link()).query)
    assert query["hop_tab"] == ["Small networks"] and "hop_rule" in query
    again = open_page("views/hopfield.py", {k: v if len(v) > 1 else v[0] for k, v in query.items()})
    assert not errors(again), errors(again)
    before = {k: v[0] for k, v in small_network.session_state[RECORD]["widgets"].items()}
    after = {k: v[0] for k, v in again.session_state[RECORD]["widgets"].items()}
    assert before == after


def test_images_shown_go_into_the_zip():
    at = open_page("views/hopfield.py", {"hop_tab": "Digits under noise", "hop_noise": "1.2"})
    assert not errors(at), errors(at)
    shot = _shot(at)
    assert shot.images, "the digits tab shows an image grid"
    zf = zipfile.ZipFile(io.BytesIO(snap.zip_bytes([shot])))
    png = zf.read("image-01.png")
    assert png[:4] == b"\x89PNG"
    assert json.loads(zf.read("settings.json"))["settings"]["hop_noise"] == 1.2


def test_a_lesson_snapshot_has_one_folder_per_scene():
    lesson = L.get("hopfield")
    chart = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a")
    shots = [
        snap.Shot(
            "Shown", "Hopfield", {"hop_noise": 0.6}, {"hop_noise": "0.6"}, [chart], [(np.eye(4), "eye")]
        ),
        *[
            snap.Shot(s.title, s.page, dict(s.settings), L.query(lesson, k), note="not shown yet")
            for k, s in enumerate(lesson.ready[1:], 2)
        ],
    ]
    zf = zipfile.ZipFile(io.BytesIO(snap.zip_bytes(shots, title=lesson.title)))
    folders = {n.split("/")[0] for n in zf.namelist() if "/" in n}
    assert len(folders) == len(lesson.ready)
    first = sorted(folders)[0]
    assert {f"{first}/chart-01.png", f"{first}/chart-01.svg", f"{first}/image-01.png"} <= set(zf.namelist())
    readme = zf.read("README.txt").decode()
    assert "lesson=hopfield&scene=2" in readme and lesson.title in readme


def test_links_write_lists_as_repeated_parameters_and_booleans_lower_case():
    link = snap.link("Optimizers", {"opt_optimizers": ["Adam", "L-BFGS"], "opt_mb_all": True})
    assert link == "/Optimizers?opt_optimizers=Adam&opt_optimizers=L-BFGS&opt_mb_all=true"
