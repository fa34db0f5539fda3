"""Training jobs: ``TrainLayer<N>`` fits one layer; ``BuildModel`` (``task=build-model``) builds the
registered model. The image's ``train`` command runs this module.

Hyperparameters (SM_HPS): ``run_id``, ``layer``, ``store`` (s3://bucket/prefix), ``settings``
(JSON). Channels: ``documents`` (layer 1: the preprocessing shards, ``<run_id>/<host>/``) and
``mapping`` (later layers: the approved mapping the CallbackStep returned). The fitted layer goes
to the store, where the app shows it; a summary goes to SM_MODEL_DIR for the job's lineage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from backend import steps
from backend.errors import RunStateError
from backend.mapping import mapping_from_json
from backend.mapping_store import load_approved
from backend.runs import create_run, run_key
from backend.settings import Settings, settings_from_dict
from backend.store import ArtifactStore, open_store
from pipeline.steps.common import hyperparameters


def combine_shards(store: ArtifactStore, run_id: str, shards: Path, settings: Settings) -> int:
    """Gather every instance's documents and embeddings into the run's layout (layer 1 only)."""
    folders = sorted(p.parent for p in shards.rglob("docs.parquet"))
    if not folders:
        raise RunStateError(f"No preprocessed shards under {shards}.", "Check the Preprocess step's output.")
    docs = pd.concat([pd.read_parquet(f / "docs.parquet") for f in folders], ignore_index=True)
    vectors = np.vstack([np.load(f / "embeddings.npy", allow_pickle=False) for f in folders])
    records = pd.concat([pd.read_parquet(f / "records.parquet") for f in folders], ignore_index=True)
    steps.check_enough_documents(len(docs), settings)
    store.write_parquet(steps.docs_key(run_id), docs)
    store.write_parquet(steps.records_key(run_id), records)
    from backend.embeddings import make_embedder

    store.write_array(steps.embeddings_key(run_id, make_embedder(settings.embedding).name), vectors)
    return len(docs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    hps = hyperparameters()
    run_id, store = hps["run_id"], open_store(hps["store"])
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    if hps.get("task") == "build-model":
        from pipeline.steps.build_model import build

        build(store, run_id, model_dir)
        return 0
    layer = int(hps["layer"])
    settings = settings_from_dict(json.loads(hps["settings"])) if hps.get("settings") else Settings()
    if layer == 1:
        if not store.exists(run_key(run_id)):
            create_run(store, settings, run_id, {"source": "SageMaker"})
        n = combine_shards(store, run_id, Path(os.environ["SM_CHANNEL_DOCUMENTS"]) / run_id, settings)
        print(f"{n} documents from the shards", file=sys.stderr)
    else:
        sent = Path(os.environ.get("SM_CHANNEL_MAPPING", "")) / "approved.json"
        approved = load_approved(store, run_id, layer - 1)
        if approved is None:
            raise RunStateError(f"Layer {layer - 1} of run {run_id} has no approved mapping in {store.uri()}.")
        if sent.is_file() and mapping_from_json(sent.read_bytes()).version != approved.version:
            raise RunStateError("The mapping the callback returned is not the approved one in the store.")
    result = steps.run_layer(store, run_id, layer, settings)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "layer.json").write_text(json.dumps(
        {"run_id": run_id, "layer": layer, "topics": len(result.topics), "fingerprint": result.fingerprint,
         "artifacts": store.uri(f"runs/{run_id}/layer{layer}")}))
    print(f"layer {layer}: {len(result.topics)} topics", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
