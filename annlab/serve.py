"""``python -m annlab serve --replicas N``: several Streamlit processes behind HAProxy.

Streamlit serves every session from one process, so a class larger than one process can hold needs
several processes behind a proxy. This module starts ``N`` replicas of ``streamlit run app.py`` on
internal ports and HAProxy in front of them:

- sticky sessions by cookie (``ANNLAB_REPLICA``): a browser's page, websocket and media requests all
  reach the replica that holds its session (Streamlit's media and uploads break without it);
- the websocket upgrade passes through (HAProxy in HTTP mode, long tunnel timeouts);
- health checks on ``/_stcore/health``; a replica that stops answering leaves the pool, and a
  replica process that dies is restarted on its port;
- one ``server.cookieSecret`` for all replicas, and one model store (``ANNLAB_STORE``, default the
  cache folder ``ANNLAB_CACHE_DIR``): a model trained through one replica loads without training on
  the others (entries are create-only, see :mod:`annlab.store`);
- after a replica starts or restarts, its home page is opened once over Streamlit's websocket, before
  HAProxy sends it students: a fresh process otherwise answers the first deep link with "Page not
  found" (streamlit/streamlit#8860, still seen on 1.67).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from annlab.settings import REPO_ROOT, cache_dir

COOKIE = "ANNLAB_REPLICA"
HAPROXY_MISSING = (
    "HAProxy is not installed, and `serve --replicas` needs it in front of the replicas. Install it from "
    "your system packages (Debian/Ubuntu: `sudo apt-get install haproxy`, or `make haproxy` as root), "
    "or point ANNLAB_HAPROXY at the binary."
)


def find_haproxy() -> str | None:
    """The HAProxy binary: ``ANNLAB_HAPROXY``, then ``PATH``, then ``/usr/sbin/haproxy``."""
    for candidate in (os.environ.get("ANNLAB_HAPROXY"), shutil.which("haproxy"), "/usr/sbin/haproxy"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(address: str, port: int, replica_ports: list[int]) -> str:
    """The HAProxy configuration: sticky cookie, websocket-friendly timeouts, health checks."""
    servers = "\n".join(
        f"    server r{i} 127.0.0.1:{p} check cookie r{i} inter 2s fall 2 rise 1"
        for i, p in enumerate(replica_ports, start=1)
    )
    return f"""global
    maxconn 4096

defaults
    mode http
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 30s

frontend annlab
    bind {address}:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    cookie {COOKIE} insert indirect nocache
    option httpchk GET /_stcore/health
    http-check expect status 200
{servers}
"""


class Replicas:
    """N Streamlit processes and HAProxy; :meth:`supervise` restarts a replica that dies."""

    def __init__(self, n: int, *, port: int = 8501, address: str = "127.0.0.1", log_dir: Path | None = None):
        if n < 1:
            raise ValueError(f"--replicas must be at least 1, got {n}.")
        self.haproxy = find_haproxy()
        if self.haproxy is None:
            raise RuntimeError(HAPROXY_MISSING)
        self.n, self.port, self.address = n, port, address
        self.ports = [free_port() for _ in range(n)]
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="annlab-serve-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ)
        self.env.setdefault("ANNLAB_CACHE_DIR", str(cache_dir()))  # one store for every replica
        self.env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        self.procs: list[subprocess.Popen | None] = [None] * n
        self.proxy: subprocess.Popen | None = None
        self.restarts = 0
        self._fresh: set[int] = set()  # restarted replicas whose home page is not opened yet

    def _start_replica(self, i: int) -> None:
        log = open(self.log_dir / f"replica{i + 1}.log", "a")
        self.procs[i] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO_ROOT / "app.py"),
                "--server.port",
                str(self.ports[i]),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start(self, timeout: float = 120) -> str:
        """Start the replicas, wait until each is healthy, then start HAProxy; returns the public URL."""
        for i in range(self.n):
            self._start_replica(i)
        deadline = time.time() + timeout
        for i, port in enumerate(self.ports):
            while not healthy(f"http://127.0.0.1:{port}"):
                if time.time() > deadline or self.procs[i].poll() is not None:
                    self.stop()
                    raise RuntimeError(
                        f"replica {i + 1} did not start; see {self.log_dir}/replica{i + 1}.log"
                    )
                time.sleep(0.5)
            open_home(f"http://127.0.0.1:{port}")
        cfg = self.log_dir / "haproxy.cfg"
        cfg.write_text(haproxy_config(self.address, self.port, self.ports))
        check = subprocess.run([self.haproxy, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            self.stop()
            raise RuntimeError(f"HAProxy rejected its configuration: {check.stderr.strip()}")
        log = open(self.log_dir / "haproxy.log", "a")
        self.proxy = subprocess.Popen(
            [self.haproxy, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://{self.address}:{self.port}"
        while not healthy(url):
            if time.time() > deadline or self.proxy.poll() is not None:
                self.stop()
                raise RuntimeError(f"HAProxy did not start; see {self.log_dir}/haproxy.log")
            time.sleep(0.3)
        return url

    def check(self) -> list[int]:
        """Restart every replica process that has died; returns their numbers (1-based)."""
        restarted = []
        for i, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is not None:
                self._start_replica(i)
                self.restarts += 1
                self._fresh.add(i)
                restarted.append(i + 1)
        for i in sorted(self._fresh):
            url = f"http://127.0.0.1:{self.ports[i]}"
            if healthy(url):
                open_home(url)
                self._fresh.discard(i)
        return restarted

    def supervise(self, interval: float = 2.0, report=print) -> None:
        """Keep the replicas alive until interrupted (Ctrl-C or SIGTERM)."""
        stop = False

        def _stop(*_):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop:
                for n in self.check():
                    report(
                        f"replica {n} had stopped: restarted it (HAProxy sends it new sessions when healthy)"
                    )
                if self.proxy is not None and self.proxy.poll() is not None:
                    report("HAProxy stopped; shutting down the replicas.")
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        for proc in [self.proxy, *self.procs]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [self.proxy, *self.procs]:
            if proc is not None:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def open_home(url: str, timeout: float = 120.0) -> bool:
    """Open the home page of the Streamlit server at ``url`` once, as a browser would (a websocket
    session runs app.py, which registers every page), so that a student's first deep link into a fresh
    process finds its page (streamlit/streamlit#8860). True when the run finished within ``timeout``.
    The websocket client speaks Streamlit's protocol, so it lives in :mod:`annlab.ui.visit`."""
    from annlab.ui.visit import open_page

    return open_page(url, timeout)
