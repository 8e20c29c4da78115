"""The Stacked autoencoders page: it renders, the labelled-digit count retrains only the classifiers,
the stack settings retrain the layers, the sweep runs on a button, and the layer tab shows its images."""

from pagetest import errors, fingerprint, open_page

from annlab.settings import cache_dir
from annlab.stacked import defaults

VIEW = "views/stacked.py"


def open_sae(query: dict | None = None):
    at = open_page(VIEW, query)
    assert not errors(at), errors(at)
    return at


def stored(family: str) -> int:
    return len(list(cache_dir().glob(f"{family}-*.pt")))


def sweep_charts(at) -> int:
    """Charts of accuracy against the number of labels on the screen."""
    return sum("Where pretraining helps" in c.proto.spec for c in at.get("vega_lite_chart"))


def table_text(at) -> str:
    return " ".join(str(df.value) for df in at.dataframe)


def test_labels_retrain_only_the_classifiers(empty_store):
    at = open_sae()
    assert at.title[0].value == "Stacked autoencoders"
    assert stored("LayerConfig") == defaults.STACK.n_layers and stored("ClassifierConfig") == 3
    assert at.select_slider(key="sae_labels").value == defaults.LABELS.default
    assert "100 labelled digits" in " ".join(m.value for m in at.markdown)
    assert "3,600 fit images" in " ".join(m.value for m in at.markdown)
    assert "400 validation digits" in " ".join(m.value for m in at.markdown)
    before = fingerprint(at)
    at.select_slider(key="sae_labels").set_value(500).run()
    assert not errors(at), errors(at)
    assert fingerprint(at) != before
    assert "500 labelled digits" in " ".join(m.value for m in at.markdown)
    assert stored("LayerConfig") == defaults.STACK.n_layers  # the stack was not retrained
    assert stored("ClassifierConfig") == 6  # three new classifiers


def test_stack_settings_retrain_the_layers(empty_store):
    at = open_sae({"sae_layers": "2", "sae_units": "64"})
    assert stored("LayerConfig") == 2
    assert "784-64-32" in " ".join(m.value for m in at.markdown)
    at.select_slider(key="sae_noise").set_value(0.0).run()
    assert not errors(at), errors(at)
    assert stored("LayerConfig") == 4  # layer 1 changed, so layer 2 (which starts from it) is new too
    assert "denoising" not in " ".join(m.value for m in at.markdown if "Pretraining" in m.value)


def test_sweep_runs_on_a_button_and_draws_the_label_curve(empty_store):
    at = open_sae({"sae_layers": "1", "sae_units": "64"})
    button = at.button(key="sae_sweep_button")
    assert sweep_charts(at) == 0  # nothing trained for the sweep before the press
    button.click().run()
    assert not errors(at), errors(at)
    assert stored("ClassifierConfig") == 3 * len(defaults.LABEL_COUNTS)
    assert sweep_charts(at) == 1
    assert "3600" in table_text(at) or "3,600" in table_text(at)
    again = open_sae({"sae_layers": "1", "sae_units": "64"})  # now stored: shown without a button
    assert sweep_charts(again) == 1 and "sae_sweep_button" not in [b.key for b in again.button]


def test_layer_tab_shows_filters_and_reconstructions():
    at = open_sae({"sae_tab": "Layer by layer"})
    assert len(at.get("image")) == 2
    assert any("from layer 3" in c.value and "(PCA 0." in c.value for c in at.caption)
    table = next(df.value for df in at.dataframe if "PCA MSE" in df.value.columns)
    assert list(table["input -> code"]) == ["784 -> 512", "512 -> 256", "256 -> 128"]
    assert (table["PCA MSE"] > 0).all() and (table["autoencoder MSE"] > 0).all()
    assert any("PCA with as many components" in c.value for c in at.caption)


def test_why_tab_quotes_the_report_and_cites_the_papers():
    at = open_sae({"sae_tab": "What pretraining buys"})
    text = " ".join(m.value for m in at.markdown)
    assert "Bengio et al. (2007)" in text and "Vincent et al. (2010)" in text
    assert "0.954" in table_text(at) or "0.954" in fingerprint(at)


def test_bad_link_values_fall_back_to_the_defaults():
    at = open_sae({"sae_labels": "7", "sae_layers": "nine"})
    assert at.select_slider(key="sae_labels").value == defaults.LABELS.default
    assert at.select_slider(key="sae_layers").value == defaults.STACK.n_layers


def test_warp_control_retrains_only_the_classifiers(empty_store):
    at = open_sae({"sae_layers": "1", "sae_units": "64", "sae_warp": "2.0"})
    assert at.select_slider(key="sae_warp").value == 2.0
    assert "elastic distortions of up to about 2 pixels" in " ".join(m.value for m in at.markdown)
    before = fingerprint(at)
    at.select_slider(key="sae_warp").set_value(0.0).run()
    assert not errors(at), errors(at)
    assert fingerprint(at) != before
    assert "elastic" not in " ".join(m.value for m in at.markdown if "Three classifiers" in m.value)
    assert stored("LayerConfig") == 1  # the augmentation never retrains the stack
    assert stored("ClassifierConfig") == 6


def test_subset_gains_run_on_a_button_and_follow_the_measurement(empty_store):
    query = {"sae_layers": "1", "sae_units": "64", "sae_tab": "What pretraining buys"}
    at = open_sae(query)
    assert stored("ClassifierConfig") == 3  # only the page's own three before the press
    at.button(key="sae_subsets_button").click().run()
    assert not errors(at), errors(at)
    assert stored("ClassifierConfig") == 3 * defaults.N_SUBSETS  # the first subset is the page's own
    text = " ".join(m.value for m in at.markdown)
    assert f"{defaults.N_SUBSETS} labelled subsets of 100 digits" in text and "points on average" in text
    again = open_sae(query)  # now stored: shown without a button
    assert "sae_subsets_button" not in [b.key for b in again.button]
    assert "points on average" in " ".join(m.value for m in again.markdown)
