"""End to end in a real browser: streamlit run on localhost, Playwright driving Debian's Chromium.

The whole job as an analyst does it: a name that survives a reload, a wrong upload and a right one
(the new run selected at once), quick successive edits in the topics table (every one counted),
a merge from the topic panel, a lasso selection on the map, Approve with unsaved changes, layer 2
one parent at a time, the approved layer read-only, and the labels downloaded; the workspace on a
phone too. Screenshots of each state go to test-artifacts/browser/; nothing is fetched from
outside localhost.
"""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
import pytest

from backend.runs.runner import LocalRunner
from backend.store.local import LocalStore
from tests.app.browser_support import ROOT, box_of, choose, grid_cell, launch, open_dropdown, served_app, settled
from tests.conftest import FAST_SETTINGS

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# Column centres of the topics table in edit mode (Streamlit's widths: small 75 px, medium 200 px).
LABEL_X, DRILL_X = 75 + 100, 75 + 200 + 75 + 37


@pytest.fixture
def app_url(tmp_path, fast_settings, sample_records):
    store = LocalStore(tmp_path / "store")
    LocalRunner(store).start(sample_records, fast_settings, "demo")
    config = tmp_path / "settings.json"
    config.write_text(json.dumps(FAST_SETTINGS))
    with served_app(tmp_path / "store", config, tmp_path) as url:
        yield url, store


def test_curate_approve_and_export_in_the_browser(app_url, tmp_path, sample_records):
    from playwright.sync_api import expect, sync_playwright

    url, store = app_url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (tmp_path / "notes.txt").write_text("not a table")
    sample_records.head(120).to_csv(tmp_path / "records.csv", index=False)
    outside: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1600}, accept_downloads=True)
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
        page.set_default_timeout(30_000)
        expect.set_options(timeout=20_000)

        def shot(name: str, target=None) -> None:
            (target or page).screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

        try:
            page.goto(url)
            expect(page.get_by_text("Waiting for approval: curate-layer1")).to_be_visible()
            expect(page.get_by_role("button", name="Approve", exact=True)).to_be_disabled()  # no name yet
            page.get_by_label("Your name", exact=True).fill("ana")
            page.get_by_label("Your name", exact=True).press("Enter")
            expect(page.get_by_role("button", name="Approve", exact=True)).to_be_enabled()
            page.reload()
            expect(page.get_by_label("Your name", exact=True)).to_have_value("ana")  # kept in the address
            shot("1-runs")

            # Starting runs: a wrong file is a message; a right one is selected at once, started once.
            page.get_by_text("Start a new run").click()
            page.locator("input[type=file]").set_input_files(tmp_path / "notes.txt")
            expect(page.get_by_text("'notes.txt' is not a CSV or Parquet file")).to_be_visible()
            shot("2-wrong-upload")
            page.locator("input[type=file]").set_input_files(tmp_path / "records.csv")
            start = page.get_by_role("button", name="Start run")
            expect(start).to_be_enabled()
            start.click()
            expect(page.get_by_text(re.compile(r"Run \S+ started: preprocessing"))).to_be_visible()
            expect(start).to_be_disabled()
            new_run = next(r for r in store.list("runs/") if r.endswith("run.json") and "/demo/" not in r).split("/")[1]
            expect(page.get_by_text(f"Run {new_run}:")).to_be_visible()  # the new run is the one shown
            shot("3-new-run")
            choose(page, "Run", "demo")
            expect(page.get_by_text("Run demo:")).to_be_visible()

            # The workspace: quick edits in the table, every one of them counted.
            page.get_by_role("link", name="Curate").click()
            expect(page.get_by_text("Layer 1 of run demo")).to_be_visible()
            page.get_by_text("Edit in the table").click()
            expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
            settled(page)
            for row in (1, 2, 3):  # three drill-down ticks, 0.4 s apart
                page.mouse.click(*grid_cell(page, 0, row, DRILL_X))
                page.wait_for_timeout(400)
            editor = page.locator("textarea.gdg-input")
            for _ in range(3):  # a double click opens the cell's editor (unless a rerun redraws the table)
                settled(page)
                page.mouse.dblclick(*grid_cell(page, 0, 0, LABEL_X))
                try:
                    editor.wait_for(timeout=3000)
                    break
                except Exception:
                    shot("4-editor-retry")
            editor.fill("Invoice automation")
            editor.press("Enter")
            page.wait_for_timeout(1000)  # then a tick about a second later
            page.mouse.click(*grid_cell(page, 0, 4, DRILL_X))
            expect(page.get_by_text("5 unsaved changes")).to_be_visible()
            settled(page)
            # The open topic's panel shows the table's edit (a browser sends back what a field showed).
            page.wait_for_function("() => [...document.querySelectorAll(\"input[aria-label='Label']\")]"
                                   ".some(e => e.value === 'Invoice automation')", timeout=20_000)
            shot("4-quick-edits")
            page.get_by_text("Edit in the table").click()

            # The topic panel: open a topic and merge another into it, with the keyword preview.
            choose(page, "Open topic", "5:")
            settled(page)
            page.get_by_role("tab", name="Merge with…").click()
            choose(page, "Merge these topics into this one", "6:")
            page.keyboard.press("Escape")
            preview = page.get_by_text("Keywords after the merge")
            for _ in range(3):  # a choice made while a rerun redraws the panel can be dropped: make it again
                try:
                    expect(preview).to_be_visible(timeout=8000)
                    break
                except AssertionError:
                    settled(page)
                    open_dropdown(page, page.get_by_label("Merge these topics into this one", exact=True))
                    option = page.get_by_role("option", name=re.compile("^6:"))
                    if option.count():
                        option.first.click()
                    page.keyboard.press("Escape")
            expect(preview).to_be_visible()
            page.get_by_role("button", name="Merge 2 topics").click()
            expect(page.get_by_text("6 unsaved changes")).to_be_visible()

            # The map: a lasso selection is counted, acted on next to it, and clearable.
            box = box_of(page, page.locator(".js-plotly-plot .nsewdrag").first)
            page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
            page.mouse.down()
            for fx, fy in ((0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.25)):
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=10)
            page.mouse.up()
            expect(page.get_by_text(re.compile(r"[\d,]+ documents selected"))).to_be_visible()
            expect(page.get_by_role("button", name="Clear selection")).to_be_visible()
            shot("5-selection")
            page.get_by_role("button", name="Clear selection").click()
            expect(page.get_by_text(re.compile(r"documents selected"))).to_have_count(0)
            shot("6-workspace")

            # Approve with unsaved changes: asked, then saved and approved.
            page.get_by_role("link", name="Runs & approvals").click()
            expect(page.get_by_text("You have 6 unsaved change(s) on layer 1")).to_be_visible()
            page.get_by_role("button", name="Save and approve").click()
            expect(page.get_by_text("Waiting for approval: curate-layer2")).to_be_visible(timeout=90_000)
            shot("7-layer2-waiting")

            # Layer 2, one parent topic at a time; layer 1 read-only.
            page.get_by_role("link", name="Curate").click()
            expect(page.get_by_text("Layer 2 of run demo")).to_be_visible()
            shot("8-layer2-first-parent")
            choose(page, "Topic of layer 1", "2:")
            expect(page.get_by_text("under topic 2")).to_be_visible()
            shot("9-layer2-second-parent")
            page.get_by_text("Layer 1", exact=True).click()
            expect(page.get_by_text(re.compile("approved at version 2 by ana.*read-only"))).to_be_visible()
            shot("10-layer1-read-only")

            page.get_by_role("link", name="Export").click()
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Labels (CSV)").click()
            target = tmp_path / "labels.csv"
            download_info.value.save_as(target)
            shot("11-export")

            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(url + "/?user=ana")
            phone.get_by_role("button").first.wait_for()
            phone.goto(url + "/workspace?user=ana")
            expect(phone.get_by_text("Layer 2 of run demo")).to_be_visible()
            expect(phone.get_by_label("Open topic", exact=True)).to_be_visible()  # not mid-load
            settled(phone)
            shot("12-phone", phone)
        except Exception:
            page.screenshot(path=ARTIFACTS / "failure.png", full_page=True)  # what the browser showed
            server_log = (tmp_path / "streamlit.log").read_text(errors="replace")
            (ARTIFACTS / "streamlit.log").write_text(server_log)  # and what the server said
            print("The server's log ends:\n" + server_log[-4000:], file=sys.stderr)
            raise
        browser.close()

    from backend.curation.versions import load_approved

    approved = load_approved(store, "demo", 1)
    assert approved.approved_by == "ana" and approved.version == 2
    assert approved.topics["0"].label == "Invoice automation"
    assert set(approved.drill_down_topics) == {"1", "2", "3", "4"}
    assert approved.topics["6"].status == "merged" and approved.topics["6"].merged_into == "5"
    labels = pd.read_csv(target)
    assert len(labels) == 400 and (labels["layer1_label"] == "Invoice automation").sum() > 0
    assert not outside, f"fetched from outside localhost: {outside[:5]}"
