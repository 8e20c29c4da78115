"""Losses and samplers against class imbalance: focal loss, balanced class weights, a balanced sampler.

References: T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for Dense Object
Detection", ICCV 2017; G. King, L. Zeng, "Logistic Regression in Rare Events Data", 2001 (the
"balanced" weights n / (k * n_c) that scikit-learn's ``compute_class_weight`` uses).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import WeightedRandomSampler


def focal_loss(
    logits: torch.Tensor,
    y: torch.Tensor,
    *,
    gamma: float = 2.0,
    alpha: float | torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    """Multi-class focal loss ``-alpha_t (1 - p_t)^gamma log p_t``, computed from log-softmax.

    ``log p_t`` comes from ``log_softmax`` (log-sum-exp with the maximum subtracted) and ``1 - p_t`` from
    ``-expm1(log p_t)``, so logits of any size give a finite loss and a finite gradient. With
    ``gamma = 0`` and no ``alpha`` it is exactly the cross-entropy.

    Parameters
    ----------
    logits : tensor of shape (B, C), raw class scores
    y : tensor of shape (B,), int64 labels in 0..C-1
    gamma : float >= 0, focusing parameter: well-classified examples (p_t near 1) are down-weighted
    alpha : None, a float (scales every term) or a tensor of shape (C,): the paper's per-class balance
        weight alpha_t (e.g. :func:`focal_alpha`, inverse class frequency to a chosen strength)
    reduction : "mean" (the paper's: the sum over the batch divided by the number of examples, so alpha
        really weighs the classes against each other and scales the loss), "weighted_mean" (divided by
        the sum of the weights, like ``F.cross_entropy`` with ``weight``; a constant alpha cancels
        out), "sum" or "none"

    Returns
    -------
    tensor, a scalar, or of shape (B,) for ``reduction="none"``
    """
    if gamma < 0:
        raise ValueError("gamma must be >= 0.")
    logp = F.log_softmax(logits.float(), dim=1)  # (B, C)
    logp_t = logp.gather(1, y.view(-1, 1)).squeeze(1)  # (B,)
    # 1 - p_t as -expm1(log p_t): accurate when p_t is near 1. The base is clamped away from 0 because
    # d/dp (1 - p)^gamma is infinite at p = 1 for gamma < 1 (and inf * 0 would give a NaN gradient).
    one_minus_p = (-torch.expm1(logp_t)).clamp_min(1e-12)
    modulator = one_minus_p**gamma if gamma > 0 else torch.ones_like(logp_t)
    loss = -modulator * logp_t  # (B,)
    if alpha is None:
        weight = torch.ones_like(loss)
    elif isinstance(alpha, torch.Tensor) and alpha.ndim == 1:
        weight = alpha.to(loss.device, loss.dtype)[y]
    else:
        weight = torch.full_like(loss, float(alpha))
    loss = weight * loss
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    if reduction == "weighted_mean":
        return loss.sum() / weight.sum().clamp_min(1e-12)
    raise ValueError(f"Unknown reduction {reduction!r}.")


def focal_alpha(y: np.ndarray, n_classes: int, strength: float = 1.0) -> np.ndarray:
    """The focal loss's per-class alpha: balanced class weights raised to ``strength``.

    ``strength = 0`` gives every class alpha 1 (no balancing, the focusing term alone); ``strength = 1``
    gives inverse frequency ``n / (k n_c)`` (scikit-learn's "balanced"); values in between soften it,
    larger ones sharpen it. A class absent from ``y`` gets 0.

    Returns
    -------
    ndarray of shape (n_classes,), float32
    """
    if strength < 0:
        raise ValueError("The focal alpha strength must be >= 0.")
    w = class_weights(y, n_classes).astype(np.float64)
    out = np.where(w > 0, np.power(np.where(w > 0, w, 1.0), float(strength)), 0.0)
    return out.astype(np.float32)


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced class weights ``n_samples / (n_classes * count_c)`` (scikit-learn's "balanced").

    Parameters
    ----------
    y : ndarray of shape (n,), int labels in 0..n_classes-1
    n_classes : int

    Returns
    -------
    ndarray of shape (n_classes,), float32; a class absent from ``y`` gets weight 0
    """
    y = np.asarray(y, np.int64)
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    present = counts > 0
    w = np.zeros(n_classes)
    w[present] = len(y) / (present.sum() * counts[present])
    return w.astype(np.float32)


def balanced_sampler(
    y: np.ndarray, *, num_samples: int | None = None, generator: torch.Generator | None = None
) -> WeightedRandomSampler:
    """A sampler that draws every class equally often in expectation (with replacement).

    Each example is drawn with probability proportional to ``1 / count[y_i]``, so each class gets
    total probability ``1 / n_classes``.

    Parameters
    ----------
    y : ndarray of shape (n,), int labels
    num_samples : draws per epoch (default ``n``)
    generator : seeded ``torch.Generator`` (never the global RNG)
    """
    y = np.asarray(y, np.int64)
    counts = np.bincount(y)
    weights = torch.as_tensor(1.0 / counts[y], dtype=torch.double)
    return WeightedRandomSampler(
        weights, num_samples=num_samples or len(y), replacement=True, generator=generator
    )
