"""SageMaker callback approvals, offline: moto plays S3 and SQS; SageMaker's two callback calls are
intercepted with botocore's Stubber (which still checks every parameter against the real API)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from backend import services
from backend.approvals import load_approval, pending_approvals
from backend.approvals_aws import (
    OUTPUT_NAME,
    CallbackClient,
    CallbackError,
    answer_stopping,
    client_request_token,
    expire_overdue,
    poll_queue,
    record_callback,
)
from backend.errors import RunStateError
from backend.mapping_store import load_approved
from backend.runner import LocalRunner
from backend.runs import load_run
from backend.settings import Settings
from backend.store.s3 import S3Store

TOKEN = "AbCdEf1234"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/topic-curator/execution/abc123"


@pytest.fixture
def aws(monkeypatch, fast_settings, sample_records):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="curator")
        store = S3Store("curator", "team", client=s3)
        # Layer 1 fitted (what TrainLayer1 leaves in S3); its curate step is answered on SageMaker.
        LocalRunner(store).start(sample_records, fast_settings, "sm")
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName="curator-callbacks")["QueueUrl"]
        yield store, sqs, queue


def callback_message(status: str = "Executing", token: str = TOKEN) -> dict:
    return {"token": token, "pipelineExecutionArn": ARN, "status": status,
            "arguments": {"run_id": "sm", "layer": "1", "mapping_output": "s3://curator/team/runs/sm/mapping/layer1/approved.json"}}


def stubbed() -> tuple[CallbackClient, Stubber]:
    client = boto3.client("sagemaker", region_name="us-east-1")
    return CallbackClient(client, sleep=lambda _s: None), Stubber(client)


def test_message_on_the_queue_becomes_one_pending_approval(aws):
    store, sqs, queue = aws
    body = json.dumps(callback_message())
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    sqs.send_message(QueueUrl=queue, MessageBody=body)  # SQS delivers at least once
    recorded = poll_queue(store, sqs, queue, wait_seconds=0) + poll_queue(store, sqs, queue, wait_seconds=0)
    assert {a.token for a in recorded} == {TOKEN}
    [approval] = pending_approvals(store)
    assert approval.arguments["pipelineExecutionArn"] == ARN
    assert load_run(store, "sm").waiting_at == "curate-layer1"
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)


def test_approve_sends_exactly_one_success_with_the_mapping_uri(aws):
    store, _, _ = aws
    record_callback(store, callback_message())
    callbacks, stub = stubbed()
    mapping_uri = "s3://curator/team/runs/sm/mapping/layer1/approved.json"
    stub.add_response("send_pipeline_execution_step_success", {"PipelineExecutionArn": ARN}, {
        "CallbackToken": TOKEN,
        "OutputParameters": [{"Name": OUTPUT_NAME, "Value": mapping_uri}],
        "ClientRequestToken": client_request_token(ARN, "curate-layer1", 1),
    })
    with stub:
        approved = services.approve_and_resume(store, "sm", 1, "ana", Settings(), callbacks=callbacks)
        stub.assert_no_pending_responses()
    assert approved.approved_by == "ana"
    assert load_approved(store, "sm", 1).version == 1
    assert store.client.head_object(Bucket="curator", Key="team/runs/sm/mapping/layer1/approved.json")
    assert load_run(store, "sm").steps["curate-layer1"].status == "done"
    with pytest.raises(RunStateError, match="not waiting"):  # a second click sends nothing
        services.approve_and_resume(store, "sm", 1, "ben", Settings(), callbacks=callbacks)


def test_reject_sends_the_reason(aws):
    store, _, _ = aws
    record_callback(store, callback_message())
    callbacks, stub = stubbed()
    stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN},
                      {"CallbackToken": TOKEN, "FailureReason": "topics are noise", "ClientRequestToken": ANY})
    with stub:
        services.reject(store, "sm", "ana", "topics are noise", Settings(), callbacks=callbacks)
        stub.assert_no_pending_responses()
    assert load_approval(store, "sm", "curate-layer1").status == "rejected"
    assert load_run(store, "sm").status == "rejected"


def test_a_stopping_execution_is_answered(aws):
    store, _, _ = aws
    record_callback(store, callback_message())
    record_callback(store, callback_message(status="Stopping"))
    callbacks, stub = stubbed()
    stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN},
                      {"CallbackToken": TOKEN, "FailureReason": ANY, "ClientRequestToken": ANY})
    with stub:
        assert [a.token for a in answer_stopping(store, callbacks)] == [TOKEN]
    assert pending_approvals(store) == []


def test_an_expired_token_is_explained_and_approve_can_be_retried(aws):
    store, _, _ = aws
    record_callback(store, callback_message())
    callbacks, stub = stubbed()
    stub.add_client_error("send_pipeline_execution_step_success", service_error_code="ResourceNotFound",
                          service_message="No such callback")
    stub.add_response("send_pipeline_execution_step_success", {"PipelineExecutionArn": ARN})
    with stub:
        with pytest.raises(CallbackError, match="no longer knows the callback"):
            services.approve_and_resume(store, "sm", 1, "ana", Settings(), callbacks=callbacks)
        # The approval is kept; pressing Approve again resends with the same request token.
        services.approve_and_resume(store, "sm", 1, "ana", Settings(), callbacks=callbacks)
        stub.assert_no_pending_responses()


def test_throttling_is_retried_and_a_conflict_is_plain(aws):
    store, _, _ = aws
    approval = record_callback(store, callback_message())
    callbacks, stub = stubbed()
    stub.add_client_error("send_pipeline_execution_step_failure", service_error_code="ThrottlingException")
    stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN})
    stub.add_client_error("send_pipeline_execution_step_failure", service_error_code="ConflictException")
    with stub:
        callbacks.fail(approval, "first")
        with pytest.raises(RunStateError, match="already answered"):
            callbacks.fail(approval, "second")


def test_limits_are_checked_before_calling(aws):
    store, _, _ = aws
    approval = record_callback(store, callback_message())
    callbacks, _ = stubbed()
    with pytest.raises(CallbackError, match="too long"):
        callbacks.succeed(approval, {"x": "s3://" + "a" * 1100}, 1)
    with pytest.raises(CallbackError, match="at most 50"):
        callbacks.succeed(approval, {f"p{i}": "v" for i in range(51)}, 1)
    with pytest.raises(CallbackError, match="no valid token"):
        record_callback(store, callback_message(token="short"))


def test_overdue_approvals_are_answered_with_failure(aws):
    store, _, _ = aws
    record_callback(store, callback_message())
    callbacks, stub = stubbed()
    stub.add_response("send_pipeline_execution_step_failure", {"PipelineExecutionArn": ARN},
                      {"CallbackToken": TOKEN, "FailureReason": ANY, "ClientRequestToken": ANY})
    later = lambda: datetime.now(UTC) + timedelta(days=8)  # noqa: E731
    with stub:
        assert expire_overdue(store, callbacks, timedelta(days=7)) == []
        assert len(expire_overdue(store, callbacks, timedelta(days=7), clock=later)) == 1
    assert load_approval(store, "sm", "curate-layer1").decided_by == "deadline"


def test_lambda_handler_records_and_reports_bad_messages(aws, monkeypatch):
    from pipeline.lambda_handler import handler

    store, _, _ = aws
    monkeypatch.setenv("TOPIC_CURATOR_STORE", "s3://curator/team")
    event = {"Records": [{"messageId": "1", "body": json.dumps(callback_message())},
                         {"messageId": "2", "body": "not json"}]}
    assert handler(event) == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert [a.token for a in pending_approvals(store)] == [TOKEN]
