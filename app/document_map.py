"""The document map and its selection, in a fragment: a lasso or a click reruns only this part.

The selection is the map's own widget state, nothing kept beside it: it is highlighted while it
exists, counted, clearable, and gone when the map is (another page, another layer). One clicked
point opens its topic; several make a selection, with the actions on it right below the map.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import edits
from app.loaders import colours, documents_frame, map_figure, membership_token
from app.plots import map_legend, natural_key, selected_ids
from app.widgets import guarded
from backend import services
from backend.curation.operations import Move
from backend.curation.preview import SplitPreview, preview_split_groups
from backend.curation.session import CurationSession


def map_key(session: CurationSession, parent: str | None) -> str:
    return f"map::{edits.scope(session)}::{parent or ''}::{st.session_state.get('map_generation', 0)}"


def selection(session: CurationSession, parent: str | None) -> list[str]:
    """The ids of the documents selected on the map now."""
    return selected_ids(st.session_state.get(map_key(session, parent)))


def clear_selection() -> None:
    st.session_state["map_generation"] = st.session_state.get("map_generation", 0) + 1


def open_request(session: CurationSession) -> str:
    """Where a click on the map leaves the topic to open (the page opens it before drawing the panel)."""
    return f"open_request::{edits.scope(session)}"


@st.fragment
def map_area(session: CurationSession, parent: str | None, topics: pd.DataFrame, editable: bool,
             max_points: int) -> None:
    membership = membership_token(session)
    figure, shown, total = map_figure(membership, parent, max_points, session)
    if shown < total:
        st.caption(f"Showing a fixed random sample of {shown:,} of {total:,} documents (app.max_map_points), "
                   f"so the map stays smooth.")
    key = map_key(session, parent)
    event = st.plotly_chart(figure, key=key, on_select="rerun", selection_mode=("points", "box", "lasso"),
                            config={"displaylogo": False})
    names = services.topic_names(session)
    st.html(map_legend({k: names[k] for k in topics["topic"]}, colours(session)))
    picked = selected_ids(event)
    seen_key = f"seen::{key}"
    changed = st.session_state.get(seen_key) != picked
    st.session_state[seen_key] = picked
    if len(picked) == 1 and changed:
        st.session_state[open_request(session)] = _topics_of(session, picked)[0]
        st.rerun(scope="app")
    if len(picked) > 1:
        _selection_bar(session, picked, topics, editable)
    else:
        st.caption("Click a point to open its topic; draw a lasso or a box to select documents.")


def _topics_of(session: CurationSession, ids: list[str]) -> list[str]:
    documents = documents_frame(membership_token(session), session)
    positions = session.index.positions(ids)
    return documents["topic"].to_numpy()[positions].tolist()


def _selection_bar(session: CurationSession, picked: list[str], topics: pd.DataFrame,
                   editable: bool) -> None:
    within = sorted(set(_topics_of(session, picked)) - {""})
    with st.container(border=True):
        head, clear = st.columns([3, 2], vertical_alignment="center")  # room for the whole button label
        head.markdown(selection_summary(len(picked), within))
        clear.button("Clear selection", key="clear_selection", on_click=clear_selection, width="stretch")
        if not editable:
            return
        keys = topics["topic"].tolist()
        labels = dict(zip(topics["topic"], topics["label"]))
        target, move, split = st.columns([3, 1, 2], vertical_alignment="bottom")
        to = target.selectbox("Move them to", keys, key="move_to", format_func=lambda k: f"{k}: {labels.get(k, '')}")
        if move.button("Move", key="move", width="stretch"):
            if edits.apply(session, Move(documents=tuple(picked), to=to, by=session.user),
                           success=f"Moved {len(picked):,} documents to topic {to}."):
                clear_selection()
            st.rerun(scope="app")
        if len(within) == 1 and split.button(f"Split them off topic {within[0]}", key="split_selection",
                                             width="stretch"):
            preview = _preview_split_off(session, within[0], picked)
            if preview is not None and edits.apply(session, preview.operation,
                                                   success=f"Split {len(picked):,} documents off topic {within[0]} "
                                                           f"into topic {preview.new_topics[0]}."):
                clear_selection()
            st.rerun(scope="app")


def selection_summary(count: int, topics: list[str]) -> str:
    """"**12 documents selected**, in topics 2, 10." (topic keys as the map orders them)."""
    within = sorted(topics, key=natural_key)
    return (f"**{count:,} documents selected**, in topic{'s' if len(within) > 1 else ''} "
            f"{', '.join(within) or '(unassigned)'}.")


def _preview_split_off(session: CurationSession, topic: str, picked: list[str]) -> SplitPreview | None:
    return guarded(preview_split_groups, session.mapping, topic, (tuple(picked),), session.index,
                   session.keyword_index, by=session.user)
