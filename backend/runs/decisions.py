"""The one approval route: every Approve and Reject goes through ``approve`` or ``reject`` here,
from the app, the command line, ``--auto-approve`` and the SageMaker inbox alike.

Where the run waits decides, in this one place, what an answer does:
- **a local run**: the decision is recorded and the caller resumes the run (``Outcome.resume_locally``);
- **a SageMaker run**: the answer goes to the waiting CallbackStep, and the decision is recorded only
  after SageMaker accepted it. A failed call leaves the approval pending with the same answer ready
  to be sent again. A SageMaker run is never resumed on this machine.

Every answer is first claimed per callback token (``approvals.claim_answer``), so it is given and
sent once, whoever presses which button when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.clock import now
from backend.errors import RunStateError
from backend.runs.approvals import (
    Answer,
    Approval,
    claim_answer,
    claim_resume,
    load_answer,
    load_approval,
    record_decision,
)
from backend.runs.callbacks import MAX_REASON, AnsweredElsewhere, CallbackClient, CallbackGone
from backend.runs.record import RunRecord, load_run, save_run
from backend.runs.step_id import StepId
from backend.settings import Settings
from backend.store.layout import approval_key, version_key

if TYPE_CHECKING:
    from backend.curation.mapping import Mapping

# Mappings and layers (pandas) are imported by the functions that approve, so the reject path that
# the inbox's Lambda runs for a stopping execution stays free of pandas.

# The CallbackStep's output parameter: where the approved mapping is (pipeline/definition.py reads it).
OUTPUT_NAME = "approved_mapping"


@dataclass(frozen=True)
class Outcome:
    approval: Approval
    mapping: Mapping | None  # the approved mapping; None for a rejection
    resume_locally: bool  # the caller resumes the run on this machine (never for SageMaker runs)


def check_may_decide(user: str, settings: Settings) -> None:
    """Approvals record who made them, and ``app.approvers`` (when set) says who may."""
    if not user.strip():
        raise RunStateError("Enter your name first: approvals record who made them.")
    allowed = [a.lower() for a in settings.app.approvers]
    if allowed and user.strip().lower() not in allowed:
        raise RunStateError(f"{user} is not on the approver list.",
                            f"Ask one of {', '.join(settings.app.approvers)} to approve.")


def approve(store, run_id: str, user: str, settings: Settings, *, layer: int | None = None,
            version: int | None = None, mapping: Mapping | None = None, how: str = "",
            callbacks: CallbackClient | None = None) -> Outcome:
    """Approve the layer the run waits at: ``mapping`` (saved as a new version first), the saved
    ``version`` the person was shown, or else the latest saved version."""
    check_may_decide(user, settings)
    record, approval, claimed = _waiting(store, run_id, layer)
    if approval.stopping and not claimed:
        raise RunStateError(f"The SageMaker execution of run {run_id} is stopping: there is nothing to approve.",
                            "Run topic-curator sagemaker poll (or let the Lambda do it) to let it stop.")
    chosen = _mapping_to_approve(store, approval, claimed, version, mapping, user)
    answer = claim_answer(store, approval, Answer(approval.token, "approved", user, mapping_version=chosen.version))
    if approval.on_sagemaker and approval.status == "pending":
        uri = store.uri(version_key(run_id, approval.layer, chosen.version))
        _send(store, record, approval, answer, claimed is not None,
              lambda client: client.succeed(approval, {OUTPUT_NAME: uri}), callbacks)
    where = "sent to SageMaker" if approval.on_sagemaker else how or "resumed here"
    approved = _record_approved(store, record, approval, answer, chosen, where)
    return Outcome(approval, approved, resume_locally=not approval.on_sagemaker and claim_resume(store, approval))


def reject(store, run_id: str, user: str, reason: str, settings: Settings, *, layer: int | None = None,
           callbacks: CallbackClient | None = None) -> Outcome:
    """Reject the layer the run waits at; the run stops (on SageMaker: the execution fails)."""
    check_may_decide(user, settings)
    if not reason.strip():
        raise RunStateError("A rejection needs a reason.", "Say why (at most 256 characters).")
    record, approval, claimed = _waiting(store, run_id, layer)
    answer = claim_answer(store, approval, Answer(approval.token, "rejected", user, reason=reason.strip()[:MAX_REASON]))
    return Outcome(_reject_claimed(store, record, approval, answer, claimed is not None, callbacks), None, False)


def answer_for_system(store, approval: Approval, reason: str, by: str, callbacks: CallbackClient | None = None) -> Approval:
    """Answer on the system's behalf (a stopping execution, a missed deadline), so the CallbackStep
    can end: a failure with ``reason``, or the answer someone already claimed, resent as it is."""
    record = load_run(store, approval.run_id)
    claimed = load_answer(store, approval)
    if claimed is None or claimed.decision == "rejected":
        answer = claimed or claim_answer(store, approval, Answer(approval.token, "rejected", by, reason=reason[:MAX_REASON]))
        return _reject_claimed(store, record, approval, answer, claimed is not None, callbacks)
    uri = store.uri(version_key(approval.run_id, approval.layer, claimed.mapping_version))
    _send(store, record, approval, claimed, True, lambda client: client.succeed(approval, {OUTPUT_NAME: uri}), callbacks)
    # The approval was sent; whoever runs next (a training job, or nobody if the execution stops)
    # records it as approved from the mapping it was given (settle_from_pipeline).
    return record_decision(store, approval, "closed", by, mapping_version=claimed.mapping_version,
                           reason=f"{reason} The approval claimed earlier was sent: {claimed.describe()}.")


def settle_from_pipeline(store, run_id: str, mapping: Mapping) -> Mapping:
    """The pipeline went past ``mapping``'s curate step with it, so SageMaker accepted that answer:
    make the store say so, in case the approver stopped between SageMaker's acceptance and the record."""
    from backend.curation.versions import load_approved, write_approved

    existing = load_approved(store, run_id, mapping.layer)
    if existing is not None:
        if existing.version != mapping.version:
            raise RunStateError(f"The pipeline was given version {mapping.version} of layer {mapping.layer}, "
                                f"but version {existing.version} is recorded as approved.",
                                "Check who answered the CallbackStep outside topic-curator.")
        return existing
    step = str(StepId.curate(mapping.layer))
    if not store.exists(approval_key(run_id, step)):  # answered before the inbox recorded the message
        return write_approved(store, mapping, "SageMaker callback")
    record, approval = load_run(store, run_id), load_approval(store, run_id, step)
    claimed = load_answer(store, approval)
    by = claimed.by if claimed and claimed.mapping_version == mapping.version else "SageMaker callback"
    answer = Answer(approval.token, "approved", by, mapping_version=mapping.version)
    return _record_approved(store, record, approval, answer, mapping, "sent to SageMaker")


def finish_decided(store, run_id: str) -> RunRecord:
    """Finish the decision a process claimed and then died before recording in full, so a local run
    never waits for a decision already made. Each write is idempotent, so finishing twice is harmless.

    A SageMaker run is left as it is: its answer counts once SageMaker took it, and
    ``answer_for_system`` or pressing the button again resends it.
    """
    from backend.curation.versions import load_version

    record = load_run(store, run_id)
    step = record.waiting_at
    if step is None or record.runs_on != "local" or not store.exists(approval_key(run_id, step)):
        return record
    approval = load_approval(store, run_id, step)
    answer = load_answer(store, approval)
    if answer is None:
        return record
    if answer.decision == "rejected":
        _reject_claimed(store, record, approval, answer, True, None)
    else:
        mapping = load_version(store, run_id, approval.layer, answer.mapping_version)
        _record_approved(store, record, approval, answer, mapping, "finished after an interruption")
    return record


# Internals --------------------------------------------------------------------------------------

# What a CallbackStep's status is once SageMaker took each answer (ListPipelineExecutionSteps).
TAKEN = {"approved": "Succeeded", "rejected": "Failed"}


def _waiting(store, run_id: str, layer: int | None) -> tuple[RunRecord, Approval, Answer | None]:
    """The run's waiting approval and the answer claimed for it so far, if any.

    An approval already decided is returned only with the answer claimed for it, so that pressing
    the same button again completes what a crash interrupted.
    """
    record = load_run(store, run_id)
    step = record.waiting_at
    if layer is not None and step != str(StepId.curate(layer)):
        _refuse_other_layer(store, record, layer)
    if step is None:
        raise RunStateError(f"Run {run_id} is not waiting for an approval (status: {record.status}).",
                            f"Reload, or see topic-curator status {run_id}.")
    approval = load_approval(store, run_id, step)
    claimed = load_answer(store, approval)
    if approval.status != "pending" and not (claimed and claimed.decision == approval.status):
        raise RunStateError(f"Layer {approval.layer} of run {run_id} was already {approval.status} by "
                            f"{approval.decided_by} at {approval.decided_at}.", "Nothing to do: see topic-curator status.")
    return record, approval, claimed


def _refuse_other_layer(store, record: RunRecord, layer: int) -> None:
    """The person decides the layer they were shown; say who decided it if someone did first."""
    where = f"now waits at {record.waiting_at}" if record.waiting_at else f"is now {record.status}"
    step = str(StepId.curate(layer))
    if store.exists(approval_key(record.run_id, step)):
        seen = load_approval(store, record.run_id, step)
        answer = load_answer(store, seen)
        if answer is not None:
            raise RunStateError(f"Layer {layer} of run {record.run_id} was already {answer.describe()}; "
                                f"the run {where}.", "Nothing was changed. Reload to see where the run is now.")
    raise RunStateError(f"Run {record.run_id} {where}, not at layer {layer}.",
                        "Nothing was changed. Reload to see where the run is now.")


def _mapping_to_approve(store, approval: Approval, claimed: Answer | None, version: int | None,
                        mapping: Mapping | None, user: str) -> Mapping:
    from backend.curation.mapping import validate
    from backend.curation.versions import load_version, save_version
    from backend.topics.layer_result import load_layer

    run_id, layer = approval.run_id, approval.layer
    result = load_layer(store, run_id, layer)
    if mapping is not None and claimed is None:
        validate(mapping, result, run_id)  # before saving: an invalid mapping is never a version
        return save_version(store, mapping, user)
    chosen = load_version(store, run_id, layer, claimed.mapping_version if claimed else None)
    if version is not None and claimed is None and version > (chosen.version or 0):
        raise RunStateError(f"Layer {layer} of run {run_id} has no version {version}; the latest is {chosen.version}.",
                            "Nothing was approved. Name a saved version (topic-curator status shows the run).")
    if version is not None and chosen.version != version:
        raise RunStateError(
            f"{chosen.created_by or 'Someone'} saved version {chosen.version} of layer {layer} at "
            f"{chosen.created_at}, after you were shown version {version}.",
            "Nothing was approved. Reload and review the newer version first.")
    validate(chosen, result, run_id)
    return chosen


def _send(store, record: RunRecord, approval: Approval, answer: Answer, resending: bool,
          send: Callable[[CallbackClient], None], callbacks: CallbackClient | None) -> None:
    """Send one answer. When SageMaker no longer waits for it, a resend that SageMaker had in fact
    taken the first time goes on; otherwise the approval is closed with SageMaker's reason."""
    client = callbacks or CallbackClient()
    try:
        send(client)
    except (CallbackGone, AnsweredElsewhere) as exc:
        if resending and client.step_status(approval) == TAKEN[answer.decision]:
            return  # our earlier call went through before the process stopped
        record_decision(store, approval, "closed", "SageMaker", reason=exc.problem)
        _set_step(record, approval.step, "failed", exc.problem)
        record.status, record.error = "failed", f"{approval.step}: {exc.problem}"
        save_run(store, record)
        raise


def _record_approved(store, record: RunRecord, approval: Approval, answer: Answer, mapping: Mapping,
                     where: str) -> Mapping:
    """Each write here is idempotent, so a retry after a crash completes what the crash left."""
    from backend.curation.versions import write_approved

    approved = write_approved(store, mapping, answer.by)
    if approval.status != "approved":
        record_decision(store, approval, "approved", answer.by, mapping_version=mapping.version)
    _set_step(record, approval.step, "done", f"approved by {answer.by} (mapping version {mapping.version}); {where}")
    record.status, record.error = "running", None
    save_run(store, record)
    return approved


def _reject_claimed(store, record: RunRecord, approval: Approval, answer: Answer, resending: bool,
                    callbacks: CallbackClient | None) -> Approval:
    if approval.on_sagemaker and approval.status == "pending":
        _send(store, record, approval, answer, resending,
              lambda client: client.fail(approval, answer.reason or ""), callbacks)
    record_decision(store, approval, "rejected", answer.by, reason=answer.reason)
    _set_step(record, approval.step, "rejected", f"rejected by {answer.by}: {answer.reason}")
    record.status = "rejected"
    save_run(store, record)
    return approval


def _set_step(record: RunRecord, step: str, status: str, detail: str) -> None:
    state = record.steps[step]
    state.status, state.detail, state.finished_at = status, detail, now()
