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
import json
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


class JobsUnavailable(JobFailed):
    """The training queue (Redis) cannot be reached: stored models still load, new trainings wait."""


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

    def refresh(self, job: Job) -> Job:
        """``job`` as it is now (the pool updates its jobs in place)."""
        return job

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
            url = os.environ.get("ANNLAB_REDIS_URL", "").strip()
            if url:  # trainings go to RQ queues; workers run anywhere (python -m annlab worker)
                limit = max_seconds if max_seconds is not None else max_seconds_from_env()
                _ACTIVE = RedisJobs(url, max_seconds=limit)
                return _ACTIVE
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


# ------------------------------------------------------------------------------- Redis and RQ queues
REDIS_PREFIX = "annlab:"
BEAT_S = 10.0  # a running job's worker renews its heartbeat every BEAT_S / 4; missing for BEAT_S: dead
MAX_ATTEMPTS = 2  # a job whose worker died is queued once more, then reported as failed


def queue_name(device: str) -> str:
    """The RQ queue of a device: ``cuda`` for any CUDA device, else ``cpu``."""
    return "cuda" if str(device).startswith("cuda") else "cpu"


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)


def _unreachable(url: str, exc: Exception) -> JobsUnavailable:
    where = url.split("@")[-1]  # never show a password
    return JobsUnavailable(
        f"The training queue (Redis at {where}) cannot be reached ({type(exc).__name__}), so new trainings "
        "cannot start right now. Models already trained still load; try again in a minute."
    )


def run_redis_job(key: str, payload: bytes, device: str, attempt: int, max_seconds: float) -> bool:
    """What an RQ worker runs for one annlab job (``python -m annlab worker``): train ``key`` into the
    store, reporting each epoch, a heartbeat, cancel and the time limit through Redis. Returns True when
    it really trained (False: the store had it)."""
    import cloudpickle
    from rq import get_current_job

    r = get_current_job().connection
    jkey, hkey = f"{REDIS_PREFIX}job:{key}", f"{REDIS_PREFIX}hist:{key}"
    beat = f"{REDIS_PREFIX}beat:{key}"
    if r.hget(jkey, "state") != b"queued" or int(r.hget(jkey, "attempt") or 0) != attempt:
        return False  # cancelled while it waited, or a newer attempt exists
    r.set(beat, "1", px=int(BEAT_S * 1000))
    r.hset(jkey, mapping={"state": RUNNING, "started": time.time()})
    stop = threading.Event()

    def heartbeat():
        while not stop.wait(BEAT_S / 4):
            r.set(beat, "1", px=int(BEAT_S * 1000))

    threading.Thread(target=heartbeat, daemon=True).start()
    start = time.monotonic()
    spec = cloudpickle.loads(payload)

    def callback(epoch, metrics):
        row = {"epoch": epoch, **{k: float(v) for k, v in metrics.items() if _is_number(v)}}
        r.rpush(hkey, json.dumps(row))
        if r.hget(jkey, "state") == CANCELLED.encode():
            raise JobFailed("The training was cancelled.")
        if time.monotonic() - start > max_seconds:
            raise TimeoutError(
                f"Training {spec.label} was stopped after {max_seconds:.0f} s, the time limit of one "
                "training on this server. Choose fewer epochs or a smaller network."
            )

    try:
        result = store.train_spec_here(spec, device, callback=callback)
        trained = not result.from_cache
        with r.pipeline() as p:
            p.hset(jkey, mapping={"state": DONE, "trained": int(trained), "finished": time.time()})
            if trained:
                p.incr(f"{REDIS_PREFIX}trainings")
                p.sadd(f"{REDIS_PREFIX}trained", key)
            p.execute()
        return trained
    except Exception as exc:
        state = CANCELLED if r.hget(jkey, "state") == CANCELLED.encode() else FAILED
        text = str(exc) if isinstance(exc, JobFailed | TimeoutError) else f"{type(exc).__name__}: {exc}"
        if state == FAILED and not isinstance(exc, TimeoutError):
            text = f"Training {spec.label} failed: {text}"
        r.hset(jkey, mapping={"state": state, "message": text, "finished": time.time()})
        return False
    finally:
        stop.set()
        r.delete(beat)


class RedisJobs:
    """Training jobs on RQ queues in Redis (``ANNLAB_REDIS_URL``), with the :class:`Pool` interface.

    The job id is the model's store key: every web replica and session asking for one setting joins one
    job. A job lives in Redis as a hash ``annlab:job:<key>`` (state, label, epochs, attempt, message),
    its live curve as a list ``annlab:hist:<key>``, its waiting sessions as a set; a session's job as
    ``annlab:owner:<session>``. Workers (``python -m annlab worker``) run :func:`run_redis_job`; each
    attempt is one RQ job (``<key>__<n>``). A worker that dies mid-job stops its heartbeat: the next look
    at the job queues it once more (another worker finishes it), then reports it failed.
    """

    def __init__(self, url: str, *, max_seconds: float = 300.0):
        self.url = url
        self.max_seconds = float(max_seconds)
        self.r = _redis(url)
        self.size = 0
        self._lock = threading.Lock()

    # the counters ui.train reads from the embedded pool
    @property
    def trainings(self) -> int:
        try:
            return int(self.r.get(f"{REDIS_PREFIX}trainings") or 0)
        except Exception:
            return 0

    @property
    def trained_keys(self) -> set[str]:
        try:
            return {k.decode() for k in self.r.smembers(f"{REDIS_PREFIX}trained")}
        except Exception:
            return set()

    def _queue(self, device: str):
        from rq import Queue

        return Queue(queue_name(device), connection=self.r)

    def _enqueue(self, key: str, payload: bytes, device: str, attempt: int) -> None:
        seq = self.r.incr(f"{REDIS_PREFIX}rqseq")
        self._queue(device).enqueue_call(
            run_redis_job,
            args=(key, payload, device, attempt, self.max_seconds),
            job_id=f"{key}__{seq}",
            timeout=int(self.max_seconds + 60) if self.max_seconds != float("inf") else -1,
            result_ttl=600,
            failure_ttl=3600,
            at_front=attempt > 1,  # its students already waited once: first in line again
        )

    def submit(self, spec, device: str = "cpu", owner: str | None = None) -> Job:
        import cloudpickle
        import redis

        key = spec.key
        jkey = f"{REDIS_PREFIX}job:{key}"
        try:
            if owner is not None:
                mine = self.r.get(f"{REDIS_PREFIX}owner:{owner}")
                if mine and mine.decode() != key:
                    other = self._load(mine.decode())
                    if other is not None and other.active:
                        raise JobRefused(
                            f"You already have a training waiting ({other.label}): wait for it to finish "
                            "or cancel it before you ask for another one."
                        )
            payload = cloudpickle.dumps(spec)
            with self.r.pipeline() as p:
                while True:
                    try:
                        p.watch(jkey)
                        state = (p.hget(jkey, "state") or b"").decode()
                        if state in ACTIVE:
                            p.unwatch()
                            created = False
                            break
                        p.multi()
                        p.delete(jkey, f"{REDIS_PREFIX}hist:{key}", f"{REDIS_PREFIX}owners:{key}")
                        p.hset(
                            jkey,
                            mapping={
                                "state": QUEUED,
                                "label": spec.label,
                                "device": device,
                                "total": spec.num_epochs or 0,
                                "attempt": 1,
                                "submitted": time.time(),
                                "payload": payload,
                            },
                        )
                        p.execute()
                        created = True
                        break
                    except redis.WatchError:
                        continue
            if created:
                self._enqueue(key, payload, device, 1)
            if owner is not None:
                self.r.sadd(f"{REDIS_PREFIX}owners:{key}", owner)
                self.r.set(
                    f"{REDIS_PREFIX}owner:{owner}", key, ex=int(min(self.max_seconds, 86400) * 4 + 600)
                )
        except redis.RedisError as exc:
            raise _unreachable(self.url, exc) from exc
        return self.refresh(Job(0, key, spec.label, device, spec.num_epochs, b""))

    def _load(self, key: str) -> Job | None:
        data = self.r.hgetall(f"{REDIS_PREFIX}job:{key}")
        if not data:
            return None
        d = {k.decode(): v for k, v in data.items() if k != b"payload"}
        job = Job(0, key, d["label"].decode(), d["device"].decode(), int(d.get("total") or 0) or None, b"")
        return self._fill(job, d)

    def _fill(self, job: Job, d: dict) -> Job:
        job.state = d["state"].decode()
        job.message = d["message"].decode() if "message" in d else None
        job.trained = d.get("trained") == b"1"
        job.id = int(d.get("attempt") or 1)
        return job

    def refresh(self, job: Job) -> Job:
        """``job`` as Redis has it now: state, live curve, sessions; a job whose worker died is queued once
        more, then reported as failed."""
        import redis

        key = job.key
        try:
            data = self.r.hgetall(f"{REDIS_PREFIX}job:{key}")
            if not data:
                return job
            d = {k.decode(): v for k, v in data.items()}
            if d["state"] == RUNNING.encode() and not self.r.exists(f"{REDIS_PREFIX}beat:{key}"):
                self._worker_died(key, d)
                d = {k.decode(): v for k, v in self.r.hgetall(f"{REDIS_PREFIX}job:{key}").items()}
            attempt = job.id
            self._fill(job, d)
            if attempt and job.id != attempt:  # a new attempt after a worker died: a new curve
                job.history.clear()
            rows = self.r.lrange(f"{REDIS_PREFIX}hist:{key}", len(job.history), -1)
            job.history.extend(json.loads(row) for row in rows)
            job.owners = {o.decode() for o in self.r.smembers(f"{REDIS_PREFIX}owners:{key}")}
        except redis.RedisError as exc:
            raise _unreachable(self.url, exc) from exc
        if not job.active:
            job.done.set()
        return job

    def _worker_died(self, key: str, d: dict) -> None:
        import redis

        jkey = f"{REDIS_PREFIX}job:{key}"
        attempt = int(d.get("attempt") or 1)
        with self.r.pipeline() as p:
            try:
                p.watch(jkey)
                if p.hget(jkey, "state") != RUNNING.encode() or p.exists(f"{REDIS_PREFIX}beat:{key}"):
                    return
                store.remove_partial(key)
                p.multi()
                if store.has(key):  # it died after storing: the model is there
                    p.hset(jkey, mapping={"state": DONE, "trained": 1})
                elif attempt < MAX_ATTEMPTS:
                    note = (
                        f"The training worker for {d['label'].decode()} stopped unexpectedly; nothing was "
                        "stored, and the training was queued again for another worker."
                    )
                    p.hset(jkey, mapping={"state": QUEUED, "attempt": attempt + 1, "message": note})
                    p.delete(f"{REDIS_PREFIX}hist:{key}")
                else:
                    p.hset(
                        jkey,
                        mapping={
                            "state": FAILED,
                            "message": f"The training worker for {d['label'].decode()} stopped unexpectedly "
                            f"({attempt} times); nothing was stored. Try again.",
                        },
                    )
                p.execute()
            except redis.WatchError:
                return
        if attempt < MAX_ATTEMPTS and self.r.hget(jkey, "state") == QUEUED.encode():
            self._enqueue(key, d["payload"], d["device"].decode(), attempt + 1)

    def ahead(self, job: Job) -> int:
        """Trainings running or waiting before ``job`` in its queue (0 once it runs)."""
        import redis
        from rq.registry import StartedJobRegistry

        job = self.refresh(job)
        if job.state != QUEUED:
            return 0
        try:
            queue = self._queue(job.device)
            ids = [i for i in queue.get_job_ids() if i.rpartition("__")[0] == job.key]
            position = queue.get_job_position(ids[0]) if ids else None
            running = StartedJobRegistry(queue=queue).count
        except redis.RedisError as exc:
            raise _unreachable(self.url, exc) from exc
        return running + (position or 0)

    def cancel(self, job: Job, owner: str | None = None) -> None:
        """Stop waiting for ``job``; it stops when nobody else waits for it (a running one at its next
        epoch)."""
        import redis

        try:
            self._cancel(job, owner)
        except redis.RedisError as exc:
            raise _unreachable(self.url, exc) from exc

    def _cancel(self, job: Job, owner: str | None) -> None:
        key = job.key
        if owner is not None:
            self.r.srem(f"{REDIS_PREFIX}owners:{key}", owner)
            if self.r.get(f"{REDIS_PREFIX}owner:{owner}") == key.encode():
                self.r.delete(f"{REDIS_PREFIX}owner:{owner}")
        if self.r.scard(f"{REDIS_PREFIX}owners:{key}"):
            return
        jkey = f"{REDIS_PREFIX}job:{key}"
        if self.r.hget(jkey, "state") in (QUEUED.encode(), RUNNING.encode()):
            self.r.hset(jkey, mapping={"state": CANCELLED, "message": "The training was cancelled."})
        self.refresh(job)

    def wait(self, job: Job, callback: Callable[[int, dict], None] | None = None) -> Job:
        """Block until ``job`` ends, passing each new epoch's metrics to ``callback``."""
        seen = 0
        while True:
            job = self.refresh(job)
            for row in job.history[seen:]:
                if callback is not None:
                    callback(int(row.get("epoch", seen + 1)), {k: v for k, v in row.items() if k != "epoch"})
                seen += 1
            if not job.active and seen >= len(job.history):
                return job
            time.sleep(0.25)

    run = Pool.run

    def status(self) -> dict:
        from rq import Queue
        from rq.registry import StartedJobRegistry

        queues = [Queue(name, connection=self.r) for name in ("cpu", "cuda")]
        return {
            "workers": self.size,
            "running": sum(StartedJobRegistry(queue=q).count for q in queues),
            "queued": sum(q.count for q in queues),
            "trainings": self.trainings,
        }

    def close(self) -> None:
        self.r.close()


def work(queue: str = "cpu", *, burst: bool = False, threads: int | None = None) -> int:
    """``python -m annlab worker``: run trainings from the RQ queue ``queue`` (``cpu`` or ``cuda``) of
    ``ANNLAB_REDIS_URL`` in this process, with one torch thread unless ``ANNLAB_WORKER_THREADS`` says
    otherwise. RQ's ``SimpleWorker`` runs each job in this process (no fork: CUDA cannot be forked)."""
    url = os.environ.get("ANNLAB_REDIS_URL", "").strip()
    if not url:
        raise RuntimeError("A worker needs ANNLAB_REDIS_URL (for example redis://127.0.0.1:6379/0).")
    if queue not in ("cpu", "cuda"):
        raise ValueError(f"--queue is cpu or cuda, got {queue!r}.")
    threads = threads or max(1, int(_float_env("ANNLAB_WORKER_THREADS", 1)))
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch
    from rq import Queue, SimpleWorker

    torch.set_num_threads(threads)
    r = _redis(url)
    worker = SimpleWorker([Queue(queue, connection=r)], connection=r)
    worker.work(burst=burst, logging_level="WARNING")
    return 0
