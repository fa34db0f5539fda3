from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from backend.curation.mapping import (
    UNASSIGNED_LABEL,
    TopicDecision,
    drill_down_rows,
    effective_topics,
    initial_mapping,
    mapping_from_dict,
    mapping_from_json,
    mapping_schema,
    validate,
)
from backend.curation.versions import load_version, save_version, version_numbers, write_approved
from backend.errors import MappingError, RunStateError, SaveConflictError
from backend.topics.layer_result import LayerResult, Topic


def toy_layer(layer: int = 1, parent: str | None = None) -> LayerResult:
    prefix = f"{parent}." if parent else ""
    keys = [f"{prefix}{i}" for i in range(3)]
    assignments = pd.DataFrame(
        {"id": [f"d{i}" for i in range(6)], "topic": [keys[0], keys[0], keys[1], keys[1], keys[2], keys[2]],
         "parent": parent, "x": 0.0, "y": 0.0}
    )
    topics = {k: Topic(k, 2, [(f"word{i}", 0.5), ("other", 0.1)], ["d0"], parent) for i, k in enumerate(keys)}
    return LayerResult(layer, assignments, topics, np.zeros((6, 2)))


def test_initial_mapping_keeps_every_topic_and_validates():
    layer = toy_layer()
    mapping = initial_mapping("run1", layer)
    assert set(mapping.topics) == {"0", "1", "2"}
    assert mapping.topics["1"] == TopicDecision(label="word1 / other")
    assert validate(mapping, layer, "run1") is mapping


def test_json_round_trip_and_schema():
    mapping = initial_mapping("run1", toy_layer())
    data = json.loads(json.dumps(mapping.to_dict()))
    assert mapping_from_dict(data) == mapping
    assert mapping_schema()["properties"]["format"]["const"] == "topic-curator/mapping"


def edited(mapping, **decisions):
    return mapping.with_meta(topics={**mapping.topics, **decisions})


def test_merge_discard_and_drill_down_resolve_documents():
    layer = toy_layer()
    mapping = edited(
        initial_mapping("run1", layer),
        **{"0": TopicDecision("Invoices", drill_down=True),
           "1": TopicDecision("x", status="merged", merged_into="0"),
           "2": TopicDecision("Noise", status="discarded")},
    )
    validate(mapping, layer, "run1")
    effective = effective_topics(mapping, layer.assignments)
    assert effective.fillna("discarded").tolist() == ["0", "0", "0", "0", "discarded", "discarded"]
    assert mapping.label_of("1") == "Invoices" and mapping.label_of("2") == UNASSIGNED_LABEL
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(6)]})
    assert {k: v.tolist() for k, v in drill_down_rows(mapping, layer.assignments, docs).items()} == {"0": [0, 1, 2, 3]}


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        ({"1": TopicDecision("x", status="merged", merged_into="9")}, "merged into unknown topic '9'"),
        ({"1": TopicDecision("x", status="merged", merged_into="1")}, "merged into itself"),
        ({"1": TopicDecision("x", status="merged", merged_into="2"),
          "2": TopicDecision("y", status="merged", merged_into="0")}, "itself merged"),
        ({"2": TopicDecision("y", status="discarded", drill_down=True)}, "discarded, so it cannot be drilled"),
        ({"7": TopicDecision("new")}, "unknown topic id"),
    ],
)
def test_invalid_decisions_are_named(decisions, message):
    layer = toy_layer()
    with pytest.raises(MappingError, match=message):
        validate(edited(initial_mapping("run1", layer), **decisions), layer, "run1")


def test_missing_decision_is_named():
    layer = toy_layer()
    mapping = initial_mapping("run1", layer)
    mapping = mapping.with_meta(topics={k: v for k, v in mapping.topics.items() if k != "2"})
    with pytest.raises(MappingError, match="no decision for topic"):
        validate(mapping, layer)


def test_merge_across_parents_is_refused():
    layer = toy_layer(2, parent="4")
    other = Topic("5.0", 1, [], [], "5")
    layer = LayerResult(2, layer.assignments, {**layer.topics, "5.0": other}, layer.reduced)
    mapping = edited(initial_mapping("run1", layer), **{"4.1": TopicDecision("x", status="merged", merged_into="5.0")})
    with pytest.raises(MappingError, match="another parent"):
        validate(mapping, layer)


def test_stale_mapping_is_refused_with_what_to_do():
    layer = toy_layer()
    mapping = initial_mapping("run1", layer)
    refit = LayerResult(1, layer.assignments.assign(topic=["0", "1", "0", "1", "2", "2"]), layer.topics, layer.reduced)
    with pytest.raises(MappingError, match="stale") as info:
        validate(mapping, refit)
    assert "current mapping" in info.value.fix


def test_schema_errors_are_readable():
    data = initial_mapping("run1", toy_layer()).to_dict()
    data["topics"]["0"]["status"] = "maybe"
    with pytest.raises(MappingError, match="topics/0/status"):
        mapping_from_dict(data)
    with pytest.raises(MappingError, match="not valid JSON"):
        mapping_from_json(b"{", "mapping.json")


def test_versions_are_never_overwritten_and_approval_happens_once(local_store):
    mapping = initial_mapping("run1", toy_layer())
    first = save_version(local_store, mapping, "ana")
    second = save_version(local_store, edited(first, **{"0": TopicDecision("Invoices")}), "ben")
    assert (first.version, second.version) == (1, 2)
    assert version_numbers(local_store, "run1", 1) == [1, 2]
    assert load_version(local_store, "run1", 1, 1).topics["0"].label == "word0 / other"
    assert load_version(local_store, "run1", 1).created_by == "ben"
    with pytest.raises(SaveConflictError, match="ben saved version 2") as conflict:
        save_version(local_store, edited(first, **{"1": TopicDecision("Late")}), "dan")
    assert conflict.value.latest_version == 2
    approved = write_approved(local_store, second, "carla")
    assert approved.approved_by == "carla"
    with pytest.raises(RunStateError, match="already approved by carla"):
        write_approved(local_store, first, "dan")
