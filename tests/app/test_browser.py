"""End to end in a real browser: streamlit run on localhost, Playwright driving Debian's Chromium.

Opens the app, renames and merges topics, marks one for drill-down, approves layer 1, sees
layer 2 appear, and downloads the labels. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from backend.runs.runner import LocalRunner
from backend.store.local import LocalStore
from tests.conftest import FAST_SETTINGS

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_app(tmp_path, fast_settings, sample_records):
    store = LocalStore(tmp_path / "store")
    LocalRunner(store).start(sample_records, fast_settings, "demo")
    config = tmp_path / "settings.json"
    config.write_text(json.dumps(FAST_SETTINGS))
    port = free_port()
    env = {**os.environ, "TOPIC_CURATOR_STORE": str(tmp_path / "store"), "TOPIC_CURATOR_CONFIG": str(config)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("streamlit did not start: " + server.stdout.read().decode(errors="replace")[-2000:])
    yield url, store
    server.terminate()
    server.wait(timeout=20)


def test_rename_merge_approve_and_download(served_app, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does).")
    from playwright.sync_api import expect, sync_playwright

    url, store = served_app
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(30_000)
        expect.set_options(timeout=15_000)
        try:
            page.goto(url)
            expect(page.get_by_text("Waiting for approval: curate-layer1")).to_be_visible()
            page.get_by_label("Your name", exact=True).fill("ana")
            page.get_by_label("Your name", exact=True).press("Enter")
            page.screenshot(path=ARTIFACTS / "1-runs.png", full_page=True)

            page.get_by_role("link", name="Curate").click()
            expect(page.get_by_role("heading", name="Curate")).to_be_visible()
            choose(page, "Topic", "0:", nth=0)
            page.get_by_label("New label", exact=True).fill("Invoice automation")
            page.get_by_label("New label", exact=True).press("Enter")
            page.get_by_role("button", name="Rename", exact=True).click()
            expect(page.get_by_text("1 unsaved change(s)")).to_be_visible()

            page.get_by_text("Merge topics").click()
            merge = page.get_by_label("Topics to merge", exact=True)
            expect(merge).to_be_visible()
            for key in ("1: ", "2: "):
                open_dropdown(page, merge)
                page.get_by_role("option", name=re.compile("^" + key)).click()
                page.keyboard.press("Escape")
                page.wait_for_timeout(1000)
            expect(page.get_by_text("Keywords after the merge")).to_be_visible()
            page.get_by_role("button", name="Merge", exact=True).click()
            expect(page.get_by_text("2 unsaved change(s)")).to_be_visible()

            page.get_by_text("Drill down", exact=True).click()
            mark = page.get_by_role("button", name="Mark for drill-down")
            expect(mark).to_be_enabled()
            mark.click()
            expect(page.get_by_text("3 unsaved change(s)")).to_be_visible()
            page.get_by_role("button", name="Save", exact=True).click()
            expect(page.get_by_text("Saved as version 2")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "2-curated.png", full_page=True)

            page.get_by_role("link", name="Runs & approvals").click()
            expect(page.get_by_text("mapping version 2")).to_be_visible()
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_text("Waiting for approval: curate-layer2")).to_be_visible(timeout=90_000)
            page.screenshot(path=ARTIFACTS / "3-layer2-waiting.png", full_page=True)

            page.get_by_role("link", name="Layer explorer").click()
            page.get_by_text("Layer 2", exact=True).click()
            expect(page.get_by_text("Layer 2 of run demo")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "4-explorer-layer2.png", full_page=True)

            page.get_by_role("link", name="Export").click()
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Labels (CSV)").click()
            target = tmp_path / "labels.csv"
            download_info.value.save_as(target)
            page.screenshot(path=ARTIFACTS / "5-export.png", full_page=True)
        except Exception:
            page.screenshot(path=ARTIFACTS / "failure.png", full_page=True)  # what the browser showed
            raise
        browser.close()

    from backend.curation.versions import load_approved

    approved = load_approved(store, "demo", 1)
    assert approved.approved_by == "ana" and approved.version == 2
    assert approved.topics["0"].label == "Invoice automation" and approved.drill_down_topics == ["0"]
    assert {k: d.merged_into for k, d in approved.topics.items() if d.status == "merged"} == {"2": "1"}
    labels = pd.read_csv(target)
    assert len(labels) == 400
    assert (labels["layer1_label"] == "Invoice automation").sum() > 0
    assert store.exists("runs/demo/layer2/topics.json")


def choose(page, label: str, option_prefix: str, nth: int = 0) -> None:
    """Pick an option of a Streamlit selectbox by the start of its text."""
    open_dropdown(page, page.get_by_label(label, exact=True).nth(nth))
    page.get_by_role("option", name=re.compile("^" + re.escape(option_prefix))).first.click()


def open_dropdown(page, box) -> None:
    """Click a select box until its list shows (the first click can land during a rerun)."""
    for _ in range(4):
        box.click()
        try:
            page.get_by_role("listbox").wait_for(state="visible", timeout=3000)
            return
        except Exception:
            page.wait_for_timeout(500)
    raise AssertionError("the dropdown did not open")
