"""Attention: self-attention matrix by matrix (NumPy and torch), then a Vision Transformer on digits."""

import streamlit as st

from annlab import ui
from annlab.attention import charts as C
from annlab.attention import defaults as D
from annlab.attention import experiments as ex

lab = ui.current()
ui.page("Attention and Vision Transformers", ex.LEAD, look_for=ex.LOOK_FOR)


def matrix_row(panels) -> None:
    """Matrices side by side, one column each."""
    for col, (value, title, options) in zip(st.columns(len(panels)), panels, strict=True):
        with col:
            ui.chart(C.matrix, value, title, **options)


def steps_tab():
    pop, c_dk, c_scale, c_mask, c_head = st.columns([1.1, 1.5, 1.4, 1.2, 0.9], vertical_alignment="bottom")
    with pop.popover("Sizes", icon=":material/tune:", width="stretch"):
        src = ui.control(D.SOURCE)
        patches = src != D.SOURCES[0]
        digit = ui.control(D.DIGIT, disabled=not patches)
        n, d_model = ui.control(D.N, disabled=patches), ui.control(D.D_MODEL, disabled=patches)
        d_v, heads = ui.control(D.D_V), ui.control(D.HEADS)
    d_k, scaled, causal = ui.control(D.D_K, c_dk), ui.control(D.SCALED, c_scale), ui.control(D.CAUSAL, c_mask)
    head = ui.control(D.head_control(heads), c_head)
    setup = D.ToySetup(n, d_model, d_k, d_v, heads, causal, scaled, src, int(digit), lab.seed)
    s = ui.call(ex.step_by_step, setup)
    panels = s.panels(head)
    with ui.main_figure():
        matrix_row(panels["main"])
    what = f"the 16 patches (7 x 7 = 49 pixels) of test digit #{int(digit)}" if patches else "random"
    st.caption(f"{s.setup.n} tokens of {s.setup.d_model} features ({what}), {heads} heads of d_v = {d_v}.")
    st.caption(
        f"Mean largest weight per row: **{s.row_max:.2f}** (1 = each token attends to one token only; "
        f"1/n = {1 / s.setup.n:.2f} = even attention). Largest |row sum - 1|: {s.row_sum_error:.1e}."
    )
    st.markdown("**The projections: each token's query, key and value**")
    matrix_row(panels["projections"])
    st.markdown("**The outputs: weights times values, heads concatenated, mixed by W_O**")
    matrix_row(panels["outputs"])
    st.markdown("**NumPy, torch and `torch.nn.functional.scaled_dot_product_attention`, run live**")
    for col, (what, diff) in zip(st.columns(3), s.diffs.items(), strict=True):
        col.metric(f"Largest difference: {what}", f"{diff:.1e}")
    numpy_src, torch_src = ex.code_listing()
    with st.expander("The code that ran, side by side", icon=":material/code:"):
        c1, c2 = st.columns(2)
        c1.code(numpy_src, language="python")
        c2.code(torch_src, language="python")
    left, right = st.columns([1.3, 1])
    with left:
        ui.chart(C.saturation, ui.call(ex.saturation_curve, setup), d_k, scaled)
    with right:
        st.markdown(ex.QKV_TEXT)
    with st.expander("Every matrix and its shape", icon=":material/table:"):
        st.dataframe(s.shapes(), hide_index=True, width="stretch")


def vit_config():
    """The ViT chosen in the popover (shared by the training and the inside tabs), or None."""
    with st.popover("ViT: patch, dim, depth, heads, mlp_dim, dropout, epochs", icon=":material/tune:"):
        choice = ui.controls(D.VIT_CONTROLS, 2)
    try:
        return D.vit_config(**choice)
    except ValueError as err:
        st.error(str(err))
        return None


def train_tab():
    cfg = vit_config()
    if cfg is None:
        return
    result = ui.train(D.vit_spec(cfg, lab.seed))
    left, right = st.columns([1, 1.4])
    with left:
        table = ui.call(ex.parameter_table, cfg)
        ui.chart(C.parameter_bars, table)
        st.dataframe(table, hide_index=True, width="stretch")
    with right:
        if result.history:
            ui.chart(C.accuracy_curves, ui.call(ex.accuracy_table, result))
    if result.diverged:
        return
    st.subheader("Beside the Convolutions page's CNN and a dense network")
    cnn, dense = ui.train(D.cnn_spec(lab.seed)), ui.train(D.dense_spec(lab.seed))
    table = ui.call(ex.comparison, result, cnn, dense, lab.seed)
    st.dataframe(table.style.format(ex.TABLE_FORMAT), hide_index=True, width="stretch")
    st.caption(ex.comparison_note(lab.seed))


def inside_tab():
    cfg = vit_config()
    if cfg is None:
        return
    result = ui.train(D.vit_spec(cfg, lab.seed), show_curves=False)
    if result.diverged:
        return st.error("This ViT diverged: pick other settings to look inside a working one.")
    left, right = st.columns([1, 2])
    with left:
        start = ui.control(D.START)
        digit = None
        if start == "my drawing":
            digit = ui.draw_digit("vit_canvas", size_px=220, page="Attention")
        if digit is None:
            index = ui.control(D.VIT_DIGIT)
            digit, label = ui.call(ex.test_digit, int(index), lab.seed)
            st.caption(f"Test digit #{int(index)}, a {label}.")
        maps = ui.call(ex.inside, result, digit)
        grid_caption = f"{cfg.n_patches} patches of {cfg.patch} x {cfg.patch}"
        ui.show_image(ex.patch_grid(digit, cfg.patch), caption=grid_caption, width=220)
        ui.chart(C.probabilities, maps.proba)
    with right:
        attention_maps(maps, cfg)
    st.markdown("**Every layer (rows) and head (columns)**: where the CLS token looks.")
    ui.image_grid(maps.overlays(), cfg.heads, width=min(900, 130 * cfg.heads))
    p1, p2 = st.columns(2)
    with p1:
        st.markdown("**Position embeddings**: tile i is patch i's cosine similarity to every position.")
        tiles = ex.similarity_tiles(ui.call(ex.position_similarity, result))
        ui.image_grid(tiles, cfg.grid, width=420, pad=1, pad_value=0.2)
        st.caption("White: cosine 1 (same position), black: cosine 0 or below.")
    with p2:
        st.markdown("**Patch-embedding filters**: their first principal components.")
        comps, ratio = ui.call(ex.embedding_components, result)
        ui.image_grid(comps, 8, normalise_each=True, width=420)
        st.caption(f"The first {len(comps)} components explain {ratio.sum():.0%} of the filters' variance.")


@st.fragment
def attention_maps(maps: ex.Inside, cfg) -> None:
    """Layer and head only pick among the maps computed once for this digit."""
    s1, s2 = st.columns(2)
    layer = ui.control(D.layer_control(cfg.depth), s1, disabled=cfg.depth == 1)
    head = ui.control(D.vit_head_control(cfg.heads), s2, disabled=cfg.heads == 1)
    layer, head = min(layer, cfg.depth), min(head, cfg.heads)
    m1, m2 = st.columns(2)
    with m1:
        ui.show_image(ex.overlay(maps.digit, maps.cls_maps[layer - 1, head - 1]), width=300)
        st.caption(f"CLS attention, layer {layer}, head {head} (bright = more weight)")
    with m2:
        ui.show_image(ex.overlay(maps.digit, maps.rollout), width=300)
        st.caption("Attention rollout across all layers (heads averaged)")
    st.markdown(f"The ViT says **{maps.prediction}** ({maps.proba.max():.0%}).")


def grid_tab():
    st.markdown(ex.GRID_TEXT)
    epochs = ui.control(D.GRID_EPOCHS)
    note = f"trains 7 ViTs for {epochs} epochs each into the model store: minutes on 2 cores"
    run = dict(device=lab.device, seed=lab.seed, key="vit_grid", progress=True, note=note)
    grid = ui.on_demand("Train the report's architectures", ex.report_grid, epochs, **run)
    if grid is not None:
        ui.chart(C.grid_chart, grid)
        st.dataframe(grid.style.format(ex.TABLE_FORMAT), hide_index=True, width="stretch")


tabs = st.tabs(D.TABS, on_change="rerun", key="att_tab", bind="query-params")
for tab, section in zip(tabs, (steps_tab, train_tab, inside_tab, grid_tab), strict=True):
    if tab.open:
        with tab:
            section()
