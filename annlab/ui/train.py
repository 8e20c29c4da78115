"""Training from a page: shared in-memory cache, the model store on disk, progress and live curves.

``train(...)`` returns the same :class:`TrainResult` to every user of the server for the same
(config, seed, data, device): the first caller trains (with a progress bar and a live loss chart),
everyone else gets the cached object. The model store makes a restart or a second process instant.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
import torch

from annlab.store import Lazy, StoreWarning, get_or_train
from annlab.training import TrainResult


@st.cache_resource(show_spinner=False)
def _memory() -> tuple[dict, threading.Lock]:
    return {}, threading.Lock()


def _live(slot, label: str, num_epochs: int | None, curves: tuple[str, ...]):
    status = slot.container().status(f"Training {label} ...", expanded=True)
    bar = status.progress(0.0)
    charts = status.empty()
    rows: list[dict] = []

    def callback(epoch: int, metrics: dict) -> None:
        rows.append({"epoch": epoch, **metrics})
        if num_epochs:
            bar.progress(min(1.0, epoch / num_epochs), text=f"epoch {epoch} / {num_epochs}")
        keys = [k for k in curves if k in metrics] or [k for k, v in metrics.items()
                                                      if isinstance(v, (int, float)) and k != "epoch"][:3]
        if keys:  # one small chart per curve: metrics on different scales stay readable
            df = pd.DataFrame(rows).set_index("epoch")
            with charts.container():
                for col, k in zip(st.columns(len(keys)), keys, strict=True):
                    col.caption(k)
                    col.line_chart(df[[k]], height=180)

    return status, callback


def train(cfg: Any, train_fn: Callable[..., TrainResult], build: Callable[[Any], torch.nn.Module],
          data_fn: Callable[[], Any], *, data_key: str, device: str, seed: int, label: str,
          num_epochs: int | None = None, curves: tuple[str, ...] = ()) -> TrainResult:
    """Get a trained model for a page, training it at most once per server and once per cache.

    Draws exactly one element (a status box while and after training, empty otherwise).

    Parameters
    ----------
    cfg, train_fn, build, data_key, device, seed : as :func:`annlab.store.get_or_train`
    data_fn : called only when the model must be trained, returns the ``data`` for ``train_fn``
    label : what is being trained, in words ("the RBM", "the LSTM")
    num_epochs : for the progress bar (optional)
    curves : metric names drawn live while training (default: the first few numeric metrics)
    """
    memory, lock = _memory()
    key = (type(cfg).__name__, cfg, train_fn.__module__, train_fn.__qualname__, data_key, device, seed)
    # Always one element here, trained or not, so the elements after it (a canvas) keep their place
    # and are not rebuilt blank on the next rerun.
    slot = st.empty()
    with lock:
        if key in memory:
            return memory[key]
    status, callback = _live(slot, label, num_epochs, curves)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StoreWarning)
        result = get_or_train(cfg, train_fn, build, Lazy(data_fn), data_key=data_key, device=device,
                              seed=seed, callback=callback)
    store_warnings = [w for w in caught if issubclass(w.category, StoreWarning)]
    for w in store_warnings:
        status.warning(str(w.message))
    if result.from_cache and not store_warnings:
        slot.empty()
    elif result.diverged:
        status.update(label=f"Training {label} stopped: it diverged.", state="error", expanded=True)
    else:
        status.update(label=f"Trained {label}.", state="complete", expanded=False)
    with lock:
        memory[key] = result
    return result

