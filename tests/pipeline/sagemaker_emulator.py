"""A local stand-in for SageMaker Pipelines, written from AWS's published documents.

It runs a pipeline definition the way SageMaker does, as far as topic-curator relies on it, so the
emulation test can hold the product against AWS's contract rather than against its own guesses:

- **The API** (``SageMakerStandIn``): the SageMaker calls the product makes, as botocore's JSON 1.1
  protocol over HTTP on 127.0.0.1; boto3 clients reach it through ``AWS_ENDPOINT_URL_SAGEMAKER``
  (AWS SDKs and Tools Reference Guide, "Service-specific endpoints"). Every job request a step
  makes is checked with botocore's own validator and the service model's length limits.
- **Jobs** (``run_container``): each processing and training job runs the image's own program in a
  fresh ``/opt/ml`` tree, bind-mounted over ``/opt/ml`` in a private mount namespace, as root, with a
  scrubbed environment: the image's ``ENV`` lines, what AWS says SageMaker sets, the job request's
  ``Environment``, and credentials and endpoints standing in for the execution role's. No ``SM_*``.
- **S3 and SQS** are a moto server; the CallbackStep's message goes on the real (moto) queue.

Each fact taken from AWS's documentation carries a comment naming the document.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shlex
import shutil
import string
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.validate import ParamValidator

from pipeline.aws_limits import limit_problems

ROOT = Path(__file__).resolve().parents[2]
OPT_ML = Path("/opt/ml")
ACCOUNT, REGION = "123456789012", "us-east-1"
MODEL = botocore.session.get_session().get_service_model("sagemaker")
JOB_TIMEOUT = 900  # seconds: a guard against a hung job, never reached by a working one
# Run a program with the tree given as first argument mounted at /opt/ml, visible to it alone.
MOUNT_OPT_ML = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$1" /opt/ml && shift && exec "$@"', "sh"]


class ApiError(Exception):
    """An error SageMaker would answer with (botocore reads the code from ``__type``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def check_request(operation: str, request: dict) -> None:
    """What SageMaker checks on a request: botocore's validation plus the model's length limits."""
    report = ParamValidator().validate(request, MODEL.operation_model(operation).input_shape)
    problems = ([report.generate_report()] if report.has_errors() else []) + limit_problems(operation, request)
    if problems:
        raise ApiError("ValidationException", f"{operation}: " + "; ".join(problems))


# Job trees and containers ---------------------------------------------------------------------

def image_environment(dockerfile: Path = ROOT / "Dockerfile") -> dict[str, str]:
    """The ``ENV`` the image sets (every container of the image starts with it)."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip().startswith("ENV "):
            env.update(dict(item.split("=", 1) for item in shlex.split(line.strip()[4:])))
    return env


def run_container(tree: Path, argv: list[str], env: dict[str, str], log: Path) -> int:
    """Run ``argv`` as root with ``tree`` mounted at /opt/ml, seeing only ``env``; return its exit status."""
    assert not [k for k in env if k.startswith("SM_")], "SageMaker sets no SM_* variable for this image"
    command = [*MOUNT_OPT_ML, str(tree), *argv]
    with log.open("w") as out:
        return subprocess.run(command, env=env, cwd=tree.parent, stdout=out, stderr=subprocess.STDOUT,
                              timeout=JOB_TIMEOUT).returncode


def write_training_tree(root: Path, hyperparameters: dict[str, str], channels: dict[str, str]) -> None:
    """/opt/ml for a training job (SageMaker Developer Guide, "How Amazon SageMaker AI Provides
    Training Information"): hyperparameters.json holds the request's HyperParameters, every value a
    string; inputdataconfig.json one entry per channel; resourceconfig.json the hosts."""
    config = root / "input/config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "inputdataconfig.json").write_text(json.dumps({
        name: {"TrainingInputMode": mode, "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
        for name, mode in channels.items()}))
    (config / "resourceconfig.json").write_text(json.dumps(
        {"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}))
    for name in channels:
        (root / "input/data" / name).mkdir(parents=True, exist_ok=True)
    (root / "model").mkdir(exist_ok=True)
    (root / "output").mkdir(exist_ok=True)


def write_processing_tree(root: Path, host: str, hosts: list[str], request: dict) -> None:
    """/opt/ml/config for a processing job ("How Amazon SageMaker Processing Configures Your
    Processing Container"): processingjobconfig.json is the request, resourceconfig.json the hosts."""
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "processingjobconfig.json").write_text(json.dumps(request))
    (config / "resourceconfig.json").write_text(json.dumps({"current_host": host, "hosts": hosts}))
    (root / "output").mkdir(exist_ok=True)


def local(root: Path, local_path: str) -> Path:
    return root / Path(local_path).relative_to(OPT_ML)


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def download_prefix(s3: Any, uri: str, target: Path, keys: list[str] | None = None) -> list[str]:
    """Copy the objects under an S3Prefix into ``target``, keeping their path below the prefix."""
    bucket, prefix = split_s3(uri)
    keys = keys if keys is not None else list_keys(s3, uri)
    for key in keys:
        relative = key[len(prefix):].lstrip("/") or key.rsplit("/", 1)[-1]
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return keys


def list_keys(s3: Any, uri: str) -> list[str]:
    bucket, prefix = split_s3(uri)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def upload_folder(s3: Any, folder: Path, uri: str) -> None:
    bucket, prefix = split_s3(uri)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{path.relative_to(folder).as_posix()}",
                      Body=path.read_bytes())


# Pipeline expressions -------------------------------------------------------------------------

PROPERTY_PATH = re.compile(r"\.?([A-Za-z0-9_]+)|\['([^']+)'\]")


@dataclass
class Execution:
    arn: str
    pipeline: str
    definition: dict
    parameters: dict[str, Any]
    status: str = "Executing"
    failure: str = ""
    steps: dict[str, dict] = field(default_factory=dict)  # name -> {"status", "properties", "reason", ...}
    waiting_token: str = ""

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def resolve(self, value: Any) -> Any:
        """Replace ``Get`` and ``Std:Join`` expressions by their values for this execution."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Get"}:
            return self._get(value["Get"])
        if set(value) == {"Std:Join"}:
            join = value["Std:Join"]
            return join["On"].join(str(self.resolve(v)) for v in join["Values"])
        return {k: self.resolve(v) for k, v in value.items()}

    def _get(self, path: str) -> Any:
        kind, _, rest = path.partition(".")
        if kind == "Parameters":
            return self.parameters[rest]
        if path == "Execution.PipelineExecutionId":
            return self.id
        if path == "Execution.PipelineExecutionArn":
            return self.arn
        if kind == "Steps":
            name, _, rest = rest.partition(".")
            value: Any = self.steps[name]["properties"]
            for attribute, key in PROPERTY_PATH.findall(rest):
                value = value[attribute or key]
            return value
        raise ApiError("ValidationException", f"unknown expression {path}")


# The stand-in ---------------------------------------------------------------------------------

class SageMakerStandIn:
    """Pipelines, executions and their jobs, answering the SageMaker API on 127.0.0.1."""

    def __init__(self, workdir: Path, job_env: dict[str, str]) -> None:
        self.workdir, self.job_env = workdir, job_env
        self.pipelines: dict[str, dict] = {}
        self.executions: dict[str, Execution] = {}
        self.model_packages: list[dict] = []
        self.calls: list[tuple[str, dict]] = []  # every API call received, for the test to read
        self.answers: dict[str, dict] = {}  # callback token -> the answer, with its ClientRequestToken
        self.changed = threading.Condition()
        self.s3, self.sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()

    def wait(self, arn: str, until: str, timeout: float = 1800) -> Execution:
        """Block until the execution waits at CallbackStep ``until``, or ends (``until`` = a status)."""
        def reached() -> bool:
            execution = self.executions[arn]
            waiting = execution.steps.get(until, {}).get("status") == "Waiting"
            return waiting or execution.status in {until, "Failed", "Stopped", "Succeeded"}

        with self.changed:
            if not self.changed.wait_for(reached, timeout):
                raise TimeoutError(f"{arn} did not reach {until}: {self.executions[arn].steps}")
        return self.executions[arn]

    # API ----------------------------------------------------------------------------------------

    def call(self, operation: str, request: dict) -> dict:
        self.calls.append((operation, request))
        handler = getattr(self, f"api_{operation}", None)
        if handler is None:
            raise ApiError("UnknownOperationException", f"the stand-in does not implement {operation}")
        return handler(**request)

    def api_DescribePipeline(self, PipelineName: str, **_: Any) -> dict:  # noqa: N802, N803 (API names)
        if PipelineName not in self.pipelines:
            raise ApiError("ResourceNotFound", f"Pipeline {PipelineName} does not exist.")
        pipeline = self.pipelines[PipelineName]
        return {"PipelineArn": pipeline["arn"], "PipelineName": PipelineName,
                "PipelineDefinition": pipeline["definition"], "PipelineStatus": "Active"}

    def api_CreatePipeline(self, PipelineName: str, PipelineDefinition: str, RoleArn: str, **_: Any) -> dict:  # noqa: N802, N803
        json.loads(PipelineDefinition)  # SageMaker refuses a definition that is not JSON
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{PipelineName}"
        self.pipelines[PipelineName] = {"arn": arn, "definition": PipelineDefinition, "role": RoleArn}
        return {"PipelineArn": arn}

    def api_UpdatePipeline(self, PipelineName: str, PipelineDefinition: str, **_: Any) -> dict:  # noqa: N802, N803
        self.api_DescribePipeline(PipelineName)
        self.pipelines[PipelineName]["definition"] = PipelineDefinition
        return {"PipelineArn": self.pipelines[PipelineName]["arn"]}

    def api_StartPipelineExecution(self, PipelineName: str, PipelineParameters: list | None = None, **_: Any) -> dict:  # noqa: N802, N803
        self.api_DescribePipeline(PipelineName)
        definition = json.loads(self.pipelines[PipelineName]["definition"])
        given = {p["Name"]: p["Value"] for p in PipelineParameters or []}
        parameters = {}
        for p in definition["Parameters"]:  # values arrive as strings; Integer parameters are numbers
            value = given.get(p["Name"], p.get("DefaultValue"))
            parameters[p["Name"]] = int(value) if p["Type"] == "Integer" else value
        execution_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))
        arn = f"{self.pipelines[PipelineName]['arn']}/execution/{execution_id}"
        self.executions[arn] = Execution(arn, PipelineName, definition, parameters)
        threading.Thread(target=self._execute, args=(self.executions[arn],), daemon=True).start()
        return {"PipelineExecutionArn": arn}

    def api_DescribePipelineExecution(self, PipelineExecutionArn: str, **_: Any) -> dict:  # noqa: N802, N803
        execution = self._execution(PipelineExecutionArn)
        return {"PipelineExecutionArn": execution.arn, "PipelineExecutionStatus": execution.status,
                "FailureReason": execution.failure}

    def api_ListPipelineExecutions(self, PipelineName: str, **_: Any) -> dict:  # noqa: N802, N803
        return {"PipelineExecutionSummaries": [
            {"PipelineExecutionArn": e.arn, "PipelineExecutionStatus": e.status}
            for e in self.executions.values() if e.pipeline == PipelineName]}

    def api_ListPipelineExecutionSteps(self, PipelineExecutionArn: str, **_: Any) -> dict:  # noqa: N802, N803
        execution = self._execution(PipelineExecutionArn)
        return {"PipelineExecutionSteps": [{"StepName": name, "StepStatus": step["status"],
                                            "FailureReason": step.get("reason", "")}
                                           for name, step in execution.steps.items()]}

    def api_StopPipelineExecution(self, PipelineExecutionArn: str, **_: Any) -> dict:  # noqa: N802, N803
        # API reference, "StopPipelineExecution": a waiting callback step gets a second message with
        # "status": "Stopping", and the execution stops only once that step is answered.
        execution = self._execution(PipelineExecutionArn)
        with self.changed:
            execution.status = "Stopping"
            if execution.waiting_token:
                self._send_callback_message(execution, execution.waiting_token, status="Stopping")
            self.changed.notify_all()
        return {"PipelineExecutionArn": execution.arn}

    def api_SendPipelineExecutionStepSuccess(self, CallbackToken: str, OutputParameters: list | None = None,  # noqa: N802, N803
                                             ClientRequestToken: str = "", **_: Any) -> dict:
        return self._answer(CallbackToken, ClientRequestToken, success=True,
                            outputs={p["Name"]: p["Value"] for p in OutputParameters or []})

    def api_SendPipelineExecutionStepFailure(self, CallbackToken: str, FailureReason: str = "",  # noqa: N802, N803
                                             ClientRequestToken: str = "", **_: Any) -> dict:
        return self._answer(CallbackToken, ClientRequestToken, success=False, reason=FailureReason)

    def _answer(self, token: str, request_token: str, success: bool, outputs: dict | None = None,
                reason: str = "") -> dict:
        with self.changed:
            previous = self.answers.get(token)
            if previous is not None:
                # API reference: ClientRequestToken makes the call idempotent ("completes no more than
                # one time"). A different second answer is refused (assumed ConflictException: the
                # reference lists it, without saying when it is raised).
                if previous["request_token"] == request_token and request_token:
                    return {"PipelineExecutionArn": previous["execution"]}
                raise ApiError("ConflictException", f"The step for callback token {token} was already answered.")
            execution = next((e for e in self.executions.values() if e.waiting_token == token), None)
            if execution is None:
                raise ApiError("ResourceNotFound", f"No step waits for callback token {token}.")
            self.answers[token] = {"request_token": request_token, "execution": execution.arn, "success": success,
                                   "outputs": outputs or {}, "reason": reason}
            execution.waiting_token = ""
            self.changed.notify_all()
        return {"PipelineExecutionArn": execution.arn}

    def _execution(self, arn: str) -> Execution:
        if arn not in self.executions:
            raise ApiError("ResourceNotFound", f"Pipeline execution {arn} does not exist.")
        return self.executions[arn]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                operation = self.headers.get("X-Amz-Target", "").removeprefix("SageMaker.")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    status, reply = 200, stand_in.call(operation, json.loads(body or b"{}"))
                except ApiError as exc:
                    status, reply = 400, {"__type": exc.code, "message": exc.message}
                payload = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                """Quiet: http.server would print every request to stderr."""

        return Handler

    # Executing a definition ------------------------------------------------------------------------

    def _execute(self, execution: Execution) -> None:
        for step in run_order(execution.definition["Steps"]):
            if execution.status in {"Failed", "Stopped"}:
                break
            if execution.status == "Stopping":
                self._finish(execution, "Stopped")
                break
            self._set_step(execution, step["Name"], "Executing")
            try:
                properties = getattr(self, f"_run_{step['Type']}")(execution, step)
            except ApiError as exc:
                self._set_step(execution, step["Name"], "Failed", reason=exc.message)
                stopped = execution.status == "Stopping"
                self._finish(execution, "Stopped" if stopped else "Failed", f"Step {step['Name']} failed: {exc.message}")
                break
            self._set_step(execution, step["Name"], "Succeeded", properties=properties)
        else:
            self._finish(execution, "Succeeded")

    def _set_step(self, execution: Execution, name: str, status: str, **details: Any) -> None:
        with self.changed:
            execution.steps.setdefault(name, {}).update(status=status, **details)
            self.changed.notify_all()

    def _finish(self, execution: Execution, status: str, failure: str = "") -> None:
        with self.changed:
            execution.status, execution.failure = status, failure
            self.changed.notify_all()

    def _job_env(self, extra: dict[str, str]) -> dict[str, str]:
        return {**image_environment(), **self.job_env, **extra}

    def _run_Processing(self, execution: Execution, step: dict) -> dict:  # noqa: N802
        request = execution.resolve(step["Arguments"])
        name = f"{step['Name'].lower()}-{execution.id}"
        check_request("CreateProcessingJob", {"ProcessingJobName": name, **request})
        count = int(request["ProcessingResources"]["ClusterConfig"]["InstanceCount"])
        hosts = [f"algo-{i}" for i in range(1, count + 1)]
        app = request["AppSpecification"]
        argv = [*app.get("ContainerEntrypoint", []), *app.get("ContainerArguments", [])]
        trees = []
        for index, host in enumerate(hosts):
            tree = self.workdir / name / host / "opt_ml"
            write_processing_tree(tree, host, hosts, {"ProcessingJobName": name, **request})
            for put in request.get("ProcessingInputs", []):
                s3_input = put["S3Input"]
                keys = list_keys(self.s3, s3_input["S3Uri"])
                if s3_input.get("S3DataDistributionType") == "ShardedByS3Key":
                    # API reference, "ProcessingS3Input": ShardedByS3Key gives each instance about 1/n of the objects.
                    keys = keys[index::count]
                download_prefix(self.s3, s3_input["S3Uri"], local(tree, s3_input["LocalPath"]), keys)
            # Environment: the request's Environment map ("How Amazon SageMaker Processing Configures
            # Your Processing Container").
            status = run_container(tree, argv, self._job_env(request.get("Environment", {})), tree.parent / "log.txt")
            if status != 0:
                # "Save and Access Metadata Information About Your Processing Job": the first 1 KB of
                # /opt/ml/output/message is the job's ExitMessage.
                message = tree / "output/message"
                raise ApiError("ProcessingJobFailed", (message.read_text() if message.is_file() else
                                                       f"exit status {status}")[:1024].strip())
            trees.append(tree)
        outputs = {}
        for output in request.get("ProcessingOutputConfig", {}).get("Outputs", []):
            s3_output = output["S3Output"]
            for tree in trees:  # EndOfJob: each instance's LocalPath is uploaded when the job ends
                upload_folder(self.s3, local(tree, s3_output["LocalPath"]), s3_output["S3Uri"])
            outputs[output["OutputName"]] = {"S3Output": {"S3Uri": s3_output["S3Uri"]}}
        return {"ProcessingOutputConfig": {"Outputs": outputs}, "ProcessingJobName": name}

    def _run_Training(self, execution: Execution, step: dict) -> dict:  # noqa: N802
        request = execution.resolve(step["Arguments"])
        name = f"{step['Name'].lower()}-{execution.id}"
        check_request("CreateTrainingJob", {"TrainingJobName": name, **request})
        default_mode = request["AlgorithmSpecification"].get("TrainingInputMode", "File")
        channels = {c["ChannelName"]: c.get("InputMode", default_mode) for c in request.get("InputDataConfig", [])}
        tree = self.workdir / name / "opt_ml"
        write_training_tree(tree, request.get("HyperParameters", {}), channels)
        for channel in request.get("InputDataConfig", []):
            source = channel["DataSource"]["S3DataSource"]["S3Uri"]
            if not download_prefix(self.s3, source, tree / "input/data" / channel["ChannelName"]):
                raise ApiError("ValidationException", f"No S3 objects under {source} (channel {channel['ChannelName']}).")
        # "How Amazon SageMaker AI Provides Training Information": SageMaker sets TRAINING_JOB_NAME,
        # TRAINING_JOB_ARN and the request's Environment; and runs `docker run <image> train`
        # ("How Amazon SageMaker AI Runs Your Training Image").
        env = self._job_env({"TRAINING_JOB_NAME": name,
                             "TRAINING_JOB_ARN": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}",
                             **request.get("Environment", {})})
        status = run_container(tree, ["train"], env, tree.parent / "log.txt")
        if status != 0:
            # "How Amazon SageMaker AI Signals Algorithm Success and Failure": a non-zero exit fails the
            # job, and /opt/ml/output/failure is its FailureReason.
            failure = tree / "output/failure"
            raise ApiError("TrainingJobFailed", (failure.read_text() if failure.is_file() else
                                                 f"exit status {status}")[:1024].strip())
        # "How Amazon SageMaker AI Processes Training Output": /opt/ml/model becomes
        # <S3OutputPath>/<job name>/output/model.tar.gz.
        artifact = f"{request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/output/model.tar.gz"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for path in sorted((tree / "model").iterdir()):
                archive.add(path, arcname=path.name)
        bucket, key = split_s3(artifact)
        self.s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
        return {"ModelArtifacts": {"S3ModelArtifacts": artifact}, "TrainingJobName": name}

    def _run_Callback(self, execution: Execution, step: dict) -> dict:  # noqa: N802
        token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))
        with self.changed:
            execution.waiting_token = token
            self._send_callback_message(execution, token)
            execution.steps[step["Name"]].update(status="Waiting", token=token)
            self.changed.notify_all()
            self.changed.wait_for(lambda: token in self.answers)
        answer = self.answers[token]
        if not answer["success"]:
            raise ApiError("CallbackFailed", answer["reason"])
        declared = {p["OutputName"] for p in step.get("OutputParameters", [])}
        if set(answer["outputs"]) - declared:
            raise ApiError("ValidationException", f"undeclared output parameters {set(answer['outputs']) - declared}")
        return {"OutputParameters": answer["outputs"]}

    def _send_callback_message(self, execution: Execution, token: str, status: str = "") -> None:
        # SageMaker Developer Guide, "Callback step": the message holds the token, the execution ARN
        # and the step's resolved Arguments; API reference, "StopPipelineExecution": a stop sends the
        # same with "status": "Stopping".
        step = next(s for s in execution.definition["Steps"]
                    if s["Type"] == "Callback" and execution.steps.get(s["Name"], {}).get("status") in {"Executing", "Waiting"})
        body = {"token": token, "pipelineExecutionArn": execution.arn, "arguments": execution.resolve(step["Arguments"])}
        if status:
            body["Status"] = status
        self.sqs.send_message(QueueUrl=step["SqsQueueUrl"], MessageBody=json.dumps(body))

    def _run_RegisterModel(self, execution: Execution, step: dict) -> dict:  # noqa: N802
        request = execution.resolve(step["Arguments"])
        check_request("CreateModelPackage", request)
        for container in request["InferenceSpecification"]["Containers"]:
            bucket, key = split_s3(container["ModelDataUrl"])
            self.s3.head_object(Bucket=bucket, Key=key)  # SageMaker checks the model data exists
        self.model_packages.append(request)
        return {"ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/"
                                   f"{request['ModelPackageGroupName']}/{len(self.model_packages)}"}


def run_order(steps: list[dict]) -> list[dict]:
    """An order SageMaker could run the steps in: each after the steps it depends on (DependsOn, or a
    ``Steps.X`` property it reads). Of the steps ready at once, the last listed goes first, so a
    dependency the definition forgot to declare shows up as a step that runs too early."""
    names = {s["Name"] for s in steps}
    needs = {s["Name"]: set(s.get("DependsOn", [])) | (set(re.findall(r'"Get": "Steps\.([A-Za-z0-9_-]+)\.', json.dumps(s))) & names)
             for s in steps}
    order: list[dict] = []
    while len(order) < len(steps):
        done = {s["Name"] for s in order}
        ready = [s for s in steps if s["Name"] not in done and needs[s["Name"]] <= done]
        if not ready:
            raise ApiError("ValidationException", f"circular step dependencies among {names - done}")
        order.append(ready[-1])
    return order


def extract_model(s3: Any, uri: str, model_dir: Path) -> None:
    """What hosting does with the registered model ("Custom Inference Code with Hosting Services":
    the model.tar.gz is extracted into /opt/ml/model)."""
    bucket, key = split_s3(uri)
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    model_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(model_dir, filter="data")


def serve_model(model_tree: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """Start ``serve`` the way hosting does (``docker run <image> serve``), /opt/ml holding the model."""
    command = [*MOUNT_OPT_ML, str(model_tree), "serve"]
    # "Run Real-time Predictions with an Inference Pipeline": SAGEMAKER_BIND_TO_PORT names the port.
    return subprocess.Popen(command, env={**image_environment(), **env, "SAGEMAKER_BIND_TO_PORT": str(port)},
                            cwd=model_tree.parent, stdout=log.open("w"), stderr=subprocess.STDOUT)


def can_emulate() -> str:
    """Why the emulation cannot run here ('' when it can): it needs root for the /opt/ml mounts."""
    if os.geteuid() != 0:
        return "the emulation bind-mounts /opt/ml in a private mount namespace, which needs root (CI runs as root)"
    if not shutil.which("unshare"):
        return "util-linux's unshare is not installed"
    OPT_ML.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return "" if probe.returncode == 0 else f"unshare --mount fails here: {probe.stderr.decode().strip()}"


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    """Until the server accepts connections (or exits, which fails the test with its log)."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"serve did not open port {port}:\n{log.read_text()}")
