"""What an analyst waits for in the browser: the curation workspace on the sample run, timed in
headless Chromium from the action to what the page shows (Playwright, polling every frame).

    .venv/bin/python bench/browser.py --json bench/results/browser.json
    .venv/bin/python bench/browser.py --tables-from bench/results/browser.json

The sample run is what `make run` makes: the 5,000 generated records (seed 42), default settings
(MiniLM on the CPU default backend, UMAP, BIRCH, 20 topics), stopped at the first approval. It is
built once under bench/.cache/browser. Each measurement is repeated; the app is served by
`streamlit run` on localhost, on the same 2 cores as the browser (headless Chromium draws WebGL
in software, as a machine without a GPU would). The first round of each page is a cold start and is
reported on its own row; the others are medians over the remaining rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / ".cache" / "browser"
RUN_ID = "sample"


def sample_store() -> Path:
    """The store with the sample run waiting at layer 1 (built on first use)."""
    from backend.runs.runner import LocalRunner
    from backend.settings import Settings
    from backend.store.local import LocalStore
    from backend.text.sample_data import generate_opportunities

    store = LocalStore(WORK / "store")
    if not store.exists(f"runs/{RUN_ID}/run.json"):
        started = time.perf_counter()
        LocalRunner(store).start(generate_opportunities(5000, seed=42), Settings(), RUN_ID)
        print(f"built the sample run in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return WORK / "store"


def until_text(page, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, polling="raf", timeout=timeout)


def draw_lasso(page, box: dict) -> None:
    """Draw a lasso over the middle of the map, the mouse still down (the selection is made on release)."""
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for fx, fy in ((0.7, 0.3), (0.7, 0.7), (0.3, 0.7), (0.3, 0.35)):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=8)


def timed(action, wait) -> float:
    started = time.perf_counter()
    action()
    wait()
    return time.perf_counter() - started


def measure(repeats: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from tests.app.browser_support import box_of, launch, served_app, settled

    store = sample_store()
    rows: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        rows.setdefault(name, []).append(seconds)

    first_content = "() => document.body.innerText.includes('Topic 0:') && " \
                    "document.querySelector(\"[data-testid='stDataFrame'] canvas\") !== null"
    map_drawn = "() => document.querySelectorAll('.js-plotly-plot .gl-container canvas').length > 0"
    with served_app(store, None, WORK) as url, sync_playwright() as p:
        browser = launch(p)
        for i in range(repeats + 1):
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{url}/?user=bench")
            until_text(page, "Runs & approvals")
            settled(page)
            started = time.perf_counter()
            page.get_by_role("link", name="Curate").click()
            page.wait_for_function(first_content, polling="raf", timeout=60_000)
            content = time.perf_counter() - started
            page.wait_for_function(map_drawn, polling="raf", timeout=60_000)
            drawn = time.perf_counter() - started
            cold = " (cold: first visit after the server started)" if i == 0 else ""
            record(f"Curate page: first content (topic list and open topic){cold}", content)
            record(f"Curate page: the map drawn as well{cold}", drawn)
            settled(page)
            if i == 0:
                page.close()
                continue
            label = page.get_by_label("Label", exact=True)
            record("click: rename the open topic (panel shows the new label)",
                   timed(lambda: (label.fill(f"Renamed {i}"), label.press("Enter")),
                         lambda: until_text(page, f"Topic 0: Renamed {i}")))
            settled(page)
            record("click: mark for drill-down (unsaved count updates)",
                   timed(lambda: page.get_by_text("Drill down into it in the next layer").click(),
                         lambda: until_text(page, "2 unsaved changes")))
            settled(page)
            record("click: undo",
                   timed(lambda: page.get_by_role("button", name="Undo").click(),
                         lambda: until_text(page, "1 unsaved change ")))
            settled(page)
            page.get_by_role("button", name="Undo").click()  # leave the run as it was for the next round
            settled(page)
            draw_lasso(page, box_of(page, page.locator(".js-plotly-plot .nsewdrag").first))
            record("lasso: release a selection on the map (the selection bar counts it)",
                   timed(page.mouse.up, lambda: until_text(page, "documents selected")))
            settled(page)
            record("click: clear the selection",
                   timed(lambda: page.get_by_role("button", name="Clear selection").click(),
                         lambda: page.wait_for_function("() => !document.body.innerText.includes('documents selected')",
                                                        polling="raf", timeout=60_000)))
            settled(page)
            page.close()
        browser.close()
    return [{"what": name, "median_s": round(statistics.median(v), 3), "max_s": round(max(v), 3), "n": len(v)}
            for name, v in rows.items()]


def table(rows: list[dict]) -> str:
    lines = ["| in the browser, sample run (5,000 documents) | median s | max s | repeats |", "|---|---:|---:|---:|"]
    lines += [f"| {r['what']} | {r['median_s']:.2f} | {r['max_s']:.2f} | {r['n']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tables-from", type=Path)
    args = parser.parse_args()
    rows = json.loads(args.tables_from.read_text()) if args.tables_from else measure(args.repeats)
    if args.json and not args.tables_from:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
