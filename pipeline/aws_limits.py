"""SageMaker's request limits, read from botocore's own service model rather than copied numbers.

botocore checks types and required members before a call, but not maximum lengths or counts; the
service refuses those only when the pipeline creates the job, long after ``upsert`` said all was
well. ``limit_problems`` walks a request, as a pipeline definition step holds it, against the
operation's input shape and lists every string, list or map longer than the model allows.
Expressions resolved at run time (``{"Get": ...}``, ``{"Std:Join": ...}``) are passed over.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Pipeline step type -> the API call SageMaker makes with the step's Arguments.
STEP_OPERATIONS = {
    "Processing": "CreateProcessingJob",
    "Training": "CreateTrainingJob",
    "RegisterModel": "CreateModelPackage",
}


@cache
def operation_input(operation: str) -> Any:
    """The input shape of a SageMaker operation in botocore's service model."""
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker").operation_model(operation).input_shape


def limit_problems(operation: str, request: Any) -> list[str]:
    """Every value of ``request`` that breaks a length or count limit of ``operation``."""
    problems: list[str] = []
    _walk(operation_input(operation), request, operation, problems)
    return problems


def definition_problems(definition: dict) -> list[str]:
    """Limit problems of every job-creating step of a pipeline definition, named by step."""
    problems = []
    for step in definition.get("Steps", []):
        operation = STEP_OPERATIONS.get(step.get("Type", ""))
        if operation:
            problems += [f"step {step['Name']}: {p}" for p in limit_problems(operation, step.get("Arguments", {}))]
    return problems


def _is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in {"Get", "Std:Join", "Std:JsonGet"}


def _walk(shape: Any, value: Any, where: str, problems: list[str]) -> None:
    if value is None or _is_expression(value):
        return
    limit = shape.metadata.get("max")
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                _walk(shape.members[name], member, f"{where}.{name}", problems)
    elif shape.type_name == "list" and isinstance(value, list):
        if limit is not None and len(value) > limit:
            problems.append(f"{where} has {len(value)} items; SageMaker allows at most {limit}")
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{where}[{index}]", problems)
    elif shape.type_name == "map" and isinstance(value, dict):
        if limit is not None and len(value) > limit:
            problems.append(f"{where} has {len(value)} entries; SageMaker allows at most {limit}")
        for key, item in value.items():
            _walk(shape.key, key, f"{where} key {key[:40]!r}", problems)
            _walk(shape.value, item, f"{where}[{key[:40]!r}]", problems)
    elif shape.type_name == "string" and isinstance(value, str) and limit is not None and len(value) > limit:
        problems.append(f"{where} is {len(value)} characters; SageMaker allows at most {limit}")
