"""Check that a page's main figure fits the first screen at 1280x720, in normal and projector mode.

    .venv/bin/python scripts/first_screen.py Hopfield Optimizers     # url paths; default: every page
    ANNLAB_FAST=1 .venv/bin/python scripts/first_screen.py Latent_space

Prints the main figure's top and bottom edge per page and mode, and saves screenshots of the first
screen as ``test-artifacts/first-screen-<page>-<mode>.png``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from browser import (  # noqa: E402
    ARTIFACTS,
    VIEWPORT,
    chromium_browser,
    exception_text,
    main_figure_box,
    prime,
    settle,
    streamlit_server,
)


def main(argv: list[str]) -> int:
    from annlab.topics import TOPICS

    paths = argv or [t.url_path for t in TOPICS]
    out = {}
    with streamlit_server(log_name="first-screen.log") as url, chromium_browser() as browser:
        prime(url, browser)
        for path in paths:
            for mode, query in (("normal", ""), ("projector", "?projector=true")):
                ctx = browser.new_context(viewport=VIEWPORT)
                page = ctx.new_page()
                page.goto(f"{url}/{path}{query}", timeout=60_000)
                settle(page)
                box = main_figure_box(page)
                page.screenshot(path=str(ARTIFACTS / f"first-screen-{path}-{mode}.png"))
                out[f"{path}/{mode}"] = {
                    "top": None if box is None else round(box["y"]),
                    "bottom": None if box is None else round(box["y"] + box["height"]),
                    "fits": box is not None and box["y"] + box["height"] <= VIEWPORT["height"],
                    "exception": exception_text(page),
                }
                print(path, mode, out[f"{path}/{mode}"], flush=True)
                ctx.close()
    print(json.dumps(out))
    return 0 if all(v["fits"] and not v["exception"] for v in out.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
