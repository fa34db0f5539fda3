"""The layer model's stages are plug-ins named in the settings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.cluster import KMeans

from backend.errors import SettingsError
from backend.settings import LayerSettings
from backend.text.embeddings import HashingEmbedder
from backend.topics import stages
from backend.topics.layer_model import layer_model
from tests.topics.test_layer_model import themed_corpus


def test_an_unknown_stage_is_refused_with_the_known_names():
    with pytest.raises(SettingsError, match="layer.reducer is 'tsne', which is not one of 'umap', 'pca'"):
        stages.check_stages(LayerSettings(reducer="tsne"))
    with pytest.raises(SettingsError, match="layer.clusterer is 'hdbscan'"):
        stages.check_stages(LayerSettings(clusterer="hdbscan"))


def test_a_run_with_an_unknown_stage_is_refused_before_it_starts(local_store, fast_settings, sample_records):
    from backend.runs.runner import LocalRunner

    settings = dataclasses.replace(fast_settings, layer=dataclasses.replace(fast_settings.layer, clusterer="nope"))
    with pytest.raises(SettingsError, match="layer.clusterer"):
        LocalRunner(local_store).start(sample_records, settings, "refused")
    assert local_store.list("runs") == []


def test_a_new_clusterer_is_one_class_and_one_settings_value(monkeypatch):
    """k-means, registered by name, clusters a layer with no other change."""
    monkeypatch.setitem(stages.CLUSTERERS, "kmeans", lambda settings, n: KMeans(n_clusters=n, n_init=3, random_state=0))
    texts, truth = themed_corpus(n_themes=5, per_theme=30)
    settings = LayerSettings(reducer="pca", clusterer="kmeans", umap_n_components=5)
    model = layer_model(settings, n_topics=5, n_docs=len(texts)).fit(texts, HashingEmbedder(dim=64).encode(texts))
    assert isinstance(model.cluster_model_, KMeans) and model.cluster_model_.n_clusters == 5
    assert len(np.unique(model.topics_)) == 5


def test_the_layer_model_takes_the_vectorizer_the_settings_name():
    model = layer_model(LayerSettings(reducer="pca", ngram_range=(1, 1), min_df=3), n_topics=4, n_docs=100)
    assert isinstance(model.vectorizer, stages.KeywordCounter)
    assert (model.vectorizer.ngram_range, model.vectorizer.min_df) == ((1, 1), 3)


def test_no_keyword_left_is_a_clear_error():
    from backend.errors import InputDataError
    from backend.topics.stages import keyword_counts

    with pytest.raises(InputDataError, match="No keyword is left in these 3 documents") as error:
        keyword_counts(["the and of", "it is", "!!!"], (1, 2), 1)
    assert "text columns" in error.value.fix
