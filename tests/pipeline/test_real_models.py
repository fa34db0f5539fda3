"""One end-to-end run with the real components: MiniLM embeddings and UMAP (slow: numba compile)."""

from __future__ import annotations

import pytest
from sklearn.metrics import normalized_mutual_info_score

from backend.runs.runner import LocalRunner
from backend.settings import settings_from_dict
from backend.store.layout import labels_key
from backend.text.sample_data import generate_opportunities

pytestmark = pytest.mark.slow


def test_three_layers_with_minilm_and_umap(local_store):
    records = generate_opportunities(360, seed=3)
    settings = settings_from_dict(
        {"layer": {"n_topics": 15}, "drilldown": {"min_parent_docs": 25, "docs_per_subtopic": 15, "auto_max_parents": 3}}
    )
    record = LocalRunner(local_store, auto_approve=True).start(records, settings, "real")

    assert record.status == "completed", record.error
    assert record.steps["embed"].detail.startswith("all-MiniLM-L6-v2-onnx-int8, 384")  # the CPU default
    layer1 = local_store.read_parquet("runs/real/layer1/assignments.parquet")
    truth = records.set_index("opportunity_id").loc[layer1["id"], "true_family"]
    # Far better than chance (0.0) on the generator's six families, even on 360 noisy records.
    assert normalized_mutual_info_score(truth, layer1["topic"]) > 0.35
    labels = local_store.read_parquet(labels_key("real"))
    assert len(labels) == len(records) and labels["layer2_topic"].notna().any()
    # A second run on the same texts takes every vector from the cache.
    again = LocalRunner(local_store).start(records, settings, "again")
    assert "0 texts embedded" in again.steps["embed"].detail
