"""The open topic's panel: its label, keywords with their weights, documents in full, sub-topics,
and every action on it (rename, drill-down, note, merge, split with preview, move the selected
documents here, discard). Every change goes through ``app.edits``."""

from __future__ import annotations

import html
from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st

from app import edits
from app.document_map import clear_selection
from app.loaders import keywords as topic_keywords
from app.loaders import mapping_token, membership_token
from app.plots import keyword_bars
from app.state import store
from app.text import plain
from app.widgets import guarded, user_errors
from backend import services
from backend.curation.operations import Discard, DrillDown, Merge, Move, Note, Rename
from backend.curation.preview import preview_merge, preview_split
from backend.curation.session import CurationSession

REPRESENTATIVE = 5


def topic_panel(session: CurationSession, topics: pd.DataFrame, layer_size: int, selected: list[str],
                editable: bool, open_key: str) -> None:
    keys = topics["topic"].tolist()
    if not keys:
        st.info("No kept topics here.")
        return
    if st.session_state.get(open_key) not in keys:
        st.session_state[open_key] = keys[0]
    row = topics.set_index("topic")
    # ``open_key`` holds the open topic (the table and the map set it too); the picker shows it, under
    # a key per mapping version so that its options show the labels as they are now.
    picker = f"{open_key}::{mapping_token(session)}"
    st.session_state[picker] = st.session_state[open_key]
    topic = st.selectbox("Open topic", keys, key=picker, on_change=_opened, args=(picker, open_key),
                         format_func=lambda k: f"{k}: {row.loc[k, 'label']} ({row.loc[k, 'documents']:,} documents)")
    decision = session.mapping.topics[topic]
    size = int(row.loc[topic, "documents"])
    with st.container(border=True):
        st.markdown(f"#### Topic {topic}: {plain(decision.label)}")
        st.caption(f"{size:,} documents ({size / max(layer_size, 1):.1%} of the layer); "
                   f"{'named by a person' if decision.origin == 'person' else 'named from its keywords'}.")
        fields, words = st.columns([2, 3])
        with fields:
            _fields(session, topic, editable)
        with words:
            keywords = topic_keywords(membership_token(session), session).get(topic, [])[:10]
            st.caption("Keywords and their weights")
            st.html(keyword_bars(keywords))
        documents, merge, split, more = st.tabs(["Documents", "Merge with…", "Split", "Move & discard"])
        with documents:
            _documents(session, topic)
        with merge:
            _merge(session, topic, keys, row, editable)
        with split:
            _split(session, topic, size, editable)
        with more:
            _move_and_discard(session, topic, selected, editable)


def _opened(picker: str, open_key: str) -> None:
    st.session_state[open_key] = st.session_state[picker]


def _fields(session: CurationSession, topic: str, editable: bool) -> None:
    decision = session.mapping.topics[topic]
    label_key = edits.panel_key(session, topic, "label")
    st.text_input("Label", value=decision.label, key=label_key, disabled=not editable,
                  on_change=partial(_field_changed, session, label_key,
                                    lambda value: Rename(topic=topic, label=value, by=session.user)))
    drill_key = edits.panel_key(session, topic, "drill")
    last_layer = session.layer >= 3
    st.toggle("Drill down into it in the next layer", value=decision.drill_down, key=drill_key,
              disabled=not editable or last_layer,
              help="Layer 3 is the last layer." if last_layer else "Its documents get sub-topics once approved.",
              on_change=partial(_field_changed, session, drill_key,
                                lambda value: DrillDown(topic=topic, on=bool(value), by=session.user)))
    note_key = edits.panel_key(session, topic, "note")
    st.text_area("Note", value=decision.note, key=note_key, disabled=not editable, height=90,
                 on_change=partial(_field_changed, session, note_key,
                                   lambda value: Note(topic=topic, text=value or "", by=session.user)))


def _field_changed(session: CurationSession, key: str, make) -> None:
    if key not in st.session_state:
        return  # a field of a panel since redrawn from the mapping: what it held is no longer news
    op = make(st.session_state[key])
    if edits.changes_something(op, session.mapping):  # a field redrawn by a rerun reports no change
        edits.apply(session, op, redraw_panel=False)


def _documents(session: CurationSession, topic: str) -> None:
    known = session.result.topics.get(topic)
    ids = list(known.representative_ids[:REPRESENTATIVE]) if known else []
    if not ids:  # a topic made by a person: its first documents
        members = session.index.members(session.mapping, topic)
        ids = session.index.ids[members[:REPRESENTATIVE]].tolist()
    st.caption("Representative documents (closest to the topic's centre)" if known else "Some of its documents")
    texts = session.context.texts
    for doc_id in ids:
        st.html(f"<div style='padding:6px 0;border-bottom:1px solid #eee;white-space:pre-wrap'>"
                f"<small style='color:#757575'>{html.escape(doc_id)}</small><br>{html.escape(str(texts.get(doc_id, '')))}"
                f"</div>")
    children = services.subtopics(store(), session.run_id, session.layer, topic)
    if not children.empty:
        st.caption(f"Sub-topics in layer {session.layer + 1}")
        st.dataframe(children, hide_index=True, width="stretch", key=f"children::{topic}")
    skipped = services.skipped_parents(store(), session.run_id, session.layer + 1) if session.layer < 3 else {}
    if topic in skipped:
        st.warning(f"Layer {session.layer + 1} did not split this topic: {skipped[topic]}.")


def _merge(session: CurationSession, topic: str, keys: list[str], row: pd.DataFrame, editable: bool) -> None:
    others = [k for k in keys if k != topic]
    chosen = st.multiselect("Merge these topics into this one", others, key=f"merge_with::{topic}",
                            disabled=not editable, format_func=lambda k: f"{k}: {row.loc[k, 'label']}")
    label = st.text_input("Label of the merged topic (empty: keep this one's)", key=f"merge_label::{topic}",
                          disabled=not editable)
    if not chosen:
        st.caption("Topics can be merged with their siblings (the same parent) only.")
        return
    op = Merge(topics=(topic, *chosen), into=topic, label=label or None, by=session.user)
    with user_errors():
        preview = preview_merge(session.mapping, op, session.index, session.keyword_index)
        st.write("Keywords after the merge: " + plain(", ".join(w for w, _ in preview.merged_keywords[:10])))
        if preview.other_changes:
            st.caption("Other topics whose keywords would change:")
            st.dataframe(pd.DataFrame([{"topic": c.topic, "gains": ", ".join(c.gained), "loses": ", ".join(c.lost)}
                                       for c in preview.other_changes]), hide_index=True, key=f"merge_effects::{topic}")
    st.button(f"Merge {len(chosen) + 1} topics", key="merge", type="primary", disabled=not editable,
              on_click=_merged, args=(session, op))


def _merged(session: CurationSession, op: Merge) -> None:
    st.session_state.pop(f"merge_with::{op.into}", None)
    edits.apply(session, op, success=f"Merged {', '.join(op.topics[1:])} into topic {op.into}.")


def _split(session: CurationSession, topic: str, size: int, editable: bool) -> None:
    if size < 2:
        st.caption("A topic needs at least 2 documents to be split.")
        return
    k = st.slider("Sub-topics", 2, min(8, size), 2, key=f"split_k::{topic}", disabled=not editable)
    preview_key = f"split_preview::{edits.scope(session)}"
    if st.button("Preview the split", key="preview_split", disabled=not editable):
        st.session_state[preview_key] = guarded(preview_split, session.mapping, topic, k, session.index,
                                                session.keyword_index, by=session.user)
    preview = st.session_state.get(preview_key)
    if preview is None or preview.operation.topic != topic:
        st.caption("Re-clusters the topic's documents with BIRCH; you see the parts and their keywords first.")
        return
    names = []
    for i, (key, count, words) in enumerate(zip(preview.new_topics, preview.sizes, preview.keywords)):
        names.append(st.text_input(f"Topic {key}: {count:,} documents; keywords: "
                                   f"{plain(', '.join(w for w, _ in words[:8]))}",
                                   value=preview.operation.labels[i], key=f"split_name::{topic}::{i}"))
    if st.button("Apply the split", key="apply_split", type="primary"):
        if edits.apply(session, replace(preview.operation, labels=tuple(names)),
                       success=f"Split topic {topic} into {', '.join(preview.new_topics)}."):
            st.session_state.pop(preview_key, None)
        st.rerun()


def _move_and_discard(session: CurationSession, topic: str, selected: list[str], editable: bool) -> None:
    if selected:
        st.button(f"Move the {len(selected):,} selected documents into this topic", key="move_here",
                  disabled=not editable, on_click=_move_here, args=(session, topic, tuple(selected)))
    else:
        st.caption("Select documents on the map (lasso or box) to move them here.")
    st.divider()
    st.caption(f"Discarding keeps the documents and exports them as '{services.UNASSIGNED_LABEL}'.")
    st.button(f"Discard topic {topic}", key="discard", disabled=not editable,
              on_click=edits.apply, args=(session, Discard(topic=topic, by=session.user), f"Discarded topic {topic}."))


def _move_here(session: CurationSession, topic: str, documents: tuple[str, ...]) -> None:
    if edits.apply(session, Move(documents=documents, to=topic, by=session.user),
                   success=f"Moved {len(documents):,} documents into topic {topic}."):
        clear_selection()
