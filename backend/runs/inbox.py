"""The SageMaker inbox: CallbackStep messages from SQS become pending approvals in the run's store.

A CallbackStep puts a JSON body on its queue (AWS, SageMaker Developer Guide, "Callback step"):
``{"token", "pipelineExecutionArn", "arguments"}``, and the same again with a ``"Status"`` field set
to ``"Stopping"`` when the execution is asked to stop (API reference, "StopPipelineExecution"; read
in either case). SQS delivers at least once and not in order, so recording a message twice changes
nothing, and an older message never replaces a newer token. The SQS-triggered Lambda and
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

from backend.errors import CuratorError
from backend.runs.approvals import Approval, load_approval, pending_approvals, save_approval
from backend.runs.callbacks import TOKEN, CallbackClient
from backend.runs.decisions import answer_for_system
from backend.runs.record import RunRecord, StepState, load_run, save_run
from backend.runs.step_id import StepId, run_steps
from backend.settings import Settings
from backend.store import ArtifactStore
from backend.store.layout import approval_key, run_key

logger = logging.getLogger(__name__)


class UnreadableMessage(CuratorError):
    """A queue message that is not a CallbackStep message this pipeline sends."""


@dataclass(frozen=True)
class QueueMessage:
    """One SQS message: its id, its body, and when SQS received it (SentTimestamp, ms; 0 if unknown)."""

    id: str
    body: str
    sent_at: int = 0


@dataclass(frozen=True)
class CallbackMessage:
    token: str
    execution_arn: str
    arguments: dict[str, Any]
    status: str = "Executing"
    sent_at: int = 0

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


def parse_message(body: str, sent_at: int = 0) -> CallbackMessage:
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
    if str(arguments["layer"]) not in {"1", "2", "3"}:
        raise UnreadableMessage(f"The message's layer {arguments['layer']!r} is not 1, 2 or 3.")
    status = data.get("Status") or data.get("status") or "Executing"
    return CallbackMessage(token, str(data.get("pipelineExecutionArn", "")), arguments, str(status), sent_at)


def record_callback(store: ArtifactStore, message: CallbackMessage) -> Approval:
    """Record the message as the pending approval of its curate step (idempotent per token)."""
    step = str(StepId.curate(message.layer))
    arguments = {**message.arguments, "pipelineExecutionArn": message.execution_arn, "callback_status": message.status,
                 "sent_at": message.sent_at}
    if store.exists(approval_key(message.run_id, step)):
        existing = load_approval(store, message.run_id, step)
        if existing.token == message.token:
            if message.status == "Stopping" and not existing.stopping:
                existing.arguments["callback_status"] = "Stopping"
                save_approval(store, existing)
            return existing  # SQS delivered it again
        if message.sent_at < int(existing.arguments.get("sent_at") or 0):
            logger.info("run %s %s: an older message (token %s) arrived late; kept %s",
                        message.run_id, step, message.token, existing.token)
            return existing
        logger.info("run %s %s: a new callback token replaces %s", message.run_id, step, existing.token)
    approval = Approval(run_id=message.run_id, step=step, layer=message.layer, token=message.token, arguments=arguments)
    save_approval(store, approval)
    _mark_waiting(store, message.run_id, step)
    return approval


def consume(store: ArtifactStore, messages: list[QueueMessage]) -> Consumed:
    """Record each message; sort out the unreadable and the ones to retry later."""
    consumed = Consumed()
    for message in messages:
        try:
            consumed.recorded.append(record_callback(store, parse_message(message.body, message.sent_at)))
        except UnreadableMessage as exc:
            logger.error("callback message %s is unreadable: %s", message.id, exc.problem)
            consumed.unreadable.append((message.id, exc.problem))
        except Exception as exc:  # the store could not be written, say: SQS delivers it again
            logger.error("callback message %s not recorded: %s", message.id, getattr(exc, "problem", exc))
            consumed.failed.append(message.id)
    return consumed


def poll_queue(store: ArtifactStore, sqs: Any, queue_url: str, wait_seconds: int = 10, max_messages: int = 10,
               dead_letter_url: str = "") -> Consumed:
    """One long poll: record the messages, then delete those recorded, and the unreadable once they
    are in ``dead_letter_url`` (or logged, without one); the rest come back after their visibility timeout."""
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_seconds,
                                   AttributeNames=["SentTimestamp"])
    received = {m["MessageId"]: m for m in response.get("Messages", [])}
    messages = [QueueMessage(i, m["Body"], int(m.get("Attributes", {}).get("SentTimestamp", 0))) for i, m in received.items()]
    consumed = consume(store, messages)
    keep = set(consumed.failed) | set(dead_letter_unreadable(sqs, dead_letter_url, consumed, messages)
                                      if dead_letter_url else [])
    for message_id, message in received.items():
        if message_id not in keep:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return consumed


def dead_letter_unreadable(sqs: Any, queue_url: str, consumed: Consumed, messages: list[QueueMessage]) -> list[str]:
    """Keep each unreadable message, with the reason, in the dead-letter queue for someone to look
    at; return the ids that could not be sent there (they stay on their queue)."""
    bodies = {m.id: m.body for m in messages}
    kept = []
    for message_id, why in consumed.unreadable:
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=bodies[message_id],
                             MessageAttributes={"problem": {"DataType": "String", "StringValue": why[:1024]}})
        except Exception as exc:
            logger.error("message %s not dead-lettered: %s", message_id, exc)
            kept.append(message_id)
    return kept


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
        except Exception as exc:  # one approval's trouble must not keep the others waiting
            logger.error("run %s %s not answered: %s", approval.run_id, approval.step, getattr(exc, "problem", exc))
    return answered


def _mark_waiting(store: ArtifactStore, run_id: str, step: str) -> None:
    """Show the SageMaker execution in the app's run list, waiting at ``step``."""
    if store.exists(run_key(run_id)):
        record = load_run(store, run_id)
    else:
        record = RunRecord(run_id=run_id, settings=Settings().to_dict(), input={"source": "SageMaker"},
                           steps={str(s): StepState() for s in run_steps(3)}, runs_on="sagemaker")
    for name, state in record.steps.items():
        if name == step:
            break
        if state.status in {"pending", "running"}:
            state.status = "done"
    record.steps[step].status, record.steps[step].detail = "waiting", "waiting for approval (SageMaker callback)"
    record.status = "waiting"
    save_run(store, record)
