"""The model store: train a model once, keep it under its key, load it next time.

The only module that names, writes, reads and checks store entries. Nothing else builds a file name
from a key.

Where: ``ANNLAB_STORE`` is a folder (default ``ANNLAB_CACHE_DIR`` or ``models_cache/``: the layout of
every earlier version, one ``<key>.pt`` file per entry) or an S3-compatible address
``s3://bucket/prefix`` (boto3; the usual ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_DEFAULT_REGION`` variables). When the store is not the local cache
folder (``ANNLAB_CACHE_DIR``), every read goes through that folder: an entry is fetched once per host.

Entries are immutable and named by their key (family + hash of frozen config, seed and data key +
format version, :func:`annlab.training.model_key`), so a write is create-only and needs no lock:

- folder: the bytes go to a temporary file in the same folder, are flushed to disk, and are then
  hard-linked to ``<key>.pt``; the link fails when the name exists, so the loser of a race keeps the
  winner's entry, and a reader never sees a partial file (a killed writer leaves only a ``.tmp``).
- S3: ``PutObject`` with ``If-None-Match: *`` (a conditional, create-only put: S3 and moto answer 412
  when the key exists); an object is visible only once its upload completed.

An entry holds plain data only (``state_dict``, ``config`` as a dict, ``history``, ``extra``,
``format``) and is loaded with ``torch.load(weights_only=True)``. A corrupt entry in a folder (written
by a killed earlier version, or damaged on disk) is discarded and recomputed with a ``StoreWarning``;
a corrupt object in S3 cannot be replaced (create-only) and is reported as an error.

Threads of one process asking for one missing entry compute it once (a lock per key); processes on
one host with a folder store also wait for each other (a lock file in the cache folder). Across hosts
the training jobs (:mod:`annlab.jobs`, job id = store key) keep one setting from training twice; if two
hosts still race, the second write loses and both return the first entry.

References: nanoGPT's checkpoint format (plain dict, model rebuilt from its config).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
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
from annlab.training import FORMAT_VERSION, TrainResult, TrainSpec, model_key

__all__ = [
    "FORMAT_VERSION",
    "Lazy",
    "StoreError",
    "StoreUnreadable",
    "StoreUnwritable",
    "StoreWarning",
    "TRAINED",
    "current",
    "get_or_compute",
    "get_or_train",
    "has",
    "load_spec",
    "model_key",
    "train_spec_here",
]

TRAINED: list[str] = []  # keys this process computed (not loaded), in order: lets tests prove a warm cache
SUFFIX = ".pt"
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class Lazy:
    """Data built only when a model must really be trained: ``get_or_train(..., Lazy(load_fn))``."""

    def __init__(self, fn: Callable[[], Any]):
        self.fn = fn


class StoreWarning(UserWarning):
    """A stored entry could not be used (it is computed again)."""


class StoreError(RuntimeError):
    """The store cannot be used; the message says why in words."""


class StoreUnwritable(StoreError):
    """The store refused a write (no permission, full disk, S3 denied or unreachable)."""


class StoreUnreadable(StoreError):
    """The store cannot be read (S3 unreachable, no such bucket, access denied)."""


def entry_name(key: str) -> str:
    """The name of ``key``'s entry: ``<key>.pt`` (a file in a folder, an object under an S3 prefix)."""
    return f"{key}{SUFFIX}"


# ------------------------------------------------------------------------------------------ backends
class FolderBackend:
    """Entries as files ``<folder>/<key>.pt`` (today's layout)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FolderBackend({str(self.folder)!r})"

    def _path(self, key: str) -> Path:
        return self.folder / entry_name(key)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def create(self, key: str, data: bytes) -> bool:
        """Write ``data`` as ``key``'s entry unless it exists; True when this call created it."""
        path = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=path.name, suffix=".tmp")
        except OSError as exc:
            raise StoreUnwritable(f"The model store folder {self.folder} cannot be written: {exc}.") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # create-only and atomic: fails if the entry exists
                return True
            except FileExistsError:
                return False
            except OSError:  # a file system without hard links: rename unless present (small race)
                if path.exists():
                    return False
                os.replace(tmp, path)
                return True
        except OSError as exc:
            raise StoreUnwritable(f"The model store folder {self.folder} cannot be written: {exc}.") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)

    def discard(self, key: str) -> bool:
        """Remove a corrupt entry (a folder allows it); True when removed."""
        self._path(key).unlink(missing_ok=True)
        return True

    def keys(self) -> list[str]:
        return sorted(p.name[: -len(SUFFIX)] for p in self.folder.glob(f"*{SUFFIX}"))

    def remove_partial(self, key: str) -> None:
        """Remove temporary files a killed writer of ``key`` left (never visible as entries)."""
        for tmp in self.folder.glob(f"{entry_name(key)}*.tmp"):
            tmp.unlink(missing_ok=True)


class S3Backend:
    """Entries as objects ``s3://bucket/prefix/<key>.pt``, written with a create-only conditional put."""

    def __init__(self, url: str, client=None):
        rest = url[len("s3://") :]
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise ValueError(f"ANNLAB_STORE={url!r}: an S3 store is s3://bucket or s3://bucket/prefix.")
        self.prefix = prefix.strip("/")
        self.url = url
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
        self.client = client

    def __repr__(self) -> str:
        return f"S3Backend({self.url!r})"

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{entry_name(key)}" if self.prefix else entry_name(key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise self._unreadable(exc) from exc
        except BotoCoreError as exc:
            raise self._unreadable(exc) from exc

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise self._unreadable(exc) from exc
        except BotoCoreError as exc:
            raise self._unreadable(exc) from exc

    def _unreadable(self, exc) -> StoreUnreadable:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        return StoreUnreadable(f"The model store {self.url} cannot be read: {code or exc}.")

    def create(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, IfNoneMatch="*")
            return True
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in {"PreconditionFailed", "ConditionalRequestConflict"} or status in {409, 412}:
                return False
            raise StoreUnwritable(f"The model store {self.url} refused a write: {code or exc}.") from exc
        except BotoCoreError as exc:
            raise StoreUnwritable(f"The model store {self.url} cannot be reached: {exc}.") from exc

    def discard(self, key: str) -> bool:
        """Delete a corrupt object (only damage from outside makes one: uploads are all-or-nothing)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        return True

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
        )
        names = [obj["Key"].rsplit("/", 1)[-1] for page in pages for obj in page.get("Contents", [])]
        return sorted(n[: -len(SUFFIX)] for n in names if n.endswith(SUFFIX))

    def remove_partial(self, key: str) -> None:
        return None  # an unfinished upload is never visible


class Store:
    """A backend read through a local cache folder (None when the backend is that folder)."""

    def __init__(self, backend, cache: Path | None = None):
        self.backend = backend
        self.cache = FolderBackend(cache) if cache is not None else None

    def __repr__(self) -> str:
        return f"Store({self.backend!r}, cache={self.cache!r})"

    @property
    def local(self) -> FolderBackend:
        """The folder on this host that holds entries (the cache, or the folder store itself)."""
        return self.cache if self.cache is not None else self.backend

    def exists(self, key: str) -> bool:
        return (self.cache is not None and self.cache.exists(key)) or self.backend.exists(key)

    def get(self, key: str) -> bytes | None:
        if self.cache is not None:
            data = self.cache.get(key)
            if data is not None:
                return data
        data = self.backend.get(key)
        if data is not None and self.cache is not None:
            with contextlib.suppress(StoreUnwritable):  # a full cache only costs a later download
                self.cache.create(key, data)
        return data

    def create(self, key: str, data: bytes) -> bool:
        created = self.backend.create(key, data)
        if self.cache is not None:
            self.cache.discard(key)  # the winner's bytes are fetched on the next read
        return created

    def discard(self, key: str) -> bool:
        if self.cache is not None:
            self.cache.discard(key)
        return self.backend.discard(key)

    def keys(self) -> list[str]:
        """Every key the store holds."""
        return self.backend.keys()

    def remove_partial(self, key: str) -> None:
        self.local.remove_partial(key)
        self.backend.remove_partial(key)


_STORES: dict[tuple, Store] = {}
_STORES_GUARD = threading.Lock()


def current(directory: Path | str | None = None) -> Store:
    """The store of this process: the folder ``directory`` if given, else ``ANNLAB_STORE`` (folder or
    ``s3://``), else the cache folder; read through the cache folder when it is elsewhere."""
    if directory is not None:  # an explicit folder is the store itself (tests, tools)
        return Store(FolderBackend(directory))
    address = os.environ.get("ANNLAB_STORE", "").strip()
    cache = cache_dir()
    ident = (address, str(cache), os.environ.get("AWS_ENDPOINT_URL", ""))
    with _STORES_GUARD:
        store = _STORES.get(ident)
        if store is None:
            if address.startswith("s3://"):
                store = Store(S3Backend(address), cache)
            elif address and Path(address).resolve() != cache.resolve():
                store = Store(FolderBackend(address), cache)
            else:
                store = Store(FolderBackend(address or cache))
            _STORES[ident] = store
        return store


def describe() -> str:
    """Where the store is, in words (for logs and ``serve``)."""
    store = current()
    where = getattr(store.backend, "url", None) or str(getattr(store.backend, "folder", ""))
    return where + (f" (read through {store.cache.folder})" if store.cache is not None else "")


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save(obj)`` to ``path`` atomically (temp file in the same folder, then a rename): for
    caches that are not store entries (``annlab.wikiart.data``'s preprocessed images)."""
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


# ------------------------------------------------------------------------------------ the one sequence
def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def _computing(key: str, store: Store):
    """Held while ``key`` is computed: threads of this process, and processes sharing the local
    folder, wait for each other (this saves work; correctness needs no lock, writes are create-only)."""
    with _thread_lock(key):
        lock_dir = store.local.folder
        try:
            lock_dir.mkdir(parents=True, exist_ok=True)
            file_lock = FileLock(lock_dir / f"{key}.lock")
            file_lock.acquire()
        except OSError:
            file_lock = None
        try:
            yield
        finally:
            if file_lock is not None:
                file_lock.release()


def encode(payload: dict) -> bytes:
    """The bytes of an entry (``torch.save`` of plain data)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def decode(data: bytes, map_location: str = "cpu") -> dict:
    """An entry's plain data (``torch.load(weights_only=True)``); raises on a corrupt entry."""
    payload = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    if not isinstance(payload, dict):
        raise ValueError("not a store entry")
    return payload


def _read(store: Store, key: str, use: Callable[[dict], Any]) -> tuple[bool, Any]:
    """(found, use(payload)); a corrupt entry is discarded with a warning and reads as absent (a damaged
    copy in the local cache is first fetched again)."""
    for attempt in range(2):
        data = store.get(key)
        if data is None:
            return False, None
        try:
            return True, use(decode(data))
        except Exception as exc:  # truncated, corrupt, or written by another version
            if attempt == 0 and store.cache is not None and store.cache.exists(key):
                store.cache.discard(key)  # maybe only this host's copy is damaged
                continue
            store.discard(key)
            warnings.warn(
                f"The stored entry {entry_name(key)} could not be read ({type(exc).__name__}); "
                "it was discarded and is being computed again.",
                StoreWarning,
                stacklevel=3,
            )
    return False, None


def get_or_compute(
    key: str,
    compute: Callable[[], tuple[dict, Any]],
    use: Callable[[dict], Any],
    *,
    store: Store | None = None,
) -> tuple[Any, bool]:
    """The one load-or-compute-and-save sequence of the store.

    Parameters
    ----------
    key : the entry's key
    compute : ``compute() -> (payload, result)``, called only when the entry is missing: the entry's
        plain data (a dict) and what this call returns when its write wins
    use : ``use(payload) -> result``: checks and turns a stored payload into what the caller returns;
        raises on a payload that does not belong to the caller (the entry is then corrupt)

    Returns
    -------
    (result, computed): ``computed`` is True when this call computed the entry. When another writer
    created the entry first, its entry is loaded and returned (create-only writes).
    """
    store = store or current()
    found, result = _read(store, key, use)
    if found:
        return result, False
    with _computing(key, store):
        found, result = _read(store, key, use)  # someone finished it while this one waited
        if found:
            return result, False
        payload, result = compute()
        created = store.create(key, encode(payload))
        TRAINED.append(key)
        if not created:  # lost a race: the winner's entry is the one everybody uses
            found, winner = _read(store, key, use)
            if found:
                return winner, True
        return result, True


def has(key: str) -> bool:
    """True when the store holds an entry for ``key`` (it may still turn out unreadable)."""
    return current().exists(key)


def key_of(spec: TrainSpec) -> str:
    """The store key of a spec."""
    return spec.key


def spec_stored(spec: TrainSpec) -> bool:
    """True when the store holds ``spec``'s trained model."""
    return has(spec.key)


def remove_partial(key: str) -> None:
    """Clean up after a writer of ``key`` was killed (temporary files; entries are never partial)."""
    current().remove_partial(key)


# ------------------------------------------------------------------------------------ trained models
def _payload(result: TrainResult) -> dict:
    return {
        "format": FORMAT_VERSION,
        "state_dict": {k: v.detach().cpu() for k, v in result.model.state_dict().items()},
        "config": dataclasses.asdict(result.config),
        "history": result.history,
        "extra": result.extra,
        "diverged": result.diverged,
    }


def _result(ckpt: dict, cfg: Any, build: Callable[[Any], torch.nn.Module], device: str) -> TrainResult:
    if ckpt.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {ckpt.get('format')} != {FORMAT_VERSION}")
    if ckpt["config"] != dataclasses.asdict(cfg):
        raise ValueError("config in entry does not match")
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

    Called by :mod:`annlab.jobs` (which decides where a training runs) and by the store's own tests.

    Parameters
    ----------
    cfg : frozen dataclass, the model/experiment config (part of the key)
    train_fn : ``train_fn(cfg, data, *, device, seed, callback) -> TrainResult``
    build : ``build(cfg) -> nn.Module``, rebuilds an untrained model to load weights into
    data : passed to ``train_fn``; a :class:`Lazy` is called first, and only if training is needed
    data_key : names the data (part of the key): e.g. ``"mnist5k"``
    device, seed, callback : as for ``train_fn``; the device is not part of the key
    directory : store folder (default :func:`current`)
    """
    key = model_key(cfg, seed=seed, data_key=data_key)

    def compute() -> tuple[dict, TrainResult]:
        inputs = data.fn() if isinstance(data, Lazy) else data
        result = train_fn(cfg, inputs, device=device, seed=seed, callback=callback)
        result.model.eval()
        return _payload(result), result

    store = current(directory) if directory is not None else None
    result, _ = get_or_compute(key, compute, lambda ckpt: _result(ckpt, cfg, build, device), store=store)
    result.key = key
    return result


def train_spec_here(spec: TrainSpec, device: str = "cpu", callback=None) -> TrainResult:
    """Load ``spec``'s model from the store, or train it in this thread and store it (for
    :mod:`annlab.jobs` only: it alone decides where a training runs)."""
    return get_or_train(
        spec.cfg,
        spec.train_fn,
        spec.build,
        Lazy(spec.data_fn),
        data_key=spec.data_key,
        device=device,
        seed=spec.seed,
        callback=callback,
    )


def load_spec(spec: TrainSpec, device: str = "cpu") -> TrainResult | None:
    """``spec``'s stored model, or None when the store lacks it (nothing is trained)."""
    found, result = _read(current(), spec.key, lambda ckpt: _result(ckpt, spec.cfg, spec.build, device))
    if not found:
        return None
    result.key = spec.key
    return result
