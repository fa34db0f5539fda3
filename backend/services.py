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
from typing import Literal

import numpy as np
import pandas as pd

from backend.curation.diff import MappingDiff, diff
from backend.curation.labels import label_counts
from backend.curation.mapping import UNASSIGNED_LABEL, Mapping, sort_key, validate
from backend.curation.session import CurationSession, unsaved_count
from backend.curation.versions import load_approved, load_version
from backend.errors import CuratorError, InputDataError, RunStateError, UnsavedChangesError
from backend.runs import decisions, lease
from backend.runs.approvals import Approval, load_approval
from backend.runs.callbacks import CallbackClient
from backend.runs.lease import derived_status
from backend.runs.record import RunRecord, list_run_ids, load_run
from backend.runs.runner import LocalRunner
from backend.runs.steps import current_labels, current_tree
from backend.settings import LayerSettings, Settings
from backend.store import ArtifactStore
from backend.store.layout import approved_key, mapping_prefix, progress_key, records_key
from backend.text.input_data import ACCEPTED_SUFFIXES, check_text_columns, read_table, validate_table
from backend.topics.layer_result import is_fitted, load_layer, load_skipped, load_topics

logger = logging.getLogger(__name__)


# Runs ---------------------------------------------------------------------------------------

def list_runs(store: ArtifactStore) -> pd.DataFrame:
    """Every run, newest first; a run whose process was killed reads "interrupted", not "running"."""
    rows = []
    for run_id in reversed(list_run_ids(store)):
        record = load_run(store, run_id)
        status = derived_status(store, record.status, run_id, record.runs_on, record.updated_at)
        rows.append({"run": run_id, "status": status, "waiting at": record.waiting_at or "",
                     "documents": record.input.get("n_docs"), "created": record.created_at,
                     "updated": record.updated_at})
    return pd.DataFrame(rows, columns=["run", "status", "waiting at", "documents", "created", "updated"])


def run_status(store: ArtifactStore, record: RunRecord) -> str:
    """The run's status as people should read it: "interrupted" when its process was killed."""
    return derived_status(store, record.status, record.run_id, record.runs_on, record.updated_at)


def resume_hint(store: ArtifactStore, run_id: str) -> str:
    return lease.resume_hint(store.uri(), run_id)


def read_upload(name: str, data: bytes, encoding: str = "utf-8") -> pd.DataFrame:
    """An uploaded CSV or Parquet file as a table (the same checks as the command line; messages
    name the upload, never a temporary file)."""
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise InputDataError(f"'{name}' is not a CSV or Parquet file.",
                             f"Export the records as CSV or Parquet ({', '.join(ACCEPTED_SUFFIXES)}) and upload that.")
    suffix = "".join(Path(name).suffixes[-2:]) or Path(name).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        frame = read_table(path, encoding, name=f"'{name}'")
    frame.attrs["source"] = name
    return frame


def check_upload(records: pd.DataFrame, id_column: str, text_columns: list[str]) -> None:
    """What a run would refuse about these columns, said before it starts (InputDataError)."""
    if not text_columns:
        raise InputDataError("No text column is chosen.", "Choose the columns that describe each record.")
    validate_table(records, id_column, text_columns)
    check_text_columns(records, text_columns)


def suggested_topics(n_docs: int, layer: LayerSettings) -> int:
    """Layer-1 topics to offer for ``n_docs`` documents: about one per 250, within
    layer.min_topics..max_topics (20 for the 5,000 sample records)."""
    return max(layer.min_topics, min(layer.max_topics, round(n_docs / 250)))


def start_run(store: ArtifactStore, records: pd.DataFrame, settings: Settings, user: str,
              run_id: str | None = None) -> str:
    """Check the input and record the run now (errors reach the page, the run list shows it at
    once), then run up to layer 1 in the background."""
    record = LocalRunner(store, user=user).create(records, settings, run_id)
    _in_background(store, record.run_id, lambda runner: runner.resume(record.run_id), user)
    return record.run_id


def approve_and_resume(store: ArtifactStore, run_id: str, layer: int, user: str, settings: Settings,
                       version: int | None = None, callbacks: CallbackClient | None = None,
                       unsaved: Literal["refuse", "save", "discard"] = "refuse") -> Mapping:
    """Approve ``layer`` at the ``version`` the person was shown (default: the latest saved), then,
    for a local run, resume it in the background; a SageMaker run goes on in SageMaker.

    Changes the approver made and did not save are never left out silently: by default the
    approval is refused (UnsavedChangesError); ``unsaved`` says to save them first or discard them.
    The answer is claimed with a conditional write before anything else, so a second click, a
    second tab or a reload never approves a layer twice, nor resumes the run twice.
    """
    count = unsaved_count(store, run_id, layer, user)
    if count and unsaved == "refuse":
        raise UnsavedChangesError(
            f"You have {count} unsaved change(s) on layer {layer}; approving now would leave them out.",
            "Save and approve, or discard them and approve the saved version.", count=count)
    if count:
        session = CurationSession(store, run_id, layer, user)
        if unsaved == "discard":
            session.discard_unsaved()
        elif session.stale_draft:
            raise RunStateError(
                f"Your unsaved changes began from version {session.stale_base}; "
                f"version {session.base_version} was saved since.",
                "Open the layer's workspace, replay your changes onto the newer version, then approve.")
        else:
            version = session.save().version
    outcome = decisions.approve(store, run_id, user, settings, layer=layer, version=version, callbacks=callbacks)
    if outcome.resume_locally:
        _in_background(store, run_id, lambda runner: runner.resume(run_id), user)
    return outcome.mapping


def reject(store: ArtifactStore, run_id: str, user: str, reason: str, settings: Settings,
           callbacks: CallbackClient | None = None, layer: int | None = None) -> RunRecord:
    """Reject ``layer``, the one the person was shown: never a later layer the run moved on to."""
    decisions.reject(store, run_id, user, reason, settings, layer=layer, callbacks=callbacks)
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

def is_approved(store: ArtifactStore, run_id: str, layer: int) -> bool:
    return store.exists(approved_key(run_id, layer))


def fitted_layers(store: ArtifactStore, run_id: str) -> list[int]:
    return [n for n in (1, 2, 3) if is_fitted(store, run_id, n) and store.list(mapping_prefix(run_id, n))]


def topics_table(session: CurationSession, keywords: dict | None = None) -> pd.DataFrame:
    """One row per kept topic of the session's current mapping: what the tables show
    (``keywords``: the mapping's, when the caller has them already)."""
    keywords = session.keywords() if keywords is None else keywords
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
    """Every document of the layer: id, parent topic, 2-D position, current topic ('' when
    unassigned) and raw text. Labels are not in it (``topic_names``): a rename leaves it as it is."""
    frame = session.result.assignments[["id", "parent", "x", "y"]].copy()
    frame["id"] = frame["id"].astype(str)
    codes, keys = session.index.membership_codes(session.mapping)
    frame["topic"] = np.array(keys + [""], dtype=object)[codes]  # code -1 (discarded) picks the last
    frame["text"] = session.context.texts.to_numpy()
    return frame


def topic_names(session: CurationSession) -> dict[str, str]:
    """What a topic is called on the map and in lists, "key: label"; unassigned documents ('')
    are called ``UNASSIGNED_LABEL``."""
    names = {key: f"{key}: {d.label}" for key, d in session.mapping.topics.items() if d.status == "kept"}
    return {**names, "": UNASSIGNED_LABEL}


def search_documents(documents: pd.DataFrame, query: str) -> pd.DataFrame:
    """Documents whose text contains every word of ``query`` (case-insensitive), all of them."""
    mask = pd.Series(True, index=documents.index)
    lowered = documents["text"].str.lower()
    for word in query.lower().split():
        mask &= lowered.str.contains(word, regex=False)
    return documents[mask]


def unsaved_changes(store: ArtifactStore, run_id: str, layer: int, user: str) -> int:
    """How many changes ``user`` made on the layer and has not saved."""
    return unsaved_count(store, run_id, layer, user)


def parent_topics(store: ArtifactStore, session: CurationSession) -> pd.DataFrame:
    """The parents a layer 2 or 3 was fitted under: key, their approved label one layer up, documents."""
    counts = session.result.assignments["parent"].dropna().astype(str).value_counts()
    above = load_approved(store, session.run_id, session.layer - 1) if session.layer > 1 else None
    rows = [{"parent": key, "label": above.topics[key].label if above and key in above.topics else key,
             "documents": int(n)} for key, n in counts.items()]
    rows.sort(key=lambda row: sort_key(row["parent"]))
    return pd.DataFrame(rows, columns=["parent", "label", "documents"])


def subtopics(store: ArtifactStore, run_id: str, layer: int, topic: str) -> pd.DataFrame:
    """The topics the next layer found inside ``topic``, with their latest labels (empty if none)."""
    below = layer + 1
    if below > 3 or not is_fitted(store, run_id, below) or not store.list(mapping_prefix(run_id, below)):
        return pd.DataFrame(columns=["topic", "label", "documents"])
    labels = load_version(store, run_id, below).topics
    rows = [{"topic": key, "label": labels[key].label if key in labels else key, "documents": t.size}
            for key, t in load_topics(store, run_id, below).items() if t.parent == topic]
    return pd.DataFrame(rows, columns=["topic", "label", "documents"])


def skipped_parents(store: ArtifactStore, run_id: str, layer: int) -> dict[str, str]:
    """Topics marked for drill-down that this layer did not split, with why."""
    return load_skipped(store, run_id, layer)


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
