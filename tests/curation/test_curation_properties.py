"""Properties that must hold for any sequence of valid operations (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.curation.apply import replay
from backend.curation.history import History
from backend.curation.layer_index import DISCARDED
from backend.curation.mapping import mapping_from_dict, validate
from backend.curation.operations import (
    Discard,
    DrillDown,
    Merge,
    Move,
    Note,
    Rename,
    Split,
    operation_from_dict,
)
from backend.errors import MappingError
from tests.curation.curation_fixtures import toy_setup

RESULT, INDEX, INITIAL, _ = toy_setup(n_topics=5, per_topic=6)
DOC_IDS = list(INDEX.ids)


@st.composite
def operation(draw, mapping):
    kept = sorted(k for k, d in mapping.topics.items() if d.status == "kept")
    kind = draw(st.sampled_from(["rename", "merge", "split", "move", "discard", "drill", "note"]))
    topic = draw(st.sampled_from(kept))
    if kind == "rename":
        return Rename(topic=topic, label=draw(st.text(min_size=1, max_size=20)), by="prop")
    if kind == "merge":
        others = draw(st.lists(st.sampled_from(kept), min_size=1, max_size=3))
        return Merge(topics=(topic, *others), by="prop")
    if kind == "split":
        members = list(INDEX.ids[INDEX.members(mapping, topic)])
        chosen = draw(st.lists(st.sampled_from(members or ["d000"]), min_size=1, max_size=4, unique=True))
        cut = draw(st.integers(0, len(chosen)))
        groups = tuple(g for g in (tuple(chosen[:cut]), tuple(chosen[cut:])) if g)
        return Split(topic=topic, groups=groups, by="prop")
    if kind == "move":
        docs = draw(st.lists(st.sampled_from(DOC_IDS), min_size=1, max_size=5, unique=True))
        return Move(documents=tuple(docs), to=topic, by="prop")
    if kind == "discard":
        return Discard(topic=topic, by="prop")
    if kind == "drill":
        return DrillDown(topic=topic, on=draw(st.booleans()), by="prop")
    return Note(topic=topic, text=draw(st.text(max_size=30)), by="prop")


def apply_random_operations(data, steps: int) -> History:
    history = History(INITIAL, INDEX)
    for _ in range(steps):
        if not any(d.status == "kept" for d in history.current.topics.values()):
            break
        op = data.draw(operation(history.current))
        before = history.current
        try:
            history.apply(op)
        except MappingError:
            assert history.current is before  # a refused operation changes nothing
            continue
        # Undo after apply restores the previous mapping exactly.
        assert history.undo() == before
        history.redo()
    return history


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(st.data())
def test_every_document_belongs_to_exactly_one_topic(data):
    history = apply_random_operations(data, data.draw(st.integers(1, 12)))
    mapping = history.current
    membership = INDEX.membership(mapping)
    assert len(membership) == len(DOC_IDS)
    kept = {k for k, d in mapping.topics.items() if d.status == "kept"}
    assert set(membership) - {DISCARDED} <= kept
    assert sum(INDEX.sizes(mapping).values()) + (membership == DISCARDED).sum() == len(DOC_IDS)
    validate(mapping, RESULT, "run")  # and it is still a valid mapping of its layer


@PROPERTY_SETTINGS
@given(st.data())
def test_the_stored_log_alone_rebuilds_the_mapping(data):
    """Replaying the operations as a saved version stores them (JSON), from a freshly built initial
    mapping and index, gives the same mapping and membership; undo is that replay less the last one."""
    history = apply_random_operations(data, data.draw(st.integers(1, 12)))
    mapping = history.current
    stored = [operation_from_dict(op) for op in json.loads(json.dumps(mapping.to_dict()))["operations"]]
    _, fresh_index, fresh_initial, _ = toy_setup(n_topics=5, per_topic=6)
    rebuilt = replay(fresh_initial, stored, fresh_index)
    assert rebuilt.topics == mapping.topics and rebuilt.operations == mapping.operations
    assert (fresh_index.membership(rebuilt) == INDEX.membership(mapping)).all()
    if history.can_undo:
        assert history.undo() == replay(INITIAL, mapping.operations[:-1], INDEX)


@PROPERTY_SETTINGS
@given(st.data())
def test_save_and_load_round_trip(data):
    mapping = apply_random_operations(data, data.draw(st.integers(1, 10))).current
    loaded = mapping_from_dict(json.loads(json.dumps(mapping.to_dict())))
    assert loaded == mapping
    assert (INDEX.membership(loaded) == INDEX.membership(mapping)).all()
