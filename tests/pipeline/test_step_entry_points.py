"""The job programs' side of SageMaker's container contract, on /opt/ml trees laid out under tmp_path.

The same trees the emulation mounts at /opt/ml (tests/pipeline/sagemaker_emulator.py); here the job
objects are pointed at them directly, so each rule is checked in a second. No SM_* variable anywhere.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from backend.errors import InputDataError, SettingsError
from pipeline.job_settings import publish_settings
from pipeline.steps.container import ProcessingJob, TrainingJob, run_job
from pipeline.steps.preprocess import preprocess_shard
from pipeline.steps.train_layer import train
from tests.pipeline.sagemaker_emulator import write_processing_tree, write_training_tree


def processing_job(tmp_path, sample_records, host: str = "algo-2") -> ProcessingJob:
    root = tmp_path / "opt_ml"
    write_processing_tree(root, host, ["algo-1", "algo-2"], {})
    records = root / "processing/input/records"
    records.mkdir(parents=True)
    sample_records.head(150).to_csv(records / "part-1.csv", index=False)
    return ProcessingJob(root)


def test_preprocess_writes_the_shard_of_the_host_in_resourceconfig(tmp_path, sample_records, fast_settings):
    job = processing_job(tmp_path, sample_records)
    assert preprocess_shard(job, "sm-run", fast_settings) >= 140
    shard = job.root / "processing/output/algo-2"
    docs = pd.read_parquet(shard / "docs.parquet")
    assert len(docs) == len(np.load(shard / "embeddings.npy", allow_pickle=False))
    assert {"id", "text_embed", "text_keywords"} <= set(docs.columns)


def test_an_empty_shard_is_not_an_error(tmp_path, fast_settings):
    root = tmp_path / "opt_ml"
    write_processing_tree(root, "algo-3", ["algo-1", "algo-2", "algo-3"], {})
    assert preprocess_shard(ProcessingJob(root), "sm-run", fast_settings) == 0


def test_a_fitted_embedder_is_refused_on_sagemaker(tmp_path, sample_records, fast_settings):
    from dataclasses import replace

    settings = replace(fast_settings, embedding=replace(fast_settings.embedding, model="tfidf-svd"))
    with pytest.raises(SettingsError, match="for local runs only"):
        preprocess_shard(processing_job(tmp_path, sample_records), "sm-run", settings)


def test_a_failed_job_leaves_one_readable_line_where_sagemaker_shows_it(tmp_path):
    job = TrainingJob(tmp_path / "opt_ml")
    write_training_tree(job.root, {"layer": "1"}, {})
    assert run_job(lambda: train(job), job.failure_file) == 1
    assert job.failure_file.read_text() == (
        "The training job has no hyperparameter 'run_id'. What to do: Upsert the pipeline again with this "
        "version of topic-curator.\n")

    def crash() -> None:
        raise ValueError("first line\nsecond line")

    assert run_job(crash, job.failure_file) == 1
    assert job.failure_file.read_text() == "ValueError: first line second line\n"


def test_layer_one_refuses_an_id_found_in_two_shards(tmp_path, sample_records, fast_settings, local_store):
    for host in ("algo-1", "algo-2"):  # both instances were given the same records
        preprocess_shard(processing_job(tmp_path / host, sample_records, host), "sm-run", fast_settings)
    job = TrainingJob(tmp_path / "train/opt_ml")
    settings_uri = publish_settings(local_store, fast_settings)
    write_training_tree(job.root, {"run_id": "sm-run", "layer": "1", "store": local_store.uri(),
                                   "settings": settings_uri}, {"documents": "FastFile"})
    for host in ("algo-1", "algo-2"):
        source = tmp_path / host / "opt_ml/processing/output" / host
        (job.channel("documents") / host).mkdir()
        for path in source.iterdir():
            (job.channel("documents") / host / path.name).write_bytes(path.read_bytes())
    with pytest.raises(InputDataError, match="appear in more than one input file"):
        train(job)
    assert json.loads(local_store.read_bytes("runs/sm-run/run.json"))["steps"]["embed"]["status"] == "failed"
