"""``python -m annlab serve``: the HAProxy configuration and a clear message when HAProxy is missing."""

import subprocess

from annlab import serve
from annlab.__main__ import main


def test_haproxy_config_is_sticky_checks_health_and_tunnels_websockets(tmp_path):
    cfg = serve.haproxy_config("127.0.0.1", 8501, [9001, 9002])
    assert f"cookie {serve.COOKIE} insert indirect nocache" in cfg
    assert "option httpchk GET /_stcore/health" in cfg and "timeout tunnel 1h" in cfg
    assert (
        "server r1 127.0.0.1:9001 check cookie r1" in cfg
        and "server r2 127.0.0.1:9002 check cookie r2" in cfg
    )
    assert "option redispatch" in cfg  # a dead replica's sessions go elsewhere
    if serve.find_haproxy():
        path = tmp_path / "haproxy.cfg"
        path.write_text(cfg)
        check = subprocess.run(
            [serve.find_haproxy(), "-c", "-q", "-f", str(path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr


def test_missing_haproxy_is_said_in_words(monkeypatch, capsys):
    monkeypatch.setattr(serve, "find_haproxy", lambda: None)
    assert main(["serve", "--replicas", "2"]) == 2
    err = capsys.readouterr().err
    assert "HAProxy is not installed" in err and "apt-get install haproxy" in err


def test_replicas_must_be_positive(capsys):
    assert main(["serve", "--replicas", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_server_settings_ship_with_every_server():
    """Streamlit's default full gc.collect(2) after every run cost 95 % of a slider's fragment rerun with
    torch loaded (bench/class_load.py); the repository's server config turns it off, and the Docker image
    carries that config."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"
    assert "COPY .streamlit .streamlit" in (root / "deploy" / "Dockerfile").read_text()


def test_a_fresh_server_has_its_home_page_opened_once(tmp_path):
    """``open_home`` runs the app once over Streamlit's websocket (streamlit/streamlit#8860)."""
    import sys
    import time

    script = tmp_path / "app.py"
    marker = tmp_path / "runs"
    script.write_text(f"import streamlit as st\nopen({str(marker)!r}, 'a').write('x')\nst.write('home')\n")
    port = next(p for p in range(8650, 8670) if serve.healthy(f"http://127.0.0.1:{p}") is False)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not serve.healthy(f"http://127.0.0.1:{port}") and time.time() < deadline:
            time.sleep(0.5)
        assert not marker.exists()  # nothing ran the script yet
        assert serve.open_home(f"http://127.0.0.1:{port}")
        assert marker.read_text() == "x"
    finally:
        proc.terminate()
        proc.wait(10)
    assert not serve.open_home(f"http://127.0.0.1:{port}", timeout=5)  # a stopped server: False, no raise
