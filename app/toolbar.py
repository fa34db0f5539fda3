"""The workspace's toolbar: undo, redo, save; a read-only notice on an approved layer; and, after a
colleague saved first, the replay that asks before overwriting anything of theirs."""

from __future__ import annotations

import streamlit as st

from app import edits
from app.text import plain
from backend.curation.session import CurationSession
from backend.errors import SaveConflictError


def toolbar(session: CurationSession, user: str) -> bool:
    """Draw the toolbar; return whether the layer may be edited now (by this user)."""
    if session.read_only:
        approved = session.approved
        st.info(f"Layer {session.layer} was approved at version {approved.version} by {plain(approved.approved_by)} "
                f"({approved.approved_at}); it is read-only. This is what was approved and what is exported.",
                icon=":material/lock:")
        return False
    if not user:
        st.warning("Enter your name in the sidebar to curate: every change records who made it.")
        return False
    bar = st.columns([1, 1, 1, 5], vertical_alignment="center")
    bar[0].button("Undo", key="undo", disabled=not session.history.can_undo, on_click=edits.act,
                  args=(session, session.undo), width="stretch")
    bar[1].button("Redo", key="redo", disabled=not session.history.can_redo, on_click=edits.act,
                  args=(session, session.redo), width="stretch")
    bar[2].button("Save", key="save", type="primary", disabled=not session.unsaved, on_click=_save,
                  args=(session,), width="stretch")
    unsaved = len(session.unsaved)
    bar[3].caption(f"Layer {session.layer}, based on version {session.base_version}: "
                   f"{unsaved} unsaved change{'' if unsaved == 1 else 's'} (autosaved as your draft).")
    _replay(session)
    return True


def _save(session: CurationSession) -> None:
    def save() -> None:
        try:
            saved = session.save()
        except SaveConflictError as exc:
            st.session_state[f"conflict::{edits.scope(session)}"] = exc.problem
            return
        st.session_state["last_success"] = f"Saved as version {saved.version}."

    edits.act(session, save)


def _replay(session: CurationSession) -> None:
    """After a save conflict (or with a draft begun on an older version): replay, asking per overlap."""
    conflict = st.session_state.get(f"conflict::{edits.scope(session)}")
    report = st.session_state.pop(f"replayed::{edits.scope(session)}", None)
    if report is not None:
        st.info("Replayed your changes onto the newest version." +
                ("" if not report else "\n\n" + "\n".join(f"- {plain(line)}" for line in report)))
    if not conflict and not session.stale_draft:
        return
    with st.container(border=True):
        if conflict:
            st.warning(f"{plain(conflict)} Your unsaved changes are kept.")
        else:
            st.warning(f"You have {len(session.stale_draft)} unsaved change(s) begun on version {session.stale_base}; "
                       f"version {session.latest_version()} was saved since.")
        keep_mine = set()
        for overlap in session.rebase_plan():
            theirs = "; ".join(f"{plain(op.describe())} (by {plain(op.by or 'someone')})" for op in overlap.theirs)
            choice = st.radio(f"Your change **{plain(overlap.mine.describe())}** meets theirs: {theirs}",
                              ["Keep theirs", "Keep mine"], key=f"keep::{edits.scope(session)}::{overlap.position}",
                              horizontal=True)
            if choice == "Keep mine":
                keep_mine.add(overlap.position)
        st.button("Replay my changes onto the newest version", key="rebase", on_click=_rebase,
                  args=(session, keep_mine))


def _rebase(session: CurationSession, keep_mine: set[int]) -> None:
    def rebase() -> None:
        report = session.rebase(keep_mine)
        st.session_state.pop(f"conflict::{edits.scope(session)}", None)
        st.session_state[f"replayed::{edits.scope(session)}"] = report.summary()

    edits.act(session, rebase)
