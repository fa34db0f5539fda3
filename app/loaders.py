"""Cached loaders: shared, read-only objects in ``st.cache_resource``; small frames and figures in
``st.cache_data``, keyed by the mapping they show, so a click that changes nothing redraws nothing.
What depends only on which documents each topic holds (keywords, the document frame, the map's
points) is keyed by ``membership_token``: a rename, a note or a drill-down mark recomputes none of it.

A curation session is one person's work, so it lives in that person's session state, built on
the shared layer context (fit, index, term counts), which is loaded once per layer.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from app.plots import document_map, hierarchy, sample_for_map, topic_colours
from app.state import store
from backend import services
from backend.curation.session import CurationSession, LayerContext
from backend.curation.versions import version_numbers
from backend.runs.record import load_run
from backend.runs.step_id import StepId


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


def mapping_token(session: CurationSession) -> str:
    """Names the session's current mapping: its saved version and every operation applied since.
    The caches are shared by all users, so two histories that end alike must not share a name."""
    return _token(session, session.mapping.operations)


def membership_token(session: CurationSession) -> str:
    """Names which documents each topic holds under the session's mapping: like ``mapping_token``,
    but blind to the operations that cannot move a document."""
    return _token(session, [op for op in session.mapping.operations if op.changes_membership])


def _token(session: CurationSession, operations: list) -> str:
    log = json.dumps([op.to_dict() for op in operations], sort_keys=True)
    return f"{session.run_id}/{session.layer}/v{session.base_version}/{hashlib.sha1(log.encode()).hexdigest()[:16]}"


@st.cache_data(max_entries=32, show_spinner=False)
def topics_frame(token: str, _session: CurationSession) -> pd.DataFrame:
    return services.topics_table(_session, keywords(membership_token(_session), _session))


@st.cache_resource(max_entries=4, show_spinner=False)
def documents_frame(membership: str, _session: CurationSession) -> pd.DataFrame:
    """Every document of the layer (``membership_token`` names it). A resource, not data: the same
    frame for every rerun and every user instead of a copy unpickled per rerun, so callers never
    modify it."""
    return services.layer_documents(_session)


@st.cache_data(max_entries=16, show_spinner=False)
def map_figure(membership: str, parent: str | None, max_points: int, _session: CurationSession) -> tuple[dict, int, int]:
    """The map of one parent's documents (all of them on layer 1): the figure, and how many of how
    many documents it shows. The figure is a plain dict: a ``go.Figure`` that went through
    ``st.cache_data``'s pickling draws, but its lasso selections never reached the server (Streamlit
    1.67, seen in Chromium)."""
    documents = documents_frame(membership, _session)
    if parent is not None:
        documents = documents[documents["parent"] == parent]
    shown, _ = sample_for_map(documents, max_points)
    return document_map(shown, colours(_session)), len(shown), len(documents)


def colours(session: CurationSession) -> dict[str, str]:
    """Each kept topic's colour on the map and in its legend."""
    return topic_colours([k for k, d in session.mapping.topics.items() if d.status == "kept"])


@st.cache_data(max_entries=8, show_spinner=False)
def hierarchy_figure(run_id: str, updated_at: str) -> dict | None:
    """The use-case sunburst of the run as approved so far (None before layer 1 is approved);
    ``updated_at`` (the run record's) renews it when an approval moves the run on. A plain dict,
    like the map (see ``map_figure``)."""
    if not services.is_approved(store(), run_id, 1):
        return None
    labels, _, _ = services.export_labels(store(), run_id)
    return hierarchy(labels).to_dict()


def approval_summary(run_id: str) -> services.ApprovalSummary | None:
    """What Approve would send for the run's waiting step: checked once per saved version, not per click."""
    record = load_run(store(), run_id)
    if record.waiting_at is None:
        return None
    versions = version_numbers(store(), run_id, StepId.parse(record.waiting_at).layer)
    return _approval_summary(run_id, record.updated_at or "", versions[-1] if versions else 0)


@st.cache_data(max_entries=16, show_spinner=False)
def _approval_summary(run_id: str, updated_at: str, latest_version: int) -> services.ApprovalSummary | None:
    return services.approval_summary(store(), run_id)


@st.cache_data(max_entries=8, show_spinner=False)
def parent_topics(run_id: str, layer: int, _session: CurationSession) -> pd.DataFrame:
    return services.parent_topics(store(), _session)


@st.cache_data(max_entries=32, show_spinner=False)
def keywords(membership: str, _session: CurationSession) -> dict:
    """Every kept topic's keywords under the session's current mapping (``membership_token`` names it)."""
    return _session.keywords()
