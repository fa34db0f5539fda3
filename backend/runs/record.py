"""The run record (``runs/<run_id>/run.json``): status, settings and the state of every step.

Steps run in a fixed order; each is recorded ``done`` only after its artifacts are written, so a
run killed mid-way resumes at the first step that is not done.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from backend.clock import now
from backend.errors import RunStateError, StoreError
from backend.runs.step_id import StepId, run_steps
from backend.settings import Settings, settings_from_dict
from backend.store import ArtifactStore
from backend.store.layout import RUNS, run_ids, run_key

StepStatus = Literal["pending", "running", "done", "waiting", "skipped", "failed", "rejected"]
RunStatus = Literal["running", "waiting", "completed", "failed", "rejected"]
# Where a run's steps execute: this machine (resumed by the local runner) or SageMaker Pipelines
# (answered through the callback API, never resumed here).
RunsOn = Literal["local", "sagemaker"]
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class StepState:
    status: StepStatus = "pending"
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    detail: str = ""


@dataclass
class RunRecord:
    run_id: str
    settings: dict[str, Any]
    status: RunStatus = "running"
    created_at: str = field(default_factory=lambda: now())
    updated_at: str = field(default_factory=lambda: now())
    input: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepState] = field(default_factory=dict)
    error: str | None = None
    runs_on: RunsOn = "local"

    @property
    def typed_settings(self) -> Settings:
        return settings_from_dict(self.settings)

    @property
    def waiting_step(self) -> StepId | None:
        return StepId.parse(self.waiting_at) if self.waiting_at else None

    @property
    def waiting_at(self) -> str | None:
        return next((name for name, s in self.steps.items() if s.status == "waiting"), None)

    @property
    def next_step(self) -> str | None:
        return next((name for name, s in self.steps.items() if s.status not in {"done", "skipped"}), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["waiting_at"] = self.waiting_at
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        data = {k: v for k, v in data.items() if k != "waiting_at"}
        data["steps"] = {name: StepState(**state) for name, state in data.get("steps", {}).items()}
        return cls(**data)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def create_run(store: ArtifactStore, settings: Settings, run_id: str | None = None, input_info: dict | None = None,
               runs_on: RunsOn = "local") -> RunRecord:
    run_id = run_id or new_run_id()
    if not RUN_ID_PATTERN.match(run_id):
        raise RunStateError(
            f"Run id {run_id!r} is not usable.",
            "Use letters, digits, '.', '_' or '-' (at most 64 characters), starting with a letter or digit.",
        )
    record = RunRecord(
        run_id=run_id,
        settings=settings.to_dict(),
        input=input_info or {},
        steps={str(step): StepState() for step in run_steps(settings.n_layers)},
        runs_on=runs_on,
    )
    store.write_json(run_key(run_id), record.to_dict(), if_absent=True)
    return record


def load_run(store: ArtifactStore, run_id: str) -> RunRecord:
    if not store.exists(run_key(run_id)):
        known = ", ".join(list_run_ids(store)[-5:]) or "none yet"
        raise RunStateError(
            f"There is no run {run_id!r} in {store.uri()}.",
            f"Check the run id and --store (recent runs there: {known}).",
        )
    return RunRecord.from_dict(store.read_json(run_key(run_id)))


def save_run(store: ArtifactStore, record: RunRecord) -> None:
    record.updated_at = now()
    store.write_json(run_key(record.run_id), record.to_dict())


def list_run_ids(store: ArtifactStore) -> list[str]:
    try:
        keys = store.list(RUNS)
    except StoreError:
        return []
    return run_ids(keys)
