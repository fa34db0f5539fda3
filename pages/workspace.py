"""Curate a layer: the document map and the topic list side by side, the open topic's panel with
every action on it, and the layer's documents, hierarchy and history below."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import edits
from app.approval import approval_section
from app.document_map import map_area, open_request, selection
from app.documents_view import documents_view
from app.loaders import (
    approval_summary,
    curation_session,
    documents_frame,
    hierarchy_figure,
    mapping_token,
    membership_token,
    parent_topics,
    topics_frame,
)
from app.state import settings, store
from app.text import plain
from app.toolbar import toolbar
from app.topic_list import topic_list
from app.topic_panel import topic_panel
from app.widgets import choose_layer, page_start, show_messages, user_errors
from backend import services
from backend.curation.diff import diff
from backend.curation.mapping import parent_of
from backend.runs.record import load_run

user, run_id = page_start("Curate")
layer = choose_layer(services.fitted_layers(store(), run_id))
if layer is None:
    st.stop()

with user_errors():
    session = curation_session(run_id, layer, user)
    edits.apply_table_edits(session)  # what the last click sent, before anything is drawn
    show_messages()
    editable = toolbar(session, user)
    token = mapping_token(session)
    topics = topics_frame(token, session)
    documents = documents_frame(membership_token(session), session)

    parent = None
    if layer > 1:
        parents = parent_topics(run_id, layer, session)
        labels = dict(zip(parents["parent"], parents["label"]))
        sizes = dict(zip(parents["parent"], parents["documents"]))
        parent = st.selectbox(f"Topic of layer {layer - 1}", parents["parent"].tolist(), key=f"parent::{layer}",
                              format_func=lambda p: f"{p}: {labels[p]} ({sizes[p]:,} documents)",
                              help="Each topic of the layer above has its own sub-model and its own map.")
        skipped = services.skipped_parents(store(), run_id, layer)
        if skipped:
            st.info("Not split in this layer: " + "; ".join(f"topic {plain(k)} ({plain(why)})" for k, why in skipped.items()))
        topics = topics[topics["topic"].map(parent_of) == parent]
    if topics.empty:  # e.g. layer 2 of a run approved without drill-down: nothing to map or curate
        st.info(f"Layer {layer} has no topics{f' under topic {parent}' if parent else ''}: no topic of layer "
                f"{layer - 1} was split into it. Choose another layer in the sidebar.")
        st.stop()

    open_key = f"open_topic::{edits.scope(session)}::{parent or ''}"
    requested = st.session_state.pop(open_request(session), None)
    if requested in topics["topic"].tolist():
        st.session_state[open_key] = requested

    st.caption(f"Layer {layer} of run {run_id}: {len(topics)} topics"
               f"{f' under topic {parent}' if parent else ''}, {len(documents):,} documents in the layer.")
    left, right = st.columns(2)
    with left:
        map_area(session, parent, topics, editable, settings().app.max_map_points)
    with right:
        topic_list(session, topics, parent, editable, open_key)
    topic_panel(session, topics, len(documents), selection(session, parent), editable, open_key)

    summary = approval_summary(run_id)
    if summary is not None and summary.approval.layer == layer:
        with st.container(border=True):
            approval_section(run_id, user, summary, key="::workspace")

    docs_tab, tree_tab, history_tab = st.tabs(["Documents", "Hierarchy", "History"])
    with docs_tab:
        documents_view(documents, services.topic_names(session), st.session_state.get(open_key), key=edits.scope(session))
    with tree_tab:
        figure = hierarchy_figure(run_id, load_run(store(), run_id).updated_at or "")
        if figure is None:
            st.info("The hierarchy appears once layer 1 is approved.")
        else:
            st.plotly_chart(figure, key="hierarchy")
    with history_tab:
        log = session.mapping.operations
        saved = len(session.history.base.operations)
        if log:
            st.dataframe(pd.DataFrame([{"#": i + 1, "change": op.describe(), "by": op.by, "at": op.at,
                                        "saved": i < saved} for i, op in enumerate(log)][::-1]),
                         hide_index=True, width="stretch", key="history")
        else:
            st.caption("No changes yet.")
        since = diff(session.history.base, session.mapping)
        if not since.is_empty:
            st.markdown("**Since the last save:**\n" + "\n".join(f"- {plain(line)}" for line in since.summary()))
