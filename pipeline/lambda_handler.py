"""AWS Lambda entry point for the CallbackSteps' SQS queue.

Each message becomes a pending approval in the run's store (``TOPIC_CURATOR_STORE``, an s3://
URI); SQS may deliver a message twice, which changes nothing. Messages that cannot be recorded are
reported back as batch item failures so SQS retries only those. A message whose execution is
stopping is answered at once (the CallbackStep cannot stop until someone answers).
"""

from __future__ import annotations

import os
from typing import Any

from backend.approvals_aws import CallbackClient, answer_stopping, consume_messages
from backend.store import open_store


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    store = open_store(os.environ["TOPIC_CURATOR_STORE"])
    messages = [{"messageId": r.get("messageId", ""), "body": r.get("body", "")} for r in event.get("Records", [])]
    recorded, failed = consume_messages(store, messages)
    if any(a.arguments.get("callback_status") == "Stopping" for a in recorded):
        answer_stopping(store, CallbackClient())
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
