"""What every training function returns, and how a diverging run is reported.

Training functions share one shape (see CONVENTIONS.md)::

    train_x(cfg, data, *, device="cpu", seed=0, callback=None) -> TrainResult

``callback(epoch, metrics)`` is called after each epoch with a dict of floats; pages use it to draw
a progress bar and a live loss chart. Training never prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

Callback = Callable[[int, dict], None]


@dataclass
class TrainResult:
    """A trained model with its history.

    Attributes
    ----------
    model : torch.nn.Module, in eval mode after training
    history : list of dict, one dict of floats per epoch (e.g. ``{"epoch": 3, "loss": 0.12}``)
    config : the frozen config dataclass it was trained with
    extra : dict of plain data saved with the model (tensors, numbers, strings, lists), e.g.
        normalisation statistics
    diverged : str or None, why training stopped early on NaN/inf (None if it did not)
    from_cache : bool, True when the model store loaded it instead of training
    """

    model: torch.nn.Module
    history: list[dict]
    config: Any
    extra: dict = field(default_factory=dict)
    diverged: str | None = None
    from_cache: bool = False


def divergence(loss: float, epoch: int, lr: float | None = None) -> str | None:
    """A sentence for the user if ``loss`` is NaN or infinite, else None."""
    if math.isfinite(loss):
        return None
    what = "NaN (not a number)" if math.isnan(loss) else "infinite"
    hint = f" The learning rate {lr:g} is probably too high: try a smaller one." if lr else ""
    return (f"Training diverged at epoch {epoch}: the loss became {what}, so it was stopped there."
            f"{hint}")


def generator(seed: int, device: str = "cpu") -> torch.Generator:
    """A seeded torch.Generator (never touch the global RNG)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g
