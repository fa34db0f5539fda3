"""The app's entrypoint: a router over the pages (named by path, so app/ never imports pages/).

    streamlit run app/main.py
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="topic-curator", page_icon=":material/account_tree:", layout="wide")

pages = [
    st.Page("../pages/runs.py", title="Runs & approvals", icon=":material/play_circle:", default=True),
    st.Page("../pages/explorer.py", title="Layer explorer", icon=":material/scatter_plot:"),
    st.Page("../pages/curate.py", title="Curate", icon=":material/edit_note:"),
    st.Page("../pages/export.py", title="Export", icon=":material/download:"),
]
st.navigation(pages).run()
