"""Cached loaders: shared, read-only objects in ``st.cache_resource``; frames in ``st.cache_data``.

A curation session is one person's work, so it lives in that person's session state, built on
the shared layer context (fit, index, term counts), which is loaded once per layer.
"""

from __future__ import annotations

import streamlit as st

from app.state import store
from backend.curation.session import CurationSession, LayerContext


@st.cache_resource(show_spinner="Loading the layer ...", max_entries=8)
def layer_context(run_id: str, layer: int) -> LayerContext:
    return LayerContext(store(), run_id, layer)


def curation_session(run_id: str, layer: int, user: str) -> CurationSession:
    """This user's session on the layer, created on first use and kept for the browser session."""
    key = f"curation::{run_id}::{layer}::{user}"
    session = st.session_state.get(key)
    if session is None:
        session = CurationSession(store(), run_id, layer, user or "anonymous", layer_context(run_id, layer))
        st.session_state[key] = session
    return session


def forget_session(run_id: str, layer: int, user: str) -> None:
    st.session_state.pop(f"curation::{run_id}::{layer}::{user}", None)
