"""Lessons: the course's exercises as a sequence of scenes, read from the TOML files in ``lessons/``.

A lesson file holds a title, the report section it follows, and a list of scenes. A scene names a page
(its ``url_path`` in :mod:`annlab.topics`), the page's settings (the same keys as the page's URL, with
the values the page's widgets take: the raw option for a select box, a number for a slider, a list for
a multiselect or a range), a question for the class, what to look for once the figure is up, optionally
a prediction to collect before the answer shows (choices or a number), and optionally checks: where the
phenomenon can be read from the page's text (a metric, a table value, a sentence), a regular expression
and the range its number must fall in. A check marked ``fast = false`` holds only with the page's real
configurations (``bench/lessons.py`` runs those), the others hold in fast mode too (the tests run them).

Validation is cheap and runs on load: the file parses, every field has the right type, the page
exists, every settings key is a key the page reads (string literals of the view and of the annlab
modules it imports) and, where the key is one of the page's :class:`~annlab.controls.Control`\\ s, the
value is among its options or inside its range. A scene whose page is not built yet is **pending**, not
an error, while it is marked ``waiting = true``; the lesson then opens without it.

Example (``lessons/hopfield.toml``)::

    title = "Hopfield networks"
    source = "001 section 2.1"

    [[scenes]]
    page = "Hopfield"
    title = "Two neurons, three targets"
    settings = { hop_tab = "Small networks", hop_rule = "hebbian" }
    question = "Which states does the network end in?"
    look_for = "The stored targets, and one state nobody stored."
    predict = { choices = ["only the 3 targets", "the targets and a spurious state"] }
    checks = [{ find = 'spurious', why = "the Hebb rule adds a mirror state" }]
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from annlab.settings import REPO_ROOT
from annlab.topics import TOPICS, Topic

LESSON_DIR = REPO_ROOT / "lessons"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
KEY = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")
GLOBAL_KEYS = ("seed", "device", "projector")  # the sidebar's: drawn before a scene applies
LESSON_KEYS = ("lesson", "scene")  # URL keys of lesson mode itself
MAX_CHOICES = 8
TEXT_LIMIT = 600


class LessonError(ValueError):
    """A lesson file that cannot be used, with the file and the scene in the message."""


@dataclasses.dataclass(frozen=True)
class Prediction:
    """What the class predicts before the answer shows: one of ``choices``, or a number in [low, high]."""

    kind: str  # "choice" or "number"
    choices: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1.0
    unit: str = ""
    answer: str = ""  # shown with the figure on reveal
    correct: str = ""  # the right choice (a choice prediction), for the reveal and peer instruction
    check: int = 0  # a number prediction: which of the scene's checks (1-based) reads the answer

    def right(self, value, truth: float | None = None) -> bool | None:
        """Whether ``value`` is the right prediction (None when the file does not say what is right):
        the ``correct`` choice, or a number in the same histogram bin as ``truth``, the number the
        scene's ``check`` reads on the page."""
        if self.kind == "choice":
            return (value == self.correct) if self.correct else None
        if truth is None or value is None:
            return None
        return self.bin_of(float(value)) == self.bin_of(truth)

    def bin_of(self, value: float, n: int = 10) -> int:
        """The index of the histogram bin that ``value`` falls in (clamped to the ends)."""
        return min(max(int((value - self.low) / (self.high - self.low) * n), 0), n - 1)

    def bins(self, n: int = 10) -> list[tuple[float, float]]:
        """``n`` equal bins over [low, high] (the histogram of number predictions)."""
        step = (self.high - self.low) / n
        return [(self.low + i * step, self.low + (i + 1) * step) for i in range(n)]


@dataclasses.dataclass(frozen=True)
class Check:
    """A phenomenon readable from the page's text: ``find`` (a regular expression; its first group, if
    any, is the number) must match, and the number must lie in [``min``, ``max``]; with ``above`` (or
    ``below``), another regular expression, the number must also be larger (smaller) than the number
    that one reads on the same page (the CNN against its baseline, the denoised digits against the
    blurred ones)."""

    find: str
    why: str
    min: float | None = None
    max: float | None = None
    fast: bool = True  # False: holds only with the real configurations (bench/lessons.py)
    above: str | None = None
    below: str | None = None
    by: float = 0.0  # the margin of the comparison: above the other number by at least this much

    @property
    def numeric(self) -> bool:
        """Whether the check reads a number (a range or a comparison), not only a pattern's presence."""
        return self.min is not None or self.max is not None or bool(self.above or self.below)

    def read(self, text: str) -> tuple[re.Match | None, float | None]:
        """The match of ``find`` on ``text`` and its number (None where there is none)."""
        match = re.search(self.find, text, flags=re.IGNORECASE | re.MULTILINE)
        if match is None:
            return None, None
        return match, _number_of(match)

    def reference(self, text: str) -> float | None:
        """The number that ``above`` / ``below`` reads on ``text`` (None when absent or no comparison)."""
        pattern = self.above or self.below
        if not pattern:
            return None
        match = re.search(pattern, text, flags=re.IGNORECASE | re.MULTILINE)
        return None if match is None else _number_of(match)

    def judge(self, text: str) -> str | None:
        """None when the check holds on ``text``, else what went wrong, in words."""
        match, value = self.read(text)
        if match is None:
            return f"'{self.find}' not found on the page ({self.why})"
        if not self.numeric:
            return None
        if value is None:
            return f"'{self.find}' matched {match.group(0)!r}, not a number"
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            return f"{value:g} is outside [{self.min}, {self.max}] ({self.why})"
        if self.above or self.below:
            ref = self.reference(text)
            if ref is None:
                return f"'{self.above or self.below}' (the comparison) not found on the page ({self.why})"
            margin = f" by {self.by:g}" if self.by else ""
            if self.above and not value > ref + self.by:
                return f"{value:g} is not above {ref:g}{margin} ({self.why})"
            if self.below and not value < ref - self.by:
                return f"{value:g} is not below {ref:g}{margin} ({self.why})"
        return None

    def outside(self, text: str) -> list[tuple[str, float]]:
        """Where the number must not go on ``text``, as (direction, bound) pairs for :meth:`mutate`:
        below ``min``, above ``max``, and past the comparison's number (the mutation test)."""
        out = []
        if self.min is not None:
            out.append(("down", self.min))
        if self.max is not None:
            out.append(("up", self.max))
        ref = self.reference(text)
        if ref is not None:
            out.append(("down", ref + self.by) if self.above else ("up", ref - self.by))
        return out

    def mutate(self, text: str, direction: str, bound: float) -> str | None:
        """``text`` with the number ``find`` reads moved just past ``bound`` (``direction`` "up" or
        "down"), written in the form the pattern accepts; None when no such form matches ``find``
        (the number cannot leave the range that way: that side of the check is vacuous)."""
        match, _ = self.read(text)
        if match is None:
            return None
        group = 1 if match.groups() else 0
        start, end = match.span(group)
        for candidate in _just_past(bound, direction):
            changed = text[:start] + candidate + text[end:]
            again = re.search(self.find, changed, flags=re.IGNORECASE | re.MULTILINE)
            if again is not None and again.span(group)[0] == start and _number_of(again) is not None:
                value = _number_of(again)
                if (direction == "up" and value > bound) or (direction == "down" and value < bound):
                    return changed
        return None


def _number_of(match: re.Match) -> float | None:
    raw = (match.group(1) if match.groups() else match.group(0)) or ""
    raw = raw.replace(",", "").replace("\u2212", "-").strip().rstrip("%")
    try:
        return float(raw)
    except ValueError:
        return None


def _just_past(bound: float, direction: str) -> list[str]:
    """Numbers just above (``up``) or below (``down``) ``bound``, in a few written forms."""
    sign = 1 if direction == "up" else -1
    out = []
    for places in range(4, -1, -1):  # the closest first: 0.0301 before 0.031 before 0.1
        step = 10.0**-places
        if sign > 0:
            value = (math.floor(bound / step + 1e-9) + 1) * step
        else:
            value = (math.ceil(bound / step - 1e-9) - 1) * step
        out.append(f"{value:.{places}f}")
        if places == 0 and abs(value) >= 1000:
            out.append(f"{value:,.0f}")
    return out


def example(pattern: str, number: str | None = None) -> str:
    """A short text that ``pattern`` matches (its first group written as ``number`` where given): the
    page text a check is tested on when no page is at hand."""
    from re import _parser  # the standard library's own regex parser

    def emit(items, groups) -> str:
        out = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "NOT_LITERAL":
                out.append("a" if chr(arg) != "a" else "b")
            elif name == "ANY":
                out.append("x")
            elif name == "IN":
                out.append(_char_in(arg))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, _, body = arg
                out.append("".join(emit(body, groups) for _ in range(max(low, 0))))
            elif name == "SUBPATTERN":
                gid, _, _, body = arg
                text = emit(body, groups)
                if gid == 1 and number is not None:
                    text = number
                out.append(text)
            elif name == "BRANCH":
                out.append(emit(arg[1][0], groups))
            elif name in ("AT", "ASSERT", "ASSERT_NOT"):
                continue
            elif name == "ATOMIC_GROUP":
                out.append(emit(arg, groups))
            else:
                raise ValueError(f"cannot write an example for {name} in {pattern!r}")
        return "".join(out)

    return emit(_parser.parse(pattern), {})


def _char_in(items) -> str:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return {"CATEGORY_DIGIT": "1", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}.get(str(arg), "a")
        if name == "NEGATE":
            return "a"
    return "a"


@dataclasses.dataclass(frozen=True)
class Scene:
    """One prepared state of a page, with its question."""

    page: str  # url_path of the page
    title: str
    question: str
    look_for: str
    settings: dict = dataclasses.field(default_factory=dict, hash=False)
    predict: Prediction | None = None
    checks: tuple[Check, ...] = ()
    why: str = ""  # with ``checks = []``: why the scene states no outcome a check could pin
    press: tuple[str, ...] = ()  # buttons (their labels) the scene needs pressed to show its result
    waiting: bool = False  # its page (or some of its keys) is being built
    pending: str = ""  # why the scene cannot open yet (set by validation)

    @property
    def topic(self) -> Topic:
        return TOPIC_BY_PATH[self.page]


@dataclasses.dataclass(frozen=True)
class Lesson:
    """A title and its scenes (``scenes`` includes pending ones; :attr:`ready` those that open)."""

    name: str  # the file's stem, the URL value of ``lesson``
    title: str
    source: str
    summary: str
    scenes: tuple[Scene, ...]

    @property
    def ready(self) -> tuple[Scene, ...]:
        return tuple(s for s in self.scenes if not s.pending)

    @property
    def pending(self) -> tuple[Scene, ...]:
        return tuple(s for s in self.scenes if s.pending)


TOPIC_BY_PATH = {t.url_path: t for t in TOPICS}


# ---------------------------------------------------------------------------------------------------
# What a page reads: a cheap, static look at its view and the annlab modules the view imports


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    base = REPO_ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported_files(tree: ast.AST) -> list[Path]:
    files = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("annlab"):
            if node.module.startswith("annlab.ui") or node.module == "annlab":
                continue
            for alias in node.names:
                for name in (f"{node.module}.{alias.name}", node.module):
                    path = _module_file(name)
                    if path is not None:
                        files.append(path)
                        break
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("annlab") and not alias.name.startswith("annlab.ui"):
                    path = _module_file(alias.name)
                    if path is not None:
                        files.append(path)
    return files


def _strings(tree: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@dataclasses.dataclass(frozen=True)
class PageKeys:
    """The URL keys a page can read (a superset: every key-shaped string literal) and its Controls."""

    keys: frozenset
    controls: dict = dataclasses.field(hash=False, default_factory=dict)


def _stamp(topic: Topic) -> tuple:
    """The view's file and the annlab files it imports, with their modification times (cache keys)."""
    view = REPO_ROOT / topic.view
    try:
        mtime = view.stat().st_mtime_ns
    except OSError:
        return ()
    files = [view, *_view_imports(str(view), mtime)]
    return tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists())


@functools.lru_cache(maxsize=64)
def _view_imports(view: str, mtime: int) -> tuple[Path, ...]:
    return tuple(_imported_files(ast.parse(Path(view).read_text())))


def page_keys(topic: Topic) -> PageKeys | None:
    """What the page of ``topic`` reads, or None while its view file does not exist."""
    return _page_keys(topic.url_path, _stamp(topic))


@functools.lru_cache(maxsize=64)
def _page_keys(url_path: str, stamp: tuple) -> PageKeys | None:
    if not stamp:
        return None
    keys: set[str] = set()
    modules = []
    for file, _ in stamp:
        tree = ast.parse(Path(file).read_text())
        keys |= {s for s in _strings(tree) if KEY.match(s)}
        modules.append(Path(file))
    return PageKeys(frozenset(keys), _controls(modules))


def _controls(files: list[Path]) -> dict:
    """The :class:`Control` objects at module level (alone or in dicts, lists) of the ``defaults``
    modules among ``files``."""
    import importlib

    from annlab.controls import Control

    found: dict[str, Control] = {}
    for file in files:
        rel = file.resolve().relative_to(REPO_ROOT).with_suffix("")
        name = ".".join(p for p in rel.parts if p != "__init__")
        if not name.startswith("annlab.") or not name.endswith(".defaults"):
            continue  # Controls live in a topic's defaults.py: import nothing heavier
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a page being edited must not break lesson loading
            continue
        for value in vars(module).values():
            items = (
                value.values()
                if isinstance(value, dict)
                else value
                if isinstance(value, list | tuple)
                else [value]
            )
            for item in items:
                if isinstance(item, Control):
                    found.setdefault(item.key, item)
    return found


def check_value(control, value: Any) -> str | None:
    """None when ``value`` is a value the Control's widget can take, else why not."""
    kind = control.widget
    options = control.kw.get("options")
    if kind in ("toggle", "checkbox"):
        return None if isinstance(value, bool) else f"expects true or false, got {value!r}"
    many = kind in ("multiselect", "pills") or isinstance(control.default, tuple | list)
    values = list(value) if many and isinstance(value, list | tuple) else [value]
    if many and not isinstance(value, list | tuple):
        return f"expects a list, got {value!r}"
    if options is not None:
        opts = list(options)
        bad = [v for v in values if v not in opts]
        return f"{bad} not among the options {opts}" if bad else None
    low, high = control.kw.get("min_value"), control.kw.get("max_value")
    if isinstance(control.default, str):
        return None if all(isinstance(v, str) for v in values) else f"expects text, got {value!r}"
    for v in values:
        if isinstance(control.default, int | float) and not isinstance(v, int | float):
            return f"expects a number, got {v!r}"
        if isinstance(v, int | float) and ((low is not None and v < low) or (high is not None and v > high)):
            return f"{v} is outside [{low}, {high}]"
    return None


def native(control, value: Any) -> Any:
    """The scene's value in the form the widget holds it (a tuple for a range slider, ints stay ints)."""
    if control is None:
        return tuple(value) if isinstance(value, list) else value
    if isinstance(control.default, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(control.default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# ---------------------------------------------------------------------------------------------------
# Reading and validating one file


def _text(raw: dict, field: str, where: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    value = raw.get(field, "")
    if not isinstance(value, str):
        raise LessonError(f"{where}: '{field}' must be text, got {type(value).__name__}.")
    value = value.strip()
    if required and not value:
        raise LessonError(f"{where}: '{field}' is missing.")
    if len(value) > limit:
        raise LessonError(f"{where}: '{field}' is longer than {limit} characters.")
    return value


def _number(raw: dict, field: str, where: str) -> float | None:
    if field not in raw:
        return None
    value = raw[field]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LessonError(f"{where}: '{field}' must be a number, got {value!r}.")
    return float(value)


def _prediction(raw: Any, where: str) -> Prediction | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: 'predict' must be a table (choices = [...] or low/high).")
    unknown = set(raw) - {"choices", "low", "high", "unit", "answer", "correct", "check"}
    if unknown:
        raise LessonError(f"{where}: unknown field(s) {sorted(unknown)} in 'predict'.")
    answer = _text(raw, "answer", where, required=False)
    correct = _text(raw, "correct", where, required=False, limit=120)
    if "choices" in raw:
        choices = raw["choices"]
        if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
            raise LessonError(f"{where}: 'predict.choices' must be a list of texts.")
        if not 2 <= len(choices) <= MAX_CHOICES or len(set(choices)) != len(choices):
            raise LessonError(f"{where}: 'predict.choices' needs 2 to {MAX_CHOICES} different choices.")
        if any(len(c) > 120 for c in choices):
            raise LessonError(f"{where}: a choice is longer than 120 characters.")
        choices = [c.strip() for c in choices]
        if correct and correct not in choices:
            raise LessonError(f"{where}: 'predict.correct' = {correct!r} is not one of the choices.")
        if "check" in raw:
            raise LessonError(f"{where}: 'predict.check' is for a number prediction; give 'correct'.")
        return Prediction("choice", tuple(choices), answer=answer, correct=correct)
    low, high = _number(raw, "low", where), _number(raw, "high", where)
    if low is None or high is None or not low < high:
        raise LessonError(f"{where}: a number prediction needs low < high (or give 'choices').")
    if correct:
        raise LessonError(f"{where}: 'predict.correct' is for choices; a number's answer is read by 'check'.")
    check = raw.get("check", 0)
    if isinstance(check, bool) or not isinstance(check, int) or check < 0:
        raise LessonError(f"{where}: 'predict.check' must be the number of one of the scene's checks.")
    unit = _text(raw, "unit", where, required=False)
    return Prediction("number", (), low, high, unit, answer, check=check)


def _checks(raw: Any, where: str) -> tuple[Check, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise LessonError(f"{where}: 'checks' must be a list of tables.")
    out = []
    for i, item in enumerate(raw, 1):
        w = f"{where}, check {i}"
        if not isinstance(item, dict):
            raise LessonError(f"{w}: must be a table with 'find' and 'why'.")
        unknown = set(item) - {"find", "why", "min", "max", "fast", "above", "below", "by"}
        if unknown:
            raise LessonError(f"{w}: unknown field(s) {sorted(unknown)}.")
        find = _text(item, "find", w)
        compare = {k: _text(item, k, w) for k in ("above", "below") if k in item}
        if len(compare) > 1:
            raise LessonError(f"{w}: give 'above' or 'below', not both.")
        for key, pattern in {"find": find, **compare}.items():
            try:
                compiled = re.compile(pattern)
            except re.error as err:
                raise LessonError(f"{w}: '{key}' is not a valid regular expression ({err}).") from None
            if key != "find" and compiled.groups < 1:
                raise LessonError(f"{w}: '{key}' needs a group, (...), around the number it reads.")
        low, high = _number(item, "min", w), _number(item, "max", w)
        if low is not None and high is not None and low > high:
            raise LessonError(f"{w}: 'min' is larger than 'max'.")
        if (low is not None or high is not None or compare) and re.compile(find).groups < 1:
            raise LessonError(f"{w}: 'find' needs a group, (...), around the number that min/max judge.")
        fast = item.get("fast", True)
        if not isinstance(fast, bool):
            raise LessonError(f"{w}: 'fast' must be true or false.")
        by = _number(item, "by", w)
        if by is not None and not compare:
            raise LessonError(f"{w}: 'by' is the margin of a comparison: give 'above' or 'below' too.")
        why = _text(item, "why", w)
        out.append(Check(find, why, low, high, fast, compare.get("above"), compare.get("below"), by or 0.0))
    return tuple(out)


def _scene(raw: Any, where: str) -> Scene:
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: a scene must be a table ([[scenes]]).")
    fields = {"page", "title", "question", "look_for", "settings", "predict", "checks", "why", "press"}
    unknown = set(raw) - fields - {"waiting"}
    if unknown:
        raise LessonError(f"{where}: unknown field(s) {sorted(unknown)}.")
    if "checks" not in raw:
        raise LessonError(
            f"{where}: 'checks' is missing: pin what the scene states, or write checks = [] and a 'why' "
            "saying that the scene only sets up a view."
        )
    why = _text(raw, "why", where, required=False)
    if raw.get("checks") == [] and not why:
        raise LessonError(f"{where}: 'why' is missing: a scene with checks = [] says why nothing is pinned.")
    if raw.get("checks") and why:
        raise LessonError(f"{where}: 'why' is for a scene with checks = []; each check has its own 'why'.")
    press = raw.get("press", [])
    if not isinstance(press, list) or not all(isinstance(b, str) and b.strip() for b in press):
        raise LessonError(f"{where}: 'press' must be a list of button labels.")
    page = _text(raw, "page", where)
    if page not in TOPIC_BY_PATH:
        raise LessonError(f"{where}: page {page!r} is not a page of the lab; pages: {sorted(TOPIC_BY_PATH)}.")
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{where}: 'settings' must be a table of URL keys and values.")
    waiting = raw.get("waiting", False)
    if not isinstance(waiting, bool):
        raise LessonError(f"{where}: 'waiting' must be true or false.")
    scene = Scene(
        page=page,
        title=_text(raw, "title", where, limit=120),
        question=_text(raw, "question", where),
        look_for=_text(raw, "look_for", where),
        settings=dict(settings),
        predict=_prediction(raw.get("predict"), where),
        checks=_checks(raw.get("checks"), where),
        why=why,
        press=tuple(b.strip() for b in press),
        waiting=waiting,
    )
    if scene.predict is not None and scene.predict.check:
        k = scene.predict.check
        if k > len(scene.checks) or not scene.checks[k - 1].numeric:
            raise LessonError(f"{where}: 'predict.check' = {k} names no check here that reads a number.")
    problem = _settings_problem(scene, where)
    if problem and not waiting:
        raise LessonError(problem)
    return dataclasses.replace(scene, pending=problem or "")


def _settings_problem(scene: Scene, where: str) -> str | None:
    """What is wrong with the scene's settings against its page, or None."""
    for key, value in scene.settings.items():
        if key in GLOBAL_KEYS or key in LESSON_KEYS:
            return f"{where}: '{key}' is a lab-wide setting; a scene sets only its page's keys."
        if not isinstance(value, str | int | float | bool | list):
            kind = type(value).__name__
            return f"{where}: setting '{key}' is a {kind}; use text, a number, true/false or a list."
    topic = TOPIC_BY_PATH[scene.page]
    known = page_keys(topic)
    if known is None:
        return f"{where}: waits for its page {topic.title!r} ({topic.view} does not exist yet)."
    missing = [k for k in scene.settings if k not in known.keys]
    if missing:
        return f"{where}: the page {topic.title!r} reads no key {missing} (a typo, or a key not built yet)."
    for key, value in scene.settings.items():
        control = known.controls.get(key)
        if control is not None:
            problem = check_value(control, value)
            if problem:
                return f"{where}: setting {key} = {value!r}: {problem}."
    return None


def load(path: str | Path) -> Lesson:
    """Read and validate one lesson file; raises :class:`LessonError` with a clear message."""
    path = Path(path)
    name = path.stem
    if not NAME.match(name):
        raise LessonError(f"{path.name}: a lesson's file name must be short, lower case, digits, - or _.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise LessonError(f"{path.name}: not valid TOML ({err}).") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LessonError(f"{path.name}: cannot be read ({err}).") from None
    unknown = set(raw) - {"title", "source", "summary", "scenes"}
    if unknown:
        raise LessonError(f"{path.name}: unknown field(s) {sorted(unknown)}.")
    where = path.name
    scenes_raw = raw.get("scenes")
    if not isinstance(scenes_raw, list) or not scenes_raw:
        raise LessonError(f"{where}: a lesson needs at least one [[scenes]] table.")
    scenes = tuple(_scene(s, f"{where}, scene {i}") for i, s in enumerate(scenes_raw, 1))
    return Lesson(
        name=name,
        title=_text(raw, "title", where, limit=120),
        source=_text(raw, "source", where, limit=120),
        summary=_text(raw, "summary", where, required=False),
        scenes=scenes,
    )


def files(folder: Path | None = None) -> list[Path]:
    """The lesson files, in name order."""
    return sorted((folder or LESSON_DIR).glob("*.toml"))


def load_all(folder: Path | None = None) -> tuple[dict[str, Lesson], dict[str, str]]:
    """Every lesson that loads (by name) and the error of every file that does not."""
    lessons, problems = {}, {}
    for path in files(folder):
        try:
            lesson = _cached_load(str(path), path.stat().st_mtime_ns, _stamps())
        except LessonError as err:
            problems[path.stem] = str(err)
        else:
            lessons[lesson.name] = lesson
    return lessons, problems


def _stamps() -> tuple:
    return tuple(_stamp(t) for t in TOPICS)


@functools.lru_cache(maxsize=64)
def _cached_load(path: str, mtime: int, stamps: tuple) -> Lesson:
    return load(path)


def get(name: str) -> Lesson | None:
    """The lesson called ``name`` (its file stem), or None when there is none or it does not load."""
    if not isinstance(name, str) or not NAME.match(name):
        return None
    path = LESSON_DIR / f"{name}.toml"
    extra = os.environ.get("ANNLAB_LESSON_FILE")  # ``lesson check`` of a file outside lessons/
    if extra and Path(extra).stem == name and Path(extra).exists():
        path = Path(extra)
    if not path.exists():
        return None
    try:
        return _cached_load(str(path), path.stat().st_mtime_ns, _stamps())
    except LessonError:
        return None


def query(lesson: Lesson, index: int) -> dict[str, str]:
    """The URL parameters that open scene ``index`` (1-based, among the ready scenes) of ``lesson``."""
    return {"lesson": lesson.name, "scene": str(index)}
