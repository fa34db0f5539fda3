"""Entity removal: the rule-based remover per rule, the spaCy remover, and the choice between them."""

from __future__ import annotations

import logging
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.settings import CleaningSettings
from backend.text import entities
from backend.text.entities import (
    EntityRemover,
    RuleBasedEntityRemover,
    SpacyEntityRemover,
    record_names,
    remove_generic_entities,
    select_entity_remover,
)

ENTITY_COLUMNS = ("account_name", "owner_email", "contact_name")


def _words(text: str) -> list[str]:
    return text.replace(",", " ").replace(".", " ").split()


def _remove_for(record: dict[str, str], text: str) -> str:
    remover = RuleBasedEntityRemover(ENTITY_COLUMNS)
    return remover.remove([text], pd.DataFrame([record]))[0]


def test_removes_account_name_whole_word_case_insensitive_with_possessive():
    record = {"account_name": "Acme", "owner_email": "", "contact_name": ""}
    cleaned = _remove_for(record, "ACME's team likes acme tools, not Acmeville")
    assert _words(cleaned) == ["team", "likes", "tools", "not", "Acmeville"]


def test_removes_company_name_with_and_without_legal_suffix():
    record = {"account_name": "Blue Ocean Logistics GmbH", "owner_email": "", "contact_name": ""}
    cleaned = _remove_for(record, "Blue Ocean Logistics GmbH and blue  ocean logistics need blue trucks")
    assert _words(cleaned) == ["and", "need", "blue", "trucks"]


@pytest.mark.parametrize("suffix", ["Inc", "Inc.", "Ltd", "LLC", "Corp.", "Corporation", "AG", "PLC"])
def test_company_suffix_variants(suffix):
    assert "Globex" in record_names({"account_name": f"Globex {suffix}"})


def test_removes_contact_full_name_and_parts_but_not_stop_words():
    record = {"account_name": "", "owner_email": "", "contact_name": "Will Smith"}
    cleaned = _remove_for(record, "Will Smith said Smith will decide")
    assert _words(cleaned) == ["said", "will", "decide"]


def test_removes_name_parts_of_owner_email():
    assert set(record_names({"owner_email": "jane.doe2@seller.com"})) == {"jane", "doe"}
    record = {"account_name": "", "owner_email": "jane.doe@seller.com", "contact_name": ""}
    assert _words(_remove_for(record, "Jane met Doe")) == ["met"]


def test_names_are_per_record():
    remover = RuleBasedEntityRemover(ENTITY_COLUMNS)
    records = pd.DataFrame({"account_name": ["Acme", "Initech"], "owner_email": ["", None],
                            "contact_name": [None, ""]})
    cleaned = remover.remove(["Acme and Initech", "Acme and Initech"], records)
    assert [_words(text) for text in cleaned] == [["and", "Initech"], ["Acme", "and"]]


def test_a_pattern_per_name_not_per_record():
    """Records share names but rarely their whole set of names: a pattern per set was one regex
    compile per record (bench/RESULTS.md, 'At scale'). Names absent from a text cost none."""
    entities._name_pattern.cache_clear()
    records = pd.DataFrame({"account_name": ["Acme"] * 50, "owner_email": [f"rep{i}.x{i}@seller.com" for i in range(50)],
                            "contact_name": [f"Person{i} Surname{i}" for i in range(50)]})
    cleaned = RuleBasedEntityRemover(ENTITY_COLUMNS).remove(["Acme wants a portal"] * 50, records)
    assert {_words(text)[0] for text in cleaned} == {"wants"}
    assert entities._name_pattern.cache_info().misses == 1


# Letters that re.IGNORECASE matches with others in unusual ways (Turkish i, long s, Kelvin sign,
# final sigma, ligatures): skipping names whose words are not in the text must never skip one
# that the regex would match.
_SAME_UNDER_IGNORECASE = {"i": "iIıİ", "s": "sSſ", "k": "kKK", "σ": "σςΣ", "ß": "ßẞ", "ﬅ": "ﬅﬆ", "a": "aA"}
_NAME_WORDS = st.text(alphabet="".join(_SAME_UNDER_IGNORECASE), min_size=1, max_size=4)


def _all_names_at_once(text: str, names: tuple[str, ...]) -> str:
    """The rule as one regex alternation over every name, no filtering: what must be removed."""
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in name.split()) for name in names)
    return re.sub(rf"(?<!\w)(?:{alternatives})(?:['\u2019]s)?(?!\w)", " ", text, flags=re.IGNORECASE)


@given(names=st.lists(_NAME_WORDS, min_size=1, max_size=3), data=st.data())
def test_names_are_removed_in_any_case_the_regex_matches(names, data):
    names = tuple(sorted(set(names), key=lambda name: (-len(name), name)))
    # The text writes one of the names with each letter swapped for a case variant, among filler.
    written = "".join(data.draw(st.sampled_from(_SAME_UNDER_IGNORECASE.get(char, char)))
                      for char in data.draw(st.sampled_from(names)))
    filler = st.text(alphabet="aiskσ ’'", max_size=6)
    text = data.draw(filler) + written + data.draw(filler)
    assert entities._remove_names(text, names).split() == _all_names_at_once(text, names).split()


def test_missing_entity_columns_fall_back_to_generic_patterns(caplog):
    remover = RuleBasedEntityRemover(ENTITY_COLUMNS)
    with caplog.at_level(logging.INFO, logger="backend.text.entities"):
        cleaned = remover.remove(["Acme in Q3 2025"], pd.DataFrame({"other": ["x"]}))
    assert _words(cleaned[0]) == ["Acme", "in"]
    assert "generic entities only" in caplog.text


def test_records_must_match_texts():
    with pytest.raises(ValueError, match="row for row"):
        RuleBasedEntityRemover(ENTITY_COLUMNS).remove(["a", "b"], pd.DataFrame({"account_name": ["x"]}))


@pytest.mark.parametrize(
    "date",
    ["March 14", "March 14, 2025", "14 March 2025", "3rd of May", "Sept. 5th", "Dec 2024", "Q3 2025",
     "Q4 FY25", "H1", "FY2026", "2025-03-14", "14/03/2025", "3.14.25", "2025", "1999", "Monday"],
)
def test_generic_dates(date):
    assert _words(remove_generic_entities(f"due {date} please")) == ["due", "please"]


@pytest.mark.parametrize(
    "money", ["$250k", "$ 1,200", "\u20ac1.2m", "\u00a340,000", "250,000 USD", "USD 40k", "5 million dollars",
              "12 EUR", "$3 billion"],
)
def test_generic_money(money):
    assert _words(remove_generic_entities(f"budget {money} approved")) == ["budget", "approved"]


@pytest.mark.parametrize("percent", ["15%", "12.5 %", "40 percent", "3 per cent"])
def test_generic_percentages(percent):
    assert _words(remove_generic_entities(f"grow {percent} yearly")) == ["grow", "yearly"]


@pytest.mark.parametrize(
    "text", ["we may need 3 scanners", "marketing in march", "the 24/7 desk", "2 decks", "250 seats", "B2B"],
)
def test_generic_patterns_leave_ordinary_text(text):
    assert remove_generic_entities(text) == text


def test_select_falls_back_to_rules_when_model_missing(caplog):
    cleaning = CleaningSettings(spacy_model="no_such_spacy_model_xyz")
    with caplog.at_level(logging.INFO, logger="backend.text.entities"):
        remover = select_entity_remover(cleaning, ENTITY_COLUMNS)
    assert isinstance(remover, RuleBasedEntityRemover)
    assert isinstance(remover, EntityRemover)
    assert remover.name == "rules"
    assert "not installed" in caplog.text


@pytest.fixture(scope="module")
def ruler_pipeline(tmp_path_factory):
    """A tiny spaCy pipeline on disk whose 'NER' is an entity ruler: the spaCy path, without a model."""
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "Acme Corp"}, {"label": "DATE", "pattern": "Friday"},
                        {"label": "PRODUCT", "pattern": "Scanner"}])
    path = tmp_path_factory.mktemp("spacy") / "ruler_model"
    nlp.to_disk(path)
    return str(path)


def test_spacy_remover_removes_chosen_labels(ruler_pipeline):
    remover = SpacyEntityRemover(ruler_pipeline, ["ORG", "DATE"])
    cleaned = remover.remove(["Acme Corp's Scanner arrives Friday.", ""], None)
    assert _words(cleaned[0]) == ["Scanner", "arrives"]
    assert cleaned[1] == ""


def test_select_picks_spacy_when_pipeline_available(ruler_pipeline, caplog):
    cleaning = CleaningSettings(spacy_model=ruler_pipeline)
    with caplog.at_level(logging.INFO, logger="backend.text.entities"):
        remover = select_entity_remover(cleaning, ENTITY_COLUMNS)
    assert isinstance(remover, SpacyEntityRemover)
    assert remover.name == f"spacy:{ruler_pipeline}"
    assert "using its NER" in caplog.text


def test_installed_english_model_removes_entities():
    spacy = pytest.importorskip("spacy")
    model = CleaningSettings().spacy_model
    if not spacy.util.is_package(model):
        pytest.skip(f"spaCy model {model} is not installed")
    remover = select_entity_remover(CleaningSettings(), ENTITY_COLUMNS)
    cleaned = remover.remove(["Microsoft wants a CRM for 300 people in Berlin by March 2025."], None)[0]
    assert "Microsoft" not in cleaned and "Berlin" not in cleaned and "CRM" in cleaned
