"""The page's three digit sets: models fit on the train split less a validation share, are monitored
on that validation share, and are scored only on the held-out test digits.

The test digits are the shared ones of :func:`annlab.data.digit_split` (MNIST-5k: 1,000); the validation
digits are carved, stratified and seeded, from its train split (MNIST-5k: 400 of 4,000), so no
per-epoch curve and no setting is ever judged on a test digit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from annlab.data import digit_split, split

VAL_SHARE = 0.1  # of the train split
N_SHOW = 10  # validation digits whose reconstructions training keeps after every epoch


@dataclass(frozen=True)
class Splits:
    """Fit / validation / test digits of one data set (arrays of shape (n, side*side), labels (n,))."""

    X_fit: np.ndarray
    y_fit: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    side: int

    @property
    def show(self) -> np.ndarray:
        """The validation digits shown at chosen epochs: (N_SHOW, side*side)."""
        return self.X_val[:N_SHOW]


@functools.lru_cache(maxsize=8)
def splits(dataset: str, seed: int = 0) -> Splits:
    """The fit / validation / test split of ``dataset`` ("mnist" or "digits8") for split seed ``seed``."""
    d = digit_split(dataset, seed=seed)
    X_fit, X_val, y_fit, y_val = split(d.X_train, d.y_train, test_size=VAL_SHARE, seed=seed)
    for a in (X_fit, X_val, y_fit, y_val):
        a.flags.writeable = False
    return Splits(X_fit, y_fit, X_val, y_val, d.X_test, d.y_test, d.side)
