"""The training pool: one job per model, one job per session, time limits, crashes, cancel."""

import os
import signal
import time
from dataclasses import dataclass

import pytest
import torch

from annlab import jobs, store
from annlab.training import TrainResult, TrainSpec


@dataclass(frozen=True)
class Slow:
    epochs: int = 3
    sleep: float = 0.05
    tag: str = "a"


def build(cfg):
    return torch.nn.Linear(2, 1)


def train_slow(cfg, data, *, device="cpu", seed=0, callback=None):
    history = []
    for epoch in range(1, cfg.epochs + 1):
        time.sleep(cfg.sleep)
        history.append({"epoch": epoch, "loss": 1.0 / epoch})
        if callback:
            callback(epoch, {"loss": 1.0 / epoch})
    return TrainResult(build(cfg), history, cfg)


def spec(**kw) -> TrainSpec:
    return TrainSpec(Slow(**kw), train_slow, build, lambda: None, "none", 0, f"the test model {kw}")


@pytest.fixture
def pool(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    p = jobs.Pool(1, max_seconds=300, store_dir=tmp_path)
    yield p
    p.close()


def _stored(tmp_path):
    return sorted(p.name for p in tmp_path.glob("*.pt"))


def test_two_sessions_asking_for_one_model_start_one_job(pool, tmp_path):
    s = spec(tag="same")
    a = pool.submit(s, owner="student-a")
    b = pool.submit(s, owner="student-b")
    assert a is b and a.owners == {"student-a", "student-b"}
    seen = []
    pool.wait(a, callback=lambda epoch, m: seen.append(epoch))
    assert a.state == jobs.DONE and a.trained and pool.trainings == 1, a.message
    assert seen == [1, 2, 3] and [row["loss"] for row in a.history] == [1.0, 0.5, 1 / 3]
    assert _stored(tmp_path) == [f"{s.key}.pt"]
    result = store.load_spec(s)  # the server loads what the worker stored
    assert result.from_cache and result.history[-1]["epoch"] == 3


def test_a_second_job_from_the_same_session_is_refused(pool):
    first = pool.submit(spec(tag="one", sleep=0.3), owner="student-a")
    with pytest.raises(jobs.JobRefused, match="already have a training waiting"):
        pool.submit(spec(tag="two"), owner="student-a")
    assert pool.submit(spec(tag="one", sleep=0.3), owner="student-a") is first  # asking again is joining
    pool.cancel(first, "student-a")


def test_place_in_the_queue_is_counted(pool):
    running = pool.submit(spec(tag="r", epochs=40, sleep=0.1), owner="a")
    queued = pool.submit(spec(tag="q"), owner="b")
    deadline = time.monotonic() + 60
    while running.state != jobs.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.state == jobs.RUNNING and pool.ahead(queued) == 1 and pool.ahead(running) == 0
    pool.cancel(running, "a")
    pool.wait(queued)
    assert running.state == jobs.CANCELLED and queued.state == jobs.DONE, queued.message


def test_a_job_over_the_time_limit_stops_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    p = jobs.Pool(1, max_seconds=1.0, store_dir=tmp_path)
    try:
        job = p.wait(p.submit(spec(tag="long", epochs=200, sleep=0.05)))
        assert job.state == jobs.FAILED and "time limit" in job.message and "fewer epochs" in job.message
        assert _stored(tmp_path) == [] and not list(tmp_path.glob("*.tmp"))
        assert p.wait(p.submit(spec(tag="short"))).state == jobs.DONE  # the pool still works
    finally:
        p.close()


def test_a_killed_worker_leaves_no_model_and_a_message(pool, tmp_path):
    job = pool.submit(spec(tag="victim", epochs=100, sleep=0.05))
    while not job.history:
        time.sleep(0.05)
    os.kill(pool._workers[0].process.pid, signal.SIGKILL)
    pool.wait(job)
    assert job.state == jobs.FAILED and "stopped unexpectedly" in job.message
    assert _stored(tmp_path) == []
    retry = pool.wait(pool.submit(spec(tag="victim", epochs=3)))  # a new job, on a new worker
    assert retry.state == jobs.DONE and retry is not job


def test_cancel_stops_a_running_job_when_nobody_else_waits(pool, tmp_path):
    s = spec(tag="cancel", epochs=200, sleep=0.05)
    job = pool.submit(s, owner="a")
    pool.submit(s, owner="b")
    while not job.history:
        time.sleep(0.05)
    pool.cancel(job, "a")
    assert job.active  # b still waits
    pool.cancel(job, "b")
    assert job.state == jobs.CANCELLED and _stored(tmp_path) == []


def test_jobs_run_goes_through_the_active_pool(pool, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "_ACTIVE", pool)
    s = spec(tag="routed")
    before = len(store.TRAINED)
    rows = []
    result = jobs.run(s, "cpu", callback=lambda e, m: rows.append(e))
    assert result.from_cache and rows == [1, 2, 3] and pool.trainings == 1
    assert store.TRAINED[before:] == [s.key]
    failing = spec(tag="boom", epochs=-1)  # range(1, 0) trains nothing but returns: fine
    assert jobs.run(failing, "cpu").history == []


def test_a_training_inside_an_experiment_belongs_to_the_session(pool, monkeypatch):
    """An experiment's inner model is a job of the page's session: one job at a time, and a run that
    stops waiting (the student moved on) cancels it when nobody else waits."""
    monkeypatch.setattr(jobs, "_ACTIVE", pool)
    waiting = pool.submit(spec(tag="page", epochs=100, sleep=0.05), owner="student")
    with jobs.session("student"), pytest.raises(jobs.JobRefused, match="already have a training"):
        jobs.run(spec(tag="inner"), "cpu")
    pool.cancel(waiting, "student")

    class MovedOn(Exception):
        pass

    def leave(epoch, metrics):
        raise MovedOn

    with jobs.session("student"), pytest.raises(MovedOn):
        jobs.run(spec(tag="inner", epochs=100, sleep=0.05), "cpu", callback=leave)
    assert pool.status()["running"] + pool.status()["queued"] == 0 or not any(
        j.active for j in pool._jobs.values()
    )
    assert not jobs.stored(spec(tag="inner", epochs=100, sleep=0.05))


def test_workers_from_env(monkeypatch):
    monkeypatch.setenv("ANNLAB_TRAIN_WORKERS", "3")
    assert jobs.workers_from_env() == 3
    monkeypatch.setenv("ANNLAB_TRAIN_WORKERS", "lots")
    assert jobs.workers_from_env() >= 1
    monkeypatch.setenv("ANNLAB_TRAIN_WORKERS", "0")
    assert jobs.workers_from_env() == 0


def test_workers_start_while_main_is_a_page_script(tmp_path, monkeypatch):
    """Streamlit runs the page script as ``__main__`` (and every session's run swaps it); a spawned worker
    must not import and run it."""
    import sys
    import types

    script = tmp_path / "page.py"
    script.write_text("raise RuntimeError('a page script must not run in a training worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    p = jobs.Pool(1, max_seconds=300, store_dir=tmp_path)
    try:
        job = p.submit(spec(tag="main"), owner="a")
        p.wait(job)
        assert job.state == jobs.DONE and job.trained, job.message
    finally:
        p.close()


def test_a_worker_dead_before_its_job_arrives_does_not_stop_the_pool(pool, tmp_path):
    pool.wait(pool.submit(spec(tag="first"), owner="a"))  # workers start with the first job
    worker = pool._workers[0]
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.join(timeout=10)
    job = pool.submit(spec(tag="after-death"), owner="a")  # sent to the dead pipe, or to its successor
    pool.wait(job)
    assert job.state == jobs.DONE and job.trained, job.message
    later = pool.submit(spec(tag="later"), owner="b")  # the supervisor is still alive
    pool.wait(later)
    assert later.state == jobs.DONE, later.message


def test_run_all_queues_every_untrained_spec_at_once(tmp_path, monkeypatch):
    """The warm-up's path: two workers train side by side, results come back in order."""
    from annlab.jobs import run_all

    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    p = jobs.Pool(2, max_seconds=300, store_dir=tmp_path)
    monkeypatch.setattr(jobs, "_ACTIVE", p)
    try:
        specs = [spec(tag=f"all-{i}", epochs=4, sleep=0.5) for i in range(4)]
        store.train_spec_here(specs[0], "cpu")  # already stored: loaded, not queued
        import threading

        out, most_running = {}, 0
        thread = threading.Thread(target=lambda: out.update(results=run_all(specs, "cpu")))
        thread.start()
        while thread.is_alive():
            most_running = max(most_running, p.status()["running"])
            time.sleep(0.05)
        results = out["results"]
        assert [r.config.tag for r in results] == [s.cfg.tag for s in specs]
        assert all(r.from_cache for r in results) and p.trainings == 3
        assert most_running == 2  # both workers trained at once
    finally:
        p.close()
    assert [r.config.tag for r in run_all(specs[:2], "cpu")] == ["all-0", "all-1"]  # no pool: here, in order
