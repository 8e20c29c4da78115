"""Optimizer comparison: a regression race and a 2-D loss-landscape playground.

Every optimizer is ``torch.optim``'s (see :func:`make_optimizer`); this package only decides which
one, with which settings, and measures what it does.

- :mod:`annlab.optim.landscape`: optimizer paths on test surfaces (ill-conditioned quadratic,
  Rosenbrock, Beale, a 1-D bump), convergence theory for the quadratic, Adam against a bump.
- :mod:`annlab.optim.data`: regression data (1-D sine, the 2-D "personal regression"), split, SNR.
- :mod:`annlab.optim.race`: a race of optimizers (each with its own settings, the same one several
  times if wanted) from the same initial weights on that data, and a model-selection grid.
- :mod:`annlab.optim.batched`: the copies of one network trained side by side (one stacked pass).
- :mod:`annlab.optim.defaults`: the settings the page starts from, and the warm-up.
- :mod:`annlab.optim.experiments`: what the page computes (the race kept on disk, landscape paths,
  the quadratic's iteration counts), as plain functions returning dataclasses.
- :mod:`annlab.optim.charts`: Altair charts for the page.

References: Polyak (1964), heavy-ball momentum; Nesterov (1983); Duchi et al. (2011), Adagrad;
Tieleman & Hinton (2012), RMSProp; Zeiler (2012), Adadelta; Kingma & Ba (2015), Adam;
Liu & Nocedal (1989), L-BFGS; Nocedal & Wright, *Numerical Optimization* (2006), ch. 3 and 7.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

# Display name -> (torch.optim class, fixed keyword arguments). "needs_closure" marks L-BFGS.
OPTIMIZERS: dict[str, tuple[type, dict]] = {
    "GD (full batch)": (torch.optim.SGD, {}),
    "SGD (mini-batch)": (torch.optim.SGD, {}),
    "Momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "Nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (torch.optim.Adagrad, {}),
    "RMSProp": (torch.optim.RMSprop, {"alpha": 0.99}),
    "Adam": (torch.optim.Adam, {"betas": (0.9, 0.999)}),
    "Adadelta": (torch.optim.Adadelta, {"rho": 0.9}),
    "L-BFGS": (torch.optim.LBFGS, {"max_iter": 5, "history_size": 10, "line_search_fn": "strong_wolfe"}),
}

#: Optimizers that always see the whole training set in one step.
FULL_BATCH_ONLY = ("GD (full batch)", "L-BFGS")

#: What each optimizer does, in one sentence (shown on the page).
DESCRIPTIONS = {
    "GD (full batch)": "w ← w − lr·∇L(w) on all training points at once.",
    "SGD (mini-batch)": "Gradient descent on a random mini-batch per step: cheap, noisy steps.",
    "Momentum": "Heavy ball: v ← β·v + ∇L, w ← w − lr·v (β = 0.9); keeps going in steady directions.",
    "Nesterov": "Momentum that looks ahead: the gradient is taken where the velocity is about to carry w.",
    "Adagrad": "Per-weight effective learning rate lr / √(sum of all past squared gradients): it only "
    "ever shrinks, but the step, that rate times the gradient, can still grow when the gradient does.",
    "RMSProp": "Per-weight step lr / √(running average of squared gradients): Adagrad that forgets.",
    "Adam": "Momentum on the gradient plus RMSProp's per-weight scaling, with bias correction.",
    "Adadelta": "RMSProp whose step size comes from a running average of past updates (lr ≈ 1).",
    "L-BFGS": "Quasi-Newton: a curvature model from the last 10 steps, step length by a strong Wolfe "
    "line search. One epoch = one step() call = up to 5 iterations (torch's L-BFGS stalls when "
    "called one iteration at a time), so compare it on the seconds axis.",
}


def make_optimizer(
    name: str, params: Iterable[torch.nn.Parameter] | Iterable[torch.Tensor], lr: float, **overrides
) -> torch.optim.Optimizer:
    """Build the ``torch.optim`` optimizer called ``name``.

    Parameters
    ----------
    name : str, a key of :data:`OPTIMIZERS`
    params : the tensors to optimize (leaf tensors with ``requires_grad=True``)
    lr : float > 0, the learning rate (for L-BFGS the initial step of the line search)
    **overrides : replace the fixed keyword arguments (e.g. ``momentum=0.5``)
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose from {list(OPTIMIZERS)}.")
    if not lr > 0:
        raise ValueError(f"The learning rate must be positive, got {lr}.")
    cls, kwargs = OPTIMIZERS[name]
    return cls(params, lr=lr, **{**kwargs, **overrides})


def needs_closure(name: str) -> bool:
    """True for optimizers whose ``step`` re-evaluates the loss (L-BFGS)."""
    return OPTIMIZERS[name][0] is torch.optim.LBFGS
