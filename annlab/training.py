"""What every training function returns, and how a diverging run is reported.

Training functions share one shape (see CONVENTIONS.md)::

    train_x(cfg, data, *, device="cpu", seed=0, callback=None) -> TrainResult

``callback(epoch, metrics)`` is called after each epoch with a dict of floats; pages use it to draw
a progress bar and a live loss chart. Training never prints.

This module is the bottom layer of training: it imports nothing from the store (:mod:`annlab.store`
names, writes and reads entries) or the jobs (:mod:`annlab.jobs` decides where a training runs, and is
how every caller gets a spec's model: ``jobs.run(spec, device)``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

Callback = Callable[[int, dict], None]
FORMAT_VERSION = 1  # of a stored model (its key ends in ``-v1``); bump it and every model retrains


def model_key(cfg: Any, *, seed: int = 0, data_key: str = "") -> str:
    """The identity of a trained model, its store key: ``<family>-<12 hex digits>-v<format>``."""
    if not dataclasses.is_dataclass(cfg):
        raise TypeError("The model store keys on a frozen dataclass config.")
    payload = json.dumps(
        {"config": dataclasses.asdict(cfg), "seed": int(seed), "data": data_key}, sort_keys=True, default=str
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()[:12]
    return f"{type(cfg).__name__}-{digest}-v{FORMAT_VERSION}"


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
    key : str, the model store key (family, config hash, format); set by the store, it identifies
        this trained model in every cache (``annlab.ui.call`` hashes a result by it)
    """

    model: torch.nn.Module
    history: list[dict]
    config: Any
    extra: dict = field(default_factory=dict)
    diverged: str | None = None
    from_cache: bool = False
    key: str = ""


@dataclass(frozen=True)
class TrainSpec:
    """Everything needed to get one trained model from the store: what a page and the warm-up share.

    A topic's ``defaults.py`` builds specs; a view hands one to ``annlab.ui.train``, an experiment and
    ``python -m annlab warm`` to :func:`annlab.jobs.run`, so all ask the store for the same key.

    Attributes
    ----------
    cfg : frozen config dataclass (part of the store key)
    train_fn : ``train_fn(cfg, data, *, device, seed, callback) -> TrainResult``
    build : ``build(cfg) -> nn.Module``, an untrained model to load weights into
    data_fn : called only when the model must really be trained; returns ``data`` for ``train_fn``
    data_key : names the data (part of the store key), e.g. ``"mnist5k"``
    seed : the training seed (part of the store key)
    label : what is trained, in words ("the RBM"), for progress and curve panels
    curves : history keys drawn as learning curves (default: ``loss`` and ``val_loss`` when present)
    """

    cfg: Any
    train_fn: Callable[..., TrainResult] = field(compare=False)
    build: Callable[[Any], torch.nn.Module] = field(compare=False)
    data_fn: Callable[[], Any] = field(compare=False, repr=False)
    data_key: str = ""
    seed: int = 0
    label: str = "the model"
    curves: tuple[str, ...] = ()

    @property
    def num_epochs(self) -> int | None:
        """Epochs for a progress bar: the config's ``total_epochs`` or ``num_epochs`` if it has one."""
        return getattr(self.cfg, "total_epochs", None) or getattr(self.cfg, "num_epochs", None)

    @property
    def key(self) -> str:
        """The model store key of this spec (same for every device): the job id of its training."""
        return model_key(self.cfg, seed=self.seed, data_key=self.data_key)


def divergence(loss: float, epoch: int, lr: float | None = None) -> str | None:
    """A sentence for the user if ``loss`` is NaN or infinite, else None."""
    if math.isfinite(loss):
        return None
    what = "NaN (not a number)" if math.isnan(loss) else "infinite"
    hint = f" The learning rate {lr:g} is probably too high: try a smaller one." if lr else ""
    return f"Training diverged at epoch {epoch}: the loss became {what}, so it was stopped there.{hint}"


def generator(seed: int, device: str = "cpu") -> torch.Generator:
    """A seeded torch.Generator (never touch the global RNG)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def seeded_dropout(x: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Dropout with masks drawn from ``gen`` (on its own device, then moved to ``x``'s; never the global
    RNG): each entry of ``x`` is zeroed with probability ``p`` and the rest scaled by 1 / (1 - p)."""
    keep = torch.rand(x.shape, generator=gen, device=gen.device).to(x.device) >= p
    return x * keep / (1.0 - p)
