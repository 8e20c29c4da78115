"""Library boundary, device fallback, the house layout (topic rooms, thin views) and the CLI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_modules_import_without_streamlit():
    code = (
        "import sys, importlib, pkgutil\n"
        "sys.modules['streamlit'] = None\n"
        "import annlab\n"
        "names = [m.name for m in pkgutil.walk_packages(annlab.__path__, 'annlab.')\n"
        "         if not m.name.startswith('annlab.ui')]\n"
        "for n in names: importlib.import_module(n)\n"
        "print(len(names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 8


def test_only_ui_imports_streamlit():
    offenders = []
    for path in (ROOT / "annlab").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "annlab").parts[:1]:
            continue
        text = path.read_text()
        if "import streamlit" in text or "from streamlit" in text:
            offenders.append(str(path))
    assert offenders == []


def test_device_resolution():
    from annlab.device import available_devices, resolve_device

    names = available_devices()
    assert names[:2] == ["auto", "cpu"]
    assert resolve_device("cpu") == ("cpu", None)
    dev, warning = resolve_device("auto")
    assert dev in names and warning is None
    dev, warning = resolve_device("cuda:99")
    assert dev == "cpu" and "cuda:99" in warning and "CPU" in warning
    dev, warning = resolve_device("tpu")
    assert dev == "cpu" and warning


def test_quick_applies_only_in_fast_mode(monkeypatch):
    from dataclasses import dataclass

    from annlab.settings import quick

    @dataclass(frozen=True)
    class C:
        num_epochs: int = 20

    monkeypatch.setenv("ANNLAB_FAST", "0")
    assert quick(C(), num_epochs=1).num_epochs == 20
    monkeypatch.setenv("ANNLAB_FAST", "1")
    assert quick(C(), num_epochs=1).num_epochs == 1


def test_warm_cli_lists_and_rejects_unknown():
    out = subprocess.run(
        [sys.executable, "-m", "annlab", "warm", "--only", "no-such-page"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2 and "unknown page" in out.stderr


def test_every_topic_has_the_same_rooms():
    from annlab.topics import TOPICS

    for topic in TOPICS:
        package = ROOT / "annlab" / topic.warm.split(":")[0].split(".")[1]
        missing = [f for f in ("defaults.py", "experiments.py", "charts.py") if not (package / f).exists()]
        assert not missing, f"{topic.title}: {package.name} lacks {missing}"


def test_views_describe_the_screen_only():
    from annlab.topics import TOPICS

    banned = ("st.cache_", "import altair", "alt.", "nn.Module", "session_state[")
    for topic in TOPICS:
        text = (ROOT / topic.view).read_text()
        assert not [b for b in banned if b in text], (topic.view, [b for b in banned if b in text])


def test_no_flat_module_is_a_topic_and_no_pages_folder():
    assert not (ROOT / "pages").exists() or not list((ROOT / "pages").glob("*.py"))
    for old in ("rbm.py", "dbm.py", "inpaint.py", "autoencoders.py", "gan.py", "latent.py", "warm.py"):
        assert not (ROOT / "annlab" / old).exists(), old


def test_projector_style_enlarges_fonts_and_lines():
    import pandas as pd

    from annlab.charts import OKABE_ITO, style
    from annlab.charts import lines as line_chart

    chart = line_chart(pd.DataFrame({"x": [0, 1], "y": [1.0, 0.5]}), x="x", y="y")
    normal, big = style(chart).to_dict()["config"], style(chart, projector=True).to_dict()["config"]
    assert big["axis"]["labelFontSize"] > normal["axis"]["labelFontSize"]
    assert big["line"]["strokeWidth"] > normal["line"]["strokeWidth"]
    assert normal["range"]["category"] == OKABE_ITO
    assert "axis" not in chart.to_dict().get("config", {})  # the input chart is left alone
