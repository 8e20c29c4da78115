"""Every :class:`~annlab.controls.Control` of every topic, walked in fast mode: changing it from its
default changes what the page shows, or the control is disabled in that state (issue 34: no dead
controls). A control whose range depends on another is covered by the pages' own tests.

One test per topic. It opens the page once per tab, presses its on-demand buttons (``ui.on_demand``:
a changed input then marks the result stale), and there moves each URL-bound control it finds one
position from its default, reruns, compares everything the main area shows except the control itself,
and moves it back (the page then reruns from its caches). A control drawn on several tabs (above the
tabs) passes on the first tab where it is disabled or changes the page; it fails when it changes nothing
on every tab that draws it. Fast mode's fixed epoch counts are listed in :data:`FAST_MODE_FIXED`. A topic's
Controls are those of its ``defaults`` module: at module level (alone or in dicts, lists, tuples) and
those returned by its functions that need no arguments (``page_controls()``, ``trials_control()``).
Every such Control must be found on some tab, or be listed in :data:`NOT_ON_A_TAB` with the reason.

Run one page: ``.venv/bin/pytest tests/test_controls_walk.py -k Hopfield``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from pagetest import ROOT, errors, open_page

from annlab.controls import Control
from annlab.topics import TOPICS

# Free text has no "next position": the value each text control is walked to.
OTHER_TEXT = {
    "hop_point": "0.9, 0.1",
    "hop_targets": "1 1 -1 1\n-1 -1 1 1",
    "opt_number": "r0123456",
    "cnn_x": "2 5 4 1; 3 1 2 0; 4 5 7 1; 1 2 3 9",
    "cnn_k": "1 0; 0 2",
}
# Controls that fast mode overrides (it trains a fixed small number of epochs whatever they say): the
# walk moves them (nothing may raise) but cannot ask them to change the page. Each with the override.
FAST_MODE_FIXED = {
    "opt_epochs": "annlab.optim.defaults.race_config: at most FAST_RACE_EPOCHS (50) epochs",
    "opt_reg_epochs": "annlab.optim.defaults.reg_config: FAST_REG_EPOCHS (60) epochs",
    "opt_grid_epochs": "annlab.optim.defaults.grid_config: FAST_GRID_EPOCHS (20) epochs",
    "rbm_epochs": "annlab.boltzmann.defaults.rbm_spec: 2 epochs",
    "rbm_small_epochs": "annlab.boltzmann.defaults.small_rbm_spec: 3 epochs",
    "rbm_dbm_epochs": "annlab.boltzmann.defaults.dbm_spec: 1 epoch per stage",
    "cnn_epochs": "annlab.cnn.defaults.FAST: 1 epoch",
    "vit_epochs": "annlab.attention.defaults.FAST: 1 epoch",
    "lat_epochs": "annlab.latent.defaults: FAST_EPOCHS (2)",
    "lat_gan_ep": "annlab.latent.defaults.gan_spec: FAST_EPOCHS (2)",
    "ts_mlp_epochs": "annlab.timeseries.defaults: 10 epochs (2 under L-BFGS)",
    "ts_lstm_epochs": "annlab.timeseries.defaults: 10 epochs",
    "ts_grid_epochs": "annlab.timeseries.defaults.grid_config: 2 epochs per fit",
}
# States beyond the tabs, for controls a tab draws only after a choice (url_path -> queries).
EXTRA_STATES = {
    "Optimizers": [
        *({"opt_tab": "Landscape", "opt_surface": s} for s in ("Rosenbrock", "Beale", "1-D bump")),
        {"opt_optimizers": "GD (full batch),Adagrad,Adadelta,L-BFGS"},  # their own lr, L-BFGS iterations
    ],
    "RBM_inpainting": [{"rbm_region": "random"}],  # the fraction of random pixels erased
}
# Controls no tab draws on opening it (behind a button, or in a state the walk does not set up), why.
NOT_ON_A_TAB: dict[str, str] = {
    "lat_proj": "views/latent_space.py draws it only for a code of more than 2 dimensions",
    "lat_dn_std": "views/latent_space.py: one of the denoiser's noise levels (DN_LEVEL), by noise kind",
    "art_per_style": "views/wikiart.py draws it only with a WikiArt folder (ANNLAB_WIKIART_DIR)",
}


def topic_controls(topic) -> dict[str, Control]:
    """The topic's Controls by URL key (see the module docstring)."""
    module = importlib.import_module(topic.warm.split(":")[0])
    found: dict[str, Control] = {}

    def add(value) -> None:
        many = isinstance(value, list | tuple)
        items = value.values() if isinstance(value, dict) else value if many else [value]
        for item in items:
            if isinstance(item, Control):
                found.setdefault(item.key, item)

    for value in list(vars(module).values()):
        add(value)
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            sig = inspect.signature(value)
            if "Control" in str(sig.return_annotation) and all(
                p.default is not p.empty for p in sig.parameters.values()
            ):
                add(value())
    return found


def tab_key(topic) -> str | None:
    """The URL key of the page's tabs (``key="hop_tab"`` in its view), None without tabs."""
    source = (ROOT / topic.view).read_text()
    match = re.search(r"tabs\((?:[^()]|\([^()]*\))*?key=\"(\w+)\"", source, re.S)
    return match.group(1) if match else None


def _nodes(at):
    stack = [at.main]
    while stack:
        node = stack.pop()
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children[i] for i in sorted(children, reverse=True))


def widgets(at) -> dict:
    """The main area's widgets by key."""
    return {n.key: n for n in _nodes(at) if isinstance(getattr(n, "key", None), str) and hasattr(n, "value")}


RANDOM_IDS = re.compile(r'uuid: "\w+"|T_\w{5}(?=[_ "\\])')  # a styled table's random ids


def shown(at, skip: str) -> str:
    """Everything the main area shows but the widget ``skip`` (and the snapshot download, whose file
    is made afresh on every run)."""
    out = []
    for node in _nodes(at):
        if getattr(node, "key", None) == skip or getattr(node, "type", "") == "download_button":
            continue
        proto = getattr(node, "proto", None)
        if proto is not None and not isinstance(getattr(node, "children", None), dict):
            out.append(str(proto))
    return RANDOM_IDS.sub("<id>", "\n".join(out))


def _step(widget, default=1):
    step = getattr(widget, "step", None)
    return step if step else default


def other_value(widget, control: Control):
    """One position away from the widget's value: the next option (the one before at the end), one
    step up (down at the top), the other toggle state, a multiselect with one choice fewer (or one
    more), :data:`OTHER_TEXT` for free text."""
    kind, value = control.widget, widget.value
    if kind in ("toggle", "checkbox"):
        return not value
    if kind in ("text_input", "text_area"):
        return OTHER_TEXT.get(control.key)
    options = control.kw.get("options")
    if kind == "multiselect":
        chosen = list(value)
        if len(chosen) > 1:
            return chosen[:-1]
        return chosen + [next(o for o in options if o not in chosen)]
    if options is not None:
        options = list(options)
        if isinstance(value, tuple):  # a range select slider: move its upper end
            hi = options.index(value[1])
            return (value[0], options[hi - 1 if hi == len(options) - 1 else hi + 1])
        i = options.index(value) if value in options else 0
        return options[i + 1 if i + 1 < len(options) else i - 1]
    high = widget.max
    if isinstance(value, tuple):  # a range slider: move its upper end
        up = value[1] + _step(widget)
        return (value[0], up if up <= high else value[1] - _step(widget))
    if kind == "number_input":
        step = _step(widget)
        up = value + step
        return up if high is None or up <= high else value - step
    step = _step(widget)
    up = value + step
    return type(value)(round(up, 10)) if up <= high + 1e-12 else type(value)(round(value - step, 10))


def walk_tab(at, controls: dict[str, Control], done: set[str], inert: dict[str, str]) -> list[str]:
    """Walk the controls on the open tab of ``at`` not passed yet: a control passes (``done``) when it is
    disabled here or moving it changes the page; one that changes nothing is noted in ``inert`` and
    tried again on the next tab that draws it (controls drawn above the tabs serve some tabs only).
    Returns what raised, in words."""
    failures = []
    for key, control in controls.items():
        if key in done:
            continue
        widget = widgets(at).get(key)
        if widget is None:
            continue
        if widget.disabled:
            done.add(key)  # off in this state, its help says why
            continue
        other = other_value(widget, control)
        if other is None:
            done.add(key)
            failures.append(f"{key}: no value to walk it to (add one to OTHER_TEXT)")
            continue
        original, before = widget.value, shown(at, key)
        widget.set_value(other).run()
        if errors(at):
            done.add(key)
            failures.append(f"{key}: {original!r} -> {other!r} raised {errors(at)[0][:300]}")
        elif shown(at, key) != before or key in FAST_MODE_FIXED:
            done.add(key)
            inert.pop(key, None)
        else:
            inert[key] = f"{key} ({control.label!r}): {original!r} -> {other!r} changed nothing"
        back = widgets(at).get(key)
        if back is not None:
            back.set_value(original).run()
    return failures


@pytest.mark.parametrize("topic", TOPICS, ids=[t.url_path for t in TOPICS])
def test_every_control_changes_its_page_or_is_off(topic):
    controls = topic_controls(topic)
    assert controls, f"{topic.title}: no Controls found in {topic.warm.split(':')[0]}"
    at = open_page(topic.view)
    assert not errors(at), errors(at)
    key = tab_key(topic)
    labels = [t.label for t in at.tabs] if key else []
    done: set[str] = set()
    inert: dict[str, str] = {}
    failures = []
    states = [{key: label} for label in labels[1:]] + EXTRA_STATES.get(topic.url_path, [])
    for i, state in enumerate([None, *states]):
        label = "first tab" if state is None else ", ".join(f"{k}={v}" for k, v in state.items())
        if i > 0:
            at = open_page(topic.view, state)
            assert not errors(at), f"{topic.title}, {label}: {errors(at)}"
        for button in [b.key for b in at.button if str(b.key).endswith("_button")]:
            at.button(key=button).click().run()  # on-demand work: its inputs then mark it stale
            assert not errors(at), f"{topic.title}, {label}, {button}: {errors(at)}"
        at.run()  # settle (a finished on-demand run, work prepared ahead), then a plain rerun must not
        at.run()  # change what the page shows by itself
        first = shown(at, "")
        at.run()
        assert shown(at, "") == first, f"{topic.title}, {label}: the page changes on a plain rerun"
        failures += [f"[{label}] {f}" for f in walk_tab(at, controls, done, inert)]
    failures += [f"[every tab that draws it] {why}" for why in inert.values()]
    missing = sorted(set(controls) - done - set(inert) - set(NOT_ON_A_TAB))
    assert not failures, f"{topic.title}: " + "\n".join(failures)
    assert not missing, f"{topic.title}: controls on no tab (list them in NOT_ON_A_TAB with why): {missing}"


def test_the_walk_finds_the_controls_made_by_functions():
    hop = next(t for t in TOPICS if t.url_path == "Hopfield")
    found = topic_controls(hop)
    assert {"hop_dstep", "hop_trials", "hop_noise"} <= set(found)
    assert tab_key(hop) == "hop_tab"
    assert all(isinstance(c, Control) for c in found.values())
    assert Path(ROOT / hop.view).exists()


def test_clamp_brings_a_held_value_into_todays_range():
    """``ui.keep_in_range`` (every slider of ``ui.persisted``): the helper it uses."""
    from annlab.ui.widgets import clamp

    assert clamp(20, 0, 1) == 1 and clamp(-3, 0, 1) == 0 and clamp(1, 0, 1) is None
    assert clamp((4, 30), 0, 27) == (4, 27) and clamp(0.7, 0.0, 0.5) == 0.5
    assert clamp(60, options=[5, 10]) == 10 and clamp("x", options=["a", "b"]) == "a"
    assert clamp(10, options=[5, 10]) is None
