"""Unwritable output paths (issue 15, item 13): `error:` / `what to do:` with exit 2, and with
--tree nothing is half-written."""

from __future__ import annotations

import errno

import pytest

from backend.runs.runner import LocalRunner
from pipeline import output_files
from pipeline.cli import main


@pytest.fixture
def store(local_store, fast_settings, sample_records):
    """A recorded run (nothing approved yet: export writes its ids with empty labels)."""
    LocalRunner(local_store).create(sample_records, fast_settings, "r")
    return str(local_store.root)


def bad_path(kind: str, tmp_path, monkeypatch):
    if kind == "a folder":
        return tmp_path
    if kind == "under a file":
        (tmp_path / "file.txt").write_text("x")
        return tmp_path / "file.txt" / "labels.csv"
    if kind == "/proc":
        return "/proc/labels.csv"
    # a read-only mount: the file system answers EROFS to every file made there
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(output_files.tempfile, "mkstemp", read_only)
    (tmp_path / "ro").mkdir()
    return tmp_path / "ro" / "labels.csv"


KINDS = ["a folder", "under a file", "/proc", "a read-only mount"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unwritable_export_path_is_a_user_error(kind, store, tmp_path, monkeypatch, capsys):
    output = bad_path(kind, tmp_path, monkeypatch)
    code = main(["export", "r", "--output", str(output), "--store", store])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"error: The output path {output}" in err and "nothing was written" in err
    assert "what to do: " in err and "Traceback" not in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_tree_path_writes_no_labels_file(kind, store, tmp_path, monkeypatch, capsys):
    labels = tmp_path / "out" / "labels.csv"
    tree = bad_path(kind, tmp_path, monkeypatch)
    code = main(["export", "r", "--output", str(labels), "--tree", str(tree), "--store", store])
    assert code == 2
    assert "what to do: " in capsys.readouterr().err
    assert not labels.exists() and not labels.parent.exists()


def test_an_unwritable_mapping_path_is_a_user_error(store, tmp_path, capsys):
    code = main(["mapping", "r", "--layer", "1", "--output", str(tmp_path), "--store", store])
    assert code == 2 and "is a folder" in capsys.readouterr().err


def test_a_good_export_with_a_tree_writes_both(store, tmp_path, capsys):
    labels, tree = tmp_path / "a" / "labels.csv", tmp_path / "b" / "tree.json"
    assert main(["export", "r", "--output", str(labels), "--tree", str(tree), "--store", store]) == 0
    assert labels.read_text().startswith("id,") and tree.read_text().startswith("{")
    assert not list(tmp_path.rglob("*.tmp"))
