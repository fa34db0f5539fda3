"""How often a starting label repeats a word, with the old rule (the first three keywords) and
today's (``backend.topics.keyword_label``), on the layers of the sample run that bench/effort.py
fits with default settings (keywords of one and two words, as the product makes them).

    .venv/bin/python bench/effort.py        # first: fits the sample run's layers 1 and 2
    .venv/bin/python bench/labels.py --json bench/results/labels.json
    .venv/bin/python bench/labels.py --tables-from bench/results/labels.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STORE = ROOT / "bench" / ".cache" / "effort" / "defaults" / "store"


def old_rule(keywords: list[tuple[str, float]]) -> str:
    return " / ".join(word for word, _ in keywords[:3])


def repeats_a_word(label: str) -> bool:
    words = label.replace(" / ", " ").split()
    return len(words) != len(set(words))


def measure() -> list[dict]:
    from backend.store.local import LocalStore
    from backend.topics.keyword_label import keyword_label
    from backend.topics.layer_result import is_fitted, load_topics

    store = LocalStore(STORE)
    if not is_fitted(store, "sample", 1):
        sys.exit(f"No sample run under {STORE}: run bench/effort.py first.")
    rows = []
    for layer in (1, 2, 3):
        if not is_fitted(store, "sample", layer):
            continue
        topics = list(load_topics(store, "sample", layer).values())
        old = [old_rule(t.keywords) for t in topics]
        new = [keyword_label(t.keywords, f"Topic {t.key}") for t in topics]
        example = next((f"{a} → {b}" for a, b in zip(old, new) if repeats_a_word(a)), "")
        rows.append({"layer": layer, "topics": len(topics), "old_repeats": sum(map(repeats_a_word, old)),
                     "new_repeats": sum(map(repeats_a_word, new)), "example": example})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| layer | topics | old rule: labels repeating a word | today's rule | example (old → today) |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {r['layer']} | {r['topics']} | {r['old_repeats']} ({r['old_repeats'] / r['topics']:.0%}) "
              f"| {r['new_repeats']} ({r['new_repeats'] / r['topics']:.0%}) | {r['example']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--tables-from", type=Path)
    args = parser.parse_args()
    rows = json.loads(args.tables_from.read_text()) if args.tables_from else measure()
    if args.json and not args.tables_from:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
