"""Runs & approvals: every run and where it waits; approve or reject; start a new local run."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from app.plots import run_steps_dot
from app.state import selected_run, settings, store, user_sidebar
from app.widgets import guarded, show_messages, user_errors
from backend import services
from backend.runs.record import load_run

st.title("Runs & approvals")
user = user_sidebar()
show_messages()
runs = services.list_runs(store())


def start_new_run() -> None:
    with st.expander("Start a new run", expanded=runs.empty):
        upload = st.file_uploader("Records (CSV or Parquet)", type=["csv", "parquet", "pq", "gz"], key="upload")
        if upload is None:
            st.caption("Upload a table of records; you choose the id column and the text columns next.")
            return
        with user_errors():
            records = services.read_upload(upload.name, upload.getvalue(), settings())
            columns = list(records.columns)
            defaults = settings().input
            id_column = st.selectbox("Id column", columns, key="id_column",
                                     index=columns.index(defaults.id_column) if defaults.id_column in columns else 0)
            text_columns = st.multiselect("Text columns to combine", [c for c in columns if c != id_column],
                                          default=[c for c in defaults.text_columns if c in columns and c != id_column],
                                          key="text_columns")
            st.caption(f"{len(records):,} records, {len(columns)} columns.")
            if st.button("Start run", key="start_run", type="primary", disabled=not text_columns):
                chosen = replace(settings(), input=replace(defaults, id_column=id_column, text_columns=tuple(text_columns)))
                run_id = services.start_run(store(), records, chosen, user or "anonymous")
                st.session_state["current_run"] = run_id
                st.success(f"Run {run_id} started: preprocessing, embedding and layer 1 run in the background.")


start_new_run()
if runs.empty:
    st.info("No runs yet. Start one above, or from a terminal: `topic-curator run`.")
    st.stop()

st.dataframe(runs, hide_index=True, width="stretch")
run_id = selected_run(runs["run"].tolist())
record = load_run(store(), run_id)


@st.fragment(run_every=2.0 if record.status == "running" else None)
def run_status() -> None:
    current = load_run(store(), run_id)
    st.subheader(f"Run {run_id}: {current.status}")
    st.graphviz_chart(run_steps_dot(current))
    if current.status == "running":
        latest = services.progress(store(), run_id)
        if latest:
            st.progress(min(1.0, latest["fraction"]), text=latest["stage"])
    if current.error:
        st.error(f"The run stopped: {current.error}")
    steps = pd.DataFrame([{"step": n, "status": s.status, "seconds": s.seconds, "detail": s.detail}
                          for n, s in current.steps.items()])
    st.dataframe(steps, hide_index=True, width="stretch")
    if current.status != record.status:
        st.rerun()  # the run moved on: redraw the approval section


run_status()

summary = services.approval_summary(store(), run_id)
if summary is None:
    st.stop()

approval = summary.approval
st.subheader(f"Waiting for approval: {approval.step}")
st.write(f"Layer {approval.layer}, mapping version {summary.mapping.version} "
         f"(saved by {summary.mapping.created_by or 'topic-curator'}). "
         f"{summary.counts['kept']} topics kept, {summary.counts['merged']} merged, "
         f"{summary.counts['discarded']} discarded, {summary.counts['split']} split; "
         f"{summary.counts['drill_down']} marked for drill-down.")
if not summary.changes.is_empty:
    st.markdown("\n".join(f"- {line}" for line in summary.changes.summary()[:20]))
with st.expander("What will be sent (arguments)"):
    st.json({"token": approval.token, **approval.arguments, "mapping_version": summary.mapping.version})
if summary.problem:
    st.error(f"This mapping cannot be approved: {summary.problem}")

left, right = st.columns(2)
with left:
    if st.button("Approve", key="approve", type="primary", disabled=bool(summary.problem)):
        approved = guarded(services.approve_and_resume, store(), run_id, approval.layer, user, settings(),
                           version=summary.mapping.version)
        if approved is not None:
            where = "in SageMaker" if approval.on_sagemaker else "in the background"
            st.session_state["last_success"] = (
                f"Approved layer {approval.layer} (mapping version {approved.version}); the run goes on {where}.")
        st.rerun()
with right:
    reason = st.text_input("Reason for rejecting", key="reject_reason", max_chars=256)
    if st.button("Reject", key="reject", disabled=not reason.strip()):
        guarded(services.reject, store(), run_id, user, reason, settings(), success="Run rejected and stopped.")
        st.rerun()
if not settings().app.approvers:
    st.caption("Anyone with a name may approve (no approver list in the settings).")
