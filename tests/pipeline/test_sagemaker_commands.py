"""topic-curator sagemaker upsert / start / status / poll against moto (in-process)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from pipeline.cli import main

pytest.importorskip("sagemaker", reason="the [sagemaker] extra is not installed")


@pytest.fixture
def aws(monkeypatch, tmp_path):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="curator-bucket")
        queue = boto3.client("sqs").create_queue(QueueName="callbacks")["QueueUrl"]
        config = tmp_path / "sm.toml"
        config.write_text(f'[sagemaker]\nstore = "s3://curator-bucket/c"\ncallback_queue_url = "{queue}"\n')
        yield str(config), queue


def test_upsert_start_status(aws, capsys):
    config, _ = aws
    assert main(["sagemaker", "upsert", "--config", config]) == 0
    assert "Created pipeline" in capsys.readouterr().out
    assert main(["sagemaker", "upsert", "--config", config]) == 0
    assert "Updated pipeline" in capsys.readouterr().out
    assert main(["sagemaker", "start", "--config", config, "--input-data", "s3://curator-bucket/in/"]) == 0
    started = capsys.readouterr().out
    assert "Started arn:aws:sagemaker" in started and "run id" in started
    assert main(["sagemaker", "status", "--config", config]) == 0
    assert "arn:aws:sagemaker" in capsys.readouterr().out


def test_poll_records_callbacks(aws, capsys):
    config, queue = aws
    message = {"token": "AbCdEf1234", "pipelineExecutionArn": "arn:aws:sagemaker:us-east-1:1:pipeline/p/execution/e1",
               "status": "Executing", "arguments": {"run_id": "e1", "layer": "1"}}
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(message))
    assert main(["sagemaker", "poll", "--config", config, "--wait", "0"]) == 0
    assert "pending: run e1 curate-layer1 (token AbCdEf1234)" in capsys.readouterr().out
    assert main(["sagemaker", "poll", "--config", config, "--wait", "0"]) == 0
    assert "No callback messages." in capsys.readouterr().out


def test_a_failed_aws_call_is_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    config = tmp_path / "sm.toml"
    config.write_text("[sagemaker]\nregion = \"us-east-1\"\n")
    assert main(["sagemaker", "status", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "error: an AWS call failed" in err and "Traceback" not in err
