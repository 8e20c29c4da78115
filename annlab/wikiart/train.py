"""Training the style CNN (with imbalance remedies) and the clustering autoencoder; evaluation.

Both trainers have the house shape ``train_x(cfg, data, *, device, seed, callback) -> TrainResult``
with ``data`` an :class:`~annlab.wikiart.data.ArtSet`. The test split is never used for training or
early stopping: the CNN stops on a validation part of the training split, and its test metrics are
computed once at the end and kept in ``result.extra["test"]``. The autoencoder clusters the codes of
the test pictures with k-means after every epoch and reports ARI and NMI against the true styles.

References: T.-Y. Lin et al., "Focal Loss for Dense Object Detection", 2017; L. Hubert, P. Arabie,
"Comparing partitions", 1985 (ARI); P. J. Rousseeuw, "Silhouettes", 1987; L. van der Maaten,
G. Hinton, "Visualizing Data using t-SNE", 2008.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    normalized_mutual_info_score,
    recall_score,
    silhouette_score,
)

from annlab.training import Callback, TrainResult, divergence, generator
from annlab.wikiart.data import ArtSet
from annlab.wikiart.losses import balanced_sampler, class_weights, focal_alpha, focal_loss
from annlab.wikiart.models import ArtAEConfig, CNNConfig, ConvAE, StyleCNN


def to_tensor(X: np.ndarray, device: str = "cpu") -> torch.Tensor:
    """uint8 pictures (n, side, side, 3) -> float tensor (n, 3, side, side) in [0, 1]."""
    t = torch.from_numpy(np.array(X, dtype=np.uint8)).to(device)  # a copy: X may be read-only
    return t.permute(0, 3, 1, 2).float().div_(255.0)


def augment_batch(
    x: torch.Tensor, gen: torch.Generator, *, max_angle: float = 10.0, min_scale: float = 0.85
) -> torch.Tensor:
    """Random horizontal flip, rotation (+-``max_angle`` degrees) and crop (zoom to a random part
    covering at least ``min_scale`` of the side), one affine warp per picture. Pixels are taken
    from the nearest source pixel, not interpolated, so brush marks are moved, not blurred (blur would
    turn pointillist dots into smudges and change the style).

    x : tensor (B, 3, H, W) in [0, 1]; returns a new tensor of the same shape.
    """
    B = x.shape[0]
    r = torch.rand(B, 5, generator=gen, device=gen.device).to(x.device)
    flip = torch.where(r[:, 0] < 0.5, -1.0, 1.0)
    angle = (r[:, 1] * 2 - 1) * math.radians(max_angle)
    scale = min_scale + (1 - min_scale) * r[:, 2]  # part of the picture kept
    shift = (1 - scale)[:, None] * (r[:, 3:5] * 2 - 1)  # stays inside the picture
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, shift[:, 0]], 1), torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1
    )  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="reflection", align_corners=False)


def _init(model: torch.nn.Module, gen: torch.Generator) -> torch.nn.Module:
    """Seeded He initialisation of every conv and linear layer (the global RNG is never used)."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu", generator=gen)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    return model


def _val_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-class split of training indices into (fit, validation); classes with < 3 pictures stay in fit."""
    rng = np.random.default_rng(seed)
    fit, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = max(1, int(round(fraction * len(idx)))) if len(idx) >= 3 else 0
        val.append(idx[:k])
        fit.append(idx[k:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(val))


def _epoch_order(y: np.ndarray, cfg: CNNConfig, minority: np.ndarray, gen: torch.Generator) -> np.ndarray:
    """Indices into the fit set for one epoch: a shuffle, a balanced weighted draw (``oversample``), or
    a shuffle with copies of minority pictures up to the median style count (``top_up``). Augmentation
    adds no indices: it changes the minority pictures of a batch, not how many there are."""
    n = len(y)
    if cfg.oversample:
        return np.fromiter(iter(balanced_sampler(y, generator=gen)), np.int64, count=n)
    order = torch.randperm(n, generator=gen).numpy()
    if cfg.top_up:
        counts = np.bincount(y)
        target = int(np.median(counts[counts > 0]))
        extra = []
        for c in np.flatnonzero(minority):
            idx = np.flatnonzero(y == c)
            if 0 < len(idx) < target:
                pick = torch.randint(len(idx), (target - len(idx),), generator=gen).numpy()
                extra.append(idx[pick])
        if extra:
            order = np.concatenate([order, *extra])
            order = order[torch.randperm(len(order), generator=gen).numpy()]
    return order


@torch.no_grad()
def predict_proba(model: torch.nn.Module, X: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for uint8 pictures X (n, side, side, 3); returns (n, n_classes) float32."""
    device = next(model.parameters()).device
    out = [
        torch.softmax(model(to_tensor(X[i : i + batch_size], str(device))), dim=1).cpu()
        for i in range(0, len(X), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, model.cfg.n_classes), np.float32)


def metrics(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, y_train: np.ndarray) -> dict:
    """Test metrics as plain data.

    Returns
    -------
    dict with acc, balanced_acc, macro_f1, recall (list per class), confusion (list of lists, rows =
    true style), majority_baseline (accuracy of always answering the largest training style),
    majority_balanced and majority_macro_f1 (its balanced accuracy and macro-F1).
    """
    labels = list(range(n_classes))
    present = np.unique(y_true)
    majority = int(np.bincount(y_train, minlength=n_classes).argmax())
    return {
        "acc": float(accuracy_score(y_true, y_pred)),
        "balanced_acc": float(recall_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "recall": [
            float(r) for r in recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
        ],
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "majority_baseline": float(np.mean(y_true == majority)),
        "majority_balanced": 1.0 / max(len(present), 1),
        "majority_macro_f1": float(
            f1_score(y_true, np.full_like(y_true, majority), labels=labels, average="macro", zero_division=0)
        ),
    }


def _evaluate_loss(model, X, y, batch_size=256):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
    loss = float(F.cross_entropy(logits, y))
    pred = logits.argmax(1).cpu().numpy()
    return loss, pred


def train_cnn(
    cfg: CNNConfig, data: ArtSet, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train the style CNN with the remedies switched on in ``cfg``.

    Parameters
    ----------
    cfg : CNNConfig (its ``side`` and ``n_classes`` must match ``data``)
    data : ArtSet; the training split is divided into fit and validation parts
    device, seed, callback : see :mod:`annlab.training`; ``callback(epoch, {"loss", "acc",
        "val_loss", "val_acc", "val_bal_acc", "seconds"})``

    Returns
    -------
    TrainResult with the weights of the best validation epoch (the last epoch when ``cfg.patience`` is
    0: no early stopping); ``extra["test"]`` holds :func:`metrics` on the test split,
    ``extra["best_epoch"]`` the epoch kept.
    """
    if cfg.side != data.side or cfg.n_classes != data.n_classes:
        raise ValueError(
            f"The config expects {cfg.n_classes} styles at {cfg.side} px; the data has "
            f"{data.n_classes} at {data.side} px."
        )
    gen = generator(seed)
    fit_idx, val_idx = _val_split(data.y_train, cfg.val_fraction, seed)
    y_fit = data.y_train[fit_idx]
    X_fit = to_tensor(data.X_train[fit_idx], device)
    t_fit = torch.from_numpy(y_fit).to(device)
    X_val = to_tensor(data.X_train[val_idx], device)
    y_val = data.y_train[val_idx]
    t_val = torch.from_numpy(y_val).to(device)

    model = _init(StyleCNN(cfg), gen).to(device)
    with torch.no_grad():
        model.mean.copy_(X_fit.mean(dim=(0, 2, 3), keepdim=True))
        model.std.copy_(X_fit.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-3))
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(
            model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )

    counts = np.bincount(y_fit, minlength=cfg.n_classes)
    minority = (counts < np.median(counts[counts > 0])) & (counts > 0)  # (n_classes,) bool
    minority_t = torch.from_numpy(minority).to(device)
    weights = torch.from_numpy(class_weights(y_fit, cfg.n_classes)).to(device) if cfg.class_weights else None
    alpha = torch.from_numpy(focal_alpha(y_fit, cfg.n_classes, cfg.focal_alpha)).to(device)
    if weights is not None:  # both on: the class weights multiply the focal loss's own alpha
        alpha = alpha * weights

    def loss_fn(logits, y):
        if cfg.focal:
            return focal_loss(logits, y, gamma=cfg.focal_gamma, alpha=alpha)
        return F.cross_entropy(logits, y, weight=weights)

    history: list[dict] = []
    start_time = time.perf_counter()
    best = -math.inf  # the validation score of the kept epoch (higher is better)
    best_state, best_epoch, stale, diverged = copy.deepcopy(model.state_dict()), 0, 0, None
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        order = _epoch_order(y_fit, cfg, minority, gen)
        total, correct, seen = 0.0, 0, 0
        for start in range(0, len(order), cfg.batch_size):
            idx = torch.from_numpy(order[start : start + cfg.batch_size]).to(device)
            if len(idx) < 2 and cfg.batch_norm:
                continue
            xb, yb = X_fit[idx], t_fit[idx]  # (B, 3, side, side), (B,)
            if cfg.augment:
                mask = minority_t[yb]
                if mask.any():
                    xb = xb.clone()
                    xb[mask] = augment_batch(xb[mask], gen)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        train_loss = total / max(seen, 1)
        diverged = divergence(train_loss, epoch, cfg.lr)
        if diverged:
            break
        row = {"epoch": epoch, "loss": train_loss, "acc": correct / max(seen, 1)}
        if len(y_val):
            val_loss, pred = _evaluate_loss(model, X_val, t_val)
            val_bal = float(balanced_accuracy_score(y_val, pred))
            row.update(val_loss=val_loss, val_acc=float(np.mean(pred == y_val)), val_bal_acc=val_bal)
        else:  # too few pictures for a validation part: keep the last epoch
            val_bal, val_loss = float(epoch), -float(epoch)
        row["seconds"] = time.perf_counter() - start_time
        history.append(row)
        if callback:
            callback(epoch, row)
        score = -val_loss if cfg.early_stop == "val_loss" else val_bal + 1e-6 * -val_loss  # ties: lower loss
        if score > best or not cfg.patience:  # patience 0: no early stopping, the last epoch is kept
            best, best_epoch, stale = score, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    pred = predict_proba(model, data.X_test).argmax(1) if len(data.y_test) else np.zeros(0, np.int64)
    extra = {"best_epoch": best_epoch, "remedy": cfg.remedy}
    if len(data.y_test):
        extra["test"] = metrics(data.y_test, pred, cfg.n_classes, data.y_train)
    return TrainResult(model, history, cfg, extra, diverged)


@torch.no_grad()
def encode(model: ConvAE, X: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Codes of uint8 pictures X (n, side, side, 3); returns (n, latent_dim) float32."""
    device = str(next(model.parameters()).device)
    out = [model.encode(to_tensor(X[i : i + batch_size], device)).cpu() for i in range(0, len(X), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros((0, model.cfg.latent_dim), np.float32)


def cluster(codes: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels of the codes (n,), standardised first so no code dimension dominates."""
    z = (codes - codes.mean(0)) / (codes.std(0) + 1e-8)
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(z)


def train_ae(
    cfg: ArtAEConfig, data: ArtSet, *, device: str = "cpu", seed: int = 0, callback: Callback | None = None
) -> TrainResult:
    """Train the convolutional autoencoder on the training pictures (labels unused).

    After each epoch the test pictures are encoded and clustered with k-means (k = number of styles
    unless ``cfg.n_clusters``); ``callback(epoch, {"loss", "ari", "nmi", "seconds"})``. At the end the
    silhouette of that clustering is stored in ``extra``.
    """
    if cfg.side != data.side:
        raise ValueError(f"The config expects {cfg.side} px pictures; the data has {data.side} px.")
    gen = generator(seed)
    X = to_tensor(data.X_train, device)
    k = cfg.n_clusters or data.n_classes
    model = _init(ConvAE(cfg), gen).to(device)
    if cfg.optimizer == "sgd":  # the report's: plain SGD with an L2 penalty
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history, diverged, labels, codes = [], None, None, None
    start_time = time.perf_counter()
    for epoch in range(1, cfg.num_epochs + 1):
        model.train()
        order = torch.randperm(len(X), generator=gen).to(device)
        total = 0.0
        for start in range(0, len(order), cfg.batch_size):
            xb = X[order[start : start + cfg.batch_size]]
            loss = F.mse_loss(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        train_loss = total / len(X)
        diverged = divergence(train_loss, epoch, cfg.lr)
        if diverged:
            break
        model.eval()
        codes = encode(model, data.X_test)
        labels = cluster(codes, k, seed)
        row = {
            "epoch": epoch,
            "loss": train_loss,
            "ari": float(adjusted_rand_score(data.y_test, labels)),
            "nmi": float(normalized_mutual_info_score(data.y_test, labels)),
            "seconds": time.perf_counter() - start_time,
        }
        history.append(row)
        if callback:
            callback(epoch, row)
    model.eval()
    extra: dict = {}
    if labels is not None and 1 < len(np.unique(labels)) < len(labels):
        z = (codes - codes.mean(0)) / (codes.std(0) + 1e-8)
        extra["silhouette"] = float(silhouette_score(z, labels))
    return TrainResult(model, history, cfg, extra, diverged)
