from __future__ import annotations

import numpy as np
import pytest

from backend.errors import SettingsError
from backend.settings import EmbeddingSettings
from backend.text.embeddings import (
    EmbeddingCache,
    HashingEmbedder,
    SentenceModelEmbedder,
    TfidfSvdEmbedder,
    embed_texts,
    make_embedder,
)


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


CORPUS = [
    "automate vendor invoice matching", "invoice matching for accounts payable", "match invoices to orders",
    "chatbot for customer support", "support chatbot answers tickets", "customer service chatbot",
    "route planning for delivery trucks", "truck route optimisation", "delivery route planning",
] * 3


def test_tfidf_svd_puts_texts_on_the_same_subject_together():
    embedder = TfidfSvdEmbedder(dim=4).fit(CORPUS)
    vectors = embedder.encode(["invoice matching", "chatbot for support", "route planning"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    query = embedder.encode(["matching invoices"])[0]
    assert np.argmax(vectors @ query) == 0


def test_tfidf_svd_state_round_trips_as_plain_arrays():
    embedder = TfidfSvdEmbedder(dim=4).fit(CORPUS)
    restored = make_embedder(EmbeddingSettings(model="tfidf-svd"), embedder.to_bytes())
    np.testing.assert_allclose(restored.encode(CORPUS[:3]), embedder.encode(CORPUS[:3]), rtol=1e-5)
    with np.load(__import__("io").BytesIO(embedder.to_bytes()), allow_pickle=False) as arrays:
        assert set(arrays.files) == {"vocabulary", "idf", "components"}


def test_a_fitted_embedder_is_fitted_on_the_texts_and_never_cached(local_store):
    cache = EmbeddingCache(local_store, "tfidf-svd")
    vectors, n_new = embed_texts(CORPUS, TfidfSvdEmbedder(dim=3), cache)
    assert vectors.shape == (len(CORPUS), 3) and n_new == len(CORPUS)
    assert local_store.list("cache") == []
    with pytest.raises(SettingsError, match="no words"):
        TfidfSvdEmbedder().fit(["", "the of"])


QUERIES = ["automate vendor invoice matching", "match supplier invoices to purchase orders",
           "chatbot that answers customer support questions"]


@pytest.mark.slow
def test_real_minilm_embeds_offline_and_finds_similar_texts():
    vectors = SentenceModelEmbedder("minilm", "torch", batch_size=2).encode(QUERIES)
    assert vectors.shape == (3, 384)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.1


@pytest.mark.slow
def test_each_backend_is_exported_loaded_and_agrees_with_torch(tmp_path, monkeypatch):
    """A real export in an empty folder (ONNX, then int8; a static distillation), loaded and used."""
    from backend.text import encoders

    source = encoders.model_path("minilm")
    monkeypatch.setattr(encoders, "prepared_folder", lambda src, backend: tmp_path / backend)
    reference = SentenceModelEmbedder("minilm", "torch").encode(QUERIES)
    agreement = {"onnx": 0.9999, "onnx-int8": 0.97}
    for backend in ("onnx", "onnx-int8", "static"):
        embedder = SentenceModelEmbedder("minilm", backend)
        vectors = embedder.encode(QUERIES)
        assert (tmp_path / backend / "prepared.json").is_file(), backend
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
        similarity = vectors @ vectors.T
        assert similarity[0, 1] > similarity[0, 2], backend
        if backend in agreement:
            assert ((vectors * reference).sum(axis=1) > agreement[backend]).all(), backend
        assert embedder.name == f"all-MiniLM-L6-v2-{backend}"
    assert encoders.prepare(source, "onnx") == tmp_path / "onnx"  # prepared once, then found


def test_the_cache_key_names_the_backend_and_the_length():
    assert SentenceModelEmbedder("minilm", "torch").name == "all-MiniLM-L6-v2"
    assert SentenceModelEmbedder("minilm", "onnx-int8", 128).name == "all-MiniLM-L6-v2-onnx-int8-len128"
    assert SentenceModelEmbedder("minilm", "static", 128).name == "all-MiniLM-L6-v2-static"


def test_an_unknown_backend_is_refused():
    with pytest.raises(SettingsError, match="embedding.backend is 'gpu'"):
        SentenceModelEmbedder("minilm", "gpu").encode(["x"])
