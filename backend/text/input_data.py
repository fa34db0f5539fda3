"""Reading the input table and checking it has what the pipeline needs.

Every problem a user can cause here (a wrong path, a wrong format, a file saved in another encoding,
a misspelled column, duplicate ids) is raised as ``InputDataError`` saying what to do about it.
"""

from __future__ import annotations

import codecs
import difflib
import gzip
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from backend.errors import InputDataError

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
ACCEPTED_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
_MAX_EXAMPLES = 5
CHUNK_ROWS = 100_000  # rows read, cleaned and embedded at a time


def read_table(path: str | Path, encoding: str = "utf-8", name: str | None = None) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet file, chosen by its suffix, whole. Messages call
    the file ``name`` (default: its path), e.g. the name of an upload rather than a temporary file."""
    parts = list(iter_table(path, encoding, name=name))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def iter_table(path: str | Path, encoding: str = "utf-8", rows: int | None = None,
               name: str | None = None) -> Iterator[pd.DataFrame]:
    """Read a CSV (optionally gzipped) or Parquet file in pieces of at most ``rows`` rows, so a
    million records never sit in memory at once.

    CSV cells are read as text, and empty cells stay empty strings rather than NaN, so that ids like
    ``00123`` and words like ``NA`` or ``null`` reach the cleaning rules unchanged.
    """
    path = Path(path)
    shown = name or str(path)
    kind = _table_kind(path, shown)
    if not path.is_file():
        raise InputDataError(
            f"Input file {shown} does not exist{' (it is a folder)' if path.is_dir() else ''}.",
            "Check the path; it is read relative to the folder the command runs in.",
        )
    rows = rows or CHUNK_ROWS
    yield from (_iter_parquet(path, rows, shown) if kind == "parquet" else _iter_csv(path, encoding, rows, shown))


def frame_parts(frame: pd.DataFrame, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """A table already in memory, in the same pieces ``iter_table`` reads files in."""
    rows = rows or CHUNK_ROWS
    for start in range(0, max(len(frame), 1), rows):
        yield frame.iloc[start:start + rows]


def _table_kind(path: Path, shown: str) -> str:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    suffix = "".join(path.suffixes[-2:]) or "(none)"
    raise InputDataError(
        f"Input file {shown} has the suffix {suffix}, which is not a supported table format.",
        f"Save it as one of {', '.join(ACCEPTED_SUFFIXES)} (CSV or Parquet).",
    )


def _iter_parquet(path: Path, rows: int, shown: str) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)  # reads the footer: a damaged file fails here
        _refuse_nested_columns(table.schema_arrow, shown)
        if table.metadata.num_rows == 0:
            yield table.schema_arrow.empty_table().to_pandas()
        for batch in table.iter_batches(batch_size=rows):
            yield batch.to_pandas()
    except InputDataError:
        raise
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise InputDataError(
            f"Input file {shown} could not be read as Parquet: {exc}",
            "Check that the file is a complete Parquet file, or export the table again.",
        ) from exc


def _refuse_nested_columns(schema, shown: str) -> None:
    """Lists, structs and maps would reach the text as "[1 2]": refuse them, by name."""
    import pyarrow.types as pat

    nested = [f"'{field.name}' ({field.type})" for field in schema
              if pat.is_nested(field.type) or pat.is_dictionary(field.type) and pat.is_nested(field.type.value_type)]
    if nested:
        raise InputDataError(
            f"Input file {shown} has column(s) holding lists or records, not text: {', '.join(nested)}.",
            "Turn each into text before loading (e.g. join a list's items with ', '), or drop the column.")


def _iter_csv(path: Path, encoding: str, rows: int, shown: str) -> Iterator[pd.DataFrame]:
    codec = _codec(encoding)
    try:
        with (gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")) as raw:
            text = io.TextIOWrapper(raw, encoding=codec, newline="")
            yield from pd.read_csv(text, dtype=str, keep_default_na=False, chunksize=rows)
    except UnicodeDecodeError:
        _decode(path, _read_bytes(path, shown), encoding, shown)  # raises, naming the line and byte offset
        raise
    except (OSError, EOFError) as exc:
        raise InputDataError(f"Input file {shown} could not be read: {exc}", "Check the file and its permissions.") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputDataError(f"Input file {shown} is empty.", "Export the table again with a header row.") from exc
    except pd.errors.ParserError as exc:
        raise InputDataError(
            f"Input file {shown} is not a well-formed CSV file: {exc}",
            "Check quoting and the number of fields per line, or save the table as Parquet.",
        ) from exc


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (OSError, EOFError) as exc:
        raise InputDataError(f"Input file {shown} could not be read: {exc}", "Check the file and its permissions.") from exc


def _decode(path: Path, data: bytes, encoding: str, shown: str) -> str:
    """Decode the whole file up front, so a bad byte is reported with its line and offset.

    pandas would report the position inside an internal buffer; we report it in the file.
    A UTF-8 byte-order mark (as Excel writes it) is dropped so the first column name stays clean.
    """
    try:
        return data.decode(_codec(encoding))
    except UnicodeDecodeError as exc:
        _refuse_unexpected_bom(data, encoding, shown)
        line = data.count(b"\n", 0, exc.start) + 1
        where = " after decompression" if path.name.lower().endswith(".gz") else ""
        raise InputDataError(
            f"Input file {shown} is not valid {encoding}: byte 0x{data[exc.start]:02x} on line {line} "
            f"(byte offset {exc.start}{where}) cannot be decoded.",
            "Re-save the file as UTF-8, or set input.encoding in the settings to the file's encoding "
            "(often cp1252 or latin-1 for files exported from Excel).",
        ) from exc


_BOMS = {  # the longer first: a UTF-32 LE mark begins with UTF-16 LE's
    codecs.BOM_UTF32_LE: "utf-32", codecs.BOM_UTF32_BE: "utf-32",
    codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16",
}


def _refuse_unexpected_bom(data: bytes, encoding: str, shown: str) -> None:
    """A file saved as UTF-16 or UTF-32 (Excel's "Unicode text") starts with a byte-order mark: name it."""
    found = next((name for bom, name in _BOMS.items() if data.startswith(bom)), None)
    if found and not encoding.lower().replace("_", "-").startswith(found):
        raise InputDataError(
            f"Input file {shown} starts with a {found.upper()} byte-order mark: it was saved as {found.upper()}, "
            f"not {encoding}.",
            f"Set input.encoding = \"{found}\" in the settings, or re-save the file as UTF-8 (CSV UTF-8 in Excel).")


def _codec(encoding: str) -> str:
    """The codec to read with: a UTF-8 byte-order mark (as Excel writes it) is dropped."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise InputDataError(
            f"The input encoding '{encoding}' is not a known text encoding.",
            "Set input.encoding in the settings to a valid name such as utf-8, latin-1 or cp1252.",
        ) from exc
    return "utf-8-sig" if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else encoding


def validate_table(frame: pd.DataFrame, id_column: str, text_columns: Sequence[str]) -> pd.DataFrame:
    """Check the id and text columns exist and the ids are present and unique; return a copy with str ids."""
    _check_columns(frame, [id_column, *text_columns])
    if frame.empty:
        raise InputDataError("The input table has no rows.", "Check that the right file was exported.")
    ids = _ids_as_str(frame[id_column])
    _check_ids(ids, id_column)
    validated = frame.copy()
    validated[id_column] = ids
    return validated


def check_text_columns(frame: pd.DataFrame, text_columns: Sequence[str]) -> None:
    """Refuse a chosen text column whose filled cells hold no word at all (ids, amounts, dates):
    it would leave nothing to embed or to take keywords from."""
    wordless = []
    for column in text_columns:
        filled = frame[column].dropna().astype(str).str.strip()
        filled = filled[filled != ""]
        if len(filled) and not filled.str.contains(r"[^\W\d_]", regex=True).any():
            wordless.append(f"'{column}' (e.g. {', '.join(repr(v) for v in filled.head(3))})")
    if wordless:
        raise InputDataError(
            f"The text column(s) {', '.join(wordless)} hold no words, only numbers or symbols.",
            "Choose columns with written text, such as a description or the customer's needs.",
        )


def _check_columns(frame: pd.DataFrame, required: Sequence[str]) -> None:
    available = [str(column) for column in frame.columns]
    missing = [column for column in dict.fromkeys(required) if column not in frame.columns]
    if not missing:
        return
    lines = [f"  - '{column}'{_suggestion(column, available)}" for column in missing]
    raise InputDataError(
        f"The input table lacks {len(missing)} required column(s):\n" + "\n".join(lines)
        + f"\nAvailable columns: {', '.join(available) or '(none)'}.",
        "Rename the columns in the file, or set input.id_column / input.text_columns in the settings.",
    )


def _suggestion(column: str, available: Sequence[str]) -> str:
    """Close matches by spelling, ignoring case, because 'Description' vs 'description' is common."""
    by_lower = {name.lower(): name for name in available}
    matches = difflib.get_close_matches(column.lower(), list(by_lower), n=3, cutoff=0.6)
    if not matches:
        return ""
    return " (did you mean " + " or ".join(f"'{by_lower[match]}'" for match in matches) + "?)"


def _ids_as_str(ids: pd.Series) -> pd.Series:
    """Ids as trimmed strings; whole floats (ints that went through NaN) lose their '.0'."""
    if pd.api.types.is_float_dtype(ids) and ids.dropna().map(float.is_integer).all():
        ids = ids.astype("Int64")
    as_str = ids.map(lambda value: "" if _is_missing(value) else str(value).strip())
    return as_str.astype(object)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _check_ids(ids: pd.Series, id_column: str) -> None:
    empty_rows = [int(i) for i in (ids == "").to_numpy().nonzero()[0]]
    if empty_rows:
        shown = ", ".join(str(row + 1) for row in empty_rows[:_MAX_EXAMPLES])
        raise InputDataError(
            f"{len(empty_rows)} row(s) have no value in the id column '{id_column}' (data rows {shown}).",
            "Give every record an id, or drop those rows before loading.",
        )
    counts = ids.value_counts()
    repeated = counts[counts > 1]
    if repeated.empty:
        return
    examples = ", ".join(f"'{value}' (x{count})" for value, count in repeated.head(_MAX_EXAMPLES).items())
    raise InputDataError(
        f"{len(repeated)} id(s) in column '{id_column}' appear more than once "
        f"({int(repeated.sum())} rows in all), e.g. {examples}.",
        "Ids must be unique: remove the duplicate rows, or choose another id column (input.id_column).",
    )
