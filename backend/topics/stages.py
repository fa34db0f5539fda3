"""The layer model's swappable stages, built by name from the settings, the way BERTopic takes its
``umap_model`` and ``hdbscan_model``.

- a **reducer** (``layer.reducer``: "umap", "pca") shrinks the embeddings before clustering;
- a **clusterer** (``layer.clusterer``: "birch") groups them into ``n_clusters`` topics; the layer
  model sets ``n_clusters`` to the topics it wants;
- a **vectorizer** (``layer.vectorizer``: "count") counts each document's keyword terms for
  class-based TF-IDF, and keeps the fitted ``vectorizer_`` and counts (curation reuses them).

Each is a scikit-learn-style estimator. Adding one is one class plus one entry in its table below.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import Birch
from sklearn.decomposition import PCA

from backend.errors import InputDataError, SettingsError
from backend.settings import LayerSettings
from backend.topics.ctfidf import WEIGHTINGS

# Clusterers ----------------------------------------------------------------------------------


class AutoThresholdBirch(ClusterMixin, BaseEstimator):
    """scikit-learn's ``Birch`` with its threshold chosen from the data it is fitted on, and a
    global step that weighs each sub-cluster by its size.

    BIRCH's default ``threshold=0.5`` on 5-D UMAP output leaves too few sub-clusters to reach 20
    topics. With ``threshold=None`` we search for the largest threshold that still yields at least
    ``min_subclusters_per_cluster * n_clusters`` sub-clusters (and not needlessly many, which would
    slow the global step). BERTopic uses it as its ``hdbscan_model``: there is no outlier topic.

    The global step (``final_step``) groups the sub-clusters into ``n_clusters`` topics:
    "weighted-kmeans" is k-means over the sub-cluster centres, each weighted by the documents it
    holds (BIRCH's clustering feature keeps that count); "ward" is scikit-learn's own step, Ward
    linkage over the centres with a sub-cluster of three documents weighing as much as one of three
    hundred. Size-weighted k-means scores higher NMI on all three benchmark corpora (bench/QUALITY.md).
    """

    def __init__(
        self,
        n_clusters: int = 20,
        threshold: float | None = None,
        branching_factor: int = 50,
        min_subclusters_per_cluster: int = 4,
        max_subclusters: int = 3000,
        final_step: str = "weighted-kmeans",
        random_state: int = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.threshold = threshold
        self.branching_factor = branching_factor
        self.min_subclusters_per_cluster = min_subclusters_per_cluster
        self.max_subclusters = max_subclusters
        self.final_step = final_step
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: Any = None) -> "AutoThresholdBirch":
        X = np.asarray(X, dtype=np.float64)
        n_clusters = min(self.n_clusters, len(X))
        self.threshold_ = self.threshold if self.threshold is not None else self._choose_threshold(X, n_clusters)
        if self.final_step == "ward":
            self.birch_ = Birch(threshold=self.threshold_, branching_factor=self.branching_factor,
                                n_clusters=n_clusters).fit(X)
        else:
            self.birch_ = self._weighted_kmeans(X, n_clusters)
        self.labels_ = self.birch_.labels_
        return self

    def _weighted_kmeans(self, X: np.ndarray, n_clusters: int) -> Birch:
        """The CF tree alone, then k-means over its sub-cluster centres weighted by their sizes;
        the fitted Birch maps each sub-cluster to its topic, so its ``predict`` gives topics."""
        from sklearn.cluster import KMeans

        birch = Birch(threshold=self.threshold_, branching_factor=self.branching_factor, n_clusters=None).fit(X)
        centres = birch.subcluster_centers_
        sizes = np.bincount(birch.labels_, minlength=len(centres))  # labels_ are sub-cluster numbers here
        kmeans = KMeans(min(n_clusters, len(centres)), n_init=10, random_state=self.random_state)
        birch.subcluster_labels_ = kmeans.fit(centres, sample_weight=sizes).labels_
        birch.labels_ = birch.subcluster_labels_[birch.labels_]
        return birch

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


# Vectorizers ---------------------------------------------------------------------------------


class KeywordCounter(BaseEstimator):
    """Per-document counts of keyword terms (1-2-grams, English stop words out).

    Terms must appear in at least ``min_df`` documents: counted per document, not per topic as
    BERTopic's own vectorizer would (it sees one joined document per topic). Learned:
    ``vectorizer_`` (a fitted CountVectorizer) and ``doc_term_`` (the counts).
    """

    def __init__(self, ngram_range: Sequence[int] = (1, 2), min_df: int = 2) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, texts: Sequence[str], y: Any = None) -> "KeywordCounter":
        self.vectorizer_, self.doc_term_ = keyword_counts(texts, self.ngram_range, self.min_df)
        return self


def keyword_counts(texts: Sequence[str], ngram_range: Sequence[int], min_df: int) -> tuple[Any, Any]:
    """A CountVectorizer fitted on the documents, and their document-term counts (one pass).

    ``min_df`` above 1 on a small sub-layer (under 50 documents per unit of min_df) could prune
    every term, so it is relaxed to 1 there. Raises InputDataError when no term is left at all.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    min_df = min_df if len(texts) >= 50 * min_df else 1
    vectorizer = CountVectorizer(ngram_range=tuple(ngram_range), stop_words="english", min_df=min_df)
    try:
        counts = vectorizer.fit_transform([keyword_text(t) for t in texts])
    except ValueError as exc:  # scikit-learn: "empty vocabulary; perhaps the documents only contain stop words"
        raise InputDataError(
            f"No keyword is left in these {len(texts):,} documents after cleaning: their text holds only "
            f"stop words, names or symbols ({exc}).",
            "Choose text columns that hold words (a description, the customer's needs), or remove extra stop words.",
        ) from None
    return vectorizer, counts


def keyword_text(text: str | None) -> str:
    """Text as BERTopic's c-TF-IDF sees it (English): tabs and newlines to spaces, then ASCII letters,
    digits and spaces only. Applying it first keeps our vocabulary and BERTopic's the same."""
    return re.sub(r"[^A-Za-z0-9 ]+", "", (text or "").replace("\n", " ").replace("\t", " ")).strip()


# Reducers ------------------------------------------------------------------------------------


def umap_reducer(settings: LayerSettings, n_docs: int, n_components: int) -> Any:
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


def pca_reducer(settings: LayerSettings, n_docs: int, n_components: int) -> Any:
    return PCA(n_components=n_components, random_state=settings.random_state)


# The tables: name -> how to build the stage from the settings ----------------------------------

REDUCERS: dict[str, Callable[[LayerSettings, int, int], Any]] = {"umap": umap_reducer, "pca": pca_reducer}
CLUSTERERS: dict[str, Callable[[LayerSettings, int], Any]] = {
    "birch": lambda s, n: AutoThresholdBirch(n_clusters=n, threshold=s.birch_threshold,
                                             branching_factor=s.birch_branching_factor,
                                             final_step=s.birch_final_step, random_state=s.random_state),
}
BIRCH_FINAL_STEPS = ("weighted-kmeans", "ward")
VECTORIZERS: dict[str, Callable[[LayerSettings], Any]] = {
    "count": lambda s: KeywordCounter(ngram_range=s.ngram_range, min_df=s.min_df),
}


def needs_warm_up(settings: LayerSettings) -> bool:
    """Whether the settings use UMAP and numba has not yet compiled its kernels in this process."""
    return (settings.reducer == "umap" or settings.coords == "umap") and _compile_umap.cache_info().currsize == 0


def warm_up(settings: LayerSettings) -> None:
    """Make sure numba has compiled UMAP's kernels in this process (when the settings use UMAP)."""
    if settings.reducer == "umap" or settings.coords == "umap":
        _compile_umap()


@functools.cache
def _compile_umap() -> None:
    """Fit UMAP once on random points, so numba compiles its kernels (and pynndescent's, used from
    4,096 points up) here: about 30 s on 2 cores, once per process, never inside a real fit."""
    points = np.random.default_rng(0).normal(size=(4200, 16)).astype(np.float32)
    umap_reducer(LayerSettings(), len(points), 2).fit(points)


def check_stages(settings: LayerSettings) -> None:
    """Refuse stage names no table knows, before any work starts."""
    for setting, name, table in (("reducer", settings.reducer, REDUCERS), ("coords", settings.coords, REDUCERS),
                                 ("clusterer", settings.clusterer, CLUSTERERS),
                                 ("vectorizer", settings.vectorizer, VECTORIZERS)):
        if name not in table:
            raise SettingsError(f"layer.{setting} is {name!r}, which is not one of {', '.join(map(repr, table))}.",
                                f"Set layer.{setting} to one of those in the settings file.")
    if settings.keyword_weighting not in WEIGHTINGS:
        raise SettingsError(f"layer.keyword_weighting is {settings.keyword_weighting!r}, which is not one of "
                            f"{', '.join(map(repr, WEIGHTINGS))}.",
                            "Set layer.keyword_weighting to one of those in the settings file.")
    if settings.birch_final_step not in BIRCH_FINAL_STEPS:
        raise SettingsError(f"layer.birch_final_step is {settings.birch_final_step!r}, which is not one of "
                            f"{', '.join(map(repr, BIRCH_FINAL_STEPS))}.",
                            "Set layer.birch_final_step to one of those in the settings file.")


def make_reducer(settings: LayerSettings, n_docs: int, n_components: int | None = None, name: str | None = None) -> Any:
    """The reducer the settings name, sized for ``n_docs``: small layers need fewer neighbours and components."""
    check_stages(settings)
    n_components = max(1, min(n_components or settings.umap_n_components, n_docs - 2))
    return REDUCERS[name or settings.reducer](settings, n_docs, n_components)


def make_clusterer(settings: LayerSettings, n_clusters: int) -> Any:
    check_stages(settings)
    return CLUSTERERS[settings.clusterer](settings, n_clusters)


def make_vectorizer(settings: LayerSettings) -> Any:
    check_stages(settings)
    return VECTORIZERS[settings.vectorizer](settings)
