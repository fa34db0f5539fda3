"""Approve or reject the waiting layer: what will be sent, and never an approval that silently
leaves out the approver's unsaved changes."""

from __future__ import annotations

import streamlit as st

from app.loaders import forget_session
from app.state import decider, login_configured, settings, store
from app.text import plain
from app.widgets import guarded
from backend import services
from backend.runs.approvals import Approval
from backend.services import ApprovalSummary


def approval_section(run_id: str, user: str, summary: ApprovalSummary, key: str = "") -> None:
    """The waiting step, what Approve sends, and Approve / Reject."""
    approval = summary.approval
    st.subheader(f"Waiting for approval: {approval.step}")
    counts = summary.counts
    st.write(f"Layer {approval.layer}, mapping version {summary.mapping.version} "
             f"(saved by {plain(summary.mapping.created_by or 'topic-curator')}). "
             f"{counts['kept']} topics kept, {counts['merged']} merged, {counts['discarded']} discarded, "
             f"{counts['split']} split; {counts['drill_down']} marked for drill-down.")
    if not summary.changes.is_empty:
        st.markdown("\n".join(f"- {plain(line)}" for line in summary.changes.summary()[:20]))
    with st.expander("What will be sent (arguments)"):
        st.json({"token": approval.token, **approval.arguments, "mapping_version": summary.mapping.version})
    if summary.problem:
        st.error(f"This mapping cannot be approved: {plain(summary.problem)}")
    user = decider(user)
    if not user:
        st.button("Approve", key=f"approve{key}", type="primary", disabled=True)
        if not settings().app.approvers:
            st.caption("Enter your name in the sidebar to approve or reject: every decision records who made it.")
        elif login_configured():
            st.warning("Log in to approve or reject: only people on the approver list may, and a typed name "
                       "is not an identity.")
        else:
            st.warning("Approving here needs login: this app has an approver list, and a typed name is not an "
                       "identity. Ask whoever runs the app to set up login ([auth] in .streamlit/secrets.toml), "
                       "or approve with the topic-curator command.")
        return
    unsaved = services.unsaved_changes(store(), run_id, approval.layer, user)
    left, right = st.columns(2)
    with left:
        if unsaved:
            st.warning(f"You have {unsaved} unsaved change(s) on layer {approval.layer}. Approve them too, "
                       f"or only the saved version {summary.mapping.version}?")
            if st.button("Save and approve", key=f"save_approve{key}", type="primary"):
                _approve(run_id, user, approval, None, "save")
            if st.button(f"Discard my changes and approve version {summary.mapping.version}", key=f"discard_approve{key}"):
                _approve(run_id, user, approval, summary.mapping.version, "discard")
        elif st.button("Approve", key=f"approve{key}", type="primary", disabled=bool(summary.problem)):
            _approve(run_id, user, approval, summary.mapping.version, "refuse")
    with right:
        reason = st.text_input("Reason for rejecting", key=f"reject_reason{key}", max_chars=256)
        if st.button("Reject", key=f"reject{key}", disabled=not reason.strip()):
            guarded(services.reject, store(), run_id, user, reason, settings(), layer=approval.layer,
                    success="Run rejected and stopped.")
            st.rerun()
    if not settings().app.approvers:
        st.caption("Anyone with a name may approve (no approver list in the settings).")


def _approve(run_id: str, user: str, approval: Approval, version: int | None, unsaved: str) -> None:
    approved = guarded(services.approve_and_resume, store(), run_id, approval.layer, user, settings(),
                       version=version, unsaved=unsaved)
    forget_session(run_id, approval.layer, user)  # read-only once approved; the draft may have changed
    if approved is not None:
        where = "in SageMaker" if approval.on_sagemaker else "in the background"
        st.session_state["last_success"] = (
            f"Approved layer {approval.layer} (mapping version {approved.version}); the run goes on {where}.")
    st.rerun()
