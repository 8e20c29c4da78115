"""Registry of each page's default models, trained into the cache by ``python -m annlab warm``.

A topic module registers a function that trains (through the model store) what its page needs on
first open::

    from annlab.warm import register_warm

    @register_warm("RBM inpainting")
    def _warm(device: str, epochs: int | None, report) -> None:
        ...   # call get_or_train(...) for the default configs; report(text) for progress lines

``epochs`` overrides the number of epochs when given (for a quick smoke run), else the defaults.
Modules are discovered automatically: every core module of ``annlab`` is imported.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

WarmFn = Callable[[str, "int | None", Callable[[str], None]], None]
_REGISTRY: dict[str, WarmFn] = {}


def register_warm(name: str) -> Callable[[WarmFn], WarmFn]:
    """Decorator: register ``fn(device, epochs, report)`` under a page name."""

    def deco(fn: WarmFn) -> WarmFn:
        _REGISTRY[name] = fn
        return fn

    return deco


def discover() -> dict[str, WarmFn]:
    """Import every core module of annlab (not ``annlab.ui``) and return the registry."""
    import annlab

    for info in pkgutil.walk_packages(annlab.__path__, "annlab."):
        if info.name.startswith("annlab.ui") or info.name == "annlab.__main__":
            continue
        importlib.import_module(info.name)
    return dict(_REGISTRY)
