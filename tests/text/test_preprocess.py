"""The whole preprocessing step on a hand-made, noisy 10-row frame."""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd
import pytest

from backend.errors import InputDataError
from backend.settings import CleaningSettings, InputSettings, Settings
from backend.text.preprocess import STAGES, preprocess

TEXT_COLUMNS = ("opportunity_name", "description", "customer_needs")


def _settings(**cleaning: object) -> Settings:
    base = CleaningSettings(spacy_model="no_such_spacy_model_xyz")  # the rule-based path, always
    return Settings(input=InputSettings(text_columns=TEXT_COLUMNS),
                    cleaning=dataclasses.replace(base, **cleaning))


def _noisy_frame() -> pd.DataFrame:
    rows = [
        ("OPP-1", "Acme Corp - CRM rollout", "Opportunity created from web form. Acme's sales team "
         "can't track leads; see https://acme.com/crm.", "Pipeline views", "Acme Corp", "jane.doe@seller.com",
         "John Smith", "EMEA"),
        ("OPP-2", "Fleet Tracking", "Contact john.smith@globex.com or +1 (415) 555-0132. They're "
         "replacing paper logs.", "GPS trackers for 250 trucks", "Globex", "jane.doe@seller.com",
         "Mary Major", "NA"),
        ("OPP-3", "TBD", "N/A", "", "Initech", "bob.ray@seller.com", "Peter Gibbons", "APAC"),
        ("OPP-4", "Invoice Automation", "Initech wants to automate invoices by Q3 2025, budget $250k.",
         "OCR and approval workflows", "Initech", "bob.ray@seller.com", "Peter Gibbons", "EMEA"),
        ("OPP-5", "Data Warehouse", "We'll migrate the SALES DATA to the cloud. Call 020 7946 0958.",
         None, "Umbrella Ltd", "jane.doe@seller.com", "Alice Wong", "EMEA"),
        ("OPP-6", "Call Center", "Description: Hooli's agents need call recording; it\u2019s urgent.",
         "Speech analytics", "Hooli Inc.", "carl.lee@seller.com", "Gavin Belson", "NA"),
        ("OPP-7", "   ", "see attached", None, "Stark", "carl.lee@seller.com", "Tony Stark", "NA"),
        ("OPP-8", "Security Cameras", "Stark Industries needs 40 cameras for 3 warehouses, 15% cheaper.",
         "Video analytics", "Stark Industries", "bob.ray@seller.com", "Pepper Potts", "APAC"),
        ("OPP-9", "E-Learning", "Wayne Enterprises wants LMS licences; write to it@wayne.com.",
         "Courses for 2,000 staff", "Wayne Enterprises", "jane.doe@seller.com", "Lucius Fox", "NA"),
        ("OPP-10", "Payroll", "Payroll for 12 countries, go-live March 1, 2026.", "Tax rules",
         "Cyberdyne Systems Corp", "carl.lee@seller.com", "Miles Dyson", "EMEA"),
    ]
    columns = ["opportunity_id", *TEXT_COLUMNS, "account_name", "owner_email", "contact_name", "region"]
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture(scope="module")
def result():
    return preprocess(_noisy_frame(), _settings())


def test_columns_order_and_counts(result):
    docs = result.docs
    assert list(docs.columns[:4]) == ["id", "text_raw", "text_embed", "text_keywords"]
    assert list(docs.columns[4:]) == [*TEXT_COLUMNS, "account_name", "owner_email", "contact_name", "region"]
    assert "opportunity_id" not in docs.columns
    assert result.n_input == 10 and result.n_dropped_empty == 2 and len(docs) == 8
    assert docs["id"].tolist() == ["OPP-1", "OPP-2", "OPP-4", "OPP-5", "OPP-6", "OPP-8", "OPP-9", "OPP-10"]
    assert docs.index.tolist() == list(range(8))
    assert result.entity_method == "rules"


def test_text_raw_is_the_joined_fields(result):
    assert result.docs.loc[0, "text_raw"].startswith("Acme Corp - CRM rollout. Opportunity created from web form.")


def test_text_embed_is_clean(result):
    embed = " ".join(result.docs["text_embed"])
    for noise in ("http", "acme.com", "@", "555", "0132", "7946", "opportunity created", "description:",
                  "acme", "globex", "initech", "hooli", "john", "smith", "q3", "2025", "$250k", "15%", "march"):
        assert noise not in embed, noise
    assert embed == embed.lower()
    assert "  " not in embed
    docs = result.docs.set_index("id")["text_embed"]
    assert docs["OPP-1"] == "crm rollout. sales team cannot track leads; see. pipeline views"
    assert docs["OPP-2"] == "fleet tracking. contact or. they are replacing paper logs. gps trackers for 250 trucks"
    assert "it is urgent" in docs["OPP-6"]


def test_text_keywords_are_lemmas_without_stop_words(result):
    keywords = result.docs.set_index("id")["text_keywords"]
    assert keywords["OPP-4"] == "invoice automation want automate invoice budget ocr approval workflow"
    assert keywords["OPP-5"] == "data warehouse migrate sales data cloud"
    assert "analytics" in keywords["OPP-6"].split()


def test_metadata_kept_as_is(result):
    assert result.docs["region"].tolist() == ["EMEA", "NA", "EMEA", "EMEA", "NA", "APAC", "NA", "EMEA"]


def test_dropped_rows_are_counted_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="backend.text.preprocess"):
        dropped = preprocess(_noisy_frame(), _settings()).n_dropped_empty
    assert dropped == 2
    assert "Dropped 2 of 10 records" in caplog.text and "OPP-3, OPP-7" in caplog.text


def test_min_words_raises_the_bar():
    result = preprocess(_noisy_frame(), _settings(min_words=12))
    assert result.n_dropped_empty == 10 - len(result.docs) and 2 < result.n_dropped_empty < 10


def test_progress_reports_every_stage_in_order():
    seen: list[tuple[str, float]] = []
    preprocess(_noisy_frame(), _settings(), progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert [stage for stage, _ in seen] == [*STAGES, "done"]
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_steps_can_be_switched_off():
    settings = _settings(template_patterns=(), remove_urls=False, remove_emails=False,
                         remove_phone_numbers=False, expand_contractions=False, remove_entities=False)
    result = preprocess(_noisy_frame(), settings)
    embed = result.docs.set_index("id")["text_embed"]
    assert result.entity_method == "none" and result.n_dropped_empty == 0
    assert "opportunity created from web form" in embed["OPP-1"] and "https://acme.com/crm" in embed["OPP-1"]
    assert "john.smith@globex.com" in embed["OPP-2"] and "+1 (415) 555-0132" in embed["OPP-2"]
    assert "they're" in embed["OPP-2"] and "q3 2025" in embed["OPP-4"]


def test_all_empty_input_is_an_error():
    frame = _noisy_frame().iloc[[2, 6]]
    with pytest.raises(InputDataError, match="All 2 records"):
        preprocess(frame, _settings())


def test_input_errors_surface_before_any_work():
    frame = _noisy_frame().rename(columns={"description": "Description"})
    with pytest.raises(InputDataError, match="did you mean 'Description'"):
        preprocess(frame, _settings())


def test_clashing_metadata_column_is_renamed():
    frame = _noisy_frame().assign(id=range(10))
    docs = preprocess(frame, _settings()).docs
    assert docs["id"].iloc[0] == "OPP-1" and docs["input_id"].iloc[0] == 0


def test_nullable_string_input_as_stored_by_a_run():
    frame = _noisy_frame()
    frame = frame.astype({column: "string" for column in frame.columns})
    result = preprocess(frame, _settings())
    assert result.n_dropped_empty == 2
    assert result.docs["text_embed"].tolist() == preprocess(_noisy_frame(), _settings()).docs["text_embed"].tolist()
