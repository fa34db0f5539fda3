"""Curate: rename, merge, split, move, discard, drill down, notes; undo / redo; history; save."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.loaders import curation_session
from app.state import store
from app.widgets import choose_layer, guarded, page_start, user_errors
from backend import services
from backend.curation.diff import diff
from backend.curation.operations import Discard, DrillDown, Merge, Move, Note, Rename
from backend.curation.preview import preview_merge, preview_split, preview_split_groups
from backend.errors import SaveConflictError

user, run_id = page_start("Curate", need_name=True)
layer = choose_layer(services.fitted_layers(store(), run_id))
if layer is None:
    st.stop()
session = curation_session(run_id, layer, user)


def apply(op) -> None:
    guarded(session.apply, op)


# Toolbar -------------------------------------------------------------------------------------
bar = st.columns([1, 1, 1, 3])
bar[0].button("Undo", key="undo", disabled=not session.history.can_undo, on_click=guarded, args=(session.undo,))
bar[1].button("Redo", key="redo", disabled=not session.history.can_redo, on_click=guarded, args=(session.redo,))
if bar[2].button("Save", key="save", type="primary", disabled=not session.unsaved):
    try:
        saved = session.save()
        st.session_state["last_success"] = f"Saved as version {saved.version}."
    except SaveConflictError as exc:
        st.session_state["conflict"] = (exc.problem, exc.fix)
    except Exception as exc:  # a CuratorError from the store: keep the work, say what happened
        st.session_state["last_error"] = (str(getattr(exc, "problem", exc)), getattr(exc, "fix", ""))
    st.rerun()
bar[3].caption(f"Layer {layer}, based on version {session.base_version}; "
               f"{len(session.unsaved)} unsaved change(s), autosaved as a draft.")

conflict = st.session_state.get("conflict")
if conflict:
    st.warning(f"{conflict[0]}\n\n{conflict[1]}")
    if st.button("Replay my changes onto the newest version", key="rebase"):
        problems = session.rebase()
        st.session_state.pop("conflict", None)
        st.session_state["rebase_report"] = [f"{c.operation.describe()}: {c.problem}" for c in problems]
        st.rerun()
if session.stale_draft:
    st.warning(f"You have {len(session.stale_draft)} unsaved change(s) from before someone saved a newer version.")
    st.button("Replay them onto the newest version", key="rebase_draft", on_click=guarded, args=(session.rebase,))
report = st.session_state.pop("rebase_report", None)
if report is not None:
    st.info("Replayed your changes." + ("" if not report else " These no longer apply and were left out:\n\n"
                                        + "\n".join(f"- {line}" for line in report)))

topics = services.topics_table(session)
keys = topics["topic"].tolist()
label_of = dict(zip(topics["topic"], topics["label"]))


def describe(key: str) -> str:
    return f"{key}: {label_of.get(key, '')}"


# Rename, drill down and notes in place -------------------------------------------------------
st.subheader("Topics")
editor_key = f"topics_editor_{st.session_state.get('editor_round', 0)}"
edited = st.data_editor(
    topics, key=editor_key, hide_index=True, width="stretch",
    disabled=["topic", "documents", "keywords", "made by"],
    column_config={"label": st.column_config.TextColumn(max_chars=120, required=True),
                   "note": st.column_config.TextColumn(max_chars=2000)},
)
changes = []
for before, after in zip(topics.to_dict("records"), edited.to_dict("records")):
    if after["label"] != before["label"]:
        changes.append(Rename(topic=before["topic"], label=str(after["label"] or ""), by=user))
    if bool(after["drill down"]) != bool(before["drill down"]):
        changes.append(DrillDown(topic=before["topic"], on=bool(after["drill down"]), by=user))
    if (after["note"] or "") != (before["note"] or ""):
        changes.append(Note(topic=before["topic"], text=str(after["note"] or ""), by=user))
if changes:
    for op in changes:
        apply(op)
    st.session_state["editor_round"] = st.session_state.get("editor_round", 0) + 1  # a fresh editor
    st.rerun()

with st.expander("Rename a topic", expanded=True):
    rename_topic = st.selectbox("Topic", keys, format_func=describe, key="rename_topic")
    new_label = st.text_input("New label", key="rename_label", max_chars=120)
    st.button("Rename", key="rename", disabled=not new_label.strip(),
              on_click=apply, args=(Rename(topic=rename_topic, label=new_label, by=user),))

with st.expander("Drill down"):
    drill_topic = st.selectbox("Topic", keys, format_func=describe, key="drill_topic")
    marked = bool(topics.set_index("topic").loc[drill_topic, "drill down"]) if drill_topic else False
    st.caption("Marked topics are split into sub-topics by the next layer once this layer is approved.")
    st.button("Unmark for drill-down" if marked else "Mark for drill-down", key="drill",
              on_click=apply, args=(DrillDown(topic=drill_topic, on=not marked, by=user),))

# Merge ---------------------------------------------------------------------------------------
with st.expander("Merge topics"):
    chosen = st.multiselect("Topics to merge", keys, format_func=describe, key="merge_topics")
    target = st.selectbox("Into", chosen or [None], format_func=lambda k: describe(k) if k else "-", key="merge_into")
    merged_label = st.text_input("Label of the merged topic (empty: keep the target's)", key="merge_label")
    if len(chosen) >= 2:
        op = Merge(topics=tuple(chosen), into=target, label=merged_label or None, by=user)
        with user_errors():
            preview = preview_merge(session.mapping, op, session.index, session.keyword_index)
            st.write("Keywords after the merge: " + ", ".join(w for w, _ in preview.merged_keywords[:10]))
            if preview.other_changes:
                st.caption("Other topics whose keywords would change:")
                st.dataframe(pd.DataFrame([{"topic": c.topic, "gains": ", ".join(c.gained), "loses": ", ".join(c.lost)}
                                           for c in preview.other_changes]), hide_index=True)
        st.button("Merge", key="merge", type="primary", on_click=apply, args=(op,))

# Split ---------------------------------------------------------------------------------------
with st.expander("Split a topic"):
    split_topic = st.selectbox("Topic", keys, format_func=describe, key="split_topic")
    k = st.slider("Sub-topics", 2, 8, 2, key="split_k")
    if st.button("Preview split", key="preview_split"):
        with user_errors():
            st.session_state["split_preview"] = preview_split(session.mapping, split_topic, k, session.index,
                                                              session.keyword_index, by=user)
    selected = st.session_state.get("selected_documents", [])
    if selected and st.button(f"Preview splitting off the {len(selected)} selected documents", key="preview_lasso"):
        with user_errors():
            st.session_state["split_preview"] = preview_split_groups(
                session.mapping, split_topic, (tuple(selected),), session.index, session.keyword_index, by=user)
    preview = st.session_state.get("split_preview")
    if preview is not None and preview.operation.topic in keys:
        st.dataframe(pd.DataFrame({"new topic": preview.new_topics, "documents": preview.sizes,
                                   "keywords": [", ".join(w for w, _ in kw[:8]) for kw in preview.keywords]}),
                     hide_index=True)
        if st.button("Apply split", key="apply_split", type="primary"):
            apply(preview.operation)
            st.session_state.pop("split_preview", None)
            st.rerun()

# Move, discard -------------------------------------------------------------------------------
with st.expander("Move documents"):
    selected = st.session_state.get("selected_documents", [])
    typed = st.text_area("Document ids (one per line), or select them on the explorer's map",
                         value="\n".join(selected), key="move_ids")
    documents = tuple(d.strip() for d in typed.splitlines() if d.strip())
    destination = st.selectbox("To topic", keys, format_func=describe, key="move_to")
    st.button(f"Move {len(documents)} document(s)", key="move", disabled=not documents,
              on_click=apply, args=(Move(documents=documents, to=destination, by=user),))

with st.expander("Discard a topic"):
    discard_topic = st.selectbox("Topic", keys, format_func=describe, key="discard_topic")
    st.caption("Its documents become 'Unassigned/other': kept, and exported as such.")
    st.button("Discard", key="discard", on_click=apply, args=(Discard(topic=discard_topic, by=user),))

# History and diff ----------------------------------------------------------------------------
st.subheader("History")
log = session.mapping.operations
if log:
    saved_count = len(session.history.base.operations)
    st.dataframe(pd.DataFrame([{"#": i + 1, "change": op.describe(), "by": op.by, "at": op.at,
                                "saved": i < saved_count} for i, op in enumerate(log)][::-1]),
                 hide_index=True, width="stretch", key="history")
else:
    st.caption("No changes yet.")
changes_since_save = diff(session.history.base, session.mapping)
if not changes_since_save.is_empty:
    st.markdown("**Since the last save:**\n" + "\n".join(f"- {line}" for line in changes_since_save.summary()))
