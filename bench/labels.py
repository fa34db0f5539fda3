"""How often a starting label repeats a word, with the old rule (the first three keywords) and
today's (``backend.topics.keyword_label``), on the layers of the sample run that bench/effort.py
fits with default settings (keywords of one and two words, as the product makes them).

    .venv/bin/python bench/effort.py        # first: fits the sample run's layers 1 and 2
    .venv/bin/python bench/labels.py
"""

from __future__ import annotations

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


def main() -> None:
    from backend.store.local import LocalStore
    from backend.topics.keyword_label import keyword_label
    from backend.topics.layer_result import is_fitted, load_topics

    store = LocalStore(STORE)
    if not is_fitted(store, "sample", 1):
        sys.exit(f"No sample run under {STORE}: run bench/effort.py first.")
    print("| layer | topics | old rule: labels repeating a word | today's rule | examples (old → today) |")
    print("|---|---:|---:|---:|---|")
    for layer in (1, 2, 3):
        if not is_fitted(store, "sample", layer):
            continue
        topics = list(load_topics(store, "sample", layer).values())
        old = [old_rule(t.keywords) for t in topics]
        new = [keyword_label(t.keywords, f"Topic {t.key}") for t in topics]
        examples = "; ".join(f"{a} → {b}" for a, b in zip(old, new) if repeats_a_word(a))
        print(f"| {layer} | {len(topics)} | {sum(map(repeats_a_word, old))} ({sum(map(repeats_a_word, old)) / len(topics):.0%}) "
              f"| {sum(map(repeats_a_word, new))} ({sum(map(repeats_a_word, new)) / len(topics):.0%}) "
              f"| {examples.split('; ')[0] if examples else ''} |")


if __name__ == "__main__":
    main()
