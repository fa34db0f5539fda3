from __future__ import annotations

import pytest

from backend.curation.apply import apply, replay
from backend.curation.layer_index import DISCARDED
from backend.curation.mapping import mapping_from_dict, validate
from backend.curation.operations import Discard, DrillDown, Merge, Move, Note, Rename, Split
from backend.errors import MappingError
from tests.curation.curation_fixtures import toy_setup


@pytest.fixture
def setup():
    return toy_setup()


def test_rename_trims_and_logs_who_and_why(setup):
    result, index, mapping, _ = setup
    after = apply(mapping, Rename(topic="0", label="  Invoice   automation ", by="ana", reason="clearer"), index)
    assert after.topics["0"].label == "Invoice automation"
    assert after.operations[-1].by == "ana" and after.operations[-1].reason == "clearer"
    assert mapping.topics["0"].label != "Invoice automation"  # the old value is untouched


def test_merge_moves_membership_and_keeps_one_label(setup):
    result, index, mapping, _ = setup
    after = apply(mapping, Merge(topics=("1", "2"), label="Support"), index)
    sizes = index.sizes(after)
    assert sizes["1"] == 12 and "2" not in sizes
    assert after.topics["2"].status == "merged" and after.topics["1"].label == "Support"
    # Merging into a topic that is later merged again flattens the chain.
    again = apply(after, Merge(topics=("3", "1")), index)
    assert again.topics["2"].merged_into == "3" and index.sizes(again)["3"] == 18
    validate(again, result, "run")


def test_split_by_groups_makes_person_topics(setup):
    result, index, mapping, _ = setup
    members = list(index.ids[index.members(mapping, "0")])
    after = apply(mapping, Split(topic="0", groups=(tuple(members[:3]), tuple(members[3:]))), index)
    assert after.topics["0"].status == "split"
    assert after.topics["5"].origin == "person" and after.topics["5"].split_from == "0"
    assert index.sizes(after) == {"1": 6, "2": 6, "3": 6, "4": 6, "5": 3, "6": 3}
    validate(after, result, "run")


def test_lasso_split_carves_a_new_topic_and_leaves_the_rest(setup):
    _, index, mapping, _ = setup
    members = list(index.ids[index.members(mapping, "1")])
    after = apply(mapping, Split(topic="1", groups=(tuple(members[:2]),), labels=("Voice bots",)), index)
    assert after.topics["1"].status == "kept" and after.topics["5"].label == "Voice bots"
    assert index.sizes(after)["1"] == 4 and index.sizes(after)["5"] == 2


def test_move_and_discard(setup):
    result, index, mapping, _ = setup
    after = apply(mapping, Move(documents=("d000", "d001"), to="4"), index)
    assert index.sizes(after)["4"] == 8
    after = apply(after, Discard(topic="4"), index)
    membership = index.membership(after)
    assert (membership == DISCARDED).sum() == 8
    assert after.label_of("4") == "Unassigned/other"
    # Discarded documents can be rescued into a kept topic.
    after = apply(after, Move(documents=("d000",), to="3"), index)
    assert index.membership(after)[0] == "3"


def test_drill_down_and_note(setup):
    _, index, mapping, _ = setup
    after = apply(apply(mapping, DrillDown(topic="2"), index), Note(topic="2", text=" broad "), index)
    assert after.drill_down_topics == ["2"] and after.topics["2"].note == "broad"
    after = apply(after, DrillDown(topic="2", on=False), index)
    assert after.drill_down_topics == []


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (Rename(topic="9", label="x"), "no topic '9'"),
        (Rename(topic="0", label="   "), "cannot be empty"),
        (Rename(topic="0", label="x" * 121), "at most 120"),
        (Merge(topics=("1", "1")), "cannot merge with itself"),
        (Merge(topics=("1", "2"), into="3"), "must be one of"),
        (Split(topic="0", groups=(("d010",),)), "not in topic 0"),
        (Split(topic="0", groups=(("d000", "d001", "d002", "d003", "d004", "d005"),)), "changes nothing"),
        (Split(topic="0", groups=(("d000",), ("d000",))), "two groups"),
        (Move(documents=("nope",), to="1"), "not in this layer"),
        (Move(documents=(), to="1"), "at least one"),
        (Note(topic="0", text="x" * 2001), "at most 2000"),
    ],
)
def test_invalid_operations_are_refused_with_a_reason(setup, op, message):
    _, index, mapping, _ = setup
    with pytest.raises(MappingError, match=message):
        apply(mapping, op, index)


def test_operations_on_merged_topics_are_refused(setup):
    _, index, mapping, _ = setup
    merged = apply(mapping, Merge(topics=("1", "2")), index)
    with pytest.raises(MappingError, match="topic 2 was merged into 1"):
        apply(merged, Rename(topic="2", label="x"), index)
    with pytest.raises(MappingError, match="was merged"):
        apply(merged, Move(documents=("d000",), to="2"), index)


def test_splitting_a_tiny_topic_is_refused(setup):
    _, index, mapping, _ = setup
    members = list(index.ids[index.members(mapping, "0")])
    small = apply(mapping, Split(topic="0", groups=((members[0],),)), index)
    with pytest.raises(MappingError, match="splitting needs at least 2"):
        apply(small, Split(topic="5", groups=((members[0],),)), index)


def test_layer_two_keeps_the_tree(setup):
    result, index, mapping, _ = toy_setup(layer=2, parent="7")
    with pytest.raises(MappingError, match="Layer 3 is the last"):
        apply(mapping.with_meta(layer=3), DrillDown(topic="7.0"), index)
    after = apply(mapping, Split(topic="7.1", groups=(("d006",),)), index)
    assert "7.5" in after.topics


def test_replay_rebuilds_the_mapping_and_survives_json(setup):
    result, index, mapping, _ = setup
    ops = [Rename(topic="0", label="Invoices"), Merge(topics=("1", "2")), Move(documents=("d000",), to="3"),
           Split(topic="4", groups=(("d024", "d025"),)), Discard(topic="3"), DrillDown(topic="0")]
    final = replay(mapping, ops, index)
    assert replay(mapping, final.operations, index) == final
    loaded = mapping_from_dict(final.to_dict())
    assert loaded == final
    assert replay(mapping, loaded.operations, index) == final
