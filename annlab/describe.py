"""Text alternatives for figures, derived from what is drawn (never typed by hand).

:func:`describe_chart` reads a finished Vega-Lite spec (the dict ``annlab.ui.chart`` sends, its datasets
beside it) and returns a :class:`FigureText`: the chart's title, one sentence of what it shows at the
current settings (mark, axes with their units as the axis titles give them, each series' range and last
value, the highest and lowest bar, the extreme cells of a heat map, the reference lines) and its data as
a small table. :func:`describe_images` does the same for an image grid. ``annlab.ui`` puts them in the
page as the figure's accessible name and description and a "Data as a table" disclosure.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_ROWS = 40  # rows of the data table (evenly spaced rows of a longer dataset)
MAX_SERIES = 6  # series named one by one in a sentence
MAX_VIEWS = 6  # views of a concatenated chart described one by one
_MARK_NAMES = {
    "line": "line chart",
    "area": "area chart",
    "trail": "line chart",
    "bar": "bar chart",
    "point": "scatter plot",
    "circle": "scatter plot",
    "square": "scatter plot",
    "tick": "strip plot",
    "rect": "heat map",
    "arc": "pie chart",
    "boxplot": "box plot",
    "errorbar": "error bars",
    "errorband": "error band",
    "image": "image",
}


@dataclass(frozen=True, eq=False)
class FigureText:
    """What a figure shows, in words: ``title``, one ``sentence``, and its data (``table``: at most
    :data:`MAX_ROWS` rows of ``rows`` in all)."""

    title: str
    sentence: str
    table: pd.DataFrame | None = None
    rows: int = 0

    def __eq__(self, other) -> bool:
        if not isinstance(other, FigureText):
            return NotImplemented
        same = (self.title, self.sentence, self.rows) == (other.title, other.sentence, other.rows)
        if self.table is None or other.table is None:
            return same and self.table is other.table
        return same and self.table.equals(other.table)

    __hash__ = None  # a table inside: not hashable

    @property
    def label(self) -> str:
        """Title and sentence in one string (an ``aria-label``, Vega-Lite's ``description``)."""
        return f"{self.title}. {self.sentence}" if self.title else self.sentence


def fmt(v) -> str:
    """A number as a sentence quotes it (3 significant digits); other values as text."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if not np.isfinite(f):
            return str(f)
        if f == int(f) and abs(f) < 1e6:
            return str(int(f))
        return f"{f:.3g}"
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return str(v)


def datasets(spec: dict) -> dict[str, pd.DataFrame]:
    """The spec's named datasets as frames (Streamlit sends them as Arrow IPC bytes)."""
    out = {}
    for name, data in (spec.get("datasets") or {}).items():
        out[name] = _frame(data)
    return out


def _frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        import pyarrow as pa

        with pa.ipc.open_stream(io.BytesIO(bytes(data))) as reader:
            return reader.read_pandas()
    if isinstance(data, list):
        return pd.DataFrame(data)
    return pd.DataFrame()


def _text(title) -> str:
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list | tuple):
        title = " ".join(str(t) for t in title)
    return str(title or "").strip()


def _units(node: dict, data, frames: dict, depth: int = 0) -> Iterator[tuple[dict, pd.DataFrame | None]]:
    """Every single view (a ``mark`` with its ``encoding``) in ``node``, with the data it draws."""
    if depth > 8 or not isinstance(node, dict):
        return
    d = node.get("data")
    if isinstance(d, dict):
        if "name" in d:
            data = frames.get(d["name"])
        elif "values" in d:
            data = _frame(d["values"])
    if "mark" in node:
        yield node, data
        return
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in node.get(key) or ():
            yield from _units(child, data, frames, depth + 1)
    if isinstance(node.get("spec"), dict):  # facet, repeat
        yield from _units(node["spec"], data, frames, depth + 1)


def _titles(node: dict, depth: int = 0) -> list[str]:
    """The titles of ``node``: its own, else its views' (each once, in order)."""
    own = _text(node.get("title"))
    if own or depth > 8:
        return [own] if own else []
    out: list[str] = []
    for key in ("hconcat", "vconcat", "concat", "layer"):
        for child in node.get(key) or ():
            for t in _titles(child, depth + 1):
                if t not in out:
                    out.append(t)
    if isinstance(node.get("spec"), dict):
        out += [t for t in _titles(node["spec"], depth + 1) if t not in out]
    return out


def _mark(node: dict) -> str:
    m = node.get("mark")
    return str(m.get("type", "") if isinstance(m, dict) else m or "")


def _channel(enc: dict, name: str, frame: pd.DataFrame | None) -> tuple[str | None, str, str]:
    """(field if the frame has it, title, type) of an encoding channel."""
    ch = enc.get(name)
    if not isinstance(ch, dict):
        return None, "", ""
    field = ch.get("field")
    if isinstance(field, dict):
        field = field.get("repeat")
    title = _text(ch.get("title")) or (str(field) if field else "")
    if ch.get("aggregate") and field:
        title = title or f"{ch['aggregate']} of {field}"
    has = frame is not None and isinstance(field, str) and field in frame.columns and not ch.get("aggregate")
    return (field if has else None), title, str(ch.get("type", ""))


def _numeric(s: pd.Series) -> pd.Series | None:
    v = pd.to_numeric(s, errors="coerce")
    return v if v.notna().any() else None


def _split(enc: dict, name: str, frame: pd.DataFrame | None) -> str | None:
    """The field of a channel that splits lines into series (nominal or ordinal), if drawn."""
    field, _, kind = _channel(enc, name, frame)
    return field if field and kind in ("nominal", "ordinal", "") else None


def _series_words(df: pd.DataFrame, x: str, y: str, group: list[str] | None, x_title: str) -> str:
    yv = _numeric(df[y])
    if yv is None:
        return ""
    frame = df.assign(_y=yv).dropna(subset=["_y"])
    xs = _numeric(frame[x]) if x else None
    if xs is not None:
        frame = frame.assign(_x=xs).sort_values("_x")
    parts = []
    groups = list(frame.groupby(group, sort=False)) if group else [("", frame)]
    for name, g in groups[:MAX_SERIES]:
        if g.empty:
            continue
        name = ", ".join(str(v) for v in name) if isinstance(name, tuple) else name
        first, last = g["_y"].iloc[0], g["_y"].iloc[-1]
        lo = g.loc[g["_y"].idxmin()]
        at = f" at {x_title or x} {fmt(lo[x])}" if x else ""
        words = f"from {fmt(first)} to {fmt(last)}, lowest {fmt(lo['_y'])}{at}"
        parts.append(f"{name}: {words}" if group else words)
    more = f" (and {len(groups) - MAX_SERIES} more series)" if len(groups) > MAX_SERIES else ""
    return "; ".join(parts) + more


def _unit_sentence(node: dict, df: pd.DataFrame | None) -> str:
    mark = _mark(node)
    enc = node.get("encoding") or {}
    x, x_title, x_type = _channel(enc, "x", df)
    y, y_title, y_type = _channel(enc, "y", df)
    c, c_title, c_type = _channel(enc, "color", df)
    theta, theta_title, _ = _channel(enc, "theta", df)
    if mark == "text":
        return ""
    if mark == "rule":
        for field, title, ch in ((y, y_title, "y"), (x, x_title, "x")):
            datum = (enc.get(ch) or {}).get("datum") if isinstance(enc.get(ch), dict) else None
            if datum is not None and not isinstance(datum, dict):
                return f"a reference line at {title or ch} = {fmt(datum)}"
            if field and df is not None and len(df):
                vals = sorted({fmt(v) for v in df[field].dropna().tolist()})[:4]
                if vals:
                    lines = "reference lines" if len(vals) > 1 else "a reference line"
                    return f"{lines} at {title or field} = {', '.join(vals)}"
        return ""
    kind = _MARK_NAMES.get(mark, f"{mark} marks" if mark else "chart")
    axes = " against ".join(t for t in (y_title, x_title) if t) if mark != "arc" else theta_title
    head = f"{kind} of {axes}" if axes else kind
    if df is None or df.empty:
        return head
    n = len(df)
    if mark in ("line", "area", "trail") and y and (x_type in ("quantitative", "temporal", "ordinal") or x):
        xs = _numeric(df[x]) if x else None
        span = f" over {x_title} {fmt(xs.min())} to {fmt(xs.max())}" if xs is not None else ""
        group = [f for f in (c, _split(enc, "strokeDash", df), _split(enc, "detail", df)) if f]
        group = [f for i, f in enumerate(group) if f not in group[:i]] or None
        if c and c_type not in ("nominal", "ordinal"):
            group = [f for f in group or () if f != c] or None
        words = _series_words(df, x, y, group, x_title) if x else ""
        return f"{head}{span}" + (f": {words}" if words else "")
    if mark == "bar":
        cat, val = x, y
        if y_type in ("nominal", "ordinal") and x_type == "quantitative":
            cat, val = y, x
        v = _numeric(df[val]) if val else None
        if cat and v is not None:
            frame = df.assign(_v=v).dropna(subset=["_v"])
            if frame.empty:
                return head
            hi, lo = frame.loc[frame["_v"].idxmax()], frame.loc[frame["_v"].idxmin()]
            return (
                f"{head}, {len(frame)} bars: highest {fmt(hi[cat])} ({fmt(hi['_v'])}), "
                f"lowest {fmt(lo[cat])} ({fmt(lo['_v'])})"
            )
        return f"{head}, {n} bars"
    if mark == "rect" and c and c_type == "quantitative":
        v = _numeric(df[c])
        if v is None:
            return head
        frame = df.assign(_v=v).dropna(subset=["_v"])
        hi, lo = frame.loc[frame["_v"].idxmax()], frame.loc[frame["_v"].idxmin()]

        def where(row) -> str:
            cells = [f"{t or f} {fmt(row[f])}" for f, t in ((x, x_title), (y, y_title)) if f]
            return f" at {', '.join(cells)}" if cells else ""

        axes = " by ".join(t for t in (x_title, y_title) if t)
        return (
            f"heat map of {c_title}" + (f" over {axes}" if axes else "") + f", {len(frame)} cells: "
            f"highest {fmt(hi['_v'])}{where(hi)}, lowest {fmt(lo['_v'])}{where(lo)}"
        )
    if mark == "arc" and theta:
        return f"{head}, {n} slices"
    # points, ticks and the rest: how many, where they lie, how the groups split
    words = [f"{n} {'points' if mark in ('point', 'circle', 'square') else 'marks'}"]
    for field, title in ((x, x_title), (y, y_title)):
        v = _numeric(df[field]) if field else None
        if v is not None:
            words.append(f"{title} {fmt(v.min())} to {fmt(v.max())}")
    if c and c_type in ("nominal", "ordinal"):
        counts = df[c].astype(str).value_counts()
        words.append(f"{len(counts)} groups of {c_title}")
    return f"{head}: " + ", ".join(words)


def describe_chart(spec: dict, frames: dict[str, pd.DataFrame] | None = None) -> FigureText:
    """The title, one sentence and data table of the Vega-Lite ``spec`` (datasets from ``frames`` or
    the spec's own ``datasets``), at the values it draws."""
    frames = frames if frames is not None else datasets(spec)
    titles = _titles(spec)
    views = []
    for node, df in _units(spec, None, frames):
        if len(views) >= MAX_VIEWS * 3:
            break
        views.append((node, df))
    sentences: list[str] = []
    for node, df in views:
        try:
            s = _unit_sentence(node, df)
        except Exception:  # a description must never break a page
            s = _MARK_NAMES.get(_mark(node), "chart")
        if s and s not in sentences:
            sentences.append(s)
    shown = sentences[:MAX_VIEWS]
    if len(sentences) > MAX_VIEWS:
        shown.append(f"and {len(sentences) - MAX_VIEWS} more views")
    sentence = "; ".join(shown) or "A chart"
    sentence = sentence[0].upper() + sentence[1:]
    if not sentence.endswith("."):
        sentence += "."
    title = "; ".join(titles) or (sentences[0].split(":")[0].capitalize() if sentences else "Chart")
    table, rows = _table(views)
    return FigureText(title=title, sentence=sentence, table=table, rows=rows)


def _table(views) -> tuple[pd.DataFrame | None, int]:
    """The largest dataset the views draw, its encoded columns, at most :data:`MAX_ROWS` rows."""
    best, fields = None, []
    for node, df in views:
        if df is None or df.empty:
            continue
        enc = node.get("encoding") or {}
        used = []
        first = ("x", "y", "color", "theta", "text")
        for ch in [enc[k] for k in first if k in enc] + [v for k, v in enc.items() if k not in first]:
            for c in ch if isinstance(ch, list) else [ch]:
                f = c.get("field") if isinstance(c, dict) else None
                if isinstance(f, str) and f in df.columns and f not in used:
                    used.append(f)
        if best is None or len(df) > len(best):
            best, fields = df, used
    if best is None:
        return None, 0
    frame = best[fields] if fields else best
    rows = len(frame)
    if rows > MAX_ROWS:
        frame = frame.iloc[np.linspace(0, rows - 1, MAX_ROWS).round().astype(int)]
    return frame.reset_index(drop=True), rows


def describe_images(
    images: np.ndarray, ncols: int = 1, caption: str | None = None, *, grid: bool = True
) -> str:
    """Alternative text of an image grid (``grid``: ``images`` as :func:`annlab.images.tile` takes
    them, (n, h, w[, 3]) or (n, h*w) for square ones) or of one image ((h, w[, 3])): what the caption
    says, then the grid's shape and mean brightness."""
    imgs = np.asarray(images, np.float32)
    if grid and imgs.ndim == 2:
        side = int(round(np.sqrt(imgs.shape[1])))
        imgs = imgs.reshape(len(imgs), side, -1)
    if not grid:
        h, w = imgs.shape[:2]
        what = f"one {'colour' if imgs.ndim == 3 else 'grey'} image, {h} by {w} pixels"
    else:
        n, h, w = imgs.shape[:3]
        cols = max(1, min(ncols, n))
        rows = -(-n // cols)
        colour = "colour" if imgs.ndim == 4 else "grey"
        shape = f"{rows} row{'s' if rows > 1 else ''} of {cols}"
        what = f"a grid of {n} {colour} images in {shape}, each {h} by {w} pixels"
    mean = float(np.nanmean(imgs)) if imgs.size else 0.0
    text = f"{what}, mean brightness {mean:.2f} of 1"
    return f"{caption.rstrip('.')}: {text}." if caption else text[0].upper() + text[1:] + "."
