"""Hopfield attractors: digits under noise, small networks you can see, a drawing, the capacity cliff."""

import streamlit as st

from annlab import ui
from annlab.hopfield import charts as hch
from annlab.hopfield import defaults as d
from annlab.hopfield import experiments as ex

ui.page(
    "Hopfield attractors",
    "A Hopfield network stores patterns as the **valleys of an energy landscape**: started anywhere, it "
    "rolls downhill into the nearest valley, an *attractor*.",
    look_for="(1) With digits, the Hebbian rule mixes the ten correlated digits into spurious blends, the "
    "pseudo-inverse keeps them apart. (2) In the small networks, the stored targets are attractors, but so "
    "are states nobody stored (*spurious* states, often the mirror image of a target); a start exactly on "
    "an axis may sit still on a ridge (an *unstable equilibrium*), and synchronous updates can flip back "
    "and forth forever. (3) In the capacity plot, Hebb's exact recall falls as the load grows, "
    "gradually at these sizes rather than off a sharp cliff; "
    "the textbook 0.138 N is its large-N limit with about 1.5 % wrong bits allowed.",
)
TABS = ("Digits under noise", "Small networks", "Draw a digit", "Capacity")


def network_controls() -> ex.DigitSetup:
    """The digit network (shared by the noise and the drawing tabs), folded into a popover."""
    with st.popover("Network: digits, rule, updates", icon=":material/tune:"):
        src = ui.control(d.SOURCE)
        side = ui.control(d.SIDE, disabled=src == "digits8")
        digits = ui.control(d.DIGITS)
        rule = ui.control(d.DIGIT_RULE)
        dyn = ui.control(d.DIGIT_DYN, disabled=rule == "newhop")
        iters = ui.control(d.DIGIT_ITER)
    if not digits:
        st.warning("Choose at least one digit to store.")
    return ex.digit_setup(src, side, rule, digits, dyn, iters)


@st.fragment
def digits_under_noise(setup: ex.DigitSetup, seed: int) -> None:
    left, right = st.columns([1, 2])
    noise, flip = ui.control(d.NOISE, left), ui.control(d.FLIP, left)
    levels = ui.call(ex.digit_recall_levels, setup, flip, seed, progress="Running every noise level once")
    rec = levels.at(noise)  # precomputed: the slider only picks a level, the stepper an iteration
    k = ui.control(d.step_control(max(rec.n_iter, 1)), left, off=d.step_off(rec.n_iter), at_end=True)
    left.dataframe({"digit": setup.digits, "result": rec.outcomes}, hide_index=True)
    with right:
        with ui.main_figure():
            st.markdown(rec.headline())
            shown = min(k, rec.n_iter)
            caption = f"Stored, noisy, and after iteration {shown} ({rec.settling()})."
            ui.image_grid(rec.frames(k), ncols=len(setup.digits), pad_value=0.3, caption=caption)
        if rec.hebb_blends:
            st.info(ex.HEBB_BLENDS)


def digits_tab(seed: int) -> None:
    setup = network_controls()
    digits_under_noise(setup, seed)
    with st.expander("Sweep: retrieval accuracy against noise for every rule", expanded=True):
        s1, s2 = st.columns([1, 2])
        kw = dict(key="hop_sweep_kind", horizontal=True, format_func=ex.SWEEP_KINDS.get)
        kind = s1.radio("Kind of noise", list(ex.SWEEP_KINDS), **kw)
        with s1:
            note = "each rule stores the chosen digits, then recalls noisy copies at 11 levels"
            args = (ex.digit_noise_sweep, setup, kind, d.sweep_repeats(), seed)
            sweep = ui.on_demand("Run the sweep", *args, key="hop_sweep", note=note)
        if sweep is not None:
            with s2:
                ui.show_chart(hch.noise_sweep_chart(sweep.table, kind=sweep.kind))
                ui.show_chart(hch.iterations_chart(sweep.table, kind=sweep.kind))
                st.caption(sweep.caption)


def small_tab(seed: int) -> None:
    c1, c2, c3 = st.columns(3)
    preset = ui.control(d.PRESET, c1)
    own = d.PRESETS[preset] is None
    typed = ui.control(d.OWN_TARGETS, c1, disabled=not own)
    rule = ui.control(d.RULE, c2)
    dynamics = ui.control(d.DYN, c2, disabled=rule == "newhop")
    max_iter = ui.control(d.ITER, c2)
    starts = ui.control(d.START_KIND, c3)
    n_random = ui.control(d.N_RANDOM, c3, disabled=starts != ex.STARTS[0])
    point = ui.control(d.POINT, c3, disabled=starts != ex.STARTS[2])
    try:
        targets = typed if own else d.PRESETS[preset]
        setup = ex.small_setup(targets, rule, dynamics, max_iter, starts, n_random, point, seed)
    except ValueError as exc:
        return st.error(str(exc))
    if setup.n > ex.MAX_NEURONS:
        return st.warning("Keep own targets to at most 10 neurons here; the digits tab shows big networks.")
    net = ui.call(ex.small_network, setup)
    left, right = st.columns(2)
    with left:
        state_space(net)
    with right:
        ui.show_chart(ui.call(hch.energy_lines, net.tr, net.labels))
        if net.drawn_note():
            st.caption(net.drawn_note())
        st.markdown(net.corners_line())
    st.subheader("Where the starts ended")
    st.dataframe(net.table.style.format(ex.BASIN_FORMAT), hide_index=True, width="stretch")
    st.markdown("\n".join("- " + note for note in net.notes))
    if net.lost_warning():
        st.warning(net.lost_warning())
    with st.expander("The four storage rules, one line each"):
        st.markdown(ex.STORAGE_RULES)


@st.fragment
def state_space(net: ex.SmallNetwork) -> None:
    az, el = d.AZIMUTH, d.ELEVATION
    if net.n == 3:
        a1, a2 = st.columns(2)
        az = a1.slider("Turn the cube (azimuth, degrees)", -180, 180, az, 5, key="hop_az")
        el = a2.slider("Tilt (elevation, degrees)", -60, 80, el, 5, key="hop_el")
    chart = ui.call(hch.state_space, net.tr, net.labels, net.targets, azimuth=az, elevation=el)
    if chart is not None:
        return ui.show_chart(chart)
    st.info(f"{net.n} neurons cannot be drawn as a picture; the energy and the table still tell the story.")


@st.fragment
def draw_tab(seed: int) -> None:
    setup = network_controls()
    k1, k2 = st.columns([1, 2])
    with k1:
        drawn = ui.draw_digit("hop_canvas", side=setup.side, page="Hopfield")
    if drawn is None:
        return
    dr = ui.call(ex.drawing_retrieval, drawn, setup, seed)
    last, tip = len(dr.frames) - 1, "Step through the recall: 0 is your binarised drawing."
    ui.keep_in_range("hop_step", min_value=0, max_value=last)  # another drawing or setup: fewer frames
    k = k2.slider("Iteration", 0, last, last, key="hop_step", help=tip) if last > 0 else 0
    i1, i2 = k2.columns([1, 2])
    with i1:
        caption = f"Your digit (binarised) and iteration {k}"
        ui.image_grid(dr.frames[[0, k]], ncols=2, pad_value=0.3, width=300, caption=caption)
    with i2:
        ui.show_chart(hch.energy_step(dr.energy, k))
    k2.markdown(dr.settled())


def capacity_tab(seed: int) -> None:
    e1, e2, e3 = st.columns(3)
    patterns = ui.control(d.CAP_PATTERNS, e1)
    n = ui.control(d.CAP_N, e1, disabled=patterns == "digits")
    slot = e2.container()  # the trials slider sits above the updates it depends on
    dyn = ui.control(d.CAP_DYN, e2)
    trials = ui.control(d.trials_control(patterns, dyn), slot)
    metric = ui.control(d.METRIC, e3)
    if patterns == "digits":
        with st.spinner("Storing the digits 0 .. P-1 with three rules and probing them..."):
            cap = ui.call(ex.digit_capacity, d.digits(), dyn, trials, seed)
        n = cap.setup.n
    else:
        with st.spinner("Storing P = 1 .. N/2 random patterns with three rules and probing them..."):
            cap = ui.call(ex.capacity, ex.CapacitySetup(n, trials), seed, dyn)
    ui.show_chart(ui.call(hch.capacity_chart, cap.table, n, metric=metric))
    st.markdown(cap.summary())


tabs = st.tabs(TABS, on_change="rerun", key="hop_tab", bind="query-params")
for tab, show in zip(tabs, (digits_tab, small_tab, draw_tab, capacity_tab), strict=True):
    if tab.open:
        with tab:
            show(ui.current().seed)
