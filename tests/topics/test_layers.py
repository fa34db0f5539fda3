from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.settings import DrillDownSettings, LayerSettings
from backend.text.embeddings import HashingEmbedder
from backend.topics.keyword_label import keyword_label
from backend.topics.layer_result import load_layer, save_layer
from backend.topics.layers import fit_layer, fit_sublayer, n_subtopics
from tests.topics.test_layer_model import themed_corpus

FAST = LayerSettings(reducer="pca", coords="pca")


@pytest.mark.parametrize(
    ("n_docs", "expected"),
    [(39, 0), (40, 2), (100, 2), (150, 2), (180, 3), (300, 5), (480, 8), (5000, 8)],
)
def test_subtopic_rule(n_docs, expected):
    assert n_subtopics(n_docs, DrillDownSettings()) == expected


def docs_frame(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"d{i}" for i in range(len(texts))], "text_keywords": texts})


def test_fit_layer_describes_every_topic():
    texts, _ = themed_corpus(n_themes=16, per_theme=10)
    docs = docs_frame(texts)
    embeddings = HashingEmbedder().encode(texts)
    result, _ = fit_layer(docs["id"], texts, embeddings, 16, FAST)
    assert result.layer == 1
    assert set(result.assignments.columns) >= {"id", "topic", "parent", "x", "y"}
    assert sum(t.size for t in result.topics.values()) == len(texts)
    assert set(result.assignments["topic"]) == set(result.topics)
    topic = result.topics["0"]
    assert topic.keywords and topic.representative_ids[0].startswith("d")
    assert topic.default_label == keyword_label(topic.keywords, "") and topic.default_label


def test_sublayer_splits_big_parents_and_skips_small_ones():
    texts, truth = themed_corpus(n_themes=6, per_theme=30)
    docs = docs_frame(texts)
    embeddings = HashingEmbedder().encode(texts)
    parents = {"0": np.flatnonzero(truth < 3), "1": np.flatnonzero(truth == 5)[:10]}
    result = fit_sublayer(2, parents, docs, embeddings, FAST, DrillDownSettings(min_parent_docs=20, docs_per_subtopic=30))
    assert set(result.topics) == {"0.0", "0.1", "0.2"}
    assert all(t.parent == "0" for t in result.topics.values())
    assert result.skipped == {"1": "10 documents, fewer than the 20 a sub-model needs (drilldown.min_parent_docs)"}
    assert len(result.assignments) == 90 and result.reduced.shape[0] == 90


def test_sublayer_with_nothing_to_split_is_empty():
    texts, _ = themed_corpus(n_themes=2, per_theme=5)
    result = fit_sublayer(2, {}, docs_frame(texts), HashingEmbedder().encode(texts), FAST, DrillDownSettings())
    assert result.is_empty and result.assignments.empty


def test_layer_round_trips_through_the_store(local_store):
    texts, _ = themed_corpus(n_themes=16, per_theme=5)
    result, _ = fit_layer([f"d{i}" for i in range(len(texts))], texts, HashingEmbedder().encode(texts), 16, FAST)
    save_layer(local_store, "r1", result)
    loaded = load_layer(local_store, "r1", 1)
    assert loaded.topics == result.topics
    assert loaded.fingerprint == result.fingerprint
    np.testing.assert_allclose(loaded.reduced, result.reduced, rtol=1e-6)
