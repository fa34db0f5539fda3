"""Pending approvals: where a run waits for people (``runs/<run_id>/approvals/<step>.json``).

Locally a curate step records one here and the run stops; on SageMaker the same record is made
from the CallbackStep's SQS message. Either way the app and the CLI see one inbox.

An approval is answered once per token: the answer is first *claimed* with a conditional write
(``answers/<step>.<token>.json``), so two clicks, two tabs, or an Approve and a Reject
at the same moment leave exactly one answer; the approval's status changes only once that answer
has taken effect (on SageMaker: once SageMaker accepted it).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from backend.clock import now
from backend.errors import AlreadyExistsError, RunStateError
from backend.runs.record import list_run_ids
from backend.store import ArtifactStore
from backend.store.layout import answer_key, approval_key, approvals_prefix, is_approval_key, resume_key

# "closed": SageMaker no longer waits for an answer (the execution stopped or was answered elsewhere).
ApprovalStatus = Literal["pending", "approved", "rejected", "closed"]
Decision = Literal["approved", "rejected"]
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

    @property
    def execution_arn(self) -> str:
        """The SageMaker pipeline execution waiting on this approval ('' for a local run)."""
        return str(self.arguments.get("pipelineExecutionArn") or "")

    @property
    def on_sagemaker(self) -> bool:
        return bool(self.execution_arn)

    @property
    def stopping(self) -> bool:
        return self.arguments.get("callback_status") == "Stopping"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """One answer to one approval token: who decided what, and with which mapping version or reason."""

    token: str
    decision: Decision
    by: str
    at: str = field(default_factory=now)
    mapping_version: int | None = None
    reason: str | None = None

    def same_as(self, other: "Answer") -> bool:
        return (self.decision, self.mapping_version, self.reason) == (other.decision, other.mapping_version, other.reason)

    def describe(self) -> str:
        what = f"version {self.mapping_version}" if self.decision == "approved" else f"reason {self.reason!r}"
        return f"{self.decision} ({what}) by {self.by} at {self.at}"


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


def save_approval(store: ArtifactStore, approval: Approval) -> None:
    store.write_json(approval_key(approval.run_id, approval.step), approval.to_dict())


def record_decision(store: ArtifactStore, approval: Approval, status: ApprovalStatus, decided_by: str,
                    mapping_version: int | None = None, reason: str | None = None) -> Approval:
    approval.status = status
    approval.decided_by = decided_by
    approval.decided_at = now()
    approval.mapping_version = mapping_version
    approval.reason = reason
    save_approval(store, approval)
    return approval


def claim_answer(store: ArtifactStore, approval: Approval, answer: Answer) -> Answer:
    """Make ``answer`` the one answer to the approval's token, or return the same answer claimed
    before (a retry). A different answer claimed first is refused, naming it."""
    key = answer_key(approval.run_id, approval.step, approval.token)
    try:
        store.write_json(key, asdict(answer), if_absent=True)
        return answer
    except AlreadyExistsError:
        existing = load_answer(store, approval)
    if existing is not None and existing.same_as(answer):
        return existing
    raise RunStateError(
        f"{approval.step} of run {approval.run_id} was already {existing.describe() if existing else 'answered'}.",
        "Nothing was changed. Reload to see the run's state; pressing the same button again retries that answer.",
    )


def claim_resume(store: ArtifactStore, approval: Approval) -> bool:
    """True for exactly one caller per token: the one that resumes a local run after its approval."""
    try:
        store.write_json(resume_key(approval.run_id, approval.step, approval.token), {"at": now()}, if_absent=True)
        return True
    except AlreadyExistsError:
        return False


def load_answer(store: ArtifactStore, approval: Approval) -> Answer | None:
    key = answer_key(approval.run_id, approval.step, approval.token)
    return Answer(**store.read_json(key)) if store.exists(key) else None


def pending_approvals(store: ArtifactStore) -> list[Approval]:
    """Every approval still waiting, oldest first, across all runs in the store."""
    found = []
    for run_id in list_run_ids(store):
        for key in store.list(approvals_prefix(run_id)):
            if is_approval_key(key):
                approval = Approval(**store.read_json(key))
                if approval.status == "pending":
                    found.append(approval)
    return sorted(found, key=lambda a: a.created_at)
