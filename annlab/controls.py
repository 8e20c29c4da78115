"""Controls as data: each page's widgets, their URL keys and defaults, declared in its ``defaults.py``.

A :class:`Control` names a Streamlit input by its method name, its label, its URL key and its default,
plus the widget's own options. ``annlab.ui.control(c)`` draws it bound to the URL; a topic's
``defaults.py`` is then the one place a default is written, for the view, the warm-up and the tests.
"""

from __future__ import annotations

import dataclasses
from typing import Any

WIDGETS = frozenset(
    {
        "slider",
        "select_slider",
        "selectbox",
        "radio",
        "multiselect",
        "toggle",
        "checkbox",
        "number_input",
        "text_input",
        "text_area",
        "pills",
        "segmented_control",
    }
)


@dataclasses.dataclass(frozen=True)
class Control:
    """One URL-bound widget: ``ui.persisted(st.<widget>, label, key=key, default=default, **kw)``.

    ``key`` is the URL parameter: links lecturers shared carry it, so it never changes meaning.
    """

    widget: str  # a Streamlit input method: "slider", "select_slider", "selectbox", "radio", "toggle", ...
    label: str
    key: str
    default: Any
    kw: dict = dataclasses.field(default_factory=dict, hash=False)

    def __post_init__(self):
        if self.widget not in WIDGETS:
            raise ValueError(
                f"Unknown widget {self.widget!r} for {self.key}; choose one of {sorted(WIDGETS)}."
            )
        options = self.kw.get("options")
        if options is not None:
            values = self.default if self.widget in ("multiselect", "pills") else [self.default]
            if isinstance(self.default, tuple) and self.widget == "select_slider":
                values = list(self.default)
            missing = [v for v in values if v not in list(options)]
            if missing:
                raise ValueError(f"{self.key}: default {missing} is not among the options.")
        low, high = self.kw.get("min_value"), self.kw.get("max_value")
        values = self.default if isinstance(self.default, tuple) else (self.default,)
        if any((low is not None and v < low) or (high is not None and v > high) for v in values):
            raise ValueError(f"{self.key}: default {self.default} is outside [{low}, {high}].")


def neighbours(positions, value, k: int = 2) -> list:
    """The slider ``positions`` next to ``value`` (the one nearest it), nearest first: one step right,
    one left, two right, two left ... up to ``k`` steps; the ones a lecturer's next press reaches."""
    positions = list(positions)
    if not positions:
        return []
    i = min(range(len(positions)), key=lambda j: abs(positions[j] - value))
    out = []
    for step in range(1, k + 1):
        out += [positions[j] for j in (i + step, i - step) if 0 <= j < len(positions)]
    return out
