"""Driving the app in a real browser: ``streamlit run`` on 127.0.0.1 and headless Chromium (Playwright).

Used by the browser tests, ``scripts/first_screen.py`` and the benchmarks. A system Chromium is used
(``ANNLAB_CHROMIUM``, ``/usr/bin/chromium``), else Playwright's own browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 720}


def chromium() -> str | None:
    for candidate in (
        os.environ.get("ANNLAB_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, log_name: str = "streamlit.log", port: int | None = None):
    """Start ``streamlit run app.py`` on ``port`` (default: a free one); yields its base URL."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = port or free_port()
    with open(ARTIFACTS / log_name, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"streamlit did not start; see {ARTIFACTS / log_name}") from None
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def prime(url: str, browser) -> None:
    """Open the home page once on a fresh server.

    Streamlit 1.67 shows a "Page not found" notice to the very first session of a fresh server when it
    opens a page other than the home page (streamlit/streamlit#8860: the page registry of
    ``st.navigation`` is filled by the first run); every later session is fine.
    """
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(url, timeout=60_000)
    settle(page)
    ctx.close()


@contextlib.contextmanager
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        exe = chromium()
        b = (
            p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            if exe
            else p.chromium.launch(args=CHROMIUM_ARGS)
        )
        try:
            yield b
        finally:
            b.close()


def settle(page, timeout_s: float = 600, idle_polls: int = 4) -> None:
    """Wait until the app has finished running the script and stays idle for a moment."""
    app = page.locator("[data-testid='stApp']")
    app.wait_for(timeout=60_000)
    deadline = time.time() + timeout_s
    idle = 0
    while time.time() < deadline:
        state = app.get_attribute("data-test-script-state")
        idle = idle + 1 if state == "notRunning" else 0
        if idle >= idle_polls:
            return
        page.wait_for_timeout(400)
    raise AssertionError("the page kept running")


def exception_text(page) -> str | None:
    boxes = page.locator("[data-testid='stException']")
    return boxes.first.inner_text()[:2000] if boxes.count() else None


def main_figure_box(page) -> dict | None:
    """Bounding box of the page's main figure (``ui.main_figure()``), in page coordinates: the union of
    its graphics (charts and images) and the controls drawn with them. The text alternative each chart
    carries below it (the visually hidden description, the folded "Data as a table") is not part of the
    figure a class looks at; the whole container is the box when it holds no graphics."""
    fig = page.locator(".st-key-main_figure")
    if fig.count() == 0:
        return None
    fig.first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # charts finish their layout
    return fig.first.evaluate(
        """el => {
          const box = r => ({x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height});
          const parts = [...el.querySelectorAll(".vega-embed, img, canvas, [data-testid='stSlider']")]
            .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
          if (!parts.length) return box(el.getBoundingClientRect());
          const top = Math.min(...parts.map(r => r.top)), left = Math.min(...parts.map(r => r.left));
          const bottom = Math.max(...parts.map(r => r.bottom)), right = Math.max(...parts.map(r => r.right));
          return {x: left, y: top + window.scrollY, width: right - left, height: bottom - top};
        }"""
    )


# --- accessibility: axe-core, overflow, keyboard, text alternatives (tests/test_a11y.py, bench/a11y.py) ---

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # installed by scripts/ensure_axe.sh (npm)
SIZES = {"laptop": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
# Streamlit's own markup (not annlab's content): the page navigation, the header and its toolbar, the
# sidebar's frame. Everything else (the main area, the sidebar's settings) counts as annlab's.
FRAMEWORK_PARTS = (
    "[data-testid='stSidebarNav']",
    "[data-testid='stHeader']",
    "[data-testid='stToolbar']",
    "[data-testid='stDecoration']",
    "[data-testid='stSidebarHeader']",
    "[data-testid='stSidebarCollapsedControl']",
    "[data-testid='stStatusWidget']",
)

_AXE_RUN = """async (parts) => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  const out = [];
  for (const v of r.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    for (const n of v.nodes) {
      let el = null;
      try { el = document.querySelector(n.target[0]); } catch (e) { el = null; }
      const framework = !!(el && el.closest(parts.join(',')));
      out.push({rule: v.id, impact: n.impact || v.impact, target: n.target.join(' '),
                html: n.html.slice(0, 160), framework});
    }
  }
  return out;
}"""


NAV_READY = "() => !document.querySelector(\"[data-testid='stSidebarNavItems']:not([role])\")"
# the frame's script has made every region that scrolls sideways focusable, the drawing canvas's box in
# a component's shadow DOM included (it looks on a 1.5 s timer there, which axe must not outrun)
SCROLLERS_READY = """() => {
  const bare = (root) => [...root.querySelectorAll('.katex-display, .stHtml > div, .dc-scroll')]
    .some(e => e.scrollWidth > e.clientWidth + 1 && !e.hasAttribute('tabindex'))
    || [...root.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
      .some(h => h.shadowRoot && bare(h.shadowRoot));
  return !bare(document);
}"""


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on ``page``, one dict per element: ``rule``, ``impact``,
    ``target`` (CSS path), ``html`` and ``framework`` (True inside Streamlit's own markup,
    :data:`FRAMEWORK_PARTS`). axe is injected from the local npm package: no network."""
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `bash scripts/ensure_axe.sh` (or `make test`)")
    with contextlib.suppress(Exception):  # the frame's script has given the navigation its list roles
        page.wait_for_function(NAV_READY, timeout=5000)
    with contextlib.suppress(Exception):  # ... and made the scrolling regions focusable
        page.wait_for_function(SCROLLERS_READY, timeout=5000)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_AXE_RUN, list(FRAMEWORK_PARTS))


_OVERFLOW = """() => {
  const W = window.innerWidth;
  let worst = 0, who = null;
  const memo = new Map();
  const srOnly = (e) => {  /* visually hidden on purpose (screen-reader text, KaTeX's MathML) */
    if (!e || e.matches("[data-testid='stMain']")) return false;
    if (memo.has(e)) return memo.get(e);
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    const hidden = s.clip !== 'auto' || s.clipPath.startsWith('inset(50%')
      || ((r.width <= 1 || r.height <= 1) && s.overflow === 'hidden') || srOnly(e.parentElement);
    memo.set(e, hidden);
    return hidden;
  };
  for (const el of document.querySelectorAll("[data-testid='stMain'] *")) {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    if (getComputedStyle(el).visibility === 'hidden' || srOnly(el)) continue;
    const over = Math.max(r.right - W, -r.left);
    if (over > worst + 0.5) {
      worst = over;
      const tid = el.closest('[data-testid]');
      who = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ?
        '.' + el.className.split(' ')[0] : '') + ' in ' + (tid ? tid.getAttribute('data-testid') : '?')
        + ' (right ' + Math.round(r.right) + ' of ' + W + ')';
    }
  }
  return {overflow_px: Math.round(worst), element: who,
          page_scroll_px: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


def overflow(page) -> dict:
    """How far any visible element of the main area ends past the window's left or right edge (clipped,
    or inside a region that scrolls sideways): ``overflow_px``, the ``element`` that does it most, and
    ``page_scroll_px`` (the page's own sideways scroll)."""
    return page.evaluate(_OVERFLOW)


_FIGURES = """() => {
  const out = [];
  const text = (ids) => (ids || '').split(/\\s+/).filter(Boolean)
      .map(id => { const e = document.getElementById(id); return e ? e.textContent.trim() : ''; }).join(' ');
  for (const c of document.querySelectorAll("[data-testid='stVegaLiteChart']")) {
    if (!c.getClientRects().length) continue;
    const doc = c.matches('[aria-label], [aria-labelledby]') ? c : c.querySelector('[aria-label]');
    const get = (a) => doc ? (doc.getAttribute(a) || '') : '';
    out.push({kind: 'chart', name: text(get('aria-labelledby')) || get('aria-label'),
              description: get('aria-description') || text(get('aria-describedby'))});
  }
  for (const img of document.querySelectorAll("[data-testid='stMain'] img, [data-testid='stSidebar'] img")) {
    if (!img.getClientRects().length) continue;
    const alt = (img.getAttribute('alt') || '').trim();
    out.push({kind: 'image', name: alt, description: alt});
  }
  return out;
}"""


def figure_texts(page) -> list[dict]:
    """Every visible chart and image: its accessible ``name`` and ``description`` (empty when missing)."""
    return page.evaluate(_FIGURES)


_ACTIVE = """(key) => {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  const vis = (e) => { const s = getComputedStyle(e);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
      || (s.boxShadow && s.boxShadow !== 'none'); };
  let shown = false;
  for (let e = a, i = 0; e && i < 3; e = e.parentElement, i++) if (vis(e)) { shown = true; break; }
  const tid = a.closest('[data-testid]');
  return {in_main: !!a.closest("[data-testid='stMain']"),
          in_control: !!key && !!a.closest('.st-key-' + key)
            && !a.closest("[data-testid='stTooltipHoverTarget']"),
          role: a.getAttribute('role') || a.tagName.toLowerCase(),
          testid: tid ? tid.getAttribute('data-testid') : '',
          label: (a.getAttribute('aria-label') || a.innerText || '').trim().slice(0, 60),
          focus_visible: shown};
}"""


_VALUE = "() => document.activeElement.getAttribute('aria-valuenow') || location.href"


def keyboard_walk(page, key: str | None, max_tabs: int = 90) -> dict:
    """Press Tab from the top of the page (keyboard only) and record what gets focus.

    Returns ``stops`` (one dict per focused element of the main area: role, test id, label,
    ``focus_visible``: an outline or focus ring shows), ``control_reached`` (the widget ``key`` got
    focus) and ``control_moved`` (ArrowRight, then ArrowLeft on it changed its value: it works from the
    keyboard)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops, reached, moved, seen = [], False, None, set()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        info = page.evaluate(_ACTIVE, key)
        if info is None:
            continue
        sig = (info["testid"], info["role"], info["label"])
        if info["in_main"] and sig not in seen:
            seen.add(sig)
            stops.append(info)
        if info["in_control"] and not reached:
            reached = True
            before = page.evaluate(_VALUE)
            page.keyboard.press("ArrowRight")
            settle(page, idle_polls=2)
            after = page.evaluate(_VALUE)
            moved = before != after
            page.keyboard.press("ArrowLeft")
            settle(page, idle_polls=2)
            break
    return {"stops": stops, "control_reached": reached, "control_moved": bool(moved)}
