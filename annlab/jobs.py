"""Training outside the script thread: one pool of training worker processes per server.

A whole class shares one server. Every training goes to a bounded pool of worker processes instead
of running in the student's own script thread, so one student's 100-epoch network cannot take the CPU
from everyone, and thirty students asking for the same setting train it once:

- ``ANNLAB_TRAIN_WORKERS``: number of worker processes (default: cores - 1, at least 1; ``0`` trains
  in the calling thread, as the tests do).
- ``ANNLAB_MAX_TRAIN_S``: time limit of one training job in seconds (default 300); a job over it is
  stopped and says so.
- ``ANNLAB_WORKER_THREADS``: torch threads per worker (default 1).

Requests for the same model (same store key) join the running job. A session has at most one job
waiting or running. A worker writes the trained model to the model store (atomically: a killed
worker leaves no half-written file) and the server process loads it from there, so the store is the
only way a model travels. Jobs are sent to the workers with ``cloudpickle`` (specs may hold lambdas).

This module alone decides where a training runs: every caller gets a spec's model with :func:`run`
(or :func:`run_all`), which loads it from the store, sends it to the pool, or trains it in the calling
thread when there is no pool. A page's session is the job owner (:func:`session`), so a training
started inside an experiment has the same one-job-per-session limit, time limit and progress as one
started by ``annlab.ui.train``; a run interrupted while it waits (the student moved on) gives up its
place, and the job is cancelled when nobody else waits for it.

The library never imports Streamlit; ``annlab.ui.train`` draws a job's place, progress and cancel
button, and ``python -m annlab warm`` waits for its jobs the same way.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_connections
from typing import Any

from annlab import store
from annlab.training import TrainResult, TrainSpec

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)


def workers_from_env() -> int:
    """``ANNLAB_TRAIN_WORKERS`` or cores - 1 (at least 1)."""
    raw = os.environ.get("ANNLAB_TRAIN_WORKERS", "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            pass
    return max(1, (os.cpu_count() or 2) - 1)


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def max_seconds_from_env() -> float:
    """``ANNLAB_MAX_TRAIN_S`` (default 300 s)."""
    return _float_env("ANNLAB_MAX_TRAIN_S", 300.0)


class JobRefused(RuntimeError):
    """A session asked for a second training while its first still waits or runs."""


class JobFailed(RuntimeError):
    """A job stopped without a model: over its time limit, cancelled, crashed or raised."""


@dataclass(eq=False)
class Job:
    """One training request, shared by every session that asked for the same model.

    Attributes
    ----------
    id : int, in submission order
    key : model store key of the spec
    label : what is trained, in words
    total : epochs for a progress bar, or None
    state : ``queued``, ``running``, ``done``, ``failed`` or ``cancelled``
    history : list of dict, the metrics the worker reported after each epoch (live curve)
    message : why it failed or was cancelled, in words
    owners : sessions waiting for it
    trained : True when the worker really trained (False: it found the model in the store)
    """

    id: int
    key: str
    label: str
    device: str
    total: int | None
    payload: bytes = field(repr=False)
    state: str = QUEUED
    history: list[dict] = field(default_factory=list)
    message: str | None = None
    owners: set = field(default_factory=set)
    trained: bool = False
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def fraction(self) -> float:
        """Share of epochs done (0 while queued or without an epoch count)."""
        if not self.total or not self.history:
            return 0.0
        return min(1.0, self.history[-1].get("epoch", len(self.history)) / self.total)


def _worker_main(conn, threads: int) -> None:  # runs in a worker process
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import cloudpickle
    import torch

    torch.set_num_threads(threads)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        job_id, payload, device = message
        conn.send(("started", job_id, None))

        def callback(epoch, metrics, job_id=job_id):
            row = {"epoch": epoch, **{k: float(v) for k, v in metrics.items() if _is_number(v)}}
            conn.send(("progress", job_id, row))

        try:
            spec = cloudpickle.loads(payload)
            result = store.train_spec_here(spec, device, callback=callback)
            conn.send(("done", job_id, {"trained": not result.from_cache}))
        except Exception as exc:  # reported to the page in words
            conn.send(("error", job_id, f"{type(exc).__name__}: {exc}"))


def _is_number(value: Any) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


@dataclass
class _Worker:
    process: Any
    conn: Any
    job: Job | None = None


_SPAWN_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_main_script():
    """A spawned child normally re-imports the parent's ``__main__`` script. Under Streamlit (and AppTest)
    that is the page script (app.py), which a worker must not run (it dies on it). Every Streamlit
    session's run swaps ``sys.modules["__main__"]``, so swapping it back here would race with them;
    instead the child's preparation data leaves the main script out (the worker's target lives in this
    module and its jobs travel as cloudpickle bytes, so nothing from ``__main__`` is needed)."""
    from multiprocessing import spawn

    with _SPAWN_LOCK:
        original = spawn.get_preparation_data

        def preparation_data(name):
            data = original(name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            return data

        spawn.get_preparation_data = preparation_data
        try:
            yield
        finally:
            spawn.get_preparation_data = original


class Pool:
    """A bounded pool of training worker processes (see the module docstring).

    Parameters
    ----------
    workers : number of worker processes (at least 1)
    max_seconds : time limit per job
    threads : torch threads per worker
    store_dir : model store folder (to remove a killed job's temporary file); default the store's
    """

    def __init__(self, workers: int = 1, *, max_seconds: float = 300.0, threads: int = 1, store_dir=None):
        if workers < 1:
            raise ValueError(f"A pool needs at least one worker, got {workers}.")
        self.size = workers
        self.max_seconds = float(max_seconds)
        self.threads = threads
        self.store_dir = store_dir
        self._ctx = mp.get_context("spawn")
        self._workers: list[_Worker] = []
        self._queue: list[Job] = []
        self._jobs: dict[str, Job] = {}  # active jobs by store key
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._closed = False
        self._supervisor: threading.Thread | None = None
        self.trainings = 0  # jobs a worker really trained
        self.trained_keys: set[str] = set()  # their store keys ("trained on this server")

    # -- public -----------------------------------------------------------------------------------
    def submit(self, spec, device: str = "cpu", owner: str | None = None) -> Job:
        """Queue ``spec`` (a :class:`~annlab.training.TrainSpec`), or join the job for the same model.

        Raises :class:`JobRefused` when ``owner`` already has a different job waiting or running.
        """
        import cloudpickle

        key = spec.key
        with self._lock:
            self._start()
            job = self._jobs.get(key)
            if owner is not None:
                mine = [j for j in self._jobs.values() if owner in j.owners and j is not job]
                if mine:
                    raise JobRefused(
                        f"You already have a training waiting ({mine[0].label}): wait for it to finish "
                        "or cancel it before you ask for another one."
                    )
            if job is None:
                job = Job(next(self._ids), key, spec.label, device, spec.num_epochs, cloudpickle.dumps(spec))
                self._jobs[key] = job
                self._queue.append(job)
                self._lock.notify_all()
            if owner is not None:
                job.owners.add(owner)
            return job

    def ahead(self, job: Job) -> int:
        """How many trainings run or wait before ``job`` (0 once it runs)."""
        with self._lock:
            if job.state != QUEUED or job not in self._queue:
                return 0
            running = sum(1 for w in self._workers if w.job is not None)
            return running + self._queue.index(job)

    def cancel(self, job: Job, owner: str | None = None) -> None:
        """Stop waiting for ``job``; it stops when nobody else waits for it."""
        with self._lock:
            job.owners.discard(owner)
            if job.owners or not job.active:
                return
            if job.state == QUEUED:
                self._queue.remove(job)
            else:
                self._kill_running(job)
            self._finish(job, CANCELLED, "The training was cancelled.")

    def wait(self, job: Job, callback: Callable[[int, dict], None] | None = None) -> Job:
        """Block until ``job`` ends, passing each new epoch's metrics to ``callback``."""
        seen = 0
        while True:
            with self._lock:
                if not job.active and seen >= len(job.history):
                    return job
                if seen >= len(job.history):
                    self._lock.wait(timeout=0.5)
                rows = job.history[seen:]
            for row in rows:
                if callback is not None:
                    callback(int(row.get("epoch", seen + 1)), {k: v for k, v in row.items() if k != "epoch"})
                seen += 1

    def run(self, spec, device: str = "cpu", callback: Callable[[int, dict], None] | None = None, owner=None):
        """Train ``spec`` in a worker (or join its job), wait, and load the result from the store.

        A run interrupted while it waits (an exception in ``callback``, a stopped page) gives up
        ``owner``'s place: the job is cancelled when nobody else waits for it."""
        job = self.submit(spec, device, owner=owner)
        try:
            job = self.wait(job, callback)
        except BaseException:
            if job.active:
                self.cancel(job, owner)
            raise
        if job.state != DONE:
            raise JobFailed(job.message or f"Training {spec.label} did not finish.")
        return store.train_spec_here(spec, device)

    def status(self) -> dict:
        """Counts for a status line: workers, running and queued jobs, trainings done."""
        with self._lock:
            running = sum(1 for w in self._workers if w.job is not None)
            queued = len(self._queue)
            return {"workers": self.size, "running": running, "queued": queued, "trainings": self.trainings}

    def close(self) -> None:
        """Stop the workers (running jobs are cancelled)."""
        with self._lock:
            self._closed = True
            for job in list(self._jobs.values()):
                if job.state == QUEUED:
                    self._queue.remove(job)
                self._finish(job, CANCELLED, "The server is shutting down.")
            for worker in self._workers:
                self._stop(worker)
            self._workers.clear()
            self._lock.notify_all()

    # -- internals (called with the lock held) --------------------------------------------------------
    def _start(self) -> None:
        if self._closed:
            raise RuntimeError("This training pool is closed.")
        while len(self._workers) < self.size:
            self._workers.append(self._spawn())
        if self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, name="annlab-jobs", daemon=True)
            self._supervisor.start()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self.threads), daemon=True)
        with _without_main_script():
            process.start()
        child.close()
        return _Worker(process, parent)

    def _stop(self, worker: _Worker) -> None:
        worker.process.terminate()
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()

    def _finish(self, job: Job, state: str, message: str | None = None) -> None:
        job.state, job.message, job.finished = state, message, time.monotonic()
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        job.done.set()
        self._lock.notify_all()

    def _kill_running(self, job: Job) -> None:
        for i, worker in enumerate(self._workers):
            if worker.job is job:
                self._stop(worker)
                self._remove_temp_files(job.key)
                self._workers[i] = self._spawn()

    def _remove_temp_files(self, key: str) -> None:
        (store.current(self.store_dir) if self.store_dir else store.current()).remove_partial(key)

    def _dispatch(self) -> None:
        for worker in self._workers:
            if worker.job is None and self._queue:
                job = self._queue.pop(0)
                try:
                    worker.conn.send((job.id, job.payload, job.device))
                except OSError:  # the worker died before taking it: _check respawns it, the job waits
                    self._queue.insert(0, job)
                    return
                job.state = RUNNING  # its clock starts when the worker says it started
                worker.job = job

    def _handle(self, worker: _Worker, message) -> None:
        kind, job_id, body = message
        job = worker.job
        if job is None or job.id != job_id:
            return
        if kind == "started":
            job.started = time.monotonic()
            return
        if kind == "progress":
            job.history.append(body)
            self._lock.notify_all()
            return
        worker.job = None
        if kind == "done":
            job.trained = bool(body.get("trained"))
            if job.trained:
                self.trainings += 1
                self.trained_keys.add(job.key)
                store.TRAINED.append(job.key)
            self._finish(job, DONE)
        else:
            self._finish(job, FAILED, f"Training {job.label} failed: {body}")

    def _check(self) -> None:
        now = time.monotonic()
        for i, worker in enumerate(self._workers):
            job = worker.job
            if not worker.process.is_alive():
                code = worker.process.exitcode
                worker.conn.close()
                self._workers[i] = self._spawn()
                if job is not None:
                    self._remove_temp_files(job.key)
                    self._finish(
                        job,
                        FAILED,
                        f"The training worker for {job.label} stopped unexpectedly (exit code {code}); "
                        "nothing was stored. Try again.",
                    )
            elif job is not None and job.started is not None and now - job.started > self.max_seconds:
                self._kill_running(job)
                self._finish(
                    job,
                    FAILED,
                    f"Training {job.label} was stopped after {self.max_seconds:.0f} s, the time limit of "
                    "one training on this server. Choose fewer epochs or a smaller network.",
                )

    def _supervise(self) -> None:
        while True:
            try:
                if not self._supervise_once():
                    return
            except Exception:  # the supervisor must outlive any one job's trouble, or every job hangs
                traceback.print_exc()
                time.sleep(0.2)

    def _supervise_once(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._check()
            self._dispatch()
            conns = [w.conn for w in self._workers]
        try:
            ready = wait_connections(conns, timeout=0.2)
        except OSError:
            ready = []
        with self._lock:
            for worker in list(self._workers):
                if worker.conn in ready:
                    try:
                        while worker.conn.poll():
                            self._handle(worker, worker.conn.recv())
                    except (EOFError, OSError):
                        pass  # a dead worker is found by _check
        return True


_ACTIVE: Pool | None = None
_ACTIVE_LOCK = threading.Lock()


def active() -> Pool | None:
    """The pool that :func:`run` sends work to in this process, if any."""
    return _ACTIVE


def server_pool(max_seconds: float | None = None) -> Pool | None:
    """The process-wide pool (created on first use from the environment; None when workers = 0).

    ``max_seconds`` overrides ``ANNLAB_MAX_TRAIN_S`` (``python -m annlab warm`` passes no limit unless
    the variable is set: the lecturer's own warm-up may take as long as it needs)."""
    global _ACTIVE
    with _ACTIVE_LOCK:
        if _ACTIVE is None:
            workers = workers_from_env()
            if workers == 0:
                return None
            threads = int(_float_env("ANNLAB_WORKER_THREADS", 1))
            limit = max_seconds if max_seconds is not None else max_seconds_from_env()
            _ACTIVE = Pool(workers, max_seconds=limit, threads=max(1, threads))
        return _ACTIVE


def deactivate() -> None:
    """Close and forget the process-wide pool (tests, the end of ``warm``)."""
    global _ACTIVE
    with _ACTIVE_LOCK:
        if _ACTIVE is not None:
            _ACTIVE.close()
        _ACTIVE = None


# ------------------------------------------------------------------------------- the one entry point
_OWNER: contextvars.ContextVar[str | None] = contextvars.ContextVar("annlab_job_owner", default=None)


def set_owner(owner: str | None) -> None:
    """Make ``owner`` (a page session's id) the owner of the trainings this thread asks for from now
    on (``annlab.ui`` calls it at the start of every page run)."""
    _OWNER.set(owner)


@contextlib.contextmanager
def session(owner: str | None):
    """Trainings asked for inside the block belong to ``owner`` (one job at a time)."""
    token = _OWNER.set(owner)
    try:
        yield
    finally:
        _OWNER.reset(token)


def owner() -> str | None:
    """The session the trainings of this thread belong to (None: warm-up, a script, a test)."""
    return _OWNER.get()


def stored(spec: TrainSpec) -> bool:
    """True when the store holds ``spec``'s model (getting it costs a load, not a training)."""
    return store.spec_stored(spec)


def run(
    spec: TrainSpec, device: str = "cpu", callback: Callable[[int, dict], None] | None = None
) -> TrainResult:
    """``spec``'s trained model: loaded from the store, else trained once in a worker of this process's
    pool (as a job of the current :func:`owner`, who may have only one), else, without a pool
    (``ANNLAB_TRAIN_WORKERS=0``), trained in the calling thread. ``callback(epoch, metrics)`` sees the
    epochs as they are trained."""
    pool = active()
    if pool is not None and not stored(spec):
        return pool.run(spec, device, callback, owner=owner())
    return store.train_spec_here(spec, device, callback=callback)


def run_all(specs: list[TrainSpec], device: str = "cpu") -> list[TrainResult]:
    """Every spec's model, in the order of ``specs``. Outside a page session (``python -m annlab warm``)
    all untrained ones are queued at once, so the pool's workers train them side by side; inside one
    they are trained one after another (one job per session)."""
    pool = active()
    if pool is not None and owner() is None:
        pending = [pool.submit(spec, device) for spec in specs if not stored(spec)]
        for job in pending:
            if pool.wait(job).state != DONE:
                raise JobFailed(job.message or f"Training {job.label} did not finish.")
    return [run(spec, device) for spec in specs]
