"""Which torch devices exist, and a safe way to turn a requested name into one."""

from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """Names of the devices that exist here, "auto" first.

    Returns
    -------
    list of str, e.g. ``["auto", "cpu"]`` or ``["auto", "cpu", "cuda:0", "cuda:1"]``.
    """
    names = ["auto", "cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return names


def resolve_device(name: str | None) -> tuple[str, str | None]:
    """Turn a requested device name into one that exists.

    Parameters
    ----------
    name : str or None
        "auto", "cpu", "cuda", "cuda:N" or "mps" (e.g. from a shared link).

    Returns
    -------
    device : str
        A concrete device name usable with ``torch.device``.
    warning : str or None
        Why the request could not be honoured (it then falls back to "cpu").
    """
    name = (name or "auto").strip().lower()
    present = available_devices()
    if name == "auto":
        if any(d.startswith("cuda") for d in present):
            return "cuda:0", None
        return ("mps" if "mps" in present else "cpu"), None
    if name == "cuda":
        name = "cuda:0"
    if name in present:
        return name, None
    return "cpu", f"Device '{name}' is not available on this machine; using the CPU instead."
