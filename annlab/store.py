"""The model store: train a model once, keep its weights on disk, load them next time.

Key = model family + hash of (frozen config, seed, data key) + format version. A file holds plain
data only (``state_dict``, ``config`` as a dict, ``history``, ``extra``, ``format``) and is loaded with
``torch.load(weights_only=True)``. Writes are atomic (temp file + rename). A lock file per key, held
with ``filelock`` (portable: Linux, macOS, Windows), makes two threads or two processes asking for the
same untrained model train it once: the second waits and then loads. A truncated or corrupt file is
discarded and retrained with a ``StoreWarning``.

References: nanoGPT's checkpoint format (plain dict, model rebuilt from its config).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock

from annlab.settings import cache_dir
from annlab.training import TrainResult

FORMAT_VERSION = 1
TRAINED: list[str] = []  # keys this process trained (not loaded), in order: lets tests prove a warm cache
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class Lazy:
    """Data built only when a model must really be trained: ``get_or_train(..., Lazy(load_fn))``."""

    def __init__(self, fn: Callable[[], Any]):
        self.fn = fn


class StoreWarning(UserWarning):
    """A cached model file could not be used (it is retrained)."""


def model_key(cfg: Any, *, seed: int = 0, data_key: str = "") -> str:
    """File stem for a config: ``<family>-<12 hex digits>-v<format>``."""
    if not dataclasses.is_dataclass(cfg):
        raise TypeError("The model store keys on a frozen dataclass config.")
    payload = json.dumps(
        {"config": dataclasses.asdict(cfg), "seed": int(seed), "data": data_key}, sort_keys=True, default=str
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()[:12]
    return f"{type(cfg).__name__}-{digest}-v{FORMAT_VERSION}"


def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def key_lock(key: str, folder: Path):
    """Hold the store's lock for ``key`` (threads of this process, and other processes): whoever holds
    it checks for the file, computes if it is missing and writes it, so a result is computed once."""
    with _thread_lock(key), FileLock(folder / f"{key}.lock"):
        yield


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save(obj)`` to ``path`` atomically: a temp file in the same folder, then a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path: Path, result: TrainResult) -> None:
    """Write ``result`` atomically to ``path``."""
    payload = {
        "format": FORMAT_VERSION,
        "state_dict": {k: v.detach().cpu() for k, v in result.model.state_dict().items()},
        "config": dataclasses.asdict(result.config),
        "history": result.history,
        "extra": result.extra,
        "diverged": result.diverged,
    }
    atomic_save(payload, path)


def load(path: Path, cfg: Any, build: Callable[[Any], torch.nn.Module], device: str) -> TrainResult:
    """Read a file written by :func:`save`; raises on a corrupt or mismatching file."""
    ckpt = torch.load(path, map_location=device, weights_only=True)
    if ckpt.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {ckpt.get('format')} != {FORMAT_VERSION}")
    if ckpt["config"] != dataclasses.asdict(cfg):
        raise ValueError("config in file does not match")
    model = build(type(cfg)(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    model.to(device).eval()
    return TrainResult(
        model, ckpt["history"], cfg, ckpt.get("extra") or {}, ckpt.get("diverged"), from_cache=True
    )


def get_or_train(
    cfg: Any,
    train_fn: Callable[..., TrainResult],
    build: Callable[[Any], torch.nn.Module],
    data: Any = None,
    *,
    data_key: str = "",
    device: str = "cpu",
    seed: int = 0,
    callback: Callable[[int, dict], None] | None = None,
    directory: Path | str | None = None,
) -> TrainResult:
    """Load the model for ``cfg`` from the store, or train it with ``train_fn`` and store it.

    Parameters
    ----------
    cfg : frozen dataclass, the model/experiment config (part of the key)
    train_fn : ``train_fn(cfg, data, *, device, seed, callback) -> TrainResult``
    build : ``build(cfg) -> nn.Module``, rebuilds an untrained model to load weights into
    data : passed to ``train_fn``; a :class:`Lazy` is called first, and only if training is needed
    data_key : names the data (part of the key): e.g. ``"mnist5k"``
    device, seed, callback : as for ``train_fn``; the device is not part of the key
    directory : cache folder (default ``ANNLAB_CACHE_DIR`` or ``models_cache/``)
    """
    folder = Path(directory) if directory is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key = model_key(cfg, seed=seed, data_key=data_key)
    path = folder / f"{key}.pt"
    with key_lock(key, folder):
        if path.exists():
            try:
                result = load(path, cfg, build, device)
                result.key = key
                return result
            except Exception as exc:  # truncated, corrupt, or written by another version
                warnings.warn(
                    f"The cached model {path.name} could not be read ({type(exc).__name__}); "
                    "it was discarded and is being retrained.",
                    StoreWarning,
                    stacklevel=2,
                )
                path.unlink(missing_ok=True)
        if isinstance(data, Lazy):
            data = data.fn()
        result = train_fn(cfg, data, device=device, seed=seed, callback=callback)
        TRAINED.append(key)
        result.model.eval()
        result.key = key
        save(path, result)
        return result
