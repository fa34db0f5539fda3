"""The one approval route on SageMaker runs, offline: moto plays S3; SageMaker's two callback calls
are intercepted with botocore's Stubber, which still checks every parameter against the real API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from backend import services
from backend.curation.versions import load_approved
from backend.errors import RunStateError
from backend.runs import decisions
from backend.runs.approvals import load_answer, load_approval, pending_approvals
from backend.runs.callbacks import CallbackClient, CallbackError, CallbackGone, client_request_token
from backend.runs.decisions import OUTPUT_NAME
from backend.runs.inbox import CallbackMessage, answer_stopping, expire_overdue, record_callback
from backend.runs.record import load_run, save_run
from backend.runs.runner import LocalRunner
from backend.settings import Settings
from backend.store.s3 import S3Store

TOKEN = "AbCdEf1234"
ARN = "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/topic-curator/execution/abc123"
VERSION_1 = "s3://curator/team/runs/sm/mapping/layer1/v0001.json"


@pytest.fixture
def store(monkeypatch, fast_settings, sample_records):
    """Layer 1 of run "sm" in S3, as TrainLayer1 leaves it; its curate step is answered on SageMaker."""
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="curator")
        store = S3Store("curator", "team", client=s3)
        LocalRunner(store).start(sample_records, fast_settings, "sm")
        record = load_run(store, "sm")
        record.runs_on = "sagemaker"
        save_run(store, record)
        yield store


def message(status: str = "", token: str = TOKEN, run_id: str = "sm", arn: str = ARN) -> CallbackMessage:
    return CallbackMessage(token, arn, {"run_id": run_id, "layer": "1"}, status or "Executing")


class Callbacks:
    """A CallbackClient on one stubbed SageMaker client, remembering which regions it was asked for."""

    def __init__(self) -> None:
        self.client = boto3.client("sagemaker", region_name="eu-west-1")
        self.stub = Stubber(self.client)
        self.regions: list[str] = []
        self.callbacks = CallbackClient(self._client_for, sleep=lambda _s: None)

    def _client_for(self, region: str):
        self.regions.append(region)
        return self.client


def success(token: str = TOKEN, version_uri: str = VERSION_1) -> dict:
    return {"CallbackToken": token, "OutputParameters": [{"Name": OUTPUT_NAME, "Value": version_uri}],
            "ClientRequestToken": client_request_token(ARN, "curate-layer1", token)}


def test_approve_sends_one_success_to_the_executions_region_then_records_it(store):
    record_callback(store, message())
    sm = Callbacks()
    sm.stub.add_response("send_pipeline_execution_step_success", {"PipelineExecutionArn": ARN}, success())
    with sm.stub:
        approved = services.approve_and_resume(store, "sm", 1, "ana", Settings(), version=1, callbacks=sm.callbacks)
        sm.stub.assert_no_pending_responses()
    assert sm.regions == ["eu-west-1"]
    assert approved.approved_by == "ana" and load_approved(store, "sm", 1).version == 1
    assert load_approval(store, "sm", "curate-layer1").status == "approved"
    record = load_run(store, "sm")
    assert record.steps["curate-layer1"].status == "done" and record.status == "running"
    assert not store.exists("runs/sm/layer2/topics.json")  # approving never fits anything here
    with pytest.raises(RunStateError, match="already approved \\(version 1\\) by ana"):  # a second click sends nothing
        services.approve_and_resume(store, "sm", 1, "ben", Settings(), callbacks=sm.callbacks)


def test_a_refused_call_records_nothing_and_the_same_answer_can_be_resent(store):
    record_callback(store, message())
    sm = Callbacks()
    sm.stub.add_client_error("send_pipeline_execution_step_success", service_error_code="AccessDeniedException",
                             service_message="not allowed", expected_params=success())
    sm.stub.add_response("send_pipeline_execution_step_success", {"PipelineExecutionArn": ARN}, success())
    with sm.stub:
        with pytest.raises(CallbackError, match="did not take the answer") as refused:
            decisions.approve(store, "sm", "ana", Settings(), callbacks=sm.callbacks)
        assert "press the same button again" in refused.value.fix
        assert load_approval(store, "sm", "curate-layer1").status == "pending"
        assert load_approved(store, "sm", 1) is None and load_run(store, "sm").waiting_at == "curate-layer1"
        # A colleague's Reject now would be a second, different answer to the same token: refused.
        with pytest.raises(RunStateError, match="already approved \\(version 1\\) by ana"):
            decisions.reject(store, "sm", "ben", "noise", Settings(), callbacks=sm.callbacks)
        decisions.approve(store, "sm", "ana", Settings(), callbacks=sm.callbacks)  # the same request again
        sm.stub.assert_no_pending_responses()
    assert load_approved(store, "sm", 1).approved_by == "ana"


def test_reject_is_recorded_only_after_sagemaker_took_it(store):
    record_callback(store, message())
    sm = Callbacks()
    expected = {"CallbackToken": TOKEN, "FailureReason": "topics are noise",
                "ClientRequestToken": client_request_token(ARN, "curate-layer1", TOKEN)}
    sm.stub.add_client_error("send_pipeline_execution_step_failure", service_error_code="ServiceUnavailable",
                             expected_params=expected)
    sm.stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN}, expected)
    sm.callbacks.attempts = 1  # no automatic retry: the person retries
    with sm.stub:
        with pytest.raises(CallbackError):
            services.reject(store, "sm", "ana", "topics are noise", Settings(), callbacks=sm.callbacks)
        assert load_approval(store, "sm", "curate-layer1").status == "pending"
        services.reject(store, "sm", "ana", "topics are noise", Settings(), callbacks=sm.callbacks)
        sm.stub.assert_no_pending_responses()
    assert load_approval(store, "sm", "curate-layer1").status == "rejected"
    assert load_run(store, "sm").status == "rejected"


def test_an_execution_that_no_longer_waits_closes_the_approval(store):
    record_callback(store, message())
    sm = Callbacks()
    sm.stub.add_client_error("send_pipeline_execution_step_success", service_error_code="ResourceNotFound")
    with sm.stub, pytest.raises(CallbackGone, match="no longer waits"):
        decisions.approve(store, "sm", "ana", Settings(), callbacks=sm.callbacks)
    assert load_approval(store, "sm", "curate-layer1").status == "closed"
    record = load_run(store, "sm")
    assert record.status == "failed" and "no longer waits" in record.error
    assert load_approved(store, "sm", 1) is None


def test_a_stopping_execution_is_answered_and_cannot_be_approved(store):
    record_callback(store, message())
    record_callback(store, message(status="Stopping"))
    sm = Callbacks()
    with pytest.raises(RunStateError, match="stopping"):
        decisions.approve(store, "sm", "ana", Settings(), callbacks=sm.callbacks)
    sm.stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN},
                         {"CallbackToken": TOKEN, "FailureReason": "The pipeline execution is stopping.",
                          "ClientRequestToken": ANY})
    with sm.stub:
        [answered] = answer_stopping(store, sm.callbacks)
    assert answered.status == "rejected" and answered.decided_by == "system"
    assert pending_approvals(store) == []


def test_a_conflict_on_one_stopping_execution_does_not_stop_the_others(store, fast_settings, sample_records):
    LocalRunner(store).start(sample_records, fast_settings, "sm2")
    other = ARN.replace("abc123", "def456")
    record_callback(store, message(status="Stopping"))
    record_callback(store, message(status="Stopping", token="ZyXwVu9876", run_id="sm2", arn=other))
    sm = Callbacks()
    sm.stub.add_client_error("send_pipeline_execution_step_failure", service_error_code="ConflictException")
    sm.stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": other})
    with sm.stub:
        answered = answer_stopping(store, sm.callbacks)
    assert [a.run_id for a in answered] == ["sm2"]
    assert load_approval(store, "sm", "curate-layer1").status == "closed"


def test_throttling_is_retried(store):
    record_callback(store, message())
    sm = Callbacks()
    sm.stub.add_client_error("send_pipeline_execution_step_success", service_error_code="ThrottlingException")
    sm.stub.add_response("send_pipeline_execution_step_success", {"PipelineExecutionArn": ARN}, success())
    with sm.stub:
        decisions.approve(store, "sm", "ana", Settings(), callbacks=sm.callbacks)
        sm.stub.assert_no_pending_responses()


def test_limits_are_checked_before_calling(store):
    approval = record_callback(store, message())
    sm = Callbacks()
    with pytest.raises(CallbackError, match="too long"):
        sm.callbacks.succeed(approval, {"x": "s3://" + "a" * 1100})
    with pytest.raises(CallbackError, match="at most 50"):
        sm.callbacks.succeed(approval, {f"p{i}": "v" for i in range(51)})
    assert sm.regions == []


def test_overdue_approvals_are_answered_with_failure(store):
    record_callback(store, message())
    sm = Callbacks()
    sm.stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN},
                         {"CallbackToken": TOKEN, "FailureReason": ANY, "ClientRequestToken": ANY})
    later = lambda: datetime.now(UTC) + timedelta(days=8)  # noqa: E731
    with sm.stub:
        assert expire_overdue(store, sm.callbacks, timedelta(days=7)) == []
        assert len(expire_overdue(store, sm.callbacks, timedelta(days=7), clock=later)) == 1
    assert load_approval(store, "sm", "curate-layer1").decided_by == "deadline"


def test_the_pipeline_moving_on_settles_an_answer_the_approver_could_not_record(store):
    """The approver's process died after SageMaker accepted: TrainLayer2 records it from its channel."""
    from backend.curation.versions import load_version
    from backend.runs.approvals import Answer, claim_answer

    approval = record_callback(store, message())
    claim_answer(store, approval, Answer(TOKEN, "approved", "ana", mapping_version=1))  # then the crash
    decisions.settle_from_pipeline(store, "sm", load_version(store, "sm", 1))
    assert load_approved(store, "sm", 1).approved_by == "ana"
    assert load_approval(store, "sm", "curate-layer1").status == "approved"
    assert load_run(store, "sm").steps["curate-layer1"].status == "done"
    assert load_answer(store, approval).by == "ana"


def test_a_resend_that_sagemaker_had_taken_before_a_crash_is_recorded_not_closed(store):
    """The first call went through but the process stopped before recording it; SageMaker may refuse
    the resend (the step is over), so the route asks what became of the step."""
    from backend.runs.approvals import Answer, claim_answer

    approval = record_callback(store, message())
    claim_answer(store, approval, Answer(TOKEN, "approved", "ana", mapping_version=1))
    sm = Callbacks()
    sm.stub.add_client_error("send_pipeline_execution_step_success", service_error_code="ConflictException")
    sm.stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": [
        {"StepName": "CurateLayer1", "StepStatus": "Succeeded"}]}, {"PipelineExecutionArn": ARN})
    with sm.stub:
        decisions.approve(store, "sm", "ana", Settings(), callbacks=sm.callbacks)
        sm.stub.assert_no_pending_responses()
    assert load_approval(store, "sm", "curate-layer1").status == "approved"
    assert load_run(store, "sm").status == "running" and load_run(store, "sm").error is None


def test_a_stopping_execution_with_a_claimed_approval_gets_that_approval(store):
    from backend.runs.approvals import Answer, claim_answer

    approval = record_callback(store, message())
    claim_answer(store, approval, Answer(TOKEN, "approved", "ana", mapping_version=1))  # its send had failed
    record_callback(store, message(status="Stopping"))
    sm = Callbacks()
    sm.stub.add_response("send_pipeline_execution_step_success", {"PipelineExecutionArn": ARN}, success())
    with sm.stub:
        [answered] = answer_stopping(store, sm.callbacks)
        sm.stub.assert_no_pending_responses()
    assert answered.status == "closed" and "approved (version 1) by ana" in answered.reason
