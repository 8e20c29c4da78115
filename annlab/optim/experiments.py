"""What the optimizer page computes: the race (kept on disk), the landscape paths, the quadratic's numbers.

Plain functions returning dataclasses or DataFrames, testable without Streamlit; the view calls the
expensive ones through ``annlab.ui.call`` (cached per server).

- :func:`race`: the race of :mod:`annlab.optim.race`, saved next to the model store's files, so the
  warm-up (``python -m annlab warm``), a restart or a second server process load it instead of racing.
- :func:`race_table`, :func:`fit_choice`, :func:`optimizer_table`, :func:`race_caption`: what the race
  section shows; :func:`grid_table`, :func:`grid_summary`: the model-selection grid's result.
- :func:`landscape` (with :func:`landscape_lr`): paths of several optimizers on one test surface, the
  surface on a grid, a table.
- :func:`momentum_metrics`, :func:`beta_scan` (over :func:`scan_betas`), :func:`bump_metrics`: the
  numbers under the landscape.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from annlab import store
from annlab.optim import DESCRIPTIONS, OPTIMIZERS
from annlab.optim import landscape as ls
from annlab.optim import race as rc
from annlab.settings import cache_dir

RACE_FORMAT = 1
_ARRAYS = ("epoch", "train", "val", "seconds", "grid_pred")


@dataclass
class Table:
    """A table for the page: ``frame`` and the ``printf`` formats of its number columns."""

    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)


@dataclass
class Metric:
    """One number in a row of metrics: its label, its value as text, and a tooltip."""

    label: str
    value: str
    help: str = ""


@dataclass
class Metrics:
    """A row of metrics with the caption below it."""

    metrics: list[Metric]
    caption: str


def fmt(value, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec``; "—" for None, NaN and infinity."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format(value, spec)


# -------------------------------------------------------------------------------------------- race
def race_key(cfg: rc.RaceConfig, seed: int) -> str:
    """File stem of a saved race (the model store's key scheme: ``RaceConfig-<hash>-v1``)."""
    return store.model_key(cfg, seed=seed, data_key="race")


def _payload(result: rc.RaceResult) -> dict:
    runs = []
    for run in result.runs:
        plain = dataclasses.asdict(run)
        runs.append(
            {k: torch.from_numpy(np.ascontiguousarray(v)) if k in _ARRAYS else v for k, v in plain.items()}
        )
    return {
        "format": RACE_FORMAT,
        "config": dataclasses.asdict(result.config),
        "snr_db": result.snr_db,
        "runs": runs,
    }


def _load(path, cfg: rc.RaceConfig) -> rc.RaceResult:
    saved = torch.load(path, weights_only=True)
    if saved.get("format") != RACE_FORMAT or saved["config"] != dataclasses.asdict(cfg):
        raise ValueError("the file holds another race")
    runs = [
        rc.RunResult(**{k: v.numpy() if k in _ARRAYS else v for k, v in r.items()}) for r in saved["runs"]
    ]
    return rc.RaceResult(cfg, runs, saved["snr_db"])


def race(
    cfg: rc.RaceConfig, seed: int = 0, *, callback: Callable[[int, dict], None] | None = None
) -> rc.RaceResult:
    """The race for ``cfg`` and ``seed`` (:func:`annlab.optim.race.race`), run once and kept on disk.

    The curves are saved as plain tensors in the model store's folder (``RaceConfig-<hash>-v1.pt``) and
    loaded with ``weights_only=True``, under the store's lock for its key (threads and processes asking
    for one new race at once run it once); an unreadable file is discarded and the race run again. A
    race that really runs is listed in ``annlab.store.TRAINED``, like a trained model.
    ``callback(step, {"fraction": f, "text": ...})`` reports progress while it runs.
    """
    key = race_key(cfg, seed)
    folder = cache_dir()
    path = folder / f"{key}.pt"
    with store.key_lock(key, folder):  # two servers asking for one new race run it once
        if path.exists():
            try:
                return _load(path, cfg)
            except Exception as exc:  # truncated, corrupt, or written by another version
                warnings.warn(
                    f"The saved race {path.name} could not be read ({type(exc).__name__}); it is run again.",
                    store.StoreWarning,
                    stacklevel=2,
                )
                path.unlink(missing_ok=True)
        result = rc.race(cfg, seed=seed, callback=callback)
        store.TRAINED.append(key)
        store.atomic_save(_payload(result), path)
    return result


def race_table(result: rc.RaceResult) -> Table:
    """One row per optimizer (:meth:`RaceResult.table`), epochs as integers (empty when never reached)."""
    frame = pd.DataFrame(result.table())
    for col in frame.columns:
        if col.startswith(("epochs to", "best epoch")):
            frame[col] = frame[col].astype("Int64")
    numbers = [c for c in frame.columns if "MSE" in c or c.startswith("s to") or c in ("total s", "lr")]
    return Table(frame, {c: "%.4g" for c in numbers})


def fit_choice(result: rc.RaceResult) -> tuple[list[str], int]:
    """Names of the runs that did not diverge, and the index of the lowest final validation loss."""
    ok = [r for r in result.runs if not r.diverged]
    if not ok:
        return [], 0
    return [r.name for r in ok], min(range(len(ok)), key=lambda i: ok[i].final_val)


def optimizer_table(cfg: rc.RaceConfig) -> pd.DataFrame:
    """Every optimizer, the learning rate it gets in this race, and its update in one sentence."""
    return pd.DataFrame(
        [{"optimizer": n, "lr in this race": cfg.lr(n), "update": DESCRIPTIONS[n]} for n in OPTIMIZERS]
    )


def race_caption(data: rc.RegressionData, noise: float) -> str:
    """What the loss curves show, the signal-to-noise ratio and the split sizes, in words."""
    snr = "∞ (no noise)" if not math.isfinite(data.snr_db) else f"{data.snr_db:.1f} dB"
    return (
        "Solid: training loss; dashed: validation loss. Per epoch counts steps; per second counts work (a "
        "mini-batch epoch is many small steps, an L-BFGS epoch several function evaluations). Times are "
        "measured on this server and vary with its load. "
        f"Signal-to-noise ratio at σ = {noise:g}: **{snr}** (10·log₁₀ of signal variance over σ²). "
        f"{len(data.y_train)} training, {len(data.y_val)} validation, {len(data.y_test)} test points"
        + (f"; digits used: {', '.join(map(str, data.digits))}." if data.digits else ".")
    )


def grid_table(result: rc.GridResult) -> pd.DataFrame:
    """Every model of the grid, lowest validation MSE first."""
    return pd.DataFrame(result.rows).sort_values("val MSE")


def grid_summary(result: rc.GridResult) -> str:
    """The model chosen by validation, and only then its test MSE, in words."""
    b = result.best
    return (
        f"Chosen by validation: {b['layers']} hidden layer(s) × {b['units']} units, {b['activation']}, "
        f"lr {b['lr']:g} (val MSE {b['val MSE']:.4g}). **Test MSE of the chosen model: "
        f"{result.test_mse:.4g}**."
    )


# --------------------------------------------------------------------------------------- landscape
@dataclass
class Landscape:
    """Optimizer paths on one surface: ``paths`` with their learning rates ``lrs``, the surface on a grid
    (``xs`` (n,), ``ys`` (n,) or empty in 1-D, ``Z`` (n, n) or (n,)), and a table of where each ended."""

    surface: ls.Surface
    steps: int
    paths: list[ls.Path]
    lrs: tuple[float, ...]
    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    table: Table


def landscape_lr(
    name: str, surf: ls.Surface, *, beta: float, lr_gd: float, lr_adaptive: float, tuned: bool = False
) -> float:
    """The learning rate the playground gives optimizer ``name``.

    GD, momentum and Nesterov share ``lr_gd``; with ``tuned`` (the quadratic) GD gets 2/(L+μ) and the
    momentum methods 2(1+β)/(L+μ). Adadelta and L-BFGS use 1; the other adaptive methods ``lr_adaptive``.
    """
    if name == "GD (full batch)":
        return ls.optimal_gd_lr(surf.kappa) if tuned else float(lr_gd)
    if name in ls.MOMENTUM_NAMES:
        return ls.momentum_lr(surf.kappa, beta) if tuned else float(lr_gd)
    if name in ("Adadelta", "L-BFGS"):
        return 1.0
    return float(lr_adaptive)


def landscape(
    surf: ls.Surface,
    names: tuple[str, ...],
    steps: int,
    beta: float,
    lr_gd: float,
    lr_adaptive: float,
    tuned: bool = False,
    noise: float = 0.0,
    seed: int = 0,
) -> Landscape:
    """Run every optimizer in ``names`` on ``surf`` for ``steps`` steps (:func:`landscape.run_path`).

    Momentum and Nesterov use ``beta``; the learning rates are :func:`landscape_lr`'s; ``noise`` is the
    standard deviation of the Gaussian noise added to every gradient (seeded by ``seed``).
    """
    names, steps, beta, noise = tuple(names), int(steps), float(beta), float(noise)
    lrs = tuple(
        landscape_lr(n, surf, beta=beta, lr_gd=lr_gd, lr_adaptive=lr_adaptive, tuned=tuned) for n in names
    )
    paths = [
        ls.run_path(surf, n, lr, steps, beta=beta, noise=noise, seed=seed)
        for n, lr in zip(names, lrs, strict=True)
    ]
    xs, ys, Z = ls.grid_values(surf, 60 if surf.dim == 2 else 400)
    rows = [
        {
            "optimizer": p.name,
            "lr": lr,
            "steps run": len(p.points) - 1,
            "final loss": p.losses[-1],
            "final position": ", ".join(f"{v:.4g}" for v in p.points[-1]),
            "status": "diverged" if p.diverged else "ok",
        }
        for p, lr in zip(paths, lrs, strict=True)
    ]
    table = Table(pd.DataFrame(rows), {"lr": "%.4g", "final loss": "%.3e"})
    return Landscape(surf, steps, paths, lrs, xs, ys, Z, table)


def momentum_metrics(kappa: float, beta: float) -> Metrics:
    """Iterations to the tolerance on the quadratic: GD tuned, momentum at ``beta``, Polyak's β*.

    Measured with ``torch.optim`` from (−1, 1) and compared with the rates' predictions
    (see :mod:`annlab.optim.landscape`).
    """
    lr_gd, lr_mom = ls.optimal_gd_lr(kappa), ls.momentum_lr(kappa, beta)
    lr_star, beta_star = ls.polyak(kappa)
    gd_meas = ls.measured_iterations(kappa, "GD (full batch)", lr_gd)
    mom_meas = ls.measured_iterations(kappa, "Momentum", lr_mom, beta)
    star_meas = ls.measured_iterations(kappa, "Momentum", lr_star, beta_star)
    star_rate = ls.measured_rate(kappa, "Momentum", lr_star, beta_star)
    rho_star = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    gd_theory = ls.iterations_from_rate(ls.gd_rate(kappa, lr_gd))
    mom_theory = ls.iterations_from_rate(ls.momentum_rate(kappa, lr_mom, beta))
    star_theory = ls.iterations_from_rate(rho_star)
    star_from_rate = ls.iterations_from_rate(star_rate) if math.isfinite(star_rate) else None
    metrics = [
        Metric(
            "GD, lr = 2/(L+μ): iterations (measured)",
            fmt(gd_meas, "d"),
            f"Theory: ⌈ln 1e-6 / ln((κ−1)/(κ+1))⌉ = {fmt(gd_theory, '.0f')}",
        ),
        Metric(
            f"Momentum β = {beta:g}: iterations (measured)",
            fmt(mom_meas, "d"),
            f"From the rate ρ: {fmt(mom_theory, '.0f')}",
        ),
        Metric(
            f"Polyak's β* = {beta_star:.3f}: iterations from the measured rate",
            fmt(star_from_rate, ".0f"),
            f"Theory: ⌈ln 1e-6 / ln((√κ−1)/(√κ+1))⌉ = {fmt(star_theory, '.0f')}. Measured rate "
            f"ρ̂ = {star_rate:.4f} (from the tail of a 600-step run) against ρ = {rho_star:.4f}. Counted "
            f"from the start: {fmt(star_meas, 'd')}.",
        ),
    ]
    caption = (
        f"Tolerance: the first k with ‖x_k − x*‖ ≤ 10⁻⁶·‖x₀ − x*‖ from x₀ = (−1, 1). Theory for GD: "
        f"{fmt(gd_theory, '.0f')}; for momentum at your β (lr = 2(1+β)/(L+μ)) the rate gives "
        f"{fmt(mom_theory, '.0f')}. At exactly Polyak's β* the two roots of the recurrence coincide, so "
        f"the error shrinks like k·ρᵏ, not ρᵏ: the measured rate gives {fmt(star_from_rate, '.0f')} "
        f"iterations (theory {fmt(star_theory, '.0f')}), but counted from the start it takes "
        f"{fmt(star_meas, 'd')}. A β a little above β* avoids the double root (see the scan)."
    )
    return Metrics(metrics, caption)


@dataclass
class BetaScan:
    """Heavy ball on the quadratic for many β (:func:`landscape.beta_scan`), Polyak's β*, the best count."""

    kappa: float
    scan: dict
    beta_star: float
    caption: str


def scan_betas(kappa: float, n_betas: int) -> tuple[float, ...]:
    """``n_betas`` momenta evenly over [0, 0.95] (to 3 decimals), plus Polyak's β* (to 4)."""
    beta_star = ls.polyak(kappa)[1]
    grid = {round(float(b), 3) for b in np.linspace(0.0, 0.95, n_betas)}
    return tuple(sorted(grid | {round(beta_star, 4)}))


def beta_scan(kappa: float, n_betas: int) -> BetaScan:
    """Measured and predicted iterations of heavy ball against β, at lr = 2(1+β)/(L+μ)."""
    scan = ls.beta_scan(kappa, scan_betas(kappa, n_betas))
    best = min((m, b) for m, b in zip(scan["measured"], scan["beta"], strict=True) if m is not None)
    gd = ls.measured_iterations(kappa, "GD (full batch)", ls.optimal_gd_lr(kappa))
    caption = (
        f"Best measured in the scan: {best[0]} iterations at β = {best[1]:g} "
        f"(gradient descent: {fmt(gd, 'd')})."
    )
    return BetaScan(kappa, scan, ls.polyak(kappa)[1], caption)


def bump_metrics(lr_adaptive: float, lr_gd: float, steps: int) -> Metrics:
    """The highest bump Adam and gradient descent cross from x₀ = 0 in ``steps`` steps."""
    adam = ls.max_theta_crossed("Adam", float(lr_adaptive), int(steps))
    gd = ls.max_theta_crossed("GD (full batch)", float(lr_gd), int(steps))
    return Metrics(
        [
            Metric(f"Adam (lr {lr_adaptive:g}, {steps} steps): largest θ crossed", f"{adam:.2f}"),
            Metric(f"GD (lr {lr_gd:g}, {steps} steps): largest θ crossed", f"{gd:.2f}"),
        ],
        "Crossed: after the steps, x lies beyond the top of the bump (θ on a 0.01 grid, every lower "
        "bump crossed too). Below θ ≈ 0.49 there is no local minimum at all. Gradient descent's step "
        "is lr·f′(x): it shrinks to nothing in the dip before the bump. Adam's step is about lr "
        "whatever the slope, and its momentum carries it over.",
    )
