"""User text, shown literally: a module of its own so that every part of the app, the session
state included, can use it without importing the widgets."""

from __future__ import annotations

import re

# The ASCII punctuation that can start markup in Streamlit's Markdown: CommonMark and GitHub's
# (emphasis, links, images, headings, lists, tables, HTML tags and entities like &lt;, autolinked
# URLs and e-mail addresses), LaTeX between $, and :emoji: and :colour[...] directives. CommonMark
# lets a backslash escape any ASCII punctuation, and the escaped character shows as itself.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&@=^])")


def plain(text: object) -> str:
    """User text (labels, notes, names, document text) for a place that renders Markdown: shown
    literally. (For HTML, as in ``st.html``, use ``html.escape`` instead.)"""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
