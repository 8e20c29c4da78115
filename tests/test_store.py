"""The model store, on both backends (a folder, and S3 served by moto): key, round trip, corrupt entries,
create-only writes, one training across threads and processes, a store that cannot be written."""

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from annlab import store
from annlab.store import Lazy, StoreUnwritable, StoreWarning, get_or_train, model_key
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
    """Counts its calls in a file, so other processes can see them."""
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
    others = {
        model_key(TinyConfig(n_out=3)),
        model_key(TinyConfig(), seed=1),
        model_key(TinyConfig(), data_key="x"),
    }
    assert len({a} | others) == 4


def test_keys_of_stored_models_are_unchanged():
    """Models stored by earlier versions stay readable: same keys (values computed with the store of
    commit 42895e5, before the store moved behind backends) and the same file layout."""
    assert model_key(TinyConfig(), seed=0, data_key="d") == "TinyConfig-98c220c4c0ce-v1"
    assert model_key(TinyConfig(n_out=3), seed=2, data_key="mnist5k") == "TinyConfig-d99ea4f16567-v1"


def test_an_entry_written_by_the_old_store_is_loaded(tmp_path, monkeypatch):
    """The format is unchanged: a ``<key>.pt`` file written with ``torch.save`` as before loads."""
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ANNLAB_STORE", raising=False)
    model = build(TinyConfig())
    old = {"format": 1, "state_dict": model.state_dict(), "config": {"n_in": 3, "n_out": 2, "slow_s": 0.0},
           "history": [{"epoch": 1, "loss": 0.125}], "extra": {}, "diverged": None}  # fmt: skip
    torch.save(old, tmp_path / "TinyConfig-f3a3a6f4dfa0-v1.pt")
    key = model_key(TinyConfig())
    (tmp_path / "TinyConfig-f3a3a6f4dfa0-v1.pt").rename(tmp_path / f"{key}.pt")
    r = get_or_train(TinyConfig(), train_tiny, build, str(tmp_path / "calls"))
    assert r.from_cache and r.history == [{"epoch": 1, "loss": 0.125}] and _calls(tmp_path / "calls") == 0
    assert torch.equal(r.model.weight, model.weight)


def test_second_call_loads_instead_of_training(store_env, tmp_path):
    counter = tmp_path / "calls"
    r1 = get_or_train(TinyConfig(), train_tiny, build, str(counter))
    r2 = get_or_train(TinyConfig(), train_tiny, build, str(counter))
    assert _calls(counter) == 1
    assert not r1.from_cache and r2.from_cache and r1.key == r2.key
    assert r2.history == r1.history and torch.equal(r2.extra["mean"], torch.tensor([1.0, 2.0]))
    for k, v in r1.model.state_dict().items():
        assert torch.equal(v, r2.model.state_dict()[k])
    assert store_env.keys() == [r1.key]
    ckpt = store.decode(store_env.raw(r1.key))  # plain data only, weights_only=True
    assert set(ckpt) >= {"state_dict", "config", "history", "format"}
    assert not list(store_env.cache.rglob("*.tmp"))  # no temporary file is left


def test_each_host_reads_through_its_cache_folder(store_env, tmp_path, monkeypatch):
    counter = tmp_path / "calls"
    key = get_or_train(TinyConfig(), train_tiny, build, str(counter)).key
    if store_env.kind == "folder":  # the first host's folder becomes a shared folder store
        monkeypatch.setenv("ANNLAB_STORE", str(store_env.cache))
    other_host = tmp_path / "other-host-cache"
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(other_host))
    assert get_or_train(TinyConfig(), train_tiny, build, str(counter)).from_cache and _calls(counter) == 1
    assert (other_host / store.entry_name(key)).exists()  # fetched once, then read locally


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_entry_is_discarded_and_retrained(store_env, tmp_path, damage):
    counter = tmp_path / "calls"
    key = get_or_train(TinyConfig(), train_tiny, build, str(counter)).key
    raw = store_env.raw(key)
    store_env.overwrite(
        key, {"truncate": raw[: len(raw) // 2], "garbage": b"not a checkpoint", "empty": b""}[damage]
    )
    with pytest.warns(StoreWarning, match="could not be read"):
        r = get_or_train(TinyConfig(), train_tiny, build, str(counter))
    assert _calls(counter) == 2 and not r.from_cache
    assert get_or_train(TinyConfig(), train_tiny, build, str(counter)).from_cache


def test_a_damaged_cache_copy_is_fetched_again(store_env, tmp_path):
    if store_env.kind == "folder":
        pytest.skip("a folder store is its own cache")
    counter = tmp_path / "calls"
    key = get_or_train(TinyConfig(), train_tiny, build, str(counter)).key
    store.current().get(key)  # now in this host's cache
    (store_env.cache / store.entry_name(key)).write_bytes(b"broken copy")
    assert get_or_train(TinyConfig(), train_tiny, build, str(counter)).from_cache and _calls(counter) == 1


def test_writes_are_create_only_and_the_first_writer_wins(store_env):
    s = store.current()
    results = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(s.create("k-race", b"writer %d" % i)))
        for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    assert s.get("k-race").startswith(b"writer ") and s.keys() == ["k-race"]
    assert not s.create("k-race", b"later")
    assert s.get("k-race") != b"later"


def test_the_loser_of_a_race_loads_the_winners_entry(store_env, tmp_path):
    """Two hosts train one setting at once (no lock between them): both end with the first entry."""
    winner = build(TinyConfig())
    key = model_key(TinyConfig())
    orig_create = store.Store.create

    def create_after_a_rival(self, k, data):  # a rival writes between this host's training and its write
        rival = TrainResult(winner, [{"epoch": 1, "loss": 0.25}], TinyConfig())
        orig_create(self, k, store.encode(store._payload(rival)))
        return orig_create(self, k, data)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store.Store, "create", create_after_a_rival)
        r = get_or_train(TinyConfig(), train_tiny, build, str(tmp_path / "calls"))
    assert r.key == key and r.history == [{"epoch": 1, "loss": 0.25}]
    assert torch.equal(r.model.weight, winner.weight)


def test_lazy_data_is_built_only_when_training(store_env):
    built = []
    get_or_train(TinyConfig(), train_tiny, build, Lazy(lambda: built.append(1)))
    get_or_train(TinyConfig(), train_tiny, build, Lazy(lambda: built.append(1)))
    assert built == [1]


def test_threads_asking_at_once_train_once(store_env, tmp_path):
    counter = tmp_path / "calls"
    cfg = TinyConfig(slow_s=0.3)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(get_or_train(cfg, train_tiny, build, str(counter))))
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
sys.path.insert(0, sys.argv[2])
from test_store import TinyConfig, build, train_tiny
from annlab.store import get_or_train
get_or_train(TinyConfig(slow_s=1.0), train_tiny, build, sys.argv[1])
"""


def test_processes_on_one_host_asking_at_once_train_once(store_env, tmp_path):
    counter = tmp_path / "calls"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(counter), str(Path(__file__).parent)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    assert _calls(counter) == 1
    assert len(store_env.keys()) == 1


def test_a_store_that_cannot_be_written_says_so(store_env, tmp_path, monkeypatch):
    if store_env.kind == "folder":
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("a file where the store folder should be")
        monkeypatch.setenv("ANNLAB_STORE", str(blocked))
    else:  # readable, but writes are denied (a read-only access key)
        from botocore.exceptions import ClientError

        def denied(**kw):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")

        monkeypatch.setattr(store.current().backend.client, "put_object", denied)
    with pytest.raises(StoreUnwritable, match="cannot be written|refused a write: AccessDenied"):
        get_or_train(TinyConfig(), train_tiny, build, str(tmp_path / "calls"))


def test_an_unreachable_store_says_so(store_env, monkeypatch):
    if store_env.kind == "folder":
        pytest.skip("a local folder is always reachable")
    monkeypatch.setenv("ANNLAB_STORE", "s3://no-such-bucket/x")
    with pytest.raises(store.StoreUnreadable, match="cannot be read: NoSuchBucket"):
        get_or_train(TinyConfig(), train_tiny, build, None)
