"""Class-based TF-IDF, shared by the layer model and the curation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from backend.topics.ctfidf import ctfidf, keywords


def test_ctfidf_prefers_distinctive_words():
    weights = ctfidf([[5, 5, 0], [0, 5, 5]])
    assert weights[0, 0] > weights[0, 1] and weights[1, 2] > weights[1, 1]
    assert (ctfidf([[0, 0]]) == 0).all()


def test_keywords_of_each_class_from_one_sparse_pass():
    doc_term = sp.csr_matrix(np.array([[3, 1, 0], [2, 1, 0], [0, 1, 4], [0, 0, 0]], dtype=np.float32))
    found = keywords(doc_term, ["invoice", "the", "chatbot"], np.array([0, 0, 1, -1]), 3, top_n=2)
    assert [w for w, _ in found[0]][0] == "invoice" and [w for w, _ in found[1]][0] == "chatbot"
    assert found[2] == []  # a class with no documents
