"""``BuildModel``: final labels and the inference model from the approved mappings.

On SageMaker it runs as a training job (hyperparameter ``task=build-model``), so the files it
leaves in SM_MODEL_DIR (model.json, centroids.npz, and embedder.npz for a fitted embedder; no
pickle) become the ``model.tar.gz`` that RegisterModel registers. Locally: ``python -m pipeline.steps.build_model --run-id R --store S --model-dir D``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from backend import steps
from backend.inference_model import FILES
from backend.runs import load_run
from backend.store import ArtifactStore, open_store


def build(store: ArtifactStore, run_id: str, model_dir: Path) -> dict:
    settings = load_run(store, run_id).typed_settings
    labels = steps.run_labels(store, run_id, settings)
    measured = steps.run_model(store, run_id, settings)
    model_dir.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        key = f"{steps.model_prefix(run_id)}/{name}"
        if store.exists(key):
            (model_dir / name).write_bytes(store.read_bytes(key))
    print(f"{len(labels)} labels; held-out agreement {measured}", file=sys.stderr)
    return measured


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
