"""The callback inbox: CallbackStep messages from SQS (moto) become pending approvals, once."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from backend.runs.approvals import pending_approvals
from backend.runs.inbox import QueueMessage, UnreadableMessage, consume, parse_message, poll_queue
from backend.runs.record import load_run
from backend.store.s3 import S3Store

ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/topic-curator/execution/abc123"
# SageMaker Developer Guide, "Callback step": the message SageMaker puts on the queue.
BODY = json.dumps({"token": "AbCdEf1234", "pipelineExecutionArn": ARN,
                   "arguments": {"run_id": "abc123", "layer": "1", "mapping_versions": "s3://curator/team/runs/abc123/mapping/layer1"}})


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        s3.create_bucket(Bucket="curator")
        # A visibility timeout of 0: a message received and not deleted is at once visible again.
        queues = {name: sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
                  for name in ("callbacks", "dead-letters")}
        yield S3Store("curator", "team", client=s3), sqs, queues


@pytest.mark.parametrize("body, problem", [
    ("not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({"token": "short", "arguments": {"run_id": "r", "layer": "1"}}), "no valid callback token"),
    (json.dumps({"token": "AbCdEf1234", "arguments": {"layer": "1"}}), "name no run_id"),
    (json.dumps({"token": "AbCdEf1234", "arguments": {"run_id": "r", "layer": "one"}}), "not 1, 2 or 3"),
    (json.dumps({"token": "AbCdEf1234", "arguments": {"run_id": "r", "layer": "4"}}), "not 1, 2 or 3"),
])
def test_unreadable_messages_say_why(body, problem):
    with pytest.raises(UnreadableMessage, match=problem):
        parse_message(body)


def test_a_message_delivered_twice_is_one_pending_approval_and_shows_the_run(aws):
    store, sqs, queues = aws
    for _ in range(2):  # SQS delivers at least once
        sqs.send_message(QueueUrl=queues["callbacks"], MessageBody=BODY)
    first = poll_queue(store, sqs, queues["callbacks"], wait_seconds=0)
    second = poll_queue(store, sqs, queues["callbacks"], wait_seconds=0)
    assert {a.token for a in first.recorded + second.recorded} == {"AbCdEf1234"}
    [approval] = pending_approvals(store)
    assert approval.execution_arn == ARN and approval.on_sagemaker
    record = load_run(store, "abc123")  # the app lists the execution as a run waiting at layer 1
    assert (record.runs_on, record.waiting_at, record.status) == ("sagemaker", "curate-layer1", "waiting")
    assert "Messages" not in sqs.receive_message(QueueUrl=queues["callbacks"], WaitTimeSeconds=0)


def test_poll_dead_letters_the_unreadable_and_keeps_what_it_could_not_record(aws):
    store, sqs, queues = aws
    broken = S3Store("no-such-bucket", "team", client=store.client)  # every write fails
    sqs.send_message(QueueUrl=queues["callbacks"], MessageBody="garbage")
    sqs.send_message(QueueUrl=queues["callbacks"], MessageBody=BODY)
    consumed = poll_queue(broken, sqs, queues["callbacks"], wait_seconds=0, dead_letter_url=queues["dead-letters"])
    assert len(consumed.unreadable) == 1 and len(consumed.failed) == 1 and consumed.recorded == []
    [kept] = sqs.receive_message(QueueUrl=queues["dead-letters"], MessageAttributeNames=["All"])["Messages"]
    assert kept["Body"] == "garbage" and "not JSON" in kept["MessageAttributes"]["problem"]["StringValue"]
    # The message that could not be recorded was not deleted: it comes back once the store works.
    assert [a.token for a in poll_queue(store, sqs, queues["callbacks"], wait_seconds=0).recorded] == ["AbCdEf1234"]


def test_the_stopping_status_is_read_as_the_api_reference_spells_it():
    # API reference, "StopPipelineExecution": the message body contains a "Status" field set to "Stopping".
    stopping = json.loads(BODY) | {"Status": "Stopping"}
    assert parse_message(json.dumps(stopping)).status == "Stopping"
    assert parse_message(json.dumps(json.loads(BODY) | {"status": "Stopping"})).status == "Stopping"
    assert parse_message(BODY).status == "Executing"


def test_an_older_message_arriving_late_never_replaces_a_newer_token(aws):
    store, _, _ = aws
    newer = BODY.replace("AbCdEf1234", "NeWtOkEn99")
    consume(store, [QueueMessage("m2", newer, sent_at=2_000), QueueMessage("m1", BODY, sent_at=1_000)])
    assert [a.token for a in pending_approvals(store)] == ["NeWtOkEn99"]
    consume(store, [QueueMessage("m3", BODY.replace("AbCdEf1234", "ThIrDoNe77"), sent_at=3_000)])
    assert [a.token for a in pending_approvals(store)] == ["ThIrDoNe77"]
