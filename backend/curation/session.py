"""One analyst editing one layer: load, apply / undo / redo with autosave, save, replay on conflict.

Every change is autosaved as a draft (``mapping/layer<N>/drafts/<user>.json``: the version it
started from plus the unsaved operations), so a closed browser or a crashed process loses at most
the operation in flight. Saving writes the next version conditionally; if someone saved first,
the draft stays and ``rebase`` replays it onto their version, reporting what no longer applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from backend.clock import now
from backend.curation.history import History
from backend.curation.keywords import KeywordIndex, Keywords
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping
from backend.curation.operations import Operation, operation_from_dict
from backend.curation.versions import load_version, save_version
from backend.errors import MappingError
from backend.settings import run_settings
from backend.store import ArtifactStore
from backend.store.layout import DOC_TERMS, docs_key, draft_key, layer_key
from backend.topics.layer_result import LayerResult, load_layer


@dataclass(frozen=True)
class Conflict:
    operation: Operation
    problem: str


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
        self.history = History(load_version(store, run_id, layer), self.index)
        self.stale_draft: tuple[Operation, ...] = ()
        self._resume_draft()

    # State -----------------------------------------------------------------------------------

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
        mapping = self.history.apply(op)
        self._autosave()
        return mapping

    def undo(self) -> Mapping:
        mapping = self.history.undo()
        self._autosave()
        return mapping

    def redo(self) -> Mapping:
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

    def rebase(self) -> list[Conflict]:
        """Replay unsaved operations onto the newest saved version; return those that no longer apply."""
        operations = self.unsaved or self.stale_draft
        self.history = History(load_version(self.store, self.run_id, self.layer), self.index)
        self.stale_draft = ()
        conflicts = []
        for op in operations:
            try:
                self.history.apply(op)
            except MappingError as exc:
                conflicts.append(Conflict(op, exc.problem))
        self._autosave()
        return conflicts

    def discard_unsaved(self) -> None:
        self.history = History(load_version(self.store, self.run_id, self.layer), self.index)
        self.stale_draft = ()
        self._autosave()

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
        self.stale_draft = operations


def build_keyword_index(store: ArtifactStore, run_id: str, index: LayerIndex, layer: int) -> KeywordIndex:
    """Document-term counts of a layer's documents: stored at fit time, else built from the texts."""
    key = layer_key(run_id, layer, DOC_TERMS)
    if store.exists(key):
        stored = KeywordIndex.from_bytes(store.read_bytes(key))
        if stored.doc_term.shape[0] == len(index):
            return stored
    docs = store.read_parquet(docs_key(run_id))
    texts = docs.set_index(docs["id"].astype(str))["text_keywords"].reindex(index.ids).fillna("")
    settings = run_settings(store, run_id).layer
    return KeywordIndex.from_texts(texts.tolist(), settings.ngram_range, settings.min_df)
