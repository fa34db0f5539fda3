"""Reading CSV/Parquet input and the errors a user sees when the table is not usable."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from backend.errors import InputDataError
from backend.text.input_data import ACCEPTED_SUFFIXES, read_table, validate_table

CSV_TEXT = "opportunity_id,description,amount\n00123,Needs a CRM,NA\n00124,,null\n"


def test_read_csv_keeps_text_as_text(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    frame = read_table(path)
    assert frame["opportunity_id"].tolist() == ["00123", "00124"]
    assert frame["amount"].tolist() == ["NA", "null"]
    assert frame["description"].tolist() == ["Needs a CRM", ""]


def test_read_gzipped_csv_and_utf8_bom(tmp_path):
    path = tmp_path / "input.csv.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(("\ufeff" + CSV_TEXT).encode("utf-8"))
    frame = read_table(str(path))
    assert list(frame.columns) == ["opportunity_id", "description", "amount"]
    assert len(frame) == 2


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_read_parquet(tmp_path, suffix):
    path = tmp_path / f"input{suffix}"
    pd.DataFrame({"opportunity_id": [1, 2], "description": ["a", None]}).to_parquet(path)
    frame = read_table(path)
    assert frame["opportunity_id"].tolist() == [1, 2]
    assert len(frame) == 2


def test_non_utf8_file_names_line_offset_and_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("opportunity_id,description\n1,ok\n2,caf\u00e9 order\n".encode("latin-1"))
    with pytest.raises(InputDataError) as caught:
        read_table(path)
    problem = caught.value.problem
    assert "latin.csv" in problem and "line 3" in problem
    assert f"byte offset {len(b'opportunity_id,description') + 1 + 5 + 5}" in problem
    assert "0xe9" in problem
    assert "UTF-8" in caught.value.fix and "input.encoding" in caught.value.fix


def test_other_encoding_reads_when_set(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("opportunity_id,description\n2,caf\u00e9 order\n".encode("latin-1"))
    assert read_table(path, encoding="latin-1")["description"].tolist() == ["caf\u00e9 order"]


def test_unknown_encoding_name(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text(CSV_TEXT)
    with pytest.raises(InputDataError, match="not a known text encoding"):
        read_table(path, encoding="utf-99")


def test_unsupported_suffix_lists_accepted_ones(tmp_path):
    path = tmp_path / "input.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputDataError) as caught:
        read_table(path)
    assert ".xlsx" in caught.value.problem
    assert all(suffix in caught.value.fix for suffix in ACCEPTED_SUFFIXES)


def test_missing_file(tmp_path):
    with pytest.raises(InputDataError, match="does not exist"):
        read_table(tmp_path / "nope.csv")


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(InputDataError, match="empty"):
        read_table(path)


def test_missing_column_suggests_close_matches_and_lists_available():
    frame = pd.DataFrame({"opportunity_id": ["1"], "Descripton": ["x"], "customer_need": ["y"]})
    with pytest.raises(InputDataError) as caught:
        validate_table(frame, "opportunity_id", ["description", "customer_needs", "product_name"])
    problem = caught.value.problem
    assert "3 required column(s)" in problem
    assert "'description' (did you mean 'Descripton'?)" in problem
    assert "'customer_needs' (did you mean 'customer_need'?)" in problem
    assert "'product_name'\n" in problem  # no close match, no suggestion
    assert "Available columns: opportunity_id, Descripton, customer_need" in problem
    assert "input.text_columns" in caught.value.fix


def test_duplicate_ids_report_count_and_examples():
    ids = ["a", "a", "b", "b", "b", "c"] + [f"d{i}" for i in range(6) for _ in range(2)]
    frame = pd.DataFrame({"id": ids, "text": "x"})
    with pytest.raises(InputDataError) as caught:
        validate_table(frame, "id", ["text"])
    problem = caught.value.problem
    assert problem.startswith("8 id(s) in column 'id' appear more than once (17 rows in all)")
    assert "'b' (x3)" in problem
    assert problem.count("(x") == 5


def test_missing_ids_are_an_error():
    frame = pd.DataFrame({"id": ["1", None, " "], "text": "x"})
    with pytest.raises(InputDataError, match="2 row\\(s\\) have no value"):
        validate_table(frame, "id", ["text"])


def test_validate_makes_ids_str_and_keeps_rows():
    frame = pd.DataFrame({"id": [3.0, 1.0, 2.0], "text": ["a", "b", "c"], "region": ["x", "y", "z"]})
    validated = validate_table(frame, "id", ["text"])
    assert validated["id"].tolist() == ["3", "1", "2"]
    assert validated["region"].tolist() == ["x", "y", "z"]
    assert frame["id"].tolist() == [3.0, 1.0, 2.0]  # input untouched


def test_empty_table_is_an_error():
    with pytest.raises(InputDataError, match="no rows"):
        validate_table(pd.DataFrame({"id": [], "text": []}), "id", ["text"])


def test_a_text_column_without_words_is_refused_naming_it():
    from backend.text.input_data import check_text_columns

    frame = pd.DataFrame({"name": ["Invoice bot", "", "Chat"], "amount": ["1200", "", "35.50"], "code": ["", "", ""]})
    check_text_columns(frame, ["name", "code"])  # an empty column is not wordless, only empty
    with pytest.raises(InputDataError, match=r"'amount' \(e.g. '1200', '35.50'\) hold no words") as error:
        check_text_columns(frame, ["name", "amount"])
    assert "written text" in error.value.fix


def test_messages_name_the_file_as_given(tmp_path):
    from backend.text.input_data import read_table

    path = tmp_path / "upload.csv"
    path.write_bytes(b"id,text\n1,\xff\n")
    with pytest.raises(InputDataError) as error:
        read_table(path, name="'opportunities.csv'")
    assert "Input file 'opportunities.csv' is not valid utf-8" in error.value.problem and str(tmp_path) not in str(error.value)
