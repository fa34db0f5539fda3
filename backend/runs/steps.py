"""The pipeline's steps as plain functions over the artifact store.

The local runner and the SageMaker step scripts call these same functions; each reads what
earlier steps wrote under ``runs/<run_id>/`` and writes its own artifacts, so any step can run
in a fresh process (or a fresh machine) and re-running a step overwrites only its own outputs.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from backend.curation.keywords import KeywordIndex
from backend.curation.labels import final_labels, topic_tree
from backend.curation.mapping import Mapping, TopicDecision, drill_down_rows, initial_mapping
from backend.curation.versions import load_approved, require_approved, save_version
from backend.errors import InputDataError
from backend.runs.approvals import Approval, record_pending
from backend.runs.step_id import StepId
from backend.settings import Settings
from backend.store import ArtifactStore
from backend.store.base import scratch_folder
from backend.store.csv_export import csv_bytes
from backend.store.layout import (
    DOC_TERMS,
    TOPICS,
    bertopic_prefix,
    docs_key,
    embedder_state_key,
    embeddings_key,
    labels_key,
    layer_key,
    layer_prefix,
    mapping_prefix,
    model_prefix,
    records_key,
    tree_key,
)
from backend.text import input_data
from backend.text.embeddings import EmbeddingCache, embed_texts, load_embeddings, make_embedder
from backend.text.input_data import check_text_columns, validate_table
from backend.text.preprocess import Preprocessor, no_text_left
from backend.topics.layer_result import LayerResult, load_layer, save_layer
from backend.topics.layers import fit_layer, fit_sublayer, n_subtopics, save_bertopic
from backend.topics.stages import needs_warm_up, warm_up

logger = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
SYSTEM_USER = "topic-curator"


def validated_records(parts: Iterable[pd.DataFrame], settings: Settings) -> Iterator[pd.DataFrame]:
    """The input's pieces, each checked (columns, ids present), ids unique across all of them, and
    every cell as text: what a run keeps as its own copy of its input."""
    seen: set[str] = set()
    id_column = settings.input.id_column
    for number, part in enumerate(parts):
        part = validate_table(part, id_column, settings.input.text_columns)
        if number == 0:  # the first 100,000 rows tell whether a column holds text
            check_text_columns(part, settings.input.text_columns)
        ids = part[id_column]
        repeated = ids[ids.map(seen.__contains__)]
        if len(repeated):
            raise InputDataError(f"{repeated.nunique()} id(s) in column '{id_column}' appear more than once, "
                                 f"e.g. {', '.join(repr(i) for i in repeated.unique()[:5])}.",
                                 "Ids must be unique: remove the duplicate rows, or choose another id column "
                                 "(input.id_column).")
        seen.update(ids)
        yield part.astype({c: "string" for c in part.columns})


def store_input(store: ArtifactStore, run_id: str, parts: Iterable[pd.DataFrame], settings: Settings) -> int:
    """Keep the run's own copy of its input, so it can be resumed or repeated exactly; return its rows."""
    return store.write_parquet_parts(records_key(run_id), validated_records(parts, settings))


def run_preprocess(store: ArtifactStore, run_id: str, settings: Settings, progress: Progress | None = None,
                   check_size: bool = True) -> dict:
    """Clean the run's records piece by piece; ``check_size=False`` for one shard of many (checked
    when the shards are combined)."""
    preprocessor = Preprocessor(settings)
    n_records = store.parquet_rows(records_key(run_id))
    counts = {"n_input": 0, "n_docs": 0, "n_dropped_empty": 0, "n_truncated": 0}

    def cleaned() -> Iterator[pd.DataFrame]:
        for part in store.iter_parquet(records_key(run_id), rows=input_data.CHUNK_ROWS):
            done = counts["n_input"]
            result = preprocessor(part, _scaled(progress, done, len(part), n_records), require_text=False)
            for name in counts:
                counts[name] += len(result.docs) if name == "n_docs" else getattr(result, name)
            yield result.docs.astype("string")

    store.write_parquet_parts(docs_key(run_id), cleaned())
    if counts["n_docs"] == 0:
        raise no_text_left(counts["n_input"], settings.cleaning.min_words)
    if check_size:
        check_enough_documents(counts["n_docs"], settings)
    remover = preprocessor.remover
    return {**counts, "entity_method": remover.name if remover is not None else "none"}


def check_enough_documents(n_docs: int, settings: Settings) -> None:
    needed = 2 * settings.layer.n_topics
    if n_docs < needed:
        raise InputDataError(
            f"Only {n_docs} documents have usable text; {settings.layer.n_topics} layer-1 topics need at least {needed}.",
            "Add more records, or set layer.n_topics lower (and layer.min_topics with it) in a --config file.",
        )


def run_embed(store: ArtifactStore, run_id: str, settings: Settings, progress: Progress | None = None) -> dict:
    """Embed the documents piece by piece into one float32 array on disk (never all in memory)."""
    embedder = make_embedder(settings.embedding)
    key = embeddings_key(run_id, embedder.name)
    if embedder.needs_fit:  # fitted on the whole corpus; the inference model embeds new texts with its state
        texts = store.read_parquet(docs_key(run_id), columns=["text_embed"])["text_embed"].tolist()
        vectors, n_new = embed_texts(texts, embedder, None, progress)
        store.write_array(key, vectors)
        store.write_bytes(embedder_state_key(run_id, embedder.name), embedder.to_bytes())
        return {"model": embedder.name, "dimensions": int(vectors.shape[1]), "n_new": n_new}
    cache = EmbeddingCache(store, embedder.name) if settings.embedding.cache else None
    total, done, n_new, out = store.parquet_rows(docs_key(run_id)), 0, 0, None
    with tempfile.TemporaryDirectory(dir=scratch_folder()) as tmp:
        path = Path(tmp) / "embeddings.npy"
        for part in store.iter_parquet(docs_key(run_id), columns=["text_embed"], rows=input_data.CHUNK_ROWS):
            vectors, new = embed_texts(part["text_embed"].tolist(), embedder, cache,
                                       _scaled(progress, done, len(part), total))
            if out is None:
                out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(total, vectors.shape[1]))
            out[done:done + len(part)] = vectors
            done, n_new = done + len(part), n_new + new
        out.flush()
        dimensions = int(out.shape[1])
        del out  # close the memory map before the store copies the file
        store.write_file(key, path)
    return {"model": embedder.name, "dimensions": dimensions, "n_new": n_new}


def _scaled(progress: Progress | None, done: int, size: int, total: int) -> Progress | None:
    """A piece's own progress as a share of the whole."""
    if progress is None:
        return None
    return lambda stage, fraction: progress(stage, (done + fraction * size) / max(total, 1))


def run_layer(
    store: ArtifactStore, run_id: str, layer: int, settings: Settings, progress: Progress | None = None
) -> LayerResult:
    """Fit layer ``layer`` and save it with its initial mapping (version 1, every topic kept)."""
    if progress and needs_warm_up(settings.layer):
        progress("compiling UMAP's numba kernels (once per process, about 30 s)", 0.0)
    warm_up(settings.layer)
    docs = store.read_parquet(docs_key(run_id), columns=["id", "text_keywords"])
    embeddings = load_embeddings(store, run_id, settings)
    embedder_name = make_embedder(settings.embedding).name
    if layer == 1:
        result, model = fit_layer(
            docs["id"].tolist(), docs["text_keywords"].tolist(), embeddings,
            settings.layer.n_topics, settings.layer, progress=progress, map_points=settings.app.max_map_points,
        )
        save_bertopic(store, bertopic_prefix(run_id, 1), model, embedder_name)
        doc_terms = (model.doc_term_, model.keyword_vectorizer_.get_feature_names_out())  # counted once
    else:
        doc_terms = None
        parent_mapping = require_approved(store, run_id, layer - 1)
        parent_layer = load_layer(store, run_id, layer - 1)
        parents = drill_down_rows(parent_mapping, parent_layer.assignments, docs)
        result = fit_sublayer(
            layer, parents, docs, embeddings, settings.layer, settings.drilldown, progress,
            on_model=lambda parent, model: save_bertopic(store, bertopic_prefix(run_id, layer, parent), model, embedder_name),
            map_points=settings.app.max_map_points,
        )
    save_layer(store, run_id, result)
    save_doc_terms(store, run_id, result, docs, settings, doc_terms)
    if not store.list(mapping_prefix(run_id, layer)):
        save_version(store, initial_mapping(run_id, result), SYSTEM_USER)
    return result


def save_doc_terms(store: ArtifactStore, run_id: str, result: LayerResult, docs: pd.DataFrame, settings: Settings,
                   counted: tuple | None = None) -> None:
    """Term counts of the layer's documents, so curation recomputes keywords without re-reading texts.

    ``counted``: (counts, vocabulary) the layer model already made for exactly these documents.
    """
    if counted is not None:
        index = KeywordIndex(*counted)
    else:
        texts = docs.set_index(docs["id"].astype(str))["text_keywords"].reindex(result.assignments["id"].astype(str))
        index = KeywordIndex.from_texts(texts.fillna("").tolist(), settings.layer.ngram_range, settings.layer.min_df)
    store.write_bytes(layer_key(run_id, result.layer, DOC_TERMS), index.to_bytes())


def curate_step_arguments(store: ArtifactStore, run_id: str, layer: int) -> dict:
    """What a curate step hands to people: the same fields a SageMaker CallbackStep sends."""
    return {
        "run_id": run_id,
        "layer": layer,
        "model_artifacts": store.uri(layer_prefix(run_id, layer)),
        "documents": store.uri(docs_key(run_id)),
        "mapping_versions": store.uri(mapping_prefix(run_id, layer)),
    }


def open_curation(store: ArtifactStore, run_id: str, layer: int) -> Approval:
    return record_pending(store, run_id, str(StepId.curate(layer)), layer, curate_step_arguments(store, run_id, layer))


def auto_mapping(mapping: Mapping, result: LayerResult, settings: Settings) -> Mapping:
    """The --auto-approve rule: keep every topic, and drill into the largest ones.

    A topic is drilled into when it holds at least ``drilldown.auto_min_share`` of the layer's
    documents and is big enough to split (``drilldown.min_parent_docs``); at most
    ``drilldown.auto_max_parents`` of them, largest first. The last layer drills into nothing.
    """
    if result.layer >= settings.n_layers:
        return mapping
    total = sum(t.size for t in result.topics.values()) or 1
    candidates = [
        t for t in result.topics.values()
        if t.size / total >= settings.drilldown.auto_min_share and n_subtopics(t.size, settings.drilldown) > 0
    ]
    chosen = {t.key for t in sorted(candidates, key=lambda t: -t.size)[: settings.drilldown.auto_max_parents]}
    topics = {
        key: TopicDecision(label=d.label, status=d.status, merged_into=d.merged_into,
                           drill_down=key in chosen and d.status == "kept", note=d.note)
        for key, d in mapping.topics.items()
    }
    return mapping.with_meta(topics=topics)


def run_labels(store: ArtifactStore, run_id: str, settings: Settings) -> pd.DataFrame:
    """Write the final labels (Parquet and CSV) from every approved layer."""
    records = store.read_parquet(records_key(run_id))
    ids = records[settings.input.id_column].astype(str).tolist()
    labels = current_labels(store, run_id, ids)
    store.write_parquet(labels_key(run_id), labels)
    store.write_bytes(labels_key(run_id, "csv"), csv_bytes(labels))
    store.write_json(tree_key(run_id), current_tree(store, run_id, labels))
    return labels


def approved_layers(store: ArtifactStore, run_id: str) -> list[tuple[LayerResult, Mapping]]:
    """Each fitted layer with its approved mapping, from layer 1 down as far as approvals go."""
    layers = []
    for layer in (1, 2, 3):
        mapping = load_approved(store, run_id, layer)
        if mapping is None or not store.exists(layer_key(run_id, layer, TOPICS)):
            break
        layers.append((load_layer(store, run_id, layer), mapping))
    return layers


def current_labels(store: ArtifactStore, run_id: str, ids: list[str]) -> pd.DataFrame:
    """Labels from the layers approved so far (all of them once the run is complete)."""
    return final_labels(ids, approved_layers(store, run_id))


def current_tree(store: ArtifactStore, run_id: str, labels: pd.DataFrame) -> dict:
    """The curated topic tree (JSON-ready) of the layers approved so far."""
    return topic_tree(approved_layers(store, run_id), labels)


def run_model(store: ArtifactStore, run_id: str, settings: Settings, holdout: float = 0.2) -> dict:
    """Build the inference model from the final labels; report its agreement on held-out documents.

    It is fitted once on 80% of the labelled documents to measure agreement with the curated labels
    on the other 20%, then refitted on all of them; the saved model carries that measurement.
    """
    from backend.topics.inference_model import agreement, fit_inference_model

    docs = store.read_parquet(docs_key(run_id), columns=["id"])
    ids = docs["id"].astype(str).to_numpy()
    embeddings = load_embeddings(store, run_id, settings)
    labels = store.read_parquet(labels_key(run_id))
    name = make_embedder(settings.embedding).name
    order = np.random.default_rng(settings.seed).permutation(len(ids))
    cut = int(len(ids) * (1 - holdout))
    train, test = order[:cut], order[cut:]
    measured = agreement(fit_inference_model(labels, ids[train], embeddings[train], name), labels, ids[test],
                         embeddings[test]) if len(test) else {}
    state_key = embedder_state_key(run_id, name)
    model = fit_inference_model(labels, ids, embeddings, name,
                                {"run_id": run_id, "trained_on": len(ids), "holdout": measured,
                                 "embedding": settings.embedding.model},
                                store.read_bytes(state_key) if store.exists(state_key) else None)
    model.save(store, model_prefix(run_id))
    return measured
