"""Final labels: one row per input document with its curated topic and label at every layer.

Columns: id, layer1_topic, layer1_label, layer2_topic, layer2_label, layer3_topic, layer3_label,
path, discarded_at_layer, label_source ("model", or "person" where someone moved or split the
document off by hand), layer1_mapping_version ... (empty where a document was not drilled into).
Documents dropped before modelling (no usable text) get the path "No text".
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from backend.curation.mapping import UNASSIGNED_LABEL, Mapping, parent_of, sort_key
from backend.topics.layer_result import PATH_SEPARATOR, LayerResult

NO_TEXT_LABEL = "No text"
LABEL_COLUMNS = [
    "id",
    "layer1_topic", "layer1_label",
    "layer2_topic", "layer2_label",
    "layer3_topic", "layer3_label",
    "path", "discarded_at_layer", "label_source",
    "layer1_mapping_version", "layer2_mapping_version", "layer3_mapping_version",
]


def final_labels(
    input_ids: Sequence[str],
    layers: Sequence[tuple[LayerResult, Mapping]],
) -> pd.DataFrame:
    """Combine each layer's assignments with its approved mapping, in input order."""
    frame = pd.DataFrame({"id": pd.Series([str(i) for i in input_ids], dtype="string")})
    frame["discarded_at_layer"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    modelled = pd.Series(False, index=frame.index)
    for number in (1, 2, 3):
        frame[f"layer{number}_topic"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame[f"layer{number}_label"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame[f"layer{number}_mapping_version"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    person = pd.Series(False, index=frame.index)
    for result, mapping in layers:
        n = result.layer
        raw = frame["id"].map(result.assignments.set_index("id")["topic"].astype(str))
        placed = frame["id"].map(mapping.assignments) if mapping.assignments else pd.Series(pd.NA, index=frame.index)
        present = raw.notna() & frame["discarded_at_layer"].isna()
        # A document only gets a deeper label if it was still assigned one layer up.
        topic = placed.where(placed.notna(), raw)[present].astype(str)
        resolved = topic.map(mapping.resolve)
        discarded = resolved.isna()
        frame.loc[present, f"layer{n}_topic"] = resolved.where(~discarded, topic)
        frame.loc[present, f"layer{n}_label"] = topic.map(mapping.label_of)
        frame.loc[present, f"layer{n}_mapping_version"] = mapping.version
        frame.loc[discarded[discarded].index, "discarded_at_layer"] = n
        person |= present & placed.notna()
        if n == 1:
            modelled = present
    frame["path"] = frame.apply(_path, axis=1).astype("string")
    frame.loc[~modelled, "path"] = NO_TEXT_LABEL
    source = pd.Series("model", index=frame.index, dtype="string").where(~person, "person")
    frame["label_source"] = source.where(modelled, "none")
    return frame[LABEL_COLUMNS]


def _path(row: pd.Series) -> str:
    labels = [row[f"layer{n}_label"] for n in (1, 2, 3)]
    return PATH_SEPARATOR.join(label for label in labels if isinstance(label, str) and label)


def topic_tree(layers: Sequence[tuple[LayerResult, Mapping]], labels: pd.DataFrame) -> dict:
    """The curated use-case tree as nested JSON: label, key, documents, status and children."""
    counts = {n: labels.groupby(f"layer{n}_topic").size().to_dict() for n in (1, 2, 3)}
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    for result, mapping in layers:
        for key, decision in sorted(mapping.topics.items(), key=lambda kv: sort_key(kv[0])):
            if decision.status not in {"kept", "discarded"}:
                continue  # merged and split topics live on in their targets
            node = {"key": key, "layer": result.layer, "label": decision.label, "status": decision.status,
                    "documents": int(counts[result.layer].get(key, 0)), "note": decision.note, "children": []}
            nodes[key] = node
            parent = parent_of(key)
            (nodes[parent]["children"] if parent in nodes else roots).append(node)
    return {"format": "topic-curator/tree", "unassigned_label": UNASSIGNED_LABEL, "topics": roots}


def label_counts(labels: pd.DataFrame) -> pd.DataFrame:
    """Documents per use-case path, largest first (for summaries and charts)."""
    counts = labels.groupby("path", dropna=False).size().rename("documents").reset_index()
    return counts.sort_values("documents", ascending=False, ignore_index=True)


__all__ = ["final_labels", "topic_tree", "label_counts", "LABEL_COLUMNS", "UNASSIGNED_LABEL", "NO_TEXT_LABEL"]
