"""What a fitted layer leaves behind, as plain data, and how it is stored.

A layer is stored under ``runs/<run_id>/layer<N>/`` (``backend.store.layout``):
- ``assignments.parquet``: id, topic, parent, x, y (one row per document in the layer)
- ``reduced.npy``: the documents' reduced (UMAP) embeddings, row-aligned with assignments
- ``topics.json``: per topic its size, keywords with scores and representative documents
- ``model/`` (layer 1) or ``<parent>/model/`` (layers 2, 3): BERTopic saved with safetensors

Topic keys are strings that spell their place in the tree: "3" in layer 1, "3.1" in layer 2,
"3.1.0" in layer 3.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from backend.store import ArtifactStore
from backend.store.layout import ASSIGNMENTS, REDUCED, TOPICS, layer_key
from backend.topics.keyword_label import keyword_label

ASSIGNMENT_COLUMNS = ["id", "topic", "parent", "x", "y"]
# How a document's place in the curated tree is spelled, wherever labels are made or read.
UNASSIGNED_LABEL = "Unassigned/other"
PATH_SEPARATOR = " > "


@dataclass(frozen=True)
class Topic:
    key: str
    size: int
    keywords: list[tuple[str, float]]
    representative_ids: list[str]
    parent: str | None = None

    @property
    def default_label(self) -> str:
        return keyword_label(self.keywords, f"Topic {self.key}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "parent": self.parent,
            "size": self.size,
            "default_label": self.default_label,
            "keywords": [[w, s] for w, s in self.keywords],
            "representative_ids": self.representative_ids,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Topic":
        return cls(
            key=str(data["key"]),
            size=int(data["size"]),
            keywords=[(str(w), float(s)) for w, s in data["keywords"]],
            representative_ids=[str(i) for i in data["representative_ids"]],
            parent=data.get("parent"),
        )


@dataclass(frozen=True)
class LayerResult:
    layer: int
    assignments: pd.DataFrame
    topics: dict[str, Topic]
    reduced: np.ndarray
    # Parents that were asked for but not split, with the reason (e.g. too few documents).
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Identifies this exact fit; a mapping made for another fit of the layer is stale."""
        digest = hashlib.sha256()
        for doc_id, topic in zip(self.assignments["id"], self.assignments["topic"]):
            digest.update(f"{doc_id}\t{topic}\n".encode())
        return digest.hexdigest()[:16]

    @property
    def is_empty(self) -> bool:
        return not self.topics


def save_layer(store: ArtifactStore, run_id: str, result: LayerResult) -> None:
    store.write_parquet(layer_key(run_id, result.layer, ASSIGNMENTS), result.assignments[ASSIGNMENT_COLUMNS])
    store.write_array(layer_key(run_id, result.layer, REDUCED), np.asarray(result.reduced, dtype=np.float32))
    store.write_json(
        layer_key(run_id, result.layer, TOPICS),
        {
            "layer": result.layer,
            "fingerprint": result.fingerprint,
            "topics": [t.to_dict() for t in result.topics.values()],
            "skipped": result.skipped,
        },
    )


def load_skipped(store: ArtifactStore, run_id: str, layer: int) -> dict[str, str]:
    """Parent topics the layer did not split, with why (read without loading the layer)."""
    key = layer_key(run_id, layer, TOPICS)
    return dict(store.read_json(key).get("skipped", {})) if store.exists(key) else {}


def load_topics(store: ArtifactStore, run_id: str, layer: int) -> dict[str, Topic]:
    """A fitted layer's topics (sizes, keywords, parents), read without its assignments."""
    return {str(t["key"]): Topic.from_dict(t) for t in store.read_json(layer_key(run_id, layer, TOPICS))["topics"]}


def skipped_summary(skipped: dict[str, str]) -> str:
    """'not split: topic 4 (23 documents, fewer than ...); ...' for step details and pages."""
    return "not split: " + "; ".join(f"topic {parent} ({why})" for parent, why in skipped.items())


def load_layer(store: ArtifactStore, run_id: str, layer: int) -> LayerResult:
    meta = store.read_json(layer_key(run_id, layer, TOPICS))
    return LayerResult(
        layer=layer,
        assignments=store.read_parquet(layer_key(run_id, layer, ASSIGNMENTS)),
        topics={str(t["key"]): Topic.from_dict(t) for t in meta["topics"]},
        reduced=store.read_array(layer_key(run_id, layer, REDUCED)),
        skipped=dict(meta.get("skipped", {})),
    )


def is_fitted(store: ArtifactStore, run_id: str, layer: int) -> bool:
    return store.exists(layer_key(run_id, layer, TOPICS))
