"""A whole class on one server: N simulated students over Streamlit's own websocket protocol.

Each student is a real Streamlit session: a websocket client speaking the protocol buffers of the
installed Streamlit (``BackMsg`` / ``ForwardMsg``), as the browser does. It opens a page, finds the
page's sliders in the deltas it receives (the same elements the browser draws), and moves the main
slider every few seconds (think time 3-10 s). A move is sent like the browser sends it: all widget
states, and the fragment id when the slider lives in a fragment; its answer time runs from the send
to the script's ``script_finished`` message. Auto-reruns (a training job's polled panel) are answered
like the browser answers them.

Usage::

    python bench/class_load.py [--sessions 10 30 60] [--seconds 60] [--page Latent_space]
        [--control lat_t] [--stress-page RBM_inpainting --stress-control rbm_hidden]

The server runs ``streamlit run app.py`` on 127.0.0.1 against the model store in ``ANNLAB_CACHE_DIR``
(warm it first: ``python -m annlab warm``). Last line: one JSON object (see ``--help``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class Student:
    """One browser-like Streamlit session over the websocket."""

    def __init__(self, url: str, page: str):
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.page = page
        self.sliders: dict[str, dict] = {}  # widget id -> element info
        self.states: dict[str, WidgetState] = {}
        self.page_hash = ""
        self.errors = 0
        self.exceptions: list[str] = []
        self.times_ms: list[float] = []
        self.ws = None
        self._finished: asyncio.Event = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._auto: dict[str, asyncio.Task] = {}
        self.last_note = ""
        self.in_run = False  # a run of this session is in progress (a move, a poll, a job's rerun)

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**27)
        self._reader = asyncio.create_task(self._read())
        await self.rerun(first=True)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.in_run = True
            self.page_hash = self.page_hash or msg.new_session.main_script_hash
            if msg.metadata.run.fragment_ids:  # a fragment's run: the other fragments keep polling
                return
            for task in self._auto.values():  # a full run: fragments it does not register stop polling
                task.cancel()
            self._auto.clear()
        elif kind == "page_info_changed" or kind == "navigation":
            if kind == "navigation" and msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "slider":
                s = element.slider
                self.sliders[s.id] = {
                    "id": s.id,
                    "label": s.label,
                    "min": s.min,
                    "max": s.max,
                    "step": s.step,
                    "options": list(s.options),
                    "value": list(s.value) or list(s.default),
                    "fragment_id": msg.delta.fragment_id,
                }
            elif which == "exception":
                self.exceptions.append(element.exception.message[:200])
            elif which in ("alert", "progress"):  # the job panel's words: waiting, training, failed
                self.last_note = (element.alert.body if which == "alert" else element.progress.text)[:120]
        elif kind == "auto_rerun":
            fid = msg.auto_rerun.fragment_id
            if fid not in self._auto:
                self._auto[fid] = asyncio.create_task(self._auto_rerun(fid, msg.auto_rerun.interval))
        elif kind == "stop_auto_rerun":
            for fid, task in list(self._auto.items()):
                task.cancel()
                del self._auto[fid]
        elif kind == "script_finished":
            self.in_run = False
            if msg.script_finished in FINISHED:
                self._finished.set()

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except Exception:
            self.errors += 1  # a disconnect
            self._finished.set()

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                await self._send(fragment_id, auto=True)
        except (asyncio.CancelledError, Exception):
            return

    async def _send(self, fragment_id: str = "", auto: bool = False, first: bool = False) -> None:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = ""
        if first:
            state.page_name = self.page
        else:
            state.page_script_hash = self.page_hash
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        for ws in self.states.values():
            state.widget_states.widgets.append(ws)
        await self.ws.send(back.SerializeToString())

    async def rerun(self, fragment_id: str = "", first: bool = False, timeout: float = 600) -> float:
        self._finished.clear()
        start = time.perf_counter()
        await self._send(fragment_id, first=first)
        await asyncio.wait_for(self._finished.wait(), timeout)
        return (time.perf_counter() - start) * 1000

    def slider(self, key: str) -> dict | None:
        for sid, info in self.sliders.items():
            if sid.endswith(f"-{key}") or sid.endswith(key):
                return info
        return None

    async def move(self, key: str, value: float | None = None) -> float | None:
        """Move the slider ``key`` (to ``value``, else one step to a random side); answer time in ms."""
        info = self.slider(key)
        if info is None:
            self.errors += 1
            return None
        current = info["value"][0] if info["value"] else info["min"]
        if value is None:
            hi = len(info["options"]) - 1 if info["options"] else info["max"]
            lo = 0 if info["options"] else info["min"]
            step = 1 if info["options"] else (info["step"] or 1)
            value = current + random.choice((-step, step))
            if value > hi or value < lo:
                value = current - (value - current)
        info["value"] = [value]
        ws = WidgetState(id=info["id"])
        ws.double_array_value.data.append(float(value))
        self.states[info["id"]] = ws
        try:
            ms = await self.rerun(info["fragment_id"])
        except TimeoutError:
            self.errors += 1
            return None
        self.times_ms.append(ms)
        return ms

    async def close(self) -> None:
        for task in self._auto.values():
            task.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()


def _proc_stats(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of a process and its children (the training workers)."""
    pids = [pid]
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            pids.append(int(child))
    except OSError:
        pass
    cpu = rss = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
        except OSError:
            continue
    return cpu, rss


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _summary(
    students: list[Student], cpu_s: float, seconds: float, rss: float, base_rss: float, n: int
) -> dict:
    times = [t for s in students for t in s.times_ms]
    return {
        "moves": len(times),
        "p50_ms": _percentile(times, 0.5),
        "p95_ms": _percentile(times, 0.95),
        "errors": sum(s.errors for s in students) + sum(len(s.exceptions) for s in students),
        "exceptions": sorted({e for s in students for e in s.exceptions})[:3],
        "server_cpu_cores": round(cpu_s / seconds, 2),
        "rss_mb": round(rss, 1),
        "rss_per_session_mb": round(max(0.0, rss - base_rss) / max(1, n), 2),
    }


async def _think_and_move(student: Student, key: str, until: float, think: tuple[float, float]) -> None:
    while time.monotonic() < until:
        await asyncio.sleep(random.uniform(*think))
        if time.monotonic() >= until:
            return
        await student.move(key)


async def _open(url: str, page: str, n: int) -> list[Student]:
    students = [Student(url, page) for _ in range(n)]
    for s in students:  # a class arrives over a few seconds, not in one instant
        await s.connect()
        await asyncio.wait_for(s._finished.wait(), 600)
    return students


async def load_case(url: str, pid: int, page: str, key: str, n: int, seconds: float, think, base_rss) -> dict:
    students = await _open(url, page, n)
    cpu0, _ = _proc_stats(pid)
    until = time.monotonic() + seconds
    await asyncio.gather(*(_think_and_move(s, key, until, think) for s in students))
    cpu1, rss = _proc_stats(pid)
    out = _summary(students, cpu1 - cpu0, seconds, rss, base_rss, n)
    for s in students:
        await s.close()
    return out


def _store_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.pt")}


async def stress_case(url, page, key, values, watchers_page, watchers_key, n_watchers, seconds, think, store):
    """Students ask for untrained settings (``values``, one per student) while ``n_watchers`` others
    keep moving a cheap slider for ``seconds``; reports the others' answer times, the trainings run
    (new files in the store) and whether every asker got its model."""
    before = _store_files(store)
    askers = await _open(url, page, len(values))
    watchers = await _open(url, watchers_page, n_watchers)
    start = time.monotonic()
    await asyncio.gather(*(s.move(key, v) for s, v in zip(askers, values, strict=True)))
    asked_s = time.monotonic() - start
    await asyncio.gather(*(_think_and_move(w, watchers_key, start + seconds, think) for w in watchers))
    deadline = time.monotonic() + (600 if len(set(values)) == 1 else 0)
    while time.monotonic() < deadline and any(s._auto or s.in_run for s in askers):
        await asyncio.sleep(0.5)  # until every asker's page has its model drawn (or time is up)
    out = _summary(watchers, 0.0, 1.0, 0.0, 0.0, n_watchers)
    out.update(
        {
            "askers": len(values),
            "distinct_settings": len(set(values)),
            "ask_answer_s": round(asked_s, 2),
            "trainings": len(_store_files(store) - before),
            "askers_still_waiting": sum(1 for s in askers if s._auto or s.in_run),
            "askers_last_words": sorted({s.last_note.split(":")[0] for s in askers}),
            "asker_errors": sum(s.errors + len(s.exceptions) for s in askers),
            "elapsed_s": round(time.monotonic() - start, 1),
        }
    )
    for s in askers + watchers:
        await s.close()
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="*", default=[10, 30, 60])
    parser.add_argument("--seconds", type=float, default=60.0, help="load time per case")
    parser.add_argument("--page", default="Latent_space")
    parser.add_argument("--control", default="lat_t")
    parser.add_argument("--think", type=float, nargs=2, default=[3.0, 10.0])
    parser.add_argument("--stress-page", default="RBM_inpainting")
    parser.add_argument("--stress-control", default="rbm_epochs")
    parser.add_argument("--stress-students", type=int, default=30)
    parser.add_argument("--stress-values", type=float, nargs="+", default=None)
    parser.add_argument("--no-stress", action="store_true")
    args = parser.parse_args(argv)

    from browser import streamlit_server

    from annlab.settings import cache_dir

    store = cache_dir()
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    result: dict = {"page": args.page, "control": args.control, "cpu_count": os.cpu_count()}
    with streamlit_server(env=env, log_name="class_load.log") as url:
        pid = _server_pid(url)

        async def run_all():
            prime = await _open(url, args.page, 1)  # first run fills the page registry and caches
            await prime[0].close()
            await asyncio.sleep(2)
            _, base_rss = _proc_stats(pid)  # the server with the page loaded, no session open
            result["base_rss_mb"] = round(base_rss, 1)
            result["sessions"] = {}
            for n in args.sessions:
                result["sessions"][str(n)] = await load_case(
                    url, pid, args.page, args.control, n, args.seconds, tuple(args.think), base_rss
                )
                print(json.dumps({n: result["sessions"][str(n)]}), flush=True)
            if args.no_stress:
                return
            n = args.stress_students
            values = args.stress_values or [float(v) for v in range(41, 41 + n + 1)]  # untrained epochs
            common = (args.page, args.control, 10, args.seconds, tuple(args.think), store)
            result["same_setting"] = await stress_case(
                url, args.stress_page, args.stress_control, [values[0]] * n, *common
            )
            print(json.dumps({"same_setting": result["same_setting"]}), flush=True)
            result["different_settings"] = await stress_case(
                url, args.stress_page, args.stress_control, values[1 : n + 1], *common
            )

        asyncio.run(run_all())
    result["threads"] = env["OMP_NUM_THREADS"]
    result["train_workers"] = os.environ.get("ANNLAB_TRAIN_WORKERS", "default (cores - 1)")
    return result


def _server_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "streamlit" in cmd and f"--server.port {port}" in cmd:
                return int(proc.name)
    raise RuntimeError("server process not found")


if __name__ == "__main__":
    out = main()
    print(json.dumps(out))
