"""The topic list beside the map: click a row to open the topic, or edit labels, drill-down marks
and notes in place (``st.data_editor``, its edits applied through ``app.edits``)."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from app import edits
from backend.curation.session import CurationSession

ROW_HEIGHT = 35


def topic_list(session: CurationSession, topics: pd.DataFrame, parent: str | None, editable: bool,
               open_key: str) -> None:
    """All of ``topics`` (one parent's, on layers 2-3), every row and column visible."""
    height = ROW_HEIGHT * (len(topics) + 1) + 3
    columns = {
        "topic": st.column_config.TextColumn("topic", width="small"),
        "label": st.column_config.TextColumn("label", width="medium"),
        "documents": st.column_config.ProgressColumn("documents", format="%d", min_value=0, width="small",
                                                     max_value=int(topics["documents"].max() or 1)),
        "keywords": st.column_config.TextColumn("keywords", width="large"),
        "drill down": st.column_config.CheckboxColumn("drill down", width="small"),
        "note": st.column_config.TextColumn("note", width="medium"),
    }
    shown = ["topic", "label", "documents", "drill down", "keywords", "note"]
    # The choice is kept beside the widget: a run in which the toggle is not drawn (the layer briefly
    # not editable, say) would forget the widget's state, and the table's edits in flight with it.
    choice = f"editing::{edits.scope(session)}"
    editing = editable and st.toggle("Edit in the table", key=f"edit_table::{edits.scope(session)}",
                                     value=st.session_state.get(choice, False), on_change=_remember,
                                     args=(f"edit_table::{edits.scope(session)}", choice),
                                     help="Rename, mark for drill-down and write notes right in the table.")
    if editing:
        snapshot = edits.table_snapshot(session, topics[shown], parent)
        st.data_editor(snapshot, key=edits.table_key(session, parent), hide_index=True, height=height, column_config=columns,
                       disabled=["topic", "documents", "keywords"], width="stretch")
        return
    st.caption("Click a row to open the topic.")
    list_key = f"topic_rows::{edits.scope(session)}"
    st.dataframe(topics[shown], key=list_key, hide_index=True, height=height, column_config=columns, width="stretch",
                 on_select=partial(_open_clicked, list_key, topics["topic"].tolist(), open_key),
                 selection_mode="single-row")


def _remember(widget: str, choice: str) -> None:
    st.session_state[choice] = st.session_state[widget]


def _open_clicked(list_key: str, keys: list[str], open_key: str) -> None:
    rows = st.session_state[list_key].selection.rows
    if rows:
        st.session_state[open_key] = keys[rows[0]]
