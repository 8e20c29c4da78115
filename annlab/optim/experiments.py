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
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from annlab import store
from annlab.optim import DESCRIPTIONS, OPTIMIZERS
from annlab.optim import landscape as ls
from annlab.optim import race as rc

RACE_FORMAT = 2
_ARRAYS = ("epoch", "train", "val", "seconds", "grid_pred", "test_pred")


@dataclass
class Table:
    """A table for the page: ``frame`` and the ``printf`` formats of its number columns."""

    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)

    def text(self) -> pd.DataFrame:
        """The frame with its number columns written out in their formats ("—" where missing), for a
        static table (drawn at once, unlike an interactive grid)."""
        out = self.frame.copy()
        for col, fmt in self.formats.items():
            out[col] = [("—" if pd.isna(v) else fmt % v) for v in self.frame[col]]
        return out


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
def race_key(cfg: rc.RaceConfig, seed: int, repeat: int = 0) -> str:
    """File stem of a saved race (the model store's key scheme: ``RaceConfig-<hash>-v1``)."""
    return store.model_key(cfg, seed=seed, data_key="race" if repeat == 0 else f"race-init{repeat}")


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


def _load(saved: dict, cfg: rc.RaceConfig) -> rc.RaceResult:
    if saved.get("format") != RACE_FORMAT or saved["config"] != dataclasses.asdict(cfg):
        raise ValueError("the file holds another race")
    runs = [
        rc.RunResult(**{k: v.numpy() if k in _ARRAYS else v for k, v in r.items()}) for r in saved["runs"]
    ]
    return rc.RaceResult(cfg, runs, saved["snr_db"])


def race_saved(cfg: rc.RaceConfig, seed: int = 0, repeat: int = 0) -> bool:
    """True when the race is on disk already (the page can draw it at once)."""
    return store.has(race_key(cfg, seed, repeat))


def race(
    cfg: rc.RaceConfig,
    seed: int = 0,
    *,
    repeat: int = 0,
    callback: Callable[[int, dict], None] | None = None,
) -> rc.RaceResult:
    """The race for ``cfg`` and ``seed`` (:func:`annlab.optim.race.race`), run once and kept on disk.

    ``repeat`` > 0 races other initial weights on the same data. The curves are saved as plain tensors
    in the model store (key ``RaceConfig-<hash>-v1``) and loaded with ``weights_only=True``
    (:func:`annlab.store.get_or_compute`: threads and processes asking for one new race at once run it
    once); an unreadable entry is discarded and the race run again. A race that really runs is listed in
    ``annlab.store.TRAINED``, like a trained model. ``callback(step, {"fraction": f, "text": ...})``
    reports progress while it runs.
    """

    def compute() -> tuple[dict, rc.RaceResult]:
        result = rc.race(cfg, seed=seed, repeat=repeat, callback=callback)
        return _payload(result), result

    result, _ = store.get_or_compute(race_key(cfg, seed, repeat), compute, lambda saved: _load(saved, cfg))
    return result


def race_label(cfg: rc.RaceConfig, seed: int = 0) -> str:
    """A race in a few words, for "still showing ... while ... computes": "σ = 0.55 (race 3f2a1c)"."""
    return f"σ = {cfg.data.noise:g} (race {race_key(cfg, seed)[-9:-3]})"


def race_table(result: rc.RaceResult) -> Table:
    """One row per run (:meth:`RaceResult.table`): validation, never test (that is for the final choice)."""
    frame = pd.DataFrame(result.table())
    frame["best epoch"] = frame["best epoch"].astype("Int64")
    numbers = [c for c in frame.columns if "MSE" in c or c in ("total s", "lr")]
    return Table(frame, {c: "%.4g" for c in numbers})


def fit_choice(result: rc.RaceResult) -> tuple[list[str], int]:
    """Names of the runs that did not diverge, and the index of the lowest final validation loss."""
    ok = [r for r in result.runs if not r.diverged]
    if not ok:
        return [], 0
    return [r.name for r in ok], min(range(len(ok)), key=lambda i: ok[i].final_val)


def choice_line(result: rc.RaceResult) -> str:
    """The final choice (lowest validation MSE) and, only for it, the test MSE, in words."""
    best = result.choice()
    if best is None:
        return "Every run diverged: there is nothing to test."
    return (
        f"Final choice by validation: **{best.name}** (val MSE {best.final_val:.4g}). Its **test MSE**, "
        f"the one use of the test set: **{best.test:.4g}** (noise floor σ² = "
        f"{result.config.noise_floor:.3g}). The other runs are never scored on the test set."
    )


def optimizer_table(cfg: rc.RaceConfig) -> pd.DataFrame:
    """Every optimizer, the learning rate it gets in this race, and its update in one sentence."""
    return pd.DataFrame(
        [{"optimizer": n, "lr in this race": cfg.lr(n), "update": DESCRIPTIONS[n]} for n in OPTIMIZERS]
    )


def race_caption(data: rc.RegressionData, noise: float) -> str:
    """What the loss curves show, the signal-to-noise ratio and the split sizes, in words."""
    snr = "∞ (no noise)" if not math.isfinite(data.snr_db) else f"{data.snr_db:.1f} dB"
    floor = float(np.mean((data.y_val - data.y_true_val) ** 2)) if len(data.y_true_val) else math.nan
    return (
        "Solid: training loss; dashed: validation loss; dotted grey: the noise floor σ², the MSE the "
        "noise-free truth itself scores on noisy targets (on this validation set: "
        f"{fmt(floor, '.3g')}), so no run can stay below it; dashed grey, labelled mean: the "
        "predict-the-mean baseline, the validation MSE of always answering the training targets' mean "
        f"(here {fmt(rc.mean_mse(data), '.3g')}, about the variance of the targets): a run above it has "
        "learned nothing yet. Per epoch counts steps; per second counts "
        "work: the networks train side by side, so each optimizer's seconds are its CPU cost per epoch, "
        "measured running it alone for 20 epochs on this server's CPU, times the epochs. "
        f"Signal-to-noise ratio at σ = {noise:g}: **{snr}** (10·log₁₀ of signal variance over σ²). "
        f"{len(data.y_train)} training, {len(data.y_val)} validation, {len(data.y_test)} test points"
        + (f"; digits used: {', '.join(map(str, data.digits))}." if data.digits else ".")
    )


# ------------------------------------------------------------------------------------------ sweeps
@dataclass
class Sweep:
    """Races over one setting (``what``: "noise", "units" or "repeat") and ``repeats`` initial weights.

    ``rows``: one dict per (value, repeat, run); ``table``: mean (and spread over the repeats) per value
    and run; ``caption`` says what was measured.
    """

    what: str
    values: tuple
    repeats: int
    rows: list[dict]
    table: Table
    caption: str


def _varied(cfg: rc.RaceConfig, what: str, value) -> rc.RaceConfig:
    if what == "noise":
        return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, noise=round(float(value), 4)))
    if what == "units":
        return dataclasses.replace(cfg, units=int(value))
    return cfg


def sweep(
    cfg: rc.RaceConfig,
    seed: int,
    what: str,
    values,
    repeats: int = 1,
    *,
    callback: Callable[[int, dict], None] | None = None,
) -> Sweep:
    """The race of ``cfg`` for every value of ``what`` and ``repeats`` initial weights (races on disk).

    ``what``: "noise" (σ: train / validation / test MSE and SNR per σ and run; a study of the noise, no
    model is chosen from it), "units" (network size: best epoch, seconds, lowest validation MSE) or
    "repeat" (``values`` ignored: the ranking of the runs over ``repeats`` initial weights).
    """
    if what not in ("noise", "units", "repeat"):
        raise ValueError(f"Unknown sweep {what!r}.")
    values = (
        (None,)
        if what == "repeat"
        else tuple(sorted({float(v) if what == "noise" else int(v) for v in values}))
    )
    if not values:
        raise ValueError("Pick at least one value to sweep.")
    if not 1 <= int(repeats) <= 20:
        raise ValueError(f"Repeats must be between 1 and 20, got {repeats}.")
    rows, n, total = [], 0, len(values) * int(repeats)
    for value in values:
        c = _varied(cfg, what, value)
        for r in range(int(repeats)):
            result = race(c, seed, repeat=r)
            ranked = sorted((x for x in result.runs if not x.diverged), key=lambda x: x.best_val)
            for run in result.runs:
                rows.append(
                    {
                        "value": value,
                        "repeat": r,
                        "optimizer": run.name,
                        "SNR (dB)": result.snr_db,
                        "train MSE": run.final_train,
                        "val MSE": run.final_val,
                        "test MSE": run.test,
                        "lowest val MSE": math.nan if run.diverged else run.best_val,
                        "best epoch": run.best_epoch,
                        "seconds": float(run.seconds[-1]),
                        "first": bool(ranked) and ranked[0] is run,
                    }
                )
            n += 1
            if callback:
                callback(n, {"fraction": n / total, "text": f"race {n} / {total}"})
    return Sweep(what, values, int(repeats), rows, *_summary(pd.DataFrame(rows), what, int(repeats)))


_SWEEP_COLUMNS = {
    "noise": ("SNR (dB)", "train MSE", "val MSE", "test MSE"),
    "units": ("best epoch", "seconds", "lowest val MSE"),
    "repeat": ("lowest val MSE", "val MSE", "best epoch", "seconds"),
}


def _summary(df: pd.DataFrame, what: str, repeats: int) -> tuple[Table, str]:
    cols = _SWEEP_COLUMNS[what]
    keys = ["optimizer"] if what == "repeat" else ["value", "optimizer"]
    grouped = df.groupby(keys, sort=False)
    out = grouped[list(cols)].mean()
    if repeats > 1:
        sd = grouped[[c for c in cols if c != "SNR (dB)"]].std(ddof=1)
        order = []
        for c in cols:
            order.append(c)
            if c in sd:
                out[f"{c} sd"] = sd[c]
                order.append(f"{c} sd")
        out = out[order]
    if what == "repeat":
        out["ranked first"] = grouped["first"].sum().astype(int).map(lambda k: f"{k} of {repeats}")
    out = out.reset_index().rename(columns={"value": {"noise": "σ", "units": "units"}.get(what, "value")})
    if what == "noise":
        out.insert(1, "σ² (floor)", out["σ"] ** 2)
    formats = {c: "%.4g" for c in out.columns if "MSE" in c or "σ" in c}
    formats |= {c: "%.1f" for c in out.columns if c.startswith(("SNR", "best epoch"))}
    formats |= {c: "%.2f" for c in out.columns if c.startswith("seconds")}
    spread = f" Mean over {repeats} initial weights, sd: their spread." if repeats > 1 else ""
    caption = {
        "noise": "Every row is a full race at that σ (the page's other settings). This is a study of the "
        "noise: no model is chosen here, so every run's test MSE is shown. Once σ² passes the threshold "
        "no run can reach it, and the test MSE follows σ², not the optimizer.",
        "units": "Best epoch: the epoch of the lowest validation MSE; seconds: the whole run.",
        "repeat": "The same data, other initial weights: a ranking is only worth something if it survives "
        "them. Ranked first: how often the run had the lowest validation MSE.",
    }[what]
    return Table(out, formats), caption + spread


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


def gd_bump_story(path: np.ndarray, k: float, lr: float) -> str:
    """What gradient descent did on the piecewise-linear bump of width ``k``, read from its iterates
    ``path`` (x_0 ... x_T): walked over the bump's top at 1 + k, or bounced in the valley in front of it
    (between the lowest and highest point of the path's second half)."""
    path = np.asarray(path, dtype=float)
    last = len(path) - 1
    over = np.nonzero(path >= 1.0 + k)[0]
    if len(over):
        i = int(over[0])
        return (
            f"Gradient descent steps ±α = {lr:g}: at this width its step from x = {path[i - 1]:.1f} lands "
            f"at x = {path[i]:.1f}, beyond the rising stretch (1, {1 + k:g}) where the gradient is +1, so it "
            f"never feels the bump and walks on down the far side (x{_sub(last)} = {path[-1]:.1f})."
        )
    tail = path[last // 2 :]
    return (
        f"Gradient descent steps ±α = {lr:g} and bounces between {tail.min():.1f} and {tail.max():.1f} "
        f"around the valley at x = 1, for all {last} steps (x{_sub(last)} = {path[-1]:.1f}): it never "
        f"reaches the bump's top at 1 + k = {1 + k:g}."
    )


def _sub(n: int) -> str:
    """``n`` as subscript digits: 20 -> ₂₀."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


@dataclass
class LinearBump:
    """Seed 004's exercise: GD and Adam on the piecewise-linear bump of width ``k`` (α = 0.3, 20 steps)."""

    k: float
    paths: dict[str, np.ndarray]
    metrics: Metrics
    table: Table


def linear_bump(k: float, lr: float = 0.3, steps: int = 20) -> LinearBump:
    """Paths of GD and Adam (torch.optim) on :func:`landscape.linear_bump`, with the exercise's numbers:
    GD's first points, Adam's highest point on an endless slope and the widest bump it crosses."""
    k = float(k)
    paths = {n: ls.linear_bump_path(n, lr, steps, k) for n in ("GD (full batch)", "Adam")}
    gd_first = ls.linear_bump_path("GD (full batch)", lr, 6, k)[1:]
    highest, widest = ls.linear_bump_escape("Adam", lr, steps)
    adam_out = paths["Adam"].max() >= 1 + k
    metrics = [
        Metric("GD: x₁ … x₆", ", ".join(f"{v:.1f}" for v in gd_first), "x ← x − α·g, g = ±1"),
        Metric(
            "Adam's highest point (endless slope)",
            f"{highest:.2f}",
            "Momentum carries Adam up the slope until m̂ changes sign.",
        ),
        Metric("Largest bump Adam escapes", f"h = {widest:.2f}", "Slope 1: the height equals the width k."),
        Metric(f"Adam at k = {k:g}", "escapes" if adam_out else "stays stuck"),
    ]
    caption = (
        gd_bump_story(paths["GD (full batch)"], k, lr) + " "
        f"Adam's step is α·m̂/√v̂ with |g| = 1, so v̂ = 1 and the step is α·m̂: the momentum m̂ keeps it "
        f"climbing after the gradient turns, up to x = {highest:.2f}, so it escapes every bump up to "
        f"h = {widest:.2f}. (The report's code multiplies by √v̂ where Adam divides; with |g| = 1 both give "
        "the same numbers.)"
    )
    rows = [{"step": i, **{n: round(float(p[i]), 4) for n, p in paths.items()}} for i in range(steps + 1)]
    return LinearBump(k, paths, Metrics(metrics, caption), Table(pd.DataFrame(rows)))
