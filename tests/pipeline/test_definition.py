"""The SageMaker pipeline definition, built offline: steps, wiring, AWS's schema, stability."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import load_settings

pytest.importorskip("sagemaker", reason="the [sagemaker] extra is not installed")
from pipeline.definition import definition_json  # noqa: E402

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "specs" / "sagemaker-pipeline-schema"


@pytest.fixture(scope="module")
def definition() -> dict:
    return json.loads(definition_json(load_settings()))


def test_steps_types_and_order(definition):
    steps = {s["Name"]: s for s in definition["Steps"]}
    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("Preprocess", "Processing"), ("TrainLayer1", "Training"), ("CurateLayer1", "Callback"),
        ("TrainLayer2", "Training"), ("CurateLayer2", "Callback"), ("TrainLayer3", "Training"),
        ("CurateLayer3", "Callback"), ("BuildModel", "Training"), ("RegisterModel", "RegisterModel"),
    ]
    assert steps["TrainLayer2"]["DependsOn"] == ["CurateLayer1"]
    assert steps["RegisterModel"]["DependsOn"] == ["BuildModel"]
    names = {p["Name"] for p in definition["Parameters"]}
    assert names == {"InputData", "ProcessingInstanceType", "ProcessingInstanceCount", "TrainingInstanceType",
                     "ModelPackageGroup", "ModelApprovalStatus"}


def test_property_references_wire_the_layers(definition):
    steps = {s["Name"]: s for s in definition["Steps"]}
    channel = steps["TrainLayer2"]["Arguments"]["InputDataConfig"][0]
    assert (channel["ChannelName"], channel["InputMode"]) == ("mapping", "File")
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == {"Get": "Steps.CurateLayer1.OutputParameters['approved_mapping']"}
    documents = steps["TrainLayer1"]["Arguments"]["InputDataConfig"][0]
    assert documents["InputMode"] == "FastFile"
    assert documents["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['shards'].S3Output.S3Uri"}
    # ... which is this execution's own prefix, so no execution reads another's shards.
    shards = steps["Preprocess"]["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert shards == {"Std:Join": {"On": "/", "Values": ["s3://topic-curator-artifacts/curator", "shards",
                                                         {"Get": "Execution.PipelineExecutionId"}]}}
    callback = steps["CurateLayer1"]
    assert callback["OutputParameters"] == [{"OutputName": "approved_mapping", "OutputType": "String"}]
    assert callback["Arguments"]["run_id"] == {"Get": "Execution.PipelineExecutionId"}
    assert callback["Arguments"]["model_artifacts"] == {"Get": "Steps.TrainLayer1.ModelArtifacts.S3ModelArtifacts"}
    register = steps["RegisterModel"]["Arguments"]
    assert register["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == {
        "Get": "Steps.BuildModel.ModelArtifacts.S3ModelArtifacts"}
    assert register["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv", "application/json"]
    shards = steps["Preprocess"]["Arguments"]["ProcessingInputs"][0]["S3Input"]
    assert shards["S3DataDistributionType"] == "ShardedByS3Key"
    assert steps["Preprocess"]["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == {
        "Get": "Parameters.ProcessingInstanceCount"}


def test_the_same_settings_give_the_same_json():
    assert definition_json(load_settings()) == definition_json(load_settings())


def test_layer3_curation_can_be_switched_off(tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text("[sagemaker]\ncurate_layer3 = false\n")
    names = [s["Name"] for s in json.loads(definition_json(load_settings(config)))["Steps"]]
    assert "CurateLayer3" not in names and names[-2:] == ["BuildModel", "RegisterModel"]


def test_jobs_get_a_settings_uri_never_the_settings(definition):
    steps = {s["Name"]: s for s in definition["Steps"]}
    uri = steps["TrainLayer1"]["Arguments"]["HyperParameters"]["settings"]
    assert uri.startswith("s3://topic-curator-artifacts/curator/settings/") and uri.endswith(".json")
    arguments = steps["Preprocess"]["Arguments"]["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--settings") + 1] == uri
    for step in definition["Steps"]:
        environment = step["Arguments"].get("Environment", {}) if step["Type"] != "Callback" else {}
        assert all(len(v) <= 256 for v in environment.values()), step["Name"]


def test_a_definition_over_the_api_limits_is_refused_before_upsert(tmp_path):
    from backend.errors import SettingsError

    config = tmp_path / "settings.toml"
    # A long store prefix makes the settings URI, a processing argument, longer than 256 characters.
    config.write_text(f'[sagemaker]\nstore = "s3://bucket/{"p" * 200}"\n')
    with pytest.raises(SettingsError, match=r"step Preprocess: CreateProcessingJob.AppSpecification.ContainerArguments"
                                            r"\[3\] is 259 characters; SageMaker allows at most 256"):
        definition_json(load_settings(config))


def test_the_limits_are_botocores_numbers_as_aws_documents_them():
    from pipeline.aws_limits import limit_problems

    # API reference, "CreateProcessingJob": Environment has at most 100 entries, values of at most
    # 256 characters; "CreateTrainingJob": HyperParameters values of at most 2,500 characters.
    assert limit_problems("CreateProcessingJob", {"Environment": {"A": "x" * 256}}) == []
    assert limit_problems("CreateProcessingJob", {"Environment": {"A": "x" * 257}}) == [
        "CreateProcessingJob.Environment['A'] is 257 characters; SageMaker allows at most 256"]
    assert limit_problems("CreateProcessingJob", {"Environment": {f"K{i}": "v" for i in range(101)}}) == [
        "CreateProcessingJob.Environment has 101 entries; SageMaker allows at most 100"]
    assert limit_problems("CreateTrainingJob", {"HyperParameters": {"s": "x" * 2500}}) == []
    assert len(limit_problems("CreateTrainingJob", {"HyperParameters": {"s": "x" * 2501}})) == 1
    assert limit_problems("CreateTrainingJob", {"HyperParameters": {"s": {"Get": "Parameters.X"}}}) == []


def test_validates_against_the_published_schema(definition, tmp_path):
    if not (SCHEMA_DIR / "validate.py").is_file():
        pytest.skip(f"{SCHEMA_DIR} is absent")
    path = tmp_path / "definition.json"
    # The schema predates Std:Join in job arguments (its README lists this gap); the SDK emits it and
    # the service resolves it before creating the job, so each Join is validated as the string it becomes.
    path.write_text(json.dumps(_joins_resolved(definition)))
    result = subprocess.run([sys.executable, str(SCHEMA_DIR / "validate.py"), str(path), "--open"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "VALID" in result.stdout, result.stdout + result.stderr


def _joins_resolved(node):
    if isinstance(node, list):
        return [_joins_resolved(v) for v in node]
    if isinstance(node, dict):
        if set(node) == {"Std:Join"}:
            return "s3://resolved/at/run/time"
        return {k: _joins_resolved(v) for k, v in node.items()}
    return node


def test_cli_prints_the_definition(capsys):
    from pipeline.cli import main

    assert main(["sagemaker", "definition"]) == 0
    assert json.loads(capsys.readouterr().out)["Version"] == "2020-12-01"
