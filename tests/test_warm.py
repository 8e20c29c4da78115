"""After ``python -m annlab warm``, opening every page on its defaults trains nothing."""

import streamlit as st
from pagetest import errors, open_page

from annlab import store
from annlab.__main__ import main
from annlab.topics import TOPICS


def test_after_warm_no_page_trains_on_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNLAB_CACHE_DIR", str(tmp_path))
    assert main(["warm", "--device", "cpu"]) == 0
    assert list(tmp_path.glob("*.pt")), "warm trained nothing into the store"
    st.cache_resource.clear()  # forget the in-memory models: only the store may answer now
    st.cache_data.clear()
    before = len(store.TRAINED)
    for topic in TOPICS:
        at = open_page(topic.view)
        assert not errors(at), (topic.title, errors(at))
        assert store.TRAINED[before:] == [], f"{topic.title} trained {store.TRAINED[before:]} after warm"


def test_warm_cli_rejects_unknown_pages(capsys):
    assert main(["warm", "--only", "no-such-page"]) == 2
    assert "unknown page" in capsys.readouterr().err
