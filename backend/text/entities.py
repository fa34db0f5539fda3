"""Named-entity removal: names, dates, amounts and percentages carry no use-case meaning.

Two removers share one tiny interface. ``SpacyEntityRemover`` uses an installed English spaCy
pipeline's NER; ``RuleBasedEntityRemover`` needs no model: it removes each record's own known
names (account, contact, owner) plus generic date, money and percentage patterns.
``select_entity_remover`` picks the best one available and says which in the log.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from backend.settings import CleaningSettings
from backend.text.cleaning import field_text

logger = logging.getLogger(__name__)


@runtime_checkable
class EntityRemover(Protocol):
    """Removes named entities from texts; ``records`` are the rows the texts came from, in order."""

    name: str

    def remove(self, texts: Sequence[str], records: pd.DataFrame | None = None) -> list[str]: ...


def _spacy():
    import spacy  # imported on use: it takes a second or two

    return spacy


def spacy_model_available(model_name: str) -> bool:
    """True when ``model_name`` is an installed spaCy package or a folder holding a pipeline."""
    if not model_name:
        return False
    if Path(model_name).is_dir():
        return True
    return bool(_spacy().util.is_package(model_name))


# Pipes of the standard English pipelines that NER does not read from: skipped for speed.
_PIPES_NER_DOES_NOT_NEED = frozenset({"tagger", "parser", "attribute_ruler", "lemmatizer", "senter",
                                      "morphologizer", "textcat", "textcat_multilabel"})


class SpacyEntityRemover:
    """Remove the spans spaCy's NER labels with one of ``labels`` (PERSON, ORG, DATE, MONEY, ...)."""

    def __init__(self, model_name: str, labels: Sequence[str]) -> None:
        self.model_name = model_name
        self.labels = tuple(labels)
        self.name = f"spacy:{model_name}"
        self._nlp = None

    def remove(self, texts: Sequence[str], records: pd.DataFrame | None = None, batch_size: int = 256) -> list[str]:
        nlp = self._load()
        labels = set(self.labels)
        skip = [pipe for pipe in nlp.pipe_names if pipe in _PIPES_NER_DOES_NOT_NEED]
        docs = nlp.pipe((text or "" for text in texts), batch_size=batch_size, disable=skip)
        return [_cut_spans(doc.text, [(ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ in labels])
                for doc in docs]

    def _load(self):
        """Load the pipeline once, on first use (no work in __init__)."""
        if self._nlp is None:
            self._nlp = _spacy().load(self.model_name)
        return self._nlp


def _cut_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace each (start, end) span, and a possessive 's right after it, by a space."""
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        if re.match(r"['\u2019]s\b", text[end:end + 3]):
            end += 2
        pieces.append(text[last:start])
        pieces.append(" ")
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# Legal-form suffixes: "Acme Corp." is written "Acme" as often as not.
_COMPANY_SUFFIX_RE = re.compile(
    r"[\s,]+(?:inc|incorporated|ltd|limited|llc|llp|plc|gmbh|ag|corp|corporation|co|company|sa|s\.a|"
    r"sas|sarl|bv|b\.v|nv|n\.v|pty|pte|oy|ab|as|kg|spa|s\.p\.a|srl|group|holdings?)\.?$",
    re.IGNORECASE,
)
# Column names that hold people, whose first and last names also appear on their own.
_PERSON_COLUMN_HINTS = ("contact", "person", "owner", "rep", "user", "first", "last", "email", "e_mail")
_EMAIL_SPLIT_RE = re.compile(r"[._+\-]+")
_MIN_NAME_PART = 2

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_PATTERNS = (
    rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b",  # 14 March 2025, 3rd of May
    rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b",  # March 14, 2025; Mar 3rd
    rf"\b{_MONTH},?\s+{_YEAR}\b",  # March 2025
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    rf"\b(?:q[1-4]|h[12])(?:\s*(?:fy)?\s*'?(?:{_YEAR}|\d{{2}}))?\b",  # Q3 2025, H1, Q4 FY25
    r"\bfy\s?'?(?:\d{4}|\d{2})\b",  # FY2025, FY 25
    r"\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?)?\b",  # ISO dates (and times)
    r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",  # 14/03/2025, 3.14.25
    rf"\b{_YEAR}\b",  # bare years
)
_CURRENCY_CODE = r"(?:usd|eur|gbp|chf|jpy|cad|aud|sek|nok|dkk|inr|cny)"
_AMOUNT = r"\d+(?:[.,]\d+)*"
_SCALE = r"(?:\s?(?:million|billion|thousand|mn|mm|bn|k|m|b)\b)?"
_MONEY_PATTERNS = (
    rf"[$\u20ac\u00a3\u00a5]\s?{_AMOUNT}{_SCALE}",  # $250k, €1.2m, £40,000
    rf"\b{_AMOUNT}{_SCALE}\s?(?:{_CURRENCY_CODE}|dollars?|euros?|pounds?)\b",  # 250,000 USD
    rf"\b{_CURRENCY_CODE}\s?{_AMOUNT}{_SCALE}",  # USD 40k
)
_PERCENT_PATTERNS = (rf"(?<![\w.]){_AMOUNT}\s?(?:%|\bper\s?cent\b|\bpct\b)",)
_GENERIC_RE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS + _MONEY_PATTERNS + _PERCENT_PATTERNS),
                         re.IGNORECASE)


def remove_generic_entities(text: str) -> str:
    """Remove dates, fiscal periods, years, money amounts and percentages.

    Why: they differ per record ('Q3 2025', '$250k') and say when or how much, not what for.
    """
    return _GENERIC_RE.sub(" ", text)


class RuleBasedEntityRemover:
    """Remove each record's own names (from ``entity_columns``) and generic dates, money and percentages.

    Without an NER model we cannot find arbitrary names, but the records usually tell us the ones
    that matter: the account, the contact and the owner. Each is removed as a whole word, ignoring
    case; company names also without their legal suffix ('Acme Corp' -> 'Acme'); people's names
    (and the name parts of an owner's e-mail, 'jane.doe@x.com' -> 'jane', 'doe') also word by word,
    except parts that are English stop words ('Will', 'May'), which would cut ordinary text.
    """

    name = "rules"

    def __init__(self, entity_columns: Sequence[str] = ()) -> None:
        self.entity_columns = tuple(entity_columns)

    def remove(self, texts: Sequence[str], records: pd.DataFrame | None = None) -> list[str]:
        names_per_text = self._names_per_record(records, len(texts))
        return [remove_generic_entities(_remove_names(text or "", names))
                for text, names in zip(texts, names_per_text, strict=True)]

    def _names_per_record(self, records: pd.DataFrame | None, n_texts: int) -> list[tuple[str, ...]]:
        if records is None:
            return [()] * n_texts
        if len(records) != n_texts:
            raise ValueError(f"{n_texts} texts but {len(records)} records; they must match row for row.")
        columns = [column for column in self.entity_columns if column in records.columns]
        if not columns:
            logger.info("None of the entity columns %s is in the input; removing generic entities only.",
                        list(self.entity_columns))
            return [()] * n_texts
        rows = records[columns].to_numpy(dtype=object)
        return [record_names(dict(zip(columns, row, strict=True))) for row in rows]


def record_names(values: dict[str, object]) -> tuple[str, ...]:
    """The names to remove for one record, longest first so 'Acme Corp' goes before 'Acme'."""
    names: set[str] = set()
    for column, value in values.items():
        text = field_text(value)
        if not text:
            continue
        is_person = any(hint in column.lower() for hint in _PERSON_COLUMN_HINTS)
        if "@" in text:
            names.update(_email_name_parts(text))
            continue
        names.update(_name_variants(text))
        if is_person:
            names.update(_word_parts(text))
    return tuple(sorted(names, key=lambda name: (-len(name), name)))


def _name_variants(name: str) -> set[str]:
    stripped = name.rstrip(" .")
    variants = {name, stripped}
    while True:  # "Acme Holdings Ltd." -> "Acme Holdings" -> "Acme"
        shorter = _COMPANY_SUFFIX_RE.sub("", stripped).strip(" ,.")
        if shorter == stripped or len(shorter) < _MIN_NAME_PART:
            break
        variants.add(shorter)
        stripped = shorter
    return variants


def _email_name_parts(email: str) -> set[str]:
    local = email.split("@", 1)[0]
    return _keep_name_parts(re.sub(r"\d+", " ", part) for part in _EMAIL_SPLIT_RE.split(local))


def _word_parts(name: str) -> set[str]:
    return _keep_name_parts(re.split(r"[\s,]+", name))


def _keep_name_parts(parts: Iterable[str]) -> set[str]:
    stop_words = _stop_words()
    kept = set()
    for part in parts:
        part = part.strip(" .,'")
        if len(part) >= _MIN_NAME_PART and part.lower() not in stop_words:
            kept.add(part)
    return kept


@functools.cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _remove_names(text: str, names: tuple[str, ...]) -> str:
    """Cut the record's names from its text, longest first so 'Acme Corp' goes before 'Acme'.

    One pattern per name, not per record: names repeat across records (an account's, its
    contacts', the owners'), while a record's set of them rarely does (a pattern per set meant
    94,000 compiles per 100,000 records). A name with a word the text lacks, in any case, is
    skipped without a search.
    """
    folded = _fold(text)
    for name in names:
        if all(word in folded for word in _folded_words(name)):
            text = _name_pattern(name).sub(" ", text)
    return text


# re.IGNORECASE also matches "i" with the Turkish dotless "ı" and dotted "İ", which casefold()
# keeps apart; mapping both to "i" keeps the filter above from skipping a name the regex matches.
_TURKISH_I = str.maketrans({"ı": "i", "İ": "i"})


def _fold(text: str) -> str:
    return text.translate(_TURKISH_I).casefold()


@functools.lru_cache(maxsize=65536)
def _folded_words(name: str) -> tuple[str, ...]:
    return tuple(_fold(word) for word in name.split())


@functools.lru_cache(maxsize=65536)
def _name_pattern(name: str) -> re.Pattern[str]:
    """The whole name, any whitespace between its words, any case, with a possessive 's."""
    words = r"\s+".join(re.escape(word) for word in name.split())
    return re.compile(rf"(?<!\w){words}(?:['\u2019]s)?(?!\w)", re.IGNORECASE)


def select_entity_remover(cleaning: CleaningSettings, entity_columns: Sequence[str]) -> EntityRemover:
    """spaCy NER when ``cleaning.spacy_model`` is installed, else the rule-based remover; logs the choice."""
    model = cleaning.spacy_model
    if spacy_model_available(model):
        logger.info("Entity removal: spaCy model '%s' is installed; using its NER for labels %s.",
                    model, ", ".join(cleaning.entity_labels))
        return SpacyEntityRemover(model, cleaning.entity_labels)
    logger.info(
        "Entity removal: spaCy model '%s' is not installed; using rules (names from columns %s, "
        "plus dates, money and percentages). Install the model package to use NER instead.",
        model, ", ".join(entity_columns) or "(none)",
    )
    return RuleBasedEntityRemover(entity_columns)
