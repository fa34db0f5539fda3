from __future__ import annotations

import numpy as np
import pandas as pd

from backend.curation.labels import LABEL_COLUMNS
from backend.topics.inference_model import InferenceModel, agreement, fit_inference_model


def labelled(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (id, l1 topic, l1 label, l2 topic, l2 label)."""
    frame = pd.DataFrame(rows, columns=["id", "layer1_topic", "layer1_label", "layer2_topic", "layer2_label"])
    frame["layer3_topic"] = None
    frame["layer3_label"] = None
    frame["path"] = [" > ".join(x for x in (a, b) if isinstance(x, str)) for a, b in zip(frame["layer1_label"], frame["layer2_label"])]
    frame["discarded_at_layer"] = pd.NA
    for column in LABEL_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame


def test_walks_the_curated_tree_and_scores_each_level(local_store):
    labels = labelled([
        ("a", "0", "Finance", "0.0", "Invoices"), ("b", "0", "Finance", "0.1", "Payroll"),
        ("c", "1", "Support", None, None), ("d", "2", "Unassigned/other", None, None),
    ])
    embeddings = np.array([[1, 0.2, 0, 0], [1, -0.2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
    model = fit_inference_model(labels, ["a", "b", "c", "d"], embeddings, "test")
    assert set(model.nodes) == {"", "0"}
    predicted = model.predict(np.array([[1, 0.25, 0, 0], [0, 0.1, 1, 0], [0, 0, 0.1, 1]]))
    assert predicted[0]["path"] == "Finance > Invoices" and predicted[0]["topics"] == ["0", "0.0"]
    assert len(predicted[0]["scores"]) == 2 and 0 < predicted[0]["scores"][0] <= 1
    assert predicted[1]["path"] == "Support"
    assert predicted[2]["labels"] == ["Unassigned/other"]

    model.save(local_store, "m")
    loaded = InferenceModel.load(local_store, "m")
    assert loaded.predict(embeddings) == model.predict(embeddings)
    assert not any(k.endswith((".pkl", ".pickle")) for k in local_store.list("m"))
    assert agreement(model, labels, ["a", "b", "c", "d"], embeddings)["path_agreement"] == 1.0
