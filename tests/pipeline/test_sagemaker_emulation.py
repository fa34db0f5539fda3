"""The SageMaker pipeline, end to end, the way SageMaker would run it: the project's executable
statement of the AWS contract it relies on.

The real definition JSON (``topic-curator sagemaker upsert``) runs on ``sagemaker_emulator``: its
jobs run the image's own ``train`` / ``serve`` / preprocessing programs in a fresh /opt/ml with no
``SM_*`` variable; moto's server is S3 and SQS; the CallbackSteps' messages go on the queue and are
answered only through the product's own approval route. Layer 1 is approved through the app's
service, layer 2 with ``topic-curator approve`` and layer 3 with ``run --auto-approve``, and the
registered model answers ``/invocations``.
"""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest

from tests.conftest import free_port, moto_server
from tests.pipeline import sagemaker_emulator as emulator

pytest.importorskip("sagemaker", reason="the [sagemaker] extra is not installed")
if why := emulator.can_emulate():
    pytest.skip(why, allow_module_level=True)

from backend import services  # noqa: E402
from backend.curation.operations import DrillDown  # noqa: E402
from backend.curation.session import CurationSession  # noqa: E402
from backend.curation.versions import load_approved  # noqa: E402
from backend.runs.record import load_run  # noqa: E402
from backend.settings import load_settings  # noqa: E402
from backend.store import open_store  # noqa: E402
from backend.topics.layer_result import load_topics  # noqa: E402
from pipeline.cli import main  # noqa: E402
from tests.pipeline.test_iam_policies import allowed  # noqa: E402

BUCKET, STORE = "curator-artifacts", "s3://curator-artifacts/curator"
TEST_LAYERS = """
[embedding]
model = "hashing"
[layer]
reducer = "pca"
coords = "pca"
[drilldown]
min_parent_docs = 15
docs_per_subtopic = 20
"""


@pytest.fixture(scope="module")
def aws(tmp_path_factory, sample_records):
    """moto (S3, SQS) and the SageMaker stand-in; the settings file the CLI and the app use."""
    work = tmp_path_factory.mktemp("sagemaker")
    with moto_server() as aws_env, pytest.MonkeyPatch.context() as env:
        credentials = {k: v for k, v in aws_env.items() if k != "AWS_DEFAULT_REGION"}
        for name, value in aws_env.items():
            env.setenv(name, value)
        boto3.setup_default_session()
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        s3.create_bucket(Bucket=BUCKET)
        queue = sqs.create_queue(QueueName="topic-curator-callbacks")["QueueUrl"]
        half = len(sample_records) // 2  # two input files: ShardedByS3Key gives each instance one
        for name, part in (("part-1.csv", sample_records[:half]), ("part-2.csv", sample_records[half:])):
            s3.put_object(Bucket=BUCKET, Key=f"records/{name}", Body=part.to_csv(index=False).encode())
        # The jobs' environment: what stands in for the execution role's credentials and AWS's
        # endpoints, and a PATH on which `train`, `serve` and `python` are the image's programs.
        job_env = {**credentials, "PATH": f"{emulator.ROOT / '.venv/bin'}:/usr/local/bin:/usr/bin:/bin",
                   "HOME": str(work / "home"), "LANG": "C.UTF-8"}
        stand_in = emulator.SageMakerStandIn(work / "jobs", job_env)
        env.setenv("AWS_ENDPOINT_URL_SAGEMAKER", stand_in.url)
        config = work / "sm.toml"
        config.write_text(TEST_LAYERS + f'[sagemaker]\nstore = "{STORE}"\ninput_data = "s3://{BUCKET}/records/"\n'
                                        f'callback_queue_url = "{queue}"\n')
        yield stand_in, str(config), work
        stand_in.close()
    boto3.DEFAULT_SESSION = None


def start(config: str, capsys, *extra: str) -> str:
    assert main(["sagemaker", "start", "--config", config, *extra]) == 0
    return capsys.readouterr().out.split("Started ", 1)[1].split()[0]


def poll(config: str, capsys) -> str:
    assert main(["sagemaker", "poll", "--config", config, "--wait", "0"]) == 0
    return capsys.readouterr().out


def biggest_topic(store, run_id: str, layer: int) -> str:
    sizes = store.read_parquet(f"runs/{run_id}/layer{layer}/assignments.parquet")["topic"].value_counts()
    return str(sizes.index[0])


def central_text(store, run_id: str, layer: int, topic: str) -> str:
    """The text the layer embedded for the document nearest the topic's centre: the registered
    model, which routes each text to its nearest centroid, sends it into that topic."""
    nearest = load_topics(store, run_id, layer)[topic].representative_ids[0]
    docs = store.read_parquet(f"runs/{run_id}/preprocess/docs.parquet")
    return str(docs.set_index(docs["id"].astype(str)).loc[nearest, "text_embed"])


def test_three_layers_curated_then_registered_and_served(aws, capsys, tmp_path):
    stand_in, config, work = aws
    settings, store = load_settings(config), open_store(STORE)
    assert main(["sagemaker", "upsert", "--config", config]) == 0
    assert "Created pipeline" in capsys.readouterr().out
    arn = start(config, capsys, "--processing-instance-count", "2")
    run_id = arn.rsplit("/", 1)[-1]

    execution = stand_in.wait(arn, "CurateLayer1")
    assert execution.status == "Executing", execution.failure
    # Each processing instance read its own shard and wrote under this execution's prefix only.
    shards = emulator.list_keys(boto3.client("s3"), f"{STORE}/shards/{run_id}")
    assert {k.split("/")[3] for k in shards} == {"algo-1", "algo-2"}
    hyperparameters = json.loads((work / f"jobs/trainlayer1-{run_id}/opt_ml/input/config/hyperparameters.json").read_text())
    assert all(isinstance(v, str) for v in hyperparameters.values())
    assert hyperparameters["settings"].startswith(f"{STORE}/settings/")

    # The CallbackStep's message, as SageMaker sends it, becomes the pending approval.
    assert f"pending: run {run_id} curate-layer1" in poll(config, capsys)
    assert load_run(store, run_id).waiting_at == "curate-layer1"

    # Layer 1, approved through the app's service after marking a topic for drill-down.
    session = CurationSession(store, run_id, 1, "ana")
    drilled = biggest_topic(store, run_id, 1)
    query = central_text(store, run_id, 1, drilled)
    session.apply(DrillDown(topic=drilled))
    saved = session.save()
    approved = services.approve_and_resume(store, run_id, 1, "ana", settings, version=saved.version)
    answer = stand_in.answers[execution.steps["CurateLayer1"]["token"]]
    assert answer["success"] and answer["outputs"] == {
        "approved_mapping": f"{STORE}/runs/{run_id}/mapping/layer1/v{saved.version:04d}.json"}
    assert load_approved(store, run_id, 1).version == approved.version == saved.version

    execution = stand_in.wait(arn, "CurateLayer2")
    assert execution.status == "Executing", execution.failure
    assert f"pending: run {run_id} curate-layer2" in poll(config, capsys)

    # Layer 2 through the CLI: the mapping file, edited to drill into one topic, then approve.
    layer2 = tmp_path / "layer2.json"
    assert main(["mapping", run_id, "--output", str(layer2), "--store", STORE]) == 0
    edited = json.loads(layer2.read_text())
    edited["topics"][biggest_topic(store, run_id, 2)]["drill_down"] = True
    layer2.write_text(json.dumps(edited))
    assert main(["approve", run_id, "--mapping", str(layer2), "--by", "ben", "--store", STORE]) == 0
    assert "Sent to the waiting SageMaker CallbackStep" in capsys.readouterr().out

    execution = stand_in.wait(arn, "CurateLayer3")
    assert execution.status == "Executing", execution.failure
    poll(config, capsys)
    # Layer 3 by the automatic rule: `run --auto-approve` answers the callback too, and fits nothing here.
    assert main(["run", "--run-id", run_id, "--auto-approve", "--store", STORE]) == 0
    execution = stand_in.wait(arn, "Succeeded")
    assert execution.status == "Succeeded", execution.failure

    # Nothing ran here: every layer was fitted by a SageMaker job, and the run shows as complete.
    record = load_run(store, run_id)
    assert record.runs_on == "sagemaker" and record.status == "completed"
    labels = store.read_parquet(f"runs/{run_id}/labels/final.parquet")
    assert len(labels) == 400 and labels["layer3_topic"].notna().any()
    assert [op for op, _ in stand_in.calls].count("SendPipelineExecutionStepSuccess") == 3
    # Every SageMaker call the CLI and the app made is one the runbook's policies allow (docs/iam).
    granted = allowed("operator-policy.json") | allowed("app-role.json")
    assert {f"sagemaker:{op}" for op, _ in stand_in.calls} <= granted

    # RegisterModel's CreateModelPackage request points at BuildModel's model.tar.gz ...
    [package] = stand_in.model_packages
    model_data = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_data == execution.steps["BuildModel"]["properties"]["ModelArtifacts"]["S3ModelArtifacts"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"

    # ... which hosting extracts into /opt/ml/model and serves with the image's `serve`.
    model_tree = work / "endpoint" / "opt_ml"
    emulator.extract_model(boto3.client("s3"), model_data, model_tree / "model")
    port, log = free_port(), work / "endpoint" / "log.txt"
    server = emulator.serve_model(model_tree, {"PATH": stand_in.job_env["PATH"], "HOME": stand_in.job_env["HOME"]},
                                  port, log)
    try:
        emulator.wait_for_port(port, server, log)
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/ping").status == 200
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", method="POST",
                                         data=json.dumps({"texts": [query]}).encode(),
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        [prediction] = json.loads(urllib.request.urlopen(request).read())["predictions"]
        # A text of the drilled topic goes down at least one level, through the curated labels.
        assert prediction["topics"][0] == drilled and prediction["path"].count(" > ") >= 1
    finally:
        server.terminate()
        server.wait()


def test_a_failing_job_reports_one_readable_line(aws, capsys, sample_records):
    stand_in, config, _ = aws
    main(["sagemaker", "upsert", "--config", config])
    capsys.readouterr()
    few = sample_records.head(12).to_csv(index=False).encode()
    boto3.client("s3").put_object(Bucket=BUCKET, Key="few/records.csv", Body=few)
    arn = start(config, capsys, "--input-data", f"s3://{BUCKET}/few/")
    execution = stand_in.wait(arn, "Failed")
    # Twelve records cannot make 20 topics: TrainLayer1's /opt/ml/output/failure line is the step's
    # failure reason, as DescribeTrainingJob would show it, and the run record says the same.
    reason = execution.steps["TrainLayer1"]["reason"]
    assert reason.startswith("Only 12 documents have usable text") and "What to do:" in reason
    assert "\n" not in reason and "Traceback" not in reason
    record = load_run(open_store(STORE), arn.rsplit("/", 1)[-1])
    assert record.status == "failed" and record.error.startswith("embed: Only 12 documents")


def test_stopping_an_execution_answers_its_waiting_step(aws, capsys):
    stand_in, config, _ = aws
    main(["sagemaker", "upsert", "--config", config])
    capsys.readouterr()
    arn = start(config, capsys)
    stand_in.wait(arn, "CurateLayer1")
    poll(config, capsys)
    assert main(["sagemaker", "stop", "--config", config, "--execution", arn]) == 0
    out = poll(config, capsys)  # the Stopping message arrives, and is answered at once
    assert "answered (rejected: The pipeline execution is stopping.)" in out
    assert stand_in.wait(arn, "Stopped").status == "Stopped"
    run_id = arn.rsplit("/", 1)[-1]
    assert load_run(open_store(STORE), run_id).status == "rejected"
