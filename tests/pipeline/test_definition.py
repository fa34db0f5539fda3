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
    assert channel["ChannelName"] == "mapping"
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == {"Get": "Steps.CurateLayer1.OutputParameters['approved_mapping']"}
    documents = steps["TrainLayer1"]["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    assert documents == {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['shards'].S3Output.S3Uri"}
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


def test_validates_against_the_published_schema(definition, tmp_path):
    if not (SCHEMA_DIR / "validate.py").is_file():
        pytest.skip(f"{SCHEMA_DIR} is absent")
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    result = subprocess.run([sys.executable, str(SCHEMA_DIR / "validate.py"), str(path), "--open"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "VALID" in result.stdout, result.stdout + result.stderr


def test_cli_prints_the_definition(capsys):
    from pipeline.cli import main

    assert main(["sagemaker", "definition"]) == 0
    assert json.loads(capsys.readouterr().out)["Version"] == "2020-12-01"
