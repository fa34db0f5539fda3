"""ProcessingStep ``Preprocess``: clean and embed this instance's shard of the input records.

SageMaker runs ``python -m pipeline.steps.preprocess --run-id <execution id> --settings <uri>`` on
each of ProcessingInstanceCount instances. The records input is ShardedByS3Key, so each instance
sees its own files under /opt/ml/processing/input/records/; this instance's name comes from
/opt/ml/config/resourceconfig.json. The shard goes to /opt/ml/processing/output/<host>/
(docs.parquet, embeddings.npy, records.parquet), which SageMaker uploads under the execution's
own ``<store>/shards/<execution id>/`` prefix for TrainLayer1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from backend.errors import SettingsError
from backend.runs import steps
from backend.settings import Settings
from backend.store.layout import docs_key, embeddings_key, records_key
from backend.store.local import LocalStore
from backend.text.embeddings import make_embedder
from backend.text.input_data import iter_table
from pipeline.job_settings import read_settings
from pipeline.steps.container import RECORDS_PATH, SHARDS_PATH, ProcessingJob, run_job


def preprocess_shard(job: ProcessingJob, run_id: str, settings: Settings) -> int:
    """Clean and embed the records this instance was given; return how many documents it kept."""
    if make_embedder(settings.embedding).needs_fit:
        # Each shard would fit its own TF-IDF space, and the fitted state would stay on this instance.
        raise SettingsError(f"embedding.model = {settings.embedding.model!r} is for local runs only.",
                            "Use a sentence model ('minilm') on SageMaker, or run locally with topic-curator run.")
    files = sorted(p for p in job.path(RECORDS_PATH).rglob("*") if p.is_file())
    if not files:
        print(f"{job.host}: no input records in this shard, nothing to do", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp))
        steps.store_input(store, run_id, (part for p in files for part in iter_table(p, settings.input.encoding)),
                          settings)
        result = steps.run_preprocess(store, run_id, settings, check_size=False)
        embedded = steps.run_embed(store, run_id, settings)
        shard = job.path(SHARDS_PATH) / job.host
        shard.mkdir(parents=True, exist_ok=True)
        (shard / "docs.parquet").write_bytes(store.read_bytes(docs_key(run_id)))
        (shard / "embeddings.npy").write_bytes(store.read_bytes(embeddings_key(run_id, embedded["model"])))
        (shard / "records.parquet").write_bytes(store.read_bytes(records_key(run_id)))
    print(f"{job.host} of {len(job.hosts)}: {result['n_docs']} documents from {len(files)} file(s), "
          f"{embedded['model']}", file=sys.stderr)
    return int(result["n_docs"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-id", required=True, help="the pipeline execution id (the run id in the store)")
    parser.add_argument("--settings", required=True, help="URI of the settings object (written by sagemaker upsert)")
    args = parser.parse_args(argv)
    job = ProcessingJob()
    return run_job(lambda: preprocess_shard(job, args.run_id, read_settings(args.settings)), job.failure_file)


if __name__ == "__main__":
    raise SystemExit(main())
