"""SageMaker inference handler: texts in (text/csv or application/json), curated paths out.

``model_fn`` loads the nearest-centroid model (plain arrays + JSON, no pickle) and the embedding
model it was trained with; ``predict_fn`` embeds in batches and walks the curated tree. The same
functions back ``topic-curator predict``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import CuratorError
from backend.store.csv_export import neutralized_row
from backend.store.local import LocalStore
from backend.text.embeddings import Embedder
from backend.topics.inference_model import InferenceModel

BATCH_SIZE = 256
JSON = "application/json"
CSV = "text/csv"


@dataclass
class LoadedModel:
    model: InferenceModel
    embedder: Embedder


def model_fn(model_dir: str) -> LoadedModel:
    """Load the model from SageMaker's model dir: model.json, centroids.npz (and embedder.npz)."""
    model = InferenceModel.load(LocalStore(Path(model_dir)), "")
    return LoadedModel(model, model.embedder())


def input_fn(body: bytes | str, content_type: str = JSON) -> list[str]:
    """Texts from a request: JSON ``{"texts": [...]}`` or a list; CSV with a ``text`` column or one text per line."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    kind = content_type.split(";")[0].strip().lower()
    if kind == JSON:
        data = json.loads(text)
        texts = data.get("texts", data.get("instances")) if isinstance(data, dict) else data
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise CuratorError("The JSON body must be a list of texts or {\"texts\": [...]}.")
        return texts
    if kind == CSV:
        rows = list(csv.reader(io.StringIO(text)))
        if rows and "text" in [c.strip().lower() for c in rows[0]]:
            column = [c.strip().lower() for c in rows[0]].index("text")
            return [row[column] if column < len(row) else "" for row in rows[1:]]
        return [row[0] if row else "" for row in rows]
    raise CuratorError(f"Unsupported content type {content_type!r}.", f"Send {JSON} or {CSV}.")


def predict_fn(texts: list[str], loaded: LoadedModel) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for start in range(0, len(texts), BATCH_SIZE):
        batch = texts[start:start + BATCH_SIZE]
        results.extend(loaded.model.predict(loaded.embedder.encode(batch)))
    return results


def output_fn(predictions: list[dict[str, Any]], accept: str = JSON) -> tuple[str, str]:
    kind = (accept or JSON).split(";")[0].strip().lower()
    if kind == CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["path", "layer1_label", "layer2_label", "layer3_label", "scores"])
        for p in predictions:
            labels = p["labels"] + [""] * (3 - len(p["labels"]))
            writer.writerow(neutralized_row([p["path"], *labels[:3], " ".join(str(s) for s in p["scores"])]))
        return buffer.getvalue(), CSV
    return json.dumps({"predictions": predictions}), JSON
