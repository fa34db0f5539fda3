"""SageMaker entry points run locally on tiny data, with SageMaker's folders and variables faked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pipeline.steps.preprocess import main as preprocess_main
from tests.conftest import FAST_SETTINGS


def test_preprocess_writes_this_hosts_shard(tmp_path, monkeypatch, sample_records):
    root = tmp_path / "processing"
    (root / "input" / "records").mkdir(parents=True)
    (root / "input" / "config").mkdir(parents=True)
    sample_records.head(150).to_csv(root / "input" / "records" / "part-1.csv", index=False)
    (root / "input" / "config" / "settings.json").write_text(json.dumps(FAST_SETTINGS))
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}))
    monkeypatch.setenv("SM_RESOURCE_CONFIG_PATH", str(config))

    assert preprocess_main(["--run-id", "sm-run", "--root", str(root)]) == 0

    shard = root / "output" / "sm-run" / "algo-2"
    docs = pd.read_parquet(shard / "docs.parquet")
    embeddings = np.load(shard / "embeddings.npy", allow_pickle=False)
    assert len(docs) == len(embeddings) and 140 <= len(docs) <= 150
    assert {"id", "text_embed", "text_keywords"} <= set(docs.columns)


def test_an_empty_shard_is_not_an_error(tmp_path):
    root = tmp_path / "processing"
    (root / "input" / "records").mkdir(parents=True)
    assert preprocess_main(["--run-id", "x", "--root", str(root)]) == 0


def test_the_sagemaker_steps_in_order_on_a_local_store(tmp_path, monkeypatch, sample_records):
    """Preprocess on two instances, TrainLayer1, approve (as the CallbackStep would), TrainLayer2,
    BuildModel: the same artifacts as a local run, and a registrable model.tar.gz."""
    from backend.approvals_aws import record_callback
    from backend.curation.operations import DrillDown
    from backend.curation.session import CurationSession
    from backend.mapping_store import approved_key
    from backend.steps import approve_layer
    from backend.store.local import LocalStore
    from pipeline.steps.build_model import main as build_main
    from pipeline.steps.train_layer import main as train_main

    root = tmp_path / "processing"
    for host, part in (("algo-1", sample_records.iloc[:200]), ("algo-2", sample_records.iloc[200:])):
        (root / "input" / "records").mkdir(parents=True, exist_ok=True)
        for old in (root / "input" / "records").glob("*"):
            old.unlink()
        part.to_csv(root / "input" / "records" / f"{host}.csv", index=False)
        (root / "input" / "config").mkdir(exist_ok=True)
        (root / "input" / "config" / "settings.json").write_text(json.dumps(FAST_SETTINGS))
        config = tmp_path / f"{host}.json"
        config.write_text(json.dumps({"current_host": host}))
        monkeypatch.setenv("SM_RESOURCE_CONFIG_PATH", str(config))
        assert preprocess_main(["--run-id", "exec1", "--root", str(root)]) == 0

    store_dir = tmp_path / "store"
    monkeypatch.setenv("SM_CHANNEL_DOCUMENTS", str(root / "output"))
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model1"))
    hps = {"run_id": "exec1", "store": str(store_dir), "settings": json.dumps(FAST_SETTINGS)}
    monkeypatch.setenv("SM_HPS", json.dumps({**hps, "layer": "1"}))
    assert train_main([]) == 0
    store = LocalStore(store_dir)
    assert len(store.read_parquet("runs/exec1/preprocess/docs.parquet")) >= 390
    assert json.loads((tmp_path / "model1" / "layer.json").read_text())["topics"] == 20

    record_callback(store, {"token": "AbCdEf1234", "pipelineExecutionArn": "arn:x", "status": "Executing",
                            "arguments": {"run_id": "exec1", "layer": 1}})
    session = CurationSession(store, "exec1", 1, "ana")
    session.apply(DrillDown(topic="0"))
    session.save()
    approve_layer(store, "exec1", 1, "ana")
    mapping_channel = tmp_path / "mapping"
    mapping_channel.mkdir()
    (mapping_channel / "approved.json").write_bytes(store.read_bytes(approved_key("exec1", 1)))
    monkeypatch.setenv("SM_CHANNEL_MAPPING", str(mapping_channel))
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model2"))
    monkeypatch.setenv("SM_HPS", json.dumps({**hps, "layer": "2"}))
    assert train_main([]) == 0
    assert {t.split(".")[0] for t in store.read_parquet("runs/exec1/layer2/assignments.parquet")["topic"]} == {"0"}

    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model-package"))
    monkeypatch.setenv("SM_HPS", json.dumps({**hps, "task": "build-model"}))
    assert train_main([]) == 0
    assert sorted(p.name for p in (tmp_path / "model-package").iterdir()) == ["centroids.npz", "model.json"]
    assert len(store.read_parquet("runs/exec1/labels/final.parquet")) == len(sample_records)
    assert build_main(["--run-id", "exec1", "--store", str(store_dir), "--model-dir", str(tmp_path / "again")]) == 0
