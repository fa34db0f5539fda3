from __future__ import annotations

import numpy as np
import pandas as pd

from app.plots import (
    HOVER_CHARS,
    PALETTE,
    document_map,
    documents_per_use_case,
    hierarchy,
    keyword_bars,
    map_legend,
    sample_for_map,
    selected_ids,
    topic_colours,
)
from backend.runs.record import RunRecord, StepState


def test_document_map_one_webgl_trace_per_topic_in_key_order_with_ids_and_numbers_at_centres():
    docs = pd.DataFrame({"id": ["a", "b", "c", "d"], "x": [0, 1, 3, 9], "y": [0, 1, 3, 9],
                         "text": ["<b>x</b>", "y", "z" * 500, "w"], "topic": ["10", "2", "2", ""]})
    fig = document_map(docs)
    points = [t for t in fig["data"] if t["type"] == "scattergl"]
    assert [t["name"] for t in points] == ["topic 2", "topic 10", "unassigned"]
    assert list(points[0]["customdata"]) == ["b", "c"]
    assert "&lt;b&gt;" in points[1]["text"][0]  # document text shows literally, never as markup
    assert len(points[0]["text"][1]) <= HOVER_CHARS  # the figure goes to the browser on every rerun
    [centres] = [t for t in fig["data"] if t["type"] == "scatter"]
    assert list(centres["text"]) == ["2", "10"] and list(centres["x"]) == [2.0, 0.0]
    assert points[0]["marker"]["color"] != points[1]["marker"]["color"] != points[2]["marker"]["color"]
    assert fig["layout"]["showlegend"] is False  # the legend is HTML beside it: a phone keeps the map wide


def test_the_maps_legend_names_topics_in_key_order_literally():
    legend = map_legend({"10": "10: <b>ten</b>", "2": "2: two", "": "Unassigned/other"}, topic_colours(["2", "10"]))
    assert legend.index("2: two") < legend.index("10: &lt;b&gt;ten&lt;/b&gt;") and "<b>ten" not in legend


def test_every_topic_of_a_layer_has_its_own_colour():
    colours = topic_colours([str(k) for k in range(25)])
    assert len(set(colours.values())) == 25 and len(PALETTE) >= 24
    assert colours["2"] == topic_colours(["10", "2", "0", "1"])["2"]  # by key order, not by order seen


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
    assert dict(zip(sunburst["ids"], sunburst["values"])) == {"A": 2, "B": 1, "A > x": 1}
    assert sunburst["branchvalues"] == "total"  # a parent's wedge is its own share, children inside it
    assert "percentRoot" in sunburst["hovertemplate"]
    marked = hierarchy(labels.assign(layer1_label=["<i>A</i>"] * 2 + ["B"])).to_dict()["data"][0]
    assert "&lt;i&gt;A&lt;/i&gt;" in marked["labels"]
    bars = documents_per_use_case(pd.DataFrame({"path": ["A", "<b>B</b>"], "documents": [2, 1]})).to_dict()
    assert list(bars["data"][0]["y"]) == ["&lt;b&gt;B&lt;/b&gt;", "A"]
    bars = keyword_bars([("invoice", 0.5), ("<i>po</i>", 0.25)])
    assert bars.index("invoice") < bars.index("&lt;i&gt;po&lt;/i&gt;") and "width:50%" in bars and "<i>" not in bars


def test_run_diagram_colours_steps_by_status():
    from app.plots import run_steps_dot

    record = RunRecord("r", {}, steps={"embed": StepState("done"), "curate-layer1": StepState("waiting")})
    dot = run_steps_dot(record)
    assert '"embed" -> "curate-layer1"' in dot and "#f9a825" in dot


def test_a_selection_names_its_topics_in_the_maps_order():
    from app.document_map import selection_summary

    assert selection_summary(1234, ["10", "2", "1.10", "1.9"]) == \
        "**1,234 documents selected**, in topics 1.9, 1.10, 2, 10."
    assert selection_summary(2, []) == "**2 documents selected**, in topic (unassigned)."
