"""Saving without losing anything: drafts, conditional saves, conflicts and replay, on both stores."""

from __future__ import annotations

import threading

import pytest

from backend.curation.operations import Discard, Merge, Operation, Rename
from backend.curation.session import CurationSession
from backend.curation.versions import load_version, version_numbers
from backend.errors import MappingError, SaveConflictError
from backend.runs.runner import LocalRunner
from backend.store.local import LocalStore


@pytest.fixture(params=["local", "s3"])
def waiting_run(request, tmp_path, fast_settings, sample_records):
    """A run waiting at layer 1, on a folder or on S3 (moto)."""
    store = LocalStore(tmp_path / "store") if request.param == "local" else request.getfixturevalue("s3_store")
    LocalRunner(store).start(sample_records, fast_settings, "run")
    return store


def test_save_creates_a_new_version_and_clears_the_draft(waiting_run):
    session = CurationSession(waiting_run, "run", 1, "ana")
    session.apply(Rename(topic="0", label="Invoices"))
    assert waiting_run.exists(session.draft_key)
    saved = session.save()
    assert saved.version == 2 and saved.parent_version == 1 and saved.created_by == "ana"
    assert load_version(waiting_run, "run", 1).topics["0"].label == "Invoices"
    assert not session.unsaved
    with pytest.raises(MappingError, match="Nothing to save"):
        session.save()


def test_a_closed_browser_loses_nothing(waiting_run):
    first = CurationSession(waiting_run, "run", 1, "ana")
    first.apply(Rename(topic="0", label="Invoices"))
    first.apply(Merge(topics=("1", "2")))
    first.undo()
    reopened = CurationSession(waiting_run, "run", 1, "ana")
    assert [op.kind for op in reopened.unsaved] == ["rename"]
    assert reopened.history.can_redo
    reopened.redo()
    assert reopened.mapping.topics["2"].status == "merged"


def test_two_writers_one_loses_cleanly_and_replays(waiting_run):
    ana = CurationSession(waiting_run, "run", 1, "ana")
    ben = CurationSession(waiting_run, "run", 1, "ben")
    ana.apply(Merge(topics=("1", "2")))
    ben.apply(Rename(topic="2", label="Chatbots"))  # renames a topic ana merges away
    ben.apply(Rename(topic="3", label="Forecasting"))
    ana.save()
    with pytest.raises(SaveConflictError, match="ana saved version 2") as conflict:
        ben.save()
    assert conflict.value.latest_version == 2
    assert len(ben.unsaved) == 2  # nothing lost
    [overlap] = ben.rebase_plan()  # ben's rename of 2 against ana's merge of 1 and 2
    assert (overlap.position, overlap.mine.label, overlap.theirs[0].kind) == (0, "Chatbots", "merge")
    report = ben.rebase(keep_mine={0})  # ben insists: it no longer applies, and says why
    assert [c.operation.label for c in report.failed] == ["Chatbots"]
    assert "merged into 1" in report.failed[0].problem
    assert [op.label for op in report.replayed] == ["Forecasting"]
    saved = ben.save()
    assert saved.version == 3
    assert saved.topics["2"].status == "merged" and saved.topics["3"].label == "Forecasting"
    assert version_numbers(waiting_run, "run", 1) == [1, 2, 3]


def test_a_draft_from_an_older_version_waits_for_rebase(waiting_run):
    ben = CurationSession(waiting_run, "run", 1, "ben")
    ben.apply(Discard(topic="4"))
    ana = CurationSession(waiting_run, "run", 1, "ana")
    ana.apply(Rename(topic="0", label="Invoices"))
    ana.save()
    reopened = CurationSession(waiting_run, "run", 1, "ben")
    assert reopened.base_version == 2 and not reopened.unsaved
    assert [op.kind for op in reopened.stale_draft] == ["discard"]
    assert reopened.rebase_plan() == []
    report = reopened.rebase()
    assert not report.failed and not report.kept_theirs
    assert reopened.mapping.topics["4"].status == "discarded"
    assert reopened.mapping.topics["0"].label == "Invoices"


def ben_after_a_conflict(store, *more_of_bens: Operation) -> CurationSession:
    """Ana saves a rename of topic 3; Ben renames it too (plus ``more_of_bens``), and his save conflicts."""
    ana = CurationSession(store, "run", 1, "ana")
    ben = CurationSession(store, "run", 1, "ben")
    ana.apply(Rename(topic="3", label="Ana's label"))
    ana.save()
    for op in (Rename(topic="3", label="Ben's label"), *more_of_bens):
        ben.apply(op)
    with pytest.raises(SaveConflictError):
        ben.save()
    return ben


def test_replay_never_overwrites_a_colleague_without_asking(waiting_run):
    ben = ben_after_a_conflict(waiting_run, Rename(topic="4", label="Only Ben"))
    [overlap] = ben.rebase_plan()
    assert overlap.mine.label == "Ben's label" and overlap.theirs[0].label == "Ana's label"
    report = ben.rebase()  # no choice made: ana's label stands, and the report says so
    assert [op.label for op in report.kept_theirs] == ["Ben's label"]
    assert ben.mapping.topics["3"].label == "Ana's label" and ben.mapping.topics["4"].label == "Only Ben"
    assert report.summary() == ["kept theirs instead of: rename 3 to \"Ben's label\""]


def test_replay_keeps_mine_where_chosen(waiting_run):
    ben = ben_after_a_conflict(waiting_run, Merge(topics=("5", "6")))  # the merge touches nothing ana changed
    report = ben.rebase(keep_mine={0})
    assert ben.mapping.topics["3"].label == "Ben's label" and ben.mapping.topics["6"].status == "merged"
    assert not report.kept_theirs and len(report.replayed) == 2


def test_an_approved_layer_is_read_only(waiting_run):
    from backend.curation.versions import write_approved
    from backend.errors import RunStateError

    ana = CurationSession(waiting_run, "run", 1, "ana")
    ana.apply(Rename(topic="0", label="Invoices"))
    saved = ana.save()
    ana.apply(Rename(topic="1", label="Unsaved"))
    write_approved(waiting_run, saved, "ben")
    with pytest.raises(RunStateError, match="approved at version 2 by ben.*read-only"):
        ana.apply(Rename(topic="2", label="Too late"))
    with pytest.raises(RunStateError, match="read-only"):
        ana.save()
    reopened = CurationSession(waiting_run, "run", 1, "ana")
    assert reopened.read_only and reopened.mapping.version == 2 and not reopened.unsaved
    assert reopened.mapping.topics["1"].label != "Unsaved"
    for action in (reopened.undo, reopened.discard_unsaved, lambda: reopened.apply(Discard(topic="0"))):
        with pytest.raises(RunStateError, match="read-only"):
            action()
    assert version_numbers(waiting_run, "run", 1) == [1, 2]


def test_concurrent_saves_have_exactly_one_winner(tmp_path, fast_settings, sample_records):
    store = LocalStore(tmp_path / "store")
    LocalRunner(store).start(sample_records, fast_settings, "run")
    sessions = [CurationSession(store, "run", 1, f"user{i}") for i in range(6)]
    for i, session in enumerate(sessions):
        session.apply(Rename(topic="0", label=f"Label {i}"))
    outcomes: list[str] = []

    def save(session: CurationSession) -> None:
        try:
            session.save()
            outcomes.append("saved")
        except SaveConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]
    assert version_numbers(store, "run", 1) == [1, 2]
    losers = [s for s in sessions if s.unsaved]
    assert len(losers) == 5 and all(len(s.unsaved) == 1 for s in losers)
