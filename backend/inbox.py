"""The SageMaker inbox: CallbackStep messages from SQS become pending approvals in the run's store.

A CallbackStep puts a JSON body on its queue (AWS, SageMaker Developer Guide, "Callback step"):
``{"token", "pipelineExecutionArn", "arguments"}``, and the same again with ``"status": "Stopping"``
when the execution is asked to stop (API reference, "StopPipelineExecution"). SQS delivers at least
once, so recording a message twice changes nothing. The SQS-triggered Lambda and
``topic-curator sagemaker poll`` both call ``consume``; this path imports no pandas, numpy or torch,
so the Lambda stays a small zip.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.approvals import Approval, approval_key, load_approval, pending_approvals, save_approval
from backend.callbacks import TOKEN, CallbackClient
from backend.decisions import answer_for_system
from backend.errors import CuratorError
from backend.runs import RunRecord, StepState, load_run, run_key, save_run, step_names
from backend.settings import Settings
from backend.store import ArtifactStore

logger = logging.getLogger(__name__)


class UnreadableMessage(CuratorError):
    """A queue message that is not a CallbackStep message this pipeline sends."""


@dataclass(frozen=True)
class CallbackMessage:
    token: str
    execution_arn: str
    arguments: dict[str, Any]
    status: str = "Executing"

    @property
    def run_id(self) -> str:
        return str(self.arguments["run_id"])

    @property
    def layer(self) -> int:
        return int(self.arguments["layer"])


@dataclass
class Consumed:
    """What became of a batch of queue messages, by message id."""

    recorded: list[Approval] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (message id, why)
    failed: list[str] = field(default_factory=list)  # could not be recorded now: leave on the queue

    @property
    def stopping(self) -> bool:
        return any(a.stopping for a in self.recorded)


def parse_message(body: str) -> CallbackMessage:
    """The CallbackStep message in an SQS body, or UnreadableMessage saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise UnreadableMessage(f"The message is not JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise UnreadableMessage("The message is not a JSON object.")
    token, arguments = str(data.get("token", "")), data.get("arguments")
    if not TOKEN.match(token):
        raise UnreadableMessage(f"The message has no valid callback token ({token[:20]!r}).")
    if not isinstance(arguments, dict) or "run_id" not in arguments or "layer" not in arguments:
        raise UnreadableMessage("The message's arguments name no run_id and layer.",
                                "Check the CallbackStep's inputs in the pipeline definition.")
    try:
        int(arguments["layer"])
    except (TypeError, ValueError):
        raise UnreadableMessage(f"The message's layer {arguments['layer']!r} is not a number.") from None
    return CallbackMessage(token, str(data.get("pipelineExecutionArn", "")), arguments,
                           str(data.get("status") or "Executing"))


def record_callback(store: ArtifactStore, message: CallbackMessage) -> Approval:
    """Record the message as the pending approval of its curate step (idempotent per token)."""
    step = f"curate-layer{message.layer}"
    arguments = {**message.arguments, "pipelineExecutionArn": message.execution_arn, "callback_status": message.status}
    if store.exists(approval_key(message.run_id, step)):
        existing = load_approval(store, message.run_id, step)
        if existing.token == message.token:
            if message.status == "Stopping" and not existing.stopping:
                existing.arguments["callback_status"] = "Stopping"
                save_approval(store, existing)
            return existing  # SQS delivered it again
        logger.info("run %s %s: a new callback token replaces %s", message.run_id, step, existing.token)
    approval = Approval(run_id=message.run_id, step=step, layer=message.layer, token=message.token, arguments=arguments)
    save_approval(store, approval)
    _mark_waiting(store, message.run_id, step)
    return approval


def consume(store: ArtifactStore, messages: list[tuple[str, str]]) -> Consumed:
    """Record each (message id, body); sort out the unreadable and the ones to retry later."""
    consumed = Consumed()
    for message_id, body in messages:
        try:
            consumed.recorded.append(record_callback(store, parse_message(body)))
        except UnreadableMessage as exc:
            logger.error("callback message %s is unreadable: %s", message_id, exc.problem)
            consumed.unreadable.append((message_id, exc.problem))
        except CuratorError as exc:  # the store could not be written: SQS delivers it again
            logger.error("callback message %s not recorded: %s", message_id, exc.problem)
            consumed.failed.append(message_id)
    return consumed


def poll_queue(store: ArtifactStore, sqs: Any, queue_url: str, wait_seconds: int = 10, max_messages: int = 10,
               dead_letter_url: str = "") -> Consumed:
    """One long poll: record the messages, then delete those recorded or unreadable (the unreadable
    go to ``dead_letter_url`` first when there is one); the rest come back after their visibility timeout."""
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_seconds)
    received = {m["MessageId"]: m for m in response.get("Messages", [])}
    consumed = consume(store, [(i, m["Body"]) for i, m in received.items()])
    for message_id, why in consumed.unreadable:
        if dead_letter_url:
            dead_letter(sqs, dead_letter_url, received[message_id]["Body"], why)
    for message_id, message in received.items():
        if message_id not in consumed.failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return consumed


def dead_letter(sqs: Any, queue_url: str, body: str, why: str) -> None:
    """Keep an unreadable message, with the reason, in the dead-letter queue for someone to look at."""
    sqs.send_message(QueueUrl=queue_url, MessageBody=body,
                     MessageAttributes={"problem": {"DataType": "String", "StringValue": why[:1024]}})


def answer_stopping(store: ArtifactStore, callbacks: CallbackClient,
                    reason: str = "The pipeline execution is stopping.") -> list[Approval]:
    """Answer every approval whose execution asked to stop (its CallbackStep cannot end otherwise).

    One approval's failure is logged and does not keep the others from being answered.
    """
    return _answer_each([a for a in pending_approvals(store) if a.stopping], reason, "system", store, callbacks)


def expire_overdue(store: ArtifactStore, callbacks: CallbackClient, deadline: timedelta,
                   clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Approval]:
    """Answer with failure every SageMaker approval that has waited longer than ``deadline``."""
    overdue = [a for a in pending_approvals(store)
               if a.on_sagemaker and clock() - datetime.fromisoformat(a.created_at) > deadline]
    return _answer_each(overdue, f"No approval within {deadline}; the step timed out.", "deadline", store, callbacks)


def _answer_each(approvals: list[Approval], reason: str, by: str, store: ArtifactStore,
                 callbacks: CallbackClient) -> list[Approval]:
    answered = []
    for approval in approvals:
        try:
            answered.append(answer_for_system(store, approval, reason, by, callbacks))
        except CuratorError as exc:
            logger.error("run %s %s not answered: %s", approval.run_id, approval.step, exc.problem)
    return answered


def _mark_waiting(store: ArtifactStore, run_id: str, step: str) -> None:
    """Show the SageMaker execution in the app's run list, waiting at ``step``."""
    if store.exists(run_key(run_id)):
        record = load_run(store, run_id)
    else:
        record = RunRecord(run_id=run_id, settings=Settings().to_dict(), input={"source": "SageMaker"},
                           steps={name: StepState() for name in step_names(3)}, runs_on="sagemaker")
    for name, state in record.steps.items():
        if name == step:
            break
        if state.status in {"pending", "running"}:
            state.status = "done"
    record.steps[step].status, record.steps[step].detail = "waiting", "waiting for approval (SageMaker callback)"
    record.status = "waiting"
    save_run(store, record)
