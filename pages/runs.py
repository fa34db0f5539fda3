"""Runs & approvals: every run and where it waits; approve or reject; start a new local run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.approval import approval_section
from app.loaders import approval_summary
from app.plots import run_steps_dot
from app.start_run import start_run_form
from app.state import selected_run, store, user_sidebar
from app.text import plain
from app.widgets import show_messages
from backend import services
from backend.runs.record import load_run

st.title("Runs & approvals")
user = user_sidebar()
runs = services.list_runs(store())
start_run_form(user, expanded=runs.empty)
show_messages()
if runs.empty:
    st.info("No runs yet. Start one above, or from a terminal: `topic-curator run`.")
    st.stop()

st.dataframe(runs, hide_index=True, width="stretch", key="runs_table")
run_id = selected_run(runs["run"].tolist())
record = load_run(store(), run_id)
status = services.run_status(store(), record)


# Polled while the record says running, even when it reads "interrupted": whoever resumes it (the
# app's background thread a moment after an approval, or the command line) moves it on.
@st.fragment(run_every=2.0 if record.status == "running" else None)
def run_status() -> None:
    current = load_run(store(), run_id)
    shown = services.run_status(store(), current)
    st.subheader(f"Run {run_id}: {shown}")
    if shown == "interrupted":
        st.warning("The process that ran it stopped (killed, or the machine restarted) before it finished: "
                   f"{plain(services.resume_hint(store(), run_id))} (it goes on from the step it stopped at).")
    st.graphviz_chart(run_steps_dot(current))
    if current.status == "running":
        latest = services.progress(store(), run_id)
        st.progress(min(1.0, latest["fraction"]) if latest else 0.0,
                    text=latest["stage"] if latest else "starting ...")
    if current.error:
        st.error(f"The run stopped: {plain(current.error)}")
    for name, state in current.steps.items():  # every reason a step was skipped or failed, where people look
        if state.status == "failed" and state.detail and state.detail not in (current.error or ""):
            st.error(f"{name} failed: {plain(state.detail)}")
        elif state.status == "skipped" and state.detail:
            st.info(f"{name} skipped: {plain(state.detail)}")
        elif "not split:" in (state.detail or ""):
            st.info(f"{name}: {plain(state.detail.split('; ', 1)[-1])}")
    steps = pd.DataFrame([{"step": n, "status": s.status, "seconds": s.seconds, "detail": s.detail}
                          for n, s in current.steps.items()])
    st.dataframe(steps, hide_index=True, width="stretch", key="steps_table")
    if shown != status:
        st.rerun()  # the run moved on: redraw the approval section


run_status()

summary = approval_summary(run_id)
if summary is not None:
    approval_section(run_id, user, summary)
