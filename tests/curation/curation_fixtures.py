"""A hand-made layer small enough to reason about: 5 topics of 6 documents with known words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backend.curation.keywords import KeywordIndex
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping, initial_mapping
from backend.topics.layer_result import LayerResult, Topic

WORDS = ["invoice", "chatbot", "forecast", "fraud", "payroll"]


def toy_result(n_topics: int = 5, per_topic: int = 6, layer: int = 1, parent: str | None = None) -> LayerResult:
    prefix = f"{parent}." if parent else ""
    ids = [f"d{i:03d}" for i in range(n_topics * per_topic)]
    topics = [f"{prefix}{i // per_topic}" for i in range(len(ids))]
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(n_topics, 3)) * 5
    reduced = np.vstack([centers[i // per_topic] + rng.normal(scale=0.1, size=3) for i in range(len(ids))])
    # Within each topic, two tight halves so a split has something to find.
    reduced[np.arange(len(ids)) % per_topic < per_topic // 2] += 2.0
    assignments = pd.DataFrame({"id": ids, "topic": topics, "parent": parent, "x": 0.0, "y": 0.0})
    described = {
        f"{prefix}{t}": Topic(f"{prefix}{t}", per_topic, [(WORDS[t % len(WORDS)], 0.5)], ids[t * per_topic:][:1], parent)
        for t in range(n_topics)
    }
    return LayerResult(layer, assignments, described, reduced)


def toy_texts(result: LayerResult) -> list[str]:
    """Each document talks about its topic's word plus a half-specific word."""
    texts = []
    for i, topic in enumerate(result.assignments["topic"]):
        word = WORDS[int(topic.split(".")[-1]) % len(WORDS)]
        half = "alpha" if i % 6 < 3 else "beta"
        texts.append(f"{word} {word} {word} {word} {half}{word} common")
    return texts


def toy_setup(**kwargs) -> tuple[LayerResult, LayerIndex, Mapping, KeywordIndex]:
    result = toy_result(**kwargs)
    index = LayerIndex.from_result(result)
    keywords = KeywordIndex.from_texts(toy_texts(result), (1, 1), 1)
    return result, index, initial_mapping("run", result), keywords
