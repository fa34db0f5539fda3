"""What ``topic-curator tune`` shows and writes: a line per trial, the settings file, the trials
table and a chart of the search."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from app.plots import tuning_history
from backend.settings import settings_to_toml
from backend.store.csv_export import csv_bytes
from backend.topics.tuning import TrialReport, TuningResult


def print_trial(report: TrialReport) -> None:
    """One line per trial, then the best trial so far whenever it changes."""
    done = f"trial {report.number + 1}/{report.n_trials}"
    if report.score is None:
        print(f"{done}: skipped ({report.note})", file=sys.stderr)
        return
    parts = "  ".join(f"{k} {v:.3f}" for k, v in report.components.items())
    print(f"{done}: score {report.score:.4f}  ({parts})  {report.params.get('embedding_model', '')}", file=sys.stderr)
    if report.best_number == report.number:
        print(f"  best so far: {_describe(report.best_params)}", file=sys.stderr)


def write_outputs(result: TuningResult, output: Path) -> list[Path]:
    """The settings file ``run --config`` accepts, the trials as CSV, and the history chart (HTML)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    header = (f"Written by topic-curator tune on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.\n"
              f"Best of {len(result.trials)} trials on {result.n_documents} documents: score {result.score:.4f}\n"
              + ", ".join(f"{k} {v:.3f}" for k, v in result.components.items()) + "\n"
              f"Use it: topic-curator run --config {output.name}")
    output.write_text(settings_to_toml(result.settings, header), encoding="utf-8")
    trials = output.with_name(f"{output.stem}-trials.csv")
    trials.write_bytes(csv_bytes(result.trials))
    chart = output.with_name(f"{output.stem}-history.html")
    tuning_history(result.trials).write_html(chart, include_plotlyjs=True)
    return [output, trials, chart]


def _describe(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(params.items()))
