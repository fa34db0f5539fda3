"""Fitting layers: layer 1 over all documents, layers 2 and 3 as one sub-model per parent topic.

Sub-topic rule (documented in the README): a parent of ``n`` documents gets
``k = clamp(round(n / docs_per_subtopic), min_subtopics, max_subtopics)`` sub-topics, and a parent
with fewer than ``min_parent_docs`` documents is skipped with that reason recorded.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from backend.settings import DrillDownSettings, LayerSettings
from backend.store import ArtifactStore
from backend.topics.layer_model import LayerModel, document_coordinates, layer_model, representative_documents
from backend.topics.layer_result import LayerResult, Topic

logger = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


def n_subtopics(n_docs: int, settings: DrillDownSettings) -> int:
    """How many sub-topics a parent of ``n_docs`` documents is split into (0: too small)."""
    if n_docs < settings.min_parent_docs:
        return 0
    k = round(n_docs / settings.docs_per_subtopic)
    return int(min(settings.max_subtopics, max(settings.min_subtopics, k)))


def fit_layer(
    ids: Sequence[str],
    texts: Sequence[str],
    embeddings: np.ndarray,
    n_topics: int,
    settings: LayerSettings,
    parent: str | None = None,
    progress: Progress | None = None,
    map_points: int | None = None,
) -> tuple[LayerResult, LayerModel]:
    """Fit one layer model on the given documents and describe its topics.

    The document map gets 2-D positions for at most ``map_points`` documents (a fixed random
    sample; the others have none), which is all the app draws.
    """
    stage = f"topics under {parent}" if parent else "topics"
    report = progress or (lambda _stage, _fraction: None)
    report(f"{stage}: UMAP + BIRCH + c-TF-IDF", 0.0)
    model = layer_model(settings, n_topics, len(ids)).fit(texts, embeddings)
    report(f"{stage}: 2-D map", 0.7)
    coords = np.full((len(ids), 2), np.nan, dtype=np.float32)
    shown = map_rows(len(ids), map_points, settings.random_state)
    coords[shown] = document_coordinates(np.asarray(embeddings[shown]), settings)
    prefix = f"{parent}." if parent else ""
    keys = np.array([f"{prefix}{t}" for t in model.topics_], dtype=object)
    ids = [str(i) for i in ids]
    representatives = representative_documents(embeddings, model.topics_, settings.n_representative_docs)
    topics = {
        f"{prefix}{t}": Topic(
            key=f"{prefix}{t}",
            size=int((model.topics_ == t).sum()),
            keywords=[(w, round(s, 6)) for w, s in model.keywords_.get(t, [])],
            representative_ids=[ids[i] for i in representatives[t]],
            parent=parent,
        )
        for t in sorted(representatives)
    }
    assignments = pd.DataFrame(
        {"id": ids, "topic": keys, "parent": parent, "x": coords[:, 0], "y": coords[:, 1]}
    )
    report(f"{stage}: done", 1.0)
    layer = 1 if parent is None else parent.count(".") + 2
    return LayerResult(layer, assignments, topics, model.reduced_embeddings_), model


def map_rows(n_docs: int, map_points: int | None, seed: int) -> np.ndarray:
    """The documents the map shows: all of them, or a fixed random sample of ``map_points``."""
    if not map_points or n_docs <= map_points:
        return np.arange(n_docs)
    return np.sort(np.random.default_rng(seed).choice(n_docs, map_points, replace=False))


def fit_sublayer(
    layer: int,
    parents: Mapping[str, np.ndarray],
    docs: pd.DataFrame,
    embeddings: np.ndarray,
    layer_settings: LayerSettings,
    drilldown: DrillDownSettings,
    progress: Progress | None = None,
    on_model: Callable[[str, LayerModel], None] | None = None,
    map_points: int | None = None,
) -> LayerResult:
    """One sub-model per parent topic; ``parents`` maps parent key -> document row positions.
    The map's ``map_points`` are shared among the parents by their size."""
    total = sum(len(rows) for rows in parents.values()) or 1
    parts: list[LayerResult] = []
    skipped: dict[str, str] = {}
    for number, (parent, rows) in enumerate(sorted(parents.items()), start=1):
        k = n_subtopics(len(rows), drilldown)
        if k == 0:
            skipped[parent] = (
                f"{len(rows)} documents, fewer than the {drilldown.min_parent_docs} a sub-model needs "
                f"(drilldown.min_parent_docs)"
            )
            logger.info("Layer %d: topic %s not split (%s)", layer, parent, skipped[parent])
            continue
        if progress:
            progress(f"layer {layer}: parent {parent} ({number}/{len(parents)}, {len(rows)} docs, k={k})",
                     (number - 1) / len(parents))
        result, model = fit_layer(
            docs["id"].iloc[rows].tolist(),
            docs["text_keywords"].iloc[rows].tolist(),
            embeddings[rows],
            k,
            layer_settings,
            parent=parent,
            map_points=max(100, round(map_points * len(rows) / total)) if map_points else None,
        )
        if on_model:
            on_model(parent, model)
        parts.append(result)
    if progress:
        progress(f"layer {layer}: done", 1.0)
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ["id", "topic", "parent"]})
        empty["x"] = pd.Series(dtype=np.float32)
        empty["y"] = pd.Series(dtype=np.float32)
        return LayerResult(layer, empty, {}, np.zeros((0, 0), dtype=np.float32), skipped)
    width = max(p.reduced.shape[1] for p in parts)
    reduced = np.vstack([np.pad(p.reduced, ((0, 0), (0, width - p.reduced.shape[1]))) for p in parts])
    return LayerResult(
        layer,
        pd.concat([p.assignments for p in parts], ignore_index=True),
        {k: v for p in parts for k, v in p.topics.items()},
        reduced,
        skipped,
    )


def save_bertopic(store: ArtifactStore, key_prefix: str, model: LayerModel, embedding_name: str) -> None:
    """Store the BERTopic model with safetensors (no pickle), keywords and topic embeddings kept."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        model.bertopic_.save(
            folder, serialization="safetensors", save_ctfidf=True, save_embedding_model=embedding_name
        )
        store.upload_folder(folder, key_prefix)
