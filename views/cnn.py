"""Convolutions and CNNs: a convolution by hand, parameter counting, CNNs designed and trained on digits."""

import streamlit as st

from annlab import ui
from annlab.cnn import charts, conv, params
from annlab.cnn import defaults as D
from annlab.cnn import experiments as ex

lab = ui.current()
ui.page("Convolutions", D.LEAD, look_for=D.LOOK_FOR)
c_net, c_fit, c_info = st.columns([1.3, 1, 3.4], vertical_alignment="center")
with c_net.popover("Digits and network", icon=":material/tune:", width="stretch"):
    dataset = D.DATASETS[ui.control(D.DATA)]
    net = ui.controls(D.DESIGN)
with c_fit.popover("Training", icon=":material/model_training:", width="stretch"):
    fit = ui.controls(D.TRAINING)
cfg = D.design(dataset, **net, **fit)
problem = params.check(cfg)
if problem is None:
    c_info.caption(f"Design: {cfg.label}, {params.total(cfg):,} parameters (used from the second tab on).")
spec = D.spec(cfg, dataset, lab.seed)


@st.fragment
def kernel_window(hc):
    """The kernel-position slider and its figure: every position was computed once, the slider picks."""
    n = len(hc.windows)
    left, right = st.columns([1, 2.2])
    with left:
        w = hc.windows[min(int(ui.control(D.position_control(n))), n) - 1 if n > 1 else 0]
        cell = f"({w.out_row + 1}, {w.out_col + 1})"
        st.markdown(f"Window {w.index + 1} of {n} gives output cell {cell}:\n\n**{hc.text(w.index)}**")
        for msg in dict.fromkeys(r.message for r in hc.rules if r.message):
            st.warning(msg, icon=":material/grid_off:")
    with right, ui.main_figure():
        ui.chart(charts.window, hc.padded, hc.K, hc.output, hc.p, hc.s, hc.d, param_values={"pos": w.index})


@st.fragment
def rgb_step():
    mc = ui.call(ex.rgb_positions, lab.seed)
    n = mc.output.size
    w = mc.steps[0].windows[min(int(ui.control(D.position_control(n, "cnn_mc_pos"))), n) - 1]
    ui.chart(charts.channels, mc.X, mc.K, mc.per_channel, mc.output, param_values={"pos": w.index})
    cell = f"({w.out_row + 1}, {w.out_col + 1})"
    st.markdown(f"Output cell {cell} = channel sums + bias = **{mc.text(w.index)}**")


def hand_tab():
    a, b, c, d, e = st.columns([2.4, 1.2, 1, 1, 1])
    x_text, k_text = ui.control(D.X_TEXT, a), ui.control(D.K_TEXT, b)
    s, p, dil = ui.control(D.STRIDE, c), ui.control(D.PAD, d), ui.control(D.DIL, e)
    try:
        X = conv.parse_matrix(x_text, name="input")
        K = conv.parse_matrix(k_text, name="kernel", max_side=conv.MAX_KERNEL)
    except ValueError as err:
        st.error(str(err))
        return
    hc = ui.call(ex.hand_positions, X, K, s, p, dil)
    if hc.windows:
        kernel_window(hc)
    else:
        st.warning(next(r.message for r in hc.rules if r.out < 1), icon=":material/grid_off:")
    st.markdown("**The output size**, along each axis:")
    for formula in hc.formulas:
        st.latex(formula)
    st.caption(f"Whole output: {conv.as_nested(hc.output)}. {D.CROSS_CORRELATION}")
    if not hc.windows:
        return
    st.subheader("Several channels: one kernel per channel, summed, plus a bias")
    st.caption(D.RGB)
    rgb_step()


def count_tab():
    preset = D.PRESETS[ui.control(D.PRESET)]
    if preset is None and problem:
        st.error(problem)
        return
    net = preset or cfg
    st.dataframe(ui.call(params.table, net), hide_index=True, width="stretch")
    m1, m2 = st.columns(2)
    m1.metric("Parameters (sum of the table)", f"{params.total(net):,}")
    m2.metric("torch: sum(p.numel() for p in model.parameters())", f"{ui.call(ex.torch_count, net):,}")
    if preset is not None:
        st.info(D.keras_note())


def train_tab():
    result = ui.train(spec)
    dense = ui.train(D.dense_spec(cfg, dataset, lab.seed), show_curves=False)
    logreg = ui.call(ex.logistic_regression, dataset, lab.seed, spec.cfg.n_train)
    scores = [
        ui.call(ex.score, r, dataset, lab.seed, n) for r, n in ((result, "CNN"), (dense, "dense network"))
    ]
    table = ex.score_table([*scores, logreg])
    for col, s in zip(st.columns(3), [*scores, logreg], strict=True):
        col.metric(
            f"{s.name}: test accuracy", s.text, help=f"{s.n} held-out digits; {s.n_params:,} parameters"
        )
    with ui.main_figure():
        ui.chart(charts.scores, table)
    st.dataframe(table.style.format(precision=3), hide_index=True)
    st.caption(D.BASELINES)


def optim_tab():
    st.markdown(D.RACE_INTRO.format(epochs=D.KERAS.num_epochs))
    args = (ex.optimizer_race, D.KERAS, "mnist", lab.seed, lab.device)
    note = f"{len(D.RACE)} trainings: minutes the first time, then from the model store"
    race = ui.on_demand("Race the optimizers", *args, key="cnn_race", progress=True, note=note)
    if race is None:
        return
    for col, against in zip(st.columns(2), ("epoch", "seconds"), strict=True):
        with col:
            ui.chart(charts.race, race.curves, against)
    ui.chart(charts.race_loss, race.curves)
    st.dataframe(race.table.style.format(precision=4), hide_index=True)
    st.caption(D.RACE_NOTE)


def seen_tab():
    result = ui.train(spec, show_curves=False)
    drawn, index = None, 0
    left, right = st.columns([1, 2])
    with left:
        if ui.control(D.SOURCE) == "my drawing":
            drawn = ui.draw_digit("cnn_canvas", side=cfg.side, size_px=220, page="Convolutions")
        else:
            index = int(ui.control(D.digit_control(ui.call(ex.n_test, dataset, lab.seed) - 1)))
    seen = ui.call(ex.what_it_sees, result, dataset, lab.seed, index, drawn)
    with right:
        a, b = st.columns([1, 2])
        with a:
            ui.show_image(seen.image, caption="input", width=160)
        with b:
            ui.chart(charts.probabilities, seen.probs)
    st.markdown(f"**First-layer filters** ({len(seen.filters)} kernels of {cfg.kernel}x{cfg.kernel})")
    ui.image_grid(seen.filters, 16, normalise_each=True, width=560)
    for i, fmap in enumerate(seen.maps, 1):
        rf = seen.receptive["receptive field (pixels)"][i - 1]
        size = f"{len(fmap)} maps of {fmap.shape[1]}x{fmap.shape[2]}"
        st.markdown(f"**Block {i} feature maps**: {size}; one cell sees {rf}x{rf} input pixels")
        ui.image_grid(fmap, 16, normalise_each=True, width=1000)


@st.fragment
def shift_view(sweep):
    k = int(ui.control(D.shift_control(dataset)))
    for col, name in zip(st.columns(2), ("CNN", "dense network"), strict=True):
        acc, base = sweep.at(k)[name], sweep.at(0)[name]
        col.metric(f"{name}: accuracy", f"{acc:.1%}", f"{acc - base:+.1%}", help="change vs unshifted digits")
    left, right = st.columns([3, 2])
    with left:
        ui.chart(charts.shift_curves, sweep.curves, k)
    with right:
        ui.image_grid(sweep.examples[k], 4, caption=f"test digits moved {k} pixels right", width=380)


def why_tab():
    result = ui.train(spec, show_curves=False)
    dense = ui.train(D.dense_spec(cfg, dataset, lab.seed), show_curves=False)
    shift_view(ui.call(ex.shift_sweep, result, dense, dataset, lab.seed, D.MAX_SHIFT[dataset]))
    st.markdown(D.WHY)
    c1, c2 = st.columns(2)
    c1.dataframe(ui.call(params.table, cfg), hide_index=True)
    c2.dataframe(ui.call(params.table, params.matched_dense(cfg)), hide_index=True)


SECTIONS = (hand_tab, count_tab, train_tab, optim_tab, seen_tab, why_tab)
NEEDS_DESIGN = (train_tab, seen_tab, why_tab)  # they train the design: a vanishing one gets words instead
tabs = st.tabs(D.TABS, on_change="rerun", key="cnn_tab", bind="query-params")
for tab, section in zip(tabs, SECTIONS, strict=True):
    if tab.open:
        with tab:
            if problem and section in NEEDS_DESIGN:
                st.error(problem)
            else:
                section()
