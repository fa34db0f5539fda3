"""The app's entrypoint: a router over the pages (named by path, so app/ never imports pages/).

    streamlit run app/main.py
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# A local favicon: an icon name would make the browser fetch one from the internet on every page.
st.set_page_config(page_title="topic-curator", page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
                   layout="wide")

pages = [
    st.Page("../pages/runs.py", title="Runs & approvals", icon=":material/play_circle:", default=True),
    st.Page("../pages/workspace.py", title="Curate", icon=":material/scatter_plot:"),
    st.Page("../pages/export.py", title="Export", icon=":material/download:"),
]
st.navigation(pages).run()
