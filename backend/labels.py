"""Final labels: one row per input document with its curated topic and label at every layer.

Columns: id, layer1_topic, layer1_label, layer2_topic, layer2_label, layer3_topic, layer3_label,
path, discarded_at_layer, label_source, layer1_mapping_version ... (empty where a document was not
drilled into). Documents dropped before modelling (no usable text) get the path "No text".
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from backend.layer_result import LayerResult
from backend.mapping import UNASSIGNED_LABEL, Mapping

NO_TEXT_LABEL = "No text"
PATH_SEPARATOR = " > "
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
    for result, mapping in layers:
        n = result.layer
        rows = result.assignments.set_index("id")["topic"].astype(str)
        raw = frame["id"].map(rows)
        present = raw.notna()
        # A document only gets a deeper label if it was still assigned one layer up.
        present &= frame["discarded_at_layer"].isna()
        resolved = raw[present].map(lambda key: mapping.resolve(key))
        discarded = resolved.isna()
        frame.loc[present, f"layer{n}_topic"] = resolved.where(~discarded, raw[present])
        frame.loc[present, f"layer{n}_label"] = raw[present].map(mapping.label_of)
        frame.loc[present, f"layer{n}_mapping_version"] = mapping.version
        frame.loc[discarded[discarded].index, "discarded_at_layer"] = n
        if n == 1:
            modelled = present
    frame["path"] = frame.apply(_path, axis=1).astype("string")
    frame.loc[~modelled, "path"] = NO_TEXT_LABEL
    frame["label_source"] = pd.Series("model", index=frame.index, dtype="string").where(modelled, "none")
    return frame[LABEL_COLUMNS]


def _path(row: pd.Series) -> str:
    labels = [row[f"layer{n}_label"] for n in (1, 2, 3)]
    return PATH_SEPARATOR.join(label for label in labels if isinstance(label, str) and label)


def label_counts(labels: pd.DataFrame) -> pd.DataFrame:
    """Documents per use-case path, largest first (for summaries and charts)."""
    counts = labels.groupby("path", dropna=False).size().rename("documents").reset_index()
    return counts.sort_values("documents", ascending=False, ignore_index=True)


__all__ = ["final_labels", "label_counts", "LABEL_COLUMNS", "UNASSIGNED_LABEL", "NO_TEXT_LABEL"]
