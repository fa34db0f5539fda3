"""Approvals on SageMaker Pipelines: the CallbackStep's SQS messages in, callback answers out.

A CallbackStep puts ``{"token", "pipelineExecutionArn", "status", "arguments"}`` on SQS and waits.
``record_callback`` turns such a message into a pending approval in the run's store (the same
inbox as local runs; a redelivered message changes nothing). ``CallbackClient`` answers it:
``SendPipelineExecutionStepSuccess`` with the approved mapping's S3 URI as output parameter, or
``SendPipelineExecutionStepFailure`` with a reason. Limits are checked before calling, throttling
is retried with backoff, and a ``ClientRequestToken`` derived from (execution, step, mapping
version) makes a doubled or retried click harmless.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.approvals import Approval, approval_key, load_approval, pending_approvals, record_decision
from backend.errors import CuratorError, RunStateError
from backend.runs import RunRecord, StepState, load_run, run_key, save_run, step_names
from backend.settings import Settings
from backend.store import ArtifactStore

logger = logging.getLogger(__name__)
TOKEN = re.compile(r"^[A-Za-z0-9]{10}$")
OUTPUT_NAME = "approved_mapping"  # the CallbackStep's output parameter (see pipeline/definition.py)
MAX_PARAMETERS, MAX_NAME, MAX_VALUE, MAX_REASON = 50, 256, 1024, 256
RETRYABLE = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceUnavailable",
             "InternalFailure", "RequestLimitExceeded"}


class CallbackError(CuratorError):
    """SageMaker refused or could not take a callback answer."""


def record_callback(store: ArtifactStore, message: dict[str, Any]) -> Approval:
    """Record a CallbackStep message as a pending approval (idempotent per token).

    The arguments must name the run (``run_id``) and the ``layer``; a ``Stopping`` status is kept
    so the consumer answers it (the step cannot stop until someone does).
    """
    token = str(message.get("token", ""))
    arguments = dict(message.get("arguments") or {})
    if not TOKEN.match(token):
        raise CallbackError(f"The callback message has no valid token ({token!r}).")
    if "run_id" not in arguments or "layer" not in arguments:
        raise CallbackError("The callback message's arguments name no run_id and layer.",
                            "Check the CallbackStep's inputs in the pipeline definition.")
    run_id, layer = str(arguments["run_id"]), int(arguments["layer"])
    step = f"curate-layer{layer}"
    arguments["pipelineExecutionArn"] = message.get("pipelineExecutionArn", "")
    arguments["callback_status"] = message.get("status", "Executing")
    key = approval_key(run_id, step)
    if store.exists(key):
        existing = load_approval(store, run_id, step)
        if existing.token == token:
            if arguments["callback_status"] == "Stopping" and existing.arguments.get("callback_status") != "Stopping":
                existing.arguments["callback_status"] = "Stopping"
                store.write_json(key, existing.to_dict())
            return existing  # SQS delivered it again
        logger.info("run %s %s: a new callback token replaces %s", run_id, step, existing.token)
    approval = Approval(run_id=run_id, step=step, layer=layer, token=token, arguments=arguments)
    store.write_json(key, approval.to_dict())
    _mark_waiting(store, run_id, step)
    return approval


def _mark_waiting(store: ArtifactStore, run_id: str, step: str) -> None:
    """Show the SageMaker execution in the app's run list, waiting at ``step``."""
    if store.exists(run_key(run_id)):
        record = load_run(store, run_id)
    else:
        record = RunRecord(run_id=run_id, settings=Settings().to_dict(), input={"source": "SageMaker"},
                           steps={name: StepState() for name in step_names(3)})
    for name, state in record.steps.items():
        if name == step:
            break
        if state.status in {"pending", "running"}:
            state.status = "done"
    record.steps[step].status, record.steps[step].detail = "waiting", "waiting for approval (SageMaker callback)"
    record.status = "waiting"
    save_run(store, record)


def approve_on_sagemaker(store: ArtifactStore, run_id: str, layer: int, user: str, callbacks: "CallbackClient") -> Any:
    """Approve the layer's latest saved mapping, then tell the waiting CallbackStep where it is.

    The approved mapping is written first (a conditional write), then sent. If the call fails the
    approval stays recorded and Approve can be pressed again: it resends with the same request
    token, which SageMaker treats as the same request.
    """
    from backend.mapping_store import approved_key, load_approved
    from backend.steps import approve_layer

    approval = load_approval(store, run_id, f"curate-layer{layer}")
    if approval.status == "pending":
        approved = approve_layer(store, run_id, layer, user)
        approval = load_approval(store, run_id, approval.step)
    elif approval.status == "approved" and not approval.arguments.get("callback_sent"):
        approved = load_approved(store, run_id, layer)
    else:
        raise RunStateError(f"Layer {layer} of run {run_id} was already {approval.status} by {approval.decided_by}.",
                            "Nothing to do: the pipeline has its answer.")
    callbacks.succeed(approval, {OUTPUT_NAME: store.uri(approved_key(run_id, layer))}, approved.version)
    approval.arguments["callback_sent"] = now_iso()
    store.write_json(approval_key(run_id, approval.step), approval.to_dict())
    record = load_run(store, run_id)
    record.steps[approval.step].status = "done"
    record.steps[approval.step].detail = f"approved by {user} (mapping version {approved.version}); sent to SageMaker"
    record.status = "running"
    save_run(store, record)
    return approved


def reject_on_sagemaker(store: ArtifactStore, run_id: str, layer: int, user: str, reason: str,
                        callbacks: "CallbackClient") -> Approval:
    from backend.steps import reject_layer

    approval = reject_layer(store, run_id, layer, user, reason)
    callbacks.fail(approval, reason)
    record = load_run(store, run_id)
    record.steps[approval.step].status, record.status = "rejected", "rejected"
    record.steps[approval.step].detail = f"rejected by {user}: {reason.strip()[:MAX_REASON]}"
    save_run(store, record)
    return approval


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def client_request_token(execution_arn: str, step: str, version: int | str) -> str:
    """The same answer to the same step with the same mapping version is one request for SageMaker."""
    return hashlib.sha256(f"{execution_arn}|{step}|{version}".encode()).hexdigest()


class CallbackClient:
    """Answers CallbackSteps through a boto3 SageMaker client (or a stubbed one in tests)."""

    def __init__(self, client: Any | None = None, attempts: int = 5, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self.attempts, self.backoff, self.sleep = attempts, backoff, sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sagemaker")
        return self._client

    def succeed(self, approval: Approval, outputs: dict[str, str], version: int | str) -> None:
        _check_token(approval.token)
        if len(outputs) > MAX_PARAMETERS:
            raise CallbackError(f"{len(outputs)} output parameters; SageMaker takes at most {MAX_PARAMETERS}.")
        for name, value in outputs.items():
            if not 0 < len(name) <= MAX_NAME or len(value) > MAX_VALUE:
                raise CallbackError(f"Output parameter {name[:40]!r} is too long (name <= {MAX_NAME}, "
                                    f"value <= {MAX_VALUE} characters).")
        self._call("send_pipeline_execution_step_success", approval, CallbackToken=approval.token,
                   OutputParameters=[{"Name": k, "Value": v} for k, v in outputs.items()],
                   ClientRequestToken=client_request_token(_arn(approval), approval.step, version))

    def fail(self, approval: Approval, reason: str) -> None:
        _check_token(approval.token)
        self._call("send_pipeline_execution_step_failure", approval, CallbackToken=approval.token,
                   FailureReason=reason.strip()[:MAX_REASON],
                   ClientRequestToken=client_request_token(_arn(approval), approval.step, f"fail:{reason[:64]}"))

    def _call(self, operation: str, approval: Approval, **params: Any) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                getattr(self.client, operation)(**params)
                return
            except Exception as exc:
                code = _error_code(exc)
                if code in RETRYABLE and attempt < self.attempts:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise _explain(code, exc, approval) from exc


def answer_stopping(store: ArtifactStore, callbacks: CallbackClient, reason: str = "The pipeline execution is stopping.") -> list[Approval]:
    """Answer every pending approval whose execution asked to stop (so the step can end)."""
    answered = []
    for approval in pending_approvals(store):
        if approval.arguments.get("callback_status") == "Stopping":
            _answer_failure(store, callbacks, approval, reason, "system")
            answered.append(approval)
    return answered


def expire_overdue(store: ArtifactStore, callbacks: CallbackClient, deadline: timedelta,
                   clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Approval]:
    """Answer with failure every SageMaker approval that has waited longer than ``deadline``."""
    expired = []
    for approval in pending_approvals(store):
        if not approval.arguments.get("pipelineExecutionArn"):
            continue  # a local run: nothing waits on the other side
        waited = clock() - datetime.fromisoformat(approval.created_at)
        if waited > deadline:
            _answer_failure(store, callbacks, approval, f"No approval within {deadline}; the step timed out.", "deadline")
            expired.append(approval)
    return expired


def _answer_failure(store: ArtifactStore, callbacks: CallbackClient, approval: Approval, reason: str, who: str) -> None:
    try:
        callbacks.fail(approval, reason)
    except CallbackError as exc:
        reason = f"{reason} (SageMaker: {exc.problem})"
    record_decision(store, approval, "rejected", who, reason=reason[:MAX_REASON])


def consume_messages(store: ArtifactStore, messages: list[dict[str, Any]]) -> tuple[list[Approval], list[str]]:
    """Record each SQS message body; return the approvals and the ids of messages that failed."""
    recorded, failed = [], []
    for message in messages:
        try:
            recorded.append(record_callback(store, json.loads(message["body"])))
        except (CuratorError, ValueError, KeyError) as exc:
            logger.error("callback message %s not recorded: %s", message.get("messageId"), exc)
            failed.append(str(message.get("messageId", "")))
    return recorded, failed


def poll_queue(store: ArtifactStore, sqs: Any, queue_url: str, wait_seconds: int = 10, max_messages: int = 10) -> list[Approval]:
    """One long poll of the callback queue: record messages, delete those recorded (at-least-once safe)."""
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_seconds)
    messages = [{"messageId": m["MessageId"], "body": m["Body"], "receipt": m["ReceiptHandle"]}
                for m in response.get("Messages", [])]
    recorded, failed = consume_messages(store, messages)
    for message in messages:
        if message["messageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["receipt"])
    return recorded


def _check_token(token: str) -> None:
    if not TOKEN.match(token or ""):
        raise CallbackError(f"Callback token {token!r} is not 10 letters or digits.",
                            "The approval did not come from a SageMaker CallbackStep; approve it locally.")


def _arn(approval: Approval) -> str:
    return str(approval.arguments.get("pipelineExecutionArn", approval.run_id))


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _explain(code: str, exc: Exception, approval: Approval) -> CuratorError:
    if code == "ResourceNotFound":
        return CallbackError(f"SageMaker no longer knows the callback for {approval.step} of run {approval.run_id} "
                             "(the execution stopped, or the token expired).",
                             "Nothing was sent. Start a new execution if the run should go on.")
    if code == "ConflictException":
        return RunStateError(f"{approval.step} of run {approval.run_id} was already answered on SageMaker.",
                             "Nothing to do: see the execution in SageMaker Studio.")
    return CallbackError(f"SageMaker did not take the answer for {approval.step}: {exc}",
                         "Check your AWS credentials and permissions, then try again.")


