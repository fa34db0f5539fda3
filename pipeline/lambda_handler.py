"""AWS Lambda entry point for the CallbackSteps' SQS queue (handler: ``pipeline.lambda_handler.handler``).

Each message becomes a pending approval in the run's store (``TOPIC_CURATOR_STORE``, an s3://
URI); SQS may deliver a message twice, which changes nothing. The event source mapping must have
``FunctionResponseTypes: [ReportBatchItemFailures]``: messages that could not be recorded now are
returned as ``batchItemFailures``, so SQS retries only those (AWS Lambda Developer Guide, "Handling
errors for an SQS event source in Lambda"). A message that is not a CallbackStep message is sent to
``TOPIC_CURATOR_DEAD_LETTER_QUEUE_URL`` with the reason and not retried; without that variable it is
reported as failed, and the queue's redrive policy moves it to its dead-letter queue after
``maxReceiveCount`` tries. A stopping execution is answered at once: its step cannot end otherwise.

The package holds this module and the backend modules it imports, and no pandas, NumPy or torch
(``python -m pipeline.lambda_package``); boto3 comes with the Lambda Python runtime.
"""

from __future__ import annotations

import os
from typing import Any

from backend.runs.callbacks import CallbackClient
from backend.runs.inbox import QueueMessage, answer_stopping, consume, dead_letter_unreadable
from backend.store import open_store


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    store = open_store(os.environ["TOPIC_CURATOR_STORE"])
    # The SQS event's records (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS").
    messages = [QueueMessage(r.get("messageId", ""), r.get("body", ""),
                             int(r.get("attributes", {}).get("SentTimestamp", 0))) for r in event.get("Records", [])]
    consumed = consume(store, messages)
    failed = list(consumed.failed)
    dead_letters = os.environ.get("TOPIC_CURATOR_DEAD_LETTER_QUEUE_URL", "")
    if dead_letters and consumed.unreadable:
        import boto3

        failed += dead_letter_unreadable(boto3.client("sqs"), dead_letters, consumed, messages)
    else:  # reported: the queue's redrive policy moves them to its dead-letter queue
        failed += [message_id for message_id, _ in consumed.unreadable]
    if consumed.stopping:
        answer_stopping(store, CallbackClient())
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
