"""The local orchestrator: runs the steps in-process and stops where people must approve.

It lives in backend/ (not pipeline/) so the app can resume a run after an approval without
importing the command-line layer.

``start`` validates the input, creates the run and runs until the first curate step, where it
records a pending approval and returns. Approvals go through ``backend.runs.decisions``; after one, the
caller calls ``resume``. A step is recorded done only after its artifacts are written, so
``resume`` after a crash continues at the first unfinished step. With ``auto_approve`` every
curate step is approved by the documented automatic rule and the run goes through to the final
labels. Runs that execute on SageMaker are never resumed here.

Only one process runs a run's steps at a time: ``resume`` holds the run's lease
(``backend.runs.lease``) while it works, so a second process is refused, naming the first, and a
killed one's stale lease is taken over.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from backend.clock import Clock, now, utcnow
from backend.curation.versions import load_version
from backend.errors import CuratorError, RunStateError
from backend.runs import steps
from backend.runs.decisions import approve, finish_decided
from backend.runs.lease import STALE_SECONDS, RunLease, default_holder, holding
from backend.runs.record import RunRecord, create_run, load_run, save_run
from backend.runs.step_id import StepId
from backend.settings import Settings
from backend.store import ArtifactStore
from backend.store.base import parquet_parts_to_file, scratch_folder
from backend.store.layout import records_key
from backend.text.input_data import frame_parts, iter_table
from backend.topics.layer_result import load_layer, skipped_summary
from backend.topics.stages import check_stages

logger = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


class LocalRunner:
    def __init__(self, store: ArtifactStore, progress: Progress | None = None, auto_approve: bool = False,
                 user: str = "cli", clock: Clock = utcnow, stale_after: float = STALE_SECONDS) -> None:
        self.store = store
        self.progress = progress
        self.auto_approve = auto_approve
        self.user = user
        self.clock, self.stale_after = clock, stale_after

    # Entry points ----------------------------------------------------------------------------

    def start(self, records: pd.DataFrame | str | Path, settings: Settings, run_id: str | None = None) -> RunRecord:
        """Validate the input, create the run, and run it up to the first approval."""
        return self.resume(self.create(records, settings, run_id).run_id)

    def create(self, records: pd.DataFrame | str | Path, settings: Settings, run_id: str | None = None) -> RunRecord:
        """Validate the input and record the run with its own copy of the input (no step run yet)."""
        check_stages(settings.layer)
        if isinstance(records, pd.DataFrame):
            source, parts = str(records.attrs.get("source", "(data frame)")), frame_parts(records)
        else:
            source, parts = str(records), iter_table(records, settings.input.encoding)
        # Read and checked piece by piece into a local file first: a bad input creates no run.
        with tempfile.TemporaryDirectory(dir=scratch_folder()) as tmp:
            path = Path(tmp) / "records.parquet"
            n_records = parquet_parts_to_file(steps.validated_records(parts, settings), path)
            record = create_run(self.store, settings, run_id, {"source": source, "n_records": n_records})
            self.store.write_file(records_key(record.run_id), path)
        return record

    def resume(self, run_id: str) -> RunRecord:
        """Run every step that is not done yet, until the run waits, fails or completes."""
        record = load_run(self.store, run_id)
        if record.runs_on == "sagemaker":
            raise RunStateError(f"Run {run_id} runs on SageMaker Pipelines: its steps run there, not on this machine.",
                                f"Approve it with topic-curator approve {run_id} --store {self.store.uri()}; "
                                "follow it with topic-curator sagemaker status.")
        record = finish_decided(self.store, run_id)  # a decision a crash left half-written
        if record.status in {"rejected", "completed"}:
            return record
        lease = RunLease(self.store, run_id, f"{self.user} on {default_holder()}", self.clock, self.stale_after)
        with holding(lease):
            return self._resume_held(run_id, lease)

    def _resume_held(self, run_id: str, lease: RunLease) -> RunRecord:
        record = load_run(self.store, run_id)  # again: the previous holder may have moved it on
        settings = record.typed_settings
        while (name := record.next_step) is not None:
            lease.beat()  # stops here if another process took the run over
            state = record.steps[name]
            if state.status == "waiting":
                if not self.auto_approve:
                    if record.status != "waiting":  # a record from before steps and status were saved together
                        record.status = "waiting"
                        save_run(self.store, record)
                    return record
                self.auto_approve_waiting(run_id)
                record = load_run(self.store, run_id)
                continue
            self._run_step(record, name, settings)
        record.status = "completed"
        save_run(self.store, record)
        return record

    # Steps -----------------------------------------------------------------------------------

    def _run_step(self, record: RunRecord, name: str, settings: Settings) -> None:
        state = record.steps[name]
        state.status, state.started_at = "running", now()
        record.status = "running"
        save_run(self.store, record)
        started = time.perf_counter()
        if self.progress:
            self.progress(f"{name}: started", 0.0)
        try:
            detail, status = self._do_step(record, name, settings)
        except CuratorError as exc:
            self._fail(record, name, exc.problem)
            raise
        except Exception as exc:
            self._fail(record, name, f"{type(exc).__name__}: {exc}")
            raise
        state.status, state.detail = status, detail
        state.finished_at, state.seconds = now(), round(time.perf_counter() - started, 2)
        if status == "waiting":
            # One write: a reader never sees the step waiting while the run still says running, and
            # nothing is written after it, so a decision made from then on is never overwritten.
            record.status = "waiting"
        save_run(self.store, record)
        logger.info("step %s %s in %.1fs %s", name, status, state.seconds, detail)

    def _do_step(self, record: RunRecord, name: str, settings: Settings) -> tuple[str, str]:
        run_id = record.run_id
        report = self._reporter(name)
        if name == "preprocess":
            info = steps.run_preprocess(self.store, run_id, settings, report)
            record.input.update(info)
            return (f"{info['n_docs']} documents ({info['n_dropped_empty']} empty dropped; "
                    f"{info['n_truncated']} cut to cleaning.max_document_chars; "
                    f"entities: {info['entity_method']})", "done")
        if name == "embed":
            info = steps.run_embed(self.store, run_id, settings, report)
            return (f"{info['model']}, {info['dimensions']} dimensions, "
                    f"{info['n_new']} texts embedded (the rest from the cache)"), "done"
        step = StepId.parse(name)
        if step.kind == "layer":
            layer = step.layer
            result = steps.run_layer(self.store, run_id, layer, settings, report)
            skipped = f"; {skipped_summary(result.skipped)}" if result.skipped else ""
            if result.is_empty:
                self._skip_rest(record, layer, "no topic was marked for drill-down" if not result.skipped
                                else "every drill-down topic was too small to split")
                return f"no topics to split{skipped}", "skipped"
            return f"{len(result.topics)} topics{skipped}", "done"
        if step.kind == "curate":
            approval = steps.open_curation(self.store, run_id, step.layer)
            return f"waiting for approval (token {approval.token})", "waiting"
        if name == "labels":
            labels = steps.run_labels(self.store, run_id, settings)
            return f"{len(labels)} documents labelled", "done"
        if name == "model":
            measured = steps.run_model(self.store, run_id, settings)
            return (f"nearest-centroid model; agrees with the curated path on "
                    f"{measured.get('path_agreement', 0):.1%} of {measured.get('documents', 0)} held-out documents"), "done"
        raise RunStateError(f"Unknown step {name!r} in run {run_id}.")

    def _skip_rest(self, record: RunRecord, layer: int, why: str) -> None:
        """A layer with nothing to split ends the layering: its curate step and deeper layers skip."""
        for name, state in record.steps.items():
            if StepId.parse(name).layer >= layer and state.status == "pending":
                state.status, state.detail = "skipped", why

    def auto_approve_waiting(self, run_id: str) -> None:
        """Approve the waiting layer by the --auto-approve rule (as ``self.user``), through the one route."""
        record = load_run(self.store, run_id)
        layer = record.waiting_step.layer
        result = load_layer(self.store, run_id, layer)
        mapping = steps.auto_mapping(load_version(self.store, run_id, layer), result, record.typed_settings)
        approve(self.store, run_id, self.user, record.typed_settings, layer=layer, mapping=mapping,
                how="approved automatically (--auto-approve)")

    def _fail(self, record: RunRecord, name: str, message: str) -> None:
        record.steps[name].status, record.steps[name].detail = "failed", message
        record.status, record.error = "failed", f"{name}: {message}"
        save_run(self.store, record)

    def _reporter(self, step: str) -> Progress | None:
        if self.progress is None:
            return None
        return lambda stage, fraction: self.progress(f"{step}: {stage}", fraction)

