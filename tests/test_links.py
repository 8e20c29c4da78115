"""Links lecturers shared before the house moved still open the same state.

Every address is one of today's (``url_path`` kept), and every parameter is written the way the old
hand-made URL layer wrote it (booleans as 1/0, lists and ranges comma-joined), or the native way.
"""

import pytest
from pagetest import errors, open_page

WIDGETS = (
    "slider",
    "select_slider",
    "selectbox",
    "multiselect",
    "radio",
    "toggle",
    "checkbox",
    "number_input",
    "text_input",
    "text_area",
)

LINKS = [
    (
        "views/home.py",
        {"seed": "42", "projector": "1", "device": "cpu"},
        {"seed": 42, "projector": True, "device": "cpu"},
    ),
    (
        "views/optimizers.py",
        {"opt_noise": "0.3", "opt_units": "20", "opt_optimizers": "Adam,Momentum", "seed": "3"},
        {"opt_noise": 0.3, "opt_units": 20, "opt_optimizers": ["Adam", "Momentum"], "seed": 3},
    ),
    (
        "views/optimizers.py",
        {"opt_tab": "Landscape", "opt_beta": "0.5", "opt_land_opts": "Adam,Momentum"},
        {"opt_beta": 0.5, "opt_land_opts": ["Adam", "Momentum"]},
    ),
    (
        "views/hopfield.py",
        {
            "hop_noise": "1.2",
            "hop_flip": "0.2",
            "hop_drule": "hebbian",
            "hop_digits": "1,7",
            "projector": "1",
        },
        {"hop_noise": 1.2, "hop_flip": 0.2, "hop_drule": "hebbian", "hop_digits": [1, 7], "projector": True},
    ),
    (
        "views/hopfield.py",
        {"hop_tab": "Small networks", "hop_rule": "hebbian", "hop_nrand": "500"},
        {"hop_rule": "hebbian", "hop_nrand": 500},
    ),
    (
        "views/rbm_inpainting.py",
        {"rbm_recon_steps": "20", "rbm_rows28": "10,15", "rbm_first28": "8"},
        {"rbm_recon_steps": 20, "rbm_rows28": (10, 15), "rbm_first28": 8},
    ),
    (
        "views/rbm_inpainting.py",
        {"rbm_tab": "Dreaming (Gibbs sampling)", "rbm_gibbs_steps": "50"},
        {"rbm_gibbs_steps": 50},
    ),
    (
        "views/latent_space.py",
        {"lat_t": "0.25", "lat_path": "spherical", "lat_ia": "5", "lat_ib": "9"},
        {"lat_t": 0.25, "lat_path": "spherical", "lat_ia": 5, "lat_ib": 9},
    ),
    ("views/wikiart.py", {"art_lr": "0.01", "art_bn": "0"}, {"art_lr": 0.01, "art_bn": False}),
    ("views/time_series.py", {"ts_lag": "30", "seed": "1"}, {"ts_lag": 30, "seed": 1}),
    (
        "views/time_series.py",
        {"ts_mlp_opt": "Adam", "ts_hidden": "10"},
        {"ts_mlp_opt": "Adam", "ts_hidden": 10},
    ),
]


def widget_value(at, key):
    for kind in WIDGETS:
        for area in (at.main, at.sidebar):
            try:
                return getattr(area, kind)(key=key).value
            except (KeyError, AttributeError, IndexError):
                continue
    raise KeyError(f"no widget with key {key!r} on this page")


@pytest.mark.parametrize(
    ("view", "query", "expected"),
    LINKS,
    ids=[f"{v.split('/')[-1][:-3]}-{i}" for i, (v, _, _) in enumerate(LINKS)],
)
def test_old_link_opens_the_same_widget_values(view, query, expected):
    at = open_page(view, query)
    assert not errors(at), errors(at)
    for key, value in expected.items():
        got = widget_value(at, key)
        got = list(got) if isinstance(value, list) else got
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, (key, got, value)


def test_there_are_at_least_ten_links():
    assert len(LINKS) >= 10


def test_values_survive_a_page_change_and_follow_into_the_url():
    at = open_page("views/hopfield.py")
    at.slider(key="hop_noise").set_value(1.5).run()
    at.switch_page("views/home.py").run()
    assert not errors(at)
    at.switch_page("views/hopfield.py").run()
    assert at.slider(key="hop_noise").value == pytest.approx(1.5)


def test_bad_values_in_a_page_link_fall_back_to_the_defaults():
    at = open_page("views/hopfield.py", {"hop_noise": "banana", "hop_digits": "1,99", "hop_flip": "7"})
    assert not errors(at), errors(at)
    default = open_page("views/hopfield.py")
    for key in ("hop_noise", "hop_digits", "hop_flip"):
        assert widget_value(at, key) == widget_value(default, key)
