"""The WikiArt page in AppTest (fast mode), opened through the app's navigation.

The prior correction and a remedy change the result, lazy tabs train only when opened, the remedy
table fills on its button, a broken upload gets a sentence, a configured folder is read, and after
``defaults.warm`` opening the page on defaults trains nothing.
"""

import json

import numpy as np
import streamlit as st
from pagetest import errors, open_page
from PIL import Image

from annlab import store
from annlab.settings import cache_dir
from annlab.wikiart import defaults

VIEW = "views/wikiart.py"


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _fresh_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    st.cache_resource.clear()  # forget in-memory models: only the (empty) store may answer
    st.cache_data.clear()


def _stored(prefix):
    return sorted(p.name for p in cache_dir().glob(f"{prefix}-*.pt"))


def test_prior_correction_and_a_remedy_change_the_classifier():
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert at.title[0].value == "WikiArt styles"
    assert any("synthetic" in c.value for c in at.caption)  # no WikiArt configured in tests: said on screen
    assert at.slider(key="art_prior").value == defaults.PRIOR.default
    before = _metric(at, "Balanced accuracy")
    assert _metric(at, "Baseline").endswith("%")
    assert _metric(at, "Recall of the 3 rarest styles").endswith("%")
    assert any("3 smallest styles' mean recall" in c.value and "95 % interval" in c.value for c in at.caption)
    chosen = [m.value for m in at.markdown if m.value.startswith("**Prior correction, α = ")]
    assert len(chosen) == 1 and "scored once on the test split" in chosen[0]

    def explored():
        return next(c.value for c in at.caption if c.value.startswith("Exploring on the test split"))

    assert "α = 0.00" in explored()
    at.slider(key="art_prior").set_value(1.0).run()
    assert not errors(at), errors(at)
    assert "α = 1.00" in explored()  # no retraining: the same probabilities, re-weighed
    assert _metric(at, "Balanced accuracy") == before  # the headline stays the plain network's
    assert [m.value for m in at.markdown if m.value.startswith("**Prior correction")] == chosen  # not slid
    headline = ("Test accuracy", "Balanced accuracy", "Recall of the 3 rarest styles")
    plain = [_metric(at, label) for label in headline]

    at.toggle(key="art_oversample").set_value(True).run()
    assert not errors(at), errors(at)
    assert any("Remedies: **oversample**" in c.value for c in at.caption)
    assert [_metric(at, label) for label in headline] != plain  # another network


def test_lazy_tabs_train_only_when_opened(tmp_path, monkeypatch):
    _fresh_store(tmp_path, monkeypatch)
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert len(_stored("CNNConfig")) == 1 and _stored("ArtAEConfig") == []  # Classifier: the CNN only

    at = open_page(VIEW, {"art_tab": "Imbalance remedies", "art_seeds": "1"})  # one seed per remedy
    assert not errors(at), errors(at)
    assert len(_stored("CNNConfig")) == 1  # the remedy runs wait for their button
    at.button(key="art_runs_button").click().run()
    assert not errors(at), errors(at)
    table = at.dataframe[-1].value
    assert list(table["remedy"]) == [*defaults.REMEDIES, "always the largest style"]
    assert table["balanced accuracy"].between(0, 1).all()
    assert len(_stored("CNNConfig")) == len(defaults.REMEDIES)  # "none" is the default CNN
    assert _stored("ArtAEConfig") == []

    at = open_page(VIEW, {"art_tab": "Clustering"})
    assert not errors(at), errors(at)
    assert len(_stored("ArtAEConfig")) == 1
    assert 0 <= float(_metric(at, "NMI (last epoch)")) <= 1
    methods = list(at.dataframe[0].value["method"])
    assert methods[0] == "k-means on the autoencoder's codes" and "k-means on raw pixels" in methods
    at.selectbox(key="art_ae_opt").set_value("sgd_report").run()  # the report's SGD, lr 6e-5, L2
    assert not errors(at), errors(at)
    assert len(_stored("ArtAEConfig")) == 2


def test_early_stopping_score_is_disabled_without_early_stopping():
    at = open_page(VIEW)
    assert not at.selectbox(key="art_stop").disabled
    at.slider(key="art_patience").set_value(0).run()
    assert not errors(at), errors(at)
    assert at.selectbox(key="art_stop").disabled
    assert "patience 0" in at.selectbox(key="art_stop").help


def test_remedy_effects_come_with_their_interval(tmp_path, monkeypatch):
    _fresh_store(tmp_path, monkeypatch)
    at = open_page(VIEW, {"art_tab": "Imbalance remedies", "art_seeds": "2"})
    at.button(key="art_runs_button").click().run()
    assert not errors(at), errors(at)
    text = " ".join(m.value for m in at.markdown)
    assert "Without a remedy the 3 rarest styles' recall is" in text
    assert "95 % interval" in text


def test_a_broken_upload_gets_a_sentence():
    at = open_page(VIEW, {"art_tab": "Your picture"})
    assert not errors(at), errors(at)
    assert any("Test picture 0" in str(node.proto) for node in at.main)  # a test picture before any upload
    at.get("file_uploader")[0].set_value(("broken.png", b"\x89PNG\r\n\x1a\n not really", "image/png")).run()
    assert not errors(at), errors(at)
    assert any("That file cannot be used" in e.value for e in at.error)


def test_after_warm_the_page_trains_nothing_on_defaults(tmp_path, monkeypatch):
    _fresh_store(tmp_path, monkeypatch)
    defaults.warm("cpu", None, lambda text: None)
    assert len(_stored("CNNConfig")) == 1 and len(_stored("ArtAEConfig")) == 1
    st.cache_resource.clear()
    st.cache_data.clear()
    before = len(store.TRAINED)
    for tab in ("Classifier", "Your picture", "Clustering"):
        at = open_page(VIEW, {"art_tab": tab})
        assert not errors(at), errors(at)
    assert store.TRAINED[before:] == []


def _course_folder(root, n_train=8, n_test=3):
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        for k, style in enumerate(("Baroque", "Cubism", "Fauvism")):
            d = root / split / style
            d.mkdir(parents=True)
            for i in range(n + (k == 0) * 4):
                base = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200]][k], np.uint8)
                img = np.clip(base + rng.normal(0, 30, (30, 40, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(d / f"{i}.png")
    (root / "train" / "Cubism" / "broken.jpg").write_bytes(b"")


def test_wikiart_page_reads_a_configured_folder(tmp_path, monkeypatch):
    _course_folder(tmp_path)
    monkeypatch.setenv("ANNLAB_WIKIART_DIR", str(tmp_path))
    at = open_page(VIEW, {"art_tab": "Data"})
    assert not errors(at), errors(at)
    assert not any("synthetic" in i.value for i in at.info)
    assert any("course layout" in c.value for c in at.caption)
    assert any("1 file(s) could not be read" in w.value for w in at.warning)
    assert at.selectbox(key="art_side").options == ["32", "64", "128"]
    assert at.selectbox(key="art_per_style").value == defaults.PER_STYLE
    assert _metric(at, "Training / test pictures") == "28 / 13"


def test_wikiart_page_explains_an_unusable_folder(tmp_path, monkeypatch):
    (tmp_path / "OnlyStyle").mkdir()
    monkeypatch.setenv("ANNLAB_WIKIART_DIR", str(tmp_path))
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert any("no pictures" in w.value and "built-in" in w.value for w in at.warning)


def test_the_command_line_trains_into_the_store_the_page_reads(tmp_path, monkeypatch, capsys):
    from annlab.__main__ import main

    _fresh_store(tmp_path, monkeypatch)
    epochs = defaults.cnn(defaults.data()).num_epochs  # the page's "Max epochs" default (fast mode: 2)
    assert main(["wikiart", "train", "--epochs", str(epochs), "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out.strip().splitlines()[-1])  # the metrics, as JSON at the end
    assert out["from_cache"] is False and out["remedy"] == "none" and 0 <= out["balanced_acc"] <= 1
    assert f"epoch {epochs}/{epochs}" in captured.err  # the progress bar
    assert _stored("CNNConfig") == [out["store_key"] + ".pt"]
    st.cache_resource.clear()
    st.cache_data.clear()
    before = len(store.TRAINED)
    at = open_page(VIEW)
    assert not errors(at), errors(at)
    assert store.TRAINED[before:] == []  # the page loaded what the command line trained
    assert main(["wikiart", "train", "--epochs", str(epochs), "--remedy", "top_up", "--remedy", "focal"]) == 0
    assert json.loads(capsys.readouterr().out.strip())["remedy"] == "top-up + focal"
    before = len(store.TRAINED)  # the command line trained that one
    at = open_page(VIEW, {"art_topup": "1", "art_focal": "1"})
    assert not errors(at), errors(at)
    assert store.TRAINED[before:] == []  # the page's toggles ask the store for the same network
