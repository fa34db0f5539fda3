"""Start a run from an uploaded table: columns, topics and stop words chosen and checked before it
starts; the new run is selected at once, and one upload starts one run."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app.state import choose_run, settings, store
from app.text import plain
from app.widgets import show_later, user_errors
from backend import services
from backend.errors import CuratorError
from backend.settings import Settings

ENCODINGS = ("utf-8", "cp1252", "latin-1")


def start_run_form(user: str, expanded: bool) -> None:
    with st.expander("Start a new run", expanded=expanded):
        # No type filter on the uploader: a wrong kind of file gets our message, not a bare red icon.
        upload = st.file_uploader("Records (CSV or Parquet)", key="upload")
        if upload is None:
            st.caption("Upload a table of records; you choose the id column and the text columns next.")
            return
        encoding = st.selectbox("Encoding (CSV)", ENCODINGS, key="encoding",
                                help="Files exported from Excel are often cp1252 or latin-1.")
        with user_errors():
            records = services.read_upload(upload.name, upload.getvalue(), encoding)
            _choose_and_start(records, upload.file_id, user)


def _choose_and_start(records, upload_id: str, user: str) -> None:
    defaults = settings()
    columns = [str(c) for c in records.columns]
    id_column = st.selectbox("Id column", columns, key="id_column",
                             index=columns.index(defaults.input.id_column) if defaults.input.id_column in columns else 0)
    text_columns = st.multiselect("Text columns to combine", [c for c in columns if c != id_column], key="text_columns",
                                  default=[c for c in defaults.input.text_columns if c in columns and c != id_column])
    suggested = services.suggested_topics(len(records), defaults.layer)
    n_topics = st.number_input("Topics in layer 1", min_value=defaults.layer.min_topics,
                               max_value=defaults.layer.max_topics, value=suggested, step=1, key="n_topics",
                               help=f"Suggested for {len(records):,} records: {suggested} (about one per 250).")
    stop_words = st.text_input("Extra stop words (comma-separated)", key="stop_words",
                               placeholder="e.g. opportunity, customer, deal",
                               help="Words that say nothing about the use case in your data; kept out of keywords.")
    problem = None
    try:
        services.check_upload(records, id_column, text_columns)
    except CuratorError as exc:
        problem = exc
        st.error(f"{plain(exc.problem)}\n\n**What to do:** {plain(exc.fix)}")
    started = st.session_state.get("started_from_upload", {})
    if upload_id in started:
        st.success(f"Run {started[upload_id]} was started from this file; it is selected below. "
                   f"Upload another file to start another run.")
    chosen = replace(defaults,
                     input=replace(defaults.input, id_column=id_column, text_columns=tuple(text_columns)),
                     layer=replace(defaults.layer, n_topics=int(n_topics)),
                     cleaning=replace(defaults.cleaning, extra_stop_words=tuple(
                         w.strip() for w in stop_words.split(",") if w.strip())))
    st.caption(f"{len(records):,} records, {len(columns)} columns.")
    st.button("Start run", key="start_run", type="primary", disabled=problem is not None or upload_id in started,
              on_click=_start, args=(records, chosen, user, upload_id))


def _start(records, chosen: Settings, user: str, upload_id: str) -> None:
    """Runs before the page is drawn, so the page shows the new run selected, with its progress."""
    try:
        run_id = services.start_run(store(), records, chosen, user or "anonymous")
    except CuratorError as exc:
        show_later(exc)
        return
    st.session_state.setdefault("started_from_upload", {})[upload_id] = run_id
    choose_run(run_id)
    st.session_state["last_success"] = f"Run {run_id} started: preprocessing, embedding and layer 1 run in the background."
