from __future__ import annotations

import math

import pytest

from backend.topics.metrics import clustering_scores, npmi_coherence, topic_diversity


def test_topic_diversity():
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b"], ["a", "b"]]) == 0.5
    assert topic_diversity([]) == 0.0


def test_npmi_rewards_words_that_occur_together():
    pytest.importorskip("gensim")
    texts = [["invoice", "vendor", "payment"]] * 20 + [["chatbot", "support", "ticket"]] * 20
    together = npmi_coherence([["invoice", "vendor"], ["chatbot", "ticket"]], texts)
    apart = npmi_coherence([["invoice", "chatbot"], ["vendor", "ticket"]], texts)
    assert together > 0.9 and apart < 0
    assert math.isnan(npmi_coherence([["unknown", "words"]], texts))


def test_clustering_scores():
    perfect = clustering_scores(["a", "a", "b", "b"], [1, 1, 0, 0])
    assert perfect == {"nmi": 1.0, "ari": 1.0, "v_measure": 1.0}
