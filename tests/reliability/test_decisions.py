"""Decisions are single and final (issue 15: items 1-4, 10, 11, 15, 16), tried as an adversary would.

Interleavings are injected, not timed: a store that runs the other party's action right after a
chosen write (``After``), or that stops the process there (``Crash``). Every test starts from a
copy of one run waiting at layer 1.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.curation.versions import load_approved, load_version
from backend.errors import CuratorError, RunStateError
from backend.runs import decisions, steps
from backend.runs.approvals import load_approval
from backend.runs.record import load_run
from backend.runs.runner import LocalRunner
from backend.settings import Settings
from backend.store.layout import run_key
from backend.store.local import LocalStore
from backend.topics.layer_result import load_layer
from tests.app.conftest import app_store, open_app  # noqa: F401  (app_store: the app on a run waiting at layer 1)

RUN = "r"


@pytest.fixture(scope="module")
def waiting_folder(tmp_path_factory, sample_records) -> Path:
    """A local store holding run ``r``, waiting at layer 1 (made once for the module)."""
    from backend.settings import settings_from_dict
    from tests.conftest import FAST_SETTINGS

    folder = tmp_path_factory.mktemp("waiting") / "store"
    record = LocalRunner(LocalStore(folder)).start(sample_records, settings_from_dict(FAST_SETTINGS), RUN)
    assert record.waiting_at == "curate-layer1"
    return folder


@pytest.fixture
def store(waiting_folder, tmp_path) -> LocalStore:
    shutil.copytree(waiting_folder, tmp_path / "store")
    return LocalStore(tmp_path / "store")


class Stop(BaseException):
    """The process dies here (a BaseException, so no ``except Exception`` tidies up)."""


class After(LocalStore):
    """A store that calls ``then`` once, right after the first write matching ``when``."""

    def __init__(self, root: Path, when: Callable[[str, bytes], bool], then: Callable[[], None]) -> None:
        super().__init__(root)
        self.when, self.then, self.fired = when, then, False

    def write_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        super().write_bytes(key, data, if_absent=if_absent)
        if not self.fired and self.when(key, data):
            self.fired = True
            self.then()


def crash_after(root: Path, when: Callable[[str, bytes], bool]) -> After:
    def die() -> None:
        raise Stop()

    return After(root, when, die)


def drill_down_mapping(store):
    """Version 1 with the automatic drill-down marks, so layer 2 has something to split."""
    record = load_run(store, RUN)
    return steps.auto_mapping(load_version(store, RUN, 1), load_layer(store, RUN, 1), record.typed_settings)


def approve_and_resume(store, user: str = "ana", **kwargs):
    outcome = decisions.approve(store, RUN, user, Settings(), layer=1, **kwargs)
    if outcome.resume_locally:
        LocalRunner(store).resume(RUN)
    return outcome


# Item 1: approve and reject at the same moment ------------------------------------------------

def test_approve_and_reject_claim_one_decision_and_the_loser_is_told_who_won(store):
    """Reject lands right after Approve claimed the decision: refused, naming Ana's approval."""
    refused: list[CuratorError] = []

    def reject_now() -> None:
        with pytest.raises(RunStateError) as caught:
            decisions.reject(LocalStore(store.root), RUN, "ben", "noise", Settings(), layer=1)
        refused.append(caught.value)

    racing = After(store.root, lambda key, _: "/answers/" in key, reject_now)
    approve_and_resume(racing)
    assert racing.fired and "already approved (version 1) by ana" in refused[0].problem
    assert load_approval(store, RUN, "curate-layer1").status == "approved"
    assert load_run(store, RUN).status != "rejected"


def test_on_s3_the_decision_is_claimed_with_if_none_match(s3_store, waiting_folder):
    """moto enforces IfNoneMatch='*' as AWS documents it (412 PreconditionFailed): one answer wins."""
    from backend.runs.approvals import Answer, claim_answer

    s3_store.upload_folder(waiting_folder / "runs", "runs")
    approval = load_approval(s3_store, RUN, "curate-layer1")
    claim_answer(s3_store, approval, Answer(approval.token, "rejected", "ben", reason="noise"))
    with pytest.raises(RunStateError, match="already rejected \\(reason 'noise'\\) by ben"):
        decisions.approve(s3_store, RUN, "ana", Settings(), layer=1)
    assert load_approved(s3_store, RUN, 1) is None


def test_a_reject_of_the_layer_someone_just_approved_never_lands_on_the_next_layer(store):
    """Ben saw layer 1 and pressed Reject just as Ana's approval carried the run to layer 2: before,
    his rejection hit layer 2 (unseen) and was then overwritten by the runner; both reported success."""
    refused: list[CuratorError] = []

    def reject_layer_one() -> None:
        with pytest.raises(RunStateError) as caught:
            decisions.reject(LocalStore(store.root), RUN, "ben", "noise", Settings(), layer=1)
        refused.append(caught.value)

    racing = After(store.root, lambda key, data: key == run_key(RUN) and b'"waiting_at": "curate-layer2"' in data,
                   reject_layer_one)
    approve_and_resume(racing, mapping=drill_down_mapping(store))
    assert racing.fired and "Layer 1 of run r was already approved (version 2) by ana" in refused[0].problem
    record = load_run(store, RUN)
    assert (record.status, record.waiting_at) == ("waiting", "curate-layer2")
    assert load_approval(store, RUN, "curate-layer2").status == "pending"


def test_a_rejection_right_after_the_run_starts_waiting_is_never_overwritten(store):
    """The runner wrote nothing after the step began waiting: a decision made then is kept whole."""
    racing = After(store.root, lambda key, data: key == run_key(RUN) and b'"waiting_at": "curate-layer2"' in data,
                   lambda: decisions.reject(LocalStore(store.root), RUN, "ben", "noise", Settings(), layer=2))
    approve_and_resume(racing, mapping=drill_down_mapping(store))
    assert racing.fired
    record = load_run(store, RUN)
    assert (record.status, record.steps["curate-layer2"].status) == ("rejected", "rejected")


# Item 16: the run record is written whole -------------------------------------------------------

def test_no_reader_sees_a_step_waiting_while_the_run_says_running(store):
    """The cause of the flaky test_approve_resumes_in_the_background_once: two writes, not one."""
    seen: list[tuple[str, str | None]] = []

    class Watched(LocalStore):
        def write_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
            super().write_bytes(key, data, if_absent=if_absent)
            if key == run_key(RUN):
                record = load_run(self, RUN)
                seen.append((record.status, record.waiting_at))

    approve_and_resume(Watched(store.root), mapping=drill_down_mapping(store))
    assert ("waiting", "curate-layer2") in seen
    assert [s for s in seen if s[1] is not None and s[0] != "waiting"] == []


# Item 2: a decision half-written by a crash is finished by resume -------------------------------

APPROVE_WRITES = {
    "the claimed answer": lambda key, _: "/answers/" in key and key.endswith(".json"),
    "approved.json": lambda key, _: key.endswith("mapping/layer1/approved.json"),
    "the approval record": lambda key, _: key.endswith("approvals/curate-layer1.json"),
}


@pytest.mark.parametrize("after", list(APPROVE_WRITES))
def test_run_resume_finishes_an_approval_a_crash_cut_short(store, after):
    with pytest.raises(Stop):
        approve_and_resume(crash_after(store.root, APPROVE_WRITES[after]))
    assert load_run(store, RUN).waiting_at == "curate-layer1"  # what the crash left
    record = LocalRunner(store).resume(RUN)  # topic-curator run --run-id r
    assert record.status == "completed"  # nothing was marked for drill-down
    assert record.steps["curate-layer1"].status == "done"
    assert load_approval(store, RUN, "curate-layer1").status == "approved"
    assert load_approved(store, RUN, 1).approved_by == "ana"


def test_run_resume_finishes_a_rejection_a_crash_cut_short(store):
    with pytest.raises(Stop):
        decisions.reject(crash_after(store.root, APPROVE_WRITES["the claimed answer"]), RUN, "ben", "noise",
                         Settings(), layer=1)
    record = LocalRunner(store).resume(RUN)
    assert (record.status, record.steps["curate-layer1"].status) == ("rejected", "rejected")
    assert load_approval(store, RUN, "curate-layer1").reason == "noise"


def test_status_does_not_show_waiting_for_a_decision_already_made(store, capsys):
    from pipeline.cli import main

    with pytest.raises(Stop):
        decisions.reject(crash_after(store.root, APPROVE_WRITES["the claimed answer"]), RUN, "ben", "noise",
                         Settings(), layer=1)
    assert main(["status", RUN, "--store", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert f"run {RUN}: rejected" in out and "waiting" not in out


# Items 3 and 15: everything a decision needs is checked before anything is written --------------

def edited_mapping(store, tmp_path, change: Callable[[dict], None]) -> Path:
    """``topic-curator mapping`` output, edited by hand the way ``change`` says."""
    data = load_version(store, RUN, 1).to_dict()
    change(data)
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def blank_label(data: dict) -> None:
    data["topics"]["3"]["label"] = "   "


def invented_topic(data: dict) -> None:
    data["topics"]["999"] = {"label": "Made up", "status": "kept", "origin": "person"}


def far_future_version(data: dict) -> None:
    data["version"] = 99


@pytest.mark.parametrize("change, message", [
    (blank_label, "topic 3 has an empty label"),
    (invented_topic, "unknown topic id\\(s\\) 999"),
    (far_future_version, "edited from version 99 of layer 1, which was never saved"),
])
def test_a_bad_mapping_is_refused_before_anything_is_written(store, tmp_path, capsys, change, message):
    from pipeline.cli import main

    before = sorted(store.list(f"runs/{RUN}"))
    path = edited_mapping(store, tmp_path, change)
    assert main(["approve", RUN, "--mapping", str(path), "--store", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "what to do: " in err
    assert re.search(message, err), err
    assert sorted(store.list(f"runs/{RUN}")) == before  # no version, no approval, no answer
    assert load_run(store, RUN).waiting_at == "curate-layer1"


# Item 10: --auto-approve on a run that already waits ---------------------------------------------

def test_auto_approve_on_a_waiting_run_drills_down_like_a_fresh_one(store, capsys):
    from pipeline.cli import main

    assert main(["run", "--run-id", RUN, "--auto-approve", "--store", str(store.root)]) == 0
    assert load_approved(store, RUN, 1).drill_down_topics  # the automatic rule, not version 1 as is
    record = load_run(store, RUN)
    assert record.status == "completed" and record.steps["layer2"].status == "done", record.steps["layer2"]


# Item 11: approve names the version the person saw ---------------------------------------------

def save_discarding(store, user: str, *topics: str) -> int:
    """Another analyst saves a newer version that discards ``topics``."""
    from backend.curation.mapping import TopicDecision
    from backend.curation.versions import save_version

    latest = load_version(store, RUN, 1)
    changed = {**latest.topics, **{t: TopicDecision(latest.topics[t].label, status="discarded") for t in topics}}
    return save_version(store, latest.with_meta(topics=changed), user).version


def test_the_cli_approves_the_version_reviewed_or_nothing(store, capsys):
    from pipeline.cli import main

    assert save_discarding(store, "ben", "0", "1") == 2
    assert main(["approve", RUN, "--version", "1", "--store", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert "error: ben saved version 2 of layer 1" in err and "after you were shown version 1" in err
    assert load_approved(store, RUN, 1) is None and load_run(store, RUN).waiting_at == "curate-layer1"
    assert main(["approve", RUN, "--version", "7", "--store", str(store.root)]) == 2
    assert "has no version 7; the latest is 2" in capsys.readouterr().err


def test_the_app_route_refuses_a_version_nobody_reviewed(store):
    from backend import services

    save_discarding(store, "ben", "0", "1")
    with pytest.raises(RunStateError, match="ben saved version 2 of layer 1 .* after you were shown version 1"):
        services.approve_and_resume(store, RUN, 1, "ana", Settings(), version=1)
    assert load_approved(store, RUN, 1) is None


# Item 15: rebase never replaces the winner's change silently -------------------------------------

def test_replaying_a_rename_onto_a_colleagues_rename_of_the_same_topic_is_a_conflict(store):
    from backend.curation.operations import Rename
    from backend.curation.session import CurationSession
    from backend.errors import SaveConflictError

    ana, ben = CurationSession(store, RUN, 1, "ana"), CurationSession(store, RUN, 1, "ben")
    ana.apply(Rename(topic="3", label="Invoice matching"))
    ben.apply(Rename(topic="3", label="Chatbots"))
    ana.save()
    with pytest.raises(SaveConflictError):
        ben.save()
    [overlap] = ben.rebase_plan()
    assert (overlap.mine.label, overlap.theirs[0].label) == ("Chatbots", "Invoice matching")
    report = ben.rebase()
    assert report.summary() == ["kept theirs instead of: rename 3 to 'Chatbots'"]
    assert ben.mapping.topics["3"].label == "Invoice matching"


def test_a_colleagues_version_saved_without_operations_still_counts_as_theirs(store):
    """A version written from an edited file (``approve --mapping`` that was refused later, or any
    tool that saves a mapping) carries no operation for its rename: the replay compares the mappings."""
    from backend.curation.mapping import TopicDecision
    from backend.curation.operations import Rename
    from backend.curation.session import CurationSession
    from backend.curation.versions import save_version

    ben = CurationSession(store, RUN, 1, "ben")
    ben.apply(Rename(topic="3", label="Chatbots"))
    v1 = load_version(store, RUN, 1)
    save_version(store, v1.with_meta(topics={**v1.topics, "3": TopicDecision("Invoice matching")}), "ana")
    [overlap] = CurationSession(store, RUN, 1, "ben").rebase_plan()
    assert overlap.mine.label == "Chatbots" and "Invoice matching" in overlap.theirs[0].describe()


# Item 4: approvers mean something ---------------------------------------------------------------

def approvers_config(tmp_path, *names: str) -> str:
    path = tmp_path / "approvers.json"
    path.write_text(json.dumps({"app": {"approvers": list(names)}}), encoding="utf-8")
    return str(path)


def os_account() -> str:
    import os
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def test_the_cli_decides_as_the_os_account_and_by_cannot_claim_someone_else(store, tmp_path, capsys, monkeypatch):
    from pipeline.cli import main

    monkeypatch.setenv("USER", "alice")  # an environment variable is not an identity
    monkeypatch.setenv("LOGNAME", "alice")
    config = approvers_config(tmp_path, "alice")
    assert main(["approve", RUN, "--by", "alice", "--config", config, "--store", str(store.root)]) == 2
    assert f"--by alice is not who runs this command ({os_account()})" in capsys.readouterr().err
    assert main(["approve", RUN, "--config", config, "--store", str(store.root)]) == 2
    assert f"error: {os_account()} is not on the approver list" in capsys.readouterr().err
    assert load_approved(store, RUN, 1) is None and load_run(store, RUN).waiting_at == "curate-layer1"

    me = os_account().upper()  # names compare case-insensitively once the identity is known
    assert main(["reject", RUN, "--reason", "noise", "--config", approvers_config(tmp_path, me),
                 "--store", str(store.root)]) == 0
    assert load_approval(store, RUN, "curate-layer1").decided_by == me


def test_a_config_can_narrow_the_runs_approver_list_but_not_widen_it(store, tmp_path, capsys):
    from backend.runs.record import save_run
    from pipeline.cli import main

    record = load_run(store, RUN)
    record.settings = {**record.settings, "app": {**record.settings["app"], "approvers": ["carla"]}}
    save_run(store, record)
    config = approvers_config(tmp_path, os_account())
    assert main(["reject", RUN, "--reason", "x", "--config", config, "--store", str(store.root)]) == 2
    assert "No one is on both the run's approver list (carla)" in capsys.readouterr().err
    assert load_approval(store, RUN, "curate-layer1").status == "pending"


def test_on_s3_the_cli_decides_as_the_aws_caller(waiting_folder, tmp_path, capsys, monkeypatch):
    """moto's STS answers GetCallerIdentity with arn:aws:sts::123456789012:user/moto."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    from backend.store.s3 import S3Store
    from pipeline.cli import main

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="curator")
        s3 = S3Store("curator", "team")
        s3.upload_folder(waiting_folder / "runs", "runs")
        assert main(["reject", RUN, "--reason", "x", "--by", os_account(), "--store", s3.uri(),
                     "--config", approvers_config(tmp_path, "alice")]) == 2
        assert "is not who runs this command (moto)" in capsys.readouterr().err
        assert main(["reject", RUN, "--reason", "noise", "--store", s3.uri(),
                     "--config", approvers_config(tmp_path, "MOTO")]) == 0
        assert load_approval(s3, RUN, "curate-layer1").decided_by == "MOTO"


def test_the_app_does_not_take_a_typed_name_for_an_approver(app_store, tmp_path, monkeypatch):  # noqa: F811
    import streamlit as st

    from tests.conftest import FAST_SETTINGS

    config = tmp_path / "approvers.json"
    config.write_text(json.dumps({**FAST_SETTINGS, "app": {"approvers": ["alice"]}}))
    monkeypatch.setenv("TOPIC_CURATOR_CONFIG", str(config))
    st.cache_resource.clear()
    at = open_app(user="ALICE")
    assert at.button(key="approve").disabled
    assert not [b for b in at.button if b.key == "reject"]
    assert any("needs login" in w.value for w in at.warning)
    assert load_approved(app_store, "demo", 1) is None


def test_the_app_decides_as_the_signed_in_user_compared_case_insensitively(app_store, tmp_path, monkeypatch):  # noqa: F811
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import MAIN
    from tests.conftest import FAST_SETTINGS

    config = tmp_path / "approvers.json"
    config.write_text(json.dumps({**FAST_SETTINGS, "app": {"approvers": ["alice@example.com"]}}))
    monkeypatch.setenv("TOPIC_CURATOR_CONFIG", str(config))
    st.cache_resource.clear()

    def signed_in(email: str) -> AppTest:
        at = AppTest.from_file(MAIN, default_timeout=60)
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s",
                              "client_id": "c", "client_secret": "s",
                              "server_metadata_url": "https://example.com/.well-known/openid-configuration"}
        at.user = {"is_logged_in": True, "email": email}
        return at.run()

    bob = signed_in("bob@example.com")
    bob.text_input(key="reject_reason").input("noise").run()
    bob.button(key="reject").click().run()
    # (messages show user text literally: Markdown escapes, as plain() writes them)
    assert any("bob@example.com is not on the approver list" in e.value.replace("\\", "") for e in bob.error)
    assert load_approval(app_store, "demo", "curate-layer1").status == "pending"

    alice = signed_in("Alice@Example.com")
    alice.text_input(key="reject_reason").input("noise").run()
    alice.button(key="reject").click().run()
    assert not alice.exception
    assert load_approval(app_store, "demo", "curate-layer1").decided_by == "Alice@Example.com"
