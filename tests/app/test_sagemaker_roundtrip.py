"""The approval round trip against a moto server on 127.0.0.1, approved through the app.

moto plays S3, SQS and the pipeline/registry APIs; this test plays SageMaker's part (fits layer 1
into the store, puts the CallbackStep's message on the queue) and intercepts the callback calls
moto lacks with a botocore before-call handler, after botocore has validated their parameters
against the real service model.
"""

from __future__ import annotations

import json
import socket

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from backend.approvals import pending_approvals
from backend.approvals_aws import OUTPUT_NAME, poll_queue
from backend.mapping_store import load_approved
from backend.runner import LocalRunner
from backend.store.s3 import S3Store
from tests.app.conftest import open_app

pytest.importorskip("sagemaker", reason="the [sagemaker] extra is not installed")
from pipeline.definition import definition_json  # noqa: E402


@pytest.fixture
def moto_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    boto3.setup_default_session()
    yield port
    server.stop()
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def callbacks_sent(moto_server):
    """Every SendPipelineExecutionStep* call, answered here instead of by (absent) SageMaker."""
    sent: list[tuple[str, dict]] = []

    def answer(params, model, **_):
        sent.append((model.name, json.loads(params["body"])))  # the serialized, validated request
        return AWSResponse("http://sagemaker", 200, {}, None), {"PipelineExecutionArn": "arn"}

    for operation in ("SendPipelineExecutionStepSuccess", "SendPipelineExecutionStepFailure"):
        boto3.DEFAULT_SESSION.events.register(f"before-call.sagemaker.{operation}", answer)
    return sent


def test_create_start_callback_approve_in_the_app(moto_server, callbacks_sent, monkeypatch, tmp_path,
                                                  fast_settings, sample_records):
    import streamlit as st

    from backend.settings import load_settings
    from tests.conftest import FAST_SETTINGS

    settings = load_settings()
    sagemaker, s3, sqs = boto3.client("sagemaker"), boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket="topic-curator-artifacts")
    queue = sqs.create_queue(QueueName="topic-curator-callbacks")["QueueUrl"]
    sagemaker.create_pipeline(PipelineName="topic-curator", PipelineDefinition=definition_json(settings),
                              RoleArn=settings.sagemaker.role_arn)
    execution_arn = sagemaker.start_pipeline_execution(PipelineName="topic-curator")["PipelineExecutionArn"]
    run_id = execution_arn.rsplit("/", 1)[-1]

    # SageMaker's part: TrainLayer1 leaves layer 1 in the store, CurateLayer1 messages the queue.
    store = S3Store("topic-curator-artifacts", "curator", client=s3)
    LocalRunner(store).start(sample_records, fast_settings, run_id)
    message = {"token": "Tok3nAbc12", "pipelineExecutionArn": execution_arn, "status": "Executing",
               "arguments": {"run_id": run_id, "layer": "1",
                             "mapping_output": f"s3://topic-curator-artifacts/curator/runs/{run_id}/mapping/layer1/approved.json"}}
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
    mapping_uri = f"s3://topic-curator-artifacts/curator/runs/{run_id}/mapping/layer1/approved.json"
    assert params["OutputParameters"] == [{"Name": OUTPUT_NAME, "Value": mapping_uri}]
    assert len(params["ClientRequestToken"]) >= 32
    assert s3.head_object(Bucket="topic-curator-artifacts", Key=f"curator/runs/{run_id}/mapping/layer1/approved.json")
    assert load_approved(store, run_id, 1).approved_by == "ana"
    st.cache_resource.clear()


def test_model_registry_round_trip(moto_server):
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="topic-curator")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="topic-curator", ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/topic-curator:latest",
                                                "ModelDataUrl": "s3://topic-curator-artifacts/jobs/build/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv", "application/json"],
                                "SupportedResponseMIMETypes": ["application/json"]},
    )["ModelPackageArn"]
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv", "application/json"]
    listed = sagemaker.list_model_packages(ModelPackageGroupName="topic-curator")["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [arn]
