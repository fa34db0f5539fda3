"""Damaged artifacts (issue 15, items 12 and 14): a file cut short gives `error:` / `what to do:` with
exit 2 naming it; a damaged embedding-cache shard is skipped and re-embedded; a killed embedding
keeps what it embedded."""

from __future__ import annotations

import io
import logging
import pickle
import shutil

import numpy as np
import pytest

from backend.runs.record import load_run
from backend.runs.runner import LocalRunner
from backend.store.local import LocalStore
from backend.text import embeddings
from backend.topics.inference_model import InferenceModel, Node
from pipeline import serve
from pipeline.cli import main


@pytest.fixture(scope="module")
def waiting_run(tmp_path_factory, sample_records):
    """A run waiting at layer 1 (built once; each test works on its own copy)."""
    from backend.settings import settings_from_dict
    from tests.conftest import FAST_SETTINGS

    root = tmp_path_factory.mktemp("waiting") / "store"
    LocalRunner(LocalStore(root)).start(sample_records, settings_from_dict(FAST_SETTINGS), "r")
    return root


@pytest.fixture
def store(waiting_run, tmp_path) -> LocalStore:
    shutil.copytree(waiting_run, tmp_path / "store")
    return LocalStore(tmp_path / "store")


def cut_short(store: LocalStore, key: str) -> None:
    path = store.root / key
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def assert_user_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert any(line.startswith("error: ") for line in lines), err
    assert any(line.startswith("what to do: ") for line in lines), err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize("name", ["assignments.parquet", "reduced.npy"])
def test_a_damaged_layer_file_is_named_with_what_to_do(store, name, capsys):
    cut_short(store, f"runs/r/layer1/{name}")
    code = main(["run", "--run-id", "r", "--auto-approve", "--store", str(store.root)])
    assert_user_error(code, capsys.readouterr().err, f"runs/r/layer1/{name} is damaged", "Restore it")


def test_a_damaged_final_labels_file_on_export(store, tmp_path, capsys):
    store.write_bytes("runs/r/labels/final.parquet", b"PAR1 cut short")
    code = main(["export", "r", "--output", str(tmp_path / "out.csv"), "--store", str(store.root)])
    assert_user_error(code, capsys.readouterr().err, "labels/final.parquet is damaged", "export again")
    assert not (tmp_path / "out.csv").exists()


def save_model(store: LocalStore) -> None:
    children = [{"key": "0", "label": "Invoices", "layer": 1}, {"key": "1", "label": "Hiring", "layer": 1}]
    model = InferenceModel({"": Node("", children, np.eye(2, 64, dtype=np.float32))}, "hashing-64",
                           {"embedding": "hashing"})
    model.save(store, "runs/r/model")


def test_a_damaged_model_centroids_file_on_predict(store, capsys):
    save_model(store)
    assert main(["predict", "r", "--text", "invoice", "--store", str(store.root)]) == 0
    capsys.readouterr()
    cut_short(store, "runs/r/model/centroids.npz")
    code = main(["predict", "r", "--text", "invoice", "--store", str(store.root)])
    assert_user_error(code, capsys.readouterr().err, "model/centroids.npz is damaged")


@pytest.mark.parametrize("crafted", ["pickle", "object array"])
def test_a_crafted_model_folder_is_refused_with_a_message(store, crafted, capsys, monkeypatch):
    save_model(store)
    if crafted == "pickle":
        data = pickle.dumps({"node0": [1.0]})
    else:
        buffer = io.BytesIO()
        np.savez(buffer, node0=np.array([{"x": 1}], dtype=object))
        data = buffer.getvalue()
    store.write_bytes("runs/r/model/centroids.npz", data)
    code = main(["predict", "r", "--text", "invoice", "--store", str(store.root)])
    assert_user_error(code, capsys.readouterr().err, "centroids.npz")
    monkeypatch.setattr(serve, "MODEL_DIR", str(store.root / "runs/r/model"))
    with pytest.raises(SystemExit) as stopped:
        serve.main()
    assert stopped.value.code == 2
    assert_user_error(2, capsys.readouterr().err, "centroids.npz")


def cache_shards(store: LocalStore) -> list[str]:
    return store.list("cache/embeddings")


def test_a_damaged_cache_shard_is_skipped_and_embedded_again(store, sample_records, caplog):
    from backend.settings import settings_from_dict
    from tests.conftest import FAST_SETTINGS

    [shard] = cache_shards(store)
    cut_short(store, shard)
    with caplog.at_level(logging.WARNING):
        record = LocalRunner(store).start(sample_records, settings_from_dict(FAST_SETTINGS), "again")
    assert record.waiting_at == "curate-layer1"
    assert "damaged embedding-cache shard" in caplog.text
    assert np.load(store.root / shard)["hashes"].size  # written again whole: repaired


def test_a_killed_embedding_keeps_what_it_embedded(local_store, fast_settings, sample_records, monkeypatch):
    monkeypatch.setattr(embeddings, "SHARD_TEXTS", 50, raising=False)
    real_encode, calls = embeddings.HashingEmbedder.encode, []

    def dies_at_the_last_piece(self, texts, progress=None):
        calls.append(len(texts))
        if sum(calls) > 350:  # 7 of 8 pieces done (~87%), then the process dies
            raise KeyboardInterrupt
        return real_encode(self, texts, progress)

    monkeypatch.setattr(embeddings.HashingEmbedder, "encode", dies_at_the_last_piece)
    runner = LocalRunner(local_store)
    with pytest.raises(KeyboardInterrupt):
        runner.start(sample_records, fast_settings, "killed")
    monkeypatch.setattr(embeddings.HashingEmbedder, "encode", real_encode)
    cached = embeddings.EmbeddingCache(local_store, "hashing-64").lookup(
        [embeddings.text_hash(t) for t in local_store.read_parquet("runs/killed/preprocess/docs.parquet")["text_embed"]])
    assert len(cached) == 350
    record = runner.resume("killed")
    assert record.waiting_at == "curate-layer1"
    assert load_run(local_store, "killed").steps["embed"].detail.startswith("hashing-64, 64 dimensions, 48 texts embedded")
