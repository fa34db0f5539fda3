"""User text shows literally everywhere (issue 15, item 8): labels, notes, user names and record
text that would be markdown, HTML, LaTeX or a link if anything interpreted them, through every page
(AppTest) and every chart (plotly figure dicts)."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pandas as pd
import plotly.graph_objects as go
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import element_tree as et

from app import plots
from app.text import plain
from backend.curation.operations import Rename
from backend.curation.session import CurationSession
from backend.runs.runner import LocalRunner
from backend.store.layout import run_key
from tests.app.conftest import app_on
from tests.reliability.hostile_run import MARKUP, hostile_run_fixture  # noqa: F401

HOSTILE_USER = "<b>mallory</b> **x** [y](http://evil)"
# Tags that only hostile text could bring into a page (pages write **bold** themselves, never these).
FORBIDDEN_TAGS = re.compile(r"<(img|a|b|script|iframe|svg|math)\b", re.IGNORECASE)
_COMMONMARK = MarkdownIt("commonmark", {"html": True})
# Keys of a plotly figure that are not drawn (ids link sunburst wedges; uids name traces).
NOT_DRAWN = {"ids", "parents", "uid", "meta"}


def rendered(markdown: str) -> str:
    """What a CommonMark renderer makes of ``markdown`` (HTML)."""
    return _COMMONMARK.render(markdown)


def visible(rendered_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html))


def check_markdown(source: str, where: str) -> str:
    """Fail if ``source`` would interpret hostile text; return the text a reader sees."""
    out = rendered(source)
    assert not FORBIDDEN_TAGS.search(out), f"{where}: markup interpreted in {source!r} -> {out!r}"
    assert "<strong>bold</strong>" not in out and "<em>x</em>" not in out, f"{where}: emphasis in {source!r}"
    assert not re.search(r"(?<!\\)\$", source), f"{where}: LaTeX could start in {source!r}"
    assert "http://" not in source and "www." not in source, f"{where}: a URL would be autolinked in {source!r}"
    return visible(out)


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def page_text(at: AppTest) -> str:
    """Check every markdown-rendered string on the page; return all the text a reader sees."""
    seen = []
    for node in _nodes(at._tree):
        where = type(node).__name__
        if isinstance(node, et.Markdown | et.AlertBase | et.HeadingBase):
            seen.append(check_markdown(str(node.value), where))
        elif isinstance(node, et.Html):
            body = node.proto.body
            assert not FORBIDDEN_TAGS.search(body), f"html: markup interpreted in {body!r}"
            seen.append(visible(body))
        elif isinstance(node, et.Dataframe):
            seen.append(node.value.astype(str).to_string())
        elif isinstance(node, et.Text | et.Code):
            seen.append(str(node.value))
        elif type(node).__name__ == "UnknownElement" and node.type == "plotly_chart":
            seen.append(check_figure(json.loads(node.proto.spec), "plotly_chart on the page"))
        label = getattr(node, "label", None)
        if isinstance(label, str) and label:
            seen.append(check_markdown(label, f"{where} label"))
        if isinstance(node, et.Radio):
            seen.extend(check_markdown(str(option), "radio option") for option in node.options)
        elif isinstance(node, et.Selectbox | et.Multiselect):
            seen.extend(str(option) for option in node.options)  # drawn as plain text
    return "\n".join(seen)


def check_figure(figure: dict, where: str) -> str:
    """Fail if a drawn string of a plotly figure holds raw markup or LaTeX; return what it shows."""
    shown = []

    def walk(value, key=""):
        if key in NOT_DRAWN:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            text = re.sub(r"</?(br|extra)>", " ", value) if key == "hovertemplate" else value
            assert "<" not in text and ">" not in text, f"{where}: raw markup in {key}: {value!r}"
            assert "$" not in text, f"{where}: LaTeX could start in {key}: {value!r}"
            shown.append(html.unescape(text))

    walk({"data": figure.get("data"), "layout": figure.get("layout")})
    return "\n".join(shown)


# Pages -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_store(hostile_run, sample_records, fast_settings_module):
    """The finished hostile run, plus a second run waiting at layer 1 whose saved version renames
    topics to hostile labels, saved by a user with a hostile name."""
    store = hostile_run.store
    if not store.exists(run_key("waiting")):
        LocalRunner(store).start(sample_records, fast_settings_module, "waiting")
        session = CurationSession(store, "waiting", 1, HOSTILE_USER)
        for topic, label in zip(sorted(session.mapping.topics, key=int), MARKUP, strict=False):
            session.apply(Rename(topic=topic, label=label))
        session.save()
    return store


@pytest.fixture(scope="module")
def fast_settings_module():
    from backend.settings import settings_from_dict
    from tests.conftest import FAST_SETTINGS

    return settings_from_dict(FAST_SETTINGS)


def open_page(store, monkeypatch, page: str, run_id: str, user: str = HOSTILE_USER) -> AppTest:
    return app_on(store, monkeypatch, None if page == "runs" else page, user, run_id)


# (page, run, whether labels are on it): the finished run's Runs page shows steps only, and its
# workspace opens on the empty layer 2 (layer 1 is checked below).
@pytest.mark.parametrize(("page", "run_id", "shows_labels"), [
    ("runs", "hostile", False), ("runs", "waiting", True), ("workspace", "hostile", False),
    ("workspace", "waiting", True), ("export", "hostile", True)])
def test_every_page_shows_hostile_text_literally(hostile_store, monkeypatch, page, run_id, shows_labels):
    text = page_text(open_page(hostile_store, monkeypatch, page, run_id))
    shown = [label for label in MARKUP if label in text]
    assert bool(shown) == shows_labels, f"hostile labels on the {page} page of run {run_id}: {shown}"


def test_the_workspace_shows_every_layer_one_label_literally(hostile_store, monkeypatch):
    at = open_page(hostile_store, monkeypatch, "workspace", "hostile")
    if any(radio.label == "Layer" for radio in at.sidebar.radio):
        at.sidebar.radio(key="layer").set_value(1).run()
    text = page_text(at)
    assert [label for label in MARKUP if label not in text] == []


def test_the_runs_page_shows_a_hostile_saver_and_changes_literally(hostile_store, monkeypatch):
    text = page_text(open_page(hostile_store, monkeypatch, "runs", "waiting"))
    assert HOSTILE_USER in text
    assert [label for label in MARKUP if label not in text] == []


# Helpers and charts ------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [*MARKUP, HOSTILE_USER, "www.evil.com a@b.co :red[x] :material/home: ~~s~~ # h",
                                   "&lt;b&gt; 1. item\n- item\n> quote | a | b |"])
def test_plain_shows_markdown_literally(label):
    seen = check_markdown(plain(label), "plain")
    assert " ".join(seen.split()) == " ".join(label.split())


def _documents(labels):
    n = len(labels)
    return pd.DataFrame({"id": [f"d{i}" for i in range(n)], "x": range(n), "y": range(n),
                         "text": labels, "topic": [str(i) for i in range(n)]})


class _Elements(HTMLParser):
    """The tags and the text of an HTML fragment, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


@pytest.mark.parametrize("part", ["map_legend", "keyword_bars"])
def test_the_html_beside_the_charts_shows_hostile_text_literally(part):
    """The map's legend and the keyword bars are HTML (``st.html``): only their own tags, labels as text."""
    labels = MARKUP
    if part == "map_legend":
        fragment = plots.map_legend({str(i): label for i, label in enumerate(labels)}, {})
    else:
        fragment = plots.keyword_bars([(label, 1.0) for label in labels])
    parsed = _Elements()
    parsed.feed(fragment)
    assert parsed.tags <= {"div", "span"}, parsed.tags
    assert [label for label in labels if label not in "".join(parsed.text)] == []


@pytest.mark.parametrize("chart", ["document_map", "hierarchy", "documents_per_use_case", "tuning_history"])
def test_every_chart_shows_hostile_text_literally(chart):
    labels = MARKUP
    if chart == "document_map":  # labels are beside it (map_legend); document text is in its hover
        figure = go.Figure(plots.document_map(_documents(labels)))
    elif chart == "hierarchy":
        figure = plots.hierarchy(pd.DataFrame({"layer1_label": labels, "layer2_label": labels[::-1],
                                               "layer3_label": [None] * len(labels)}))
    elif chart == "documents_per_use_case":
        figure = plots.documents_per_use_case(pd.DataFrame({"path": labels, "documents": range(len(labels))}))
    else:
        figure = plots.tuning_history(pd.DataFrame({
            "trial": range(len(labels)), "state": "complete", "score": 0.5, "embedding_model": labels,
            "coherence": 0.1, "diversity": 0.2, "balance": 0.3, "stability": 0.4}))
    shown = check_figure(json.loads(figure.to_json()), chart)  # what the browser is sent
    assert [label for label in labels if label[:25] not in shown] == []  # long labels are shortened
