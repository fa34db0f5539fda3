"""One finished run whose user text is hostile: labels, notes and record text that would be a
formula in a spreadsheet, markdown, HTML or LaTeX if anything interpreted them. Layer 1 is approved
without drill-down, so layer 2 has no topics (issue 15, items 7, 8 and 9)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from backend.store.local import LocalStore
from pipeline.cli import main
from tests.conftest import FAST_SETTINGS

# Each would turn into something else if interpreted: a formula, an image, a link, bold, maths.
FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd"]
MARKUP = ["<b>x</b>", "![x](http://host/t.png) [Click](http://evil)", '<a href="http://evil">y</a>', "$x$",
          "**bold**", "<img src=x onerror=alert(1)>", "a & b < c"]
HOSTILE = FORMULAS + MARKUP
RUN_ID = "hostile"


@dataclass(frozen=True)
class HostileRun:
    folder: Path
    store: LocalStore
    run_id: str
    labels: dict[str, str]  # topic -> hostile label, as approved


_BUILT: dict[int, HostileRun] = {}


@pytest.fixture(scope="session", name="hostile_run")
def hostile_run_fixture(tmp_path_factory, sample_records) -> HostileRun:
    """Built once per session, however many test modules import this fixture."""
    key = id(tmp_path_factory)
    if key not in _BUILT:
        _BUILT[key] = _build(tmp_path_factory, sample_records)
    return _BUILT[key]


def _build(tmp_path_factory, sample_records) -> HostileRun:
    folder = tmp_path_factory.mktemp("hostile")
    records = sample_records.copy()
    for row, text in enumerate(HOSTILE):
        records.loc[records.index[row], "description"] = f"{text} invoice automation for finance {text}"
    records.to_csv(folder / "records.csv", index=False)
    (folder / "config.json").write_text(json.dumps(FAST_SETTINGS))
    store = str(folder / "store")
    assert main(["run", "--input", str(folder / "records.csv"), "--config", str(folder / "config.json"),
                 "--store", store, "--run-id", RUN_ID]) == 0
    mapping_file = folder / "mapping.json"
    assert main(["mapping", RUN_ID, "--output", str(mapping_file), "--store", store]) == 0
    mapping = json.loads(mapping_file.read_text())
    labels = {}
    for topic, text in zip(sorted(mapping["topics"], key=int), HOSTILE, strict=False):
        mapping["topics"][topic]["label"] = labels[topic] = text
        mapping["topics"][topic]["note"] = text
    mapping_file.write_text(json.dumps(mapping))
    assert main(["approve", RUN_ID, "--mapping", str(mapping_file), "--by", "ana", "--store", store]) == 0
    return HostileRun(folder, LocalStore(Path(store)), RUN_ID, labels)


def read_csv_text(data: bytes) -> pd.DataFrame:
    """A CSV as the strings a spreadsheet would be given (no type guessing, empty stays empty)."""
    import io

    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
