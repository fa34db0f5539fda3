from __future__ import annotations

import numpy as np
import pandas as pd

from app.plots import document_map, documents_per_use_case, hierarchy, keyword_bars, sample_for_map, selected_ids
from backend.runs.record import RunRecord, StepState


def test_document_map_one_webgl_trace_per_topic_in_key_order_with_ids():
    docs = pd.DataFrame({"id": ["a", "b", "c"], "x": [0, 1, 2], "y": [0, 1, 2], "text": ["<b>x</b>", "y", "z"],
                         "label": ["10: ten", "2: two", "2: two"]})
    fig = document_map(docs).to_dict()
    assert [t["name"] for t in fig["data"]] == ["2: two", "10: ten"]
    assert all(t["type"] == "scattergl" for t in fig["data"])
    assert list(fig["data"][0]["customdata"]) == ["b", "c"]
    assert "&lt;b&gt;" in fig["data"][1]["text"][0]  # document text is escaped, never HTML


def test_selection_and_sampling():
    event = {"selection": {"points": [{"customdata": "a"}, {"customdata": "b"}, {"customdata": "a"}, {"x": 1}]}}
    assert selected_ids(event) == ["a", "b"] and selected_ids(None) == []
    docs = pd.DataFrame({"id": range(100), "x": np.arange(100.0), "y": np.arange(100.0)})
    shown, sampled = sample_for_map(docs, 10)
    assert len(shown) == 10 and sampled and sample_for_map(docs, 10)[0].equals(shown)
    everything, sampled = sample_for_map(docs, 1000)
    assert everything.equals(docs) and not sampled
    docs.loc[50:, ["x", "y"]] = np.nan  # the layer placed only half of them on the map
    placed, sampled = sample_for_map(docs, 1000)
    assert len(placed) == 50 and sampled


def test_hierarchy_and_counts_and_keywords():
    labels = pd.DataFrame({"layer1_label": ["A", "A", "B"], "layer2_label": ["x", None, None],
                           "layer3_label": [None, None, None], "path": ["A > x", "A", "B"]})
    sunburst = hierarchy(labels).to_dict()["data"][0]
    assert set(sunburst["ids"]) == {"A", "B", "A > x"}
    bars = documents_per_use_case(pd.DataFrame({"path": ["A", "B"], "documents": [2, 1]})).to_dict()
    assert list(bars["data"][0]["y"]) == ["B", "A"]
    assert list(keyword_bars([("invoice", 0.5), ("po", 0.2)]).to_dict()["data"][0]["y"]) == ["po", "invoice"]


def test_run_diagram_colours_steps_by_status():
    from app.plots import run_steps_dot

    record = RunRecord("r", {}, steps={"embed": StepState("done"), "curate-layer1": StepState("waiting")})
    dot = run_steps_dot(record)
    assert '"embed" -> "curate-layer1"' in dot and "#f9a825" in dot
