"""Hopfield attractors: small networks you can see, digits under noise, a drawing, the capacity cliff."""

import numpy as np
import pandas as pd
import streamlit as st

from annlab import ui
from annlab.hopfield import charts as hch
from annlab.hopfield import core as hc
from annlab.hopfield import digits as hd
from annlab.images import tile
from annlab.settings import fast_mode

lab = ui.page(
    "Hopfield attractors",
    "A Hopfield network stores patterns as the **valleys of an energy landscape**: start it anywhere and "
    "it rolls downhill into the nearest valley, an *attractor*. **Look for:** (1) in the small networks, "
    "the stored targets are attractors, but so are states nobody stored (*spurious* states, often the "
    "mirror image of a target); a start exactly on an axis may sit still on a ridge (an *unstable "
    "equilibrium*), and synchronous updates can flip back and forth forever; (2) with digits, the "
    "Hebbian rule mixes the ten correlated digits into spurious blends, the pseudo-inverse keeps them "
    "apart; (3) in the capacity plot, Hebb's recall falls off a cliff once the load passes about 0.14 "
    "patterns per neuron.",
)

RULE_LABEL = hc.RULE_NAMES.get
PRESETS = {
    "2 neurons: [1,1], [-1,-1], [1,-1]": "1 1\n-1 -1\n1 -1",
    "3 neurons: [1,1,1], [-1,-1,-1], [1,-1,1]": "1 1 1\n-1 -1 -1\n1 -1 1",
    "my own targets": None,
}
STARTS = ("random inputs", "high-symmetry inputs", "a point I type")


# ------------------------------------------------------------------------------------ cached work
@st.cache_data(show_spinner=False, max_entries=64)
def small_network(
    targets: tuple,
    rule: str,
    dynamics: str,
    max_iter: int,
    starts_kind: str,
    n_random: int,
    point: tuple,
    seed: int,
):
    T = np.asarray(targets, float)
    W, b = hc.store(T, rule)
    cfg = hc.HopfieldConfig(rule, dynamics, max_iter, seed)
    n = T.shape[1]
    if starts_kind == STARTS[0]:
        X0 = hc.random_starts(n_random, n, seed)
    elif starts_kind == STARTS[1]:
        X0 = hc.symmetric_starts(n)
    else:
        X0 = np.asarray(point, float)[None]
    tr = hc.run(W, b, X0, cfg)
    labels = hc.label_states(tr.final, tr.converged, T, W, b, cfg)
    corners = hc.stable_corners(W, b, cfg) if n <= 10 else None
    return W, b, tr, labels, hc.attractor_table(tr, labels), corners


@st.cache_data(show_spinner=False, max_entries=64)
def small_charts(args: tuple, azimuth: int, elevation: int):
    """The state-space picture (None beyond 3 neurons) and the energy chart, built once per setting."""
    _, _, tr, labels, _, _ = small_network(*args)
    T = np.asarray(args[0], float)
    if T.shape[1] == 2:
        main = hch.trajectories_2d(tr, labels, T)
    elif T.shape[1] == 3:
        main = hch.trajectories_3d(tr, labels, T, azimuth=azimuth, elevation=elevation)
    else:
        main = None
    return main, hch.energy_lines(tr, labels)


@st.cache_data(show_spinner=False, max_entries=16)
def digit_network(source: str, side: int, rule: str, digits: tuple):
    P = np.array(hd.prototypes(source, side))[list(digits)]
    W, b = hc.store(P, rule)
    return P, W, b


@st.cache_data(show_spinner=False, max_entries=64)
def digit_recall(source, side, rule, digits, dynamics, max_iter, gauss, flip, seed):
    P, W, b = digit_network(source, side, rule, digits)
    return hd.recall(
        W, b, P, hc.HopfieldConfig(rule, dynamics, max_iter, seed), gauss=gauss, flip=flip, seed=seed
    )


@st.cache_data(show_spinner=False, max_entries=32)
def drawing_retrieval(pattern: np.ndarray, source, side, rule, digits, dynamics, max_iter, seed):
    P, W, b = digit_network(source, side, rule, digits)
    states, energy, iters = hd.retrieve_drawing(
        W, b, pattern, hc.HopfieldConfig(rule, dynamics, max_iter, seed)
    )
    which, inverse = hd.identify(states[-1:], P)
    return states, energy, iters, (digits[which[0]] if which[0] >= 0 else -1), bool(inverse[0])


@st.cache_data(show_spinner=False, max_entries=8)
def capacity(n: int, trials: int, seed: int):
    return hd.capacity_sweep(n=n, p_max=n // 2, trials=trials, seed=seed)


@st.cache_data(show_spinner=False, max_entries=16)
def capacity_figure(n: int, trials: int, seed: int, metric: str):
    return hch.capacity_chart(capacity(n, trials, seed), n, metric=metric)


def as_image(x: np.ndarray, side: int) -> np.ndarray:
    """A +-1 (or noisy real) state as a gray image in [0, 1]."""
    return np.clip((np.asarray(x, float).reshape(side, side) + 1) / 2, 0, 1)


def attractor_name(which: int, inverse: bool, iters: int) -> str:
    if iters < 0:
        return "**not converged**: the state was still changing at the last iteration (add iterations)."
    if which < 0:
        return (
            "a **spurious state**: a stable valley of the energy that is none of the stored digits "
            "(often a blend of several of them)."
        )
    if inverse:
        return (
            f"the **inverse of the stored {which}** (every valley has a mirror image when there is no bias)."
        )
    return f"the stored **{which}**."


# ------------------------------------------------------------------------------ 1. small networks
st.header("1. Small networks: attractors you can see")
c1, c2, c3 = st.columns(3)
with c1:
    preset = ui.persisted(
        st.selectbox, "Targets", key="hop_preset", default=list(PRESETS)[0], options=list(PRESETS)
    )
    typed = ui.persisted(
        st.text_area,
        "My own targets (one per line, entries +1 or -1)",
        key="hop_targets",
        default="1 -1 1 -1\n-1 -1 1 1",
        height=90,
        disabled=PRESETS[preset] is not None,
        help="Example: `1 -1 1` on one line and `-1 1 1` on the next stores two 3-neuron targets.",
    )
with c2:
    rule = ui.persisted(
        st.selectbox,
        "Storage rule",
        key="hop_rule",
        default="newhop",
        options=list(hc.RULES),
        format_func=RULE_LABEL,
        help="newhop is MATLAB's design (Li, Michel & Porod) with saturating-linear updates "
        "a(k+1) = satlins(W a(k) + b); the others use sign updates.",
    )
    dynamics = ui.persisted(
        st.radio,
        "Updates",
        key="hop_dyn",
        default="synchronous",
        options=list(hc.DYNAMICS),
        horizontal=True,
        disabled=rule == "newhop",
        help="Synchronous: every neuron at once. Asynchronous: one neuron at a time, in a "
        "random order (seeded), one iteration = one sweep over all neurons.",
    )
    max_iter = ui.persisted(
        st.slider, "Iterations (at most)", key="hop_iter", default=60, min_value=1, max_value=300, step=1
    )
with c3:
    starts_kind = ui.persisted(
        st.radio, "Starting points", key="hop_starts", default=STARTS[0], options=list(STARTS)
    )
    n_random = ui.persisted(
        st.slider,
        "Number of random inputs",
        key="hop_nrand",
        default=200,
        min_value=10,
        max_value=10_000,
        step=10,
        disabled=starts_kind != STARTS[0],
        help="Uniform in [-1, 1] per neuron, seeded by the sidebar seed. The basin "
        "shares use all of them; the plots draw the first 300.",
    )
    point_text = ui.persisted(
        st.text_input,
        "My start point",
        key="hop_point",
        default="0.3, -0.2",
        disabled=starts_kind != STARTS[2],
    )

try:
    targets = hc.parse_targets(PRESETS[preset] if PRESETS[preset] is not None else typed)
    point = hc.parse_point(point_text, targets.shape[1]) if starts_kind == STARTS[2] else np.zeros(0)
except ValueError as exc:
    st.error(str(exc))
    targets = None

if targets is not None:
    if targets.shape[1] > 10:
        st.warning("Keep own targets to at most 10 neurons here; the digits below show big networks.")
    else:
        args = (
            tuple(map(tuple, targets)),
            rule,
            dynamics,
            max_iter,
            starts_kind,
            n_random,
            tuple(point),
            lab.seed,
        )
        W, b, tr, labels, table, corners = small_network(*args)
        n = targets.shape[1]
        left, right = st.columns(2)
        with left:
            az, el = 35, 20
            if n == 3:
                a1, a2 = st.columns(2)
                az = a1.slider("Turn the cube (azimuth, degrees)", -180, 180, 35, 5, key="hop_az")
                el = a2.slider("Tilt (elevation, degrees)", -60, 80, 20, 5, key="hop_el")
            main_chart, energy_chart = small_charts(args, az, el)
            if main_chart is not None:
                ui.show_chart(main_chart)
            else:
                st.info(
                    f"{n} neurons cannot be drawn as a picture; the energy and the table still tell "
                    "the story."
                )
        with right:
            ui.show_chart(energy_chart)
            if len(tr.final) > 300:
                st.caption(f"The charts draw the first 300 of {len(tr.final)} starts; the table counts all.")
            if corners is not None:
                names = ", ".join(hc.fmt_state(c) for c in corners) or "none"
                st.markdown(f"**Stable corners of the cube** ({len(corners)} of {2**n}): {names}")
        st.subheader("Where the starts ended")
        st.dataframe(
            table.style.format({"share": "{:.1%}", "mean iterations": "{:.1f}", "std iterations": "{:.1f}"}),
            hide_index=True,
            width="stretch",
        )
        found = set(table["label"])
        notes = []
        if "inverse of a target" in found:
            notes.append(
                "**Inverse of a target**: with no bias the energy is symmetric, E(-a) = E(a), so the "
                "mirror image of every stored valley is a valley too; nobody stored it."
            )
        if "spurious" in found:
            notes.append(
                "**Spurious**: a stable state that is neither a target nor its inverse, typically a "
                "mixture of targets; the rule carved a valley nobody asked for."
            )
        if "unstable equilibrium" in found:
            notes.append(
                "**Unstable equilibrium**: the update leaves this point where it is, but the smallest "
                "nudge sends it downhill (a ball balanced on a ridge). Symmetric inputs like [1, 0] sit "
                "exactly on such ridges."
            )
        if "not converged" in found and rule == "newhop":
            notes.append(
                "**Not converged**: the state was still changing after the last iteration. These "
                "starts began very close to a ridge (an axis), where the push away is tiny: each "
                "step only multiplies the distance by e^0.15 = 1.16. More iterations let them arrive."
            )
        elif "not converged" in found:
            notes.append(
                "**Not converged**: the state was still changing after the last iteration. With "
                "synchronous sign updates two neurons can keep swapping forever (a 2-cycle: the "
                "energy goes up and down); asynchronous updates never do that, since each "
                "single-neuron flip can only lower the energy."
            )
        for note in notes:
            st.markdown("- " + note)
        if corners is not None:
            lost = [t for t in targets if not np.any(np.all(corners == t, axis=1))]
            if lost:
                st.warning(
                    f"Not every target is an attractor with {RULE_LABEL(rule)}: "
                    f"{', '.join(hc.fmt_state(t) for t in lost)} is not a stable state, so the network "
                    f"cannot recall it. {len(targets)} targets in {n} neurons is more than the rule can "
                    "hold (Hebb: about 0.14 patterns per neuron); try the pseudo-inverse or newhop."
                )
        with st.expander("The four storage rules, one line each"):
            st.markdown(
                r"""
- **Hebbian**: $W = \frac{1}{N}\sum_p x_p x_p^\top$ with $W_{ii} = 0$. Simple and local, but patterns
  that overlap interfere; it holds about $0.138\,N$ random patterns.
- **Pseudo-inverse (projection)**: $W = X^{+}X$ projects onto the span of the targets, so every linearly
  independent target is a fixed point, however correlated; not local (needs all patterns at once).
- **Storkey**: $\Delta W_{ij} = \frac{1}{N}(x_i x_j - x_i h_{ji} - h_{ij} x_j)$ with the local field
  $h_{ij} = \sum_{k \ne i,j} W_{ik} x_k$: local and incremental, and holds more than Hebb.
- **newhop** (Li, Michel & Porod; MATLAB): split space into the span $T^{+}$ of the differences to the last
  target and its complement $T^{-}$, set $T_\tau = T^{+} - \tau T^{-}$ ($\tau = 10$),
  $W = e^{h T_\tau}$ ($h = 0.15$) and a bias $b$; run $a(k+1) = \mathrm{satlins}(W a(k) + b)$. Inside the span
  states grow by $e^{0.15}$ per step until they hit a face of the cube; off the span they shrink.

Energy: $E(a) = -\tfrac12 a^\top W a - b^\top a$. One neuron flipping to agree with its field can only
lower it, so asynchronous updates always settle; synchronous ones may oscillate.
"""
            )

# ------------------------------------------------------------------------------------ 2. digits
st.header("2. Digits: memory under noise")
d1, d2, d3 = st.columns(3)
with d1:
    source = ui.persisted(
        st.selectbox,
        "Digit prototypes from",
        key="hop_src",
        default="mnist",
        options=list(hd.SOURCES),
        format_func=hd.SOURCES.get,
    )
    side = ui.persisted(
        st.select_slider,
        "Image size (pixels per side)",
        key="hop_side",
        default=16,
        options=list(hd.SIDES),
        disabled=source == "digits8",
        help="Each prototype (the mean image of a digit class) is resized and binarised to +-1; "
        "N = side x side neurons.",
    )
    if source == "digits8":
        side = 8
        st.caption("The scikit-learn digits are 8x8: N = 64 neurons.")
    digits = ui.persisted(
        st.multiselect,
        "Digits to store",
        key="hop_digits",
        default=list(range(10)),
        options=list(range(10)),
        help="Fewer digits, fewer overlaps: Hebb's rule copes with two or three digits, not with ten.",
    )
with d2:
    drule = ui.persisted(
        st.selectbox,
        "Storage rule ",
        key="hop_drule",
        default="pseudoinverse",
        options=list(hc.RULES),
        format_func=RULE_LABEL,
    )
    ddyn = ui.persisted(
        st.radio,
        "Updates ",
        key="hop_ddyn",
        default="synchronous",
        options=list(hc.DYNAMICS),
        horizontal=True,
        disabled=drule == "newhop",
    )
    diter = ui.persisted(st.slider, "Iterations", key="hop_diter", default=20, min_value=1, max_value=100)
with d3:
    noise = ui.persisted(
        st.slider,
        "Noise level (Gaussian, added to the +-1 pixels)",
        key="hop_noise",
        default=0.6,
        min_value=0.0,
        max_value=2.0,
        step=0.05,
        help="noisy = digit + level x N(0, 1), as in the course; the first update binarises it.",
    )
    flip = ui.persisted(
        st.slider,
        "Flipped pixels (share)",
        key="hop_flip",
        default=0.1,
        min_value=0.0,
        max_value=0.5,
        step=0.01,
    )

if not digits:
    st.warning("Choose at least one digit to store.")
    digits = [0]
digits = tuple(sorted(digits))
P, Wd, bd = digit_network(source, side, drule, digits)
rec = digit_recall(source, side, drule, digits, ddyn, diter, noise, flip, lab.seed)
outcomes = [
    hd.outcome(d, digits[w] if w >= 0 else -1, bool(i))
    for d, w, i in zip(digits, rec.which, rec.inverse, strict=True)
]
n_dig = len(digits)
st.markdown(
    f"**{int(rec.correct.sum())} of {n_dig} digits retrieved** with {RULE_LABEL(drule)} "
    f"(N = {side * side} neurons, {n_dig} patterns, load P/N = {n_dig / (side * side):.3f}; noise: "
    f"Gaussian level {noise:g} and {flip:.0%} flipped pixels)."
)
grid = np.concatenate(
    [
        tile([as_image(x, side) for x in block], ncols=10, pad=1, pad_value=0.3)
        for block in (P, rec.noisy, rec.final)
    ],
    axis=0,
)
g1, g2 = st.columns([3, 1])
with g1:
    ui.show_image(
        grid,
        caption="Top: stored digit.  Middle: noisy input.  Bottom: where the network settled.",
        scale=max(1, 720 // (max(n_dig, 4) * (side + 1))),
    )
with g2:
    st.dataframe(pd.DataFrame({"digit": digits, "result": outcomes}), hide_index=True)
if drule == "hebbian" and rec.correct.mean() < 0.5:
    st.info(
        "Hebb's rule adds the digits' outer products; the digits share many pixels, so their valleys "
        "merge into a few blended (spurious) states. The pseudo-inverse removes these overlaps first; "
        "or store fewer digits."
    )

with st.expander("Sweep: retrieval accuracy against noise for every rule", expanded=True):
    s1, s2 = st.columns([1, 2])
    kind = s1.radio(
        "Kind of noise",
        ["flip", "gauss"],
        key="hop_sweep_kind",
        horizontal=True,
        format_func={"flip": "flipped pixels", "gauss": "Gaussian"}.get,
    )
    reps = 3 if fast_mode() else 20
    if s1.button("Run the sweep", key="hop_sweep_btn", type="primary"):
        levels = np.linspace(0, 0.5, 11) if kind == "flip" else np.linspace(0, 2.0, 11)
        with st.spinner("Corrupting and recalling the digits at 11 noise levels for 4 rules..."):
            st.session_state["hop_sweep_result"] = (
                (source, side, ddyn, diter, kind, digits),
                hd.noise_sweep(
                    P, hc.RULES, levels, kind=kind, dynamics=ddyn, max_iter=diter, repeats=reps, seed=lab.seed
                ),
            )
    saved = st.session_state.get("hop_sweep_result")
    if saved is not None:
        (s_src, s_side, s_dyn, s_iter, s_kind, s_digits), df = saved
        with s2:
            ui.show_chart(hch.noise_sweep_chart(df, kind=s_kind))
            st.caption(
                f"{hd.SOURCES[s_src]}, {s_side}x{s_side}, digits {', '.join(map(str, s_digits))}, "
                f"{s_dyn} updates, up to {s_iter} iterations, {reps} noisy copies of each digit per level."
            )
    else:
        s2.caption(
            "Press the button: each rule stores the chosen digits, then recalls noisy copies at 11 levels."
        )

st.subheader("Draw a digit: which valley does it fall into?")
k1, k2 = st.columns([1, 2])
with k1:
    drawn = ui.draw_digit("hop_canvas", side=side, page="Hopfield")
if drawn is not None:
    x0 = hd.binarise(drawn)
    states, energy, iters, which, inverse = drawing_retrieval(
        x0, source, side, drule, digits, ddyn, diter, lab.seed
    )
    last = len(states) - 1
    with k2:
        if last > 0:
            k = st.slider(
                "Iteration",
                0,
                last,
                last,
                key="hop_step",
                help="Step through the recall: 0 is your binarised drawing.",
            )
        else:
            k = 0
        i1, i2 = st.columns([1, 2])
        with i1:
            ui.show_image(
                tile([as_image(states[0], side), as_image(states[k], side)], ncols=2, pad=1, pad_value=0.3),
                caption=f"Your digit (binarised) and iteration {k}",
                scale=max(1, 300 // (2 * side)),
            )
        with i2:
            ui.show_chart(hch.energy_step(energy, k))
        after = f" It stopped changing after {iters} iteration(s)." if iters >= 0 else ""
        st.markdown("It settled into " + attractor_name(which, inverse, iters) + after)

# ------------------------------------------------------------------------------------ 3. capacity
st.header("3. Capacity: how many memories fit?")
e1, e2, e3 = st.columns(3)
cap_n = ui.persisted(
    e1.slider, "Neurons N", key="hop_capn", default=100, min_value=40, max_value=200, step=20
)
trials = ui.persisted(
    e2.slider,
    "Trials (random pattern sets) per point",
    key="hop_trials",
    default=10 if fast_mode() else 50,
    min_value=5,
    max_value=100,
    step=5,
)
metric = ui.persisted(
    e3.radio,
    "Count as recalled",
    key="hop_metric",
    default="recall",
    options=["recall", "overlap"],
    horizontal=True,
    format_func={"recall": "exact pattern", "overlap": "share of correct bits"}.get,
)
with st.spinner("Storing P = 1 .. N/2 random patterns with three rules and probing them..."):
    cap = capacity(cap_n, trials, lab.seed)
ui.show_chart(capacity_figure(cap_n, trials, lab.seed, metric))
half = (
    cap[cap["flip"] == 0.0]
    .assign(ok=lambda d: d["recall"] >= 0.5)
    .groupby("rule")
    .apply(lambda d: d.loc[~d["ok"], "load"].min(), include_groups=False)
)
words = ", ".join(
    f"{RULE_LABEL(r)} at P/N = {v:.2f}" if np.isfinite(v) else f"{RULE_LABEL(r)}: never below half"
    for r, v in half.items()
)
st.markdown(
    f"Exact recall of clean patterns first drops below one half for: {words}. Theory for Hebb: "
    f"about 0.138 N = {0.138 * cap_n:.1f} patterns with a few wrong bits allowed, N/(2 ln N) = "
    f"{cap_n / (2 * np.log(cap_n)):.1f} for perfect recall. Flipped bits in the probe pull every "
    "curve down earlier: the valleys are still there but narrower. Synchronous updates; "
    f"{trials} seeded trials per point."
)
