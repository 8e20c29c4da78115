"""The loss-landscape playground: optimizer paths on small test functions, and the theory behind them.

Surfaces: an ill-conditioned quadratic ``f = (x² + κ y²) / 2`` (eigenvalues μ = 1 and L = κ),
Rosenbrock, Beale, and a 1-D "bump": a bowl with its minimum at x = 3 and a Gaussian bump of height θ
at x = 1.5 that, when high enough, makes a local minimum in front of it.

Convergence on the quadratic (the numbers quoted in class). Tolerance definition used everywhere here:
the iterations count ``k`` is the FIRST k with ``‖x_k − x*‖ ≤ tol · ‖x_0 − x*‖`` (distance to the
minimum relative to the start, Euclidean norm, tol = 1e-6, start (−1, 1), float64).

- Gradient descent with lr = 2/(L+μ) contracts every eigen-direction by exactly ρ = (κ−1)/(κ+1), so it
  needs ``ceil(ln tol / ln ρ)`` = 691 iterations at κ = 100 (measured: 691).
- Heavy-ball momentum (``torch.optim.SGD(momentum=β)``) with Polyak's tuning lr = 4/(√L+√μ)²,
  β = ((√κ−1)/(√κ+1))² has rate ρ = (√κ−1)/(√κ+1), i.e. ``ceil(ln tol / ln ρ)`` = 69 iterations.
  At exactly that tuning the two roots of each eigen-direction's recurrence coincide, the error is
  (1 + c·k)·ρ^k rather than ρ^k, and the measured count from (−1, 1) is 93. A slightly larger β
  (lr = 2(1+β)/(L+μ), which equals Polyak's lr at his β) keeps the rate close to ρ without the
  double root: scanning β gives a measured best of 74 (β ≈ 0.695, see :func:`beta_scan`). The rate
  itself matches: measured from the tail of a run (:func:`measured_rate`) it is 0.820 against 0.818,
  i.e. 70 iterations against the theoretical 69.

References: Polyak (1964), "Some methods of speeding up the convergence of iteration methods";
Nocedal & Wright, *Numerical Optimization* (2006), §3.3; Goh (2017), "Why momentum really works",
Distill; Rosenbrock (1960); Beale (1958); Kingma & Ba (2015), Adam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from annlab.optim import make_optimizer, needs_closure

SURFACES = ("Quadratic (ill-conditioned)", "Rosenbrock", "Beale", "1-D bump")
MOMENTUM_NAMES = ("Momentum", "Nesterov")
BUMP_CENTRE, BUMP_WIDTH, BOWL_CENTRE, BOWL_CURVATURE = 1.5, 0.4, 3.0, 0.2
DIVERGED_NORM = 1e6


@dataclass(frozen=True)
class Surface:
    """A test function to minimise.

    Attributes
    ----------
    name : one of :data:`SURFACES`
    kappa : condition number of the quadratic (ignored elsewhere)
    theta : height of the bump in the 1-D problem (ignored elsewhere)
    """

    name: str
    kappa: float = 100.0
    theta: float = 0.7

    def __post_init__(self):
        if self.name not in SURFACES:
            raise ValueError(f"Unknown surface {self.name!r}; choose from {SURFACES}.")
        if not 1.0 <= self.kappa <= 1e6:
            raise ValueError(f"The condition number must be between 1 and 1e6, got {self.kappa}.")
        if not 0.0 <= self.theta <= 100.0:
            raise ValueError(f"The bump height must be between 0 and 100, got {self.theta}.")

    @property
    def dim(self) -> int:
        return 1 if self.name == "1-D bump" else 2

    @property
    def start(self) -> tuple[float, ...]:
        return {
            "Quadratic (ill-conditioned)": (-1.0, 1.0),
            "Rosenbrock": (-1.2, 1.0),
            "Beale": (1.0, 1.0),
            "1-D bump": (0.0,),
        }[self.name]

    @property
    def minimum(self) -> tuple[float, ...]:
        """Location of the global minimum."""
        return {
            "Quadratic (ill-conditioned)": (0.0, 0.0),
            "Rosenbrock": (1.0, 1.0),
            "Beale": (3.0, 0.5),
            "1-D bump": (_bump_global_min(self.theta),),
        }[self.name]

    @property
    def limits(self) -> tuple[tuple[float, float], ...]:
        """Plot window per coordinate."""
        return {
            "Quadratic (ill-conditioned)": ((-1.2, 1.2), (-1.2, 1.2)),
            "Rosenbrock": ((-2.0, 2.0), (-1.0, 3.0)),
            "Beale": ((-1.0, 4.0), (-1.5, 2.5)),
            "1-D bump": ((-0.5, 4.5),),
        }[self.name]

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        """f at points ``p`` of shape (..., dim); returns shape (...)."""
        if self.name == "Quadratic (ill-conditioned)":
            return 0.5 * (p[..., 0] ** 2 + self.kappa * p[..., 1] ** 2)
        if self.name == "Rosenbrock":
            x, y = p[..., 0], p[..., 1]
            return (1 - x) ** 2 + 100 * (y - x**2) ** 2
        if self.name == "Beale":
            x, y = p[..., 0], p[..., 1]
            return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
        return bump(p[..., 0], self.theta)


def bump(x: torch.Tensor, theta) -> torch.Tensor:
    """The 1-D bump problem: ``0.2 (x − 3)² + θ exp(−(x − 1.5)² / (2·0.4²))`` (θ broadcasts)."""
    return BOWL_CURVATURE * (x - BOWL_CENTRE) ** 2 + theta * torch.exp(
        -((x - BUMP_CENTRE) ** 2) / (2 * BUMP_WIDTH**2)
    )


def _bump_grid(thetas: np.ndarray, n: int = 4001) -> tuple[np.ndarray, np.ndarray]:
    xs = np.linspace(-1.0, 6.0, n)
    th = np.asarray(thetas, float)[:, None]
    return xs, (
        BOWL_CURVATURE * (xs - BOWL_CENTRE) ** 2
        + th * np.exp(-((xs - BUMP_CENTRE) ** 2) / (2 * BUMP_WIDTH**2))
    )


def bump_peak(thetas) -> np.ndarray:
    """x of the bump's top (local maximum) for each θ; NaN where there is no local minimum before it."""
    xs, f = _bump_grid(np.atleast_1d(thetas))
    d = np.diff(f, axis=1)
    is_max = (d[:, :-1] > 0) & (d[:, 1:] <= 0)
    has = is_max.any(axis=1)
    return np.where(has, xs[1:-1][is_max.argmax(axis=1)], np.nan)


def _bump_global_min(theta: float) -> float:
    xs, f = _bump_grid(np.array([theta]))
    return float(xs[f[0].argmin()])


@dataclass
class Path:
    """What an optimizer did on a surface.

    Attributes
    ----------
    name : optimizer name
    points : ndarray of shape (n_kept, dim), x_0 first
    losses : ndarray of shape (n_kept,)
    diverged : str or None, why the run was stopped (the diverging points are not kept)
    """

    name: str
    points: np.ndarray
    losses: np.ndarray
    diverged: str | None = None
    extra: dict = field(default_factory=dict)


def max_curvature(surf: Surface, point) -> float:
    """Largest eigenvalue of the Hessian of ``surf`` at ``point`` (the L in "lr < 2/L")."""
    p = torch.as_tensor(np.asarray(point, float), dtype=torch.float64)
    hess = torch.autograd.functional.hessian(lambda q: surf(q), p)
    return float(torch.linalg.eigvalsh(hess.reshape(surf.dim, surf.dim)).max())


def _why_diverged(
    surf: Surface, name: str, lr: float, step: int, last_ok: np.ndarray, what: str, beta: float
) -> str:
    curv = max_curvature(surf, last_ok)
    msg = f"{name} diverged at step {step}: {what}, so the run was stopped there and the rest is not drawn. "
    if name in ("GD (full batch)", "SGD (mini-batch)", *MOMENTUM_NAMES) and curv > 0:
        limit = 2 / curv
        extra = ""
        if name in MOMENTUM_NAMES:
            limit *= 1 + beta
            extra = f" (with momentum β = {beta:g} the limit is 2(1+β)/L)"
        msg += (
            f"A gradient step is only stable when lr < 2/L{extra}, where L is the largest curvature "
            f"(Hessian eigenvalue). At the last point kept, L = {curv:.3g}, so lr must stay below about "
            f"{limit:.3g}; lr = {lr:g} overshoots the valley and every step makes it worse."
        )
    else:
        msg += (
            f"lr = {lr:g} is too large for this surface: each step overshoots the valley floor by more "
            "than it corrects. Try a smaller learning rate."
        )
    return msg


def run_path(
    surf: Surface,
    name: str,
    lr: float,
    steps: int,
    *,
    start=None,
    beta: float = 0.9,
    noise: float = 0.0,
    seed: int = 0,
) -> Path:
    """Run ``torch.optim``'s optimizer ``name`` on ``surf`` for ``steps`` steps.

    Parameters
    ----------
    surf : the surface
    name : optimizer name (see :data:`annlab.optim.OPTIMIZERS`)
    lr : learning rate
    steps : number of optimizer steps
    start : sequence of ``surf.dim`` floats (default ``surf.start``)
    beta : momentum for "Momentum" and "Nesterov"
    noise : standard deviation of Gaussian noise added to every gradient component (0: none)
    seed : seed of the gradient noise

    Returns
    -------
    Path with ``points`` of shape (n_kept, dim). A run whose iterate becomes NaN/inf or leaves the
    region ``‖x‖ < 1e6`` is stopped; ``diverged`` then says at which step and why.
    """
    if steps < 1:
        raise ValueError("steps must be at least 1.")
    x0 = np.asarray(surf.start if start is None else start, float)
    if x0.shape != (surf.dim,):
        raise ValueError(f"start must have {surf.dim} coordinates.")
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    kwargs = {"momentum": beta} if name in MOMENTUM_NAMES else {}
    opt = make_optimizer(name, [x], lr, **kwargs)
    gen = torch.Generator().manual_seed(int(seed))
    points, losses = [x0.copy()], [float(surf(x.detach()))]
    diverged = None

    def closure():
        opt.zero_grad()
        loss = surf(x)
        loss.backward()
        if noise > 0:
            x.grad.add_(noise * torch.randn(x.shape, generator=gen, dtype=x.dtype))
        return loss

    for k in range(1, steps + 1):
        if needs_closure(name):
            opt.step(closure)
        else:
            closure()
            opt.step()
        with torch.no_grad():
            p = x.detach().clone()
            loss = float(surf(p))
        if not (torch.isfinite(p).all() and math.isfinite(loss)) or float(p.norm()) > DIVERGED_NORM:
            what = (
                "the position became NaN (not a number)"
                if not torch.isfinite(p).all()
                else f"the position flew off to ‖x‖ = {float(p.norm()):.3g}"
            )
            diverged = _why_diverged(surf, name, lr, k, points[-1], what, beta)
            break
        points.append(p.numpy())
        losses.append(loss)
    return Path(name, np.array(points), np.array(losses), diverged)


def grid_values(surf: Surface, n: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f on an n x n grid over the plot window: ``xs`` (n,), ``ys`` (n,), ``Z`` (n, n) indexed [iy, ix].

    For the 1-D bump ``ys`` is empty and ``Z`` has shape (n,).
    """
    lims = surf.limits
    xs = np.linspace(*lims[0], n)
    with torch.no_grad():
        if surf.dim == 1:
            return xs, np.array([]), surf(torch.tensor(xs)[:, None]).numpy()
        ys = np.linspace(*lims[1], n)
        gx, gy = np.meshgrid(xs, ys)
        pts = torch.tensor(np.stack([gx, gy], axis=-1))
        return xs, ys, surf(pts).numpy()


# ----------------------------------------------------------------------------------------- quadratic
def gd_rate(kappa: float, lr: float) -> float:
    """Per-iteration contraction of gradient descent on the quadratic: max(|1 − lr|, |1 − lr·κ|)."""
    return max(abs(1 - lr), abs(1 - lr * kappa))


def momentum_rate(kappa: float, lr: float, beta: float) -> float:
    """Spectral radius of heavy-ball momentum on the quadratic (eigenvalues 1 and κ).

    Each eigen-direction λ follows ``x_{k+1} = (1 + β − lr·λ) x_k − β x_{k−1}``; the rate is the largest
    root modulus of ``z² − (1 + β − lr·λ) z + β`` over λ ∈ {1, κ}.
    """
    rho = 0.0
    for lam in (1.0, kappa):
        c = 1 + beta - lr * lam
        roots = np.roots([1.0, -c, beta]) if beta > 0 else np.array([c])
        rho = max(rho, float(np.abs(roots).max()))
    return rho


def iterations_from_rate(rate: float, tol: float = 1e-6) -> float:
    """``ceil(ln tol / ln rate)``: iterations for a pure geometric error ρ^k to reach ``tol``."""
    if rate >= 1:
        return math.inf
    if rate <= 0:
        return 1.0
    return float(math.ceil(math.log(tol) / math.log(rate) - 1e-9))


def optimal_gd_lr(kappa: float) -> float:
    """The fixed step that minimises gradient descent's rate: 2 / (L + μ) with μ = 1, L = κ."""
    return 2.0 / (kappa + 1.0)


def polyak(kappa: float) -> tuple[float, float]:
    """Polyak's optimal heavy-ball settings (lr, β) = (4/(√κ+1)², ((√κ−1)/(√κ+1))²)."""
    s = math.sqrt(kappa)
    return 4.0 / (s + 1) ** 2, ((s - 1) / (s + 1)) ** 2


def momentum_lr(kappa: float, beta: float) -> float:
    """The learning rate used with a given β: 2(1+β)/(L+μ) (GD's optimum at β = 0, Polyak's at β*)."""
    return 2.0 * (1.0 + beta) / (kappa + 1.0)


def recurrence_iterations(
    kappa: float, lr: float, beta: float = 0.0, start=(-1.0, 1.0), tol: float = 1e-6, max_iter: int = 20000
) -> int | None:
    """Iterations predicted by the exact linear recurrence of heavy ball on the quadratic (numpy, no torch).

    ``x_{k+1} = x_k − lr·λ·x_k + β (x_k − x_{k−1})`` per eigen-direction with ``x_{−1} = x_0`` (the
    first step of ``torch.optim.SGD`` is a plain gradient step). None if not reached in ``max_iter``.
    """
    lam = np.array([1.0, kappa])
    x = np.asarray(start, float).copy()
    prev = x.copy()
    d0 = np.linalg.norm(x)
    for k in range(1, max_iter + 1):
        x, prev = x - lr * lam * x + beta * (x - prev), x
        n = np.linalg.norm(x)
        if not np.isfinite(n) or n > DIVERGED_NORM * d0:
            return None
        if n <= tol * d0:
            return k
    return None


def measured_iterations(
    kappa: float,
    name: str,
    lr: float,
    beta: float = 0.0,
    start=(-1.0, 1.0),
    tol: float = 1e-6,
    max_iter: int = 20000,
) -> int | None:
    """Run ``torch.optim`` on the quadratic and count iterations to ``‖x_k‖ ≤ tol·‖x_0‖`` (None: never)."""
    surf = Surface("Quadratic (ill-conditioned)", kappa=kappa)
    x = torch.tensor(np.asarray(start, float), dtype=torch.float64, requires_grad=True)
    kwargs = {"momentum": beta} if name in MOMENTUM_NAMES else {}
    opt = make_optimizer(name, [x], lr, **kwargs)
    d0 = float(x.detach().norm())
    for k in range(1, max_iter + 1):
        opt.zero_grad()
        surf(x).backward()
        opt.step()
        n = float(x.detach().norm())
        if not math.isfinite(n) or n > DIVERGED_NORM * d0:
            return None
        if n <= tol * d0:
            return k
    return None


def measured_rate(
    kappa: float, name: str, lr: float, beta: float = 0.0, start=(-1.0, 1.0), num_iter: int = 600
) -> float:
    """The convergence factor per iteration measured from the tail of a ``torch.optim`` run.

    ``ρ̂ = (‖x_K‖ / ‖x_{K/2}‖)^(2/K)`` with K = ``num_iter``: the start-up transient (e.g. the factor k
    of a double root) no longer matters, so ρ̂ is directly comparable with the theoretical rate.
    """
    surf = Surface("Quadratic (ill-conditioned)", kappa=kappa)
    x = torch.tensor(np.asarray(start, float), dtype=torch.float64, requires_grad=True)
    kwargs = {"momentum": beta} if name in MOMENTUM_NAMES else {}
    opt = make_optimizer(name, [x], lr, **kwargs)
    half = num_iter // 2
    norms = {}
    for k in range(1, num_iter + 1):
        opt.zero_grad()
        surf(x).backward()
        opt.step()
        if k in (half, num_iter):
            norms[k] = float(x.detach().norm())
    if not all(math.isfinite(v) and v > 0 for v in norms.values()):
        return math.nan
    return (norms[num_iter] / norms[half]) ** (1.0 / (num_iter - half))


def beta_scan(kappa: float, betas, *, start=(-1.0, 1.0), tol: float = 1e-6, max_iter: int = 5000) -> dict:
    """Measured and predicted iterations of heavy ball for many β at once (lr = :func:`momentum_lr`).

    One ``torch.optim.SGD`` with a parameter group per β (each its own lr and momentum), so all runs
    advance together. Returns a dict of lists: ``beta``, ``lr``, ``measured`` (None: not reached),
    ``from_rate`` (``ceil(ln tol / ln ρ)``), ``rate``.
    """
    betas = [float(b) for b in betas]
    params = [torch.tensor(np.asarray(start, float), dtype=torch.float64, requires_grad=True) for _ in betas]
    lrs = [momentum_lr(kappa, b) for b in betas]
    groups = [{"params": [p], "lr": lr, "momentum": b} for p, lr, b in zip(params, lrs, betas, strict=True)]
    opt = torch.optim.SGD(groups, lr=lrs[0])
    h = torch.tensor([1.0, kappa], dtype=torch.float64)
    d0 = float(np.linalg.norm(start))
    measured: list[int | None] = [None] * len(betas)
    for k in range(1, max_iter + 1):
        opt.zero_grad()
        stacked = torch.stack(params)  # (n_beta, 2)
        (0.5 * (h * stacked**2).sum()).backward()
        opt.step()
        with torch.no_grad():
            norms = torch.stack(params).norm(dim=1)
        for i, n in enumerate(norms.tolist()):
            if measured[i] is None and n <= tol * d0:
                measured[i] = k
        if all(m is not None for m in measured) or not torch.isfinite(norms).any():
            break
    rates = [momentum_rate(kappa, lr, b) for lr, b in zip(lrs, betas, strict=True)]
    return {
        "beta": betas,
        "lr": lrs,
        "measured": measured,
        "from_rate": [iterations_from_rate(r, tol) for r in rates],
        "rate": rates,
    }


# ------------------------------------------------------------------------------------------ bump
def bump_crossing(name: str, lr: float, steps: int, thetas, *, start: float = 0.0) -> dict:
    """Does ``name`` get past the bump, for many bump heights at once?

    All heights run in one tensor of shape (n_theta,): the optimizers used here act element by element,
    so each element is an independent 1-D run with its own θ. "Crossed" means the last iterate lies
    beyond the bump's top; where θ is so small that there is no local minimum, it counts as crossed.

    Returns
    -------
    dict with ``theta`` (n,), ``final_x`` (n,), ``peak`` (n,), ``crossed`` (n,) bool arrays.
    """
    if needs_closure(name):
        raise ValueError("The bump scan runs element-wise optimizers only (not L-BFGS).")
    th_np = np.asarray(thetas, float)
    th = torch.tensor(th_np, dtype=torch.float64)
    x = torch.full_like(th, float(start)).requires_grad_(True)
    kwargs = {"momentum": 0.9} if name in MOMENTUM_NAMES else {}
    opt = make_optimizer(name, [x], lr, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        bump(x, th).sum().backward()
        opt.step()
    final = x.detach().numpy().copy()
    peak = bump_peak(th_np)
    crossed = np.isnan(peak) | (np.nan_to_num(final, nan=-np.inf) > np.nan_to_num(peak))
    return {"theta": th_np, "final_x": final, "peak": peak, "crossed": crossed}


def max_theta_crossed(
    name: str = "Adam", lr: float = 0.3, steps: int = 20, *, theta_max: float = 3.0, resolution: float = 0.01
) -> float:
    """Largest bump height θ such that ``name`` crosses every bump up to θ (0 if it fails at once)."""
    thetas = np.round(np.arange(0.0, theta_max + resolution / 2, resolution), 10)
    crossed = bump_crossing(name, lr, steps, thetas)["crossed"]
    if crossed.all():
        return float(thetas[-1])
    first_fail = int(np.argmin(crossed))
    return float(thetas[first_fail - 1]) if first_fail > 0 else 0.0


# ------------------------------------------------------------------------- seed 004: a linear bump
def linear_bump(x: torch.Tensor, k: float) -> torch.Tensor:
    """The piecewise-linear bump of the NUS BS6207 exercise: slope −1 up to x = 1, +1 on (1, 1 + k),
    −1 after; f(0) = 1, a valley at x = 1 (f = 0), a peak of height k at x = 1 + k (``k = inf``: the
    slope stays +1, a bump too high to cross)."""
    up = torch.clamp(x - 1.0, min=0.0, max=k)  # rises with slope 1 on (1, 1 + k)
    return torch.clamp(1.0 - x, min=0.0) + up - torch.clamp(x - 1.0 - k, min=0.0)


def linear_bump_grad(x: float, k: float) -> float:
    """The exercise's gradient: +1 on the open interval (1, 1 + k), −1 elsewhere."""
    return 1.0 if 1.0 < x < 1.0 + k else -1.0


def linear_bump_path(name: str, lr: float = 0.3, steps: int = 20, k: float = math.inf) -> np.ndarray:
    """Iterates x_0 = 0, x_1, ..., x_steps of ``torch.optim``'s ``name`` on the linear bump, shape
    (steps + 1,). The gradient is the exercise's (:func:`linear_bump_grad`), set by hand each step."""
    x = torch.zeros(1, dtype=torch.float64)
    opt = make_optimizer(name, [x], lr)
    out = [0.0]
    for _ in range(steps):
        x.grad = torch.tensor([linear_bump_grad(float(x), k)], dtype=torch.float64)
        opt.step()
        out.append(float(x))
    return np.array(out)


def linear_bump_escape(name: str = "Adam", lr: float = 0.3, steps: int = 20, resolution: float = 0.01):
    """The highest point reached on an endless slope (k = inf) and the widest bump k crossed
    (on a ``resolution`` grid): with slope 1 the bump's height is its width, h = k."""
    highest = float(linear_bump_path(name, lr, steps).max())
    ks = np.round(np.arange(resolution, 3.0, resolution), 10)
    crossed = [k for k in ks if linear_bump_path(name, lr, steps, float(k)).max() >= 1.0 + k]
    widest = 0.0
    for k in ks:  # every bump up to the widest crossed
        if k not in crossed:
            break
        widest = float(k)
    return highest, widest
