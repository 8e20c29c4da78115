"""Canvas preprocessing on synthetic strokes: MNIST framing, centring, empty drawings."""

import numpy as np
import pytest

from annlab.images import tile, upscale
from annlab.preprocess import EmptyDrawing, digit_from_canvas, downsample


def _canvas(opaque=True):
    img = np.zeros((280, 280, 4), np.uint8)
    if opaque:
        img[..., 3] = 255
    return img


def test_vertical_stroke_is_scaled_to_20_pixels_and_centred():
    c = _canvas()
    c[20:120, 30:45, :] = 255  # a short bar in the top-left corner
    d = digit_from_canvas(c)
    assert d.shape == (28, 28) and d.dtype == np.float32
    assert 0.0 <= d.min() and d.max() == pytest.approx(1.0)
    rows = np.nonzero(d.sum(1) > 0.05)[0]
    assert 19 <= rows[-1] - rows[0] + 1 <= 21  # longer side fits the 20x20 box
    yy, xx = np.indices(d.shape)
    cy, cx = (yy * d).sum() / d.sum(), (xx * d).sum() / d.sum()
    assert abs(cy - 14) < 1.0 and abs(cx - 14) < 1.0  # centre of mass in the middle


def test_aspect_is_kept():
    c = _canvas()
    c[100:120, 40:240, :] = 255  # a wide horizontal bar (10:1)
    d = digit_from_canvas(c)
    cols = np.nonzero(d.sum(0) > 0.05)[0]
    rows = np.nonzero(d.sum(1) > 0.05)[0]
    assert cols[-1] - cols[0] + 1 >= 19 and rows[-1] - rows[0] + 1 <= 4


def test_transparent_background_and_dark_ink_on_white():
    c = _canvas(opaque=False)
    c[50:200, 100:120, 3] = 255  # only alpha is painted
    assert digit_from_canvas(c).sum() > 10
    white = np.full((100, 100, 3), 255, np.uint8)
    white[20:80, 45:55] = 0  # black ink on white paper
    d = digit_from_canvas(white)
    assert d[14, 14] > 0.5 and d[0, 0] == 0


def test_empty_and_speck_are_reported():
    with pytest.raises(EmptyDrawing):
        digit_from_canvas(_canvas())
    c = _canvas()
    c[10:12, 10:12, :] = 255
    with pytest.raises(EmptyDrawing):
        digit_from_canvas(c)


def test_input_not_modified():
    c = _canvas()
    c[50:200, 100:120, :] = 255
    before = c.copy()
    digit_from_canvas(c)
    assert np.array_equal(c, before)


@pytest.mark.parametrize("side", [8, 14, 16, 20])
def test_downsample_sizes(side):
    c = _canvas()
    c[40:240, 120:160, :] = 255
    small = downsample(digit_from_canvas(c), side)
    assert small.shape == (side, side) and 0 <= small.min() and small.max() <= 1
    assert small.sum() > 0


def test_downsample_rejects_bad_side():
    with pytest.raises(ValueError):
        downsample(np.zeros((28, 28)), 40)


def test_tile_and_upscale():
    grid = tile(np.ones((5, 4, 4)), ncols=3, pad=1)
    assert grid.shape == (2 * 5 - 1, 3 * 5 - 1)
    assert upscale(np.eye(2), 3).shape == (6, 6)
