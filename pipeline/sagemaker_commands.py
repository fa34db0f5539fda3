"""``topic-curator sagemaker definition | upsert | start | status | poll | stop``.

``definition`` is offline. The others call AWS with boto3 (credentials from the usual AWS
configuration, region from the settings); the SDK is only needed to build the definition.
``upsert`` and ``start`` first write the settings object the jobs read (``job_settings``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from backend.errors import CuratorError
from backend.settings import Settings


def add_commands(commands: Any) -> None:
    sagemaker = commands.add_parser("sagemaker", help="Run the pipeline on Amazon SageMaker Pipelines.",
                                    description="Run the pipeline on Amazon SageMaker Pipelines.")
    sub = sagemaker.add_subparsers(dest="sagemaker_command", required=True, metavar="ACTION")
    for name, text in (("definition", "Print the pipeline definition JSON (offline)."),
                       ("upsert", "Create or update the pipeline in SageMaker."),
                       ("start", "Start an execution."),
                       ("status", "Show recent executions (or one, with --execution)."),
                       ("poll", "Record callback messages from the queue as pending approvals; answer stopping "
                                "executions and approvals past sagemaker.approval_deadline_hours."),
                       ("stop", "Stop an execution (a waiting CallbackStep is answered by the next poll).")):
        parser = sub.add_parser(name, help=text, description=text)
        parser.add_argument("--config", help="settings file with a [sagemaker] section (see README)")
        if name == "start":
            parser.add_argument("--input-data", help="s3:// prefix of the records (default: sagemaker.input_data)")
            parser.add_argument("--processing-instance-count", type=int, help="instances for preprocessing and embedding")
        if name in {"status", "stop"}:
            parser.add_argument("--execution", required=name == "stop", help="an execution ARN")
        if name == "poll":
            parser.add_argument("--wait", type=int, default=10, help="seconds of long polling (default 10)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    return {"definition": definition, "upsert": upsert, "start": start, "status": status, "poll": poll,
            "stop": stop}[args.sagemaker_command](args, settings)


def definition(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from pipeline.definition import definition_json
    except ImportError as exc:
        raise CuratorError("The SageMaker SDK is not installed.", "pip install -e '.[sagemaker]'") from exc
    print(json.dumps(json.loads(definition_json(settings)), indent=2))
    return 0


def _client(service: str, settings: Settings, region: str | None = None) -> Any:
    import boto3

    return boto3.client(service, region_name=region or settings.sagemaker.region)


def upsert(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.definition import definition_json

    sm = settings.sagemaker
    client = _client("sagemaker", settings)
    body = definition_json(settings)
    print(f"Settings for the jobs: {_publish(settings)}")
    if _pipeline_exists(client, sm.pipeline_name):
        response = client.update_pipeline(PipelineName=sm.pipeline_name, PipelineDefinition=body, RoleArn=sm.role_arn)
        verb = "Updated"
    else:
        response = client.create_pipeline(PipelineName=sm.pipeline_name, PipelineDefinition=body, RoleArn=sm.role_arn,
                                          ClientRequestToken=_token(body))
        verb = "Created"
    print(f"{verb} pipeline {response['PipelineArn']}")
    return 0


def _pipeline_exists(client: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.describe_pipeline(PipelineName=name)
        return True
    except ClientError as exc:
        # SageMaker says ResourceNotFound; some endpoints (moto) say ValidationException.
        if exc.response["Error"]["Code"] in {"ResourceNotFound", "ValidationException"}:
            return False
        raise


def _publish(settings: Settings) -> str:
    from backend.store import open_store
    from pipeline.job_settings import publish_settings

    return publish_settings(open_store(settings.sagemaker.store), settings)


def start(args: argparse.Namespace, settings: Settings) -> int:
    _check_upserted_with(settings)
    parameters = []
    if args.input_data:
        parameters.append({"Name": "InputData", "Value": args.input_data})
    if args.processing_instance_count:
        parameters.append({"Name": "ProcessingInstanceCount", "Value": str(args.processing_instance_count)})
    response = _client("sagemaker", settings).start_pipeline_execution(
        PipelineName=settings.sagemaker.pipeline_name, PipelineParameters=parameters)
    arn = response["PipelineExecutionArn"]
    print(f"Started {arn}\nrun id (in the app and the store): {arn.rsplit('/', 1)[-1]}")
    return 0


def status(args: argparse.Namespace, settings: Settings) -> int:
    client = _client("sagemaker", settings)
    if args.execution:
        execution = client.describe_pipeline_execution(PipelineExecutionArn=args.execution)
        print(f"{execution['PipelineExecutionArn']}: {execution['PipelineExecutionStatus']}")
        try:
            for step in client.list_pipeline_execution_steps(PipelineExecutionArn=args.execution)["PipelineExecutionSteps"]:
                print(f"  {step['StepName']:<15} {step['StepStatus']}")
        except Exception as exc:  # not every endpoint offers it (moto does not)
            print(f"  (steps unavailable: {exc})", file=sys.stderr)
        return 0
    summaries = client.list_pipeline_executions(PipelineName=settings.sagemaker.pipeline_name)["PipelineExecutionSummaries"]
    if not summaries:
        print("No executions yet: topic-curator sagemaker start")
    for summary in summaries:
        print(f"{summary['PipelineExecutionArn']}  {summary.get('PipelineExecutionStatus', '?')}  {summary.get('StartTime', '')}")
    return 0


def poll(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from backend.runs.callbacks import CallbackClient
    from backend.runs.inbox import answer_stopping, expire_overdue, poll_queue
    from backend.store import open_store

    sm = settings.sagemaker
    store = open_store(sm.store)
    callbacks = CallbackClient(lambda region: _client("sagemaker", settings, region))
    consumed = poll_queue(store, _client("sqs", settings), sm.callback_queue_url, args.wait,
                          dead_letter_url=sm.dead_letter_queue_url)
    answered = answer_stopping(store, callbacks)
    answered += expire_overdue(store, callbacks, timedelta(hours=sm.approval_deadline_hours))
    for approval in consumed.recorded:
        print(f"pending: run {approval.run_id} {approval.step} (token {approval.token})")
    for message_id, why in consumed.unreadable:
        kept = f"moved to {sm.dead_letter_queue_url}" if sm.dead_letter_queue_url else "deleted"
        print(f"unreadable message {message_id} ({kept}): {why}")
    for approval in answered:
        print(f"answered ({approval.status}: {approval.reason}): run {approval.run_id} {approval.step}")
    if consumed.failed:
        print(f"{len(consumed.failed)} message(s) could not be recorded now; they stay on the queue.")
    if not (consumed.recorded or consumed.unreadable or consumed.failed or answered):
        print("No callback messages.")
    return 0


def _check_upserted_with(settings: Settings) -> None:
    """The jobs read the settings object the upserted definition names, not this file's: say so
    when they differ, rather than start an execution with other settings than the ones shown."""
    from pipeline.job_settings import settings_uri

    deployed = _client("sagemaker", settings).describe_pipeline(PipelineName=settings.sagemaker.pipeline_name)
    steps = json.loads(deployed["PipelineDefinition"])["Steps"]
    uris = {s["Arguments"].get("HyperParameters", {}).get("settings") for s in steps if s["Type"] == "Training"}
    if uris != {settings_uri(settings)}:
        raise CuratorError("The pipeline in SageMaker was upserted with other settings than this file's.",
                           "Run topic-curator sagemaker upsert --config with this file first (or start with the "
                           "file you upserted).")


def stop(args: argparse.Namespace, settings: Settings) -> int:
    _client("sagemaker", settings).stop_pipeline_execution(PipelineExecutionArn=args.execution)
    print(f"Stopping {args.execution}. A CallbackStep waiting for approval stops once answered: "
          "topic-curator sagemaker poll (or the Lambda) answers it.")
    return 0


def _token(body: str) -> str:
    import hashlib

    return hashlib.sha256(body.encode()).hexdigest()[:64]
