"""The Approve button of a SageMaker run, against a moto server on 127.0.0.1.

moto plays S3 and SQS; this test plays SageMaker's part (fits layer 1 into the store, puts the
CallbackStep's message on the queue) and intercepts the callback call moto lacks with a botocore
before-call handler, after botocore has validated its parameters against the real service model.
The whole pipeline under SageMaker's contract is tests/pipeline/test_sagemaker_emulation.py.
"""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from backend.curation.versions import load_approved
from backend.runs.approvals import pending_approvals
from backend.runs.decisions import OUTPUT_NAME
from backend.runs.inbox import poll_queue
from backend.runs.record import load_run, save_run
from backend.runs.runner import LocalRunner
from backend.store.s3 import S3Store
from tests.app.conftest import open_app


@pytest.fixture
def callbacks_sent(moto_endpoint):
    """Every SendPipelineExecutionStep* call, answered here instead of by (absent) SageMaker."""
    sent: list[tuple[str, dict]] = []

    def answer(params, model, **_):
        sent.append((model.name, json.loads(params["body"])))  # the serialized, validated request
        return AWSResponse("http://sagemaker", 200, {}, None), {"PipelineExecutionArn": "arn"}

    for operation in ("SendPipelineExecutionStepSuccess", "SendPipelineExecutionStepFailure"):
        boto3.DEFAULT_SESSION.events.register(f"before-call.sagemaker.{operation}", answer)
    return sent


def test_create_start_callback_approve_in_the_app(moto_endpoint, callbacks_sent, monkeypatch, tmp_path,
                                                  fast_settings, sample_records):
    import streamlit as st

    from tests.conftest import FAST_SETTINGS

    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket="topic-curator-artifacts")
    queue = sqs.create_queue(QueueName="topic-curator-callbacks")["QueueUrl"]
    run_id = "abc123def456"
    execution_arn = f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/topic-curator/execution/{run_id}"

    # SageMaker's part: TrainLayer1 leaves layer 1 in the store, CurateLayer1 messages the queue.
    store = S3Store("topic-curator-artifacts", "curator", client=s3)
    LocalRunner(store).start(sample_records, fast_settings, run_id)
    record = load_run(store, run_id)
    record.runs_on = "sagemaker"
    save_run(store, record)
    message = {"token": "Tok3nAbc12", "pipelineExecutionArn": execution_arn,
               "arguments": {"run_id": run_id, "layer": "1",
                             "mapping_versions": f"s3://topic-curator-artifacts/curator/runs/{run_id}/mapping/layer1"}}
    for _ in range(2):  # delivered twice
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(message))
    poll_queue(store, sqs, queue, wait_seconds=0)
    poll_queue(store, sqs, queue, wait_seconds=0)
    assert [a.token for a in pending_approvals(store)] == ["Tok3nAbc12"]

    config = tmp_path / "settings.json"
    config.write_text(json.dumps(FAST_SETTINGS))
    monkeypatch.setenv("TOPIC_CURATOR_CONFIG", str(config))
    monkeypatch.setenv("TOPIC_CURATOR_STORE", "s3://topic-curator-artifacts/curator")
    st.cache_resource.clear()
    at = open_app()
    assert any("Waiting for approval: curate-layer1" == s.value for s in at.subheader)
    at.button(key="approve").click().run()
    assert not at.exception
    assert "approve" not in [b.key for b in at.button]  # nothing left to approve: no second answer
    assert any("Approved layer 1" in m.value for m in at.success)

    assert len(callbacks_sent) == 1
    operation, params = callbacks_sent[0]
    assert operation == "SendPipelineExecutionStepSuccess" and params["CallbackToken"] == "Tok3nAbc12"
    mapping_uri = f"s3://topic-curator-artifacts/curator/runs/{run_id}/mapping/layer1/v0001.json"
    assert params["OutputParameters"] == [{"Name": OUTPUT_NAME, "Value": mapping_uri}]
    assert len(params["ClientRequestToken"]) >= 32
    assert s3.head_object(Bucket="topic-curator-artifacts", Key=f"curator/runs/{run_id}/mapping/layer1/approved.json")
    assert load_approved(store, run_id, 1).approved_by == "ana"
    # SageMaker fits layer 2: the app started no background run (it would be named run-<id>).
    assert not [t for t in threading.enumerate() if t.name == f"run-{run_id}"]
    st.cache_resource.clear()
