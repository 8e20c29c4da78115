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
page = st.navigation(pages)
by_path = {p.url_path: p for entries in pages.values() for p in entries}
shown = ui.lesson_bar(page, by_path)  # lesson mode (?lesson=...): its bar; False while an answer is hidden
if shown:
    page.run()
ui.page_end(page, shown)  # the snapshot buttons
