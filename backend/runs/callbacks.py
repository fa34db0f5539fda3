"""SageMaker's callback API, the only door back into a waiting pipeline (boto3 lives here).

``SendPipelineExecutionStepSuccess`` resumes a CallbackStep with output parameters;
``SendPipelineExecutionStepFailure`` stops it with a reason. Limits from the API reference are
checked before calling (token: 10 letters or digits; at most 50 output parameters, names up to
256 and values up to 1,024 characters; a reason up to 256). Each call goes to the region named
in the execution's ARN, with a ``ClientRequestToken`` derived from (execution, step, token): the
same answer sent twice is one request for SageMaker. Throttling is retried with backoff; the
other refusals become errors that say what happened and what to do.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

from backend.errors import CuratorError
from backend.runs.approvals import Approval

TOKEN = re.compile(r"^[A-Za-z0-9]{10}$")
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):\d{12}:pipeline/")
MAX_PARAMETERS, MAX_NAME, MAX_VALUE, MAX_REASON = 50, 256, 1024, 256
RETRYABLE = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceUnavailable",
             "InternalFailure", "RequestLimitExceeded"}


class CallbackError(CuratorError):
    """SageMaker did not take the answer; nothing changed there, and the same answer can be sent again."""


class CallbackGone(CallbackError):
    """SageMaker no longer waits for this answer (the execution stopped, or the token expired)."""


class AnsweredElsewhere(CallbackError):
    """SageMaker already has an answer for this step, sent from outside this approval."""


def callback_step_name(layer: int) -> str:
    """The pipeline's CallbackStep for a layer (pipeline/definition.py names them so)."""
    return f"CurateLayer{layer}"


def region_of(execution_arn: str) -> str:
    match = ARN_REGION.match(execution_arn)
    if not match:
        raise CallbackError(f"{execution_arn!r} is not a SageMaker pipeline execution ARN.",
                            "The approval did not come from a SageMaker CallbackStep message.")
    return match.group(1)


def client_request_token(execution_arn: str, step: str, token: str) -> str:
    """One request per callback token, however often it is retried."""
    return hashlib.sha256(f"{execution_arn}|{step}|{token}".encode()).hexdigest()


class CallbackClient:
    """Answers CallbackSteps; ``client_for(region)`` gives a SageMaker client (boto3's by default)."""

    def __init__(self, client_for: Callable[[str], Any] | None = None, attempts: int = 5, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client_for = client_for or _boto3_client
        self.attempts, self.backoff, self.sleep = attempts, backoff, sleep

    def succeed(self, approval: Approval, outputs: dict[str, str]) -> None:
        _check_token(approval.token)
        if len(outputs) > MAX_PARAMETERS:
            raise CallbackError(f"{len(outputs)} output parameters; SageMaker takes at most {MAX_PARAMETERS}.")
        for name, value in outputs.items():
            if not 0 < len(name) <= MAX_NAME or len(value) > MAX_VALUE:
                raise CallbackError(f"Output parameter {name[:40]!r} is too long (name <= {MAX_NAME}, "
                                    f"value <= {MAX_VALUE} characters).",
                                    "Use a shorter store prefix (sagemaker.store).")
        self._call("send_pipeline_execution_step_success", approval,
                   OutputParameters=[{"Name": k, "Value": v} for k, v in outputs.items()])

    def fail(self, approval: Approval, reason: str) -> None:
        _check_token(approval.token)
        self._call("send_pipeline_execution_step_failure", approval, FailureReason=reason.strip()[:MAX_REASON])

    def step_status(self, approval: Approval) -> str:
        """What SageMaker says of the approval's CallbackStep now ('' when it cannot say)."""
        client = self._client_for(region_of(approval.execution_arn))
        try:
            steps = client.list_pipeline_execution_steps(PipelineExecutionArn=approval.execution_arn)
        except Exception:  # the question is a courtesy; the caller goes on without an answer
            return ""
        name = callback_step_name(approval.layer)
        return next((s.get("StepStatus", "") for s in steps.get("PipelineExecutionSteps", []) if s["StepName"] == name), "")

    def _call(self, operation: str, approval: Approval, **params: Any) -> None:
        client = self._client_for(region_of(approval.execution_arn))
        params.update(CallbackToken=approval.token,
                      ClientRequestToken=client_request_token(approval.execution_arn, approval.step, approval.token))
        for attempt in range(1, self.attempts + 1):
            try:
                getattr(client, operation)(**params)
                return
            except Exception as exc:
                code = _error_code(exc)
                if code in RETRYABLE and attempt < self.attempts:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise _explain(code, exc, approval) from exc


def _boto3_client(region: str) -> Any:
    import boto3

    return boto3.client("sagemaker", region_name=region)


def _check_token(token: str) -> None:
    if not TOKEN.match(token or ""):
        raise CallbackError(f"Callback token {token!r} is not 10 letters or digits.",
                            "The approval did not come from a SageMaker CallbackStep message.")


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _explain(code: str, exc: Exception, approval: Approval) -> CallbackError:
    where = f"{approval.step} of run {approval.run_id}"
    if code == "ResourceNotFound":
        return CallbackGone(f"SageMaker no longer waits at {where} (the execution stopped, or its token expired).",
                            "Nothing was sent. Start a new execution if the run should go on.")
    if code == "ConflictException":
        return AnsweredElsewhere(f"SageMaker already has an answer for {where}.",
                                 "Nothing was sent. See the execution in SageMaker Studio.")
    return CallbackError(f"SageMaker did not take the answer for {where}: {exc}",
                         "Nothing was recorded. Check your AWS credentials and permissions "
                         "(README, 'AWS set-up'), then press the same button again to resend it.")
