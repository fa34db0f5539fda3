"""Class-based TF-IDF, shared by the layer model and the curation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from backend.topics.ctfidf import ctfidf, keywords, presence


def test_ctfidf_prefers_distinctive_words():
    weights = ctfidf([[5, 5, 0], [0, 5, 5]])
    assert weights[0, 0] > weights[0, 1] and weights[1, 2] > weights[1, 1]
    assert (ctfidf([[0, 0]]) == 0).all()


@pytest.mark.parametrize("weighting", ["coherent", "bertopic"])
def test_keywords_of_each_class_from_one_sparse_pass(weighting):
    doc_term = sp.csr_matrix(np.array([[3, 1, 0, 0], [2, 1, 0, 0], [0, 1, 4, 0], [0, 1, 0, 3], [0, 0, 0, 0]],
                                      dtype=np.float32))
    found = keywords(doc_term, ["invoice", "team", "chatbot", "forecast"], np.array([0, 0, 1, 2, -1]), 4,
                     top_n=2, weighting=weighting)
    assert [w for w, _ in found[0]][0] == "invoice" and [w for w, _ in found[1]][0] == "chatbot"
    assert found[3] == []  # a class with no documents


# One topic of four documents: "invoice" is in three of them once each; "ledger" is repeated six
# times by one document. The other topic mentions invoices too, never a ledger. Columns: invoice,
# ledger, chatbot.
ONE_REPEATS = np.array([[1, 0, 0], [1, 0, 0], [1, 6, 0], [0, 0, 1], [1, 0, 2], [1, 0, 2]], dtype=np.float32)
TOPICS = np.array([0, 0, 0, 0, 1, 1])


def test_coherent_weighting_prefers_the_word_most_documents_use_over_one_documents_repetition():
    doc_term = sp.csr_matrix(ONE_REPEATS)
    coherent = keywords(doc_term, ["invoice", "ledger", "chatbot"], TOPICS, 2, top_n=3)
    bertopic = keywords(doc_term, ["invoice", "ledger", "chatbot"], TOPICS, 2, top_n=3, weighting="bertopic")
    assert [w for w, _ in bertopic[0]][0] == "ledger"  # BERTopic's c-TF-IDF counts the repetition
    assert [w for w, _ in coherent[0]][0] == "invoice"  # three documents of four use it


def test_presence_counts_documents_not_occurrences():
    used = presence(sp.csr_matrix(ONE_REPEATS))
    assert used.toarray().max() == 1 and used.sum() == (ONE_REPEATS > 0).sum()
    kept = presence(sp.csr_matrix(ONE_REPEATS))
    assert keywords(sp.csr_matrix(ONE_REPEATS), ["invoice", "ledger", "chatbot"], TOPICS, 2, used=kept) == \
        keywords(sp.csr_matrix(ONE_REPEATS), ["invoice", "ledger", "chatbot"], TOPICS, 2)
