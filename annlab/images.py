"""Small image helpers for showing digits and filters: tiling and nearest-neighbour upscaling."""

from __future__ import annotations

import numpy as np


def to_unit(img: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1] (a constant image becomes 0.5); for weights and filters."""
    img = np.asarray(img, np.float32)
    lo, hi = float(img.min(initial=0)), float(img.max(initial=0))
    if hi - lo < 1e-12:
        return np.full_like(img, 0.5)
    return (img - lo) / (hi - lo)


def tile(
    images: np.ndarray, ncols: int = 10, *, pad: int = 1, pad_value: float = 0.5, normalise_each: bool = False
) -> np.ndarray:
    """Arrange images in a grid.

    Parameters
    ----------
    images : ndarray of shape (n, h, w) or (n, h*w) for square images, or (n, h, w, 3)
    ncols : int, images per row
    pad : int, pixels between images
    normalise_each : bool, min-max scale each image (for filters)

    Returns
    -------
    ndarray of shape (rows*(h+pad)-pad, ncols*(w+pad)-pad[, 3]), float32
    """
    imgs = np.asarray(images, np.float32)
    if imgs.ndim == 2:
        side = int(round(np.sqrt(imgs.shape[1])))
        if side * side != imgs.shape[1]:
            raise ValueError("Flat images must be square.")
        imgs = imgs.reshape(len(imgs), side, side)
    if normalise_each:
        imgs = np.stack([to_unit(im) for im in imgs])
    n = len(imgs)
    if n == 0:
        raise ValueError("No images to tile.")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    h, w = imgs.shape[1:3]
    shape = (nrows * (h + pad) - pad, ncols * (w + pad) - pad) + imgs.shape[3:]
    grid = np.full(shape, pad_value, np.float32)
    for i, im in enumerate(imgs):
        r, c = divmod(i, ncols)
        grid[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = im
    return grid


def upscale(img: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling, so small digits stay crisp on a projector."""
    img = np.asarray(img)
    return np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)
