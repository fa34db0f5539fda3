"""Preprocessing: from the raw input table to one cleaned document per record.

Output columns: ``id``, ``text_raw`` (the text fields joined), ``text_embed`` (cleaned text for
the sentence-embedding model), ``text_keywords`` (lemmas without stop words, for c-TF-IDF keywords),
then every other input column as metadata.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from backend.errors import InputDataError
from backend.settings import Settings
from backend.text import cleaning as tc
from backend.text.entities import select_entity_remover
from backend.text.input_data import validate_table
from backend.text.lemmatize import KeywordTextBuilder

logger = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
OUTPUT_TEXT_COLUMNS = ("id", "text_raw", "text_embed", "text_keywords")
STAGES = (
    "validate", "combine", "templates", "urls_emails_phones", "contractions", "entities",
    "lowercase", "whitespace", "keywords",
)
_WORD_RE = re.compile(r"\w+")
_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class PreprocessResult:
    """The cleaned documents and what happened on the way."""

    docs: pd.DataFrame
    n_input: int
    n_dropped_empty: int
    entity_method: str  # the remover's name ('rules', 'spacy:<model>') or 'none' when switched off
    n_truncated: int = 0  # records cut to cleaning.max_document_chars before entities and keywords


def preprocess(frame: pd.DataFrame, settings: Settings, progress: Progress | None = None) -> PreprocessResult:
    """Clean every record's text (see ``Preprocessor``)."""
    return Preprocessor(settings)(frame, progress)


class Preprocessor:
    """The cleaning rules, with their entity remover and lemmatizer built once, so a million records
    can be cleaned piece by piece."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        cleaning = settings.cleaning
        self.remover = (select_entity_remover(cleaning, settings.input.entity_columns)
                        if cleaning.remove_entities else None)
        self.keywords = KeywordTextBuilder(cleaning.extra_stop_words)

    def __call__(self, frame: pd.DataFrame, progress: Progress | None = None,
                 require_text: bool = True) -> PreprocessResult:
        """Clean every record's text; drop (and count) records left with fewer than ``min_words`` words.

        The order matters:
        1. validate, then join the text columns (``text_raw``);
        2. remove template boilerplate first, as it is written in fixed casing and wording;
        3. remove URLs, e-mails and phone numbers before contractions and entities, so their pieces
           ('jane.doe', '415') are not read as words, names or numbers;
        4. expand contractions before entities, so "Acme's" is the only kind of "'s" left;
        5. remove entities before lower-casing, because capitals are what make names recognisable;
        6. lower-case and tidy whitespace: this is ``text_embed``;
        7. lemmatize and drop stop words: this is ``text_keywords``.
        Each optional step is switched by ``settings.cleaning``. With ``require_text`` (one whole
        table), no record left with text is an error; for one piece of many the caller decides.
        """
        settings = self.settings
        report = _stage_reporter(progress)
        cleaning, columns = settings.cleaning, settings.input
        report("validate")
        validated = validate_table(frame, columns.id_column, columns.text_columns).reset_index(drop=True)
        report("combine")
        raw = tc.combine_columns(validated, columns.text_columns).tolist()
        texts, n_truncated = _truncate(raw, cleaning.max_document_chars, validated[columns.id_column])
        report("templates")
        if cleaning.template_patterns:
            texts = _apply(texts, tc.remove_template_elements, cleaning.template_patterns)
        report("urls_emails_phones")
        texts = _apply_if(texts, cleaning.remove_urls, tc.remove_urls)
        texts = _apply_if(texts, cleaning.remove_emails, tc.remove_emails)
        texts = _apply_if(texts, cleaning.remove_phone_numbers, tc.remove_phone_numbers)
        report("contractions")
        texts = _apply_if(texts, cleaning.expand_contractions, tc.expand_contractions)
        report("entities")
        if self.remover is not None:
            texts = self.remover.remove(texts, validated)
        report("lowercase")
        texts = _apply(texts, tc.lowercase)
        report("whitespace")
        texts = _apply(texts, tc.normalize_whitespace)
        keep = _keep_mask(texts, cleaning.min_words, validated[columns.id_column], require_text)
        report("keywords")
        kept_texts = [text for text, kept in zip(texts, keep, strict=True) if kept]
        keywords = self.keywords.build(kept_texts)
        docs = _output_frame(validated[keep].reset_index(drop=True), columns.id_column,
                             [r for r, k in zip(raw, keep, strict=True) if k], kept_texts, keywords)
        report("done", 1.0)
        return PreprocessResult(docs=docs, n_input=len(validated), n_dropped_empty=len(validated) - len(docs),
                                entity_method=self.remover.name if self.remover is not None else "none",
                                n_truncated=n_truncated)


def _stage_reporter(progress: Progress | None) -> Callable[..., None]:
    def report(stage: str, fraction: float | None = None) -> None:
        if progress is not None:
            progress(stage, fraction if fraction is not None else STAGES.index(stage) / len(STAGES))

    return report


def _apply(texts: list[str], rule: Callable[..., str], *args: object) -> list[str]:
    return [rule(text, *args) for text in texts]


def _apply_if(texts: list[str], enabled: bool, rule: Callable[[str], str]) -> list[str]:
    return _apply(texts, rule) if enabled else texts


def _truncate(texts: list[str], max_chars: int, ids: pd.Series) -> tuple[list[str], int]:
    """Cut texts to ``max_chars`` so one huge record cannot fail or stall the run; warn with the count."""
    cut = [str(record_id) for record_id, text in zip(ids, texts, strict=True) if len(text) > max_chars]
    if not cut:
        return texts, 0
    logger.warning("Cut %d of %d records to their first %d characters (cleaning.max_document_chars) before "
                   "entities and keywords, e.g. ids %s; text_raw keeps the whole text.",
                   len(cut), len(texts), max_chars, ", ".join(cut[:_MAX_EXAMPLES]))
    return [text[:max_chars] for text in texts], len(cut)


def _keep_mask(texts: Sequence[str], min_words: int, ids: pd.Series, require_text: bool = True) -> list[bool]:
    """Which texts have at least ``min_words`` words; warn with the count dropped; fail if none is left."""
    n_words = [len(_WORD_RE.findall(text)) for text in texts]
    keep = [count >= max(min_words, 1) for count in n_words]
    if require_text and not any(keep):
        raise no_text_left(len(texts), min_words)
    dropped = [str(record_id) for record_id, kept in zip(ids, keep, strict=True) if not kept]
    if dropped:
        logger.warning("Dropped %d of %d records with fewer than %d word(s) after cleaning, e.g. ids %s.",
                       len(dropped), len(texts), min_words, ", ".join(dropped[:_MAX_EXAMPLES]))
    return keep


def no_text_left(n_records: int, min_words: int) -> InputDataError:
    return InputDataError(
        f"All {n_records} records have fewer than {max(min_words, 1)} word(s) of text after cleaning.",
        "Check that input.text_columns names the columns holding the descriptions, and that "
        "cleaning.template_patterns does not remove real text.",
    )


def _output_frame(records: pd.DataFrame, id_column: str, raw: list[str], embed: list[str],
                  keywords: list[str]) -> pd.DataFrame:
    """id and the three texts first, then the other input columns as metadata, in input order.

    A metadata column whose name clashes with an output column is kept as ``input_<name>``.
    """
    docs = pd.DataFrame({"id": records[id_column].astype(str).to_numpy(dtype=object),
                         "text_raw": raw, "text_embed": embed, "text_keywords": keywords})
    metadata = records.drop(columns=[id_column])
    metadata = metadata.rename(columns={c: f"input_{c}" for c in metadata.columns if c in OUTPUT_TEXT_COLUMNS})
    return pd.concat([docs, metadata], axis=1)
