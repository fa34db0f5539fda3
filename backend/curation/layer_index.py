"""Fast lookups over one fitted layer, built once and shared by every curation operation.

Curation must stay quick at a million documents, so membership is computed with NumPy over
integer codes (raw cluster of each document, then the documents people placed by hand), never
with a Python loop over documents.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from backend.curation.mapping import Mapping, sort_key
from backend.errors import MappingError
from backend.topics.layer_result import LayerResult

DISCARDED = ""  # membership value of documents that belong to no kept topic


class LayerIndex:
    def __init__(self, ids: Sequence[str], raw_topics: Sequence[str], reduced: np.ndarray | None = None) -> None:
        self.ids = pd.Index(np.asarray(ids, dtype=object).astype(str))
        if not self.ids.is_unique:
            raise MappingError("The layer has duplicate document ids.")
        categories = pd.Categorical(np.asarray(raw_topics, dtype=object).astype(str))
        self.raw_categories = np.asarray(categories.categories, dtype=object)
        self.raw_codes = categories.codes.astype(np.int32)
        self.reduced = reduced
        self._cache: OrderedDict[int, tuple[Mapping, np.ndarray]] = OrderedDict()

    @classmethod
    def from_result(cls, result: LayerResult) -> "LayerIndex":
        return cls(result.assignments["id"], result.assignments["topic"], result.reduced)

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Row positions of ``doc_ids``; unknown ids are a MappingError that names some."""
        found = self.ids.get_indexer(pd.Index(np.asarray(doc_ids, dtype=object).astype(str)))
        if (found < 0).any():
            missing = [str(d) for d, p in zip(doc_ids, found) if p < 0]
            raise MappingError(
                f"{len(missing)} document id(s) are not in this layer, e.g. {', '.join(missing[:3])}.",
                "Pick documents from the layer's own document list.",
            )
        return found

    def raw_topic_of(self, positions: np.ndarray) -> np.ndarray:
        return self.raw_categories[self.raw_codes[positions]]

    def membership_codes(self, mapping: Mapping) -> tuple[np.ndarray, list[str]]:
        """Each document's kept topic as a code into the returned keys; -1 for none. Cached.

        Works on integer codes so a million documents take milliseconds: raw cluster -> code,
        then the documents people placed, then merges and discards resolved per topic.
        """
        cached = self._cache.get(id(mapping))
        if cached is not None and cached[0] is mapping:
            self._cache.move_to_end(id(mapping))
            return cached[1]
        keys = sorted(mapping.topics, key=sort_key)
        code_of = {key: code for code, key in enumerate(keys)}
        raw_to_code = np.array([code_of.get(str(k), -1) for k in self.raw_categories], dtype=np.int32)
        codes = raw_to_code[self.raw_codes] if len(raw_to_code) else np.zeros(0, dtype=np.int32)
        if mapping.assignments:
            codes[self.positions(list(mapping.assignments))] = [code_of[v] for v in mapping.assignments.values()]
        resolved = np.array([code_of.get(mapping.resolve(k) or "", -1) for k in keys] + [-1], dtype=np.int32)
        result = (resolved[codes], keys)
        self._cache[id(mapping)] = (mapping, result)
        if len(self._cache) > 16:
            self._cache.popitem(last=False)
        return result

    def membership(self, mapping: Mapping) -> np.ndarray:
        """Each document's kept topic key after every operation (``DISCARDED`` for none)."""
        codes, keys = self.membership_codes(mapping)
        return np.array(keys + [DISCARDED], dtype=object)[codes]

    def members(self, mapping: Mapping, topic: str) -> np.ndarray:
        """Row positions of the documents in kept topic ``topic``."""
        codes, keys = self.membership_codes(mapping)
        return np.flatnonzero(codes == keys.index(topic)) if topic in keys else np.zeros(0, dtype=np.int64)

    def sizes(self, mapping: Mapping) -> dict[str, int]:
        """Documents per kept topic (topics left empty are absent)."""
        codes, keys = self.membership_codes(mapping)
        counts = np.bincount(codes[codes >= 0], minlength=len(keys))
        return {key: int(n) for key, n in zip(keys, counts) if n}
