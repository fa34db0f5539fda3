"""Labels carried over from a previous run of the same kind of data.

The store-facing side of ``label_transfer``: profiles of the new layer's raw topics against the
previous run's approved, curated topics."""

from __future__ import annotations

import numpy as np

from backend.curation.label_transfer import LabelProposal, curated_profiles, propose_labels, raw_profiles
from backend.curation.layer_index import LayerIndex
from backend.curation.session import build_keyword_index
from backend.curation.versions import require_approved
from backend.settings import run_settings
from backend.store import ArtifactStore
from backend.store.layout import docs_key
from backend.text.embeddings import load_embeddings
from backend.topics.layer_result import load_layer


def layer_embeddings(store: ArtifactStore, run_id: str, ids: np.ndarray) -> np.ndarray:
    """The run's document embeddings, in the order of ``ids`` (a layer's documents)."""
    docs = store.read_parquet(docs_key(run_id))
    vectors = load_embeddings(store, run_id, run_settings(store, run_id))
    position = dict(zip(docs["id"].astype(str), range(len(docs))))
    return vectors[[position[str(i)] for i in ids]]


def propose_from_previous_run(
    store: ArtifactStore, run_id: str, layer: int, previous_run_id: str, min_confidence: float = 0.5
) -> dict[str, LabelProposal]:
    """For each topic of ``run_id``'s layer, the label of the matching approved topic, if any."""
    new = load_layer(store, run_id, layer)
    previous_mapping = require_approved(store, previous_run_id, layer)
    previous = load_layer(store, previous_run_id, layer)
    previous_index = LayerIndex.from_result(previous)
    keywords = build_keyword_index(store, previous_run_id, previous_index, layer).for_mapping(previous_mapping, previous_index)
    return propose_labels(
        raw_profiles(new, layer_embeddings(store, run_id, new.assignments["id"].to_numpy())),
        curated_profiles(previous_mapping, previous_index,
                         layer_embeddings(store, previous_run_id, previous_index.ids.to_numpy()), keywords),
        min_confidence=min_confidence,
    )
