"""The one queue every curation edit goes through, in the order it was made, so none is lost.

Edits come from three places: the topics table (``st.data_editor``), the topic panel's fields
and the action buttons. Streamlit reports a table's edits as ``edited_rows``: every cell changed
since the table was drawn, cumulatively. So the table is drawn from a fixed snapshot, and each
rerun turns only the cells that still differ from the session's current mapping into operations
(``table_operations``). A quick second edit, arriving while the first is applied, is therefore
never replaced by a redrawn table; it is one more difference, applied once.

An edit made anywhere else makes the snapshot stale, so it is retaken (a new table ``generation``)
after the table's own pending edits are applied, and the panel's fields are redrawn from the mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app.widgets import show_later
from backend.curation.apply import clean_label
from backend.curation.mapping import Mapping
from backend.curation.operations import DrillDown, Note, Operation, Rename
from backend.curation.session import CurationSession
from backend.errors import CuratorError

EDITABLE = ("label", "drill down", "note")


def scope(session: CurationSession) -> str:
    return f"{session.run_id}::{session.layer}::{session.user}"


# The topics table ------------------------------------------------------------------------------

def table_key(session: CurationSession, parent: str | None) -> str:
    return f"{_tables(session)}{parent or ''}"


def _tables(session: CurationSession) -> str:
    """What the keys of this generation's tables start with."""
    return f"topics_editor::{scope(session)}::{st.session_state.get('table_generation::' + scope(session), 0)}::"


def table_snapshot(session: CurationSession, current: pd.DataFrame, parent: str | None) -> pd.DataFrame:
    """The frame a table is drawn from: taken once per generation, so its edits stay meaningful."""
    key = f"snapshot::{table_key(session, parent)}"
    if key not in st.session_state:
        st.session_state[key] = current.reset_index(drop=True)
    return st.session_state[key]


def table_operations(snapshot: pd.DataFrame, edited_rows: dict[Any, dict[str, Any]], mapping: Mapping,
                     by: str) -> list[Operation]:
    """The operations that bring ``mapping`` to what the table shows: one per edited cell whose
    value differs from the mapping (so each edit is applied exactly once, however often it is read)."""
    operations: list[Operation] = []
    for row, cells in sorted(edited_rows.items(), key=lambda item: int(item[0])):
        position = int(row)
        if position >= len(snapshot):
            continue
        topic = str(snapshot.iloc[position]["topic"])
        if "label" in cells:
            operations.append(Rename(topic=topic, label=str(cells["label"] or ""), by=by))
        if "drill down" in cells:
            operations.append(DrillDown(topic=topic, on=bool(cells["drill down"]), by=by))
        if "note" in cells:
            operations.append(Note(topic=topic, text=str(cells["note"] or ""), by=by))
    return [op for op in operations if changes_something(op, mapping)]


def changes_something(op: Rename | DrillDown | Note, mapping: Mapping) -> bool:
    """Whether a field's edit differs from the mapping (a kept topic's label, mark or note)."""
    decision = mapping.topics.get(op.topic)
    if decision is None or decision.status != "kept":
        return False
    if isinstance(op, Rename):
        return _label_differs(op.label, decision.label)
    if isinstance(op, DrillDown):
        return op.on != decision.drill_down
    return op.text.strip() != decision.note


def _label_differs(typed: Any, current: str) -> bool:
    try:
        return clean_label(str(typed or "")) != current
    except CuratorError:
        return True  # an empty or too long label: applying it says why


def apply_table_edits(session: CurationSession) -> int:
    """Apply the tables' edits not applied yet (call before anything is drawn); returns how many."""
    operations = []
    for snapshot_key in [k for k in st.session_state if str(k).startswith(f"snapshot::{_tables(session)}")]:
        state = st.session_state.get(snapshot_key.removeprefix("snapshot::"))
        if state:
            operations += table_operations(st.session_state[snapshot_key], dict(state.get("edited_rows", {})),
                                           session.mapping, session.user)
    applied = 0
    for op in operations:
        try:
            session.apply(op)
            applied += 1
        except CuratorError as exc:
            show_later(exc)
    if applied:
        _refresh_panel(session)
    return applied


# Every other edit ----------------------------------------------------------------------------------

def apply(session: CurationSession, op: Operation, success: str | None = None, redraw_panel: bool = True) -> bool:
    """Apply one operation from the panel or an action button; False (and a message) if refused."""
    return act(session, lambda: session.apply(op), success, redraw_panel)


def act(session: CurationSession, action: Callable[[], Any], success: str | None = None,
        redraw_panel: bool = True) -> bool:
    """Run a change to the session (an operation, undo, redo, save, replay, discard) in the queue:
    the table's pending edits first, then the change, then fresh snapshots."""
    apply_table_edits(session)
    try:
        action()
        done = True
        if success:
            st.session_state["last_success"] = success
    except CuratorError as exc:
        show_later(exc)
        done = False
    for key in [k for k in st.session_state if str(k).startswith(f"snapshot::{_tables(session)}")]:
        del st.session_state[key]  # the tables are drawn afresh, from the mapping as it is now
    generation = f"table_generation::{scope(session)}"
    st.session_state[generation] = st.session_state.get(generation, 0) + 1
    if redraw_panel:
        _refresh_panel(session)
    return done


def panel_key(session: CurationSession, topic: str, field: str) -> str:
    generation = st.session_state.get(f"panel_generation::{scope(session)}", 0)
    return f"panel::{scope(session)}::{generation}::{topic}::{field}"


def _refresh_panel(session: CurationSession) -> None:
    """Draw the panel's fields again from the mapping: under new keys, because a browser sends back
    what a field last showed, which would otherwise undo a change made elsewhere (the table, undo)."""
    prefix = f"panel::{scope(session)}::"
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]
    generation = f"panel_generation::{scope(session)}"
    st.session_state[generation] = st.session_state.get(generation, 0) + 1
