"""Keyword text: lemmas, lower case, no stop words, no punctuation or numbers, and fast."""

from __future__ import annotations

import time

import pytest

from backend.text.lemmatize import KeywordTextBuilder


@pytest.fixture(scope="module")
def builder() -> KeywordTextBuilder:
    return KeywordTextBuilder(extra_stop_words=("Customer",))


def test_lemmatizes_and_lowercases(builder):
    assert builder.build(["Migrating Servers and Invoices"]) == ["migrate server invoice"]


def test_drops_stop_words_punctuation_and_numbers(builder):
    assert builder.build(["We need it for 250 users, 250k seats, in 2025!!! (really)"]) == ["need user seat"]


def test_extra_stop_words_ignore_case(builder):
    assert builder.build(["customer's customers want dashboards"]) == ["want dashboard"]


def test_keeps_words_with_digits_that_start_with_a_letter(builder):
    assert builder.build(["B2B portal on S3"]) == ["b2b portal s3"]


def test_business_words_keep_their_meaning(builder):
    assert builder.build(["AI data for media sales"]) == ["ai data media sales"]


def test_empty_and_missing_texts_keep_their_place(builder):
    assert builder.build(["", None, "the and of", "crm"]) == ["", "", "", "crm"]


def test_pipeline_is_built_once(builder):
    builder.build(["one"])
    nlp = builder._nlp
    builder.build(["two"])
    assert builder._nlp is nlp


def test_fast_on_many_short_docs(builder):
    texts = [f"need better forecasting of demand {i} and invoice processing automation for finance" for i in
             range(10_000)]
    builder.build(texts[:10])
    start = time.perf_counter()
    keywords = builder.build(texts)
    assert time.perf_counter() - start < 5.0
    assert len(keywords) == len(texts)
    assert keywords[0] == "need forecast demand invoice process automation finance"
