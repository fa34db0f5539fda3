"""Nothing unsafe leaves the product: every CSV writer neutralises formula cells (issue 15, item 7)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.delta_generator import DeltaGenerator

from backend.settings import Settings
from backend.store.csv_export import csv_bytes, neutralize_cell
from backend.store.layout import labels_key
from pipeline.cli import main
from tests.app.conftest import app_on
from tests.reliability.hostile_run import FORMULAS, hostile_run_fixture, read_csv_text  # noqa: F401


def assert_no_formula(frame: pd.DataFrame) -> None:
    cells = [str(c) for c in frame.columns] + [c for c in frame.to_numpy().ravel().tolist() if isinstance(c, str)]
    formulas = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not formulas, f"cells a spreadsheet would run: {formulas[:5]}"


@pytest.mark.parametrize("cell", [*FORMULAS, "\t=1+1", "\r=1+1", "-1"])
def test_the_owasp_rule_quotes_every_formula_start(cell):
    assert neutralize_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Invoice automation", "a=b", "", " =x is fine after a space", None, -1.5, 3])
def test_other_cells_are_left_alone(cell):
    assert neutralize_cell(cell) == cell


def test_text_columns_are_neutralised_and_numbers_kept():
    frame = pd.DataFrame({"label": ["=1+1", "ok", None], "score": [-0.5, 1.0, 2.0],
                          "path": pd.array(["@x", None, "a > b"], dtype="string")})
    back = read_csv_text(csv_bytes(frame))
    assert back["label"].tolist() == ["'=1+1", "ok", ""] and back["path"].tolist() == ["'@x", "", "a > b"]
    assert back["score"].tolist() == ["-0.5", "1.0", "2.0"]


def _has_every_hostile_label(frame: pd.DataFrame) -> None:
    assert {"'" + formula for formula in FORMULAS} <= set(frame["layer1_label"])


def test_final_csv_written_by_the_pipeline(hostile_run):
    final = read_csv_text(hostile_run.store.read_bytes(labels_key(hostile_run.run_id, "csv")))
    _has_every_hostile_label(final)
    assert_no_formula(final)


def test_cli_export(hostile_run, tmp_path):
    out = tmp_path / "labels.csv"
    assert main(["export", hostile_run.run_id, "--format", "csv", "--output", str(out),
                 "--store", str(hostile_run.store.root)]) == 0
    exported = read_csv_text(out.read_bytes())
    _has_every_hostile_label(exported)
    assert_no_formula(exported)


def test_export_page_download(hostile_run, monkeypatch):
    downloads = {}
    real = DeltaGenerator.download_button

    def capture(self, label, data, *args, **kwargs):
        downloads[label] = data
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", capture)
    app_on(hostile_run.store, monkeypatch, "export")
    exported = read_csv_text(downloads["Labels (CSV)"])
    _has_every_hostile_label(exported)
    assert_no_formula(exported)


def test_inference_csv_response():
    from pipeline.inference import CSV, output_fn

    body, _ = output_fn([{"path": FORMULAS[0], "labels": FORMULAS[1:], "scores": [0.5, 0.25, 0.25]}], CSV)
    response = read_csv_text(body.encode())
    assert response.iloc[0, :4].tolist() == ["'" + formula for formula in FORMULAS]
    assert_no_formula(response)


def test_tuning_trials_csv(tmp_path):
    from backend.topics.tuning import TuningResult
    from pipeline.tune_report import write_outputs

    trials = pd.DataFrame({"trial": [0, 1], "state": ["complete", "complete"], "score": [-0.1, 0.2],
                           "embedding_model": ["=cmd|' /C calc'!A0", "hashing"], "coherence": [0.1, 0.2],
                           "diversity": [0.5, 0.5], "balance": [0.3, 0.3], "stability": [0.9, 0.9]})
    result = TuningResult(settings=Settings(), score=0.2, components={"coherence": 0.2}, params={}, trials=trials,
                          n_documents=10)
    written = write_outputs(result, tmp_path / "tuned.toml")
    trials_csv = read_csv_text(written[1].read_bytes())
    assert trials_csv["embedding_model"].tolist() == ["'=cmd|' /C calc'!A0", "hashing"]
    assert trials_csv["score"].tolist() == ["-0.1", "0.2"]  # numbers stay numbers
