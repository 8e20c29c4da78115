"""Home: what the lab is, and a card per page, grouped as in the navigation."""

import streamlit as st

from annlab import ui
from annlab.topics import SECTIONS, TOPICS

ui.page(
    "annlab: a lab for neural networks",
    "Every page trains real models on real (offline) data, on the device you pick in the sidebar. Move a "
    "slider and the figure answers; draw a digit and hand it to a Hopfield network, an RBM or an "
    "autoencoder. The **seed** and every setting live in the page address: copy it to share the exact "
    "state with your class. **Projector mode** (sidebar) gives large text and thick, colour-blind-safe "
    "lines.",
)
sections = [s for s in SECTIONS if any(t.section == s for t in TOPICS)]
for col, section in zip(st.columns(len(sections)), sections, strict=True):
    with col:
        st.subheader(section)
        for topic in (t for t in TOPICS if t.section == section):
            with st.container(border=True):
                st.page_link(topic.view, label=topic.title, icon=topic.icon)
                st.write(topic.line)

lessons, poll = st.columns([3, 1])
with lessons:
    st.subheader("Lessons")
    st.caption(
        "Each lesson walks a class through one report's exercises, scene by scene: the page opens at the "
        "scene's settings with its question on top (Page Down / Page Up step through). Share the link and "
        "students follow."
    )
    ui.lessons_list()
with poll:
    st.subheader("Join a class poll")
    ui.join_form()

lab = ui.current()
st.caption(
    f"Models run on **{lab.device}** · seed {lab.seed} · trained weights are cached in "
    "`models_cache/` (fill it before class with `python -m annlab warm`)."
)
