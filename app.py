"""annlab: the frame and the router. One list of topics (``annlab.topics``) makes the navigation."""

import streamlit as st

from annlab import ui
from annlab.topics import SECTIONS, TOPICS

ui.frame()
pages = {"": [st.Page("views/home.py", title="Home", icon=":material/home:", default=True)]}
for section in SECTIONS:
    entries = [
        st.Page(t.view, title=t.title, icon=t.icon, url_path=t.url_path)
        for t in TOPICS
        if t.section == section
    ]
    if entries:
        pages[section] = entries
st.navigation(pages).run()
