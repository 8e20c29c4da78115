"""What the Convolutions page computes: plain functions returning arrays and dataclasses (no Streamlit).

Every function takes trained results (:class:`~annlab.training.TrainResult`) and plain values, so the
page caches them with ``ui.call`` and the tests call them directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from annlab import jobs
from annlab.cnn import conv, models, params
from annlab.data import digit_split
from annlab.preprocess import downsample
from annlab.training import TrainResult


def predict_proba(result: TrainResult, X: np.ndarray) -> np.ndarray:
    """Class probabilities of a trained digit classifier.

    Parameters
    ----------
    result : a trained CNN or dense network (``jobs.run(default_spec())``, ``ui.train(spec)``)
    X : ndarray of shape (n, side*side), float in [0, 1] (side 28 for MNIST models)

    Returns
    -------
    ndarray of shape (n, 10), float32, rows summing to 1 (computed under ``torch.no_grad``)
    """
    return models.probabilities(result.model, X)


def hand_positions(X: np.ndarray, K: np.ndarray, stride: int, padding: int, dilation: int) -> conv.HandConv:
    """Every kernel position of the convolution by hand, computed once (a slider then only picks one)."""
    return conv.hand_conv(X, K, stride, padding, dilation)


def rgb_positions(seed: int = 0) -> conv.MultiChannel:
    """The multi-channel example (3 x 5 x 5 input, 3 x 3 x 3 kernel, bias 1), every position computed."""
    X, K, bias = conv.rgb_example(seed)
    return conv.multi_channel(X, K, bias)


def torch_count(cfg: models.CNNConfig | models.DenseConfig) -> int:
    """``sum(p.numel() for p in model.parameters())`` of the torch model built from ``cfg``."""
    return models.n_params(models.build(cfg))


def n_test(dataset: str = "mnist", seed: int = 0) -> int:
    """Number of held-out test digits of ``dataset``."""
    return len(digit_split(dataset, seed=seed).y_test)


# --- test accuracy and baselines --------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """Accuracy on the held-out test digits with its binomial standard error.

    Attributes
    ----------
    name : what was scored; acc : accuracy; se : sqrt(acc (1 - acc) / n); loss : mean cross-entropy
    (NaN when the model gives no probabilities); n : number of test digits; n_params : trainable
    parameters (0 for none)
    """

    name: str
    acc: float
    se: float
    loss: float
    n: int
    n_params: int = 0

    @property
    def text(self) -> str:
        return f"{self.acc:.1%} ± {self.se:.1%}"


def binomial_se(acc: float, n: int) -> float:
    """Standard error of an accuracy measured on ``n`` independent test items."""
    return math.sqrt(max(acc * (1 - acc), 0.0) / max(n, 1))


def score(result: TrainResult, dataset: str = "mnist", seed: int = 0, name: str | None = None) -> Score:
    """Test accuracy and loss of a trained classifier on the held-out digits of ``dataset``."""
    d = digit_split(dataset, seed=seed)
    ev = models.evaluate(result.model, d.X_test, d.y_test)
    label = name or getattr(result.config, "label", "model")
    return Score(
        label,
        ev["acc"],
        binomial_se(ev["acc"], len(d.y_test)),
        ev["loss"],
        len(d.y_test),
        models.n_params(result.model),
    )


def logistic_regression(dataset: str = "mnist", seed: int = 0, n_train: int = 0) -> Score:
    """Multinomial logistic regression (scikit-learn, L2, C = 1) on raw pixels, same split.

    It fits on the networks' fit digits (the training split less its validation digits, see
    :func:`annlab.cnn.defaults.digit_data`); ``n_train`` > 0 fits on the first ``n_train`` of them only
    (fast mode)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    from annlab.cnn.defaults import digit_data

    d, fit = digit_split(dataset, seed=seed), digit_data(dataset, seed)
    X, y = (fit["X"][:n_train], fit["y"][:n_train]) if n_train else (fit["X"], fit["y"])
    clf = LogisticRegression(max_iter=300, random_state=seed).fit(X, y)
    acc = float(clf.score(d.X_test, d.y_test))
    loss = float(log_loss(d.y_test, clf.predict_proba(d.X_test), labels=list(range(10))))
    n_par = clf.coef_.size + clf.intercept_.size
    return Score(
        "logistic regression on pixels", acc, binomial_se(acc, len(d.y_test)), loss, len(d.y_test), n_par
    )


def score_table(scores: list[Score]) -> pd.DataFrame:
    """One row per model: test accuracy, its standard error, test loss, parameters."""
    return pd.DataFrame(
        [
            {
                "model": s.name,
                "test accuracy": s.acc,
                "± (standard error)": s.se,
                "test loss": s.loss,
                "parameters": s.n_params,
            }
            for s in scores
        ]
    )


# --- the optimizer swap -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Race:
    """The same network trained with several optimizers from the same initial weights.

    Attributes
    ----------
    curves : long table, one row per (optimizer, epoch): ``loss``, ``val_loss``, ``val_acc`` (validation
        digits carved from the training split), ``seconds`` (training time so far)
    table : one row per optimizer: learning rate, final validation accuracy, then the test loss and
        accuracy scored once after training (with the accuracy's standard error), training seconds
    """

    curves: pd.DataFrame
    table: pd.DataFrame


def optimizer_race(
    cfg: models.CNNConfig, dataset: str = "mnist", seed: int = 0, device: str = "cpu", callback=None
) -> Race:
    """Train (or load from the store) ``cfg`` with every optimizer of :data:`annlab.cnn.defaults.RACE`,
    all from the same initial weights (:func:`annlab.cnn.defaults.race_specs`).

    ``callback(step, {"fraction", "text"})`` reports progress per optimizer.
    """
    from annlab.cnn.defaults import race_specs

    specs = race_specs(cfg, dataset, seed)
    rows, table = [], []
    for i, (name, spec) in enumerate(specs.items()):
        if callback is not None:
            callback(
                i, {"fraction": i / len(specs), "text": f"Training with {name} ({i + 1}/{len(specs)}) ..."}
            )
        result = jobs.run(spec, device)
        for h in result.history:
            rows.append(
                {
                    "optimizer": name,
                    **{k: h[k] for k in ("epoch", "loss", "val_loss", "val_acc", "seconds") if k in h},
                }
            )
        last = result.history[-1] if result.history else {}
        test_acc, n_test = result.extra.get("test_acc", float("nan")), result.extra.get("n_test", 0)
        table.append(
            {
                "optimizer": name,
                "learning rate": spec.cfg.learning_rate,
                "validation accuracy": last.get("val_acc", float("nan")),
                "test loss (once, after training)": result.extra.get("test_loss", float("nan")),
                "test accuracy (once, after training)": test_acc,
                "± (standard error)": binomial_se(test_acc, n_test),
                "seconds": last.get("seconds", float("nan")),
                "diverged": bool(result.diverged),
            }
        )
    if callback is not None:
        callback(len(specs), {"fraction": 1.0, "text": "done"})
    return Race(pd.DataFrame(rows), pd.DataFrame(table))


# --- what the network sees ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One digit through a trained CNN.

    Attributes
    ----------
    image : the input, shape (side, side)
    filters : first-layer kernels, shape (C1, k, k)
    maps : output of each conv block (after activation and pooling), list of (C_i, H_i, W_i)
    probs : class probabilities, shape (10,)
    receptive : the receptive field table (:func:`annlab.cnn.params.receptive_fields`)
    """

    image: np.ndarray
    filters: np.ndarray
    maps: list[np.ndarray]
    probs: np.ndarray
    receptive: pd.DataFrame


@torch.no_grad()
def what_it_sees(
    result: TrainResult,
    dataset: str = "mnist",
    seed: int = 0,
    index: int = 0,
    drawn: np.ndarray | None = None,
) -> Seen:
    """Filters, feature maps and probabilities for test digit ``index`` or for a drawing.

    ``drawn`` : an (s, s) image in [0, 1] (the shared canvas), resized to the model's side when needed.
    """
    model, cfg = result.model, result.config
    if drawn is not None:
        img = np.asarray(drawn, np.float32)
        img = img if img.shape[0] == cfg.side else downsample(img.reshape(28, 28), cfg.side)
    else:
        d = digit_split(dataset, seed=seed)
        img = d.X_test[int(np.clip(index, 0, len(d.X_test) - 1))].reshape(cfg.side, cfg.side)
    dev = next(model.parameters()).device
    x = torch.tensor(np.ascontiguousarray(img), dtype=torch.float32).reshape(1, -1).to(dev)
    maps = [m[0].cpu().numpy() for m in model.features(x)]
    probs = torch.softmax(model(x), dim=1)[0].cpu().numpy()
    filters = model.blocks[0][0].weight[:, 0].detach().cpu().numpy().copy()
    return Seen(img, filters, maps, probs, params.receptive_fields(cfg))


# --- why convolutions: shifted test digits --------------------------------------------------------------


def shift_images(X: np.ndarray, k: int, side: int) -> np.ndarray:
    """Move flat square images (n, side*side) ``k`` pixels to the right, zero fill; a new array."""
    imgs = np.asarray(X, np.float32).reshape(-1, side, side)
    out = np.zeros_like(imgs)
    k = int(k)
    if k < side:
        out[:, :, k:] = imgs[:, :, : side - k]
    return out.reshape(len(imgs), -1)


@dataclass(frozen=True)
class Shifts:
    """Accuracy of the CNN and the dense network on test digits moved right by 0..max pixels.

    Attributes
    ----------
    curves : long table (shift, model, accuracy)
    examples : for every shift, the first 8 shifted test digits, shape (n_shifts, 8, side, side)
    params : trainable parameters per model name
    """

    curves: pd.DataFrame
    examples: np.ndarray
    params: dict[str, int]

    def at(self, k: int) -> dict[str, float]:
        """Model -> accuracy at shift ``k``."""
        rows = self.curves[self.curves["shift"] == k]
        return dict(zip(rows["model"], rows["accuracy"], strict=True))


def shift_sweep(
    cnn: TrainResult, dense: TrainResult, dataset: str = "mnist", seed: int = 0, max_shift: int = 6
) -> Shifts:
    """Evaluate both networks on the test digits shifted by every k in 0..``max_shift`` (once; a slider
    then only picks a shift)."""
    d = digit_split(dataset, seed=seed)
    rows, examples = [], []
    for k in range(max_shift + 1):
        Xk = shift_images(d.X_test, k, d.side)
        examples.append(Xk[:8].reshape(8, d.side, d.side))
        for name, res in (("CNN", cnn), ("dense network", dense)):
            rows.append(
                {"shift": k, "model": name, "accuracy": models.evaluate(res.model, Xk, d.y_test)["acc"]}
            )
    counts = {"CNN": models.n_params(cnn.model), "dense network": models.n_params(dense.model)}
    return Shifts(pd.DataFrame(rows), np.stack(examples), counts)
