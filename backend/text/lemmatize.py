"""Keyword text: lemmatized, lower-case words without stop words, for class-based TF-IDF.

The embedding model reads ``text_embed`` (whole sentences); topic keywords are counted on this
reduced text instead, so 'invoices'/'invoicing' count as one word and 'the'/'we' never win.
A blank English pipeline with the lookup lemmatizer (tables from spacy-lookups-data) needs no model
download and handles thousands of short documents per second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_MIN_TOKEN_CHARS = 2
# spaCy's tokenizer strips a whitespace-separated chunk's prefixes and suffixes one at a time and
# searches the rest of the chunk after each, so a chunk of n brackets costs about n² steps (20,000
# '(' took minutes). Chunks longer than this are first cut at every character that is not a letter
# or digit, and the pieces into slices of at most this length: each chunk then costs a bounded
# amount, so the whole text costs time linear in its length. Words and ordinary punctuated chunks
# ('(e.g.', 'real-time,') are far shorter, so ordinary text is tokenized exactly as before.
MAX_CHUNK_CHARS = 64
_LONG_CHUNK_RE = re.compile(rf"\S{{{MAX_CHUNK_CHARS + 1},}}")
_NOT_LETTER_OR_DIGIT_RE = re.compile(r"[\W_]+")
# The lookup table's lemmas that change a business word's meaning ("ai" comes out as "have",
# "data" as "datum"): these words are kept as written.
LEMMA_OVERRIDES = {
    "ai": "ai", "data": "data", "media": "media", "criteria": "criteria", "logistics": "logistics",
    "sales": "sales", "analytics": "analytics", "apis": "api", "saas": "saas", "paas": "paas",
}


class KeywordTextBuilder:
    """Turn cleaned texts into space-joined keyword lemmas.

    A token is kept when it starts with a letter (so 'b2b' and 's3' stay, '250k' and '2025' go),
    is not punctuation, has at least two characters, and neither it nor its lemma is a stop word
    (spaCy's English list plus ``extra_stop_words``).
    """

    def __init__(self, extra_stop_words: Sequence[str] = ()) -> None:
        self.extra_stop_words = tuple(extra_stop_words)
        self._nlp = None
        self._stop_words: frozenset[str] = frozenset()

    def build(self, texts: Sequence[str], batch_size: int = 1000) -> list[str]:
        """Keyword text per input text, same order and length; empty input gives ''."""
        nlp = self._pipeline()
        lowered = (bounded_chunks((text or "").lower()) for text in texts)
        return [self._keywords(doc) for doc in nlp.pipe(lowered, batch_size=batch_size)]

    def _keywords(self, doc) -> str:
        stop_words = self._stop_words
        kept = []
        for token in doc:
            text = token.text
            if len(text) < _MIN_TOKEN_CHARS or not text[0].isalpha() or text in stop_words:
                continue
            lemma = token.lemma_.lower()
            if len(lemma) >= _MIN_TOKEN_CHARS and lemma not in stop_words:
                kept.append(lemma)
        return " ".join(kept)

    def _pipeline(self):
        """Build and initialize the blank pipeline once, on first use (lookup tables load here)."""
        if self._nlp is None:
            import spacy
            from spacy.lang.en.stop_words import STOP_WORDS

            nlp = spacy.blank("en")
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
            table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
            for word, lemma in LEMMA_OVERRIDES.items():
                table[word] = lemma
            self._stop_words = frozenset(STOP_WORDS) | {word.lower() for word in self.extra_stop_words}
            self._nlp = nlp
        return self._nlp


def bounded_chunks(text: str) -> str:
    """``text`` with every whitespace-separated chunk at most ``MAX_CHUNK_CHARS`` long (see there)."""
    return _LONG_CHUNK_RE.sub(_split_chunk, text)


def _split_chunk(match: re.Match[str]) -> str:
    words = _NOT_LETTER_OR_DIGIT_RE.sub(" ", match.group()).split()
    return " ".join(word[start:start + MAX_CHUNK_CHARS] for word in words
                    for start in range(0, len(word), MAX_CHUNK_CHARS))
