"""Data loaders: shapes, dtypes, ranges, offline, read-only, full MNIST from IDX files."""

import gzip
import struct

import numpy as np
import pytest

from annlab import data


def test_mnist5k_shapes_and_range():
    X, y = data.load_mnist5k()
    assert X.shape == (5000, 784) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert np.bincount(y).tolist() == [500] * 10
    with pytest.raises(ValueError):
        X[0, 0] = 1.0  # cached arrays are read-only


def test_mnist_split_is_stratified_and_seeded():
    a, b = data.mnist(seed=0), data.mnist(seed=0)
    assert a.X_train.shape == (4000, 784) and a.X_test.shape == (1000, 784)
    assert np.array_equal(a.y_test, b.y_test)
    assert np.bincount(a.y_test).tolist() == [100] * 10
    c = data.mnist(seed=1)
    assert not np.array_equal(a.y_test, c.y_test)


def test_digits8_and_moons_and_santafe():
    d = data.digits8()
    assert d.X_train.shape[1] == 64 and d.side == 8 and d.X_train.max() <= 1.0
    X, y = data.two_moons(200, noise=0.05, seed=3)
    assert X.shape == (200, 2) and X.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    s = data.load_santafe()
    assert s.ndim == 1 and len(s) > data.SANTAFE_TRAIN + data.SANTAFE_TEST and s.dtype == np.float32


def _write_idx(path, arr, gz=False):
    arr = np.asarray(arr, np.uint8)
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        fh.write(head + arr.tobytes())


def _fake_mnist(folder, gz=False):
    rng = np.random.default_rng(0)
    for part, n in (("train", 30), ("t10k", 10)):
        suffix = ".gz" if gz else ""
        _write_idx(folder / f"{part}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n, 28, 28)), gz)
        _write_idx(folder / f"{part}-labels-idx1-ubyte{suffix}", np.arange(n) % 10, gz)


@pytest.mark.parametrize("gz", [False, True])
def test_full_mnist_from_idx(tmp_path, monkeypatch, gz):
    _fake_mnist(tmp_path, gz)
    data.mnist.cache_clear()
    monkeypatch.setenv("ANNLAB_MNIST_DIR", str(tmp_path))
    d = data.mnist()
    assert d.X_train.shape == (30, 784) and d.X_test.shape == (10, 784) and d.warning is None
    assert d.X_train.dtype == np.float32 and d.X_train.max() <= 1.0
    assert d.y_train.tolist() == [i % 10 for i in range(30)]
    data.mnist.cache_clear()


def test_malformed_mnist_folder_falls_back_with_message(tmp_path, monkeypatch):
    _fake_mnist(tmp_path)
    raw = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw[:-100])  # truncated
    data.mnist.cache_clear()
    monkeypatch.setenv("ANNLAB_MNIST_DIR", str(tmp_path))
    d = data.mnist()
    assert d.X_train.shape == (4000, 784)
    assert "truncated" in d.warning and "MNIST-5k" in d.warning
    monkeypatch.setenv("ANNLAB_MNIST_DIR", str(tmp_path / "missing"))
    data.mnist.cache_clear()
    d = data.mnist()
    assert "not a folder" in d.warning
    data.mnist.cache_clear()


def test_binarize_and_unknown_split():
    assert data.binarize(np.array([0.2, 0.7])).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="Unknown digit data set"):
        data.digit_split("cifar")
