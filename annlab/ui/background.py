"""``ui.ahead``: the slider positions next to the one on screen, prepared in the background.

A lecturer steps a slider one position at a time. While the class looks at one position, the server
prepares the neighbouring ones (loads from the model store and builds their chart specs into the same
caches the page reads), so the next press finds them ready. One background thread per server process does
this work, newest request first per section: jobs of a request that a later move of the same session's
slider has replaced are dropped unstarted. A request starts ``DELAY_S`` after it was made, so that the
page's own messages go out and the browser draws them before the server gets busy again (py-spy: about
200 ms of background work per press of the optimizer's noise slider, competing with the browser for
two cores and with the page's own messages for the GIL). A job must never train
or draw: it reads stored results only and fills caches (a failure is logged and forgotten, the page
computes as before).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_LOG = logging.getLogger(__name__)
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="annlab-ahead")
_LOCK = threading.Lock()
_LATEST: dict[tuple[str, str], int] = {}  # (session, section) -> number of its newest request
DELAY_S = 0.3


def _session() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


def ahead(section: str, jobs: list[Callable[[], object]]) -> threading.Event:
    """Run ``jobs`` in order in the background; a later call for the same ``section`` of the same
    session drops those not started yet. Returns an event set when this request is over (for tests)."""
    key = (_session(), section)
    with _LOCK:
        number = _LATEST[key] = _LATEST.get(key, 0) + 1
    done = threading.Event()

    def run() -> None:
        try:
            time.sleep(DELAY_S)
            for job in jobs:
                if _LATEST.get(key) != number:
                    return
                try:
                    job()
                except Exception:  # a position prepared ahead is only an optimisation
                    _LOG.warning("preparing a slider position ahead failed", exc_info=True)
        finally:
            done.set()

    _EXECUTOR.submit(run)
    return done


def wait_idle(timeout: float = 60) -> None:
    """Return once every request made so far is over (the tests; raises TimeoutError after ``timeout``)."""
    _EXECUTOR.submit(lambda: None).result(timeout)
