"""Labels that survive a re-run: propose each new topic's label from the previous approved mapping.

When a run is repeated on new or grown data, the clusters come back with new keys, new sizes and
slightly different wording, but most of them are the same use cases analysts already named. Each
topic is summarised as a ``TopicProfile`` (centroid of its documents' embeddings, top keywords),
and every new topic is compared with every kept topic of the previous mapping:

    confidence = embedding_weight * max(0, cosine(centroids)) + (1 - embedding_weight) * jaccard

- The cosine of the centroids carries most of the weight (0.7 by default) because sentence
  embeddings capture meaning even when the wording shifts (new products, new phrasings).
- The Jaccard overlap of the top-10 keyword sets guards against centroids that drift: two
  neighbouring use cases can have close centroids in a dense embedding space, but rarely share
  their top words. Negative cosines count as 0 so an opposite topic never earns credit.

Matching is one-to-one (``linear_sum_assignment`` maximising the total confidence over pairs that
reach ``min_confidence``), so one old label is never proposed for two new topics: when a topic
splits, the closer half inherits the label and the other half is left for the analyst. Inputs
are ordered by key first, so the result does not depend on the order topics are passed in.

Only kept topics of the previous mapping are candidates (merged topics live on in their target,
discarded ones were judged noise). Proposals are only proposals: the app shows them, the analyst
accepts or overrides each, and ``apply_proposals`` renames the accepted ones through the regular
operation log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from backend.curation.apply import apply
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping, sort_key
from backend.curation.operations import Rename
from backend.errors import MappingError
from backend.topics.layer_result import LayerResult

TOP_KEYWORDS = 10


@dataclass(frozen=True)
class TopicProfile:
    """One topic of a layer, reduced to what matching needs."""

    key: str
    label: str
    centroid: np.ndarray  # mean embedding of the topic's documents, L2-normalised
    keywords: tuple[str, ...]  # top words, most important first
    size: int


@dataclass(frozen=True)
class LabelProposal:
    """A label suggested for a new topic, with the evidence shown to the analyst."""

    topic: str  # key in the new layer
    label: str  # label of ``source_topic`` in the previous mapping
    confidence: float  # 0..1
    source_topic: str  # kept topic of the previous mapping
    similarity: float  # cosine of the centroids
    keyword_overlap: float  # Jaccard of the top-10 keyword sets


def curated_profiles(
    mapping: Mapping,
    index: LayerIndex,
    embeddings: np.ndarray,
    keywords: dict[str, list[tuple[str, float]]],
) -> list[TopicProfile]:
    """Profiles of the kept, non-empty topics of a curated mapping (after merges, moves, splits).

    ``embeddings`` are row-aligned with ``index.ids``; ``keywords`` is typically
    ``KeywordIndex.for_mapping`` so the words reflect the curated membership, not the raw clusters.
    """
    _check_rows(embeddings, len(index))
    codes, keys = index.membership_codes(mapping)
    centroids, sizes = _centroids(codes, len(keys), embeddings)
    return [
        TopicProfile(key, mapping.topics[key].label, centroids[i], _words(keywords.get(key, [])), int(sizes[i]))
        for i, key in enumerate(keys)
        if sizes[i]
    ]


def raw_profiles(result: LayerResult, embeddings: np.ndarray) -> list[TopicProfile]:
    """Profiles of a freshly fitted layer's topics, labelled with their keyword default label.

    ``embeddings`` are row-aligned with ``result.assignments``; topics with no document are skipped.
    """
    _check_rows(embeddings, len(result.assignments))
    keys = sorted(result.topics, key=_order)
    codes = pd.Categorical(result.assignments["topic"].astype(str), categories=keys).codes.astype(np.int64)
    centroids, sizes = _centroids(codes, len(keys), embeddings)
    return [
        TopicProfile(key, result.topics[key].default_label, centroids[i], _words(result.topics[key].keywords),
                     int(sizes[i]))
        for i, key in enumerate(keys)
        if sizes[i]
    ]


def propose_labels(
    new: Sequence[TopicProfile],
    previous: Sequence[TopicProfile],
    min_confidence: float = 0.5,
    embedding_weight: float = 0.7,
) -> dict[str, LabelProposal]:
    """New topic key -> label proposal, one-to-one, for matches reaching ``min_confidence``."""
    _check_unit("min_confidence", min_confidence)
    _check_unit("embedding_weight", embedding_weight)
    new, previous = _ordered(new, "new"), _ordered(previous, "previous")
    if not new or not previous:
        return {}
    similarity = _cosines(new, previous)
    overlap = _jaccards(new, previous)
    confidence = embedding_weight * np.clip(similarity, 0.0, None) + (1 - embedding_weight) * overlap
    # Pairs below the threshold count as 0, so the assignment maximises the confidence of real matches.
    eligible = np.where(confidence >= min_confidence, confidence, 0.0)
    rows, cols = linear_sum_assignment(eligible, maximize=True)
    proposals = {}
    for i, j in zip(rows, cols):
        if confidence[i, j] >= min_confidence:
            proposals[new[i].key] = LabelProposal(
                topic=new[i].key,
                label=previous[j].label,
                confidence=float(np.clip(confidence[i, j], 0.0, 1.0)),
                source_topic=previous[j].key,
                similarity=float(similarity[i, j]),
                keyword_overlap=float(overlap[i, j]),
            )
    return proposals


def apply_proposals(
    mapping: Mapping,
    index: LayerIndex,
    proposals: dict[str, LabelProposal],
    accepted: Iterable[str],
    by: str,
) -> Mapping:
    """The mapping with the accepted proposals applied as logged Rename operations.

    Only keys in ``accepted`` are renamed; a proposal equal to the current label is not logged
    (it changes nothing). An accepted key without a proposal, or a topic that is no longer kept,
    is a MappingError: nothing is applied silently.
    """
    chosen = sorted(dict.fromkeys(str(k) for k in accepted), key=_order)
    missing = [key for key in chosen if key not in proposals]
    if missing:
        raise MappingError(f"No label proposal for topic(s) {', '.join(missing)}.",
                           "Accept only topics that have a proposal.")
    for key in chosen:
        proposal = proposals[key]
        current = mapping.topics.get(key)
        if current is not None and current.label == proposal.label:
            continue
        reason = (f"label carried over from previous run topic {proposal.source_topic} "
                  f"(confidence {proposal.confidence:.2f})")
        mapping = apply(mapping, Rename(topic=key, label=proposal.label, by=by, reason=reason), index)
    return mapping


def _check_rows(embeddings: np.ndarray, rows: int) -> None:
    if np.ndim(embeddings) != 2 or len(embeddings) != rows:
        raise MappingError(f"The embeddings have shape {np.shape(embeddings)}, expected {rows} rows "
                           "(one per document).",
                           "Pass the embeddings of the layer's documents, in the layer's row order.")


def _check_unit(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}.")


def _order(key: str) -> tuple[tuple[int, ...], str]:
    """Numeric key order with the text as tie-break, so odd keys still order deterministically."""
    return sort_key(key), key


def _ordered(profiles: Sequence[TopicProfile], which: str) -> list[TopicProfile]:
    ordered = sorted(profiles, key=lambda p: _order(p.key))
    keys = [p.key for p in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError(f"The {which} topic profiles repeat a key.")
    return ordered


def _words(keywords: Sequence[tuple[str, float]] | Sequence[str]) -> tuple[str, ...]:
    return tuple(w if isinstance(w, str) else str(w[0]) for w in keywords)


def _centroids(codes: np.ndarray, n: int, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per class 0..n-1 the L2-normalised mean embedding and the size (codes < 0 ignored).

    A sparse one-hot product sums the rows without copying a million-row embedding matrix.
    """
    embeddings = np.asarray(embeddings)
    if not np.issubdtype(embeddings.dtype, np.floating):
        embeddings = embeddings.astype(np.float64)
    keep = codes >= 0
    rows = np.flatnonzero(keep)
    one_hot = sp.csr_matrix((np.ones(len(rows), dtype=embeddings.dtype), (codes[keep], rows)),
                            shape=(n, len(codes)))
    sums = np.asarray(one_hot @ embeddings, dtype=np.float64)
    sizes = np.bincount(codes[keep], minlength=n)
    return _normalised(sums), sizes


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _cosines(new: list[TopicProfile], previous: list[TopicProfile]) -> np.ndarray:
    a = _normalised(np.vstack([np.asarray(p.centroid, dtype=np.float64) for p in new]))
    b = _normalised(np.vstack([np.asarray(p.centroid, dtype=np.float64) for p in previous]))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"The embeddings differ in size ({a.shape[1]} vs {b.shape[1]}): "
                         "both runs must use the same embedding model.")
    return np.clip(a @ b.T, -1.0, 1.0)


def _jaccards(new: list[TopicProfile], previous: list[TopicProfile]) -> np.ndarray:
    """Jaccard of the top-10 keyword sets (case-insensitive); 0 when either set is empty."""
    a = [_top_set(p) for p in new]
    b = [_top_set(p) for p in previous]
    return np.array([[len(x & y) / len(x | y) if x and y else 0.0 for y in b] for x in a], dtype=np.float64)


def _top_set(profile: TopicProfile) -> frozenset[str]:
    return frozenset(w.casefold().strip() for w in profile.keywords[:TOP_KEYWORDS] if w.strip())
