"""Sentence embeddings, with an on-disk cache keyed by (model, text hash).

Embedding is the slowest stage (~120 short documents/s on 2 CPU cores with MiniLM), so every
vector is cached in the artifact store: a re-run, or a run on grown data, embeds only new texts.
The cache is written a shard at a time as embedding goes (``SHARD_TEXTS`` texts each), so a run
killed part-way keeps what it embedded; a damaged shard is skipped (logged) and its texts embedded
again, never failing the run.

Embedders share a tiny interface (``name`` and ``encode``), in the spirit of embetter:
- ``SentenceModelEmbedder``: the real thing; "minilm" means the offline all-MiniLM-L6-v2
  package, anything else a local sentence-transformers folder; on the backend the settings name
  (``encoders``: torch, ONNX fp32 or int8, static).
- ``HashingEmbedder``: a deterministic, model-free bag-of-words projection. Fast enough for unit
  tests and always available, but far weaker than a sentence model.
- ``TfidfSvdEmbedder``: the classic baseline (LSA): TF-IDF fitted on the corpus, reduced by
  truncated SVD. It must be fitted, so its vectors depend on the corpus: it is never cached, and
  its fitted state (vocabulary, idf, components) is saved as plain arrays beside the run.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from backend.errors import DamagedArtifactError, SettingsError
from backend.settings import EmbeddingSettings, Settings
from backend.store import ArtifactStore
from backend.store.layout import embedding_cache_key, embedding_cache_prefix, embeddings_key
from backend.text.encoders import Encoder, load_encoder

logger = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
SHARD_TEXTS = 2048  # texts embedded, then cached, at a time: what a killed run can lose at most

MINILM = "minilm"
HASHING = "hashing"
TFIDF_SVD = "tfidf-svd"


class Embedder(ABC):
    """Turns texts into L2-normalised vectors, one row per text."""

    name: str
    # True when vectors depend on a corpus the embedder is first fitted on (see TfidfSvdEmbedder).
    needs_fit: bool = False

    @abstractmethod
    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...

    def fit(self, texts: Sequence[str]) -> "Embedder":
        """Learn from the corpus (only embedders with ``needs_fit``); sentence models need nothing."""
        return self

    def to_bytes(self) -> bytes:
        """The fitted state, for embedders with ``needs_fit``."""
        raise NotImplementedError(f"{self.name} has no fitted state")


class SentenceModelEmbedder(Embedder):
    """A sentence-transformers model on one of its backends (``encoders``): torch, ONNX fp32 or int8, static."""

    def __init__(self, model: str = MINILM, backend: str = "torch", max_seq_length: int = 256,
                 batch_size: int = 64, device: str | None = None) -> None:
        self.model, self.backend, self.max_seq_length = model, backend, max_seq_length
        self.batch_size, self.device = batch_size, device
        base = "all-MiniLM-L6-v2" if model == MINILM else _slug(model)
        # The name keys cached vectors: anything that changes them is in it.
        suffix = "" if backend == "torch" else f"-{backend}"
        length = "" if max_seq_length == 256 or backend == "static" else f"-len{max_seq_length}"
        self.name = f"{base}{suffix}{length}"
        self._encoder: Encoder | None = None

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = load_encoder(self.model, self.backend, self.max_seq_length, self.batch_size, self.device)
        return self._encoder

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Texts in order of length, so each batch pads little; vectors back in the texts' order."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        vectors = np.zeros((len(texts), self.encoder.dimension), dtype=np.float32)
        step = self.batch_size * 16
        for start in range(0, len(texts), step):
            rows = order[start:start + step]
            vectors[rows] = self.encoder.encode([texts[i] for i in rows])
            if progress:
                progress("embedding", min(1.0, (start + step) / len(texts)))
        return vectors


class HashingEmbedder(Embedder):
    """Hashed word and bigram counts projected to ``dim`` dimensions by a fixed random matrix."""

    def __init__(self, dim: int = 64, n_features: int = 2**14, seed: int = 0) -> None:
        self.dim = dim
        self.n_features = n_features
        self.seed = seed
        self.name = f"hashing-{dim}"

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vectorizer = HashingVectorizer(n_features=self.n_features, ngram_range=(1, 2), alternate_sign=False)
        counts = vectorizer.transform(list(texts))
        projection = np.random.default_rng(self.seed).standard_normal((self.n_features, self.dim))
        vectors = np.asarray(counts @ projection, dtype=np.float32)
        if progress:
            progress("embedding", 1.0)
        return _normalise(vectors)


class TfidfSvdEmbedder(Embedder):
    """TF-IDF (sublinear, English stop words out) reduced to ``dim`` dimensions by truncated SVD."""

    needs_fit = True

    def __init__(self, dim: int = 100, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed
        self.name = TFIDF_SVD
        self.vocabulary_: np.ndarray | None = None

    def fit(self, texts: Sequence[str]) -> "TfidfSvdEmbedder":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2 if len(texts) >= 100 else 1)
        try:
            matrix = vectorizer.fit_transform([t or "" for t in texts])
        except ValueError:
            raise SettingsError("The TF-IDF + SVD embedder found no words to fit on.",
                                "Check that the text columns hold text, or use embedding.model = 'minilm'.") from None
        n_components = max(1, min(self.dim, matrix.shape[1] - 1, len(texts) - 1))
        svd = TruncatedSVD(n_components=n_components, random_state=self.seed).fit(matrix)
        self.vocabulary_ = vectorizer.get_feature_names_out().astype(str)
        self.idf_ = vectorizer.idf_.astype(np.float32)
        self.components_ = svd.components_.astype(np.float32)
        return self

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if self.vocabulary_ is None:
            raise ValueError("TfidfSvdEmbedder.encode before fit")
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True,
                                     vocabulary={w: i for i, w in enumerate(self.vocabulary_)})
        vectorizer.idf_ = self.idf_
        vectors = np.asarray(vectorizer.transform([t or "" for t in texts]) @ self.components_.T, dtype=np.float32)
        if progress:
            progress("embedding", 1.0)
        return _normalise(vectors)

    def to_bytes(self) -> bytes:
        """The fitted state as plain arrays (no pickle)."""
        buffer = io.BytesIO()
        np.savez(buffer, vocabulary=self.vocabulary_, idf=self.idf_, components=self.components_)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "TfidfSvdEmbedder":
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            embedder = cls(dim=int(arrays["components"].shape[0]))
            embedder.vocabulary_ = arrays["vocabulary"].astype(str)
            embedder.idf_ = arrays["idf"]
            embedder.components_ = arrays["components"]
        return embedder


def make_embedder(settings: EmbeddingSettings, state: bytes | None = None) -> Embedder:
    """The embedder the settings name; ``state`` restores a fitted one (``to_bytes``)."""
    if settings.model == HASHING:
        return HashingEmbedder()
    if settings.model == TFIDF_SVD:
        return TfidfSvdEmbedder.from_bytes(state) if state else TfidfSvdEmbedder()
    return SentenceModelEmbedder(settings.model, resolve_backend(settings.backend), settings.max_seq_length,
                                 settings.batch_size)


CPU_DEFAULT = "onnx-int8"  # the fastest backend within 0.01 NMI of torch on 20NG (bench/QUALITY.md)


def resolve_backend(backend: str) -> str:
    """"auto": torch (in fp16) where a CUDA device is, else the measured CPU default."""
    if backend != "auto":
        return backend
    from backend.text.encoders import cuda_available

    return "torch" if cuda_available() else CPU_DEFAULT


def load_embeddings(store: ArtifactStore, run_id: str, settings: Settings) -> np.ndarray:
    """A run's document vectors, as its embed step stored them (memory-mapped, read only)."""
    return store.read_array(embeddings_key(run_id, make_embedder(settings.embedding).name), mmap=True)


class EmbeddingCache:
    """Vectors by text hash, stored as plain ``.npz`` shards under ``cache/embeddings/<model>/``.

    Which shard holds which hash is read once (the shards' hash arrays only); a lookup then opens
    only the shards it needs, so embedding a million texts in pieces does not re-read the cache.
    """

    def __init__(self, store: ArtifactStore, model_name: str) -> None:
        self.store, self.slug = store, _slug(model_name)
        self.prefix = embedding_cache_prefix(self.slug)
        self._where: dict[str, str] | None = None  # text hash -> shard key

    def lookup(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        where = self._index()
        by_shard: dict[str, set[str]] = {}
        for text_hash in hashes:
            if text_hash in where:
                by_shard.setdefault(where[text_hash], set()).add(text_hash)
        found: dict[str, np.ndarray] = {}
        for key, wanted in by_shard.items():
            shard = self._read(key)
            if shard is None:
                continue
            hashes = shard["hashes"].astype(str)
            rows = [i for i, h in enumerate(hashes) if h in wanted]
            found.update(zip(hashes[rows], shard["vectors"][rows]))
        return found

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if not len(hashes):
            return
        shard_id = hashlib.sha1("".join(hashes).encode()).hexdigest()[:16]
        buffer = io.BytesIO()
        np.savez(buffer, hashes=np.array(hashes, dtype="S40"), vectors=vectors.astype(np.float32))
        key = embedding_cache_key(self.slug, shard_id)
        self.store.write_bytes(key, buffer.getvalue())
        self._index().update(dict.fromkeys(hashes, key))

    def _index(self) -> dict[str, str]:
        if self._where is None:
            self._where = {}
            for key in self.store.list(self.prefix):
                if (shard := self._read(key, "hashes")) is not None:
                    self._where.update(dict.fromkeys(shard["hashes"].astype(str), key))
        return self._where

    def _read(self, key: str, *names: str) -> dict[str, np.ndarray] | None:
        """A shard's arrays (``names``: only those); None, logged, for a damaged shard, whose texts
        are then embedded again (and, written as the same shard, repair it)."""
        names = names or ("hashes", "vectors")
        path = self.store.local_file(key)
        try:
            with self.store.parsing(key), np.load(path, allow_pickle=False) as shard:
                arrays = {name: shard[name] for name in names}
                if len(arrays["hashes"]) != len(arrays.get("vectors", arrays["hashes"])):
                    raise ValueError("hashes and vectors differ in length")
                return arrays
        except (DamagedArtifactError, KeyError) as exc:
            if self._where is not None:
                self._where = {h: k for h, k in self._where.items() if k != key}
            logger.warning("Skipping a damaged embedding-cache shard %s (%s); its texts are embedded again.",
                           self.store.uri(key), getattr(exc, "problem", exc))
            return None


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    progress: Progress | None = None,
    shard_texts: int | None = None,
) -> tuple[np.ndarray, int]:
    """Embed ``texts``, taking what the cache already has; return the vectors and how many were new.

    An embedder that needs fitting is fitted on ``texts`` here and never cached.
    """
    if embedder.needs_fit:
        embedder.fit(texts)
        return embedder.encode(texts, progress), len(texts)
    hashes = [text_hash(t) for t in texts]
    known = cache.lookup(hashes) if cache else {}
    missing = sorted({h: t for h, t in zip(hashes, texts) if h not in known}.items())
    if missing:
        step = (shard_texts or SHARD_TEXTS) if cache else len(missing)
        for start in range(0, len(missing), step):
            piece = missing[start:start + step]
            vectors = embedder.encode([t for _, t in piece], _piece_progress(progress, start, len(piece), len(missing)))
            if cache:  # kept at once: a run killed later keeps this piece
                cache.add([h for h, _ in piece], vectors)
            known.update(zip((h for h, _ in piece), vectors))
    elif progress:
        progress("embedding (all cached)", 1.0)
    if not hashes:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([known[h] for h in hashes]).astype(np.float32), len(missing)


def _piece_progress(progress: Progress | None, done: int, size: int, total: int) -> Progress | None:
    if progress is None:
        return None
    return lambda stage, fraction: progress(stage, (done + fraction * size) / total)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.rstrip("/").split("/")[-1]) or "model"
