"""Keywords of curated topics: class-based TF-IDF recomputed over the current membership.

The document-term matrix is built once per layer; after any change of membership only the
class-term sums and the TF-IDF weights are recomputed (a sparse product), which stays within a
second or two at a million documents. The weighting is the layer model's own (``topics.ctfidf``),
so curated keywords read like the model's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping
from backend.errors import InputDataError
from backend.topics.ctfidf import Keywords, keywords, presence
from backend.topics.stages import keyword_counts


class KeywordIndex:
    """A layer's document-term counts, and the run's keyword weighting (``layer.keyword_weighting``)."""

    def __init__(self, doc_term: sp.csr_matrix, vocabulary: Sequence[str], weighting: str = "coherent") -> None:
        self.doc_term = sp.csr_matrix(doc_term, dtype=np.float32)
        self.vocabulary = np.asarray(vocabulary, dtype=object)
        self.weighting = weighting
        self._used: sp.csr_matrix | None = None

    @classmethod
    def from_texts(cls, texts: Sequence[str], ngram_range: tuple[int, int] = (1, 2), min_df: int = 2,
                   weighting: str = "coherent") -> "KeywordIndex":
        try:
            vectorizer, matrix = keyword_counts(texts, ngram_range, min_df)
        except InputDataError:  # no term at all (every text empty): an empty index, not an error
            return cls(sp.csr_matrix((len(texts), 0)), [], weighting)
        return cls(matrix, vectorizer.get_feature_names_out(), weighting)

    def to_bytes(self) -> bytes:
        """Plain arrays (no pickle): CSR parts and the vocabulary."""
        buffer = io.BytesIO()
        matrix = self.doc_term
        np.savez(buffer, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr,
                 shape=np.array(matrix.shape), vocabulary=self.vocabulary.astype(str))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, weighting: str = "coherent") -> "KeywordIndex":
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"]))
            return cls(matrix, arrays["vocabulary"].tolist(), weighting)

    def keywords(self, codes: np.ndarray, n_classes: int, top_n: int = 10) -> list[Keywords]:
        """Top words per class for documents labelled ``codes`` (0..n_classes-1; -1 ignored)."""
        if self.weighting != "bertopic" and self._used is None:
            self._used = presence(self.doc_term)  # once per index: every later edit reuses it
        return keywords(self.doc_term, self.vocabulary, codes, n_classes, top_n, self.weighting, self._used)

    def for_mapping(self, mapping: Mapping, index: LayerIndex, top_n: int = 10) -> dict[str, Keywords]:
        """Keywords of every kept, non-empty topic of ``mapping``."""
        codes, keys = index.membership_codes(mapping)
        words = self.keywords(codes, len(keys), top_n)
        sizes = np.bincount(codes[codes >= 0], minlength=len(keys))
        return {key: words[i] for i, key in enumerate(keys) if sizes[i]}


@dataclass(frozen=True)
class KeywordChange:
    topic: str
    before: list[str]
    after: list[str]

    @property
    def gained(self) -> list[str]:
        return [w for w in self.after if w not in self.before]

    @property
    def lost(self) -> list[str]:
        return [w for w in self.before if w not in self.after]


def keyword_changes(before: dict[str, Keywords], after: dict[str, Keywords]) -> list[KeywordChange]:
    """Topics whose top words differ between two keyword sets (topics present in both)."""
    changes = []
    for topic in before.keys() & after.keys():
        old, new = [w for w, _ in before[topic]], [w for w, _ in after[topic]]
        if old != new:
            changes.append(KeywordChange(topic, old, new))
    return sorted(changes, key=lambda c: -len(c.gained))
