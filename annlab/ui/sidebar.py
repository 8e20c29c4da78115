"""The sidebar shared by every page: device, global seed, projector mode (drawn once, by ``app.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from annlab.device import available_devices, resolve_device
from annlab.ui.widgets import persisted


@dataclass(frozen=True)
class LabSettings:
    """What the sidebar chose: a device that exists, the global seed, projector mode."""

    device: str
    seed: int
    projector: bool


def sidebar() -> LabSettings:
    """Draw the shared sidebar and return the lab settings."""
    with st.sidebar:
        st.markdown("### Lab settings")
        names = available_devices()
        requested = st.query_params.get("device")
        if requested is not None and requested not in names and "device" not in st.session_state:
            st.session_state["_device_warning"] = resolve_device(requested)[1]
        choice = persisted(
            st.selectbox,
            "Device",
            key="device",
            default="auto",
            options=names,
            help="Where models train and run. Only devices that exist here are listed.",
        )
        if choice != "auto":
            st.session_state.pop("_device_warning", None)
        device, warning = resolve_device(choice)
        warning = warning or st.session_state.get("_device_warning")
        if warning:
            st.warning(warning)
        st.caption(f"Running on **{device}**")
        seed = persisted(
            st.number_input,
            "Seed",
            key="seed",
            default=0,
            min_value=0,
            max_value=2**31 - 1,
            step=1,
            help="Same seed, same data split, same initial weights, same result.",
        )
        projector = persisted(
            st.toggle,
            "Projector mode",
            key="projector",
            default=False,
            help="Larger text, thicker lines, colour-blind-safe colours; the sidebar "
            "folds away (its settings stay in the address).",
        )
        st.caption("Share this exact state: copy the page's address from the browser.")
    settings = LabSettings(device=device, seed=int(seed), projector=bool(projector))
    st.session_state["_lab_settings"] = settings
    return settings


def current() -> LabSettings:
    """The settings of this run (after :func:`sidebar` was called)."""
    return st.session_state.get("_lab_settings") or LabSettings("cpu", 0, False)
