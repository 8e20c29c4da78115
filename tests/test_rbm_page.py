"""The RBM inpainting page: renders, its main controls change the output, sweeps run."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "3_RBM_inpainting.py")


def error_metric(at) -> float:
    return float(at.metric[0].value)


def test_rbm_page_controls_change_the_inpainting():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    assert not at.error
    assert len(at.metric) == 3
    base = error_metric(at)
    assert 0.0 < base < 0.25  # better than a coin flip on the missing pixels
    # one Gibbs step (no averaging) from random missing pixels is much worse than 100 steps
    at.select_slider(key="rbm_recon_steps").set_value(1).run()
    assert not at.exception
    assert error_metric(at) > base
    # erasing more rows changes the result
    at.select_slider(key="rbm_recon_steps").set_value(100).run()
    at.slider(key="rbm_rows28").set_value((4, 23)).run()
    assert not at.exception
    assert error_metric(at) != base
    # the region presets work
    at.selectbox(key="rbm_region").set_value("random").run()
    assert not at.exception
    # the 8x8 digits (a second RBM, with its own row and digit controls)
    at.selectbox(key="rbm_region").set_value("rows").run()
    at.selectbox(key="rbm_data").set_value("8x8 digits").run()
    assert not at.exception and not at.error
    assert at.slider(key="rbm_rows8").value[1] <= 7
    # the one-click sweeps run and draw their charts
    at.run()  # a plain rerun: no training, so no live training charts
    n_charts = len(at.get("vega_lite_chart"))
    at.button(key="rbm_run_sweeps").click().run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == n_charts + 6
