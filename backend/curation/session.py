"""One analyst editing one layer: load, apply / undo / redo with autosave, save, replay on conflict.

Every change is autosaved as a draft (``mapping/layer<N>/drafts/<user>.json``: the version it
started from plus the unsaved operations), so a closed browser or a crashed process loses at most
the operation in flight. Saving writes the next version conditionally; if someone saved first,
the draft stays and ``rebase`` replays it onto their version: operations that touch what they
changed are replayed only where the analyst chose to keep theirs over the colleague's.

An approved layer is read-only: the session shows the approved version and refuses every edit.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cached_property

import pandas as pd

from backend.clock import now
from backend.curation.history import History
from backend.curation.keywords import KeywordIndex, Keywords
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping
from backend.curation.operations import Operation, operation_from_dict
from backend.curation.rebase import Overlap, RebaseReport, overlaps, replay, unlogged_changes
from backend.curation.versions import load_approved, load_version, read_only_error, save_version
from backend.errors import MappingError
from backend.settings import run_settings
from backend.store import ArtifactStore
from backend.store.layout import DOC_TERMS, docs_key, draft_key, layer_key
from backend.topics.layer_result import LayerResult, load_layer


class LayerContext:
    """What every session on one layer shares (read-only): the fit, its index, its term counts.

    The app builds it once per layer and hands it to each analyst's session.
    """

    def __init__(self, store: ArtifactStore, run_id: str, layer: int) -> None:
        self.store, self.run_id, self.layer = store, run_id, layer
        self.result: LayerResult = load_layer(store, run_id, layer)
        self.index = LayerIndex.from_result(self.result)

    @cached_property
    def keyword_index(self) -> KeywordIndex:
        return build_keyword_index(self.store, self.run_id, self.index, self.layer)

    @cached_property
    def texts(self) -> pd.Series:
        """Each document's original text, by id (for hovers, tables and search)."""
        docs = self.store.read_parquet(docs_key(self.run_id), columns=["id", "text_raw"])
        return docs.set_index(docs["id"].astype(str))["text_raw"].reindex(self.index.ids).fillna("")


class CurationSession:
    def __init__(self, store: ArtifactStore, run_id: str, layer: int, user: str,
                 context: LayerContext | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.layer = layer
        self.user = user
        self.context = context or LayerContext(store, run_id, layer)
        self.result: LayerResult = self.context.result
        self.index = self.context.index
        self.approved: Mapping | None = load_approved(store, run_id, layer)
        self.history = History(self.approved or load_version(store, run_id, layer), self.index)
        self.stale_draft: tuple[Operation, ...] = ()  # unsaved work begun on an older version
        self.stale_base = 0  # the version the stale draft began from
        if self.approved is None:
            self._resume_draft()

    # State -----------------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.approved is not None

    @property
    def mapping(self) -> Mapping:
        return self.history.current

    @property
    def base_version(self) -> int:
        return self.history.base.version or 0

    @property
    def unsaved(self) -> tuple[Operation, ...]:
        return self.history.pending

    def latest_version(self) -> int:
        return load_version(self.store, self.run_id, self.layer).version or 0

    @property
    def keyword_index(self) -> KeywordIndex:
        return self.context.keyword_index

    def keywords(self) -> dict[str, Keywords]:
        return self.keyword_index.for_mapping(self.mapping, self.index)

    # Editing ---------------------------------------------------------------------------------

    def apply(self, op: Operation) -> Mapping:
        self._refuse_if_approved()
        mapping = self.history.apply(op)
        self._autosave()
        return mapping

    def undo(self) -> Mapping:
        self._refuse_if_approved()
        mapping = self.history.undo()
        self._autosave()
        return mapping

    def redo(self) -> Mapping:
        self._refuse_if_approved()
        mapping = self.history.redo()
        self._autosave()
        return mapping

    def save(self) -> Mapping:
        """Save the current mapping as a new version (SaveConflictError if someone saved first)."""
        if not self.unsaved:
            raise MappingError("Nothing to save: no change since the last saved version.")
        saved = save_version(self.store, self.mapping, self.user)
        self.history = History(saved, self.index)
        self._autosave()
        return saved

    def rebase_plan(self) -> list[Overlap]:
        """The unsaved operations that touch what others saved since this work began, with theirs."""
        return overlaps(self._to_replay(), self._theirs())

    def rebase(self, keep_mine: Collection[int] = ()) -> RebaseReport:
        """Replay the unsaved operations onto the newest saved version. Those in ``rebase_plan``
        replay only if their position is in ``keep_mine``; otherwise the colleague's change stands."""
        self._refuse_if_approved()
        mine, theirs = self._to_replay(), self._theirs()
        self.history = History(load_version(self.store, self.run_id, self.layer), self.index)
        self.stale_draft = ()
        report = replay(self.history, mine, theirs, keep_mine)
        self._autosave()
        return report

    def _to_replay(self) -> tuple[Operation, ...]:
        return self.unsaved or self.stale_draft

    def _theirs(self) -> tuple[Operation, ...]:
        """What was saved after the version this session's unsaved work began from."""
        began = self.stale_base if self.stale_draft else self.base_version
        started = load_version(self.store, self.run_id, self.layer, began) if began else None
        newest = load_version(self.store, self.run_id, self.layer)
        logged = newest.operations[len(started.operations) if started else 0:]
        return logged + tuple(unlogged_changes(started, newest, logged)) if started else logged

    def discard_unsaved(self) -> None:
        self._refuse_if_approved()
        self.history = History(load_version(self.store, self.run_id, self.layer), self.index)
        self.stale_draft = ()
        self._autosave()

    def _refuse_if_approved(self) -> None:
        """Refuse edits once the layer is approved, also when someone approved it after this session began."""
        self.approved = self.approved or load_approved(self.store, self.run_id, self.layer)
        if self.approved is not None:
            raise read_only_error(self.approved)

    # Drafts ----------------------------------------------------------------------------------

    @property
    def draft_key(self) -> str:
        return draft_key(self.run_id, self.layer, self.user)

    def _autosave(self) -> None:
        self.store.write_json(self.draft_key, {
            "user": self.user,
            "base_version": self.base_version,
            "operations": [op.to_dict() for op in self.unsaved],
            "redo": [op.to_dict() for op in self.history.redo_stack],
            "saved_at": now(),
        })

    def _resume_draft(self) -> None:
        if not self.store.exists(self.draft_key):
            return
        draft = self.store.read_json(self.draft_key)
        operations = tuple(operation_from_dict(op) for op in draft.get("operations", []))
        redo = tuple(operation_from_dict(op) for op in draft.get("redo", []))
        if draft.get("base_version") == self.base_version:
            try:
                self.history = History(self.history.base, self.index, operations, redo)
                return
            except MappingError:
                pass
        # Saved by someone else since: keep the operations for rebase(), apply nothing silently.
        self.stale_draft, self.stale_base = operations, int(draft.get("base_version") or 0)


def build_keyword_index(store: ArtifactStore, run_id: str, index: LayerIndex, layer: int) -> KeywordIndex:
    """Document-term counts of a layer's documents: stored at fit time, else built from the texts."""
    key = layer_key(run_id, layer, DOC_TERMS)
    settings = run_settings(store, run_id).layer
    if store.exists(key):
        data = store.read_bytes(key)
        with store.parsing(key):
            stored = KeywordIndex.from_bytes(data, settings.keyword_weighting)
        if stored.doc_term.shape[0] == len(index):
            return stored
    docs = store.read_parquet(docs_key(run_id))
    texts = docs.set_index(docs["id"].astype(str))["text_keywords"].reindex(index.ids).fillna("")
    return KeywordIndex.from_texts(texts.tolist(), settings.ngram_range, settings.min_df, settings.keyword_weighting)


def unsaved_count(store: ArtifactStore, run_id: str, layer: int, user: str) -> int:
    """How many changes ``user`` has made on the layer and not saved (their autosaved draft)."""
    key = draft_key(run_id, layer, user)
    return len(store.read_json(key).get("operations", [])) if store.exists(key) else 0
