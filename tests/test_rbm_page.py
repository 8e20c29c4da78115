"""The RBM inpainting page: its controls change the inpainting, lazy tabs train only when opened, the
sweeps run on a button, and after the warm-up the page trains nothing."""

import streamlit as st
from pagetest import errors, fingerprint, open_page

from annlab import store
from annlab.boltzmann import defaults
from annlab.settings import cache_dir

VIEW = "views/rbm_inpainting.py"


def open_rbm(query: dict | None = None):
    """The page through the app's navigation, with ``query`` in the URL; it raised nothing."""
    at = open_page(VIEW, query)
    assert not errors(at), errors(at)
    return at


def error_metric(at) -> float:
    return float(at.metric[0].value)


def shows_dbm(at) -> bool:
    """Whether any chart's data names the DBM (chart data travel as Arrow bytes)."""
    return any(b"DBM" in ds.data.data for c in at.get("vega_lite_chart") for ds in c.proto.datasets)


def stored(family: str) -> int:
    return len(list(cache_dir().glob(f"{family}-*.pt")))


def test_controls_change_the_inpainting():
    at = open_rbm()
    assert not at.error
    assert len(at.metric) == 3
    assert at.select_slider(key="rbm_recon_steps").label == "Gibbs steps"
    base = error_metric(at)
    assert 0.0 < base < 0.25  # better than a coin flip on the missing pixels
    # one Gibbs step (no averaging) from random missing pixels is much worse than 100 steps
    at.select_slider(key="rbm_recon_steps").set_value(1).run()
    assert not errors(at)
    assert error_metric(at) > base
    at.select_slider(key="rbm_recon_steps").set_value(defaults.RECON_STEPS.default).run()
    assert error_metric(at) == base  # seeded: the same number again
    at.slider(key="rbm_rows28").set_value((4, 23)).run()
    assert not errors(at)
    assert error_metric(at) != base
    at.selectbox(key="rbm_region").set_value("random").run()
    assert not errors(at)
    assert at.slider(key="rbm_frac").value == defaults.FRACTION.default
    # the 8x8 digits: a second RBM, with its own row and digit controls
    at.selectbox(key="rbm_region").set_value("rows").run()
    at.selectbox(key="rbm_data").set_value("8x8 digits").run()
    assert not errors(at) and not at.error
    assert at.slider(key="rbm_rows8").value[1] <= 7


def test_only_the_dbm_tab_trains_the_dbm(empty_store):
    at = open_rbm()
    assert stored("RBMConfig") == 1 and stored("DBMConfig") == 0
    assert "rbm_gibbs_steps" not in [w.key for w in at.select_slider]  # the Dreaming tab did not run
    at = open_rbm({"rbm_tab": "Deep Boltzmann machine"})
    assert stored("DBMConfig") == 1
    keys = [w.key for w in at.select_slider]
    assert "rbm_gibbs_steps" in keys and "rbm_recon_steps" not in keys  # only the open tab ran
    before = fingerprint(at)
    at.select_slider(key="rbm_gibbs_steps").set_value(20).run()
    assert not errors(at)
    assert fingerprint(at) != before


def test_dreaming_tab_steps_change_the_dreams():
    at = open_rbm({"rbm_tab": "Dreaming (Gibbs sampling)", "rbm_gibbs_steps": "50"})
    assert at.select_slider(key="rbm_gibbs_steps").value == 50
    before = fingerprint(at)
    at.select_slider(key="rbm_gibbs_steps").set_value(5).run()
    assert not errors(at)
    assert fingerprint(at) != before


def test_sweeps_run_on_the_button_and_include_the_dbm_only_when_asked(empty_store):
    at = open_rbm({"rbm_tab": "Inpainting sweeps"})
    at.run()  # a plain rerun: no training, so no live training chart
    n_charts = len(at.get("vega_lite_chart"))  # the learning curves' panel
    at.button(key="rbm_sweeps_button").click().run()
    assert not errors(at)
    charts = at.get("vega_lite_chart")
    assert len(charts) == n_charts + 6
    assert stored("DBMConfig") == 0
    assert b"RBM" in charts[-1].proto.datasets[0].data.data and not shows_dbm(at)
    at.toggle(key="rbm_sweep_dbm").set_value(True).run()
    assert not errors(at)
    assert stored("DBMConfig") == 1
    assert any("earlier settings" in w.value for w in at.warning)  # the old result is marked stale
    at.button(key="rbm_sweeps_button").click().run()
    assert not errors(at)
    assert shows_dbm(at)


def test_after_warm_the_page_trains_nothing(empty_store):
    defaults.warm("cpu", None, lambda text: None)
    st.cache_resource.clear()
    st.cache_data.clear()
    before = len(store.TRAINED)
    open_rbm()
    open_rbm({"rbm_tab": "Deep Boltzmann machine"})
    assert store.TRAINED[before:] == []
