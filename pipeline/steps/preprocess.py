"""ProcessingStep ``Preprocess``: clean and embed this instance's shard of the input records.

Inputs (ShardedByS3Key, so each instance sees its own files):
  /opt/ml/processing/input/records/*.csv|*.parquet   records
  /opt/ml/processing/input/config/settings.toml      optional settings
  TOPIC_CURATOR_SETTINGS (environment)               optional settings as JSON
Output: /opt/ml/processing/output/<run_id>/<host>/docs.parquet, embeddings.npy, records.parquet.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from backend import steps
from backend.embeddings import make_embedder
from backend.errors import SettingsError
from backend.input_data import read_table, validate_table
from pipeline.steps.common import PROCESSING, current_host, settings_from, work_store


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--root", type=Path, default=PROCESSING, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = settings_from(args.root / "input" / "config")
    if make_embedder(settings.embedding).needs_fit:
        # Each shard would fit its own TF-IDF space, and the fitted state would stay on this instance.
        raise SettingsError(f"embedding.model = {settings.embedding.model!r} is for local runs only.",
                            "Use a sentence model ('minilm') on SageMaker, or run locally with topic-curator run.")
    files = sorted(p for p in (args.root / "input" / "records").rglob("*") if p.is_file())
    if not files:
        print("no input records in this shard: nothing to do", file=sys.stderr)
        return 0
    records = pd.concat([read_table(p, settings.input.encoding) for p in files], ignore_index=True)
    records = validate_table(records, settings.input.id_column, settings.input.text_columns)
    with tempfile.TemporaryDirectory() as tmp:
        store = work_store(Path(tmp))
        steps.store_input(store, args.run_id, records)
        result = steps.run_preprocess(store, args.run_id, settings, check_size=False)
        embedded = steps.run_embed(store, args.run_id, settings)
        shard = args.root / "output" / args.run_id / current_host()
        shard.mkdir(parents=True, exist_ok=True)
        (shard / "docs.parquet").write_bytes(store.read_bytes(steps.docs_key(args.run_id)))
        (shard / "embeddings.npy").write_bytes(store.read_bytes(steps.embeddings_key(args.run_id, embedded["model"])))
        (shard / "records.parquet").write_bytes(store.read_bytes(steps.records_key(args.run_id)))
    print(f"shard {current_host()}: {result['n_docs']} documents, {embedded['model']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
