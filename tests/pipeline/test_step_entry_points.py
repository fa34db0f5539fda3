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

    shard = root / "output" / "algo-2"
    docs = pd.read_parquet(shard / "docs.parquet")
    embeddings = np.load(shard / "embeddings.npy", allow_pickle=False)
    assert len(docs) == len(embeddings) and 140 <= len(docs) <= 150
    assert {"id", "text_embed", "text_keywords"} <= set(docs.columns)


def test_an_empty_shard_is_not_an_error(tmp_path):
    root = tmp_path / "processing"
    (root / "input" / "records").mkdir(parents=True)
    assert preprocess_main(["--run-id", "x", "--root", str(root)]) == 0
