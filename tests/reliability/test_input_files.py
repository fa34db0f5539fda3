"""Files people hand the product (issue 15, item 15): each mistake is refused with a message that
names it, never passed on silently or as a traceback."""

from __future__ import annotations

import json

import pytest

from backend.store.layout import draft_key
from backend.text.input_data import read_table
from pipeline.cli import main
from tests.conftest import FAST_SETTINGS


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(FAST_SETTINGS))
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def assert_refused(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "what to do: " in err
    for needle in needles:
        assert needle in err, err


def test_a_mapping_file_with_a_repeated_key_is_refused(tmp_path, capsys):
    path = tmp_path / "mapping.json"
    path.write_text('{"run_id": "r", "layer": 1, "topics": {"0": {"label": "A"}, "0": {"label": "B"}}}')
    code, err = run_cli(capsys, "approve", "r", "--mapping", str(path), "--store", str(tmp_path / "store"))
    assert_refused(code, err, "gives the key '0' twice")


def test_a_deeply_nested_mapping_file_is_refused(tmp_path, capsys):
    path = tmp_path / "mapping.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    code, err = run_cli(capsys, "approve", "r", "--mapping", str(path), "--store", str(tmp_path / "store"))
    assert_refused(code, err, "nested too deeply")


def test_a_parquet_list_column_is_refused_by_name(tmp_path, sample_records, config, capsys):
    path = tmp_path / "records.parquet"
    frame = sample_records.copy()
    frame["tags"] = [[1, 2]] * len(frame)
    frame.to_parquet(path, index=False)
    code, err = run_cli(capsys, "run", "--input", str(path), "--config", str(config),
                        "--store", str(tmp_path / "store"), "--run-id", "r")
    assert_refused(code, err, "'tags' (list<")
    assert not (tmp_path / "store" / "runs" / "r").exists()  # no run was created


def test_a_utf16_file_gets_a_hint_about_its_byte_order_mark(tmp_path, sample_records, config, capsys):
    path = tmp_path / "records.csv"
    sample_records.to_csv(path, index=False, encoding="utf-16")
    code, err = run_cli(capsys, "run", "--input", str(path), "--config", str(config),
                        "--store", str(tmp_path / "store"), "--run-id", "r")
    assert_refused(code, err, "UTF-16 byte-order mark", 'input.encoding = "utf-16"')
    read = read_table(path, "utf-16")  # the advice works
    assert list(read.columns) == list(sample_records.columns) and len(read) == len(sample_records)


def test_user_names_differing_only_in_punctuation_have_their_own_drafts():
    keys = {draft_key("r", 1, name) for name in ("a?", "a!", "a_", "a", "")}
    assert len(keys) == 5
    assert draft_key("r", 1, "ana.lopez").startswith("runs/r/mapping/layer1/drafts/ana.lopez-")
