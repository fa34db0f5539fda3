"""Settings, store and who is using the app: loaded once, kept in Streamlit's caches and session.

Settings come from the file named by ``TOPIC_CURATOR_CONFIG`` (TOML/JSON, optional) and the store
from ``TOPIC_CURATOR_STORE`` (default: the settings' ``app.store``, ``./curator-data``).
"""

from __future__ import annotations

import os

import streamlit as st

from backend.settings import Settings, load_settings
from backend.store import ArtifactStore, open_store


@st.cache_resource
def settings() -> Settings:
    return load_settings(os.environ.get("TOPIC_CURATOR_CONFIG") or None)


@st.cache_resource
def store() -> ArtifactStore:
    return open_store(os.environ.get("TOPIC_CURATOR_STORE") or settings().app.store)


def login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> str:
    """The signed-in user's e-mail with OIDC configured, else the name typed once per session."""
    if login_configured() and getattr(st.user, "is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name") or "")
    return str(st.session_state.get("user", "")).strip()


def user_sidebar() -> str:
    """Sign-in (OIDC) or a name field in the sidebar; returns the current user ('' if unknown)."""
    with st.sidebar:
        if login_configured():
            if not getattr(st.user, "is_logged_in", False):
                st.button("Log in", on_click=st.login, key="login")
            else:
                st.caption(f"Signed in as {current_user()}")
                st.button("Log out", on_click=st.logout, key="logout")
        else:
            # Widget state is per page; the name itself is kept under a plain key for every page.
            st.session_state["user"] = st.text_input("Your name", value=st.session_state.get("user", ""),
                                                     key="user_name", help="Recorded with every change and approval.")
        return current_user()


def selected_run(runs: list[str]) -> str | None:
    """The run chosen in the sidebar (shared by every page)."""
    if not runs:
        return None
    current = st.session_state.get("current_run")
    index = runs.index(current) if current in runs else 0
    st.session_state["current_run"] = st.sidebar.selectbox("Run", runs, index=index, key="run_id")
    return st.session_state["current_run"]
