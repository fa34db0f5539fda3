"""One layer's topic model: embeddings -> UMAP -> BIRCH -> class-based TF-IDF keywords.

``LayerModel`` follows scikit-learn's conventions (parameters in ``__init__``, work in ``fit``,
learned attributes end in ``_``) and takes its reducer as a component, so tests swap UMAP for PCA.
BERTopic does the wiring and the c-TF-IDF; membership and labels after curation live in our own
mapping, never in the BERTopic object (its in-place merges renumber topics).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import Birch
from sklearn.decomposition import PCA

from backend.errors import InputDataError
from backend.settings import LayerSettings


class AutoThresholdBirch(ClusterMixin, BaseEstimator):
    """scikit-learn's ``Birch`` with its threshold chosen from the data it is fitted on.

    BIRCH's default ``threshold=0.5`` on 5-D UMAP output leaves too few sub-clusters to reach 20
    topics. With ``threshold=None`` we search for the largest threshold that still yields at least
    ``min_subclusters_per_cluster * n_clusters`` sub-clusters (and not needlessly many, which would
    slow the final agglomerative step). BERTopic uses it as its ``hdbscan_model``: there is no
    outlier topic.
    """

    def __init__(
        self,
        n_clusters: int = 20,
        threshold: float | None = None,
        branching_factor: int = 50,
        min_subclusters_per_cluster: int = 4,
        max_subclusters: int = 3000,
    ) -> None:
        self.n_clusters = n_clusters
        self.threshold = threshold
        self.branching_factor = branching_factor
        self.min_subclusters_per_cluster = min_subclusters_per_cluster
        self.max_subclusters = max_subclusters

    def fit(self, X: np.ndarray, y: Any = None) -> "AutoThresholdBirch":
        X = np.asarray(X, dtype=np.float64)
        n_clusters = min(self.n_clusters, len(X))
        self.threshold_ = self.threshold if self.threshold is not None else self._choose_threshold(X, n_clusters)
        self.birch_ = Birch(
            threshold=self.threshold_, branching_factor=self.branching_factor, n_clusters=n_clusters
        ).fit(X)
        self.labels_ = self.birch_.labels_
        self.reduced_embeddings_ = X
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.birch_.predict(np.asarray(X, dtype=np.float64))

    def _choose_threshold(self, X: np.ndarray, n_clusters: int) -> float:
        wanted = min(len(X), self.min_subclusters_per_cluster * n_clusters)
        ceiling = max(wanted, min(self.max_subclusters, len(X)))
        # Start from the data's own scale: a tenth of the typical distance to the centre.
        threshold = float(np.median(np.linalg.norm(X - X.mean(axis=0), axis=1))) / 10 or 1e-3
        for _ in range(30):
            count = _count_subclusters(X, threshold, self.branching_factor)
            if count < wanted:
                threshold *= 0.7
            elif count > ceiling:
                threshold *= 1.3
            else:
                break
        return threshold


def _count_subclusters(X: np.ndarray, threshold: float, branching_factor: int) -> int:
    birch = Birch(threshold=threshold, branching_factor=branching_factor, n_clusters=None, compute_labels=False).fit(X)
    return len(birch.subcluster_centers_)


class LayerModel(BaseEstimator):
    """Cluster documents into ``n_topics`` topics and describe each with c-TF-IDF keywords.

    ``fit(keyword_texts, embeddings)``: texts feed the keywords (lemmatised, stop words out),
    embeddings the clustering. Learned: ``topics_`` (topic per document, 0..k-1 by size),
    ``keywords_`` (topic -> [(word, score)]), ``reduced_embeddings_``, ``bertopic_``, and the
    per-document term counts ``doc_term_`` with their ``keyword_vectorizer_`` (reused by curation).
    """

    def __init__(
        self,
        n_topics: int = 20,
        reducer: Any = None,
        birch_threshold: float | None = None,
        birch_branching_factor: int = 50,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        top_n_words: int = 10,
    ) -> None:
        self.n_topics = n_topics
        self.reducer = reducer
        self.birch_threshold = birch_threshold
        self.birch_branching_factor = birch_branching_factor
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.top_n_words = top_n_words

    def fit(self, texts: Sequence[str], embeddings: np.ndarray) -> "LayerModel":
        from bertopic import BERTopic  # heavy import (torch): only when a layer is fitted
        from bertopic.vectorizers import ClassTfidfTransformer
        from sklearn.feature_extraction.text import CountVectorizer

        texts = [t if t.strip() else "empty" for t in texts]
        if len(texts) != len(embeddings):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        if len(texts) < max(2 * self.n_topics, 4):
            raise InputDataError(
                f"Only {len(texts)} documents to cluster into {self.n_topics} topics.",
                "Give more documents, or ask for fewer topics.",
            )
        self.cluster_model_ = AutoThresholdBirch(
            n_clusters=self.n_topics,
            threshold=self.birch_threshold,
            branching_factor=self.birch_branching_factor,
        )
        # BERTopic fits its vectorizer on one joined document per topic, where min_df would count
        # topics; the vocabulary is chosen per document first, as the curation's KeywordIndex does.
        self.keyword_vectorizer_, self.doc_term_ = keyword_counts(texts, self.ngram_range, self.min_df)
        vectorizer = CountVectorizer(ngram_range=tuple(self.ngram_range), stop_words="english",
                                     vocabulary=self.keyword_vectorizer_.vocabulary_)
        self.bertopic_ = BERTopic(
            embedding_model=None,
            umap_model=self.reducer if self.reducer is not None else PCA(n_components=5),
            hdbscan_model=self.cluster_model_,
            vectorizer_model=vectorizer,
            top_n_words=self.top_n_words,
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            calculate_probabilities=False,
        )
        topics, _ = self.bertopic_.fit_transform(list(texts), embeddings=np.asarray(embeddings))
        self.topics_ = np.asarray(topics, dtype=int)
        self.reduced_embeddings_ = self.cluster_model_.reduced_embeddings_
        self.keywords_ = {
            int(topic): [(str(word), float(score)) for word, score in words if word]
            for topic, words in self.bertopic_.get_topics().items()
            if topic != -1
        }
        return self

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        """Topics of new documents: project with the fitted reducer, nearest BIRCH sub-cluster."""
        topics, _ = self.bertopic_.transform([""] * len(embeddings), embeddings=np.asarray(embeddings))
        return np.asarray(topics, dtype=int)


def layer_model(settings: LayerSettings, n_topics: int, n_docs: int) -> LayerModel:
    """The layer model the settings describe, its reducer sized for ``n_docs`` documents."""
    return LayerModel(
        n_topics=n_topics,
        reducer=make_reducer(settings, n_docs),
        birch_threshold=settings.birch_threshold,
        birch_branching_factor=settings.birch_branching_factor,
        ngram_range=settings.ngram_range,
        min_df=settings.min_df,
        top_n_words=settings.top_n_words,
    )


def keyword_counts(texts: Sequence[str], ngram_range: Sequence[int], min_df: int) -> tuple[Any, Any]:
    """A CountVectorizer fitted on the documents, and their document-term counts (one pass).

    Terms must appear in at least ``min_df`` documents; English stop words are out. ``min_df``
    above 1 on a small sub-layer (under 50 documents per unit of min_df) could prune every term, so
    it is relaxed to 1 there. Raises ValueError when no term is left at all.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    min_df = min_df if len(texts) >= 50 * min_df else 1
    vectorizer = CountVectorizer(ngram_range=tuple(ngram_range), stop_words="english", min_df=min_df)
    counts = vectorizer.fit_transform([keyword_text(t) for t in texts])
    return vectorizer, counts


def keyword_text(text: str | None) -> str:
    """Text as BERTopic's c-TF-IDF sees it (English): tabs and newlines to spaces, then ASCII letters,
    digits and spaces only. Applying it first keeps our vocabulary and BERTopic's the same."""
    return re.sub(r"[^A-Za-z0-9 ]+", "", (text or "").replace("\n", " ").replace("\t", " ")).strip()


def make_reducer(settings: LayerSettings, n_docs: int, n_components: int | None = None) -> Any:
    """UMAP (or PCA) sized for ``n_docs``: small sub-layers need fewer neighbours and components."""
    n_components = n_components or settings.umap_n_components
    n_components = max(1, min(n_components, n_docs - 2))
    if settings.reducer == "pca":
        return PCA(n_components=n_components, random_state=settings.random_state)
    from umap import UMAP

    return UMAP(
        n_neighbors=max(2, min(settings.umap_n_neighbors, n_docs - 1)),
        n_components=n_components,
        min_dist=settings.umap_min_dist,
        metric=settings.umap_metric,
        # Spectral initialisation fails on very small graphs.
        init="spectral" if n_docs > 4 * n_components + 10 else "random",
        random_state=settings.random_state,
        low_memory=True,
        n_jobs=1,  # a fixed random_state forces one thread anyway; saying so silences a warning
    )


def document_coordinates(embeddings: np.ndarray, settings: LayerSettings) -> np.ndarray:
    """2-D positions of documents for the document map."""
    if len(embeddings) < 4:
        return np.zeros((len(embeddings), 2), dtype=np.float32)
    method = settings.coords if settings.reducer == "umap" else "pca"
    reducer = make_reducer(LayerSettings(**{**settings.__dict__, "reducer": method}), len(embeddings), 2)
    return np.asarray(reducer.fit_transform(embeddings), dtype=np.float32)


def representative_documents(embeddings: np.ndarray, topics: np.ndarray, n: int) -> dict[int, list[int]]:
    """Per topic, the positions of the ``n`` documents closest (cosine) to the topic centroid."""
    result: dict[int, list[int]] = {}
    for topic in np.unique(topics):
        members = np.flatnonzero(topics == topic)
        vectors = embeddings[members]
        centroid = vectors.mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(centroid) or 1.0)
        similarity = vectors @ centroid / np.where(norms == 0, 1, norms)
        result[int(topic)] = [int(i) for i in members[np.argsort(-similarity)[:n]]]
    return result
