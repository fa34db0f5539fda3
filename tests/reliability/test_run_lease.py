"""One writer per run (issue 15, item 14): a second process is refused, a dead one's lease is taken
over, and a killed run reads "interrupted", never "running" forever. Time is a fake clock: no sleeps."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from backend.runs.lease import LeaseHeldError, LeaseLostError, RunLease, derived_status
from backend.runs.record import load_run, save_run
from backend.runs.runner import LocalRunner
from pipeline.cli import main


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def write_lease(store, run_id: str, holder: str, heartbeat: datetime, released: bool = False) -> None:
    """A lease as another process leaves it (raw JSON, so the test needs no lease code to set up)."""
    stamp = heartbeat.isoformat()
    store.write_json(f"runs/{run_id}/lease/000001.json", {
        "run_id": run_id, "generation": 1, "holder": holder, "acquired_at": stamp, "heartbeat_at": stamp,
        "stale_after": 120.0, "released": released})


@pytest.fixture
def created(local_store, fast_settings, sample_records):
    """A run recorded with its input and no step run yet."""
    LocalRunner(local_store).create(sample_records, fast_settings, "r")
    return local_store


@pytest.mark.parametrize("store_name", ["local_store", "s3_store"])
def test_one_lease_holder_at_a_time_and_a_stale_one_is_taken_over(store_name, request):
    store, clock = request.getfixturevalue(store_name), FakeClock()
    first = RunLease(store, "r", "alice@box (pid 1)", clock)
    first.acquire()
    clock.advance(100)
    first.beat()
    clock.advance(100)  # 200 s since it was taken, 100 s since the last beat: still live
    second = RunLease(store, "r", "bob@box (pid 2)", clock)
    with pytest.raises(LeaseHeldError, match="being run by alice@box"):
        second.acquire()
    clock.advance(21)  # 121 s without a heartbeat: stale
    assert second.acquire().generation == 2
    with pytest.raises(LeaseLostError, match="taken over by bob@box"):
        first.beat()  # the old holder, if alive, stops at its next beat
    second.release()
    assert RunLease(store, "r", "carol", clock).acquire().generation == 3  # released: no takeover needed


def test_a_second_run_while_the_first_runs_is_refused_naming_the_holder(created, capsys):
    write_lease(created, "r", "alice@box (pid 4242)", datetime.now(UTC))
    code = main(["run", "--run-id", "r", "--store", str(created.root)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "error: Run r is being run by alice@box (pid 4242)" in err
    assert "what to do: Wait for it" in err and "Traceback" not in err
    assert all(s.status == "pending" for s in load_run(created, "r").steps.values())  # nothing refitted


def test_a_stale_lease_is_taken_over_with_a_message(created, caplog):
    write_lease(created, "r", "alice@box (pid 4242)", datetime.now(UTC) - timedelta(hours=1))
    with caplog.at_level(logging.WARNING):
        record = LocalRunner(created).resume("r")
    assert record.waiting_at == "curate-layer1"
    assert "taking over from alice@box (pid 4242)" in caplog.text


def test_a_killed_run_reads_interrupted_with_how_to_resume(created, capsys):
    record = load_run(created, "r")
    record.steps["preprocess"].status = "running"
    save_run(created, record)  # the process died here: run.json still says "running"
    write_lease(created, "r", "alice@box (pid 4242)", datetime.now(UTC) - timedelta(minutes=10))
    assert main(["status", "r", "--store", str(created.root)]) == 0
    out = capsys.readouterr().out
    assert f"interrupted — resume with topic-curator run --run-id r --store {created.root}" in out
    assert main(["status", "--store", str(created.root)]) == 0
    assert "r  interrupted" in capsys.readouterr().out
    from backend.services import list_runs

    assert list_runs(created).set_index("run").loc["r", "status"] == "interrupted"  # the app's run list


def test_a_live_run_reads_running_and_a_finished_lease_is_not_needed_to_resume(created):
    clock = FakeClock()
    RunLease(created, "r", "alice", clock).acquire()
    assert derived_status(created, "running", "r", "local", clock().isoformat(), clock) == "running"
    clock.advance(121)
    assert derived_status(created, "running", "r", "local", clock().isoformat(), clock) == "interrupted"
    assert derived_status(created, "waiting", "r", "local", clock().isoformat(), clock) == "waiting"


def test_a_resumed_run_releases_its_lease(created, fast_settings):
    LocalRunner(created).resume("r")
    lease = json.loads(created.read_bytes("runs/r/lease/000001.json"))
    assert lease["released"] is True
    assert LocalRunner(created).resume("r").waiting_at == "curate-layer1"  # no refusal, no takeover


def test_the_runs_page_shows_a_killed_run_as_interrupted_with_how_to_resume(created, monkeypatch):
    from tests.app.conftest import app_on

    record = load_run(created, "r")
    record.status = "running"
    save_run(created, record)
    write_lease(created, "r", "alice@box (pid 4242)", datetime.now(UTC) - timedelta(minutes=10))
    at = app_on(created, monkeypatch)
    assert [h.value for h in at.subheader] == ["Run r: interrupted"]
    shown = [w.value.replace("\\", "") for w in at.warning]  # Markdown escapes, as plain() writes them
    assert any("resume with topic-curator run --run-id r" in w for w in shown), shown


def test_a_run_just_set_going_reads_running_until_its_process_claims_it(created):
    """An approval saves the run as running a moment before the background thread claims the lease:
    it must not read "interrupted" then (the Runs page stopped polling on it and never moved on)."""
    clock = FakeClock()
    lease = RunLease(created, "r", "alice", clock)
    lease.acquire()
    lease.release()  # the first process stopped at the approval
    clock.advance(3600)
    saved = clock().replace(microsecond=0).isoformat()  # the approval sets the run going, an hour later
    assert derived_status(created, "running", "r", "local", saved, clock) == "running"
    clock.advance(121)  # nobody picked it up
    assert derived_status(created, "running", "r", "local", saved, clock) == "interrupted"
    earlier = (clock() - timedelta(hours=2)).isoformat()  # saved before the release: its process let go
    assert derived_status(created, "running", "r", "local", earlier, clock) == "interrupted"
