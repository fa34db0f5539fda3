"""Documents of the layer or of the open topic: search, page through every match, read one in full
with the matches marked."""

from __future__ import annotations

import html
import math
import re

import pandas as pd
import streamlit as st

from app.text import plain
from backend import services

PAGE = 50
PREVIEW_CHARS = 160


def documents_view(documents: pd.DataFrame, names: dict[str, str], topic: str | None, key: str) -> None:
    """``documents``: the layer's (``services.layer_documents``); ``names``: what each topic is called."""
    query = st.text_input("Search the documents", key=f"search::{key}", placeholder="words that must all appear")
    where = st.radio("In", ["the open topic", "the whole layer"], key=f"search_in::{key}", horizontal=True,
                     disabled=topic is None)
    subset = documents if where == "the whole layer" or topic is None else documents[documents["topic"] == topic]
    results = services.search_documents(subset, query) if query.strip() else subset
    pages = max(1, math.ceil(len(results) / PAGE))
    page = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1, key=f"page::{key}")
    start = (int(page) - 1) * PAGE
    shown = results.iloc[start:start + PAGE]
    one = len(results) == 1
    noun = ("match" if one else "matches") if query.strip() else ("document" if one else "documents")
    showing = f"; showing {start + 1:,}–{start + len(shown):,}" if len(shown) else ""
    st.caption(f"{len(results):,} {noun}{showing}. Click a row to read it in full.")
    table = pd.DataFrame({"id": shown["id"], "topic": shown["topic"].map(names), "text": shown["text"].map(_preview)})
    event = st.dataframe(table, hide_index=True, width="stretch", key=f"documents::{key}::{page}",
                         on_select="rerun", selection_mode="single-row")
    rows = event.selection.rows if event is not None else []
    if rows:
        chosen = shown.iloc[rows[0]]
        st.markdown(f"**{plain(chosen['id'])}**, in topic {plain(names.get(chosen['topic'], chosen['topic']))}")
        st.html(f"<div style='white-space:pre-wrap;padding:8px;border:1px solid #ddd;border-radius:6px'>"
                f"{highlight(str(chosen['text']), query)}</div>")


def _preview(text: str) -> str:
    text = str(text)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…"


def highlight(text: str, query: str) -> str:
    """``text`` as safe HTML, each word of ``query`` marked wherever it occurs (case-insensitive)."""
    words = [re.escape(w) for w in query.split() if w]
    if not words:
        return html.escape(text)
    parts = re.split(f"({'|'.join(words)})", text, flags=re.IGNORECASE)
    return "".join(f"<mark>{html.escape(p)}</mark>" if i % 2 else html.escape(p) for i, p in enumerate(parts))
