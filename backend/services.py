"""What the app asks of the backend: runs, approvals, layers, curation views and exports.

Pages call these functions and never touch the store, the file system or a cloud SDK directly.
Long work (a new run, resuming after an approval) runs in a background thread that writes its
progress to ``runs/<run_id>/progress.json``, which the app polls.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backend.curation.diff import MappingDiff, diff
from backend.curation.labels import label_counts
from backend.curation.mapping import UNASSIGNED_LABEL, Mapping, sort_key, validate
from backend.curation.session import CurationSession
from backend.curation.versions import load_version
from backend.errors import CuratorError
from backend.runs import decisions
from backend.runs.approvals import Approval, load_approval
from backend.runs.callbacks import CallbackClient
from backend.runs.record import RunRecord, list_run_ids, load_run
from backend.runs.runner import LocalRunner
from backend.runs.steps import current_labels, current_tree
from backend.settings import Settings
from backend.store import ArtifactStore
from backend.store.layout import mapping_prefix, progress_key, records_key
from backend.text.input_data import read_table
from backend.topics.layer_result import is_fitted, load_layer

logger = logging.getLogger(__name__)


# Runs ---------------------------------------------------------------------------------------

def list_runs(store: ArtifactStore) -> pd.DataFrame:
    rows = []
    for run_id in reversed(list_run_ids(store)):
        record = load_run(store, run_id)
        rows.append({"run": run_id, "status": record.status, "waiting at": record.waiting_at or "",
                     "documents": record.input.get("n_docs"), "created": record.created_at,
                     "updated": record.updated_at})
    return pd.DataFrame(rows, columns=["run", "status", "waiting at", "documents", "created", "updated"])


def read_upload(name: str, data: bytes, settings: Settings) -> pd.DataFrame:
    """An uploaded CSV or Parquet file as a table (the same checks as the command line)."""
    suffix = "".join(Path(name).suffixes[-2:]) or Path(name).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        frame = read_table(path, settings.input.encoding)
    frame.attrs["source"] = name
    return frame


def start_run(store: ArtifactStore, records: pd.DataFrame, settings: Settings, user: str,
              run_id: str | None = None) -> str:
    """Check the input and record the run now (errors reach the page, the run list shows it at
    once), then run up to layer 1 in the background."""
    record = LocalRunner(store, user=user).create(records, settings, run_id)
    _in_background(store, record.run_id, lambda runner: runner.resume(record.run_id), user)
    return record.run_id


def approve_and_resume(store: ArtifactStore, run_id: str, layer: int, user: str, settings: Settings,
                       version: int | None = None, callbacks: CallbackClient | None = None) -> Mapping:
    """Approve ``layer`` at the ``version`` the person was shown (default: the latest saved), then,
    for a local run, resume it in the background; a SageMaker run goes on in SageMaker.

    The answer is claimed with a conditional write before anything else, so a second click, a
    second tab or a reload never approves a layer twice, nor resumes the run twice.
    """
    outcome = decisions.approve(store, run_id, user, settings, layer=layer, version=version, callbacks=callbacks)
    if outcome.resume_locally:
        _in_background(store, run_id, lambda runner: runner.resume(run_id), user)
    return outcome.mapping


def reject(store: ArtifactStore, run_id: str, user: str, reason: str, settings: Settings,
           callbacks: CallbackClient | None = None) -> RunRecord:
    decisions.reject(store, run_id, user, reason, settings, callbacks=callbacks)
    return load_run(store, run_id)


def progress(store: ArtifactStore, run_id: str) -> dict | None:
    key = progress_key(run_id)
    return store.read_json(key) if store.exists(key) else None


class StoreProgress:
    """A progress callback that keeps the latest stage in the store (at most once a second)."""

    def __init__(self, store: ArtifactStore, run_id: str, interval: float = 1.0) -> None:
        self.store, self.run_id, self.interval = store, run_id, interval
        self._last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if fraction not in (0.0, 1.0) and now - self._last < self.interval:
            return
        self._last = now
        self.store.write_json(progress_key(self.run_id),
                              {"stage": stage, "fraction": round(float(fraction), 3), "at": time.time()})


def _in_background(store: ArtifactStore, run_id: str, work, user: str) -> threading.Thread:
    def target() -> None:
        try:
            work(LocalRunner(store, StoreProgress(store, run_id), user=user))
        except CuratorError as exc:  # recorded in run.json by the runner; the page shows it
            logger.warning("run %s stopped: %s", run_id, exc.problem)
        except Exception:
            logger.exception("run %s failed", run_id)

    thread = threading.Thread(target=target, name=f"run-{run_id}", daemon=True)
    thread.start()
    return thread


# Approvals ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ApprovalSummary:
    approval: Approval
    mapping: Mapping
    counts: dict[str, int]
    changes: MappingDiff
    problem: str | None  # why approving would fail now, if it would


def approval_summary(store: ArtifactStore, run_id: str) -> ApprovalSummary | None:
    """What Approve would send for the run's waiting step (None when it waits for nothing)."""
    record = load_run(store, run_id)
    if record.waiting_at is None:
        return None
    approval = load_approval(store, run_id, record.waiting_at)
    mapping = load_version(store, run_id, approval.layer)
    first = load_version(store, run_id, approval.layer, 1)
    counts = {status: sum(d.status == status for d in mapping.topics.values())
              for status in ("kept", "merged", "discarded", "split")}
    counts["drill_down"] = len(mapping.drill_down_topics)
    problem = None
    try:
        validate(mapping, load_layer(store, run_id, approval.layer), run_id)
    except CuratorError as exc:
        problem = exc.problem
    return ApprovalSummary(approval, mapping, counts, diff(first, mapping), problem)


# Layers and curation ------------------------------------------------------------------------

def fitted_layers(store: ArtifactStore, run_id: str) -> list[int]:
    return [n for n in (1, 2, 3) if is_fitted(store, run_id, n) and store.list(mapping_prefix(run_id, n))]


def topics_table(session: CurationSession) -> pd.DataFrame:
    """One row per kept topic of the session's current mapping: what the tables show."""
    keywords = session.keywords()
    sizes = session.index.sizes(session.mapping)
    rows = []
    for key, decision in sorted(session.mapping.topics.items(), key=lambda kv: sort_key(kv[0])):
        if decision.status != "kept":
            continue
        rows.append({"topic": key, "label": decision.label, "documents": sizes.get(key, 0),
                     "keywords": ", ".join(w for w, _ in keywords.get(key, [])[:8]),
                     "drill down": decision.drill_down, "note": decision.note,
                     "made by": "person" if decision.origin == "person" else "model"})
    return pd.DataFrame(rows, columns=["topic", "label", "documents", "keywords", "drill down", "note", "made by"])


def layer_documents(session: CurationSession) -> pd.DataFrame:
    """Every document of the layer: id, 2-D position, current topic and label, raw text."""
    frame = session.result.assignments[["id", "x", "y"]].copy()
    frame["id"] = frame["id"].astype(str)
    codes, keys = session.index.membership_codes(session.mapping)
    names = np.array([f"{k}: {session.mapping.topics[k].label}" for k in keys] + [UNASSIGNED_LABEL], dtype=object)
    frame["topic"] = np.array(keys + [""], dtype=object)[codes]
    frame["label"] = names[codes]  # code -1 (discarded) picks the last name
    frame["text"] = session.context.texts.to_numpy()
    return frame


def search_documents(documents: pd.DataFrame, query: str, limit: int = 50) -> pd.DataFrame:
    """Documents whose text contains every word of ``query`` (case-insensitive)."""
    mask = pd.Series(True, index=documents.index)
    for word in query.lower().split():
        mask &= documents["text"].str.lower().str.contains(word, regex=False)
    return documents[mask].head(limit)


# Exports ------------------------------------------------------------------------------------

def export_labels(store: ArtifactStore, run_id: str) -> tuple[pd.DataFrame, dict, bool]:
    """Final labels, the topic tree, and whether the run is complete (else: layers so far)."""
    record = load_run(store, run_id)
    records = store.read_parquet(records_key(run_id))
    ids = records[record.typed_settings.input.id_column].astype(str).tolist()
    labels = current_labels(store, run_id, ids)
    return labels, current_tree(store, run_id, labels), record.status == "completed"


def labels_summary(labels: pd.DataFrame) -> pd.DataFrame:
    return label_counts(labels)
