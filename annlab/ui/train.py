"""Training from a page: the model store, a bounded in-memory cache, progress, lasting learning curves.

``train(spec)`` returns the same :class:`~annlab.training.TrainResult` to every user of the server for
the same spec and device: the first caller trains (progress bar and live curves), everyone else gets
the cached object. The model store makes a restart or a second server process load instead of train.
The learning curves are drawn from ``result.history``, so they stay on screen on every later rerun and
after a load from disk.
"""

from __future__ import annotations

import warnings

import pandas as pd
import streamlit as st

from annlab.charts import curve_groups, history_chart
from annlab.store import StoreWarning
from annlab.training import TrainResult, TrainSpec
from annlab.ui.cached import LRU
from annlab.ui.display import chart
from annlab.ui.sidebar import current

MEMORY_SIZE = 48  # trained models kept in memory per server process (least recently used goes first)


@st.cache_resource(show_spinner=False)
def _memory() -> LRU:
    return LRU(MEMORY_SIZE)


def _progress(status, spec: TrainSpec):
    bar = status.progress(0.0)
    live = status.empty()
    rows: list[dict] = []
    total = spec.num_epochs

    def callback(epoch: int, metrics: dict) -> None:
        rows.append({"epoch": epoch, **metrics})
        if total:
            bar.progress(min(1.0, epoch / total), text=f"epoch {epoch} / {total}")
        keys = _curve_keys(spec, rows)
        if keys:
            live.line_chart(pd.DataFrame(rows).set_index("epoch")[keys], height=180)

    return callback


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
        status = slot.container().status(f"Training {spec.label} ...", expanded=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StoreWarning)
            result = spec.run(device, callback=_progress(status, spec))
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
