"""Text cleaning rules: one small pure function per rule, each saying why it exists.

The rules run on single strings (except ``combine_columns``) so each can be tested, switched off or
reordered on its own; ``backend.text.preprocess`` applies them in a fixed, documented order.
Removed spans are replaced by a space, never by nothing, so neighbouring words do not fuse;
``normalize_whitespace`` tidies up afterwards.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pandas as pd

from backend.errors import SettingsError

_SENTENCE_END = (".", "!", "?", ":", ";")


def combine_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Join a record's non-empty text fields into one document, separated by '. '.

    Why: the use case is spread over name, description, needs and product fields; one document per
    record lets the embedding see all of it. The '. ' keeps fields apart as sentences, so the last
    word of one field and the first of the next do not read as a phrase. A field that already ends
    a sentence gets a plain space instead of a doubled full stop.
    """
    rows = frame[list(columns)].to_numpy(dtype=object)
    combined = [_join_fields(row) for row in rows]
    return pd.Series(combined, index=frame.index, dtype=object, name="text_raw")


def _join_fields(values: Sequence[object]) -> str:
    parts = [text for text in (field_text(value) for value in values) if text]
    joined = ""
    for part in parts:
        if joined:
            joined += " " if joined.endswith(_SENTENCE_END) else ". "
        joined += part
    return joined


def field_text(value: object) -> str:
    """A table cell as trimmed text; missing values (None, NaN, NA) become ""."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def lowercase(text: str) -> str:
    """Lower-case the text.

    Why: casing carries no use-case meaning, and 'Invoice' and 'invoice' must count as one keyword.
    It runs after entity removal, because capitals are what make names recognisable.
    """
    return text.lower()


@functools.lru_cache(maxsize=64)
def compile_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Compile case-insensitive regexes once per distinct set of patterns (they come from settings)."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise SettingsError(
                f"The template pattern {pattern!r} is not a valid regular expression: {exc}.",
                "Fix or remove it in cleaning.template_patterns.",
            ) from exc
    return tuple(compiled)


def remove_template_elements(text: str, patterns: Sequence[str]) -> str:
    """Remove boilerplate matched by the given case-insensitive regexes (applied in order).

    Why: CRM templates and web forms add the same phrases ('Opportunity created from web form',
    'Next steps:', 'TBD') to thousands of records; left in, they pull unrelated records together
    and become the top keywords of every topic.
    """
    for pattern in compile_patterns(tuple(patterns)):
        text = pattern.sub(" ", text)
    return text


_APOSTROPHE = "['\u2019\u2018\u02bc]"
_SPECIAL_CONTRACTIONS = {
    "can't": "cannot",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "let's": "let us",
    "y'all": "you all",
}
_SPECIAL_RE = re.compile(rf"\b(can|won|shan|ain|let|y){_APOSTROPHE}(t|s|all)\b", re.IGNORECASE)
_NOT_RE = re.compile(rf"\b(\w+)n{_APOSTROPHE}t\b", re.IGNORECASE)
# 's is "is" only after these words; after any other word it is a possessive and stays.
_IS_RE = re.compile(
    rf"\b(it|that|what|there|here|he|she|who|where|how|when|why|this){_APOSTROPHE}s\b", re.IGNORECASE
)
_D_RE = re.compile(rf"\b(i|you|he|she|it|we|they|that|there|who|what){_APOSTROPHE}d\b", re.IGNORECASE)
_M_RE = re.compile(rf"\b(i){_APOSTROPHE}m\b", re.IGNORECASE)
_SUFFIX_RE = re.compile(rf"\b(\w+){_APOSTROPHE}(re|ll|ve)\b", re.IGNORECASE)
_SUFFIXES = {"re": "are", "ll": "will", "ve": "have", "d": "would", "m": "am", "s": "is", "t": "not"}


def expand_contractions(text: str) -> str:
    """Expand English contractions ("don't" -> "do not", "it's" -> "it is"), straight or curly apostrophe.

    Why: the tokenizer would otherwise leave fragments such as "n't" or "'re" that are neither stop
    words nor keywords, and "don't"/"do not" would embed differently. A possessive 's ("customer's")
    is left as it is: it is not a contraction, and the keyword step drops the "'s" token anyway.
    The case of the original is kept ("It's" -> "It is"), since the entity step after this uses it.
    """
    text = _SPECIAL_RE.sub(_expand_special, text)
    text = _NOT_RE.sub(lambda match: _expand_suffix(match, "t"), text)
    text = _IS_RE.sub(lambda match: _expand_suffix(match, "s"), text)
    text = _D_RE.sub(lambda match: _expand_suffix(match, "d"), text)
    text = _M_RE.sub(lambda match: _expand_suffix(match, "m"), text)
    return _SUFFIX_RE.sub(lambda match: _expand_suffix(match, match.group(2).lower()), text)


def _expand_special(match: re.Match[str]) -> str:
    found = match.group(0)
    key = re.sub(_APOSTROPHE, "'", found.lower())
    expansion = _SPECIAL_CONTRACTIONS.get(key)
    if expansion is None:  # e.g. "let'all": not one of ours
        return found
    return _match_case(expansion, found)


def _expand_suffix(match: re.Match[str], suffix: str) -> str:
    stem = match.group(1)
    expansion = _SUFFIXES[suffix]
    return f"{stem} {_match_case(expansion, match.group(0), whole=True)}"


def _match_case(expansion: str, original: str, whole: bool = False) -> str:
    letters = [char for char in original if char.isalpha()]
    if len(letters) >= 2 and all(char.isupper() for char in letters):
        return expansion.upper()
    if not whole and original[:1].isupper():
        return expansion[:1].upper() + expansion[1:]
    return expansion


_URL_RE = re.compile(
    r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"']*[^\s<>"'.,;:!?)\]}]"""
    r"""|(?<![@\w.-])\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|ai|co|biz|info|dev|app)(?:\.[a-z]{2})?"""
    r"""(?:/[^\s<>"']*[^\s<>"'.,;:!?)\]}])?(?![\w@-])""",
    re.IGNORECASE,
)


def remove_urls(text: str) -> str:
    """Remove web addresses (http(s)://, www., and bare domains such as acme.com/pricing).

    Why: URLs are unique per record and carry no use-case meaning, and their pieces ('https',
    'www', 'com') would otherwise become frequent keywords. Runs before e-mail removal; a domain
    after '@' is left for the e-mail rule so the address is removed whole.
    """
    return _URL_RE.sub(" ", text)


_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def remove_emails(text: str) -> str:
    """Remove e-mail addresses.

    Why: they name people and companies, not use cases, and are unique per record; split by the
    tokenizer, their parts would look like ordinary words.
    """
    return _EMAIL_RE.sub(" ", text)


_PHONE_RE = re.compile(
    r"(?<![\w+])(?:"
    # international: +CC, optional (area), then groups of digits
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    # North American: (415) 555-0132, 415.555.0132, 555-123-4567, 1-800-555-0199
    r"|(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    # national numbers with a trunk 0: 020 7946 0958, 0161 496 0000, 030 1234567
    r"|0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r")(?![\w])"
)
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 7, 15


def remove_phone_numbers(text: str) -> str:
    """Remove telephone numbers in international and common national formats.

    Why: they are unique per record and their digit groups are noise for keywords. The patterns need
    separators or a leading '+'/'0' and 7-15 digits, so years (2025), amounts (250k, 250,000),
    ISO dates and short numbers are left for the entity rules to judge.
    """
    return _PHONE_RE.sub(_blank_if_phone, text)


def _blank_if_phone(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match.group(0))
    return " " if _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS else match.group(0)


_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_EMPTY_BRACKETS_RE = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}|<\s*>")
_SPACE_RE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([.,;:!?])")
_PUNCT_RUN_RE = re.compile(r"([.,;:!?])(?:\s*[.,;:!?])+")
_LEADING_PUNCT_RE = re.compile(r"^[\s.,;:!?\-\u2013\u2014|/]+")


def normalize_whitespace(text: str) -> str:
    """Collapse whitespace and tidy the punctuation that removals leave behind.

    Why: removed spans leave runs of spaces, empty brackets and stray separators ('Acme . . needs',
    '( )'); these would reach the embedding model as noise and make equal texts look different.
    A run of punctuation keeps its first mark; leading punctuation is dropped.
    """
    text = _INVISIBLE_RE.sub("", text)
    text = _EMPTY_BRACKETS_RE.sub(" ", text)
    text = _SPACE_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _PUNCT_RUN_RE.sub(r"\1", text)
    text = _LEADING_PUNCT_RE.sub("", text)
    return text.strip()
