"""A built-in stand-in for WikiArt: ten procedurally painted styles, seeded, with WikiArt's imbalance.

Every style is painted with vectorised numpy (a batch of canvases at once). The training split is
imbalanced (the largest style has :data:`RATIO` = 25 times as many pictures as the smallest, a
geometric series in between), and the test split is stratified: it keeps the training split's style
mix, :data:`TEST_PER_TRAIN` test pictures per training picture of each style. Synthetic pictures are
free, so the test split is larger than the training split: the rarest style still has 64 test
pictures, enough to measure its recall to a few points, while accuracy still weighs each style as
often as it occurs. Styles are painted in pairs that look alike on purpose (:data:`TWINS`), and every
picture of a paired style is blended with a picture of its twin (a share drawn uniformly up to the
level's ``mix``), so the pairs overlap: a network that leans on the large style of a pair loses the
rare one's pictures.

How hard the set is: the rule, written down before any result of it was seen
---------------------------------------------------------------------------
Seed report 000 trained on real WikiArt, where the style CNN reached 5.8-8.4 % accuracy and treating
the imbalance was the assignment; it reports no imbalance ratio and no balanced accuracy, so there
is no figure of it to match. The rule therefore takes its target from the phenomenon the lesson
needs (issue 34): accuracy that hides rare styles the network does not find.

1. The ratio stays 25 : 1 (as before this rule; not a tuning knob).
2. Each of the three rarest styles overlaps a larger style it resembles: Pointillism with
   Impressionism and Minimalism with Colour Field (as before), and Action painting, until now the only
   rare style without a twin, with Op Art (both high-contrast marks on a plain ground). Cubism and
   Neoplasticism stay paired.
3. Difficulty climbs a fixed ladder, :data:`LEVELS`: blending share ``mix`` and canvas grain ``noise``
   rise together. The level used is the first (easiest) one at which the untreated network with the
   page's CNN defaults as they stood (Adam, lr 3e-3, channels 16-32-64, patience 6), trained with
   seeds 0, 1, 2 on a *calibration* set painted with its own seed (:data:`CALIBRATION_SEED`, never
   the page's pictures), has on that set's own stratified held-out pictures, mean over the 3 seeds,
   (a) the three rarest styles' mean recall at most 40 % and (b) accuracy at least 10 points above
   balanced accuracy. No remedy is trained while the level is chosen; the page's test pictures are
   not looked at. If no level meets both, the hardest level is used and this is said.
   ``bench/wikiart_select.py`` runs the ladder, prints its table and records the level in
   ``annlab/wikiart/selection.json``; a test checks :data:`LEVEL` equals it.
"""

from __future__ import annotations

import numpy as np

# Largest to smallest, as in WikiArt where Impressionism is the biggest style and Action painting
# one of the smallest.
STYLES = (
    "Impressionism",
    "Romanticism",
    "Cubism",
    "Color Field",
    "Op Art",
    "Orphism",
    "Neoplasticism",
    "Pointillism",
    "Minimalism",
    "Action painting",
)
LARGEST, RATIO = 400, 25.0
TEST_PER_TRAIN = 4  # test pictures per style: this many per training picture of the style (stratified)
TWINS = {  # styles painted alike on purpose, both ways
    "Impressionism": "Pointillism",
    "Pointillism": "Impressionism",
    "Color Field": "Minimalism",
    "Minimalism": "Color Field",
    "Cubism": "Neoplasticism",
    "Neoplasticism": "Cubism",
    "Op Art": "Action painting",
    "Action painting": "Op Art",
}
# The difficulty ladder of the rule above: (mix, noise) per level, easiest first. Level 0 is the set
# as it was before the rule (mix 0.45, grain 0.04).
LEVELS = ((0.45, 0.04), (0.6, 0.06), (0.75, 0.08), (0.9, 0.10))
LEVEL = 1  # the level the rule chose (bench/wikiart_select.py; annlab/wikiart/selection.json)
CALIBRATION_SEED = 1000  # the painting seed of the set the level is chosen on (never the page's)
MIX, NOISE = LEVELS[LEVEL]  # a paired style's picture is blended with up to MIX of a twin's picture


def class_counts(n_styles: int = len(STYLES), largest: int = LARGEST, ratio: float = RATIO) -> np.ndarray:
    """Training images per style: a geometric series from ``largest`` down to ``largest / ratio``."""
    k = np.arange(n_styles)
    return np.round(largest * ratio ** (-k / max(n_styles - 1, 1))).astype(int)


def _grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side  # (side, side) in [0, 1)
    return y, x


def _rand_colors(rng, n, base, spread):
    base = np.asarray(base, np.float32)
    idx = rng.integers(0, len(base), size=n)
    return np.clip(base[idx] + rng.normal(0, spread, size=(*np.shape(idx), 3)), 0, 1).astype(np.float32)


def _dabs(rng, n, side, *, count, palette, bg, radius, elong, spread=0.08, angle=None):
    """Paint ``count`` elliptic dabs per canvas (later dabs cover earlier ones).

    Each dab is evaluated only in the small window of pixels it can reach, for all canvases at once.
    """
    img = np.empty((n, side, side, 3), np.float32)
    img[:] = _rand_colors(rng, n, bg, 0.05)[:, None, None, :]
    theta0 = rng.uniform(0, np.pi, size=n) if angle is None else np.full(n, angle)
    reach = int(np.ceil(radius * 1.3 * max(elong, 1.0) * side)) + 1
    off = np.arange(-reach, reach + 1)
    canvas = np.arange(n)[:, None, None]
    for _ in range(count):
        cy, cx = rng.uniform(-0.05, 1.05, size=(2, n, 1, 1))
        th = (theta0 + rng.normal(0, 0.35, size=n))[:, None, None]
        r = radius * rng.uniform(0.7, 1.3, size=(n, 1, 1))
        col = _rand_colors(rng, n, palette, spread)  # (n, 3)
        rows = np.floor(cy * side).astype(int) + off[None, :, None]  # (n, w, 1)
        cols = np.floor(cx * side).astype(int) + off[None, None, :]  # (n, 1, w)
        dy, dx = rows / side - cy, cols / side - cx  # (n, w, w) after broadcasting
        u = dx * np.cos(th) + dy * np.sin(th)
        v = -dx * np.sin(th) + dy * np.cos(th)
        inside = (u / (r * elong)) ** 2 + (v / r) ** 2 <= 1.0
        inside &= (rows >= 0) & (rows < side) & (cols >= 0) & (cols < side)
        k, i, j = np.nonzero(inside)
        img[k, rows[k, i, 0], cols[k, 0, j]] = col[canvas[k, 0, 0]]
    return img


def _impressionism(rng, n, side):
    pal = [(0.55, 0.7, 0.9), (0.95, 0.85, 0.55), (0.6, 0.8, 0.55), (0.95, 0.7, 0.75), (0.8, 0.85, 0.95)]
    return _dabs(
        rng, n, side, count=70, palette=pal, bg=[(0.7, 0.75, 0.8)], radius=0.045, elong=3.0, spread=0.1
    )


def _pointillism(rng, n, side):
    pal = [(0.55, 0.7, 0.9), (0.95, 0.85, 0.55), (0.6, 0.8, 0.55), (0.95, 0.7, 0.75), (0.9, 0.5, 0.3)]
    return _dabs(
        rng, n, side, count=90, palette=pal, bg=[(0.85, 0.85, 0.8)], radius=0.045, elong=1.0, spread=0.1
    )


def _bands(rng, n, side, n_bands, palette, spread, soft):
    y, _ = _grid(side)
    img = np.empty((n, side, side, 3), np.float32)
    edges = np.sort(rng.uniform(0.15, 0.85, size=(n, n_bands - 1)), axis=1)
    cols = _rand_colors(rng, (n, n_bands), palette, spread)  # (n, n_bands, 3)
    img[:] = cols[:, 0, None, None, :]
    for b in range(1, n_bands):
        w = 1 / (1 + np.exp(-(y[None] - edges[:, b - 1, None, None]) / soft))  # (n, side, side)
        img = img * (1 - w[..., None]) + cols[:, b, None, None, :] * w[..., None]
    return img


def _color_field(rng, n, side):
    pal = [(0.7, 0.15, 0.15), (0.9, 0.45, 0.1), (0.3, 0.1, 0.35), (0.15, 0.2, 0.5), (0.85, 0.7, 0.2)]
    img = _bands(rng, n, side, int(rng.integers(2, 4)), pal, 0.12, 0.02)
    # Rothko's blurred margin: a darker frame
    y, x = _grid(side)
    margin = np.minimum(np.minimum(x, 1 - x), np.minimum(y, 1 - y))
    return img * (0.75 + 0.25 * np.clip(margin / 0.1, 0, 1))[None, ..., None]


def _minimalism(rng, n, side):
    pal = [(0.9, 0.9, 0.88), (0.75, 0.2, 0.2), (0.15, 0.2, 0.45), (0.85, 0.7, 0.2), (0.2, 0.2, 0.2)]
    img = np.empty((n, side, side, 3), np.float32)
    img[:] = _rand_colors(rng, n, pal, 0.1)[:, None, None, :]
    y, x = _grid(side)
    # one thin line (Newman's "zip"), vertical or horizontal
    pos = rng.uniform(0.2, 0.8, size=(n, 1, 1))
    vertical = rng.random(size=(n, 1, 1)) < 0.7
    coord = np.where(vertical, x[None], y[None])
    line = np.abs(coord - pos) < 0.7 / side
    col = _rand_colors(rng, n, pal, 0.1)[:, None, None, :]
    return np.where(line[..., None], col, img)


def _romanticism(rng, n, side):
    y, x = _grid(side)
    sky_top = _rand_colors(rng, n, [(0.25, 0.35, 0.6), (0.5, 0.3, 0.35)], 0.08)
    sky_low = _rand_colors(rng, n, [(0.95, 0.75, 0.45), (0.85, 0.55, 0.35)], 0.08)
    horizon = rng.uniform(0.5, 0.8, size=(n, 1, 1))
    t = np.clip(y[None] / horizon, 0, 1)[..., None]
    img = sky_top[:, None, None] * (1 - t) + sky_low[:, None, None] * t
    # a dark, hilly land below a wavy horizon
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
    hills = horizon + 0.06 * np.sin(2 * np.pi * x[None] * rng.uniform(1, 3, size=(n, 1, 1)) + phase)
    land = _rand_colors(rng, n, [(0.15, 0.18, 0.1), (0.2, 0.15, 0.1)], 0.04)[:, None, None]
    img = np.where((y[None] > hills)[..., None], land, img)
    # a sun or moon glow
    cy, cx = rng.uniform(0.15, 0.45, size=(n, 1, 1)), rng.uniform(0.1, 0.9, size=(n, 1, 1))
    glow = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.004)[..., None]
    return np.clip(img + 0.6 * glow * (y[None] < hills)[..., None], 0, 1)


def _cubism(rng, n, side, n_seeds=10):
    y, x = _grid(side)
    seeds = rng.uniform(0, 1, size=(n, n_seeds, 2))
    d = (y[None, None] - seeds[..., 0, None, None]) ** 2 + (x[None, None] - seeds[..., 1, None, None]) ** 2
    order = np.sort(d, axis=1)
    cell = np.argmin(d, axis=1)  # (n, side, side)
    pal = [(0.55, 0.45, 0.3), (0.7, 0.6, 0.4), (0.4, 0.38, 0.35), (0.6, 0.55, 0.5), (0.3, 0.25, 0.2)]
    cols = _rand_colors(rng, (n, n_seeds), pal, 0.06)  # (n, n_seeds, 3)
    img = np.take_along_axis(cols, cell.reshape(n, -1, 1), axis=1).reshape(n, side, side, 3)
    # shading inside each facet and dark edges between facets
    grad = rng.normal(0, 0.6, size=(n, n_seeds, 2))
    g = np.take_along_axis(grad, cell.reshape(n, -1, 1), axis=1).reshape(n, side, side, 2)
    img = img * (1 + 0.3 * (g[..., 0] * (y - 0.5) + g[..., 1] * (x - 0.5)))[..., None]
    edge = np.sqrt(order[:, 1]) - np.sqrt(order[:, 0]) < 1.2 / side
    return np.where(edge[..., None], 0.12, img)


def _neoplasticism(rng, n, side):
    y, x = _grid(side)
    img = np.empty((n, side, side, 3), np.float32)
    img[:] = _rand_colors(rng, n, [(0.93, 0.92, 0.88)], 0.03)[:, None, None]
    xs = np.sort(rng.uniform(0.1, 0.9, size=(n, 3)), axis=1)
    ys = np.sort(rng.uniform(0.1, 0.9, size=(n, 3)), axis=1)
    # fill two rectangles between grid lines with primaries
    for _ in range(2):
        i, j = rng.integers(0, 2, size=(2, n))
        x0 = np.where(i == 0, 0.0, xs[:, 0])[:, None, None]
        x1 = np.take_along_axis(xs, (i + 1)[:, None], 1)[:, :, None]
        y0 = np.where(j == 0, 0.0, ys[:, 0])[:, None, None]
        y1 = np.take_along_axis(ys, (j + 1)[:, None], 1)[:, :, None]
        box = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
        col = _rand_colors(rng, n, [(0.85, 0.1, 0.1), (0.1, 0.2, 0.7), (0.95, 0.8, 0.1)], 0.04)
        img = np.where(box[..., None], col[:, None, None], img)
    lw = 0.9 / side
    lines = (np.abs(x[None, None] - xs[..., None, None]) < lw).any(1)
    lines |= (np.abs(y[None, None] - ys[..., None, None]) < lw).any(1)
    return np.where(lines[..., None], 0.05, img)


def _op_art(rng, n, side):
    y, x = _grid(side)
    th = rng.uniform(0, np.pi, size=(n, 1, 1))
    freq = rng.uniform(4, 7, size=(n, 1, 1))
    warp = rng.uniform(0.5, 2.0, size=(n, 1, 1))
    u = x * np.cos(th) + y * np.sin(th)
    v = -x * np.sin(th) + y * np.cos(th)
    s = np.sin(2 * np.pi * freq * u + warp * np.sin(2 * np.pi * 1.5 * v))
    dark = _rand_colors(rng, n, [(0.05, 0.05, 0.05), (0.1, 0.1, 0.4)], 0.03)[:, None, None]
    light = _rand_colors(rng, n, [(0.95, 0.95, 0.95)], 0.03)[:, None, None]
    return np.where((s > 0)[..., None], light, dark)


def _orphism(rng, n, side):
    y, x = _grid(side)
    pal = np.array(
        [
            (0.9, 0.2, 0.2),
            (0.95, 0.75, 0.1),
            (0.2, 0.45, 0.85),
            (0.2, 0.65, 0.4),
            (0.95, 0.55, 0.2),
            (0.6, 0.3, 0.7),
        ],
        np.float32,
    )
    cy, cx = rng.uniform(0.2, 0.8, size=(2, n, 1, 1))
    r = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
    ang = np.arctan2(y - cy, x - cx)
    ring = np.floor(r * rng.uniform(6, 10, size=(n, 1, 1))).astype(int)
    quadrant = (np.floor((ang + np.pi) / (np.pi / 2)).astype(int)) % 4
    offset = rng.integers(0, len(pal), size=(n, 1, 1))
    return pal[(ring + quadrant + offset) % len(pal)]


def _action_painting(rng, n, side):
    img = np.empty((n, side, side, 3), np.float32)
    img[:] = _rand_colors(rng, n, [(0.8, 0.75, 0.65), (0.6, 0.6, 0.58)], 0.05)[:, None, None]
    pal = np.array([(0.05, 0.05, 0.05), (0.97, 0.97, 0.95), (0.75, 0.15, 0.1), (0.9, 0.75, 0.2)], np.float32)
    n_walks, steps = 6, 4 * side
    flat = img.reshape(n, -1, 3)
    for _ in range(n_walks):
        start = rng.uniform(0, side, size=(n, 1, 2))
        vel = rng.normal(0, 1, size=(n, steps, 2)).cumsum(1) * 0.15
        path = start + np.cumsum(vel + rng.normal(0, 0.6, size=(n, steps, 2)), axis=1)
        path = np.mod(path, side).astype(int)  # wrap around the canvas
        col = pal[rng.integers(0, len(pal), size=n)]  # (n, 3)
        pix = path[..., 0] * side + path[..., 1]  # (n, steps)
        rows = np.repeat(np.arange(n), steps)
        flat[rows, pix.ravel()] = np.repeat(col, steps, axis=0)
    # splatter
    k = side * side // 30
    pix = rng.integers(0, side * side, size=(n, k))
    col = pal[rng.integers(0, len(pal), size=(n, k))]
    flat[np.repeat(np.arange(n), k), pix.ravel()] = col.reshape(-1, 3)
    return img


PAINTERS = {
    "Impressionism": _impressionism,
    "Romanticism": _romanticism,
    "Cubism": _cubism,
    "Color Field": _color_field,
    "Op Art": _op_art,
    "Orphism": _orphism,
    "Neoplasticism": _neoplasticism,
    "Pointillism": _pointillism,
    "Minimalism": _minimalism,
    "Action painting": _action_painting,
}


def paint(
    style: str, n: int, side: int = 32, *, seed: int = 0, noise: float = NOISE, mix: float = MIX
) -> np.ndarray:
    """Paint ``n`` pictures in one style.

    Parameters
    ----------
    style : one of :data:`STYLES`
    n : number of pictures
    side : image side in pixels (>= 16)
    seed : int, the pictures are a deterministic function of (style, n, side, seed)
    noise : standard deviation of the canvas grain added to every pixel
    mix : for a style with a twin (:data:`TWINS`), each picture is ``(1 - m) own + m twin`` with
        ``m`` uniform in [0, ``mix``] per picture (0: no blending)

    Returns
    -------
    ndarray of shape (n, side, side, 3), uint8
    """
    if style not in PAINTERS:
        raise ValueError(f"Unknown style {style!r}; choose one of {', '.join(STYLES)}.")
    if side < 16:
        raise ValueError("The painted styles need at least 16 x 16 pixels.")
    rng = np.random.default_rng([int(seed), STYLES.index(style), side])
    if n == 0:
        return np.zeros((0, side, side, 3), np.uint8)
    img = PAINTERS[style](rng, n, side).astype(np.float32)
    if mix > 0 and style in TWINS:
        twin_rng = np.random.default_rng([int(seed), STYLES.index(style), side, 1])
        twin = PAINTERS[TWINS[style]](twin_rng, n, side).astype(np.float32)
        m = twin_rng.uniform(0.0, mix, size=(n, 1, 1, 1)).astype(np.float32)
        img = (1 - m) * img + m * twin
    # every canvas: a slight colour cast, brightness change and grain
    img = img * rng.uniform(0.85, 1.1, size=(n, 1, 1, 3)) + rng.normal(0, noise, size=img.shape)
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def synthetic_arrays(
    side: int = 32,
    *,
    seed: int = 0,
    largest: int = LARGEST,
    ratio: float = RATIO,
    mix: float | None = None,
    noise: float | None = None,
    level: int | None = None,
):
    """Paint the whole built-in set at difficulty ``level`` (default :data:`LEVEL`); ``mix`` and
    ``noise`` override the level's (how far paired styles are blended and the canvas grain, see
    :func:`paint`).

    Returns
    -------
    X_train : ndarray (n_train, side, side, 3) uint8
    y_train : ndarray (n_train,) int64
    X_test : ndarray (n_test, side, side, 3) uint8
    y_test : ndarray (n_test,) int64
    classes : list of str, the style names (index = label)
    """
    lv_mix, lv_noise = LEVELS[LEVEL if level is None else level]
    mix = lv_mix if mix is None else mix
    noise = lv_noise if noise is None else noise
    counts = class_counts(len(STYLES), largest, ratio)
    xs_tr, ys_tr, xs_te, ys_te = [], [], [], []
    for label, (style, n_tr) in enumerate(zip(STYLES, counts, strict=True)):
        n_te = max(1, int(round(TEST_PER_TRAIN * n_tr)))  # stratified: the training mix
        imgs = paint(style, int(n_tr) + n_te, side, seed=seed, mix=mix, noise=noise)
        xs_tr.append(imgs[:n_tr])
        xs_te.append(imgs[n_tr:])
        ys_tr.append(np.full(n_tr, label, np.int64))
        ys_te.append(np.full(n_te, label, np.int64))
    return (
        np.concatenate(xs_tr),
        np.concatenate(ys_tr),
        np.concatenate(xs_te),
        np.concatenate(ys_te),
        list(STYLES),
    )
