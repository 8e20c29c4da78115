"""The settings the optimizer page starts from: the one source that the view, the warm-up and tests read.

Fast mode (``ANNLAB_FAST=1``) is applied inside :func:`race_config` and :func:`grid_config`, when they
are called, so tests run the page's own code path on short races.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from annlab.optim import experiments as ex
from annlab.optim import landscape as ls
from annlab.optim import race as rc
from annlab.settings import fast_mode, quick

SEED = 0  # the sidebar's default seed: what a plain link races with
RACE = rc.RaceConfig()  # 1-D sine, σ = 0.1, six optimizers, 2 x 50 tanh units, 1,000 epochs
GRID = rc.GridConfig()  # 3 x 3 x 2 x 3 = 54 models, Adam, 300 epochs each
FAST_RACE_EPOCHS, FAST_GRID_EPOCHS = 50, 20

# The landscape playground. Per surface, in the order of landscape.SURFACES: the number of steps, the
# learning rate of GD / momentum / Nesterov, and that of Adagrad / RMSProp / Adam.
SURFACE = ls.Surface(ls.SURFACES[0])  # the ill-conditioned quadratic, κ = 100 (bump θ = 0.7)
LANDSCAPE_OPTIMIZERS = ("GD (full batch)", "Momentum", "Adam")
STEPS = (200, 500, 200, 20)
LR_GD = (0.02, 0.001, 0.01, 0.3)
LR_ADAPTIVE = (0.05, 0.1, 0.1, 0.3)
BETA = 0.9
GRAD_NOISE = 0.0
TUNED = True  # the quadratic starts on the theory's learning rates for GD and momentum


def race_config(
    *, task: str = RACE.data.task, noise: float = RACE.data.noise, number: str = RACE.data.number, **race
):
    """The race for these settings (``race``: any other :class:`RaceConfig` field); raises ValueError.

    In fast mode a race runs at most :data:`FAST_RACE_EPOCHS` epochs.
    """
    data = rc.TaskConfig(task=task, noise=float(noise), number=str(number))
    cfg = dataclasses.replace(RACE, data=data, **race)
    return quick(cfg, num_epochs=min(cfg.num_epochs, FAST_RACE_EPOCHS))


def grid_config(data: rc.TaskConfig, **grid) -> rc.GridConfig:
    """The model-selection grid on the race's data (``grid``: any other :class:`GridConfig` field)."""
    return quick(dataclasses.replace(GRID, data=data, **grid), num_epochs=FAST_GRID_EPOCHS)


def n_betas() -> int:
    """How many momenta the β scan tries (fewer in fast mode)."""
    return 8 if fast_mode() else 40


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Run the race of a plain link (default settings, seed 0) into the store; the landscape trains nothing.

    ``epochs`` (when given) replaces the race's epochs, for a smoke run. The races run on the CPU whatever
    ``device`` says: these networks are far too small to gain from an accelerator.
    """
    cfg = race_config() if epochs is None else dataclasses.replace(race_config(), num_epochs=epochs)
    start = time.perf_counter()
    ex.race(cfg, SEED)
    report(
        f"race: {len(cfg.optimizers)} optimizers x {cfg.num_epochs} epochs in {time.perf_counter() - start:.1f} s"
    )
