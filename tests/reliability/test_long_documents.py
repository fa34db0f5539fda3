"""Bad input never breaks a run: pathological and huge documents (issue 15, items 5 and 6)."""

from __future__ import annotations

import pytest

from backend.text.lemmatize import KeywordTextBuilder
from backend.text.sample_data import generate_opportunities

# Work allowed per input character, summed over the tokenizer's affix searches. Linear code stays
# far below it on any input; the old quadratic code passes it within the first few hundred steps
# of a long bracket run, so the test fails at once instead of running for minutes.
WORK_PER_CHAR = 200
PATHOLOGICAL = ["(", ")", "\"", "a(", "(a", ")(", "!?", "-a"]


class TooMuchWork(Exception):
    """The tokenizer scanned more than the linear budget allows."""


def _counting(search, budget: dict):
    """Wrap one of the tokenizer's affix searches: add the length of every string it scans."""
    def counted(string):
        budget["work"] += len(string)
        if budget["work"] > budget["limit"]:
            raise TooMuchWork(f"tokenizer scanned {budget['work']:,} characters")
        return search(string)
    return counted


def _tokenizer_work(texts: list[str]) -> int:
    """Characters the tokenizer's prefix, suffix and infix searches scan while building keywords."""
    builder = KeywordTextBuilder()
    tokenizer = builder._pipeline().tokenizer
    budget = {"work": 0, "limit": WORK_PER_CHAR * sum(len(text) for text in texts)}
    tokenizer.prefix_search = _counting(tokenizer.prefix_search, budget)
    tokenizer.suffix_search = _counting(tokenizer.suffix_search, budget)
    tokenizer.infix_finditer = _counting(tokenizer.infix_finditer, budget)
    builder.build(texts)
    return budget["work"]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_keyword_text_work_is_linear_in_a_long_pathological_row(pattern):
    text = pattern * (50_000 // len(pattern))
    work = _tokenizer_work([text])  # raises TooMuchWork on quadratic work
    assert work <= WORK_PER_CHAR * len(text)
    assert _tokenizer_work([text + text]) <= 2.2 * max(work, 1) + 1000  # twice the text, twice the work


def _old_keywords(texts: list[str]) -> list[str]:
    """The builder before the fix: spaCy on the whole lowered text (the reference for ordinary text)."""
    builder = KeywordTextBuilder()
    nlp = builder._pipeline()
    return [builder._keywords(doc) for doc in nlp.pipe((text or "").lower() for text in texts)]


def test_keyword_text_is_unchanged_on_ordinary_text():
    records = generate_opportunities(300, seed=3).fillna("").astype(str)
    texts = [" ".join(row) for row in records[["opportunity_name", "description", "customer_needs"]].to_numpy()]
    texts += ["We need (e.g.) real-time dashboards, B2B portal on S3; don't wait!!!", "state-of-the-art CRM's",
              "invoices/quotes/orders", "https://example.com/a/b?c=d", ""]
    assert KeywordTextBuilder().build(texts) == _old_keywords(texts)


def test_a_five_megabyte_document_is_cut_counted_and_logged_not_fatal(local_store, fast_settings, sample_records,
                                                                        caplog):
    from backend.runs import steps
    from backend.store.layout import docs_key

    records = sample_records.head(60).copy()
    huge_id = records["opportunity_id"].iloc[0]
    records.loc[records.index[0], "description"] = "invoice automation for finance teams " * 140_000  # 5 MB
    steps.store_input(local_store, "r1", [records], fast_settings)
    with caplog.at_level("WARNING"):
        info = steps.run_preprocess(local_store, "r1", fast_settings)  # spaCy raised E088 here
    assert info["n_truncated"] == 1 and info["n_docs"] == 60
    assert "Cut 1 of 60 records" in caplog.text and str(huge_id) in caplog.text
    docs = local_store.read_parquet(docs_key("r1")).set_index("id")
    assert len(docs.loc[str(huge_id), "text_raw"]) > 5_000_000  # the record itself is kept whole
    assert len(docs.loc[str(huge_id), "text_embed"]) <= fast_settings.cleaning.max_document_chars


def test_the_cap_is_a_setting_within_spacys_limit():
    from backend.errors import SettingsError
    from backend.settings import settings_from_dict

    assert settings_from_dict({"cleaning": {"max_document_chars": 500}}).cleaning.max_document_chars == 500
    with pytest.raises(SettingsError, match="max_document_chars"):
        settings_from_dict({"cleaning": {"max_document_chars": 2_000_000}})
