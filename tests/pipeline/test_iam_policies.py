"""docs/iam: the least-privilege policies of the runbook name real actions and cover what runs."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest

from pipeline.aws_limits import STEP_OPERATIONS

IAM = Path(__file__).resolve().parents[2] / "docs" / "iam"
SESSION = botocore.session.get_session()


def policy(name: str) -> dict:
    return json.loads((IAM / name).read_text())


def allowed(name: str) -> set[str]:
    actions = set()
    for statement in policy(name)["Statement"]:
        assert statement["Effect"] == "Allow"
        found = statement["Action"]
        actions.update([found] if isinstance(found, str) else found)
    return actions


@pytest.mark.parametrize("name", sorted(p.name for p in IAM.glob("*.json")))
def test_every_action_exists(name):
    document = policy(name)
    assert document["Version"] == "2012-10-17"
    if name.endswith("-trust.json"):
        assert allowed(name) == {"sts:AssumeRole"}
        return
    for action in allowed(name):
        service, _, operation = action.partition(":")
        if service in {"sagemaker", "sqs"}:
            assert operation in SESSION.get_service_model(service).operation_names, action


def test_each_role_has_a_trust_policy_for_its_service():
    services = {name: policy(f"{name}-trust.json")["Statement"][0]["Principal"]["Service"]
                for name in ("pipeline", "jobs", "app", "lambda")}
    assert services["pipeline"] == services["jobs"] == "sagemaker.amazonaws.com"
    assert services["lambda"] == "lambda.amazonaws.com"


def test_the_pipeline_role_may_create_every_job_its_steps_make():
    assert {f"sagemaker:{op}" for op in STEP_OPERATIONS.values()} <= allowed("pipeline-execution-role.json")
    assert "sqs:SendMessage" in allowed("pipeline-execution-role.json")  # the CallbackSteps' messages
    assert "iam:PassRole" in allowed("pipeline-execution-role.json")


def test_the_inbox_roles_may_answer_and_consume():
    for name in ("app-role.json", "lambda-role.json"):
        assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"} <= allowed(name)
        assert "sagemaker:SendPipelineExecutionStepFailure" in allowed(name)
    assert "sagemaker:SendPipelineExecutionStepSuccess" in allowed("app-role.json")
    assert not any(a.startswith("sagemaker:Create") for a in allowed("app-role.json") | allowed("lambda-role.json"))
