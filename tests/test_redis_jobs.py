"""Trainings on RQ queues in Redis: a real redis-server on 127.0.0.1 (started here, stopped after) and
two workers (``python -m annlab worker``) with separate local cache folders, standing in for two hosts
that share one store."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from annlab import jobs, store
from annlab.training import TrainResult, TrainSpec

ROOT = Path(__file__).resolve().parent.parent
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
pytestmark = pytest.mark.skipif(not Path(REDIS).exists(), reason="redis-server is not installed (make redis)")


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
            callback(epoch, {"loss": 1.0 / epoch, "pid": os.getpid()})
    return TrainResult(build(cfg), history, cfg)


def spec(**kw) -> TrainSpec:
    return TrainSpec(Slow(**kw), train_slow, build, lambda: None, "none", 0, f"the test model {kw}")


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port = next(p for p in range(6390, 6400) if _free(p))
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while _free(port) and time.time() < deadline:
        time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def cluster(redis_url, tmp_path, monkeypatch):
    """A shared folder store, this process as a web replica, and two workers with their own caches."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    shared = tmp_path / "shared-store"
    monkeypatch.setenv("ANNLAB_STORE", str(shared))
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path / "web-cache"))
    monkeypatch.setenv("ANNLAB_REDIS_URL", redis_url)
    workers = []
    for i in range(2):
        env = dict(os.environ, ANNLAB_CACHE_DIR=str(tmp_path / f"worker{i}-cache"), OMP_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), str(ROOT)])
        log = open(tmp_path / f"worker{i}.log", "w")
        cmd = [sys.executable, "-m", "annlab", "worker", "--queue", "cpu"]
        workers.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    q = jobs.RedisJobs(redis_url, max_seconds=120)
    yield q, workers, shared
    for w in workers:
        if w.poll() is None:
            w.terminate()
    for w in workers:
        try:
            w.wait(20)
        except subprocess.TimeoutExpired:
            w.kill()
    q.close()


def _pids(job) -> set[int]:
    return {int(row["pid"]) for row in job.history if "pid" in row}


def test_thirty_students_asking_for_one_setting_join_one_job(cluster):
    q, _, shared = cluster
    s = spec(tag="same", epochs=3, sleep=0.3)
    first = q.submit(s, owner="student-0")
    others = [q.submit(s, owner=f"student-{i}") for i in range(1, 30)]
    assert {j.key for j in others} == {first.key == s.key and s.key}
    seen = []
    job = q.wait(first, callback=lambda epoch, m: seen.append(epoch))
    assert job.state == jobs.DONE and job.trained, job.message
    assert seen == [1, 2, 3] and len(job.owners) == 30 and q.trainings == 1
    assert store.current().keys() == [s.key] and (shared / store.entry_name(s.key)).exists()
    result = jobs.RedisJobs.run(q, s, "cpu")  # another session: loaded from the store, nothing queued
    assert result.from_cache and q.trainings == 1


def test_a_session_has_one_job_and_sees_its_place(cluster):
    q, _, _ = cluster
    long = [q.submit(spec(tag=f"busy{i}", epochs=40, sleep=0.1), owner=f"busy{i}") for i in range(2)]
    mine = q.submit(spec(tag="mine"), owner="me")
    with pytest.raises(jobs.JobRefused, match="already have a training"):
        q.submit(spec(tag="second"), owner="me")
    deadline = time.time() + 300  # workers may take minutes to start on a loaded machine
    while q.refresh(long[0]).state == jobs.QUEUED or q.refresh(long[1]).state == jobs.QUEUED:
        assert time.time() < deadline
        time.sleep(0.2)
    assert q.ahead(mine) == 2  # both workers busy, mine first in line
    for job, owner in zip(long, ("busy0", "busy1"), strict=True):
        q.cancel(job, owner)
    assert q.wait(long[0]).state == jobs.CANCELLED and "cancelled" in long[0].message
    assert q.wait(mine).state == jobs.DONE
    assert not store.has(long[0].key) and not store.has(long[1].key)


def test_a_killed_worker_is_reported_and_its_job_finished_by_the_other(cluster):
    q, workers, shared = cluster
    job = q.submit(spec(tag="victim", epochs=60, sleep=0.1), owner="a")
    deadline = time.time() + 300  # workers may take minutes to start on a loaded machine
    while not q.refresh(job).history:
        assert time.time() < deadline
        time.sleep(0.1)
    victim = next(iter(_pids(job)))
    os.kill(victim, signal.SIGKILL)
    done = q.wait(job)
    assert done.state == jobs.DONE, done.message
    assert done.id == 2 and victim not in _pids(done)  # the second attempt, on the other worker
    assert "stopped unexpectedly" in done.message and "queued again" in done.message  # reported
    assert store.has(job.key) and not list(shared.glob("*.tmp"))


def test_a_job_over_the_time_limit_stops_and_says_so(cluster, redis_url):
    q = jobs.RedisJobs(redis_url, max_seconds=1.0)
    job = q.wait(q.submit(spec(tag="long", epochs=200, sleep=0.05)))
    assert job.state == jobs.FAILED and "time limit" in job.message and "fewer epochs" in job.message
    assert not store.has(job.key)


def test_redis_unreachable_says_so_and_stored_models_still_load(cluster, monkeypatch):
    q, _, _ = cluster
    ready = spec(tag="ready")
    assert q.wait(q.submit(ready)).state == jobs.DONE
    down = jobs.RedisJobs("redis://127.0.0.1:6399/0")  # nothing listens there
    monkeypatch.setattr(jobs, "_ACTIVE", down)
    assert jobs.run(ready, "cpu").from_cache  # the store answers without Redis
    with pytest.raises(jobs.JobsUnavailable, match="cannot be reached.*already trained still load"):
        jobs.run(spec(tag="new"), "cpu")


def test_worker_needs_a_redis_url(monkeypatch):
    monkeypatch.delenv("ANNLAB_REDIS_URL", raising=False)
    from annlab.__main__ import main

    assert main(["worker"]) == 2
