"""The curation workspace under AppTest: every edit arrives, approved layers are read-only, Approve
never leaves unsaved work out silently, and a replay never overwrites a colleague unasked."""

from __future__ import annotations

import json

from backend.curation.operations import Rename
from backend.curation.session import CurationSession
from backend.curation.versions import load_approved, load_version, version_numbers
from tests.app.conftest import mark_for_drill_down, open_app, table_with, wait_for

SCOPE = "demo::1::ana"


def workspace(user: str = "ana"):
    return open_app("workspace", user=user)


def unsaved(at, scope: str = SCOPE) -> list[str]:
    return [op.describe() for op in at.session_state[f"curation::{scope.replace('::ana', '')}::ana"].unsaved]


def open_topic(at, topic: str):
    next(s for s in at.selectbox if s.label == "Open topic").set_value(topic).run()
    return at


def label_field(at):
    """The open topic's label field (its key changes whenever the panel is redrawn from the mapping)."""
    return next(t for t in at.text_input if t.label == "Label")


def workspace_after_approving_layer_one(app_store):
    """Layer 1 approved with topics 0 and 1 marked for drill-down; the workspace open (on layer 2)."""
    mark_for_drill_down(app_store, "0", "1")
    at = open_app()
    at.button(key="approve").click().run()
    wait_for(app_store, "demo", lambda r: r.waiting_at == "curate-layer2")
    return at.switch_page("../pages/workspace.py").run()


def test_rename_in_the_panel_then_undo_redo_and_save(app_store):
    at = open_topic(workspace(), "0")
    label_field(at).input("Invoice automation").run()
    assert not at.exception and unsaved(at) == ["rename 0 to 'Invoice automation'"]
    assert "rename 0 to 'Invoice automation'" in table_with(at, "change")["change"].tolist()
    at.button(key="undo").click().run()
    assert unsaved(at) == [] and label_field(at).value != "Invoice automation"
    at.button(key="redo").click().run()
    at.button(key="save").click().run()
    assert any("Saved as version 2" in s.value for s in at.success)
    assert load_version(app_store, "demo", 1).topics["0"].label == "Invoice automation"


def test_a_rename_sends_the_same_map_and_the_new_name_beside_it(app_store):
    """A chart whose figure changes is rebuilt in the browser (seconds on a CPU): a rename changes the
    legend beside the map, not the map (issue 14, speed)."""
    at = open_topic(workspace(), "0")
    before = [c.proto.spec for c in at.get("plotly_chart")]
    label_field(at).input("Invoice <b>automation</b>").run()
    assert [c.proto.spec for c in at.get("plotly_chart")] == before
    assert any("0: Invoice &lt;b&gt;automation&lt;/b&gt;" in h.proto.body for h in at.get("html"))


def test_quick_successive_table_edits_all_arrive(app_store):
    """The browser reports a table's edits cumulatively, and a second one can arrive while the first
    is applied: each must be applied once, and none replaced by a redrawn table (issue 14, 1)."""
    at = workspace()
    at.toggle(key=f"edit_table::{SCOPE}").set_value(True).run()
    key = at.data_editor[0].key
    topics = list(at.data_editor[0].value["topic"])
    sent: dict = {}
    for row in (1, 2, 3):  # three drill-down ticks, each rerun carrying every edit so far
        sent[row] = {"drill down": True}
        at.session_state[key] = {"edited_rows": dict(sent), "added_rows": [], "deleted_rows": []}
        at.run()
        assert at.data_editor[0].key == key  # the same table: edits in flight keep their meaning
    sent[0] = {"label": "Invoices"}  # a label, then a tick a moment later: both in one message
    sent[4] = {"drill down": True}
    at.session_state[key] = {"edited_rows": dict(sent), "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert sorted(unsaved(at)) == sorted([f"mark {topics[r]} for drill-down" for r in (1, 2, 3, 4)]
                                         + [f"rename {topics[0]} to 'Invoices'"])
    assert label_field(at).value == "Invoices"  # the open topic's panel shows the table's edit
    assert next(s for s in at.selectbox if s.label == "Open topic").options[0].startswith("0: Invoices")
    at.button(key="undo").click().run()  # undo is not undone by the table's old edits
    at.run()
    assert len(unsaved(at)) == 4


def test_a_refused_table_edit_says_why(app_store):
    at = workspace()
    at.toggle(key=f"edit_table::{SCOPE}").set_value(True).run()
    key = at.data_editor[0].key
    at.session_state[key] = {"edited_rows": {0: {"label": "x" * 500}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("500 characters long; at most 120" in e.value for e in at.error)
    assert unsaved(at) == []


def test_merge_and_split_from_the_panel_with_previews(app_store):
    at = open_topic(workspace(), "1")
    at.multiselect(key="merge_with::1").set_value(["2"]).run()
    assert any("Keywords after the merge" in m.value for m in at.markdown)
    at.button(key="merge").click().run()
    at = open_topic(at, "0")
    at.slider(key="split_k::0").set_value(2).run()
    at.button(key="preview_split").click().run()
    names = [at.text_input(key=f"split_name::0::{i}") for i in range(2)]
    assert all(" / " in n.value for n in names)  # named from their keywords, not "label (1)"
    names[0].input("First half").run()
    at.button(key="apply_split").click().run()
    at.button(key="save").click().run()
    saved = load_version(app_store, "demo", 1)
    assert saved.topics["2"].status == "merged" and saved.topics["0"].status == "split"
    new = [k for k, d in saved.topics.items() if d.split_from == "0"]
    assert saved.topics[new[0]].label == "First half" and " / " in saved.topics[new[1]].label
    assert "split topic 0 into 2 topics" in " ".join(table_with(at, "change")["change"])


def test_approve_with_unsaved_changes_offers_save_and_approve(app_store):
    mark_for_drill_down(app_store, "0")
    at = open_topic(workspace(), "3")
    label_field(at).input("Not saved yet").run()
    at.switch_page("../pages/runs.py").run()
    assert not [b for b in at.button if b.key == "approve"]  # no silent approval of version 2
    assert any("1 unsaved change(s)" in w.value for w in at.warning)
    at.button(key="save_approve").click().run()
    assert not at.exception and any("Approved layer 1 (mapping version 3)" in s.value for s in at.success)
    approved = load_approved(app_store, "demo", 1)
    assert approved.version == 3 and approved.topics["3"].label == "Not saved yet"
    wait_for(app_store, "demo", lambda r: r.waiting_at == "curate-layer2" or r.status == "failed")


def test_approve_can_discard_unsaved_changes_instead(app_store):
    mark_for_drill_down(app_store, "0")
    at = open_topic(workspace(), "3")
    label_field(at).input("Thrown away").run()
    at.switch_page("../pages/runs.py").run()
    at.button(key="discard_approve").click().run()
    approved = load_approved(app_store, "demo", 1)
    assert approved.version == 2 and approved.topics["3"].label != "Thrown away"
    wait_for(app_store, "demo", lambda r: r.waiting_at == "curate-layer2" or r.status == "failed")


def test_an_approved_layer_is_read_only_and_says_so(app_store):
    at = workspace_after_approving_layer_one(app_store)
    at.sidebar.radio(key="layer").set_value(1).run()
    assert any("approved at version 2 by ana" in i.value and "read-only" in i.value for i in at.info)
    assert not [b for b in at.button if b.key in {"save", "undo"}]
    assert label_field(at).disabled
    assert version_numbers(app_store, "demo", 1) == [1, 2]


def test_a_replay_asks_before_overwriting_a_colleague(app_store):
    at = open_topic(workspace(), "3")
    label_field(at).input("Ana's label").run()
    at = open_topic(at, "4")
    label_field(at).input("Only Ana").run()
    ben = CurationSession(app_store, "demo", 1, "ben")
    ben.apply(Rename(topic="3", label="Ben's label"))
    ben.save()
    at.button(key="save").click().run()
    assert any("ben saved version 2" in w.value for w in at.warning)
    choice = at.radio(key=f"keep::{SCOPE}::0")
    assert choice.value == "Keep theirs" and "Ben" in choice.label
    at.button(key="rebase").click().run()
    assert any("kept theirs instead of" in i.value for i in at.info)
    at.button(key="save").click().run()
    latest = load_version(app_store, "demo", 1)
    assert latest.version == 3 and latest.topics["3"].label == "Ben's label" and latest.topics["4"].label == "Only Ana"


def test_a_replay_keeps_mine_where_chosen(app_store):
    at = open_topic(workspace(), "3")
    label_field(at).input("Ana's label").run()
    ben = CurationSession(app_store, "demo", 1, "ben")
    ben.apply(Rename(topic="3", label="Ben's label"))
    ben.save()
    at.button(key="save").click().run()
    at.radio(key=f"keep::{SCOPE}::0").set_value("Keep mine").run()
    at.button(key="rebase").click().run()
    at.button(key="save").click().run()
    assert load_version(app_store, "demo", 1).topics["3"].label == "Ana's label"


def test_layer_two_maps_one_parent_at_a_time(app_store):
    at = workspace_after_approving_layer_one(app_store)
    assert at.sidebar.radio(key="layer").value == 2
    parents = at.selectbox(key="parent::2")
    assert parents.options[:2] == ["0: " + parents.options[0].split(": ", 1)[1], parents.options[1]]
    from backend.topics.layer_result import load_layer

    assignments = load_layer(app_store, "demo", 2).assignments
    for parent in ("0", "1"):
        parents = at.selectbox(key="parent::2")
        parents.set_value(parent).run()
        figure = json.loads(at.get("plotly_chart")[0].proto.spec)
        ids = {i for trace in figure["data"] for i in trace.get("customdata") or []}
        assert ids == set(assignments.loc[assignments["parent"] == parent, "id"])  # never another parent's space
        assert set(table_with(at, "keywords")["topic"].str.split(".").str[0]) == {parent}


def test_documents_search_pages_through_every_match(app_store):
    at = workspace()
    at.radio(key=f"search_in::{SCOPE}").set_value("the whole layer").run()
    at.text_input(key=f"search::{SCOPE}").input("the").run()
    caption = next(c.value for c in at.caption if "matches" in c.value)
    total = int(caption.split()[0].replace(",", ""))
    assert total > 50 and "showing 1–50" in caption
    at.number_input(key=f"page::{SCOPE}").set_value(2).run()
    assert any("showing 51–" in c.value for c in at.caption)
