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
from backend.topics.ctfidf import keywords
from backend.topics.stages import AutoThresholdBirch, KeywordCounter, make_clusterer, make_reducer, make_vectorizer


class LayerModel(BaseEstimator):
    """Cluster documents into ``n_topics`` topics and describe each with c-TF-IDF keywords.

    The stages are components (``backend.topics.stages``): a ``reducer`` for the embeddings, a
    ``clusterer`` (its ``n_clusters`` is set to ``n_topics``) and a ``vectorizer`` counting keyword
    terms; defaults are PCA, BIRCH and 1-2-gram counts.

    With ``fit_sample`` set and more documents than that, reducer and clusterer are fitted on a
    fixed random sample and every other document is placed by ``placement``: "neighbours" (the
    vote of its 10 nearest sampled documents in embedding space, and their mean reduced position)
    or "transform" (the fitted reducer's ``transform``, then the clusterer's ``predict``). Keywords
    are always counted over every document, in one sparse pass.

    ``fit(keyword_texts, embeddings)``: texts feed the keywords, embeddings the clustering.
    Learned: ``topics_`` (topic per document, 0..k-1, by size in the fitted sample),
    ``keywords_`` (topic -> [(word, score)]), ``reduced_embeddings_``, ``sample_`` (the fitted
    rows), ``bertopic_`` (fitted on the sample), and the per-document term counts ``doc_term_`` with
    their ``keyword_vectorizer_`` (reused by curation).
    """

    def __init__(self, n_topics: int = 20, reducer: Any = None, clusterer: Any = None, vectorizer: Any = None,
                 top_n_words: int = 10, keyword_weighting: str = "coherent", fit_sample: int | None = None,
                 placement: str = "neighbours", random_state: int = 42) -> None:
        self.n_topics = n_topics
        self.reducer = reducer
        self.clusterer = clusterer
        self.vectorizer = vectorizer
        self.top_n_words = top_n_words
        self.keyword_weighting = keyword_weighting
        self.fit_sample = fit_sample
        self.placement = placement
        self.random_state = random_state

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
        # The vocabulary is chosen per document over every document (BERTopic's own vectorizer, fitted
        # on one joined document per topic, would count min_df in topics).
        counter = clone(self.vectorizer if self.vectorizer is not None else KeywordCounter()).fit(texts)
        self.keyword_vectorizer_, self.doc_term_ = counter.vectorizer_, counter.doc_term_
        vocabulary = self.keyword_vectorizer_.get_feature_names_out()
        self.sample_ = self._sample(len(texts))
        # BERTopic's own c-TF-IDF (of the sample, kept in its saved model) may only see terms the
        # sample uses: a term it never saw would get an infinite weight.
        in_sample = np.asarray(self.doc_term_[self.sample_].sum(axis=0)).ravel() > 0
        sample_vocabulary = {str(term): i for i, term in enumerate(vocabulary[in_sample])}
        self.bertopic_ = BERTopic(
            embedding_model=None,
            umap_model=clone(self.reducer) if self.reducer is not None else PCA(n_components=5),
            hdbscan_model=_KeepsItsInput(self.cluster_model_),
            vectorizer_model=CountVectorizer(ngram_range=tuple(self.keyword_vectorizer_.ngram_range),
                                             stop_words="english", vocabulary=sample_vocabulary),
            top_n_words=self.top_n_words,
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            calculate_probabilities=False,
        )
        sampled_topics, _ = self.bertopic_.fit_transform([texts[i] for i in self.sample_],
                                                         embeddings=np.asarray(embeddings[self.sample_]))
        sampled_reduced = self.bertopic_.hdbscan_model.fitted_on_
        self.topics_ = np.empty(len(texts), dtype=int)
        self.reduced_embeddings_ = np.empty((len(texts), sampled_reduced.shape[1]), dtype=np.float32)
        self.topics_[self.sample_], self.reduced_embeddings_[self.sample_] = sampled_topics, sampled_reduced
        rest = np.setdiff1d(np.arange(len(texts)), self.sample_, assume_unique=True)
        if len(rest):
            self.topics_[rest], self.reduced_embeddings_[rest] = self._place(embeddings, rest)
        n_topics = int(self.topics_.max()) + 1
        words = keywords(self.doc_term_, vocabulary, self.topics_, n_topics, self.top_n_words, self.keyword_weighting)
        self.keywords_ = {topic: found for topic, found in enumerate(words) if found}
        return self

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        """Topics of new documents: project with the fitted reducer, nearest cluster."""
        topics, _ = self.bertopic_.transform([""] * len(embeddings), embeddings=np.asarray(embeddings))
        return np.asarray(topics, dtype=int)

    def _sample(self, n: int) -> np.ndarray:
        if not self.fit_sample or n <= self.fit_sample:
            return np.arange(n)
        return np.sort(np.random.default_rng(self.random_state).choice(n, self.fit_sample, replace=False))

    def _place(self, embeddings: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Topics and reduced positions of the documents the fit did not see."""
        if self.placement == "transform":
            reduced = np.asarray(self.bertopic_.umap_model.transform(np.asarray(embeddings[rows])), dtype=np.float32)
            # BERTopic numbers topics by size: map the clusterer's own labels the same way.
            renumbered = self.bertopic_.topic_mapper_.get_mappings(original_topics=True)
            return np.array([renumbered[label] for label in self.cluster_model_.predict(reduced)]), reduced
        return nearest_sampled(embeddings, self.sample_, rows, self.topics_, self.reduced_embeddings_)


def nearest_sampled(embeddings: np.ndarray, sample: np.ndarray, rows: np.ndarray, topics: np.ndarray,
                    reduced: np.ndarray, k: int = 10, batch: int = 4096,
                    reference_size: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """Each row's topic by the similarity-weighted vote of its ``k`` nearest sampled documents
    (cosine; the embeddings are normalised), and its reduced position as their weighted mean.

    The neighbours come from at most ``reference_size`` of the sampled documents, so placing a
    million documents costs the same whatever the sample's size; torch's ``mm`` and ``topk`` do the
    search (numpy's argpartition took as long as the product itself).
    """
    import torch

    if len(sample) > reference_size:
        sample = np.sort(np.random.default_rng(0).choice(sample, reference_size, replace=False))
    reference = torch.from_numpy(np.ascontiguousarray(embeddings[sample], dtype=np.float32))
    sampled_topics, sampled_reduced = topics[sample], reduced[sample]
    n_topics = int(sampled_topics.max()) + 1
    placed_topics = np.empty(len(rows), dtype=int)
    placed_reduced = np.empty((len(rows), reduced.shape[1]), dtype=np.float32)
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        similarity = torch.mm(torch.from_numpy(np.ascontiguousarray(embeddings[part], dtype=np.float32)), reference.T)
        values, indices = similarity.topk(k, dim=1)
        nearest, weight = indices.numpy(), np.clip(values.numpy(), 1e-6, None)
        votes = np.zeros((len(part), n_topics), dtype=np.float32)
        np.add.at(votes, (np.arange(len(part))[:, None], sampled_topics[nearest]), weight)
        placed_topics[start:start + len(part)] = votes.argmax(axis=1)
        placed_reduced[start:start + len(part)] = (
            (sampled_reduced[nearest] * weight[..., None]).sum(axis=1) / weight.sum(axis=1, keepdims=True))
    return placed_topics, placed_reduced


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
    """The layer model the settings describe, its stages built by name, the reducer sized for the
    documents it is fitted on (``n_docs``, or the sample of them)."""
    fitted = min(n_docs, settings.fit_sample) if settings.fit_sample else n_docs
    return LayerModel(
        n_topics=n_topics,
        reducer=make_reducer(settings, fitted),
        clusterer=make_clusterer(settings, n_topics),
        vectorizer=make_vectorizer(settings),
        top_n_words=settings.top_n_words,
        keyword_weighting=settings.keyword_weighting,
        fit_sample=settings.fit_sample or None,
        placement=settings.placement,
        random_state=settings.random_state,
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
