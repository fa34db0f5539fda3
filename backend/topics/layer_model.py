"""One layer's topic model: embeddings -> UMAP -> BIRCH -> class-based TF-IDF keywords.

``LayerModel`` follows scikit-learn's conventions (parameters in ``__init__``, work in ``fit``,
learned attributes end in ``_``) and takes its stages as components (``stages``), so tests swap
UMAP for PCA and a new clusterer is one class plus one settings value.
BERTopic does the wiring and the c-TF-IDF; membership and labels after curation live in our own
mapping, never in the BERTopic object (its in-place merges renumber topics).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA

from backend.errors import InputDataError
from backend.settings import LayerSettings
from backend.topics.stages import AutoThresholdBirch, KeywordCounter, make_clusterer, make_reducer, make_vectorizer


class LayerModel(BaseEstimator):
    """Cluster documents into ``n_topics`` topics and describe each with c-TF-IDF keywords.

    The stages are components (``backend.topics.stages``): a ``reducer`` for the embeddings, a
    ``clusterer`` (its ``n_clusters`` is set to ``n_topics``) and a ``vectorizer`` counting keyword
    terms; defaults are PCA, BIRCH and 1-2-gram counts. ``fit(keyword_texts, embeddings)``: texts
    feed the keywords (lemmatised, stop words out), embeddings the clustering. Learned:
    ``topics_`` (topic per document, 0..k-1 by size), ``keywords_`` (topic -> [(word, score)]),
    ``reduced_embeddings_``, ``bertopic_``, and the per-document term counts ``doc_term_`` with
    their ``keyword_vectorizer_`` (reused by curation).
    """

    def __init__(self, n_topics: int = 20, reducer: Any = None, clusterer: Any = None, vectorizer: Any = None,
                 top_n_words: int = 10) -> None:
        self.n_topics = n_topics
        self.reducer = reducer
        self.clusterer = clusterer
        self.vectorizer = vectorizer
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
        self.cluster_model_ = clone(self.clusterer if self.clusterer is not None else AutoThresholdBirch())
        self.cluster_model_.set_params(n_clusters=self.n_topics)
        # BERTopic fits its vectorizer on one joined document per topic, where min_df would count
        # topics; the vocabulary is chosen per document first, as the curation's KeywordIndex does.
        counter = clone(self.vectorizer if self.vectorizer is not None else KeywordCounter()).fit(texts)
        self.keyword_vectorizer_, self.doc_term_ = counter.vectorizer_, counter.doc_term_
        vectorizer = CountVectorizer(ngram_range=tuple(self.keyword_vectorizer_.ngram_range), stop_words="english",
                                     vocabulary=self.keyword_vectorizer_.vocabulary_)
        self.bertopic_ = BERTopic(
            embedding_model=None,
            umap_model=clone(self.reducer) if self.reducer is not None else PCA(n_components=5),
            hdbscan_model=_KeepsItsInput(self.cluster_model_),
            vectorizer_model=vectorizer,
            top_n_words=self.top_n_words,
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            calculate_probabilities=False,
        )
        topics, _ = self.bertopic_.fit_transform(list(texts), embeddings=np.asarray(embeddings))
        self.topics_ = np.asarray(topics, dtype=int)
        self.reduced_embeddings_ = self.bertopic_.hdbscan_model.fitted_on_
        self.keywords_ = {
            int(topic): [(str(word), float(score)) for word, score in words if word]
            for topic, words in self.bertopic_.get_topics().items()
            if topic != -1
        }
        return self

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        """Topics of new documents: project with the fitted reducer, nearest cluster."""
        topics, _ = self.bertopic_.transform([""] * len(embeddings), embeddings=np.asarray(embeddings))
        return np.asarray(topics, dtype=int)


class _KeepsItsInput(BaseEstimator):
    """The clusterer as BERTopic drives it, keeping the reduced embeddings it was fitted on (the
    document map and split previews reuse them; BERTopic itself does not keep them)."""

    def __init__(self, clusterer: Any) -> None:
        self.clusterer = clusterer

    def fit(self, X: np.ndarray, y: Any = None) -> "_KeepsItsInput":
        self.fitted_on_ = np.asarray(X)
        self.labels_ = self.clusterer.fit(X).labels_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.clusterer.predict(X)


def layer_model(settings: LayerSettings, n_topics: int, n_docs: int) -> LayerModel:
    """The layer model the settings describe, its stages built by name, the reducer sized for ``n_docs``."""
    return LayerModel(
        n_topics=n_topics,
        reducer=make_reducer(settings, n_docs),
        clusterer=make_clusterer(settings, n_topics),
        vectorizer=make_vectorizer(settings),
        top_n_words=settings.top_n_words,
    )


def document_coordinates(embeddings: np.ndarray, settings: LayerSettings) -> np.ndarray:
    """2-D positions of documents for the document map."""
    if len(embeddings) < 4:
        return np.zeros((len(embeddings), 2), dtype=np.float32)
    method = settings.coords if settings.reducer == "umap" else "pca"
    reducer = make_reducer(settings, len(embeddings), 2, name=method)
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
