"""The model store: key, round trip, corrupt files, one training across threads and processes."""

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from annlab.store import Lazy, StoreWarning, get_or_train, model_key
from annlab.training import TrainResult

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TinyConfig:
    n_in: int = 3
    n_out: int = 2
    slow_s: float = 0.0


def build(cfg):
    return torch.nn.Linear(cfg.n_in, cfg.n_out)


def train_tiny(cfg, data, *, device="cpu", seed=0, callback=None):
    """Counts its calls in a file next to the cache, so other processes can see them."""
    if data is not None:
        with open(data, "a") as fh:
            fh.write("x")
    time.sleep(cfg.slow_s)
    torch.manual_seed(seed)  # test-only helper; library code uses generators
    model = build(cfg)
    if callback:
        callback(1, {"loss": 0.5})
    return TrainResult(model, [{"epoch": 1, "loss": 0.5}], cfg, extra={"mean": torch.tensor([1.0, 2.0])})


def _calls(path: Path) -> int:
    return len(path.read_text()) if path.exists() else 0


def test_key_depends_on_config_seed_and_data():
    a = model_key(TinyConfig(), seed=0, data_key="d")
    assert a == model_key(TinyConfig(), seed=0, data_key="d")
    assert a.startswith("TinyConfig-") and a.endswith("-v1")
    assert (
        len(
            {
                a,
                model_key(TinyConfig(n_out=3)),
                model_key(TinyConfig(), seed=1),
                model_key(TinyConfig(), data_key="other"),
            }
        )
        == 4
    )


def test_second_call_loads_instead_of_training(tmp_path):
    counter = tmp_path / "calls"
    r1 = get_or_train(TinyConfig(), train_tiny, build, str(counter), directory=tmp_path)
    r2 = get_or_train(TinyConfig(), train_tiny, build, str(counter), directory=tmp_path)
    assert _calls(counter) == 1
    assert not r1.from_cache and r2.from_cache
    assert r2.history == r1.history and torch.equal(r2.extra["mean"], torch.tensor([1.0, 2.0]))
    for k, v in r1.model.state_dict().items():
        assert torch.equal(v, r2.model.state_dict()[k])
    files = list(tmp_path.glob("*.pt"))
    assert len(files) == 1
    ckpt = torch.load(files[0], weights_only=True)  # plain data only
    assert set(ckpt) >= {"state_dict", "config", "history", "format"}
    assert not list(tmp_path.glob("*.tmp"))  # the temp file was renamed away


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_file_is_discarded_and_retrained(tmp_path, damage):
    counter = tmp_path / "calls"
    get_or_train(TinyConfig(), train_tiny, build, str(counter), directory=tmp_path)
    path = next(tmp_path.glob("*.pt"))
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"not a checkpoint", "empty": b""}[damage])
    with pytest.warns(StoreWarning, match="could not be read"):
        r = get_or_train(TinyConfig(), train_tiny, build, str(counter), directory=tmp_path)
    assert _calls(counter) == 2 and not r.from_cache
    assert get_or_train(TinyConfig(), train_tiny, build, str(counter), directory=tmp_path).from_cache


def test_lazy_data_is_built_only_when_training(tmp_path):
    built = []
    get_or_train(TinyConfig(), train_tiny, build, Lazy(lambda: built.append(1)), directory=tmp_path)
    get_or_train(TinyConfig(), train_tiny, build, Lazy(lambda: built.append(1)), directory=tmp_path)
    assert built == [1]


def test_threads_asking_at_once_train_once(tmp_path):
    counter = tmp_path / "calls"
    cfg = TinyConfig(slow_s=0.3)
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                get_or_train(cfg, train_tiny, build, str(counter), directory=tmp_path)
            )
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _calls(counter) == 1 and len(results) == 4
    assert sum(not r.from_cache for r in results) == 1


WORKER = """
import sys
sys.path.insert(0, sys.argv[3])
from test_store import TinyConfig, build, train_tiny
from annlab.store import get_or_train
get_or_train(TinyConfig(slow_s=1.0), train_tiny, build, sys.argv[2], directory=sys.argv[1])
"""


def test_processes_asking_at_once_train_once(tmp_path):
    counter = tmp_path / "calls"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), str(counter), str(Path(__file__).parent)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    assert _calls(counter) == 1
    assert len(list(tmp_path.glob("*.pt"))) == 1
