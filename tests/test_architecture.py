"""House rules that a reviewer would otherwise check by hand (issue 35, CONVENTIONS.md "Saving has one
owner and running has one owner"):

- no store file name outside ``store.py`` (and no ``torch.save``/``torch.load`` of store entries);
- no import cycle inside ``annlab`` (every import counts, also one inside a function);
- every trainer call site goes through ``jobs``: only ``store.py`` calls a spec's ``train_fn``, only
  ``jobs.py`` asks the store to train, and a trainer function is called directly only at the places
  listed below (each with its reason): a new bypass fails this test.
"""

import ast
import re
from pathlib import Path

from annlab.training import TrainSpec

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "annlab"
STORE = PACKAGE / "store.py"
# the WikiArt loader keeps its own cache of preprocessed images (not model store entries) under
# <cache>/wikiart/<key>.pt; it is data, not a trained model, so it is not a store entry
DATA_CACHES = {PACKAGE / "wikiart" / "data.py"}
# trainer calls that do not go through jobs, on purpose: fits that are never stored or shown as a
# model (cross-validation folds, a selection script's refits, a scored refit on a toy data set)
DIRECT_TRAINER_CALLS = {
    ("annlab.timeseries.experiments", "train_ts"),  # CV folds on sub-series: scored, then dropped
    ("annlab.timeseries.select", "train_ts"),  # the selection script behind bench/timeseries_select.py
    ("annlab.latent.experiments", "train_autoencoder"),  # moons error table: refit per noise level
}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _sources() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(ROOT / "views").glob("*.py"), ROOT / "app.py"])


def _strings(tree: ast.AST):
    """Every string literal and f-string text piece of a module, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_no_store_file_name_outside_the_store():
    found = []
    for path in _sources():
        if path == STORE or path in DATA_CACHES:
            continue
        tree = ast.parse(path.read_text())
        for line, text in _strings(tree):
            if re.search(r"\.pt\b", text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"save", "load"}:
                if isinstance(node.value, ast.Name) and node.value.id == "torch":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: torch.{node.attr}")
    assert found == [], "store entries are named, written and read only by annlab/store.py"


def _import_graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                graph[mod] |= {resolve(a.name) for a in node.names if a.name.startswith("annlab")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(head + ([base] if base else []))
                if base.startswith("annlab"):
                    for a in node.names:
                        target = f"{base}.{a.name}"
                        graph[mod].add(target if target in mods else resolve(base))
        graph[mod] -= {mod, None}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_inside_annlab():
    graph = _import_graph()
    assert "annlab.store" in graph["annlab.jobs"] and "annlab.training" in graph["annlab.store"]
    assert _cycles(graph) == []


def test_training_imports_nothing_from_running_or_storing():
    graph = _import_graph()
    assert graph["annlab.training"] & {"annlab.store", "annlab.jobs", "annlab.ui"} == set()
    assert "annlab.jobs" not in graph["annlab.store"]


def _trainers() -> set[str]:
    """Names of trainer functions: ``train_x(cfg, data, *, device, seed, callback)``."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("train"):
                kw = {a.arg for a in node.args.kwonlyargs}
                if {"device", "seed", "callback"} <= kw:
                    names.add(node.name)
    return names


def test_every_trainer_call_site_goes_through_jobs():
    assert not any(hasattr(TrainSpec, name) for name in ("run", "run_here", "stored"))  # jobs.run(spec)
    trainers = _trainers()
    assert {"train_ts", "train_rbm"} <= trainers  # the finder sees trainers
    direct, store_calls = set(), []
    for mod, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in trainers and mod not in {"annlab.store"}:
                direct.add((mod, name))
            if name == "train_fn" and mod != "annlab.store":
                store_calls.append(f"{mod}:{node.lineno} calls a spec's train_fn")
            if name in {"get_or_train", "train_spec_here"} and mod not in {"annlab.store", "annlab.jobs"}:
                store_calls.append(f"{mod}:{node.lineno} trains through the store, not jobs")
    # a trainer calling another trainer inside its own module is the trainer itself, not a call site
    own = {(mod, name) for mod, name in direct if _defines(mod, name)}
    assert store_calls == []
    assert direct - own == DIRECT_TRAINER_CALLS


def _defines(mod: str, name: str) -> bool:
    path = _modules()[mod]
    return any(
        isinstance(n, ast.FunctionDef) and n.name == name for n in ast.walk(ast.parse(path.read_text()))
    )
