"""Snapshots: what was on screen, as a ZIP a lecturer can hand out.

One :class:`Shot` is one page as shown: every chart (PNG and SVG, written by Altair's own export, which
runs offline through ``vl-convert``), every image (PNG), the settings (JSON) and the link that opens the
same state again. :func:`zip_bytes` packs one shot, or one folder per scene of a lesson.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import urllib.parse
import zipfile
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image

PNG_SCALE = 2  # charts at twice their screen size: sharp on slides


@dataclasses.dataclass
class Shot:
    """One page as it was shown."""

    title: str
    page: str  # url_path
    settings: dict[str, Any]  # widget values (JSON-able)
    query: dict[str, Any]  # the URL parameters that reproduce them (values or lists of values)
    charts: list = dataclasses.field(default_factory=list)  # Altair charts
    images: list = dataclasses.field(default_factory=list)  # (array in [0, 1], caption or None)
    note: str = ""

    def link(self, base: str = "") -> str:
        """The address that opens this state (``base`` is the server, e.g. ``http://host:8501``)."""
        return link(self.page, self.query, base)


def link(page: str, query: dict[str, Any], base: str = "") -> str:
    """``base/page?key=value&...``; list values become repeated parameters (Streamlit's own form)."""
    pairs = []
    for key, value in query.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, url_text(v)))
    text = urllib.parse.urlencode(pairs)
    return f"{base.rstrip('/')}/{page}" + (f"?{text}" if text else "")


def url_text(value: Any) -> str:
    """How Streamlit writes a value in the URL (booleans lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def chart_bytes(chart, fmt: str) -> bytes:
    """The chart as ``fmt`` ("png" or "svg") through Altair's own ``save`` (vl-convert, offline)."""
    buf = io.BytesIO() if fmt == "png" else io.StringIO()
    if fmt == "png":
        chart.save(buf, format="png", scale_factor=PNG_SCALE)
        return buf.getvalue()
    chart.save(buf, format="svg")
    return buf.getvalue().encode("utf-8")


def image_png(img: np.ndarray) -> bytes:
    """A gray (h, w) or RGB (h, w, 3) image in [0, 1] as PNG bytes."""
    arr = (np.clip(np.asarray(img, np.float32), 0, 1) * 255).round().astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "page"


def _write_shot(zf: zipfile.ZipFile, shot: Shot, folder: str, base: str) -> list[str]:
    problems = []
    for i, chart in enumerate(shot.charts, 1):
        for fmt in ("png", "svg"):
            try:
                zf.writestr(f"{folder}chart-{i:02d}.{fmt}", chart_bytes(chart, fmt))
            except Exception as err:  # noqa: BLE001 - one chart that fails to export must not lose the rest
                problems.append(f"chart {i} ({fmt}): {err}")
    for i, (img, _caption) in enumerate(shot.images, 1):
        zf.writestr(f"{folder}image-{i:02d}.png", image_png(img))
    settings = {
        "page": shot.page,
        "title": shot.title,
        "link": shot.link(base),
        "settings": jsonable(shot.settings),
        "images": [caption or "" for _, caption in shot.images],
        "note": shot.note,
    }
    if problems:
        settings["export_problems"] = problems
    zf.writestr(f"{folder}settings.json", json.dumps(settings, indent=2))
    zf.writestr(f"{folder}link.txt", shot.link(base) + "\n")
    return problems


def zip_bytes(shots: Iterable[Shot], *, base: str = "", title: str = "") -> bytes:
    """A ZIP of ``shots``: at its root for one shot, one numbered folder per shot for several."""
    shots = list(shots)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if len(shots) == 1:
            _write_shot(zf, shots[0], "", base)
        else:
            index = [f"# {title or 'annlab snapshot'}", ""]
            for k, shot in enumerate(shots, 1):
                folder = f"scene-{k:02d}-{slug(shot.title)}/"
                _write_shot(zf, shot, folder, base)
                index.append(
                    f"{k}. {shot.title}: {shot.link(base)}" + (f" ({shot.note})" if shot.note else "")
                )
            zf.writestr("README.txt", "\n".join(index) + "\n")
    return buf.getvalue()
