from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.curation.label_transfer import (
    LabelProposal,
    TopicProfile,
    apply_proposals,
    curated_profiles,
    propose_labels,
    raw_profiles,
)
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping, TopicDecision, initial_mapping
from backend.curation.operations import Rename
from backend.errors import MappingError
from backend.topics.layer_result import LayerResult, Topic

DIM = 8
WORDS = {
    0: ["invoice", "payment", "ap", "vendor", "approval", "ocr", "erp", "po", "matching", "accounts"],
    1: ["payroll", "salary", "employee", "tax", "benefits", "hr", "timesheet", "wage", "pension", "bonus"],
    2: ["travel", "expense", "receipt", "hotel", "flight", "mileage", "card", "policy", "per diem", "trip"],
    3: ["contract", "clause", "legal", "renewal", "nda", "signature", "redline", "obligation", "term", "review"],
    5: ["forecast", "demand", "inventory", "supply", "planning", "sku", "stock", "reorder", "lead time", "season"],
}
LABELS = {0: "Invoice automation", 1: "Payroll", 2: "Travel expenses", 3: "Contract review"}


def embed(directions: list[int], rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    """One unit vector per document, near the basis direction of its topic."""
    rows = np.eye(DIM)[directions] + noise * rng.standard_normal((len(directions), DIM))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def fitted(
    topic_direction: dict[str, int], per_topic: int, seed: int, prefix: str = "d"
) -> tuple[LayerResult, np.ndarray]:
    """A layer-1 fit whose topic ``key`` lies along basis vector ``topic_direction[key]``."""
    keys = [k for k in topic_direction for _ in range(per_topic)]
    assignments = pd.DataFrame({"id": [f"{prefix}{i}" for i in range(len(keys))], "topic": keys,
                                "parent": None, "x": 0.0, "y": 0.0})
    topics = {
        k: Topic(k, per_topic, [(w, 1.0 - i / 20) for i, w in enumerate(WORDS[d])], [], None)
        for k, d in topic_direction.items()
    }
    result = LayerResult(1, assignments, topics, np.zeros((len(keys), 2)))
    return result, embed([topic_direction[k] for k in keys], np.random.default_rng(seed))


def previous_run(decisions: dict[str, TopicDecision] | None = None, assignments: dict[str, str] | None = None):
    """A curated previous run: topics 0..3 along directions 0..3, named by analysts."""
    result, embeddings = fitted({str(d): d for d in range(4)}, per_topic=6, seed=1, prefix="old")
    decisions = decisions or {str(d): TopicDecision(LABELS[d]) for d in range(4)}
    mapping = Mapping("run-jan", 1, result.fingerprint, decisions, assignments=assignments or {})
    index = LayerIndex.from_result(result)
    keywords = {str(d): [(w, 1.0) for w in WORDS[d]] for d in range(4)}
    return curated_profiles(mapping, index, embeddings, keywords)


def profile(key: str, direction: np.ndarray, words: list[str], label: str = "") -> TopicProfile:
    centroid = np.asarray(direction, dtype=float)
    return TopicProfile(key, label or f"Topic {key}", centroid / np.linalg.norm(centroid), tuple(words), 10)


def test_rerun_with_shuffled_topics_gets_every_label_back():
    # Same use cases, new keys, more documents, and keyword order shifted.
    new_result, new_embeddings = fitted({"0": 2, "1": 0, "2": 3, "3": 1}, per_topic=9, seed=2, prefix="new")
    new = raw_profiles(new_result, new_embeddings)

    proposals = propose_labels(new, previous_run())

    assert {k: p.label for k, p in proposals.items()} == {
        "0": "Travel expenses", "1": "Invoice automation", "2": "Contract review", "3": "Payroll"}
    assert {k: p.source_topic for k, p in proposals.items()} == {"0": "2", "1": "0", "2": "3", "3": "1"}
    assert all(p.confidence > 0.95 and p.similarity > 0.95 and p.keyword_overlap == 1.0 for p in proposals.values())


def test_raw_profiles_use_default_label_keywords_and_normalised_centroid():
    result, embeddings = fitted({"0": 1, "1": 5}, per_topic=3, seed=3)
    first = raw_profiles(result, embeddings)[0]
    assert (first.key, first.label, first.size) == ("0", "payroll / salary / employee", 3)
    assert first.keywords == tuple(WORDS[1])
    assert np.linalg.norm(first.centroid) == pytest.approx(1.0)
    with pytest.raises(MappingError, match="expected 6 rows"):
        raw_profiles(result, embeddings[:4])


def test_genuinely_new_topic_gets_no_proposal():
    new_result, new_embeddings = fitted({"0": 0, "1": 5}, per_topic=5, seed=4)
    proposals = propose_labels(raw_profiles(new_result, new_embeddings), previous_run())
    assert set(proposals) == {"0"}
    assert proposals["0"].label == "Invoice automation"


def test_one_to_one_only_the_best_new_topic_inherits_a_label():
    old = [profile("7", np.eye(DIM)[0], WORDS[0], "Invoice automation")]
    closer = profile("0", np.eye(DIM)[0] + 0.2 * np.eye(DIM)[6], WORDS[0][:8] + ["x", "y"])
    farther = profile("1", np.eye(DIM)[0] + 0.6 * np.eye(DIM)[7], WORDS[0][:6] + ["p", "q", "r", "s"])
    # Both would qualify on their own.
    assert set(propose_labels([farther], old)) == {"1"}

    proposals = propose_labels([farther, closer], old)

    assert list(proposals) == ["0"] and proposals["0"].source_topic == "7"


def test_one_to_one_maximises_total_confidence():
    # Greedy would give A's label to "0" (its best pair) and leave "1" with nothing.
    a, b, c = np.eye(DIM)[:3]
    old = [profile("a", a, [], "A"), profile("b", b, [], "B")]
    new = [profile("0", 0.8 * a + 0.6 * b, []), profile("1", 0.7 * a + 0.714 * c, [])]
    proposals = propose_labels(new, old, min_confidence=0.3)
    assert {k: p.label for k, p in proposals.items()} == {"0": "B", "1": "A"}


def test_only_kept_previous_topics_are_proposed():
    decisions = {
        "0": TopicDecision("Finance ops"),
        "1": TopicDecision("Payroll", status="merged", merged_into="0"),
        "2": TopicDecision("Noise", status="discarded"),
        "3": TopicDecision("Contract review"),
    }
    previous = previous_run(decisions)
    assert [(p.key, p.size) for p in previous] == [("0", 12), ("3", 6)]  # 1's documents count in 0

    new_result, new_embeddings = fitted({"0": 2, "1": 3}, per_topic=5, seed=5)
    proposals = propose_labels(raw_profiles(new_result, new_embeddings), previous)

    assert {k: (p.source_topic, p.label) for k, p in proposals.items()} == {"1": ("3", "Contract review")}


def test_curated_profiles_skip_empty_topics_and_follow_moved_documents():
    moved = {f"old{i}": "0" for i in range(18, 24)}  # every document of topic 3 moved into 0
    previous = previous_run(assignments=moved)
    assert [(p.key, p.size) for p in previous] == [("0", 12), ("1", 6), ("2", 6)]


def test_keyword_overlap_raises_confidence():
    direction = np.eye(DIM)[0] + 1.2 * np.eye(DIM)[1]  # cosine with e0 about 0.64: not enough alone
    old = [profile("0", np.eye(DIM)[0], WORDS[0], "Invoice automation")]
    shared = propose_labels([profile("5", direction, WORDS[0])], old)
    disjoint = propose_labels([profile("5", direction, WORDS[5])], old)
    half = propose_labels([profile("5", direction, WORDS[0][:5] + WORDS[5][:5])], old, min_confidence=0.0)

    assert disjoint == {}
    cosine = 1 / np.sqrt(1 + 1.2**2)
    assert shared["5"].confidence == pytest.approx(0.7 * cosine + 0.3 * 1.0)
    assert half["5"].keyword_overlap == pytest.approx(5 / 15)
    assert half["5"].confidence == pytest.approx(0.7 * cosine + 0.3 * 5 / 15)
    assert shared["5"].confidence > half["5"].confidence


def test_opposite_centroids_earn_nothing_and_weights_are_checked():
    old = [profile("0", np.eye(DIM)[0], ["a"], "A")]
    opposite = propose_labels([profile("1", -np.eye(DIM)[0], ["a"])], old, min_confidence=0.0)
    assert opposite["1"].similarity == pytest.approx(-1.0)
    assert opposite["1"].confidence == pytest.approx(0.3)
    with pytest.raises(ValueError, match="embedding_weight"):
        propose_labels([], old, embedding_weight=1.5)
    assert propose_labels([], old) == {}


def test_apply_proposals_renames_only_accepted_topics_with_a_logged_reason():
    new_result, new_embeddings = fitted({"0": 2, "1": 0, "2": 3, "3": 5}, per_topic=4, seed=6)
    proposals = propose_labels(raw_profiles(new_result, new_embeddings), previous_run())
    mapping = initial_mapping("run-feb", new_result)
    index = LayerIndex.from_result(new_result)

    applied = apply_proposals(mapping, index, proposals, accepted=["1", "0"], by="ana")

    assert applied.topics["0"].label == "Travel expenses"
    assert applied.topics["1"].label == "Invoice automation"
    assert applied.topics["2"] == mapping.topics["2"] and applied.topics["3"] == mapping.topics["3"]
    assert [type(op) for op in applied.operations] == [Rename, Rename]
    first = applied.operations[0]
    assert (first.topic, first.label, first.by) == ("0", "Travel expenses", "ana")
    assert first.reason == (
        f"label carried over from previous run topic 2 (confidence {proposals['0'].confidence:.2f})")
    assert apply_proposals(mapping, index, proposals, accepted=[], by="ana") is mapping
    with pytest.raises(MappingError, match="No label proposal for topic"):
        apply_proposals(mapping, index, proposals, accepted=["3"], by="ana")


def test_apply_proposals_refuses_a_topic_that_is_no_longer_kept():
    new_result, _ = fitted({"0": 0, "1": 1}, per_topic=2, seed=7)
    mapping = initial_mapping("run-feb", new_result)
    mapping = mapping.with_meta(topics={**mapping.topics, "0": TopicDecision("x", status="discarded")})
    proposal = LabelProposal("0", "Invoice automation", 0.9, "0", 0.9, 0.8)
    with pytest.raises(MappingError, match="discarded"):
        apply_proposals(mapping, LayerIndex.from_result(new_result), {"0": proposal}, ["0"], by="ana")


def test_proposals_are_deterministic_whatever_the_input_order():
    # Two identical old topics: a tie that must always break the same way.
    old = previous_run() + [profile("9", np.eye(DIM)[0], WORDS[0], "Invoice automation (copy)")]
    new_result, new_embeddings = fitted({"0": 0, "1": 1, "2": 2, "3": 5}, per_topic=5, seed=8)
    new = raw_profiles(new_result, new_embeddings)

    first = propose_labels(new, old)
    assert propose_labels(new, old) == first
    assert propose_labels(new[::-1], old[::-1]) == first
    assert propose_labels(new[1:] + new[:1], old[2:] + old[:2]) == first
