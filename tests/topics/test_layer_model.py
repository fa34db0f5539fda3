from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from backend.errors import InputDataError
from backend.settings import LayerSettings
from backend.text.embeddings import HashingEmbedder
from backend.topics.layer_model import LayerModel, representative_documents
from backend.topics.stages import AutoThresholdBirch, KeywordCounter, make_reducer


def themed_corpus(n_themes: int = 20, per_theme: int = 15, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Documents drawn from disjoint vocabularies, so the right clustering is known."""
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for theme in range(n_themes):
        words = [f"theme{theme}word{i}" for i in range(12)]
        for _ in range(per_theme):
            texts.append(" ".join(rng.choice(words, 10)))
            truth.append(theme)
    return texts, np.array(truth)


def test_birch_threshold_is_chosen_to_reach_the_number_of_clusters():
    rng = np.random.default_rng(1)
    points = np.vstack([rng.normal(center, 0.05, size=(30, 5)) for center in rng.uniform(-5, 5, (20, 5))])
    model = AutoThresholdBirch(n_clusters=20).fit(points)
    assert len(np.unique(model.labels_)) == 20
    assert 0 < model.threshold_ < 0.5
    assert len(model.birch_.subcluster_centers_) >= 20


def test_weighted_final_step_gives_each_subcluster_one_topic_and_predicts_the_same():
    from sklearn.metrics import normalized_mutual_info_score

    rng = np.random.default_rng(1)
    truth = np.repeat(np.arange(20), 30)
    points = np.vstack([rng.normal(center, 0.05, size=(30, 5)) for center in rng.uniform(-5, 5, (20, 5))])
    model = AutoThresholdBirch(n_clusters=20).fit(points)
    assert model.final_step == "weighted-kmeans" and len(np.unique(model.labels_)) == 20
    assert (model.predict(points) == model.labels_).all()
    assert normalized_mutual_info_score(truth, model.labels_) == pytest.approx(1.0)


def test_ward_final_step_is_scikit_learns_own():
    from sklearn.cluster import Birch

    points = np.random.default_rng(2).normal(size=(300, 3))
    ours = AutoThresholdBirch(n_clusters=5, threshold=0.3, final_step="ward").fit(points)
    assert (ours.labels_ == Birch(threshold=0.3, branching_factor=50, n_clusters=5).fit(points).labels_).all()


@pytest.mark.parametrize("setting", ["birch_final_step", "keyword_weighting"])
def test_unknown_final_step_or_weighting_is_refused_before_any_work(setting):
    from dataclasses import replace

    from backend.errors import SettingsError
    from backend.topics.stages import check_stages

    check_stages(LayerSettings())
    with pytest.raises(SettingsError, match=f"layer.{setting} is 'average'"):
        check_stages(replace(LayerSettings(), **{setting: "average"}))


def test_given_threshold_is_used_as_is():
    points = np.random.default_rng(2).normal(size=(100, 3))
    assert AutoThresholdBirch(n_clusters=5, threshold=0.3).fit(points).threshold_ == 0.3


def test_layer_model_recovers_separable_themes():
    from sklearn.metrics import normalized_mutual_info_score

    texts, truth = themed_corpus()
    embeddings = HashingEmbedder(dim=64).encode(texts)
    model = LayerModel(n_topics=20, reducer=PCA(n_components=10, random_state=0)).fit(texts, embeddings)
    assert model.topics_.shape == (len(texts),)
    assert len(np.unique(model.topics_)) == 20
    assert normalized_mutual_info_score(truth, model.topics_) > 0.8
    # Topics are numbered by size (BERTopic's order); most topics' keywords come from one theme.
    sizes = np.bincount(model.topics_)
    assert list(sizes) == sorted(sizes, reverse=True)
    pure = [len({w.split("word")[0] for w, _ in words[:5]}) == 1 for words in model.keywords_.values()]
    assert sum(pure) >= 15
    assert model.reduced_embeddings_.shape == (len(texts), 10)


def test_held_out_documents_are_assigned_to_their_theme():
    from sklearn.metrics import normalized_mutual_info_score

    texts, truth = themed_corpus(n_themes=5, per_theme=40)
    embeddings = HashingEmbedder(dim=64).encode(texts)
    held_out = np.arange(len(texts)) % 4 == 0
    model = LayerModel(n_topics=5, reducer=PCA(n_components=5, random_state=0))
    model.fit([t for t, h in zip(texts, held_out) if not h], embeddings[~held_out])
    assigned = model.assign(embeddings[held_out])
    assert normalized_mutual_info_score(truth[held_out], assigned) > 0.8
    assert set(assigned) <= set(model.topics_)


def test_min_df_counts_documents_and_punctuation_never_breaks_the_keywords():
    texts, _ = themed_corpus(n_themes=4, per_theme=40)
    # "rareword" appears in 3 documents of one topic: it survives min_df=2 (documents), though it
    # would not if min_df counted topics, as BERTopic's own vectorizer would.
    texts = [t + (" rareword" if i < 3 else "") + " don't e-mail café" for i, t in enumerate(texts)]
    embeddings = HashingEmbedder(dim=32).encode(texts)
    model = LayerModel(n_topics=4, reducer=PCA(n_components=4, random_state=0),
                       vectorizer=KeywordCounter(ngram_range=(1, 1), min_df=2))
    model.fit(texts, embeddings)
    vocabulary = model.bertopic_.vectorizer_model.vocabulary_
    assert "rareword" in vocabulary and "email" in vocabulary and "don" not in vocabulary
    assert all(np.isfinite(score) for words in model.keywords_.values() for _, score in words)


def test_too_few_documents_for_the_topics_is_a_clear_error():
    texts, _ = themed_corpus(n_themes=2, per_theme=5)
    with pytest.raises(InputDataError, match="Only 10 documents to cluster into 20 topics"):
        LayerModel(n_topics=20, reducer=PCA(2)).fit(texts, HashingEmbedder().encode(texts))


def test_reducer_is_sized_for_small_layers():
    umap = make_reducer(LayerSettings(), n_docs=12)
    assert umap.n_neighbors == 11 and umap.n_components == 7 and umap.init == "random"
    pca = make_reducer(LayerSettings(reducer="pca"), n_docs=4)
    assert pca.n_components == 2


def test_representative_documents_are_closest_to_the_centroid():
    embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.5, 0.5]])
    topics = np.array([0, 0, 1, 0])
    reps = representative_documents(embeddings, topics, n=2)
    assert reps[1] == [2]
    assert reps[0][0] == 1 and len(reps[0]) == 2


def test_a_fit_on_a_sample_places_the_rest_close_to_the_full_fit():
    """Fitted on 300 of 800 documents, the others placed by their nearest sampled neighbours (or by
    UMAP-style transform): nearly the same topics as fitting all 800."""
    from sklearn.metrics import normalized_mutual_info_score as nmi

    texts, truth = themed_corpus(n_themes=8, per_theme=100, seed=3)
    texts = [t + (" onlyhere" if i == len(texts) - 1 else "") for i, t in enumerate(texts)]  # a term outside the sample
    embeddings = HashingEmbedder(dim=64).encode(texts)
    full = LayerModel(n_topics=8, reducer=PCA(n_components=6, random_state=0)).fit(texts, embeddings)
    for placement, agreement in (("neighbours", 0.9), ("transform", 0.85)):
        sampled = LayerModel(n_topics=8, reducer=PCA(n_components=6, random_state=0), fit_sample=300,
                             placement=placement).fit(texts, embeddings)
        assert len(sampled.sample_) == 300 and sampled.topics_.shape == (800,)
        assert nmi(full.topics_, sampled.topics_) > agreement and nmi(truth, sampled.topics_) > agreement, placement
        assert sampled.reduced_embeddings_.shape == (800, 6) and np.isfinite(sampled.reduced_embeddings_).all()
        assert sampled.doc_term_.shape[0] == 800  # keywords count every document
