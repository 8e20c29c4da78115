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
table.annlab-table, table.annlab-datatable {
  border-collapse: collapse; width: 100%; font-size: 0.875rem; margin-bottom: 0.5rem;
}
table.annlab-table th, table.annlab-table td, table.annlab-datatable th, table.annlab-datatable td {
  border-bottom: 1px solid rgba(128, 128, 128, 0.3); padding: 0.3rem 0.45rem; text-align: right;
  font-variant-numeric: tabular-nums; overflow-wrap: anywhere;  /* a table never runs past its column */
}
@media (max-width: 640px) {  /* a phone: a smaller font, and a long cell breaks rather than overflow */
  table.annlab-table, table.annlab-datatable { font-size: 0.72rem; }
  table.annlab-table th, table.annlab-table td, table.annlab-datatable th, table.annlab-datatable td {
    padding: 0.2rem 0.2rem; overflow-wrap: anywhere;
  }
}
table.annlab-table th, table.annlab-datatable th { font-weight: 600; color: inherit; }
table.annlab-table td:first-child, table.annlab-table th:first-child { text-align: left; }
/* Accessibility (issue 38): text alternatives, focus, wrapping, motion */
.annlab-sr {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
[data-testid="stElementContainer"]:has(.annlab-figtext) { margin-top: -0.9rem; }
[data-testid="stElementContainer"]:has(.annlab-script) { display: none; }
.annlab-figtext summary { font-size: 0.8rem; cursor: pointer; width: fit-content; }
.annlab-datawrap { overflow: auto; max-height: 22rem; font-size: 0.8rem; }
.annlab-datawrap p { margin: 0.2rem 0; }
:focus-visible, [data-testid="stMain"] *:focus-visible, [data-testid="stSidebar"] *:focus-visible {
  outline: 3px solid #0072B2 !important; outline-offset: 2px !important;
}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stMetric"] { container-type: inline-size; }  /* the value shrinks with its column */
[data-testid="stMetricValue"] { font-size: clamp(1.1rem, 30cqi, 2.25rem) !important; }
[data-testid="stMetricValue"] * { font-size: inherit !important; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto;
}
/* button, popover and link labels wrap instead of ending in "..." in a narrow column */
[data-testid="stMain"] .stMarkdownEllipsis, [data-testid="stMain"] .stMarkdownEllipsis *,
[data-testid="stPopoverButton"] *, [data-testid^="stBaseButton"] * {
  white-space: normal !important; text-overflow: clip !important; overflow-wrap: anywhere;
}
[role="tab"] .stMarkdownEllipsis, [role="tab"] .stMarkdownEllipsis * { white-space: nowrap !important; }
/* A chart of fixed-width views side by side (hconcat) wider than its column is drawn smaller to fit:
   nothing past the window's edge at 390 px (a single view already fits its column, fit-x). */
[data-testid="stMain"] [data-testid="stVegaLiteChart"] { max-width: 100%; }
[data-testid="stMain"] [data-testid="stVegaLiteChart"] > canvas,
[data-testid="stMain"] [data-testid="stVegaLiteChart"] > svg {
  max-width: 100% !important; height: auto !important;
}
/* Tabs wrap onto a second row instead of scrolling sideways out of a narrow window */
[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; overflow-x: visible; row-gap: 0.25rem; }
[data-testid="stTabs"] [data-baseweb="tab-highlight"] { display: none; }
[data-testid="stTabs"] [role="tab"][aria-selected="true"] { box-shadow: inset 0 -3px 0 currentColor; }
/* a multiselect's chosen options wrap onto more rows instead of scrolling sideways */
[data-testid="stMultiSelectTagsContainer"] {
  flex-wrap: wrap !important; overflow: visible !important; height: auto !important;
}
[data-testid="stMultiSelect"] div:has(> [data-testid="stMultiSelectTagsContainer"]) {
  height: auto !important; max-height: none !important; align-items: flex-start;
}
/* code and wide formulas wrap or shrink instead of running past a narrow window */
[data-testid="stCode"] pre, [data-testid="stCode"] code {
  white-space: pre-wrap !important; overflow-wrap: anywhere;
}
.katex-display > .katex, .katex-display > .katex > .katex-html { white-space: normal !important; }
.katex-display .base { margin: 0.15em 0; }  /* a long display formula breaks after its = signs */
@media (max-width: 640px) { .katex-display { font-size: 0.8em; } }
/* a chart's toolbar (show data, download, full screen) stays inside a narrow window */
[data-testid="stElementToolbar"] { max-width: 100%; }
[data-testid="stElementToolbarButtonContainer"] { flex-wrap: wrap; justify-content: flex-end; }
/* Streamlit's grey captions fall below 4.5:1: the text colour, slightly lighter */
[data-testid="stCaptionContainer"], [data-testid="stImageCaption"] {
  color: inherit !important; opacity: 0.82;
}
[data-testid="stCaptionContainer"] * { color: inherit !important; }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after {
    animation-duration: 0.01ms !important; animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important; scroll-behavior: auto !important;
  }
}
</style>
"""
# The text alternative of a chart (``annlab.ui.display.figure_text``, the element after it) becomes the
# chart's accessible name and description: Vega's container carries role graphics-document; this links
# it to the hidden title and sentence (aria-labelledby, aria-describedby). Run once per browser tab.
# No "<" before a letter inside the script: DOMPurify (st.html) drops such a script silently.
LINK_JS = """<span class="annlab-script" hidden></span><script>
(() => {
  if (window.__annlabFigures) return;
  window.__annlabFigures = true;
  let n = 0, queued = false;
  let link = () => {
    queued = false;
    for (const t of document.querySelectorAll('.annlab-figtext')) {
      const box = t.closest('[data-testid="stElementContainer"]');
      const prev = box && box.previousElementSibling;
      const doc = prev && prev.querySelector('[data-testid="stVegaLiteChart"]');
      if (!doc) continue;
      const title = t.querySelector('.annlab-figtitle'), desc = t.querySelector('.annlab-figdesc');
      if (!title.id) { n += 1; title.id = 'annlab-fig-' + n + '-t'; desc.id = 'annlab-fig-' + n + '-d'; }
      if (doc.getAttribute('aria-describedby') !== desc.id) {
        doc.setAttribute('aria-labelledby', title.id);
        doc.setAttribute('aria-describedby', desc.id);
        doc.setAttribute('role', 'img');
        doc.removeAttribute('aria-roledescription');
      }
    }
  };
  /* Streamlit's navigation puts its sections (a header, then li links) as divs inside one ul
     (axe: list, listitem). Each section becomes the list of its links; the outer ul a plain box. */
  const navLists = () => {
    for (const ul of document.querySelectorAll('[data-testid="stSidebarNavItems"]:not([role])')) {
      ul.setAttribute('role', 'none');
      for (const li of ul.querySelectorAll('li')) {
        const box = li.parentElement;
        if (box && box !== ul && !box.getAttribute('role')) box.setAttribute('role', 'list');
      }
      for (const li of ul.querySelectorAll(':scope > li')) li.setAttribute('role', 'none');
    }
  };
  /* a region that scrolls sideways (a wide formula, a table, a component's box) takes focus, so the
     keyboard can scroll it (axe: scrollable-region-focusable) */
  const scrollers = (root) => {
    for (const e of root.querySelectorAll('.katex-display, .stHtml > div, .dc-scroll')) {
      if (e.scrollWidth > e.clientWidth + 1 && !e.hasAttribute('tabindex')) e.setAttribute('tabindex', '0');
    }
    for (const host of root.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      if (host.shadowRoot) scrollers(host.shadowRoot);
    }
  };
  const link0 = link;
  link = () => {
    for (const step of [navLists, link0, () => scrollers(document)]) {
      try { step(); } catch (err) { console.warn('annlab a11y', err); }
    }
  };
  setInterval(link, 1500);  /* a component's shadow DOM changes unseen by the observer */
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(link); } })
    .observe(document.body, {childList: true, subtree: true, characterData: true});
  link();
})();
</script>"""
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
    st.html(LINK_JS, unsafe_allow_javascript=True)
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
