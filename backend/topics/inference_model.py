"""The registered model: predicts each text's *curated* use-case path, with scores.

Per node of the curated tree (the root, then every topic that was drilled into) a nearest-centroid
classifier over sentence embeddings: one centroid per curated child topic (after merges, splits and
moves; discarded documents form an "Unassigned/other" class), trained on the approved assignments.
It is stored as plain arrays (``centroids.npz``, loaded with ``allow_pickle=False``) plus JSON, so
loading it never runs stored code, and it follows the curation instead of BERTopic's raw clusters.
An embedder fitted on the run's corpus (TF-IDF + SVD) travels with it as ``embedder.npz``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backend.errors import DamagedArtifactError
from backend.settings import EmbeddingSettings
from backend.store import ArtifactStore
from backend.text.embeddings import Embedder, make_embedder
from backend.topics.layer_result import PATH_SEPARATOR, UNASSIGNED_LABEL

FILES = ("model.json", "centroids.npz", "embedder.npz")  # embedder.npz only for fitted embedders
FORMAT = "topic-curator/nearest-centroid"


@dataclass(frozen=True)
class Node:
    """One decision: which child topic a text belongs to, given it reached this node."""

    key: str  # "" for the root, else the parent topic's key
    children: list[dict]  # {"key", "label", "layer"} per centroid row
    centroids: np.ndarray  # (n_children, dim), L2-normalised


@dataclass(frozen=True)
class InferenceModel:
    nodes: dict[str, Node]
    embedding_model: str
    meta: dict
    embedder_state: bytes | None = field(default=None, repr=False)

    def embedder(self) -> Embedder:
        """The embedder to use on new texts: the one the model was trained with."""
        try:
            return make_embedder(EmbeddingSettings(model=self.meta.get("embedding", "minilm")), self.embedder_state)
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise _not_a_model("its embedder.npz", exc) from exc

    def predict(self, embeddings: np.ndarray) -> list[dict]:
        """Per text: the path of labels and keys from layer 1 down, with a score per level."""
        vectors = _normalise(np.asarray(embeddings, dtype=np.float32))
        results = [{"labels": [], "topics": [], "scores": []} for _ in range(len(vectors))]
        frontier = {"": np.arange(len(vectors))}
        while frontier:
            next_frontier: dict[str, list[int]] = {}
            for key, rows in frontier.items():
                node = self.nodes.get(key)
                if node is None or not len(rows):
                    continue
                similarity = vectors[rows] @ node.centroids.T
                best = similarity.argmax(axis=1)
                for row, choice, score in zip(rows, best, similarity[np.arange(len(rows)), best]):
                    child = node.children[choice]
                    results[row]["labels"].append(child["label"])
                    results[row]["topics"].append(child["key"])
                    results[row]["scores"].append(round(float(score), 4))
                    if child["key"] in self.nodes:
                        next_frontier.setdefault(child["key"], []).append(int(row))
            frontier = {k: np.array(v) for k, v in next_frontier.items()}
        for result in results:
            result["path"] = PATH_SEPARATOR.join(result["labels"])
        return results

    def save(self, store: ArtifactStore, prefix: str) -> None:
        arrays = {f"node{i}": node.centroids for i, node in enumerate(self.nodes.values())}
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        store.write_bytes(_key(prefix, "centroids.npz"), buffer.getvalue())
        if self.embedder_state is not None:
            store.write_bytes(_key(prefix, "embedder.npz"), self.embedder_state)
        store.write_json(_key(prefix, "model.json"), {
            "format": FORMAT, "embedding_model": self.embedding_model, "meta": self.meta,
            "nodes": [{"key": node.key, "array": f"node{i}", "children": node.children}
                      for i, node in enumerate(self.nodes.values())],
        })

    @staticmethod
    def is_saved(store: ArtifactStore, prefix: str) -> bool:
        return store.exists(_key(prefix, "model.json"))

    @classmethod
    def load(cls, store: ArtifactStore, prefix: str) -> "InferenceModel":
        """Read a saved model; a folder that is not one (damaged, or crafted with pickled or object
        arrays, which are never loaded) raises DamagedArtifactError saying so."""
        spec = store.read_json(_key(prefix, "model.json"))
        if not isinstance(spec, dict) or spec.get("format") != FORMAT:
            raise _not_a_model(f"{store.uri(_key(prefix, 'model.json'))} (its format is not {FORMAT})")
        arrays = store.read_npz(_key(prefix, "centroids.npz"))
        try:
            nodes = {n["key"]: Node(n["key"], n["children"], arrays[n["array"]].astype(np.float32))
                     for n in spec["nodes"]}
            embedding_model, meta = str(spec["embedding_model"]), dict(spec.get("meta", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise _not_a_model(f"{store.uri(prefix)} (model.json and centroids.npz do not fit)", exc) from exc
        state_key = _key(prefix, "embedder.npz")
        state = store.read_bytes(state_key) if store.exists(state_key) else None
        return cls(nodes, embedding_model, meta, state)


def fit_inference_model(labels: pd.DataFrame, ids: Sequence[str], embeddings: np.ndarray,
                        embedding_model: str, meta: dict | None = None,
                        embedder_state: bytes | None = None) -> InferenceModel:
    """Centroids per tree node from final labels (``backend.curation.labels``) and row-aligned embeddings."""
    frame = labels.set_index("id").loc[[str(i) for i in ids]]
    vectors = _normalise(np.asarray(embeddings, dtype=np.float32))
    nodes: dict[str, Node] = {}
    for layer in (1, 2, 3):
        topic, label = frame[f"layer{layer}_topic"], frame[f"layer{layer}_label"]
        parent = frame[f"layer{layer - 1}_topic"] if layer > 1 else pd.Series("", index=frame.index)
        present = topic.notna()
        for parent_key, group in frame[present].groupby(parent[present].fillna(""), sort=True):
            rows = frame.index.get_indexer(group.index)
            keys = topic.iloc[rows].astype(str).where(label.iloc[rows] != UNASSIGNED_LABEL, "unassigned")
            children, centroids = [], []
            for key in sorted(keys.unique()):
                members = rows[(keys == key).to_numpy()]
                children.append({"key": key, "label": str(label.iloc[members[0]]), "layer": layer})
                centroids.append(vectors[members].mean(axis=0))
            nodes[str(parent_key)] = Node(str(parent_key), children, _normalise(np.vstack(centroids)))
    return InferenceModel(nodes, embedding_model, meta or {}, embedder_state)


def agreement(model: InferenceModel, labels: pd.DataFrame, ids: Sequence[str], embeddings: np.ndarray) -> dict:
    """How often the model's path and layer-1 label equal the curated ones."""
    predicted = model.predict(embeddings)
    truth = labels.set_index("id").loc[[str(i) for i in ids]]
    same_path = np.mean([p["path"] == t for p, t in zip(predicted, truth["path"])])
    same_l1 = np.mean([p["labels"][0] == t for p, t in zip(predicted, truth["layer1_label"])])
    return {"documents": len(ids), "path_agreement": round(float(same_path), 4),
            "layer1_agreement": round(float(same_l1), 4)}


def _not_a_model(what: str, exc: Exception | None = None) -> DamagedArtifactError:
    detail = f" ({type(exc).__name__}: {exc})" if exc else ""
    return DamagedArtifactError(f"This is not a usable topic-curator model: {what}{detail}.",
                                "Use the model folder a completed run wrote (runs/<run_id>/model), unchanged; "
                                "rebuild it by running the run again if it was damaged.")


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
