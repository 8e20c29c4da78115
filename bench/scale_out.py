"""Past one machine, on one machine: two web replicas behind HAProxy and two workers over Redis, all on
127.0.0.1, with the S3 store (moto's server); then the same load on one server with the embedded pool.

30 students (real Streamlit sessions over the websocket, as ``bench/class_load.py``): 20 ask for 10
different untrained settings (two students per setting) while 10 keep moving a slider that needs no
training; once both workers are busy, one worker is killed mid-job. Before the timed part one session
opens the asking page so its default models are trained (not counted).

Keys: ``distinct_settings``; ``trainings`` (trainings the workers ran for the asked settings: must equal
``distinct_settings``); ``lost_jobs`` (asked settings missing from the store at the end: 0);
``killed_worker_job_done`` (the killed worker's job was finished by the other worker); ``slider_p95_ms``
(the slider students' answer time while the queue drains); ``drain_s`` (from the asks until every asked
model is in the store); ``drain_s_embedded`` (the same load on one server with the embedded pool, same
run). Usage::

    nice -n 10 python bench/scale_out.py [--values 2 3 4 5 6 7 8 9 10 11] [--timeout 1200]

Needs redis-server and HAProxy (``make redis haproxy``). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from class_load import _open, _percentile, _think_and_move  # noqa: E402

PAGE, CONTROL = "RBM_inpainting", "rbm_epochs"  # each epoch count is a new RBM to train
WATCH_PAGE, WATCH_CONTROL = "Hopfield", "hop_noise"  # a slider that trains nothing


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _port(ports: range) -> int:
    return next(p for p in ports if _free(p))


def _keys() -> set[str]:
    from annlab import store

    return set(store.current().keys())


async def _prime(url: str, timeout: float) -> None:
    """One session opens the asking page and waits until its default models are in (not timed)."""
    s = (await _open(url, PAGE, 1))[0]
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:  # three quiet seconds in a row: every model is in
        quiet = 0 if (s._auto or s.in_run) else quiet + 1
        await asyncio.sleep(1.0)
    await s.close()


async def _load(url: str, values: list[float], timeout: float, on_busy=None) -> dict:
    """20 askers (two per value) and 10 slider students; returns drain time and the sliders' p95."""
    before = _keys()
    askers = await _open(url, PAGE, 2 * len(values))
    watchers = await _open(url, WATCH_PAGE, 10)
    start = time.monotonic()
    asks = [v for v in values for _ in range(2)]
    await asyncio.gather(*(s.move(CONTROL, v) for s, v in zip(askers, asks, strict=True)))
    drained = asyncio.Event()
    n = len(values)

    async def watch_store():
        while time.monotonic() - start < timeout:
            if on_busy is not None:
                await asyncio.to_thread(on_busy)
            if len(await asyncio.to_thread(_keys) - before) >= n:
                drained.set()
                return
            await asyncio.sleep(1.0)

    async def sliders():
        while not drained.is_set() and time.monotonic() - start < timeout:
            await asyncio.gather(
                *(_think_and_move(w, WATCH_CONTROL, time.monotonic() + 5, (0.5, 2.0)) for w in watchers)
            )

    await asyncio.gather(watch_store(), sliders())
    drain_s = time.monotonic() - start if drained.is_set() else None
    new = _keys() - before
    times = [t for w in watchers for t in w.times_ms]
    out = {
        "new_models": len(new),
        "drain_s": round(drain_s, 1) if drain_s is not None else None,
        "slider_p95_ms": _percentile(times, 0.95),
        "slider_moves": len(times),
        "errors": sum(s.errors + len(s.exceptions) for s in askers + watchers),
        "exceptions": sorted({e for s in askers + watchers for e in s.exceptions})[:3],
        "askers_last_words": sorted({s.last_note.split(":")[0] for s in askers})[:5],
    }
    for s in askers + watchers:
        await s.close()
    return out


def _start_workers(env: dict, n: int, log_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        wenv = dict(env, ANNLAB_CACHE_DIR=str(log_dir / f"worker{i}-cache"), OMP_NUM_THREADS="1")
        log = open(log_dir / f"worker{i}.log", "w")
        cmd = [sys.executable, "-m", "annlab", "worker", "--queue", "cpu"]  # as niced as the bench itself
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=wenv, stdout=log, stderr=subprocess.STDOUT))
    return procs


def _stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--values", type=float, nargs="+", default=[float(v) for v in range(2, 12)])
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per drain at most")
    args = parser.parse_args(argv)
    import boto3
    import redis
    from moto.server import ThreadedMotoServer

    from annlab.serve import Replicas

    log_dir = Path(tempfile.mkdtemp(prefix="annlab-scale-out-"))
    redis_port, s3_port = _port(range(6390, 6400)), _port(range(5090, 5100))
    redis_proc = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(redis_port), "--bind",
         "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(log_dir)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    endpoint = f"http://127.0.0.1:{s3_port}"
    creds = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(creds, AWS_ENDPOINT_URL=endpoint, OMP_NUM_THREADS="1")
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="annlab")
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    while _free(redis_port):
        time.sleep(0.1)
    r = redis.Redis.from_url(redis_url)
    result: dict = {"distinct_settings": len(set(args.values)), "students": 30, "cpu_count": os.cpu_count()}
    workers: list = []
    replicas = None
    try:
        # ---- two replicas and two workers over Redis, the S3 store
        os.environ.update(
            ANNLAB_STORE="s3://annlab/redis-run", ANNLAB_REDIS_URL=redis_url,
            ANNLAB_CACHE_DIR=str(log_dir / "web-cache"),
        )  # fmt: skip
        workers = _start_workers(dict(os.environ), 2, log_dir)
        replicas = Replicas(2, port=_port(range(8650, 8670)), log_dir=log_dir / "replicas")
        url = replicas.start(timeout=600)
        asyncio.run(_prime(url, args.timeout))
        trainings0 = int(r.get("annlab:trainings") or 0)
        killed: dict = {}

        def kill_when_both_busy():
            from rq import Worker

            if killed:
                return
            busy = [(w.pid, w.get_current_job_id()) for w in Worker.all(connection=r)]
            busy = [(pid, job) for pid, job in busy if job]
            if len(busy) >= 2:
                pid, job = busy[0]
                os.kill(pid, signal.SIGKILL)
                killed.update(pid=pid, key=job.rpartition("__")[0], at=time.monotonic())

        asked = asyncio.run(_load(url, args.values, args.timeout, kill_when_both_busy))
        trainings = int(r.get("annlab:trainings") or 0) - trainings0
        state = r.hgetall(f"annlab:job:{killed['key']}") if killed else {}
        result.update(
            {
                "trainings": trainings,
                "lost_jobs": max(0, len(set(args.values)) - asked["new_models"]),
                "killed_worker_job_done": bool(
                    state.get(b"state") == b"done" and int(state.get(b"attempt") or 0) >= 2
                ),
                "slider_p95_ms": asked["slider_p95_ms"],
                "drain_s": asked["drain_s"],
                "redis_run": asked,
            }
        )
        print(json.dumps({"redis_run": result}), flush=True)
        replicas.stop()
        replicas = None
        _stop(workers)
        # ---- the same load on one server with its embedded pool (as many workers), a fresh S3 prefix
        os.environ.pop("ANNLAB_REDIS_URL")
        os.environ.update(
            ANNLAB_STORE="s3://annlab/embedded-run", ANNLAB_CACHE_DIR=str(log_dir / "embedded-cache"),
            ANNLAB_TRAIN_WORKERS="2",
        )  # fmt: skip
        replicas = Replicas(1, port=_port(range(8650, 8670)), log_dir=log_dir / "embedded")
        url = replicas.start(timeout=600)
        asyncio.run(_prime(url, args.timeout))
        embedded = asyncio.run(_load(url, args.values, args.timeout))
        result["drain_s_embedded"] = embedded["drain_s"]
        result["slider_p95_ms_embedded"] = embedded["slider_p95_ms"]
        result["embedded_run"] = embedded
    finally:
        if replicas is not None:
            replicas.stop()
        _stop(workers)
        redis_proc.terminate()
        redis_proc.wait(10)
        s3.stop()
    result["threads_per_worker"] = 1
    result["note"] = (
        "2 shared, noisy cores (other jobs ran beside this); the killed worker is not restarted, so the "
        "Redis drain runs on one worker after the kill, the embedded one on two; logs in " + str(log_dir)
    )
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
