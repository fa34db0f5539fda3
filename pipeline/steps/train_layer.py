"""Training jobs: ``TrainLayer<N>`` fits one layer; ``BuildModel`` (``task=build-model``) builds the
registered model. SageMaker runs ``docker run <image> train``; the image's ``train`` program is
this module's ``main``.

Hyperparameters (every value a string): ``run_id`` (the execution id), ``store``
(s3://bucket/prefix), ``settings`` (URI of the settings object), and ``layer`` or ``task``.
Channels:
  documents  TrainLayer1: this execution's preprocessing shards, one folder per instance
  mapping    TrainLayer2/3 and BuildModel: the mapping version the last CallbackStep approved
The fitted layer goes to the store under ``runs/<run_id>/``, where the app shows it; /opt/ml/model
gets a summary (``layer.json``), or for BuildModel the registered model's files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from backend.clock import now
from backend.curation.mapping import Mapping, mapping_from_json
from backend.errors import InputDataError
from backend.runs import steps
from backend.runs.decisions import settle_from_pipeline
from backend.runs.record import RunRecord, StepState, create_run, load_run, save_run
from backend.runs.step_id import StepId
from backend.settings import Settings
from backend.store import ArtifactStore, open_store
from backend.store.layout import docs_key, embeddings_key, layer_prefix, records_key, run_key
from backend.text.embeddings import make_embedder
from pipeline.job_settings import read_settings
from pipeline.steps.build_model import build
from pipeline.steps.container import ContractError, TrainingJob, run_job


def train(job: TrainingJob) -> None:
    """Do what this training job's hyperparameters ask for."""
    run_id, store = job.hyperparameter("run_id"), open_store(job.hyperparameter("store"))
    settings = read_settings(job.hyperparameter("settings"))
    if job.hyperparameters.get("task") == "build-model":
        approved_from_channel(job, store, run_id)
        with recorded_step(store, run_id, "model") as state:
            measured = build(store, run_id, job.model_dir, settings)
            state.detail = (f"nearest-centroid model for RegisterModel; agrees with the curated path on "
                            f"{measured.get('path_agreement', 0):.1%} of held-out documents")
        record = load_run(store, run_id)
        record.steps["labels"] = StepState("done", detail="final labels written by BuildModel")
        record.status = "completed"
        save_run(store, record)
        return
    layer = int(job.hyperparameter("layer"))
    if layer == 1:
        if not store.exists(run_key(run_id)):
            create_run(store, settings, run_id, {"source": "SageMaker"}, runs_on="sagemaker")
        with recorded_step(store, run_id, "embed") as state:
            state.detail = combine_shards(store, run_id, job.channel("documents"), settings)
    else:
        approved_from_channel(job, store, run_id, layer - 1)
    with recorded_step(store, run_id, str(StepId.fit(layer))) as state:
        result = steps.run_layer(store, run_id, layer, settings)
        state.detail = f"{len(result.topics)} topics (SageMaker training job)"
    job.model_dir.mkdir(parents=True, exist_ok=True)
    (job.model_dir / "layer.json").write_text(json.dumps(
        {"run_id": run_id, "layer": layer, "topics": len(result.topics), "fingerprint": result.fingerprint,
         "artifacts": store.uri(layer_prefix(run_id, layer))}))
    print(f"layer {layer}: {len(result.topics)} topics", file=sys.stderr)


def combine_shards(store: ArtifactStore, run_id: str, shards: Path, settings: Settings) -> str:
    """Gather every instance's documents and embeddings into the run's layout; say what was found."""
    folders = sorted(p.parent for p in shards.rglob("docs.parquet"))
    if not folders:
        raise ContractError(f"No preprocessed shards under {shards}.", "Check the Preprocess step's output.")
    docs = pd.concat([pd.read_parquet(f / "docs.parquet") for f in folders], ignore_index=True)
    vectors = np.vstack([np.load(f / "embeddings.npy", allow_pickle=False) for f in folders])
    records = pd.concat([pd.read_parquet(f / "records.parquet") for f in folders], ignore_index=True)
    repeated = docs["id"][docs["id"].duplicated()].astype(str).unique().tolist()
    if repeated:
        raise InputDataError(f"{len(repeated)} record id(s) appear in more than one input file, e.g. {repeated[:5]}.",
                             "Give every record one id across all files under InputData.")
    steps.check_enough_documents(len(docs), settings)
    store.write_parquet(docs_key(run_id), docs)
    store.write_parquet(records_key(run_id), records)
    store.write_array(embeddings_key(run_id, make_embedder(settings.embedding).name), vectors)
    record = load_run(store, run_id)
    record.input.update({"n_records": len(records), "n_docs": len(docs)})
    record.steps["preprocess"] = StepState("done", detail=f"{len(docs)} documents from {len(folders)} instance(s)")
    save_run(store, record)
    return f"{len(docs)} documents, {vectors.shape[1]} dimensions, from {len(folders)} preprocessing instance(s)"


def approved_from_channel(job: TrainingJob, store: ArtifactStore, run_id: str, layer: int | None = None) -> Mapping:
    """The mapping the CallbackStep approved, as its channel holds it, recorded as approved in the store."""
    files = sorted(job.channel("mapping").rglob("*.json"))
    if len(files) != 1:
        raise ContractError(f"The mapping channel holds {len(files)} JSON files; the approved mapping should be one.")
    mapping = mapping_from_json(files[0].read_bytes(), files[0].name)
    if mapping.run_id != run_id or (layer is not None and mapping.layer != layer):
        raise ContractError(f"The mapping channel holds layer {mapping.layer} of run {mapping.run_id}, "
                            f"not layer {layer} of run {run_id}.", "Check the CallbackStep that answered.")
    return settle_from_pipeline(store, run_id, mapping)


@contextmanager
def recorded_step(store: ArtifactStore, run_id: str, name: str) -> Iterator[StepState]:
    """Keep the run record's step up to date, so the app shows the SageMaker run like a local one."""
    record = load_run(store, run_id)
    state = record.steps[name]
    state.status, state.started_at, record.status = "running", now(), "running"
    save_run(store, record)
    started = time.perf_counter()
    try:
        yield state
    except Exception as exc:
        _finish(store, run_id, name, state, "failed", started, error=getattr(exc, "problem", str(exc)))
        raise
    _finish(store, run_id, name, state, "done", started)


def _finish(store: ArtifactStore, run_id: str, name: str, state: StepState, status: str, started: float,
            error: str | None = None) -> None:
    record: RunRecord = load_run(store, run_id)  # again: the step itself may have written the record
    state.status, state.finished_at = status, now()
    state.seconds = round(time.perf_counter() - started, 2)
    if error:
        state.detail, record.status, record.error = error, "failed", f"{name}: {error}"
    record.steps[name] = state
    save_run(store, record)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(prog="train", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    job = TrainingJob()
    return run_job(lambda: train(job), job.failure_file)


if __name__ == "__main__":
    raise SystemExit(main())
