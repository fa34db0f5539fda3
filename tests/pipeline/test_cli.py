"""The topic-curator command, in-process: help, the whole flow, and errors without tracebacks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.cli import build_parser, main
from tests.conftest import FAST_SETTINGS


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(FAST_SETTINGS))
    return path


@pytest.fixture
def input_csv(tmp_path, sample_records):
    path = tmp_path / "records.csv"
    sample_records.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", ["run", "status", "approve", "reject", "mapping", "export", "sample", "tune"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: topic-curator " + command in capsys.readouterr().out


def test_run_edit_mapping_approve_and_export(tmp_path, config, input_csv, capsys):
    store = str(tmp_path / "store")
    assert main(["run", "--input", str(input_csv), "--config", str(config), "--store", store, "--run-id", "r1"]) == 0
    out = capsys.readouterr().out
    assert "run id: r1" in out and "waiting at: curate-layer1" in out

    mapping_file = tmp_path / "mapping.json"
    assert main(["mapping", "r1", "--output", str(mapping_file), "--store", store]) == 0
    mapping = json.loads(mapping_file.read_text())
    mapping["topics"]["0"]["label"] = "Invoice automation"
    mapping["topics"]["0"]["drill_down"] = True
    mapping_file.write_text(json.dumps(mapping))

    assert main(["approve", "r1", "--mapping", str(mapping_file), "--by", "ana", "--store", store]) == 0
    assert "waiting at: curate-layer2" in capsys.readouterr().out
    assert main(["status", "r1", "--store", store]) == 0
    status = capsys.readouterr().out
    assert "curate-layer1   done" in status and "approved by ana" in status

    partial = tmp_path / "partial.csv"
    assert main(["export", "r1", "--format", "csv", "--output", str(partial), "--store", store]) == 0
    assert "layers approved so far" in capsys.readouterr().err
    assert (pd.read_csv(partial)["layer1_label"] == "Invoice automation").any()

    assert main(["approve", "r1", "--auto-approve", "--store", store]) == 0
    assert "completed" in capsys.readouterr().out
    final = tmp_path / "labels.parquet"
    assert main(["export", "r1", "--format", "parquet", "--output", str(final), "--store", store]) == 0
    labels = pd.read_parquet(final)
    assert list(labels.columns[:8]) == ["id", "layer1_topic", "layer1_label", "layer2_topic", "layer2_label",
                                        "layer3_topic", "layer3_label", "path"]


def test_status_without_a_run_lists_runs(tmp_path, capsys):
    assert main(["status", "--store", str(tmp_path)]) == 0
    assert "No runs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda p: p.write_bytes(b"opportunity_id,description\n1,caf\xe9 au lait\n"), [], "not valid utf-8"),
        (lambda p: p.write_text("opportunity_id,descripton\n1,x\n"), ["--text-columns", "description"],
         "description"),
    ],
)
def test_bad_input_gets_a_message_not_a_traceback(tmp_path, config, capsys, setup, args, message):
    path = tmp_path / "bad.csv"
    setup(path)
    code = main(["run", "--input", str(path), "--config", str(config), "--store", str(tmp_path / "s"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err and "what to do:" in err
    assert "Traceback" not in err


def test_unknown_run_and_unsupported_file(tmp_path, capsys):
    assert main(["approve", "nope", "--store", str(tmp_path)]) == 2
    assert "There is no run 'nope'" in capsys.readouterr().err
    odd = tmp_path / "records.xlsx"
    odd.write_bytes(b"PK")
    assert main(["run", "--input", str(odd), "--store", str(tmp_path)]) == 2
    assert ".xlsx" in capsys.readouterr().err


def test_sample_command_writes_records(tmp_path, capsys):
    out = tmp_path / "sample.csv"
    assert main(["sample", "--rows", "50", "--output", str(out)]) == 0
    assert len(pd.read_csv(out)) == 50


def test_labels_carry_over_to_a_repeated_run(tmp_path, config, input_csv, capsys):
    store = str(tmp_path / "store")
    common = ["--input", str(input_csv), "--config", str(config), "--store", store]
    assert main(["run", *common, "--run-id", "march"]) == 0
    mapping_file = tmp_path / "march.json"
    assert main(["mapping", "march", "--output", str(mapping_file), "--store", store]) == 0
    mapping = json.loads(mapping_file.read_text())
    for key, topic in mapping["topics"].items():
        topic["label"] = f"Use case {key}"
    mapping_file.write_text(json.dumps(mapping))
    assert main(["approve", "march", "--mapping", str(mapping_file), "--store", store]) == 0
    assert main(["run", *common, "--run-id", "april"]) == 0
    capsys.readouterr()

    assert main(["propose-labels", "april", "--previous", "march", "--store", store]) == 0
    listing = capsys.readouterr().out
    assert "match a topic of run march" in listing and "-> Use case" in listing
    assert main(["propose-labels", "april", "--previous", "march", "--accept-above", "0.9", "--store", store]) == 0
    assert "saved as version 2" in capsys.readouterr().out
    april = tmp_path / "april.json"
    assert main(["mapping", "april", "--output", str(april), "--store", store]) == 0
    labels = [t["label"] for t in json.loads(april.read_text())["topics"].values()]
    assert sum(label.startswith("Use case") for label in labels) >= 15


def test_export_writes_the_topic_tree(tmp_path, config, input_csv):
    store = str(tmp_path / "store")
    assert main(["run", "--input", str(input_csv), "--config", str(config), "--store", store,
                 "--run-id", "t", "--auto-approve"]) == 0
    tree_file = tmp_path / "tree.json"
    assert main(["export", "t", "--output", str(tmp_path / "l.csv"), "--tree", str(tree_file), "--store", store]) == 0
    tree = json.loads(tree_file.read_text())
    assert tree["format"] == "topic-curator/tree"
    roots = tree["topics"]
    assert sum(node["documents"] for node in roots) >= 390
    assert any(node["children"] for node in roots)


def test_tune_writes_settings_that_run_accepts(tmp_path, input_csv, capsys):
    config = tmp_path / "base.json"
    config.write_text(json.dumps({**FAST_SETTINGS, "tuning": {"embedding_models": ["hashing", "tfidf-svd"]}}))
    store, output = str(tmp_path / "s"), tmp_path / "out" / "tuned.toml"
    assert main(["tune", "--input", str(input_csv), "--config", str(config), "--trials", "3", "--folds", "2",
                 "--max-documents", "300", "--output", str(output), "--store", store]) == 0
    captured = capsys.readouterr()
    assert "trial 3/3: " in captured.err and "best so far:" in captured.err
    assert "topic-curator run --config" in captured.out
    trials = pd.read_csv(tmp_path / "out" / "tuned-trials.csv")
    assert len(trials) == 3 and {"score", "coherence", "stability", "embedding_model"} <= set(trials.columns)
    assert "plotly" in (tmp_path / "out" / "tuned-history.html").read_text()
    assert output.read_text().startswith("# Written by topic-curator tune")
    assert main(["run", "--input", str(input_csv), "--config", str(output), "--store", store, "--run-id", "tuned"]) == 0
    assert main(["status", "tuned", "--store", store]) == 0
    assert "waiting" in capsys.readouterr().out


def test_tune_on_too_little_text_says_so(tmp_path, config, capsys):
    path = tmp_path / "few.csv"
    path.write_text("opportunity_id,description\n" + "".join(f"{i},invoice matching number {i}\n" for i in range(20)))
    code = main(["tune", "--input", str(path), "--text-columns", "description", "--config", str(config),
                 "--output", str(tmp_path / "t.toml"), "--store", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "error: Only 20 documents" in err and "what to do:" in err
    assert not (tmp_path / "t.toml").exists()
