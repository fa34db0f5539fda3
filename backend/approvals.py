"""Pending approvals: where a run waits for people (``runs/<run_id>/approvals/<step>.json``).

Locally a curate step records one here and the run stops; on SageMaker the same record is made
from the CallbackStep's SQS message. Either way the app and the CLI see one inbox.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from backend.errors import RunStateError
from backend.runs import list_run_ids, now
from backend.store import ArtifactStore

ApprovalStatus = Literal["pending", "approved", "rejected"]
TOKEN_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Approval:
    run_id: str
    step: str
    layer: int
    # Exactly 10 characters [a-zA-Z0-9], like a SageMaker callback token.
    token: str
    arguments: dict[str, Any]
    status: ApprovalStatus = "pending"
    created_at: str = field(default_factory=now)
    decided_by: str | None = None
    decided_at: str | None = None
    mapping_version: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def approval_key(run_id: str, step: str) -> str:
    return f"runs/{run_id}/approvals/{step}.json"


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(10))


def record_pending(store: ArtifactStore, run_id: str, step: str, layer: int, arguments: dict[str, Any]) -> Approval:
    """Record that ``step`` waits for approval; an existing record for the step is kept as is."""
    key = approval_key(run_id, step)
    if store.exists(key):
        return load_approval(store, run_id, step)
    approval = Approval(run_id=run_id, step=step, layer=layer, token=new_token(), arguments=arguments)
    store.write_json(key, approval.to_dict(), if_absent=True)
    return approval


def load_approval(store: ArtifactStore, run_id: str, step: str) -> Approval:
    key = approval_key(run_id, step)
    if not store.exists(key):
        raise RunStateError(f"Run {run_id} has no approval for step {step}.")
    return Approval(**store.read_json(key))


def record_decision(
    store: ArtifactStore,
    approval: Approval,
    status: ApprovalStatus,
    decided_by: str,
    mapping_version: int | None = None,
    reason: str | None = None,
) -> Approval:
    approval.status = status
    approval.decided_by = decided_by
    approval.decided_at = now()
    approval.mapping_version = mapping_version
    approval.reason = reason
    store.write_json(approval_key(approval.run_id, approval.step), approval.to_dict())
    return approval


def pending_approvals(store: ArtifactStore) -> list[Approval]:
    """Every approval still waiting, oldest first, across all runs in the store."""
    found = []
    for run_id in list_run_ids(store):
        for key in store.list(f"runs/{run_id}/approvals"):
            if key.endswith(".json"):
                approval = Approval(**store.read_json(key))
                if approval.status == "pending":
                    found.append(approval)
    return sorted(found, key=lambda a: a.created_at)
