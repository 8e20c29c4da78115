"""The Attention page through AppTest: the step-by-step controls change the matrices, the ViT tabs train
through the store and show their comparison and attention maps, the grid waits for its button; and in
a real browser, a digit drawn on the canvas goes through the ViT."""

import pytest
from pagetest import errors, fingerprint, open_page

from annlab.attention import defaults as D
from annlab.attention import experiments as ex

VIEW = "views/attention.py"


def open_att(query: dict | None = None):
    at = open_page(VIEW, query)
    assert not errors(at), errors(at)
    assert not at.error, [e.value for e in at.error]
    return at


def charts_data(at) -> bytes:
    return b"".join(ds.data.data for c in at.get("vega_lite_chart") for ds in c.proto.datasets)


def metric(at, start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(start))


def test_step_by_step_defaults_and_agreement():
    at = open_att()
    assert at.slider(key="att_dk").value == D.D_K.default
    assert len(at.get("vega_lite_chart")) >= 9  # scores, weights, X, Q, K, V, A V, concat, output, saturation
    for start in ("Largest difference: NumPy vs torch", "Largest difference: NumPy vs scaled"):
        assert float(metric(at, start)) <= 1e-5
    assert [c.language for c in at.code] == ["python", "python"]


def test_dk_and_scaling_change_the_matrices_and_saturate_the_softmax():
    at = open_att()
    before = charts_data(at)
    at.slider(key="att_dk").set_value(128).run()
    assert not errors(at)
    assert charts_data(at) != before
    scaled = ex.step_by_step(D.ToySetup(d_k=128))
    at.toggle(key="att_scaled").set_value(False).run()
    assert not errors(at)
    raw = ex.step_by_step(D.ToySetup(d_k=128, scaled=False))
    assert raw.row_max > 0.9 > scaled.row_max
    assert f"**{raw.row_max:.2f}**" in fingerprint(at)


def test_causal_mask_heads_and_digit_tokens():
    at = open_att({"att_causal": "true", "att_heads": "3"})
    assert b"masked" in charts_data(at)
    assert [str(o) for o in at.radio(key="att_head").options] == ["1", "2", "3"]
    before = charts_data(at)
    at.radio(key="att_head").set_value(3).run()
    assert not errors(at) and charts_data(at) != before
    at.radio(key="att_src").set_value(D.SOURCES[1]).run()
    assert not errors(at)
    assert at.slider(key="att_n").disabled
    assert "16 patches (7 x 7 = 49 pixels) of test digit #0" in fingerprint(at)


def test_train_tab_compares_with_the_cnn_and_a_dense_network():
    at = open_att({"att_tab": D.TABS[1]})
    table = at.dataframe[-1].value
    assert list(table["network"]) == ["ViT (this page)", "CNN (Convolutions page default)", "dense network"]
    assert table["test accuracy"].between(0, 1).all() and (table["± std. error"] > 0).all()
    assert any(
        "3,600 MNIST-5k training digits" in c.value and "400 validation" in c.value for c in at.caption
    )
    parts = at.dataframe[0].value
    assert (
        parts.set_index("part").parameters["total"]
        == ex.parameter_table(D.vit_spec().cfg).parameters.iloc[-1]
    )
    before = fingerprint(at)
    at.select_slider(key="vit_dim").set_value(32).run()  # a new ViT: trained, and counted anew
    assert not errors(at)
    assert fingerprint(at) != before


def test_inside_tab_sliders_pick_among_the_maps():
    at = open_att({"att_tab": D.TABS[2], "vit_depth": "2"})
    assert at.slider(key="vit_layer").value == 2
    before = fingerprint(at)
    at.slider(key="vit_head").set_value(3).run()
    assert not errors(at)
    assert fingerprint(at) != before and "layer 2, head 3" in fingerprint(at)
    at.number_input(key="vit_digit").set_value(7).run()
    assert not errors(at) and "Test digit #7" in fingerprint(at)


def test_grid_waits_for_its_button(monkeypatch):
    at = open_att({"att_tab": D.TABS[3]})
    assert at.button(key="vit_grid_button").label == "Train the report's architectures"
    assert not at.dataframe  # nothing trained before the press


def test_report_grid_as_a_plain_function(monkeypatch):
    small = (dict(dim=16, depth=1, heads=2, mlp_dim=16), dict(dim=32, depth=1, heads=4, mlp_dim=32))
    monkeypatch.setattr(D, "REPORT_GRID", small)
    steps = []
    df = ex.report_grid(1, callback=lambda step, info: steps.append(info["fraction"]))
    assert list(df["config"]) == ["dim 16, depth 1, heads 2, mlp 16", "dim 32, depth 1, heads 4, mlp 32"]
    assert df["parameters"].is_monotonic_increasing and df["test accuracy"].between(0, 1).all()
    assert df["validation accuracy"].between(0, 1).all() and (df["validation ± std. error"] > 0).all()
    assert steps[-1] == pytest.approx(1.0) and steps == sorted(steps)


@pytest.mark.browser
def test_a_drawing_goes_through_the_vit():
    from browser import ARTIFACTS, VIEWPORT, chromium_browser, exception_text, prime, settle, streamlit_server
    from test_browser import _draw_stroke

    with streamlit_server(log_name="streamlit-attention.log") as url, chromium_browser() as browser:
        prime(url, browser)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(f"{url}/Attention?att_tab=Inside+the+ViT&vit_start=my+drawing", timeout=120_000)
        settle(page)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=120_000)
        canvas.scroll_into_view_if_needed()
        _draw_stroke(page, canvas)
        page.wait_for_timeout(1000)
        settle(page)
        assert exception_text(page) is None, exception_text(page)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "The ViT says" in text and "The canvas is empty" not in text
        page.screenshot(path=str(ARTIFACTS / "attention-drawn.png"), full_page=True)
