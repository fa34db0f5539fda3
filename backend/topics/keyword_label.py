"""A topic's starting label, made from its keywords so that an analyst rarely has to retype it.

The first three keywords often repeat a word ("cloud / cost / cloud cost"): c-TF-IDF ranks a
phrase and its words side by side. The label takes the strongest keywords in order, uses the
phrase a word appears in when the top keywords hold one ("cloud cost"), and never repeats a word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LOOK_AT = 10  # how many of the strongest keywords can be part of the label
MAX_PARTS = 3
MAX_WORDS = 4
SEPARATOR = " / "
# Labels are plain text wherever they are shown; a keyword carries none of these in normal data.
_MARKUP = re.compile(r"[<>\[\]()*_`#|~$\\{}!/]")


def keyword_label(keywords: Sequence[tuple[str, float]], fallback: str) -> str:
    """Up to three of the strongest keywords ("cloud cost / acme cloudtrim"), no word twice, at most
    four words; ``fallback`` when there are none."""
    terms = [_clean(word) for word, _ in keywords[:LOOK_AT]]
    terms = [t for t in terms if t]
    parts: list[str] = []
    used: set[str] = set()
    for term in terms:
        choice = _phrase_with(term, terms, used) if " " not in term else term
        words = choice.split()
        if used & set(words) or sum(len(p.split()) for p in parts) + len(words) > MAX_WORDS:
            continue
        parts.append(choice)
        used |= set(words)
        if len(parts) == MAX_PARTS:
            break
    return SEPARATOR.join(parts) or fallback


def _phrase_with(word: str, terms: list[str], used: set[str]) -> str:
    """The strongest phrase among ``terms`` that holds ``word`` and no used word; else the word."""
    for term in terms:
        words = term.split()
        if len(words) > 1 and word in words and not used & set(words):
            return term
    return word


def _clean(word: str) -> str:
    """The keyword as plain lower-case words, each once ("cloud cloud" is one word)."""
    return " ".join(dict.fromkeys(_MARKUP.sub("", str(word)).lower().split()))
