"""The frame every page shares (set up once by ``app.py``) and the head of each view."""

from __future__ import annotations

import streamlit as st

from annlab import jobs
from annlab.ui import snapshot, timing
from annlab.ui.sidebar import LabSettings, sidebar

# Compact first screen: the main figure of every page fits 1280x720, in normal and projector mode.
BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.6rem; padding-bottom: 3rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.9rem; padding: 0 0 0.2rem 0; }
[data-testid="stMainBlockContainer"] h2 { font-size: 1.45rem; padding: 0.4rem 0 0.2rem 0; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.2rem; padding: 0.3rem 0 0.1rem 0; }
[data-testid="stHeader"] { background: transparent; }
table.annlab-table { border-collapse: collapse; width: 100%; font-size: 0.875rem; margin-bottom: 0.5rem; }
table.annlab-table th, table.annlab-table td {
  border-bottom: 1px solid rgba(49, 51, 63, 0.12); padding: 0.3rem 0.45rem; text-align: right;
  font-variant-numeric: tabular-nums;
}
table.annlab-table th { font-weight: 600; color: rgba(49, 51, 63, 0.7); }
table.annlab-table td:first-child, table.annlab-table th:first-child { text-align: left; }
</style>
"""
PROJECTOR_CSS = """
<style>
html { font-size: 21px !important; }  /* Streamlit sizes text in rem: everything grows by a third */
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; }
</style>
"""


def _projector_requested() -> bool:
    if "projector" in st.session_state:
        return bool(st.session_state["projector"])
    return st.query_params.get("projector", "").lower() in {"1", "true", "yes", "on"}


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def frame() -> LabSettings:
    """Page config, house CSS and the shared sidebar: called once per run by ``app.py``.

    In projector mode the sidebar starts collapsed (its settings stay in the URL).
    """
    timing.install()
    snapshot.begin_run()  # forget the last run's charts and widgets ("Download snapshot")
    jobs.server_pool()  # from now on every training of this server runs in its worker pool (if any)
    jobs.set_owner(_session_id())  # trainings this run asks for (experiments' too) are this session's
    projector = _projector_requested()
    st.set_page_config(
        page_title="annlab",
        page_icon=":material/neurology:",
        layout="wide",
        initial_sidebar_state="collapsed" if projector else "auto",
    )
    settings = sidebar()
    st.markdown(BASE_CSS + (PROJECTOR_CSS if settings.projector else ""), unsafe_allow_html=True)
    if settings.projector != projector:  # toggled in this run
        st.set_page_config(initial_sidebar_state="collapsed" if settings.projector else "expanded")
    return settings


def page(title: str, lead: str, look_for: str | None = None) -> None:
    """The head of a view: its title, a one-line lead, and "what to look for" folded into a popover."""
    st.title(title)
    if look_for:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(lead)
        with right.popover("Look for", icon=":material/visibility:", width="stretch"):
            st.markdown(look_for)
    else:
        st.markdown(lead)


def main_figure():
    """The container of a page's main figure (the browser test checks it fits the first screen)."""
    return st.container(key="main_figure")
