"""A 2-D convolution worked out by hand, window by window, and the output-size rule.

Deep-learning "convolution" is a cross-correlation: the kernel is slid over the (zero-padded) input
without flipping, and each output cell is the sum of the element-wise products of the kernel with the
window under it (what ``torch.nn.functional.conv2d`` computes). Along each axis the output has

    o = floor((i + 2p - d(k - 1) - 1) / s) + 1

cells, for input size i, padding p, dilation d, kernel size k and stride s.

References: Dumoulin & Visin (2016), "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285; Goodfellow, Bengio & Courville (2016), *Deep Learning*, ch. 9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_INPUT = 12  # largest input side the page accepts (it writes every window out)
MAX_KERNEL = 5


class ShapeError(ValueError):
    """A convolution whose output would be empty; the message says why in words."""


def output_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output cells along one axis: floor((i + 2p - d(k - 1) - 1) / s) + 1 (may be <= 0: no output)."""
    if i < 1 or k < 1 or s < 1 or p < 0 or d < 1:
        raise ValueError("Sizes must be positive, padding non-negative, stride and dilation at least 1.")
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def parse_matrix(text: str, *, name: str = "matrix", max_side: int = MAX_INPUT) -> np.ndarray:
    """A matrix typed as rows separated by ``;`` or new lines, numbers by spaces or commas.

    ``"2 5 4 1; 3 1 2 0"`` -> array([[2., 5., 4., 1.], [3., 1., 2., 0.]]).

    Raises
    ------
    ValueError : with a sentence for the user (not a number, ragged rows, empty, too large).
    """
    rows = [r for r in re.split(r"[;\n]", text or "") if r.strip()]
    if not rows:
        raise ValueError(f"The {name} is empty: type rows of numbers separated by ';'.")
    values = []
    for n, row in enumerate(rows, 1):
        cells = [c for c in re.split(r"[,\s]+", row.strip()) if c]
        try:
            values.append([float(c) for c in cells])
        except ValueError:
            bad = next(c for c in cells if not _is_number(c))
            raise ValueError(f"Row {n} of the {name} has {bad!r}, which is not a number.") from None
    widths = {len(r) for r in values}
    if len(widths) != 1:
        raise ValueError(
            f"Every row of the {name} needs the same number of entries; found rows of "
            f"{', '.join(str(len(r)) for r in values)} numbers."
        )
    out = np.array(values, np.float64)
    if max(out.shape) > max_side:
        raise ValueError(
            f"The {name} may be at most {max_side} x {max_side}; it is {out.shape[0]} x {out.shape[1]}."
        )
    if not np.isfinite(out).all():
        raise ValueError(f"The {name} holds a value that is not a finite number.")
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def format_matrix(M: np.ndarray) -> str:
    """The text form :func:`parse_matrix` reads: rows joined by ``"; "``."""
    return "; ".join(" ".join(f"{v:g}" for v in row) for row in np.asarray(M))


def as_nested(M: np.ndarray) -> list:
    """Nested lists, integers where the values are whole (for JSON and display)."""
    return [[int(v) if float(v).is_integer() else float(v) for v in row] for row in np.asarray(M, float)]


def unvisited(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> list[int]:
    """Input indices (0-based, one axis) that no kernel window touches."""
    n = output_size(i, k, s, p, d)
    seen = {r * s + j * d - p for r in range(max(n, 0)) for j in range(k)}
    return [x for x in range(i) if x not in seen]


def _ordinal_list(xs: list[int]) -> str:
    names = [str(x + 1) for x in xs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class SizeRule:
    """The output-size rule with the numbers of one axis filled in.

    Attributes
    ----------
    axis : "rows" or "columns"
    i, k, s, p, d : input size, kernel size, stride, padding, dilation
    out : output size (<= 0 when the dilated kernel does not fit)
    missed : input indices (0-based) no window touches
    """

    axis: str
    i: int
    k: int
    s: int
    p: int
    d: int
    out: int
    missed: tuple[int, ...]

    def latex(self, name: str | None = None) -> str:
        """The rule with its numbers, for ``st.latex`` (``name`` labels the output size, default the axis)."""
        top = self.i + 2 * self.p - self.d * (self.k - 1) - 1
        return (
            rf"o_{{\text{{{name or self.axis}}}}} = "
            r"\left\lfloor \frac{i + 2p - d(k-1) - 1}{s} \right\rfloor + 1"
            rf" = \left\lfloor \frac{{{self.i} + 2\cdot{self.p} - {self.d}\cdot({self.k}-1) - 1}}{{{self.s}}}"
            rf" \right\rfloor + 1 = \left\lfloor \frac{{{top}}}{{{self.s}}} \right\rfloor + 1 = {self.out}"
        )

    @property
    def message(self) -> str | None:
        """A sentence when the windows do not tile this axis (None when every input cell is used)."""
        if self.out < 1:
            span = self.d * (self.k - 1) + 1
            return (
                f"The kernel spans {span} {self.axis} (dilation included) but the padded input has only "
                f"{self.i + 2 * self.p}: there is no output at all. Add padding or use a smaller kernel."
            )
        if not self.missed:
            return None
        what = self.axis if len(self.missed) > 1 else self.axis[:-1]
        tail = list(range(self.missed[0], self.i)) == list(self.missed)
        why = "the last window ends before them" if tail else "the windows jump over them"
        dil = f" and dilation {self.d}" if self.d > 1 else ""
        return (
            f"With stride {self.s}, kernel {self.k}{dil}, the windows do not tile the input: {what} "
            f"{_ordinal_list(list(self.missed))} of the {self.i} input {self.axis} "
            f"{'are' if len(self.missed) > 1 else 'is'} never visited ({why}), so "
            f"{'they' if len(self.missed) > 1 else 'it'} cannot change the output."
        )


def size_rules(
    shape: tuple[int, int], kernel: tuple[int, int], s: int, p: int, d: int
) -> tuple[SizeRule, SizeRule]:
    """The :class:`SizeRule` of the rows and of the columns."""
    return tuple(
        SizeRule(axis, i, k, s, p, d, output_size(i, k, s, p, d), tuple(unvisited(i, k, s, p, d)))
        for axis, i, k in (("rows", shape[0], kernel[0]), ("columns", shape[1], kernel[1]))
    )


@dataclass(frozen=True)
class Window:
    """One kernel position.

    Attributes
    ----------
    index : 0-based position number (row-major over the output)
    out_row, out_col : the output cell it fills
    rows, cols : padded-input indices under the kernel taps, shape (kh,), (kw,)
    patch : the input values under the taps (padding zeros included), shape (kh, kw)
    products : ``patch * kernel``, shape (kh, kw)
    value : sum of the products (+ bias)
    """

    index: int
    out_row: int
    out_col: int
    rows: np.ndarray
    cols: np.ndarray
    patch: np.ndarray
    products: np.ndarray
    value: float


def _num(v: float) -> str:
    v = float(v)
    if v.is_integer():
        return str(int(v)) if v >= 0 else f"({int(v)})"
    return f"{v:.3g}" if v >= 0 else f"({v:.3g})"


@dataclass(frozen=True)
class HandConv:
    """A convolution worked out at every kernel position.

    Attributes
    ----------
    X : the input, shape (h, w); ``padded`` the zero-padded input, shape (h + 2p, w + 2p)
    K : the kernel, shape (kh, kw); s, p, d : stride, padding, dilation
    output : shape (oh, ow), the result (empty when the kernel does not fit)
    windows : one :class:`Window` per output cell, row-major
    rules : the :class:`SizeRule` of rows and columns
    """

    X: np.ndarray
    K: np.ndarray
    s: int
    p: int
    d: int
    padded: np.ndarray
    output: np.ndarray
    windows: tuple[Window, ...]
    rules: tuple[SizeRule, SizeRule]

    @property
    def formulas(self) -> list[str]:
        """The output-size rule as LaTeX: once when rows and columns agree, else once per axis."""
        rows, cols = self.rules
        if (rows.i, rows.k) == (cols.i, cols.k):
            return [rows.latex("rows, columns")]
        return [rows.latex(), cols.latex()]

    def text(self, index: int) -> str:
        """Window ``index``'s element-wise products and their sum, written out with the kernel's values."""
        w = self.windows[index]
        terms = [f"{_num(a)}×{_num(b)}" for a, b in zip(w.patch.ravel(), self.K.ravel(), strict=True)]
        return " + ".join(terms) + f" = {_num(w.value)}"


def hand_conv(X, K, stride: int = 1, padding: int = 0, dilation: int = 1, bias: float = 0.0) -> HandConv:
    """Slide kernel ``K`` over ``X`` position by position (cross-correlation, as in CNNs).

    Parameters
    ----------
    X : array of shape (h, w), the input
    K : array of shape (kh, kw), the kernel
    stride, padding, dilation : as in ``torch.nn.functional.conv2d`` (zeros padded on all sides)
    bias : added to every output cell

    Returns
    -------
    :class:`HandConv` with every window precomputed (a position slider only picks one).
    """
    X, K = np.asarray(X, np.float64), np.asarray(K, np.float64)
    if X.ndim != 2 or K.ndim != 2:
        raise ValueError("The input and the kernel must be matrices.")
    s, p, d = int(stride), int(padding), int(dilation)
    rules = size_rules(X.shape, K.shape, s, p, d)
    padded = np.pad(X, p)
    oh, ow = max(rules[0].out, 0), max(rules[1].out, 0)
    output = np.zeros((oh, ow))
    windows = []
    for r in range(oh):
        for c in range(ow):
            rows = r * s + d * np.arange(K.shape[0])
            cols = c * s + d * np.arange(K.shape[1])
            patch = padded[np.ix_(rows, cols)]
            products = patch * K
            output[r, c] = products.sum() + bias
            windows.append(Window(len(windows), r, c, rows, cols, patch, products, float(output[r, c])))
    return HandConv(X, K, s, p, d, padded, output, tuple(windows), rules)


def conv2d_loops(X, K, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """The same convolution as four plain loops (the textbook definition), shape (oh, ow)."""
    X, K = np.asarray(X, np.float64), np.asarray(K, np.float64)
    padded = np.pad(X, padding)
    oh = output_size(X.shape[0], K.shape[0], stride, padding, dilation)
    ow = output_size(X.shape[1], K.shape[1], stride, padding, dilation)
    out = np.zeros((max(oh, 0), max(ow, 0)))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            total = 0.0
            for a in range(K.shape[0]):
                for b in range(K.shape[1]):
                    total += padded[r * stride + a * dilation, c * stride + b * dilation] * K[a, b]
            out[r, c] = total
    return out


@dataclass(frozen=True)
class MultiChannel:
    """A multi-channel convolution: one kernel per input channel, the channel results summed plus a bias.

    Attributes
    ----------
    X : input, shape (C, h, w); K : kernels, shape (C, kh, kw); bias : float
    per_channel : each channel's own convolution, shape (C, oh, ow)
    output : ``per_channel.sum(0) + bias``, shape (oh, ow)
    steps : for each channel, its :class:`HandConv` (windows precomputed)
    """

    X: np.ndarray
    K: np.ndarray
    bias: float
    per_channel: np.ndarray
    output: np.ndarray
    steps: tuple[HandConv, ...]

    def text(self, index: int) -> str:
        """Output cell ``index`` as the channel sums plus bias: ``"4 + (-2) + 7 + 1 = 10"``."""
        parts = [_num(step.windows[index].value) for step in self.steps]
        return " + ".join(parts) + f" + {_num(self.bias)} = {_num(self.output.ravel()[index])}"


def multi_channel(X, K, bias: float = 0.0, stride: int = 1, padding: int = 0) -> MultiChannel:
    """Convolve a (C, h, w) input with a (C, kh, kw) kernel stack: one output channel of a conv layer."""
    X, K = np.asarray(X, np.float64), np.asarray(K, np.float64)
    if X.ndim != 3 or K.ndim != 3 or len(X) != len(K):
        raise ValueError("Give one kernel per input channel: X (C, h, w) and K (C, kh, kw).")
    steps = tuple(hand_conv(x, k, stride, padding) for x, k in zip(X, K, strict=True))
    per = np.stack([st.output for st in steps])
    return MultiChannel(X, K, float(bias), per, per.sum(0) + bias, steps)


def rgb_example(seed: int = 0, side: int = 5, k: int = 3) -> tuple[np.ndarray, np.ndarray, float]:
    """A small RGB-like example: input (3, side, side) of integers 0..4, kernels (3, k, k) in -1..1,
    bias 1 (seeded, so the same seed gives the same numbers)."""
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 5, (3, side, side)).astype(np.float64),
        rng.integers(-1, 2, (3, k, k)).astype(np.float64),
        1.0,
    )
