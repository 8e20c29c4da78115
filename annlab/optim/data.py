"""Regression data of the optimizer race: a 1-D sine and the 2-D "personal regression".

The personal regression of the course mixes five nonlinear surfaces with weights given by the five
largest digits of a number the student types (the student number),
``T = (d1 T1 + d2 T2 + d3 T3 + d4 T4 + d5 T5) / (d1 + ... + d5)``, sampled on a grid and split at random
into train / validation / test (60 / 20 / 20 %). Optional Gaussian noise on the targets; its
signal-to-noise ratio is ``10 log10(var(signal) / σ²)`` dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

TASKS = ("1-D sine", "Personal regression (2-D)")
PERSONAL_FUNCTIONS = (
    "sin(πx₁)·cos(πx₂)",
    "exp(−2(x₁² + x₂²))",
    "tanh(3x₁x₂)",
    "x₁² − x₂²",
    "cos(2(x₁ + x₂))·x₂",
)


@dataclass(frozen=True)
class TaskConfig:
    """Which regression data.

    Attributes
    ----------
    task : one of :data:`TASKS`
    noise : standard deviation σ of the Gaussian noise added to every target (train, validation, test)
    number : the digits that weight the personal regression (non-digits are ignored; >= 5 digits)
    n_points : 1-D: number of sample points on [-1, 1] (default 200); 2-D: points per side of the grid
        on [-1, 1]² (default 30, i.e. 900 points)
    n_train : keep only this many of the training points (a random subset; 0: all of them); the
        validation and test points stay the same (fewer training points overfit sooner)
    """

    task: str = "1-D sine"
    noise: float = 0.1
    number: str = "0123456"
    n_points: int = 0
    n_train: int = 0

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"Unknown task {self.task!r}; choose from {TASKS}.")
        if not 0.0 <= self.noise <= 5.0:
            raise ValueError(f"The noise level must be between 0 and 5, got {self.noise}.")
        if self.n_points and not 10 <= self.n_points <= 5000:
            raise ValueError(f"n_points must be between 10 and 5000, got {self.n_points}.")
        if self.n_train and not 2 <= self.n_train <= int(
            0.6 * self.points ** (1 if self.task == TASKS[0] else 2)
        ):
            raise ValueError(
                f"n_train must be 0 (all) or between 2 and the training split's size, got {self.n_train}."
            )
        if self.task == TASKS[1]:
            personal_digits(self.number)  # raises a readable ValueError

    @property
    def points(self) -> int:
        return self.n_points or (200 if self.task == TASKS[0] else 30)


def personal_digits(number: str) -> tuple[int, ...]:
    """The five largest digits of ``number`` in descending order (d1 >= d2 >= ... >= d5)."""
    digits = [int(c) for c in str(number) if c.isdigit()]
    if len(digits) < 5:
        raise ValueError(
            f"Type a number with at least 5 digits (got {len(digits)}): the personal target "
            "mixes five functions, one digit each."
        )
    top = tuple(sorted(digits, reverse=True)[:5])
    if sum(top) == 0:
        raise ValueError("The number's digits are all 0, so every weight is 0: type another number.")
    return top


def personal_target(X: np.ndarray, digits) -> np.ndarray:
    """``(d1 T1 + ... + d5 T5) / (d1 + ... + d5)`` at points ``X`` of shape (n, 2); returns (n,)."""
    x1, x2 = X[:, 0], X[:, 1]
    T = np.stack(
        [
            np.sin(np.pi * x1) * np.cos(np.pi * x2),
            np.exp(-2 * (x1**2 + x2**2)),
            np.tanh(3 * x1 * x2),
            x1**2 - x2**2,
            np.cos(2 * (x1 + x2)) * x2,
        ]
    )  # (5, n)
    d = np.asarray(digits, float)
    return (d @ T) / d.sum()


@dataclass
class RegressionData:
    """Train / validation / test arrays (float32; X of shape (n, d), y of shape (n,)) and the truth.

    ``X_grid`` (m, d) with ``y_true`` (m,) the noise-free target on the full grid, for the fit plot;
    ``grid_shape`` is (m,) in 1-D or (side, side) in 2-D; ``y_true_val`` the noise-free target at the
    validation points (the noise floor on them is ``mean((y_val − y_true_val)²)``).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_grid: np.ndarray
    y_true: np.ndarray
    grid_shape: tuple[int, ...]
    snr_db: float
    digits: tuple[int, ...] = ()
    y_true_val: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


def mean_mse(data: RegressionData) -> float:
    """The predict-the-mean baseline: the validation MSE of always answering the training targets' mean
    (about the variance of the validation targets). A network below it has learned something."""
    return float(np.mean((data.y_val - float(np.mean(data.y_train))) ** 2))


def snr_db(signal: np.ndarray, noise: float) -> float:
    """Signal-to-noise ratio ``10 log10(var(signal) / σ²)`` in dB (inf without noise)."""
    return math.inf if noise == 0 else float(10 * np.log10(np.var(signal) / noise**2))


def make_data(cfg: TaskConfig, seed: int = 0) -> RegressionData:
    """Sample the task on its grid, add noise and split 60/20/20 at random (both seeded)."""
    rng = np.random.default_rng(seed)
    n = cfg.points
    if cfg.task == TASKS[0]:
        X = np.linspace(-1, 1, n)[:, None]
        y = np.sin(2 * np.pi * X[:, 0])
        digits: tuple[int, ...] = ()
        shape: tuple[int, ...] = (n,)
    else:
        g = np.linspace(-1, 1, n)
        gx, gy = np.meshgrid(g, g)
        X = np.stack([gx.ravel(), gy.ravel()], axis=1)
        digits = personal_digits(cfg.number)
        y = personal_target(X, digits)
        shape = (n, n)
    noisy = y + cfg.noise * rng.standard_normal(y.shape)
    perm = rng.permutation(len(y))
    n_tr, n_va = int(0.6 * len(y)), int(0.2 * len(y))
    parts = np.split(perm, [n_tr, n_tr + n_va])
    if cfg.n_train:
        parts[0] = parts[0][: cfg.n_train]
    f32 = np.float32
    tr, va, te = ((X[i].astype(f32), noisy[i].astype(f32)) for i in parts)
    return RegressionData(
        *tr,
        *va,
        *te,
        X_grid=X.astype(f32),
        y_true=y.astype(f32),
        grid_shape=shape,
        snr_db=snr_db(y, cfg.noise),
        digits=digits,
        y_true_val=y[parts[1]].astype(f32),
    )
