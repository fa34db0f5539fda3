"""Both store backends behave the same: round trips, listing, conditional writes, clear errors."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from backend.errors import AlreadyExistsError, StoreError
from backend.store import open_store
from backend.store.local import LocalStore
from backend.store.s3 import S3Store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    return LocalStore(tmp_path / "store") if request.param == "local" else request.getfixturevalue("s3_store")


def test_bytes_json_parquet_and_arrays_round_trip(store):
    store.write_bytes("a/b.txt", b"hello")
    store.write_json("a/c.json", {"x": [1, 2], "y": "é"})
    frame = pd.DataFrame({"id": ["1", "2"], "value": [0.5, 1.5]})
    store.write_parquet("a/d.parquet", frame)
    store.write_array("a/e.npy", np.arange(6, dtype=np.float32).reshape(2, 3))

    assert store.read_bytes("a/b.txt") == b"hello"
    assert store.read_json("a/c.json") == {"x": [1, 2], "y": "é"}
    pd.testing.assert_frame_equal(store.read_parquet("a/d.parquet"), frame)
    np.testing.assert_array_equal(store.read_array("a/e.npy"), np.arange(6).reshape(2, 3))


def test_list_is_recursive_sorted_and_folder_scoped(store):
    for key in ["runs/a/run.json", "runs/a/x/y.json", "runs/ab/run.json"]:
        store.write_bytes(key, b"{}")
    assert store.list("runs/a") == ["runs/a/run.json", "runs/a/x/y.json"]
    assert store.list("runs") == ["runs/a/run.json", "runs/a/x/y.json", "runs/ab/run.json"]
    assert store.list("nothing") == []


def test_conditional_write_refuses_to_overwrite(store):
    store.write_bytes("v/v0001.json", b"first", if_absent=True)
    with pytest.raises(AlreadyExistsError, match="already written"):
        store.write_bytes("v/v0001.json", b"second", if_absent=True)
    assert store.read_bytes("v/v0001.json") == b"first"


def test_plain_write_overwrites(store):
    store.write_bytes("k", b"1")
    store.write_bytes("k", b"2")
    assert store.read_bytes("k") == b"2"


def test_missing_key_names_the_key(store):
    with pytest.raises(StoreError, match="missing.json does not exist"):
        store.read_bytes("missing.json")
    assert not store.exists("missing.json")


def test_folder_upload_and_download(store, tmp_path):
    source = tmp_path / "model"
    (source / "sub").mkdir(parents=True)
    (source / "config.json").write_text("{}")
    (source / "sub" / "weights.bin").write_bytes(b"\x00\x01")
    store.upload_folder(source, "runs/r/layer1/model")
    target = store.download_folder("runs/r/layer1/model", tmp_path / "copy")
    assert (target / "config.json").read_text() == "{}"
    assert (target / "sub" / "weights.bin").read_bytes() == b"\x00\x01"


def test_local_concurrent_conditional_writes_have_one_winner(tmp_path):
    store = LocalStore(tmp_path)
    outcomes: list[str] = []

    def write(name: str) -> None:
        try:
            store.write_bytes("mapping/v0002.json", name.encode(), if_absent=True)
            outcomes.append("won")
        except AlreadyExistsError:
            outcomes.append("lost")

    threads = [threading.Thread(target=write, args=(f"writer{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert store.read_bytes("mapping/v0002.json").startswith(b"writer")
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_local_store_refuses_keys_outside_its_root(tmp_path):
    with pytest.raises(StoreError, match="outside the store"):
        LocalStore(tmp_path / "root").write_bytes("../escape.txt", b"x")


def test_open_store_picks_the_backend(tmp_path):
    assert isinstance(open_store(tmp_path), LocalStore)
    s3 = open_store("s3://bucket/some/prefix")
    assert isinstance(s3, S3Store) and s3.bucket == "bucket" and s3.prefix == "some/prefix"
    assert s3.uri("runs/x/run.json") == "s3://bucket/some/prefix/runs/x/run.json"
    with pytest.raises(StoreError, match="names no bucket"):
        open_store("s3://")


def test_a_relative_local_root_lists_its_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = open_store("./curator-data")
    store.write_bytes("runs/a/run.json", b"{}")
    assert store.list("runs") == ["runs/a/run.json"]
    assert store.uri().startswith(str(tmp_path))
