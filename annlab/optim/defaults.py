"""The settings the optimizer page starts from: the one source that the view, the warm-up and tests read.

- :data:`RACE`, :data:`GRID` and the landscape constants: what a plain link shows.
- :func:`control`: a control's URL key, default and choices, for ``ui.persisted(widget, label, **...)``.
- :func:`race_config`, :func:`grid_config`: the configs for the page's settings. Fast mode
  (``ANNLAB_FAST=1``) is applied inside them, when they are called, so tests run the page's own code
  path on short races.
- :func:`warm`: runs the race of a plain link into the store.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from annlab.optim import OPTIMIZERS
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
FULL_BATCH = [n for n in OPTIMIZERS if n != "SGD (mini-batch)"]


def _slider(default, lo, hi, step) -> dict:
    return {"default": default, "min_value": lo, "max_value": hi, "step": step}


def _options(default, options) -> dict:
    return {"default": default, "options": list(options)}


# URL key -> default and choices. Keys and their meanings never change: shared links carry them.
CONTROLS: dict[str, dict] = {
    # the race (its data serve the grid too)
    "opt_noise": _slider(RACE.data.noise, 0.0, 1.0, 0.05),
    "opt_task": _options(RACE.data.task, rc.TASKS),
    "opt_number": {"default": RACE.data.number},
    "opt_optimizers": _options(list(RACE.optimizers), OPTIMIZERS),
    "opt_lr_scale": _options(RACE.lr_scale, (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)),
    "opt_epochs": _options(RACE.num_epochs, (100, 300, 1000, 3000)),
    "opt_layers": _slider(RACE.layers, 1, 4, 1),
    "opt_units": _options(RACE.units, (5, 10, 20, 50, 100)),
    "opt_act": _options(RACE.activation, rc.ACTIVATIONS),
    "opt_batch": _options(RACE.batch_size, (1, 4, 8, 16, 32, 64, 128)),
    "opt_mb_all": {"default": RACE.mini_batch_all},
    "opt_threshold": _options(RACE.threshold, (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)),
    # the landscape
    "opt_surface": _options(SURFACE.name, ls.SURFACES),
    "opt_kappa": _options(int(SURFACE.kappa), (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)),
    "opt_theta": _slider(SURFACE.theta, 0.0, 2.0, 0.05),
    "opt_land_opts": _options(list(LANDSCAPE_OPTIMIZERS), FULL_BATCH),
    "opt_beta": _slider(BETA, 0.0, 0.99, 0.01),
    "opt_tuned": {"default": TUNED},
    "opt_grad_noise": _slider(GRAD_NOISE, 0.0, 2.0, 0.1),
    # model selection
    "opt_grid_layers": _options(list(GRID.layers), (1, 2, 3, 4)),
    "opt_grid_units": _options(list(GRID.units), (5, 10, 20, 30, 50, 100)),
    "opt_grid_acts": _options(list(GRID.activations), rc.ACTIVATIONS),
    "opt_grid_lrs": _options(list(GRID.lrs), (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)),
    "opt_grid_opt": _options(GRID.optimizer, FULL_BATCH),
    "opt_grid_epochs": _options(GRID.num_epochs, (100, 300, 1000)),
}
# Controls with one URL key per surface (``opt_steps0`` ... ``opt_steps3``): defaults and choices.
PER_SURFACE: dict[str, tuple[tuple, tuple]] = {
    "opt_steps": (STEPS, (10, 20, 50, 100, 200, 500, 1000)),
    "opt_lr_gd": (
        LR_GD,
        (1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
    ),
    "opt_lr_ad": (LR_ADAPTIVE, (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0)),
}


def control(key: str, surface: int | None = None) -> dict:
    """``key``, ``default`` and the choices (``options``, or ``min_value``/``max_value``/``step``) of one
    of the page's controls: ``ui.persisted(st.slider, "Noise", **control("opt_noise"))``.

    ``surface`` (an index into :data:`landscape.SURFACES`) picks the surface's own key and default of
    the controls in :data:`PER_SURFACE`.
    """
    if surface is None:
        return {"key": key, **CONTROLS[key]}
    defaults, options = PER_SURFACE[key]
    default = defaults[surface]
    return {"key": f"{key}{surface}", "default": default, "options": sorted({*options, default})}


def race_config(
    *, task: str = RACE.data.task, noise: float = RACE.data.noise, number: str = RACE.data.number, **race
) -> rc.RaceConfig:
    """The race for these settings (``race``: other :class:`RaceConfig` fields); raises ValueError.

    Values are cast to the types of :data:`RACE` (a widget's list of optimizers becomes a tuple). In
    fast mode a race runs at most :data:`FAST_RACE_EPOCHS` epochs.
    """
    data = rc.TaskConfig(task=task, noise=float(noise), number=str(number))
    fields = {k: type(getattr(RACE, k))(v) for k, v in race.items()}
    cfg = dataclasses.replace(RACE, data=data, **fields)
    return quick(cfg, num_epochs=min(cfg.num_epochs, FAST_RACE_EPOCHS))


def grid_config(
    *, task: str, noise: float, number: str, layers, units, activations, lrs, optimizer: str, num_epochs: int
) -> rc.GridConfig:
    """The model-selection grid on the race's data (lists sorted into tuples); raises ValueError.

    In fast mode every model trains :data:`FAST_GRID_EPOCHS` epochs.
    """
    cfg = rc.GridConfig(
        data=rc.TaskConfig(task=task, noise=float(noise), number=str(number)),
        layers=tuple(sorted(layers)),
        units=tuple(sorted(units)),
        activations=tuple(activations),
        lrs=tuple(sorted(lrs)),
        optimizer=optimizer,
        num_epochs=int(num_epochs),
    )
    return quick(cfg, num_epochs=FAST_GRID_EPOCHS)


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
    took = time.perf_counter() - start
    report(f"race: {len(cfg.optimizers)} optimizers x {cfg.num_epochs} epochs in {took:.1f} s")
