"""bench/QUALITY.md's tables are what the benchmark scripts print from the committed results:
a result file changed without `make quality-tables`, or a table edited by hand, fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_tables_module():
    spec = importlib.util.spec_from_file_location("bench_tables", ROOT / "bench" / "tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_quality_table_matches_its_results():
    tables = load_tables_module()
    text = tables.QUALITY.read_text()
    _, changed = tables.regenerate(text)
    assert changed == [], f"stale tables in bench/QUALITY.md: {changed} (run make quality-tables)"
    names = [match["name"] for match in tables.BLOCK.finditer(text)]
    assert sorted(names) == sorted(tables.tables())  # each table the tool knows is in the file, once


def test_a_table_edited_by_hand_is_found():
    tables = load_tables_module()
    text = tables.QUALITY.read_text()
    start = text.index("<!-- table: goals -->\n") + len("<!-- table: goals -->\n")
    edited = text[:start] + "| made up |\n" + text[start:]
    assert "goals" in tables.regenerate(edited)[1]
