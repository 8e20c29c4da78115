"""Training from a page: the model store, a bounded in-memory cache, progress, lasting learning curves.

``train(spec)`` returns the same :class:`~annlab.training.TrainResult` to every user of the server for
the same spec and device: the first caller trains (progress bar and live curves), everyone else gets
the cached object. The model store makes a restart or a second server process load instead of train.
The learning curves are drawn from ``result.history``, so they stay on screen on every later rerun and
after a load from disk.
"""

from __future__ import annotations

import contextlib
import warnings

import pandas as pd
import streamlit as st

from annlab import jobs
from annlab.charts import curve_groups, history_chart
from annlab.store import StoreError, StoreWarning
from annlab.training import TrainResult, TrainSpec
from annlab.ui.cached import LRU
from annlab.ui.display import chart, live_curves
from annlab.ui.sidebar import current

MEMORY_SIZE = 48  # trained models kept in memory per server process (least recently used goes first)


@st.cache_resource(show_spinner=False)
def _memory() -> LRU:
    return LRU(MEMORY_SIZE)


def _progress(slot, spec: TrainSpec):
    """The training callback: a status panel in ``slot`` with a progress bar and a live curve, made at
    the first epoch (a model that only loads from the store draws nothing, so the page's charts after
    it are updated in place, not rebuilt)."""
    rows: list[dict] = []
    total = spec.num_epochs
    bar = live = None

    def callback(epoch: int, metrics: dict) -> None:
        nonlocal bar, live
        if bar is None:
            status = slot.container().status(f"Training {spec.label} ...", expanded=True)
            bar, live = status.progress(0.0), status.empty()
        rows.append({"epoch": epoch, **metrics})
        if total:
            bar.progress(min(1.0, epoch / total), text=f"epoch {epoch} / {total}")
        keys = _curve_keys(spec, rows)
        if keys:
            live_curves(live, pd.DataFrame(rows).set_index("epoch")[keys], height=180)

    return callback


def _session() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


def _stopped() -> dict:
    """Jobs of this session that failed or were cancelled, by store key (not retried on every rerun)."""
    return st.session_state.setdefault("_annlab_stopped_jobs", {})


@st.fragment(run_every=1.0)
def _job_panel(pool: jobs.Pool, job: jobs.Job, label: str, owner: str) -> None:
    """Place in the queue, progress and live curve of a job in a worker, polled once a second."""
    try:
        job = pool.refresh(job)
        ahead = pool.ahead(job) if job.state == jobs.QUEUED else 0
    except jobs.JobsUnavailable as exc:  # Redis went away: say so, keep polling
        st.warning(str(exc), icon=":material/cloud_off:")
        return
    if job.state == jobs.DONE:
        st.rerun(scope="app")
    if not job.active:
        _stopped()[job.key] = job.message
        st.rerun(scope="app")
    if job.active and job.message:  # e.g. its worker died and it was queued again
        st.caption(job.message)
    if job.state == jobs.QUEUED:
        plural = "s" if ahead != 1 else ""
        st.info(
            f"Waiting for a free training worker: {ahead} training{plural} ahead of yours. "
            "Other tabs and pages keep working meanwhile.",
            icon=":material/hourglass_top:",
        )
    else:
        total = f" / {job.total}" if job.total else ""
        epoch = job.history[-1].get("epoch", len(job.history)) if job.history else 0
        st.progress(job.fraction, text=f"Training {label} in a worker: epoch {epoch:g}{total}")
        rows = [r for r in job.history if "epoch" in r]
        keys = [k for k in ("loss", "val_loss") if rows and k in rows[-1]]
        if len(rows) > 1 and keys:
            live_curves(st, pd.DataFrame(rows).set_index("epoch")[keys], height=180)
    if len(job.owners) > 1:
        st.caption(f"{len(job.owners)} sessions are waiting for this same model: it trains once for all.")
    if st.button("Cancel this training", key=f"cancel-job-{job.id}", icon=":material/cancel:"):
        with contextlib.suppress(jobs.JobsUnavailable):  # Redis away: the job ends at its time limit
            pool.cancel(job, owner)
        _stopped()[job.key] = "You cancelled this training."
        st.rerun(scope="app")


def _train_in_pool(pool: jobs.Pool, spec: TrainSpec, device: str, slot) -> None:
    """Send ``spec`` to the pool and stop this run; the job panel reruns the page when the model is in."""
    owner = _session()
    with slot.container():
        stopped = _stopped()
        if spec.key in stopped:
            st.error(stopped[spec.key] or f"Training {spec.label} stopped.")
            if st.button(f"Train {spec.label} again", key=f"retry-{spec.key}", icon=":material/refresh:"):
                del stopped[spec.key]
                st.rerun(scope="app")
            st.stop()
        try:
            job = pool.submit(spec, device, owner=owner)
        except jobs.JobRefused as exc:
            st.warning(str(exc), icon=":material/block:")
            st.stop()
        except jobs.JobsUnavailable as exc:  # Redis is down: say so; stored models still load
            st.warning(str(exc), icon=":material/cloud_off:")
            st.stop()
        _job_panel(pool, job, spec.label, owner)
    st.stop()


def _curve_keys(spec: TrainSpec, history: list[dict]) -> list[str]:
    present = {k for row in history for k, v in row.items() if isinstance(v, int | float) and k != "epoch"}
    wanted = spec.curves or ("loss", "val_loss")
    keys = [k for k in wanted if k in present]
    return keys or sorted(present - {"seconds"})[:2]


def learning_curves(result: TrainResult, spec: TrainSpec) -> None:
    """A folded panel with the learning curves of a trained model, drawn from its history.

    The charts are built only while the panel is open (it reruns its section when opened or closed)
    and once per model (:func:`annlab.ui.chart`).
    """
    history = [row for row in result.history if "epoch" in row]
    how = "loaded from the model store" if result.from_cache else "trained on this server"
    panel = st.expander(
        f"Learning curves: {spec.label} ({len(history)} epochs, {how})",
        icon=":material/monitoring:",
        key=f"curves-{spec.key}",
        on_change="rerun",
    )
    if not panel.open:
        return
    with panel:
        if not history:
            st.caption("This model keeps no per-epoch history.")
            return
        groups = curve_groups(_curve_keys(spec, history))
        for col, group in zip(st.columns(len(groups)), groups, strict=True):
            with col:
                chart(history_chart, history, group)


def load(spec: TrainSpec, device: str) -> TrainResult | None:
    """The stored model of ``spec`` in the memory :func:`train` reads, loaded without drawing; None when
    the store lacks it (nothing is trained): for a slider position prepared ahead (``ui.ahead``)."""
    memory = _memory()
    result = memory.get((spec.key, device))
    if result is None and jobs.stored(spec):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StoreWarning)  # the page reports it when it loads the model
            result = jobs.run(spec, device)
        memory.put((spec.key, device), result)
    return result


def train(spec: TrainSpec, *, device: str | None = None, show_curves: bool = True) -> TrainResult:
    """Get the trained model of ``spec``, training it at most once per server and once per store.

    Draws exactly one element: progress while training, then (with ``show_curves``) the folded
    learning-curve panel, on this and every later rerun. Pass ``show_curves=False`` and call
    :func:`learning_curves` to place the panel elsewhere.

    Parameters
    ----------
    spec : what to train (from the topic's ``defaults.py``)
    device : where to train and run (default: the sidebar's device)
    """
    device = device or current().device
    memory = _memory()
    slot = st.empty()  # always one element, so what follows keeps its place (a canvas is not rebuilt)
    result = memory.get((spec.key, device))
    if result is None:
        pool = jobs.server_pool()
        if pool is not None and not jobs.stored(spec):
            _train_in_pool(pool, spec, device, slot)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StoreWarning)
            try:
                result = jobs.run(spec, device, callback=_progress(slot, spec))
            except StoreError as exc:  # the store cannot be read or written: say so, in words
                slot.error(f"{exc} The model was not kept.", icon=":material/error:")
                st.stop()
            if pool is not None and result.key in pool.trained_keys:
                result.from_cache = False  # a worker of this server trained it a moment ago
        for w in caught:
            if issubclass(w.category, StoreWarning):
                st.warning(str(w.message))
        memory.put((spec.key, device), result)
    if not (result.diverged or show_curves):
        slot.empty()
        return result
    with slot.container():
        if result.diverged:
            st.error(f"Training {spec.label} stopped early. {result.diverged}")
        if show_curves:
            learning_curves(result, spec)
    return result
