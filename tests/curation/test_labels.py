from __future__ import annotations

import numpy as np
import pandas as pd

from backend.curation.labels import LABEL_COLUMNS, NO_TEXT_LABEL, final_labels, label_counts
from backend.curation.mapping import UNASSIGNED_LABEL, Mapping, TopicDecision
from backend.topics.layer_result import LayerResult, Topic


def layer(number: int, rows: dict[str, str], parents: dict[str, str | None]) -> LayerResult:
    assignments = pd.DataFrame({"id": list(rows), "topic": list(rows.values()), "x": 0.0, "y": 0.0})
    assignments["parent"] = assignments["topic"].map(parents)
    topics = {k: Topic(k, list(rows.values()).count(k), [], [], p) for k, p in parents.items()}
    return LayerResult(number, assignments, topics, np.zeros((len(rows), 2)))


def mapping(number: int, decisions: dict[str, TopicDecision], version: int = 2) -> Mapping:
    return Mapping("run", number, "fp", decisions, version=version)


def test_three_layers_with_merge_discard_and_undrilled_documents():
    l1 = layer(1, {"a": "0", "b": "0", "c": "1", "d": "2", "e": "3"}, {k: None for k in "0123"})
    m1 = mapping(1, {
        "0": TopicDecision("Finance", drill_down=True),
        "1": TopicDecision("x", status="merged", merged_into="0"),
        "2": TopicDecision("Noise", status="discarded"),
        "3": TopicDecision("HR"),
    })
    l2 = layer(2, {"a": "0.0", "b": "0.1", "c": "0.1"}, {"0.0": "0", "0.1": "0"})
    m2 = mapping(2, {"0.0": TopicDecision("Invoices", drill_down=True), "0.1": TopicDecision("Payroll")})
    l3 = layer(3, {"a": "0.0.0"}, {"0.0.0": "0.0"})
    m3 = mapping(3, {"0.0.0": TopicDecision("PO matching")}, version=1)

    labels = final_labels(["a", "b", "c", "d", "e", "f"], [(l1, m1), (l2, m2), (l3, m3)]).set_index("id")

    assert list(labels.reset_index().columns) == LABEL_COLUMNS
    assert labels.loc["a", "path"] == "Finance > Invoices > PO matching"
    assert labels.loc["b", "path"] == "Finance > Payroll"
    # c was in topic 1, merged into 0: it carries topic 0's key and label.
    assert (labels.loc["c", "layer1_topic"], labels.loc["c", "layer1_label"]) == ("0", "Finance")
    assert labels.loc["d", "layer1_label"] == UNASSIGNED_LABEL and labels.loc["d", "discarded_at_layer"] == 1
    assert labels.loc["e", "path"] == "HR" and pd.isna(labels.loc["e", "layer2_topic"])
    assert labels.loc["f", "path"] == NO_TEXT_LABEL and labels.loc["f", "label_source"] == "none"
    assert labels.loc["a", "layer3_mapping_version"] == 1 and labels.loc["b", "layer2_mapping_version"] == 2


def test_one_row_per_input_in_input_order_before_any_deeper_layer():
    l1 = layer(1, {"x": "0", "y": "0"}, {"0": None})
    labels = final_labels(["y", "x"], [(l1, mapping(1, {"0": TopicDecision("Only")}))])
    assert labels["id"].tolist() == ["y", "x"]
    assert labels["path"].tolist() == ["Only", "Only"]
    assert label_counts(labels).to_dict("records") == [{"path": "Only", "documents": 2}]


def test_documents_placed_by_a_person_say_so():
    from dataclasses import replace

    l1 = layer(1, {"a": "0", "b": "0", "c": "1"}, {"0": None, "1": None, "2": None})
    decisions = {"0": TopicDecision("Invoices"), "1": TopicDecision("Chatbots"),
                 "2": TopicDecision("Voice bots", origin="person", split_from="1")}
    m1 = replace(mapping(1, decisions), assignments={"b": "1", "c": "2"})
    labels = final_labels(["a", "b", "c"], [(l1, m1)]).set_index("id")
    assert labels["layer1_label"].tolist() == ["Invoices", "Chatbots", "Voice bots"]
    assert labels["label_source"].tolist() == ["model", "person", "person"]
