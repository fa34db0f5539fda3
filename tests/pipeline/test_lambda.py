"""The callback Lambda as AWS runs it: the built zip alone, boto3 from the runtime, no pandas/NumPy/torch."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import boto3

from pipeline.lambda_package import build

ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/topic-curator/execution/abc123"
GOOD = json.dumps({"token": "AbCdEf1234", "pipelineExecutionArn": ARN, "arguments": {"run_id": "abc123", "layer": "1"}})
# Runs the handler from the zip only (not the repository), with the libraries the Lambda Python
# runtime lacks made unimportable.
INVOKE = """
import json, sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"pandas", "numpy", "torch", "pyarrow", "sklearn"}:
            raise ImportError(f"{name} is not in the Lambda runtime")
sys.meta_path.insert(0, Absent())
sys.path.insert(0, sys.argv[1])
from pipeline.lambda_handler import handler
print(json.dumps(handler(json.loads(sys.argv[2]))))
"""


def invoke(package, event: dict, env: dict, tmp_path) -> dict:
    done = subprocess.run([sys.executable, "-c", INVOKE, str(package), json.dumps(event)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "not in the Lambda runtime" not in done.stderr, done.stderr  # nothing swallowed an ImportError
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_package_is_small_and_holds_no_heavy_library(tmp_path):
    package = tmp_path / "callback-lambda.zip"
    names = build(package)
    assert "pipeline/lambda_handler.py" in names and "backend/runs/inbox.py" in names
    assert all(n.startswith(("backend/", "pipeline/")) and n.endswith(".py") for n in names)
    assert package.stat().st_size < 100_000
    assert zipfile.ZipFile(package).namelist() == names


def test_the_handler_records_retries_and_dead_letters(moto_endpoint, tmp_path):
    package = tmp_path / "callback-lambda.zip"
    build(package)
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket="curator")
    dead_letters = sqs.create_queue(QueueName="callbacks-dlq")["QueueUrl"]
    env = {"PATH": "/usr/bin:/bin", **moto_endpoint, "TOPIC_CURATOR_STORE": "s3://curator/team",
           "TOPIC_CURATOR_DEAD_LETTER_QUEUE_URL": dead_letters}
    # An SQS event as Lambda delivers it (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS").
    event = {"Records": [{"messageId": "m1", "body": GOOD, "eventSource": "aws:sqs"},
                         {"messageId": "m2", "body": "not json", "eventSource": "aws:sqs"}]}
    assert invoke(package, event, env, tmp_path) == {"batchItemFailures": []}
    assert s3.head_object(Bucket="curator", Key="team/runs/abc123/approvals/curate-layer1.json")
    [kept] = sqs.receive_message(QueueUrl=dead_letters)["Messages"]
    assert kept["Body"] == "not json"

    # The execution is stopped while an approval was claimed (its send had failed): the Lambda
    # resends it (SageMaker is not there to take it in this test, which is logged, not raised).
    from backend.runs.approvals import Answer, claim_answer, load_approval
    from backend.store import open_store

    store = open_store("s3://curator/team")
    claim_answer(store, load_approval(store, "abc123", "curate-layer1"),
                 Answer("AbCdEf1234", "approved", "ana", mapping_version=1))
    stopping = {"Records": [{"messageId": "m4", "body": json.dumps(json.loads(GOOD) | {"Status": "Stopping"}),
                             "eventSource": "aws:sqs"}]}
    assert invoke(package, stopping, env, tmp_path) == {"batchItemFailures": []}

    # A store it cannot write: the message is reported, so SQS delivers it again later.
    failing = {**env, "TOPIC_CURATOR_STORE": "s3://no-such-bucket/team"}
    retry = {"Records": [{"messageId": "m3", "body": GOOD.replace("abc123", "def456"), "eventSource": "aws:sqs"}]}
    assert invoke(package, retry, failing, tmp_path) == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
