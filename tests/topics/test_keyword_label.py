from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend.topics.keyword_label import keyword_label


def scored(*words: str) -> list[tuple[str, float]]:
    return [(w, 1.0 - i / 100) for i, w in enumerate(words)]


def test_a_phrase_stands_for_its_words_and_no_word_comes_twice():
    """The labels analysts retyped (issue 16): c-TF-IDF ranks a phrase beside its own words."""
    assert keyword_label(scored("cloud", "cost", "cloud cost", "acme cloudtrim", "finops"), "") == \
        "cloud cost / acme cloudtrim"
    assert keyword_label(scored("demand", "forecast", "demand forecast", "item", "launch"), "") == \
        "demand forecast / item / launch"
    assert keyword_label(scored("renewal", "renewal try", "contract", "term"), "") == "renewal try / contract / term"
    assert keyword_label(scored("ticket", "agent", "center", "contact center"), "") == \
        "ticket / agent / contact center"


def test_no_keywords_gives_the_fallback_and_markup_is_dropped():
    assert keyword_label([], "Topic 3") == "Topic 3"
    assert keyword_label(scored("<b>bold</b>", "[link](http)", "**x**"), "") == "bboldb / linkhttp / x"


@given(st.lists(st.lists(st.sampled_from(["cloud", "cost", "demand", "<b>", "a*b", "forecast", "po", "match"]),
                         min_size=1, max_size=3).map(" ".join), max_size=12))
def test_labels_never_repeat_a_word_nor_carry_markup(terms):
    label = keyword_label(scored(*terms), "fallback")
    words = label.replace(" / ", " ").split()
    assert len(words) == len(set(words)) and len(words) <= 4
    assert not set(label.replace(" / ", " ")) & set("<>[]()*_`#|~$\\{}!/")
