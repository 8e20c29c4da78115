"""Open a page of the app in AppTest the way a browser does: through ``app.py`` and its navigation."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(view: str | None = None, query: dict | None = None, *, timeout: float = 300) -> AppTest:
    """Run ``app.py`` with ``query`` in the URL, on the page whose view file is ``view`` (home if None)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()  # AppTest knows the navigation's pages (and their url_paths) only after a first run
    if view is not None:
        at.switch_page(view)
        at.run()
    return at


def tables(at: AppTest) -> list:
    """The frames of the static tables a run drew (``ui.table``), in page order, cells as text."""
    from annlab.ui import read_table

    return [f for f in (read_table(h.proto.body) for h in at.html) if f is not None]


def errors(at: AppTest) -> list[str]:
    """The exceptions a run raised, as text."""
    return [str(e.value)[:2000] for e in at.exception]


def fingerprint(at: AppTest) -> str:
    """Everything the main area shows (texts, tables, charts, images), to compare two runs."""
    return "\n".join(str(getattr(node, "proto", "")) for node in at.main)
