"""Turn a mouse drawing into an MNIST-style digit, and resize digits between data sets.

MNIST's own preprocessing (LeCun et al., 1998): the ink is cropped, scaled to fit a 20x20 box keeping
its aspect ratio (anti-aliased), and placed in a 28x28 frame so that its centre of mass is at the
centre. The 8x8 scikit-learn digits fill their frame instead, so :func:`downsample` crops the 20x20
box before shrinking.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

INK_THRESHOLD = 0.05  # ink below this counts as paper
MIN_INK_PIXELS = 8  # a drawing with fewer inked pixels is reported as empty


class EmptyDrawing(ValueError):
    """The canvas holds no (or almost no) ink."""


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """Ink intensity in [0, 1] from an RGBA (or RGB, or gray) image of any background.

    Parameters
    ----------
    rgba : ndarray of shape (H, W, 4), (H, W, 3) or (H, W), uint8 0..255 or float in [0, 1]

    Returns
    -------
    ink : ndarray of shape (H, W), float32 in [0, 1], 1 where the pen went
    """
    img = np.asarray(rgba, dtype=np.float32)
    if img.size == 0:
        raise EmptyDrawing("The drawing is empty.")
    if img.max(initial=0) > 1.0:
        img = img / 255.0
    if img.ndim == 2:
        return np.clip(img, 0, 1)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"Expected an (H, W, 3|4) image, got shape {img.shape}.")
    alpha = img[..., 3] if img.shape[2] == 4 else np.ones(img.shape[:2], np.float32)
    lum = img[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    if np.median(alpha) < 0.5:  # transparent paper: the ink is where something was painted
        return np.clip(alpha, 0, 1)
    paper = float(np.median(lum))
    scale = max(paper, 1.0 - paper, 1e-6)
    return np.clip(np.abs(lum - paper) / scale * alpha, 0, 1)


def digit_from_canvas(rgba: np.ndarray) -> np.ndarray:
    """MNIST-style 28x28 digit from a drawing.

    Parameters
    ----------
    rgba : ndarray of shape (H, W, 4|3) or (H, W), as returned by the drawing canvas

    Returns
    -------
    digit : ndarray of shape (28, 28), float32 in [0, 1], white ink on black, centred by mass

    Raises
    ------
    EmptyDrawing : nothing (or only a speck) was drawn.
    """
    ink = ink_from_rgba(rgba)
    mask = ink > INK_THRESHOLD
    if mask.sum() < MIN_INK_PIXELS:
        raise EmptyDrawing("The canvas is empty: draw a digit first.")
    rows, cols = np.nonzero(mask)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(
        Image.fromarray(crop.astype(np.float32), mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS),
        np.float32,
    )
    small = np.clip(small, 0, None)
    if small.max() > 0:
        small = small / small.max()
    frame = np.zeros((28 + 2 * 28, 28 + 2 * 28), np.float32)  # wide margin: shifts never wrap
    top, left = 28 + (28 - new_h) // 2, 28 + (28 - new_w) // 2
    frame[top : top + new_h, left : left + new_w] = small
    yy, xx = np.indices(frame.shape)
    total = frame.sum()
    cy, cx = (yy * frame).sum() / total, (xx * frame).sum() / total
    dy, dx = int(round(28 + 14 - cy)), int(round(28 + 14 - cx))
    frame = np.roll(frame, (dy, dx), axis=(0, 1))
    return np.ascontiguousarray(frame[28:56, 28:56])


def downsample(digit28: np.ndarray, side: int) -> np.ndarray:
    """Resize a 28x28 MNIST-style digit to ``side`` x ``side`` (e.g. 8, 14, 16).

    For sides up to 16 the central 20x20 box is cropped first, so the digit fills the frame as the
    scikit-learn 8x8 digits do; larger sides keep MNIST's margin.

    Parameters
    ----------
    digit28 : ndarray of shape (28, 28) or (784,), float in [0, 1]
    side : int, 2..28

    Returns
    -------
    ndarray of shape (side, side), float32 in [0, 1]
    """
    img = np.asarray(digit28, np.float32).reshape(28, 28)
    if not 2 <= side <= 28:
        raise ValueError(f"side must be between 2 and 28, got {side}.")
    if side == 28:
        return img.copy()
    if side <= 16:
        img = img[4:24, 4:24]
    out = np.asarray(Image.fromarray(img, mode="F").resize((side, side), Image.Resampling.BOX), np.float32)
    return np.clip(out, 0.0, 1.0)
