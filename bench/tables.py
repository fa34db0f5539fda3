"""Every table in bench/QUALITY.md, regenerated from the committed results in one command.

    .venv/bin/python bench/tables.py            # rewrite QUALITY.md's tables in place
    .venv/bin/python bench/tables.py --check    # exit 1 (naming them) when a table is stale

Each table sits between ``<!-- table: NAME -->`` and ``<!-- /table -->`` and is printed by the
script that measured it (its ``--tables-from`` function) from its results in bench/results/;
QUALITY.md gives the command that made each results file. ``make quality`` measures everything
again (about two hours on 2 cores) and then runs this.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
RESULTS = BENCH / "results"
QUALITY = BENCH / "QUALITY.md"
BLOCK = re.compile(r"(<!-- table: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)
QUALITY_RUNS = ("quality-defaults.json", "quality-20ng.json", "quality-before.json", "quality-tfidf.json")
NEW, BEFORE = "ours (UMAP + BIRCH)", "ours, defaults before 2026-12"


def rows(*names: str) -> list[dict]:
    return [row for name in names for row in json.loads((RESULTS / name).read_text())]


def goals() -> str:
    """The issue's quality goals, before and after today's defaults, from the runs above."""
    import effort

    quality = pd.DataFrame(rows(*QUALITY_RUNS))
    work = pd.DataFrame(rows("effort.json"))

    def mean(model: str, corpus: str, column: str, k: int | None = None) -> float:
        part = quality[(quality.model == model) & (quality.corpus == corpus)]
        return float(part[part.k == k][column].mean() if k else part[column].mean())

    def operations(settings: str) -> int:
        return int(work[work.settings == settings].operations.sum())

    lines = ["| goal | target | before | today | met |", "|---|---|---:|---:|---|"]
    checks = [
        ("20NG NMI vs 20 newsgroups, 20 topics", "0.60", "nmi", "20ng", 20),
        ("20NG NMI vs 6 subject groups, the same 20 topics", "0.51", "nmi_other", "20ng", 20),
        ("BBC NPMI (10–50 topics)", "0.170", "npmi", "bbc", None),
        ("BBC diversity (10–50 topics)", "0.80", "td", "bbc", None),
        ("generated NMI vs use cases, 20 topics (layer 1)", "0.85", "nmi", "generated", 20),
    ]
    for goal, target, column, corpus, k in checks:
        before, today = mean(BEFORE, corpus, column, k), mean(NEW, corpus, column, k)
        met = "yes" if today >= float(target) else f"no, {float(target) - today:.3f} short"
        lines.append(f"| {goal} | ≥ {target} | {before:.3f} | {today:.3f} | {met} |")
    before, today = operations(effort.BEFORE_LABEL), operations(effort.DEFAULT_LABEL)
    lines.append(f"| analyst's operations, layers 1 + 2 of the sample (bench/effort.py) | fewer than before "
                 f"| {before} | {today} | {'yes' if today < before else 'no'} |")
    return "\n".join(lines)


TUNE_SEARCHES = [  # (name, settings file in bench/configs, the command besides --store)
    ("BBC, MiniLM only", "tuned-bbc-minilm", "tune --input ../shared/data/bbc_news/bbc_news_octis.csv "
     "--config bench/configs/bbc-input.toml --models minilm --trials 25"),
    ("generated, MiniLM only", "tuned-generated-minilm", "tune --models minilm --trials 25"),
    ("BBC, MiniLM or TF-IDF + SVD", "tuned-bbc-all-models", "tune --input ../shared/data/bbc_news/bbc_news_octis.csv "
     "--config bench/configs/bbc-input.toml --trials 30"),
    ("generated, MiniLM or TF-IDF + SVD", "tuned-generated-all-models", "tune --trials 25"),
]


def tune_searches() -> str:
    """The `topic-curator tune` searches behind the UMAP and BIRCH defaults, from their trials files."""
    lines = ["| search | command (besides `--store`) | trials (done) | first trial of each model | best |",
             "|---|---|---|---|---|"]
    for name, stem, command in TUNE_SEARCHES:
        trials = pd.read_csv(BENCH / "configs" / f"{stem}-trials.csv")
        done = trials[trials.state == "complete"]
        firsts = done.groupby("embedding_model", sort=False).score.first()
        several = len(firsts) > 1
        first = " / ".join(f"{score:.3f}" + (f" ({model})" if several else "") for model, score in firsts.items())
        best = done.loc[done.score.idxmax()]
        lines.append(f"| {name} | `{command}` | {len(trials)} ({len(done)}) | {first} "
                     f"| {best.score:.3f}{f' ({best.embedding_model})' if several else ''} |")
    return "\n".join(lines)


def tables() -> dict[str, Callable[[], str]]:
    import drilldown
    import effort
    import embeddings
    import keywords
    import labels
    import levers
    import quality
    import sampling

    return {
        "goals": goals,
        "levers": lambda: levers.table(rows("levers.json")),
        "tune-searches": tune_searches,
        "quality-summary": lambda: quality.table(rows(*QUALITY_RUNS)),
        "quality-by-topics": lambda: quality.by_topics_table(rows(*QUALITY_RUNS)),
        "keywords": lambda: keywords.table(rows("keywords.json")),
        "drilldown": lambda: drilldown.table(rows("drilldown.json")),
        "effort": lambda: effort.table(rows("effort.json")),
        "labels": lambda: labels.table(rows("labels.json")),
        "embeddings": lambda: embeddings.tables(rows("embeddings.json")),
        "sampling": lambda: sampling.tables(rows("sampling.json")),
    }


def regenerate(text: str) -> tuple[str, list[str]]:
    """QUALITY.md with every table printed afresh, and the names of those that changed."""
    makers, changed = tables(), []

    def fresh(match: re.Match) -> str:
        name = match["name"]
        if name not in makers:
            raise SystemExit(f"QUALITY.md names a table {name!r} that bench/tables.py does not know")
        body = makers[name]().rstrip("\n") + "\n"
        if body != match["body"]:
            changed.append(name)
        return match[1] + body + match[4]

    return BLOCK.sub(fresh, text), changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a table is stale")
    args = parser.parse_args()
    text, changed = regenerate(QUALITY.read_text())
    if args.check:
        if changed:
            sys.exit(f"stale tables in {QUALITY.name}: {', '.join(changed)} (run bench/tables.py)")
        print("every table matches its results")
        return
    QUALITY.write_text(text)
    print(f"rewrote {len(changed)} table(s): {', '.join(changed) or 'none changed'}")


if __name__ == "__main__":
    main()
