"""``BuildModel``: final labels and the inference model from the approved mappings.

On SageMaker it runs as a training job (``task=build-model``, see ``train_layer``), so the files it
leaves in /opt/ml/model (model.json, centroids.npz, and embedder.npz for a fitted embedder; no
pickle) become the ``model.tar.gz`` that RegisterModel registers. Locally:
``python -m pipeline.steps.build_model --run-id R --store S --model-dir D``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from backend.curation.versions import load_approved, load_version, write_approved
from backend.runs import steps
from backend.runs.record import load_run
from backend.settings import Settings
from backend.store import ArtifactStore, open_store
from backend.store.layout import model_prefix
from backend.store.local import LocalStore
from backend.topics.inference_model import InferenceModel
from backend.topics.layer_result import is_fitted

UNCURATED = "automatic (the pipeline has no curate step for this layer)"


def build(store: ArtifactStore, run_id: str, model_dir: Path, settings: Settings | None = None) -> dict:
    settings = settings or load_run(store, run_id).typed_settings
    approve_uncurated_layers(store, run_id)
    labels = steps.run_labels(store, run_id, settings)
    measured = steps.run_model(store, run_id, settings)
    model_dir.mkdir(parents=True, exist_ok=True)
    model = InferenceModel.load(store, model_prefix(run_id))
    model.save(LocalStore(model_dir), "")
    print(f"{len(labels)} labels; held-out agreement {measured}", file=sys.stderr)
    return measured


def approve_uncurated_layers(store: ArtifactStore, run_id: str) -> None:
    """A layer fitted below the last approved one without a curate step (``sagemaker.curate_layer3 =
    false``) counts with its fitted topics, as they are."""
    for layer in (2, 3):
        if is_fitted(store, run_id, layer) and load_approved(store, run_id, layer) is None and load_approved(store, run_id, layer - 1):
            write_approved(store, load_version(store, run_id, layer), UNCURATED)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    build(open_store(args.store), args.run_id, args.model_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
