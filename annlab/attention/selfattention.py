"""Multi-head self-attention written out twice, in NumPy and in PyTorch, stage by stage.

For a sequence X of n tokens with d_model features each, head h projects every token to a query, a key
and a value: Q_h = X W_Q[h] (n x d_k), K_h = X W_K[h] (n x d_k), V_h = X W_V[h] (n x d_v). The scores
S_h = Q_h K_h^T (n x n) say how well token i's query matches token j's key; divided by sqrt(d_k) (so
their spread does not grow with d_k) and, with a causal mask, set to -inf above the diagonal (a token
sees only itself and earlier ones), a softmax turns each row into weights that sum to 1. Each token's
output is the weighted mean of the values, A_h V_h (n x d_v); the heads' outputs are concatenated
(n x heads*d_v) and mixed back to d_model features by W_O (heads*d_v x d_model).

References: Vaswani et al. (2017), "Attention is all you need", NeurIPS, section 3.2.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def softmax_numpy(S: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis, stable (the row maximum is subtracted first)."""
    Z = np.exp(S - S.max(axis=-1, keepdims=True))
    return Z / Z.sum(axis=-1, keepdims=True)


def attention_numpy(X, W_Q, W_K, W_V, W_O, *, causal: bool = False, scaled: bool = True) -> dict:
    """Multi-head self-attention in NumPy, every stage kept.

    Parameters
    ----------
    X : (n, d_model) tokens
    W_Q, W_K : (heads, d_model, d_k) query and key projections
    W_V : (heads, d_model, d_v) value projections
    W_O : (heads * d_v, d_model) output projection
    causal : mask scores above the diagonal (token i attends to tokens 0..i only)
    scaled : divide the scores by sqrt(d_k)

    Returns
    -------
    dict of arrays: Q, K (heads, n, d_k); V (heads, n, d_v); scores, weights (heads, n, n);
    heads (heads, n, d_v); concat (n, heads * d_v); out (n, d_model)
    """
    X = np.asarray(X, np.float64)
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V  # (h, n, d_k), (h, n, d_k), (h, n, d_v)
    scores = Q @ K.transpose(0, 2, 1)  # (h, n, n): query i against key j
    if scaled:
        scores = scores / math.sqrt(Q.shape[-1])
    if causal:
        n = X.shape[0]
        scores = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
    weights = softmax_numpy(scores)  # each row sums to 1
    heads = weights @ V  # (h, n, d_v)
    concat = heads.transpose(1, 0, 2).reshape(X.shape[0], -1)  # (n, h * d_v)
    out = concat @ W_O  # (n, d_model)
    return dict(Q=Q, K=K, V=V, scores=scores, weights=weights, heads=heads, concat=concat, out=out)


def attention_torch(X, W_Q, W_K, W_V, W_O, *, causal: bool = False, scaled: bool = True) -> dict:
    """The same computation in PyTorch, in float64 as in NumPy (they differ only by rounding); see
    :func:`attention_numpy` for the shapes."""
    X, W_Q, W_K, W_V, W_O = (
        torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (X, W_Q, W_K, W_V, W_O)
    )
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V  # broadcast over heads: (h, n, d_k), (h, n, d_k), (h, n, d_v)
    scores = Q @ K.transpose(-2, -1)  # (h, n, n)
    if scaled:
        scores = scores / math.sqrt(Q.shape[-1])
    if causal:
        n = X.shape[0]
        scores = scores.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    heads = weights @ V  # (h, n, d_v)
    concat = heads.transpose(0, 1).reshape(X.shape[0], -1)  # (n, h * d_v)
    out = concat @ W_O  # (n, d_model)
    return dict(Q=Q, K=K, V=V, scores=scores, weights=weights, heads=heads, concat=concat, out=out)


def attention_sdpa(X, W_Q, W_K, W_V, W_O, *, causal: bool = False, scaled: bool = True) -> torch.Tensor:
    """The reference: the projections, then ``torch.nn.functional.scaled_dot_product_attention``;
    returns the output (n, d_model) as a float64 tensor."""
    X, W_Q, W_K, W_V, W_O = (
        torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (X, W_Q, W_K, W_V, W_O)
    )
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    heads = F.scaled_dot_product_attention(Q, K, V, is_causal=bool(causal), scale=None if scaled else 1.0)
    return heads.transpose(0, 1).reshape(X.shape[0], -1) @ W_O


def random_weights(d_model: int, d_k: int, d_v: int, heads: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded projections W_Q, W_K (heads, d_model, d_k), W_V (heads, d_model, d_v) and
    W_O (heads * d_v, d_model), entries N(0, 1 / fan_in) so that projected features have unit scale."""
    rng = np.random.default_rng(seed)
    s = 1.0 / math.sqrt(d_model)
    return {
        "W_Q": rng.normal(0, s, (heads, d_model, d_k)),
        "W_K": rng.normal(0, s, (heads, d_model, d_k)),
        "W_V": rng.normal(0, s, (heads, d_model, d_v)),
        "W_O": rng.normal(0, 1.0 / math.sqrt(heads * d_v), (heads * d_v, d_model)),
    }


def max_abs_diff(a, b) -> float:
    """Largest absolute difference between two arrays or tensors (0 where both are -inf)."""
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf where both are masked: counted as equal
        gap = np.where(a == b, 0.0, np.abs(a - b))
    return float(np.max(gap, initial=0.0))
