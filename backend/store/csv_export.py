"""CSV that a spreadsheet cannot execute: every CSV the product writes goes through here.

Labels, notes and record text are typed by people. A cell such as ``=HYPERLINK(...)`` or
``=cmd|' /C calc'!A0`` is run as a formula when the file is opened in Excel or LibreOffice. OWASP's
rule for "CSV Injection": a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a single quote in front, so it is shown as the text it is. Numbers (not text) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    """``value`` with a leading single quote when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralized_row(values: Iterable[Any]) -> list[Any]:
    """One row for ``csv.writer``, each cell neutralised."""
    return [neutralize_cell(value) for value in values]


def neutralized(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its header and every text cell neutralised."""
    out = frame.rename(columns=neutralize_cell)
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out.isetitem(position, values.map(neutralize_cell, na_action="ignore"))
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as neutralised UTF-8 CSV without the index: what every export writes."""
    return neutralized(frame).to_csv(index=False).encode("utf-8")
