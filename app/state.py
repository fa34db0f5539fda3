"""Settings, store and who is using the app: loaded once, kept in Streamlit's caches and session.

Settings come from the file named by ``TOPIC_CURATOR_CONFIG`` (TOML/JSON, optional) and the store
from ``TOPIC_CURATOR_STORE`` (default: the settings' ``app.store``, ``./curator-data``).
"""

from __future__ import annotations

import os

import streamlit as st

from app.text import plain
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
    """The signed-in user's e-mail with OIDC configured, else the name typed in the sidebar."""
    if login_configured() and getattr(st.user, "is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name") or "")
    return str(st.session_state.get("user", "")).strip()


def decider(typed: str) -> str:
    """Who may approve or reject in this session ('' for nobody). With ``app.approvers`` set only a
    signed-in (OIDC) user: a typed name is not an identity. Without a list, the name as typed."""
    if not settings().app.approvers:
        return typed
    if login_configured() and getattr(st.user, "is_logged_in", False):
        return str(st.user.get("email") or "")
    return ""


def user_sidebar() -> str:
    """Sign-in (OIDC) or a name field in the sidebar; returns the current user ('' if unknown).

    The typed name is kept in the session for every page and in the address (``?user=``), so a
    reload or a bookmark keeps it.
    """
    with st.sidebar:
        if login_configured():
            if not getattr(st.user, "is_logged_in", False):
                st.button("Log in", on_click=st.login, key="login")
            else:
                st.caption(f"Signed in as {plain(current_user())}")
                st.button("Log out", on_click=st.logout, key="logout")
        else:
            remembered = st.session_state.get("user") or st.query_params.get("user", "")
            name = st.text_input("Your name", value=remembered, key="user_name", max_chars=80,
                                 help="Recorded with every change and approval.").strip()
            st.session_state["user"] = name
            if name and st.query_params.get("user") != name:
                st.query_params["user"] = name
            elif not name and "user" in st.query_params:
                del st.query_params["user"]
        return current_user()


def choose_run(run_id: str) -> None:
    """Make ``run_id`` the selected run on every page (call it before the sidebar is drawn)."""
    st.session_state["current_run"] = run_id
    st.session_state["run_id"] = run_id


def selected_run(runs: list[str]) -> str | None:
    """The run chosen in the sidebar (shared by every page)."""
    if not runs:
        return None
    if st.session_state.get("run_id") not in runs:  # widget state is per page: carry the choice over
        current = st.session_state.get("current_run")
        st.session_state["run_id"] = current if current in runs else runs[0]
    st.session_state["current_run"] = st.sidebar.selectbox("Run", runs, key="run_id")
    return st.session_state["current_run"]
