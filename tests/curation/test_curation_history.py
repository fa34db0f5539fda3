from __future__ import annotations

import pytest

from backend.curation.apply import replay
from backend.curation.diff import diff
from backend.curation.history import History
from backend.curation.keywords import keyword_changes
from backend.curation.operations import Discard, DrillDown, Merge, Move, Rename, Split
from backend.curation.preview import preview_merge, preview_split, preview_split_groups
from backend.errors import MappingError
from tests.curation.curation_fixtures import toy_setup


@pytest.fixture
def setup():
    return toy_setup()


def test_undo_redo(setup):
    _, index, mapping, _ = setup
    history = History(mapping, index)
    history.apply(Rename(topic="0", label="A"))
    history.apply(Merge(topics=("1", "2")))
    assert history.undo() == replay(mapping, history.current.operations, index)
    assert history.current.topics["2"].status == "kept" and history.can_redo
    history.redo()
    assert history.current.topics["2"].status == "merged"
    history.undo()
    history.apply(Discard(topic="4"))
    assert not history.can_redo  # a new change clears redo
    history.undo()
    history.undo()
    assert history.current == mapping and not history.can_undo
    with pytest.raises(MappingError, match="Nothing to undo"):
        history.undo()


def test_invalid_operation_leaves_history_unchanged(setup):
    _, index, mapping, _ = setup
    history = History(mapping, index)
    with pytest.raises(MappingError):
        history.apply(Rename(topic="99", label="x"))
    assert history.current == mapping and not history.pending


def test_keywords_follow_curation(setup):
    _, index, mapping, keywords = setup
    before = keywords.for_mapping(mapping, index)
    assert before["0"][0][0] == "invoice" and before["1"][0][0] == "chatbot"
    merged = History(mapping, index)
    merged.apply(Merge(topics=("0", "1")))
    after = keywords.for_mapping(merged.current, index)
    assert {w for w, _ in after["0"][:2]} == {"invoice", "chatbot"} and "1" not in after


def test_split_preview_finds_the_two_halves_and_can_be_applied(setup):
    _, index, mapping, keywords = setup
    preview = preview_split(mapping, "0", 2, index, keywords, by="ana")
    assert preview.sizes == [3, 3] and preview.new_topics == ["5", "6"]
    assert {w for kw in preview.keywords for w, _ in kw[:1]} <= {"invoice", "alphainvoice", "betainvoice"}
    halves = {frozenset(g) for g in preview.operation.groups}
    assert halves == {frozenset({"d000", "d001", "d002"}), frozenset({"d003", "d004", "d005"})}
    history = History(mapping, index)
    history.apply(preview.operation)
    assert history.current.topics["0"].status == "split"
    # Each new topic is named after the keywords the preview showed, not "label (1)".
    for key, words in zip(preview.new_topics, preview.keywords):
        assert history.current.topics[key].label == " / ".join(w for w, _ in words[:3])
    assert preview.operation.describe() == "split topic 0 into 2 topics (3 + 3 documents)"
    with pytest.raises(MappingError, match="cannot be split into 7"):
        preview_split(mapping, "0", 7, index, keywords)


def test_lasso_preview(setup):
    _, index, mapping, keywords = setup
    preview = preview_split_groups(mapping, "2", (("d012", "d013"),), index, keywords)
    assert preview.sizes == [2] and preview.new_topics == ["5"]
    assert preview.operation.describe() == "split 2 documents off topic 2 into a new topic"


def test_merge_preview_lists_other_topics_whose_keywords_change(setup):
    _, index, mapping, keywords = setup
    preview = preview_merge(mapping, Merge(topics=("0", "1")), index, keywords)
    assert {w for w, _ in preview.merged_keywords[:2]} == {"invoice", "chatbot"}
    assert all(change.topic not in {"0", "1"} for change in preview.other_changes)
    assert keyword_changes({"a": [("x", 1.0)]}, {"a": [("y", 1.0)]})[0].gained == ["y"]


def test_diff_between_versions(setup):
    _, index, mapping, _ = setup
    history = History(mapping, index)
    for op in [Rename(topic="0", label="Invoices"), Merge(topics=("1", "2")), Discard(topic="3"),
               Split(topic="4", groups=(("d024", "d025"),)), Move(documents=("d000",), to="1"),
               DrillDown(topic="0")]:
        history.apply(op)
    change = diff(mapping, history.current)
    assert change.renamed == {"0": ("invoice", "Invoices")}
    assert change.merged == {"2": "1"} and change.discarded == ["3"]
    assert change.added == ["5"] and change.split == {"4": ["5"]}
    assert change.drill_down == {"0": True} and change.moved_documents == 3
    assert any("merged 2 into 1" in line for line in change.summary())
    assert diff(mapping, mapping).is_empty
