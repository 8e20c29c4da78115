"""WikiArt from a local folder (robust reading, disk cache) or the built-in painted set.

The folder is named by the environment variable ``ANNLAB_WIKIART_DIR`` on the server, never typed into
a browser. Two layouts are understood:

- ``<dir>/train/<Style>/*`` and ``<dir>/test/<Style>/*`` (the course layout), or
- ``<dir>/<Style>/*``, split per style into train and test with a seeded stratified split.

Every readable picture becomes an RGB ``side x side`` uint8 array: grayscale, 16-bit, CMYK and palette
images are converted, transparency is laid on white, and the picture is centre-cropped to a square and
resized. Zero-byte, truncated or damaged files and files that are not images are skipped and counted.
The preprocessed arrays are cached on disk (``<cache_dir>/wikiart/``) under a key made of the folder,
its file list (name, size, modification time) and the options, written atomically and read with
``torch.load(weights_only=True)``; a corrupt cache file is rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from annlab.settings import cache_dir
from annlab.store import atomic_save
from annlab.wikiart import synthetic

CACHE_FORMAT = 1
SIDES = (32, 48, 64, 96, 128)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES >> 20
MAX_PIXELS = 40_000_000
DEFAULT_MAX_PER_CLASS = 1000  # pictures read per style and split by default (None: all)
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


class ArtDataError(ValueError):
    """The WikiArt folder cannot be used; the message is meant for the user."""


class ImageError(ValueError):
    """One picture cannot be read; the message is meant for the user."""


@dataclass(frozen=True)
class ArtSet:
    """Pictures with style labels, split into train and test.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n, side, side, 3), uint8 RGB (read-only)
    y_train, y_test : ndarray of shape (n,), int64 in 0..len(classes)-1 (read-only)
    classes : tuple of str, style names (index = label)
    side : int, image side in pixels
    source : str, where the pictures come from, in words
    key : str, names this data for the model store (changes when the files change)
    synthetic : bool, True for the built-in painted set
    skipped : tuple of (file, reason) pairs that could not be read
    warning : str or None, something the user should know (e.g. a dropped style)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    side: int
    source: str
    key: str
    synthetic: bool = False
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    warning: str | None = None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def counts(self, split: str = "train") -> np.ndarray:
        """Pictures per style in the ``"train"`` or ``"test"`` split, shape (n_classes,)."""
        y = self.y_train if split == "train" else self.y_test
        return np.bincount(y, minlength=self.n_classes)


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False


# --------------------------------------------------------------------------- reading one picture
def to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL image as RGB: transparency on white, 16-bit / float scaled, CMYK and palette converted."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = np.zeros_like(arr) if hi <= lo else (arr - lo) / (hi - lo) * 255
        img = Image.fromarray(arr.astype(np.uint8), "L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return img.convert("RGB")


def read_image(source, side: int) -> np.ndarray:
    """Read one picture as a centre-cropped, resized RGB array.

    Parameters
    ----------
    source : path, bytes or a binary file object
    side : output side in pixels

    Returns
    -------
    ndarray of shape (side, side, 3), uint8

    Raises
    ------
    ImageError with a sentence for the user (empty, not an image, damaged, too many pixels).
    """
    if isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ImageError("The file is empty (0 bytes).")
        source = io.BytesIO(source)
    elif isinstance(source, (str, Path)) and os.path.getsize(source) == 0:
        raise ImageError("The file is empty (0 bytes).")
    try:
        with Image.open(source) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(
                    f"The picture has {w} x {h} pixels; at most {MAX_PIXELS // 1_000_000} "
                    "million pixels are accepted."
                )
            img.draft("RGB", (2 * side, 2 * side))  # JPEG: decode at a reduced size, much faster
            img.load()
            rgb = to_rgb(img)
    except ImageError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageError("This file is not a picture this lab can read (PNG, JPEG, WebP, ...).") from exc
    except PermissionError as exc:
        raise ImageError("The file cannot be read: permission denied.") from exc
    except Image.DecompressionBombError as exc:
        raise ImageError("The picture is far too large to open safely.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"The picture is damaged or truncated ({exc}).") from exc
    fitted = ImageOps.fit(rgb, (side, side), method=Image.Resampling.BICUBIC)
    return np.asarray(fitted, np.uint8).copy()


def read_upload(data: bytes, side: int, *, max_bytes: int = MAX_UPLOAD_BYTES) -> np.ndarray:
    """An uploaded picture, checked for size first; see :func:`read_image`."""
    if len(data) > max_bytes:
        raise ImageError(
            f"The file is {len(data) / 2**20:.1f} MB; at most {max_bytes / 2**20:.0f} MB are accepted."
        )
    return read_image(bytes(data), side)


# --------------------------------------------------------------------------- folders
def wikiart_dir() -> Path | None:
    """The folder named by ``ANNLAB_WIKIART_DIR``, or None when it is not set."""
    raw = os.environ.get("ANNLAB_WIKIART_DIR", "").strip()
    return Path(raw).expanduser() if raw else None


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _class_dirs(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith(".")}


def list_folder(root: Path) -> tuple[str, dict[str, dict[str, list[Path]]]]:
    """Find the layout and the files: ``("course" | "flat", {split: {style: [files]}})``.

    For the flat layout the only split is ``"all"``.
    """
    root = Path(root)
    if not root.is_dir():
        raise ArtDataError(
            f"The WikiArt folder {root} does not exist or is not a folder. Check "
            "ANNLAB_WIKIART_DIR on the server."
        )
    if (root / "train").is_dir() and (root / "test").is_dir():
        layout = "course"
        splits = {s: {c: _files(d) for c, d in _class_dirs(root / s).items()} for s in ("train", "test")}
    else:
        layout = "flat"
        splits = {"all": {c: _files(d) for c, d in _class_dirs(root).items()}}
    if not any(files for split in splits.values() for files in split.values()):
        raise ArtDataError(
            f"The WikiArt folder {root} has no pictures: expected <dir>/<Style>/<files> or "
            "<dir>/train/<Style>/<files> and <dir>/test/<Style>/<files>."
        )
    return layout, splits


def _fingerprint(root: Path, splits: dict, options: dict) -> str:
    rows = []
    for split, per_class in splits.items():
        for style, files in per_class.items():
            for f in files:
                st = f.stat()
                rows.append([split, style, f.name, st.st_size, st.st_mtime_ns])
    payload = json.dumps(
        {"root": str(root.resolve()), "files": rows, "options": options, "format": CACHE_FORMAT},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _read_many(paths: list[Path], side: int, root: Path):
    """Read pictures in threads; returns (arrays or None per path, [(relative name, reason)])."""

    def one(path):
        try:
            return read_image(path, side), None
        except ImageError as exc:
            return None, str(exc)
        except OSError as exc:  # unreadable file (permissions, vanished)
            return None, f"The file cannot be read ({exc.strerror or exc})."

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(one, paths))
    skipped = [(str(p.relative_to(root)), why) for p, (_, why) in zip(paths, results, strict=True) if why]
    return [arr for arr, _ in results], skipped


def _cache_path(key: str) -> Path:
    folder = cache_dir() / "wikiart"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.pt"


def _load_cache(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("format") != CACHE_FORMAT:
            raise ValueError("old format")
        return payload
    except Exception:  # truncated or corrupt: rebuild
        path.unlink(missing_ok=True)
        return None


def _to_payload(art: ArtSet) -> dict:
    return {
        "format": CACHE_FORMAT,
        "X_train": torch.from_numpy(np.array(art.X_train)),
        "y_train": torch.from_numpy(art.y_train.copy()),
        "X_test": torch.from_numpy(np.array(art.X_test)),
        "y_test": torch.from_numpy(art.y_test.copy()),
        "classes": list(art.classes),
        "side": art.side,
        "source": art.source,
        "key": art.key,
        "synthetic": art.synthetic,
        "skipped": [list(s) for s in art.skipped],
        "warning": art.warning or "",
    }


def _from_payload(p: dict) -> ArtSet:
    arrays = [p[k].numpy() for k in ("X_train", "y_train", "X_test", "y_test")]
    _readonly(*arrays)
    return ArtSet(
        *arrays,
        classes=tuple(p["classes"]),
        side=int(p["side"]),
        source=p["source"],
        key=p["key"],
        synthetic=bool(p["synthetic"]),
        skipped=tuple((a, b) for a, b in p["skipped"]),
        warning=p["warning"] or None,
    )


def _subset(files: list[Path], k: int, seed: int, style: str) -> list[Path]:
    """A seeded random ``k`` of ``files`` in name order (file names sort by artist: the first k would
    be a few artists only)."""
    if len(files) <= k:
        return files
    rng = np.random.default_rng([seed, zlib.crc32(style.encode())])
    return [files[i] for i in sorted(rng.choice(len(files), size=k, replace=False))]


def _stack(arrays, side):
    return np.stack(arrays) if arrays else np.zeros((0, side, side, 3), np.uint8)


def load_folder(
    root,
    side: int = 64,
    *,
    test_size: float = 0.2,
    seed: int = 0,
    max_per_class: int | None = None,
    use_cache: bool = True,
) -> ArtSet:
    """Load a WikiArt folder (either layout), using the disk cache when the files have not changed.

    Parameters
    ----------
    root : path of the folder
    side : image side in pixels
    test_size : test fraction for the flat layout (the course layout keeps its own split)
    seed : seed of the stratified split (flat layout)
    max_per_class : read at most this many files per style and split (None: all), for a quick look
    use_cache : read / write the disk cache

    Raises
    ------
    ArtDataError : no folder, no pictures, or fewer than two styles with at least two pictures
    """
    if side < 8 or side > 512:
        raise ArtDataError("The image side must be between 8 and 512 pixels.")
    if not 0.05 <= test_size <= 0.5:
        raise ArtDataError("The test fraction must be between 0.05 and 0.5.")
    root = Path(root)
    layout, splits = list_folder(root)
    if max_per_class is not None:
        splits = {
            s: {c: _subset(f, max_per_class, seed, c) for c, f in pc.items()} for s, pc in splits.items()
        }
    options = {
        "side": side,
        "test_size": test_size if layout == "flat" else None,
        "seed": seed,
        "max_per_class": max_per_class,
    }
    key = f"wikiart-{_fingerprint(root, splits, options)}"
    path = _cache_path(key)
    if use_cache and (payload := _load_cache(path)) is not None:
        return _from_payload(payload)

    names = sorted({c for pc in splits.values() for c in pc})
    warnings, skipped = [], []
    per: dict[str, dict[str, np.ndarray]] = {}
    for split, per_class in splits.items():
        per[split] = {}
        for style in names:
            arrays, bad = _read_many(per_class.get(style, []), side, root)
            skipped += bad
            per[split][style] = _stack([a for a in arrays if a is not None], side)
    if layout == "course":
        usable = [c for c in names if len(per["train"][c]) >= 2]
    else:
        usable = [c for c in names if len(per["all"][c]) >= 2]
    dropped = [c for c in names if c not in usable]
    if dropped:
        warnings.append(
            "Left out (fewer than two readable training pictures): "
            + ", ".join(f"{c} ({sum(len(per[s][c]) for s in per)})" for c in dropped)
            + "."
        )
    if len(usable) < 2:
        found = ", ".join(f"{c}: {sum(len(per[s][c]) for s in per)}" for c in names) or "none"
        raise ArtDataError(
            "Classification needs at least two styles with two or more readable pictures "
            f"each; this folder has {found}."
        )
    Xtr, ytr, Xte, yte = [], [], [], []
    for label, style in enumerate(usable):
        if layout == "course":
            tr, te = per["train"][style], per["test"][style]
            if len(te) == 0:
                warnings.append(f"{style} has no test pictures, so its recall cannot be measured.")
        else:
            imgs = per["all"][style]
            n_te = min(len(imgs) - 1, max(1, int(round(test_size * len(imgs)))))
            order = np.random.default_rng([seed, label]).permutation(len(imgs))
            te, tr = imgs[order[:n_te]], imgs[order[n_te:]]
        Xtr.append(tr)
        Xte.append(te)
        ytr.append(np.full(len(tr), label, np.int64))
        yte.append(np.full(len(te), label, np.int64))
    if skipped:
        warnings.append(f"{len(skipped)} file(s) could not be read and were skipped.")
    art = ArtSet(
        np.concatenate(Xtr),
        np.concatenate(ytr),
        np.concatenate(Xte),
        np.concatenate(yte),
        classes=tuple(usable),
        side=side,
        source=f"WikiArt folder ({layout} layout)",
        key=key,
        skipped=tuple(skipped),
        warning=" ".join(warnings) or None,
    )
    _readonly(art.X_train, art.y_train, art.X_test, art.y_test)
    if use_cache:
        atomic_save(_to_payload(art), path)
    return art


@functools.lru_cache(maxsize=4)
def synthetic_set(side: int = 32, seed: int = 0) -> ArtSet:
    """The built-in painted set (cached in process and on disk)."""
    key = f"synthetic-v3-L{synthetic.LEVEL}-s{side}-seed{seed}"
    path = _cache_path(key)
    if (payload := _load_cache(path)) is not None:
        return _from_payload(payload)
    Xtr, ytr, Xte, yte, classes = synthetic.synthetic_arrays(side, seed=seed)
    _readonly(Xtr, ytr, Xte, yte)
    art = ArtSet(
        Xtr,
        ytr,
        Xte,
        yte,
        classes=tuple(classes),
        side=side,
        source="built-in painted styles (synthetic, not WikiArt)",
        key=key,
        synthetic=True,
    )
    atomic_save(_to_payload(art), path)
    return art


def load_art(side: int = 32, *, seed: int = 0, max_per_class: int | None = DEFAULT_MAX_PER_CLASS) -> ArtSet:
    """WikiArt when ``ANNLAB_WIKIART_DIR`` is set and usable (at most ``max_per_class`` pictures per
    style and split, a seeded random choice), else the built-in set at 32 px (with a warning saying
    why when the folder could not be used)."""
    root = wikiart_dir()
    if root is None:
        return synthetic_set(side, seed)
    try:
        return load_folder(root, side, seed=seed, max_per_class=max_per_class)
    except ArtDataError as exc:
        art = synthetic_set(32, seed)  # the painted set at its own size: painting 128 px is slow
        return ArtSet(
            art.X_train,
            art.y_train,
            art.X_test,
            art.y_test,
            art.classes,
            art.side,
            art.source,
            art.key,
            True,
            (),
            f"{exc} Showing the built-in painted styles instead.",
        )
