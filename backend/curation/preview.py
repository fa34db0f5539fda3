"""Previews before a change is applied: a split's sub-topics, and how a merge moves keywords."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from backend.curation.apply import apply
from backend.curation.keywords import KeywordChange, KeywordIndex, Keywords, keyword_changes
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping
from backend.curation.operations import Merge, Split
from backend.errors import MappingError
from backend.topics.keyword_label import keyword_label
from backend.topics.stages import AutoThresholdBirch

SPLIT_SAMPLE = 5000


@dataclass(frozen=True)
class SplitPreview:
    operation: Split  # apply it to accept the preview
    sizes: list[int]
    keywords: list[Keywords]
    new_topics: list[str]


@dataclass(frozen=True)
class MergePreview:
    operation: Merge
    merged_keywords: Keywords
    other_changes: list[KeywordChange]


def preview_split(mapping: Mapping, topic: str, k: int, index: LayerIndex, keywords: KeywordIndex,
                  by: str = "", reason: str = "") -> SplitPreview:
    """Re-cluster ``topic``'s documents into ``k`` groups with BIRCH on their reduced embeddings."""
    members = index.members(mapping, topic)
    if k < 2:
        raise MappingError("A split needs at least 2 sub-topics.")
    if len(members) < k:
        raise MappingError(f"Topic {topic} has {len(members)} document(s); it cannot be split into {k}.",
                           "Choose fewer sub-topics.")
    if index.reduced is None or len(index.reduced) != len(index):
        raise MappingError("This layer has no reduced embeddings stored, so it cannot be re-clustered.",
                           "Split by selecting documents instead.")
    points = index.reduced[members]
    # BIRCH inserts points one by one in Python: fit it on a fixed sample, then assign the rest
    # (a 262k-document topic splits in about a second instead of a minute).
    sample = points
    if len(points) > SPLIT_SAMPLE:
        sample = points[np.random.default_rng(0).choice(len(points), SPLIT_SAMPLE, replace=False)]
    labels = AutoThresholdBirch(n_clusters=k).fit(sample).predict(points)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    groups = tuple(tuple(index.ids[members[labels == g]]) for g in order if (labels == g).any())
    return preview_split_groups(mapping, topic, groups, index, keywords, by, reason)


def preview_split_groups(mapping: Mapping, topic: str, groups: tuple[tuple[str, ...], ...], index: LayerIndex,
                         keywords: KeywordIndex, by: str = "", reason: str = "") -> SplitPreview:
    """What a split into these groups (e.g. a lasso selection) would give; each new topic is named
    after its keywords, as the layer names its topics."""
    op = Split(topic=topic, groups=groups, by=by, reason=reason)
    after = apply(mapping, op, index)
    new_topics = sorted(set(after.topics) - set(mapping.topics), key=lambda k: int(k.rsplit(".", 1)[-1]))
    words = [keywords.for_mapping(after, index).get(k, []) for k in new_topics]
    labels = tuple(keyword_label(w, f"{mapping.topics[topic].label} ({i + 1})") for i, w in enumerate(words))
    return SplitPreview(replace(op, labels=labels), [len(g) for g in groups], words, new_topics)


def preview_merge(mapping: Mapping, op: Merge, index: LayerIndex, keywords: KeywordIndex) -> MergePreview:
    """The merged topic's keywords and the other topics whose keywords would change."""
    after = apply(mapping, op, index)
    before_words = keywords.for_mapping(mapping, index)
    after_words = keywords.for_mapping(after, index)
    target = op.into or op.topics[0]
    others = {k: v for k, v in after_words.items() if k != target}
    return MergePreview(op, after_words.get(target, []), keyword_changes(before_words, others))
