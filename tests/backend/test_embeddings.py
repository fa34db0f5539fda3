from __future__ import annotations

import numpy as np
import pytest

from backend.embeddings import EmbeddingCache, HashingEmbedder, SentenceTransformerEmbedder, embed_texts


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=8)
        self.seen: list[str] = []

    def encode(self, texts, progress=None):
        self.seen.extend(texts)
        return super().encode(texts, progress)


def test_hashing_embedder_is_deterministic_and_normalised():
    vectors = HashingEmbedder(dim=16).encode(["invoice matching", "invoice matching", "chatbot for support"])
    assert vectors.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[1])
    assert not np.allclose(vectors[0], vectors[2])


def test_cache_embeds_each_text_once_across_runs(local_store):
    embedder = CountingEmbedder()
    cache = EmbeddingCache(local_store, embedder.name)
    first, n_new = embed_texts(["a b", "c d", "a b"], embedder, cache)
    assert sorted(embedder.seen) == ["a b", "c d"] and n_new == 2
    embedder.seen.clear()
    second, n_new = embed_texts(["c d", "e f", "a b"], embedder, cache)
    assert embedder.seen == ["e f"] and n_new == 1
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])


def test_progress_is_reported(local_store):
    stages = []
    embed_texts(["x y"], HashingEmbedder(), None, lambda stage, fraction: stages.append((stage, fraction)))
    assert stages[-1] == ("embedding", 1.0)


@pytest.mark.slow
def test_real_minilm_embeds_offline_and_finds_similar_texts():
    vectors = SentenceTransformerEmbedder("minilm", batch_size=2).encode(
        ["automate vendor invoice matching", "match supplier invoices to purchase orders",
         "chatbot that answers customer support questions"]
    )
    assert vectors.shape == (3, 384)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.1
