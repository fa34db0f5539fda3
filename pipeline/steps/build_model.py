"""ProcessingStep ``BuildModel``: final labels and the inference model from the approved mappings.

Arguments: ``--run-id``, ``--store``. Writes labels and the model to the store, and
``/opt/ml/processing/output/model/model.tar.gz`` (model.json + centroids.npz, no pickle), which
the ModelStep registers.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

from backend import steps
from backend.runs import load_run
from backend.store import open_store
from pipeline.steps.common import PROCESSING


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--root", type=Path, default=PROCESSING, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    store = open_store(args.store)
    settings = load_run(store, args.run_id).typed_settings
    labels = steps.run_labels(store, args.run_id, settings)
    measured = steps.run_model(store, args.run_id, settings)
    target = args.root / "output" / "model"
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target / "model.tar.gz", "w:gz") as archive:
        for name in ("model.json", "centroids.npz"):
            data = store.read_bytes(f"{steps.model_prefix(args.run_id)}/{name}")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    print(f"{len(labels)} labels; held-out agreement {measured}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
