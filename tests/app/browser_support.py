"""What the browser test and the browser benchmark share: `streamlit run` on localhost, Debian's
Chromium through Playwright, and helpers for Streamlit's widgets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_app(store: Path, config: Path | None, cwd: Path) -> Iterator[str]:
    """The app served on a free local port; yields its URL, stops it afterwards. The server's output
    goes to ``cwd/streamlit.log``, never to a pipe: a pipe nobody reads fills up, and then every
    thread of the server that logs (a run resumed in the background, say) blocks for good."""
    port = free_port()
    env = {**os.environ, "TOPIC_CURATOR_STORE": str(store)}
    if config:
        env["TOPIC_CURATOR_CONFIG"] = str(config)
    log_path = Path(cwd) / "streamlit.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("streamlit did not start: " + log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.5)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (make test does).")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


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


def settled(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (its status widget is gone)."""
    page.wait_for_timeout(150)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=timeout)


def box_of(page, locator) -> dict:
    """The bounding box of an element a rerun may be redrawing: waited for until it is laid out."""
    from playwright.sync_api import Error

    last: Error | None = None
    for _ in range(5):
        settled(page)
        try:
            locator.scroll_into_view_if_needed(timeout=5000)
            box = locator.bounding_box()
            if box:
                return box
        except Error as exc:  # detached or not yet laid out: the rerun replaced it; look again
            last = exc
    raise AssertionError(f"the element did not settle on the page: {last}")


def grid_cell(page, grid_index: int, row: int, column_x: float) -> tuple[float, float]:
    """The centre of a data grid cell (``row`` 0 is the first data row), ``column_x`` pixels from
    the grid's left edge: Streamlit's tables draw on a canvas, so cells are found by position."""
    box = box_of(page, page.locator("[data-testid='stDataFrame']").nth(grid_index))
    return box["x"] + column_x, box["y"] + 35 * (row + 1) + 17
