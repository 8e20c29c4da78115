"""The Santa Fe laser split, normalisation with training statistics, lag windows and leak-free folds.

Conventions: a *series* is a 1-D float array indexed by time ``t = 0 .. n-1`` (point 1 of the
competition is ``t = 0``). A *window* ``i`` of lag ``L`` has inputs ``series[i : i + L]`` and target
``series[i + L]``, so window ``i`` uses times ``i .. i + L``.

References: Weigend & Gershenfeld (eds.), "Time Series Prediction: Forecasting the Future and
Understanding the Past", Addison-Wesley 1994 (the Santa Fe competition, data set A);
scikit-learn's ``TimeSeriesSplit`` (folds with ``test_size`` and ``gap``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annlab.data import SANTAFE_TEST, SANTAFE_TRAIN, load_santafe

DATA_KEY = "santafe-1000-100-zscore"  # names the training data of :func:`santafe_split` in the model store


@dataclass(frozen=True)
class SeriesSplit:
    """A training series and its continuation, both normalised with the training statistics.

    Attributes
    ----------
    train : ndarray of shape (n_train,), normalised training part
    test : ndarray of shape (n_test,), normalised continuation (never used for fitting)
    mean, std : float, the training part's mean and standard deviation (original units)
    """

    train: np.ndarray
    test: np.ndarray
    mean: float
    std: float

    def to_original(self, z: np.ndarray) -> np.ndarray:
        """Normalised values back to original units."""
        return np.asarray(z, np.float64) * self.std + self.mean

    @property
    def train_raw(self) -> np.ndarray:
        """Training part in original units, shape (n_train,)."""
        return self.to_original(self.train)

    @property
    def test_raw(self) -> np.ndarray:
        """Continuation in original units, shape (n_test,)."""
        return self.to_original(self.test)


def normalise(train: np.ndarray, test: np.ndarray) -> SeriesSplit:
    """Z-score ``train`` and ``test`` with the mean and standard deviation of ``train`` only.

    Parameters
    ----------
    train : ndarray of shape (n_train,)
    test : ndarray of shape (n_test,)
    """
    train = np.asarray(train, np.float64).ravel()
    test = np.asarray(test, np.float64).ravel()
    if train.size < 2:
        raise ValueError("The training part needs at least two points to be normalised.")
    mean, std = float(train.mean()), float(train.std())
    if std == 0.0:
        raise ValueError("The training part is constant: it cannot be normalised.")
    out_train = ((train - mean) / std).astype(np.float32)
    out_test = ((test - mean) / std).astype(np.float32)
    out_train.flags.writeable = False
    out_test.flags.writeable = False
    return SeriesSplit(out_train, out_test, mean, std)


def santafe_split(n_train: int = SANTAFE_TRAIN, n_test: int = SANTAFE_TEST) -> SeriesSplit:
    """Points 1..n_train for training, the next n_test to predict (default 1..1000 and 1001..1100)."""
    series = load_santafe()
    if n_train < 2 or n_test < 1 or n_train + n_test > series.size:
        raise ValueError(
            f"The Santa Fe series has {series.size} points: cannot take {n_train} for "
            f"training and {n_test} to predict."
        )
    return normalise(series[:n_train], series[n_train : n_train + n_test])


def windows(series: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into (past ``lag`` values -> next value) pairs.

    Parameters
    ----------
    series : ndarray of shape (n,)
    lag : int, number of past values the model sees

    Returns
    -------
    X : ndarray of shape (n - lag, lag), ``X[i] = series[i : i + lag]``
    y : ndarray of shape (n - lag,), ``y[i] = series[i + lag]`` (never inside ``X[i]``)
    """
    series = np.asarray(series, np.float32).ravel()
    lag = int(lag)
    if lag < 1:
        raise ValueError(f"The lag must be at least 1 (got {lag}).")
    if lag >= series.size:
        raise ValueError(
            f"A lag of {lag} is longer than the data: the series has only {series.size} "
            f"points, so there is no window of {lag} past values with a value after it. "
            "Choose a smaller lag."
        )
    X = np.lib.stride_tricks.sliding_window_view(series, lag)[:-1].copy()
    y = series[lag:].copy()
    return X, y


def time_series_folds(
    n_windows: int, *, n_folds: int = 5, val_size: int = 100, gap: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds over window indices, with ``gap`` windows dropped before each validation block.

    As scikit-learn's ``TimeSeriesSplit(n_splits=n_folds, test_size=val_size, gap=gap)``: the last
    ``n_folds * val_size`` windows form the validation blocks; fold ``k`` trains on every window before
    its block minus the ``gap`` windows just before it. With ``gap = lag`` no validation input is a
    training target (windows of lag ``L`` overlap for ``L`` steps).

    Parameters
    ----------
    n_windows : int, number of windows (``len(series) - lag``)
    n_folds, val_size, gap : int

    Returns
    -------
    list of (train_idx, val_idx), ndarrays of window indices, train before validation
    """
    from sklearn.model_selection import TimeSeriesSplit

    if n_folds < 1:
        raise ValueError(f"At least one fold is needed (got {n_folds}).")
    if val_size < 1:
        raise ValueError(f"The validation size must be at least 1 (got {val_size}).")
    if gap < 0:
        raise ValueError(f"The gap cannot be negative (got {gap}).")
    first_train = n_windows - n_folds * val_size - gap
    if first_train < 1:
        raise ValueError(
            f"The folds do not fit: {n_folds} folds of {val_size} validation points plus a gap of {gap} "
            f"need more than {n_folds * val_size + gap} windows, but there are only {n_windows}. "
            "Use fewer folds, a smaller validation size or a smaller lag."
        )
    if n_folds == 1:  # TimeSeriesSplit needs n_splits >= 2
        val = np.arange(n_windows - val_size, n_windows)
        return [(np.arange(0, val[0] - gap), val)]
    splitter = TimeSeriesSplit(n_splits=n_folds, test_size=val_size, gap=gap)
    return [(tr, va) for tr, va in splitter.split(np.zeros((n_windows, 1)))]
