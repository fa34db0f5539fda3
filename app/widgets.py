"""Small reusable pieces of UI. Errors from the backend become a message, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import streamlit as st

from app.text import plain
from backend.errors import CuratorError


@contextmanager
def user_errors():
    """Show a CuratorError as a clear message with what to do; nothing else is lost."""
    try:
        yield
    except CuratorError as exc:
        st.error(plain(exc.problem) + (f"\n\n**What to do:** {plain(exc.fix)}" if exc.fix else ""))


def show_later(exc: CuratorError) -> None:
    """Keep an error for ``show_messages`` (callbacks run before the page and cannot draw)."""
    st.session_state.setdefault("pending_errors", []).append((exc.problem, exc.fix))


def guarded(action: Callable[..., Any], *args: Any, success: str | None = None, **kwargs: Any) -> Any:
    """Run ``action``; show a CuratorError as a message (returns None) or ``success`` as a toast."""
    try:
        result = action(*args, **kwargs)
    except CuratorError as exc:
        show_later(exc)
        return None
    if success:
        st.session_state["last_success"] = success
    return result


def show_messages() -> None:
    """Messages left by callbacks (they run before the page, so they cannot draw themselves)."""
    for problem, fix in dict.fromkeys(st.session_state.pop("pending_errors", [])):
        st.error(plain(problem) + (f"\n\n**What to do:** {plain(fix)}" if fix else ""))
    success = st.session_state.pop("last_success", None)
    if success:
        st.success(success)


def choose_layer(layers: list[int], key: str = "layer") -> int | None:
    """The layer chosen in the sidebar: the newest when a layer appears (after an approval)."""
    if not layers:
        st.info("No layer has been fitted in this run yet.")
        return None
    if st.session_state.get(f"layers_{key}") != layers:
        st.session_state[f"layers_{key}"] = layers
        st.session_state[f"current_{key}"] = layers[-1]
        st.session_state.pop(key, None)
    if st.session_state.get(key) not in layers:  # widget state is per page: carry the choice over
        current = st.session_state.get(f"current_{key}")
        st.session_state[key] = current if current in layers else layers[-1]
    st.session_state[f"current_{key}"] = st.sidebar.radio(
        "Layer", layers, format_func=lambda n: f"Layer {n}", key=key, horizontal=True)
    return st.session_state[f"current_{key}"]


def page_start(title: str, need_name: bool = False) -> tuple[str, str]:
    """Title and sidebar (name and run); stops the page when there is no run yet. The page shows
    pending messages (``show_messages``) once it has applied what the last click sent."""
    from app.state import selected_run, store, user_sidebar
    from backend.services import list_runs

    st.title(title)
    user = user_sidebar()
    runs = list_runs(store())
    run_id = selected_run(runs["run"].tolist()) if not runs.empty else None
    if run_id is None:
        st.info("No runs yet: start one on the Runs & approvals page.")
        st.stop()
    if need_name and not user:
        st.warning("Enter your name in the sidebar: every change records who made it.")
        st.stop()
    return user, run_id
