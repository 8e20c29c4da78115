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
    return float(next(m.value for m in at.metric if m.label == "Error on the gap"))


def shows_dbm(at) -> bool:
    """Whether any chart's data names the DBM (chart data travel as Arrow bytes)."""
    return any(b"DBM" in ds.data.data for c in at.get("vega_lite_chart") for ds in c.proto.datasets)


def stored(family: str) -> int:
    return len(list(cache_dir().glob(f"{family}-*.pt")))


def test_controls_change_the_inpainting():
    at = open_rbm()
    assert not at.error
    assert [m.label for m in at.metric][:2] == ["Label right: RBM fill", "Label right: mean fill"]
    assert len(at.metric) == 4
    n = defaults.n_scored()
    summary = next(m.value for m in at.markdown if "Scored on the first" in m.value)
    assert f"first {n} test digits" in summary and f"{defaults.N_SHOWN} examples" in summary
    assert "95 % CI" in summary  # fast mode scores 100 digits: fewer than 200, so the interval shows
    assert at.select_slider(key="rbm_recon_steps").label == "Gibbs steps"
    base = error_metric(at)
    assert 0.0 < base < 0.25  # better than a coin flip on the missing pixels
    # one Gibbs step (no averaging) from random missing pixels is much worse than 100 steps
    at.select_slider(key="rbm_recon_steps").set_value(1).run()
    assert not errors(at)
    assert error_metric(at) > base
    at.select_slider(key="rbm_recon_steps").set_value(defaults.RECON_STEPS.default).run()
    assert error_metric(at) == base  # seeded: the same number again
    assert at.select_slider(key="rbm_chains").value == defaults.N_CHAINS
    grid = str(at.get("image")[0].proto)  # the image grid (its media URL names its pixels)
    at.select_slider(key="rbm_chains").set_value(4).run()  # the mean of 4 chains per digit
    assert not errors(at)
    assert str(at.get("image")[0].proto) != grid
    assert any("the mean of 4 chains per digit" in c.value for c in at.caption)
    assert not at.metric and at.button(key="rbm_score_button")  # too much sampling to run by itself
    at.button(key="rbm_score_button").click().run()
    assert not errors(at) and len(at.metric) == 4
    at.select_slider(key="rbm_chains").set_value(defaults.N_CHAINS).run()
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


def test_the_gibbs_slider_picks_a_snapshot_of_one_chain(monkeypatch):
    from annlab.boltzmann import inpaint

    runs, scored = [], []
    real = inpaint.gibbs_snapshots

    def spy(*a, **k):  # the figure's chain (8 digits x chains) apart from the scoring's (n_scored digits)
        (runs if len(a[1]) < defaults.n_scored() else scored).append(a[2])
        return real(*a, **k)

    monkeypatch.setattr(inpaint, "gibbs_snapshots", spy)
    st.cache_data.clear()
    st.cache_resource.clear()  # the scoring's result lives in the shared memory of ui.call(progress=...)
    at = open_rbm()
    assert len(runs) == 1 and max(runs[0]) == max(defaults.STEP_OPTIONS)  # one chain, to the largest step
    assert len(scored) == 1 and max(scored[0]) == defaults.SHORT_CHAIN  # the scoring: short first
    seen = {error_metric(at)}
    for steps in (1, 20, 200):
        at.select_slider(key="rbm_recon_steps").set_value(steps).run()
        assert not errors(at)
        seen.add(error_metric(at))
    assert len(runs) == 1 and len(seen) > 1  # the figure changed, the chain did not run again
    assert len(scored) == 1  # nor did the scoring
    at.select_slider(key="rbm_recon_steps").set_value(2000).run()
    assert not errors(at) and len(runs) == 1 and len(scored) == 1 and not at.metric  # scored on a button
    at.button(key="rbm_score_button").click().run()
    assert not errors(at) and max(scored[-1]) == max(defaults.STEP_OPTIONS) and len(at.metric) == 4
    at.select_slider(key="rbm_recon_steps").set_value(100).run()
    at.select_slider(key="rbm_chains").set_value(4).run()  # several chains per digit: short first
    assert len(runs) == 2 and max(runs[1]) == defaults.SHORT_CHAIN
    at.select_slider(key="rbm_recon_steps").set_value(1000).run()
    assert len(runs) == 3 and max(runs[2]) == max(defaults.STEP_OPTIONS)  # once, to the largest step


def test_likelihood_tab_draws_exact_and_pseudo_likelihood_for_cd_and_pcd(empty_store):
    at = open_rbm({"rbm_tab": "Likelihood: CD vs PCD"})
    assert not errors(at) and not at.error
    assert stored("RBMConfig") == 3  # the page's RBM and the two small ones
    data = b"".join(ds.data.data for c in at.get("vega_lite_chart") for ds in c.proto.datasets)
    assert b"exact log-likelihood" in data and b"free-energy gap" in data and b"PCD" in data
    assert any("partition function" in m.value for m in at.markdown)
    before = fingerprint(at)
    at.select_slider(key="rbm_small_hidden").set_value(4).run()
    assert not errors(at) and fingerprint(at) != before


def test_dbm_tab_keeps_its_curves_and_judges_the_samples():
    at = open_rbm({"rbm_tab": "Deep Boltzmann machine"})
    titles = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("DBM training" in t for t in titles)
    judged = [m.value for m in at.markdown if "recognises" in m.value]
    assert len(judged) == 2 and "DBM samples" in judged[0]
