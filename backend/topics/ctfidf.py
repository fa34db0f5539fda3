"""Class-based TF-IDF over document-term counts: each topic's keywords from one sparse pass.

The weighting is BERTopic's c-TF-IDF with ``reduce_frequent_words``, so the layer model's keywords
and the curation's recomputed ones (after a merge, a split, a move) are the same measure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

Keywords = list[tuple[str, float]]


def class_term_counts(doc_term: sp.csr_matrix, codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Summed term counts per class for documents labelled ``codes`` (0..n_classes-1; -1 ignored)."""
    keep = codes >= 0
    rows = np.flatnonzero(keep)
    one_hot = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (codes[keep], rows)),
                            shape=(n_classes, len(codes)))
    return (one_hot @ doc_term).toarray()


def ctfidf(counts: np.ndarray) -> np.ndarray:
    """BERTopic's class-based TF-IDF (``reduce_frequent_words=True``) on class-term counts."""
    counts = np.asarray(counts, dtype=np.float64)
    frequency = counts.sum(axis=0)
    average = int(counts.sum(axis=1).mean()) if len(counts) else 0
    idf = np.log(average / np.where(frequency == 0, 1, frequency) + 1)
    totals = counts.sum(axis=1, keepdims=True)
    return np.sqrt(counts / np.where(totals == 0, 1, totals)) * idf


def top_words(weights: np.ndarray, vocabulary: Sequence[str], top_n: int) -> list[Keywords]:
    """Per class, its ``top_n`` highest-weighted terms with their weights (none for an empty class)."""
    result = []
    for row in weights:
        if not row.any():
            result.append([])
            continue
        n = min(top_n, int((row > 0).sum()))
        top = np.argpartition(-row, n - 1)[:n]
        top = top[np.argsort(-row[top], kind="stable")]
        result.append([(str(vocabulary[i]), round(float(row[i]), 6)) for i in top])
    return result


def keywords(doc_term: sp.csr_matrix, vocabulary: Sequence[str], codes: np.ndarray, n_classes: int,
             top_n: int = 10) -> list[Keywords]:
    """Top words per class for documents labelled ``codes``."""
    return top_words(ctfidf(class_term_counts(doc_term, codes, n_classes)), vocabulary, top_n)
