"""The analyst's effort: how many curation operations, touching how many documents, a person with
the truth in hand needs before each layer of the sample run is 90% pure.

    .venv/bin/python bench/effort.py --json bench/results/effort.json
    .venv/bin/python bench/effort.py --tables-from bench/results/effort.json

The sample is what `make run` makes (5,000 generated records, seed 42), with its true tree: 25 use
cases (layer 1's truth) and 68 sub-use-cases (layer 2's). Per layer, the simulated analyst works
through the product's own operations and previews, in this order:

1. **split** a topic whose documents mix truths (its majority holds under 90% and another truth at
   least 10% of it, 20 documents or more), with the split preview (BIRCH on the topic's reduced
   embeddings, as many parts as it has such truths); the split is kept only if purity rises,
   otherwise the preview was looked at and declined (counted as a preview, not an operation);
2. **merge** topics whose majority truth is the same;
3. **move** the largest group of misplaced documents (same topic, same truth) to the sibling topic
   whose majority is their truth, or split them off as a new topic when no sibling has it, until
   the layer is 90% pure (merges and moves stay within one parent topic, as the product requires);
4. **rename** every kept topic.

Layer 1 is then approved with drill-down marks on every topic whose documents span more than one
sub-use-case, and layer 2 is fitted by the runner, as `make run` would, and curated the same way.
Purity: the share of a layer's documents whose truth is their topic's majority truth (discarded
documents count as misplaced).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / ".cache" / "effort"
RUN_ID = "sample"
TARGET = 0.90
TRUTH = {1: "true_use_case", 2: "true_sub_use_case"}
MIN_SHARE, MIN_DOCUMENTS, MAX_PARTS = 0.10, 20, 8
DEFAULT_LABEL, BEFORE_LABEL = "today's defaults", "defaults before 2026-12"


@dataclass
class Effort:
    layer: int
    start_purity: float = 0.0
    end_purity: float = 0.0
    topics_before: int = 0
    topics_after: int = 0
    operations: Counter = field(default_factory=Counter)
    documents: Counter = field(default_factory=Counter)
    previews_declined: int = 0

    def row(self) -> dict:
        return {"layer": self.layer, "truth": TRUTH[self.layer], "start_purity": round(self.start_purity, 3),
                "end_purity": round(self.end_purity, 3), "topics_before": self.topics_before,
                "topics_after": self.topics_after, **{f"{k}_ops": self.operations[k] for k in
                                                      ("split", "merge", "move", "rename")},
                "operations": sum(self.operations.values()),
                "documents_touched": sum(self.documents.values()), "previews_declined": self.previews_declined}


class Layer:
    """One layer of the run, with the truth of each of its documents, curated in memory."""

    def __init__(self, store, layer: int, truth: pd.Series) -> None:
        from backend.curation.session import LayerContext
        from backend.curation.versions import load_version

        self.context = LayerContext(store, RUN_ID, layer)
        self.index = self.context.index
        self.truth = truth.reindex(pd.Index(self.index.ids)).to_numpy()
        self.mapping = load_version(store, RUN_ID, layer)

    def apply(self, op) -> None:
        from backend.curation.apply import apply

        self.mapping = apply(self.mapping, op, self.index)

    def table(self) -> pd.DataFrame:
        """Per document: its topic ('' when discarded) and its truth."""
        codes, keys = self.index.membership_codes(self.mapping)
        return pd.DataFrame({"topic": np.array(keys + [""], dtype=object)[codes], "truth": self.truth})

    def purity(self) -> float:
        table = self.table()
        kept = table[table["topic"] != ""]
        return float(kept.groupby("topic")["truth"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(table))

    def majorities(self) -> dict[str, str]:
        table = self.table()
        kept = table[table["topic"] != ""]
        return kept.groupby("topic")["truth"].agg(lambda s: s.value_counts().index[0]).to_dict()

    def kept(self) -> list[str]:
        return [k for k, d in self.mapping.topics.items() if d.status == "kept"]


def curate(layer: Layer, number: int) -> Effort:
    from backend.curation.mapping import parent_of
    from backend.curation.operations import Merge, Move, Rename
    from backend.curation.preview import preview_split, preview_split_groups
    from backend.errors import CuratorError

    effort = Effort(number, start_purity=layer.purity(), topics_before=len(layer.kept()))
    for topic in list(layer.kept()):  # 1. split what mixes truths
        truths = layer.table().query("topic == @topic")["truth"].value_counts(normalize=True)
        size = int(layer.table().query("topic == @topic").shape[0])
        parts = int(((truths >= MIN_SHARE) & (truths * size >= MIN_DOCUMENTS)).sum())
        if truths.iloc[0] >= TARGET or parts < 2:
            continue
        try:
            preview = preview_split(layer.mapping, topic, min(parts, MAX_PARTS), layer.index, layer.context.keyword_index)
        except CuratorError:
            continue
        before, saved = layer.purity(), layer.mapping
        layer.apply(preview.operation)
        if layer.purity() > before:
            effort.operations["split"] += 1
            effort.documents["split"] += size
        else:
            layer.mapping, effort.previews_declined = saved, effort.previews_declined + 1

    by_truth: dict[tuple[str, str], list[str]] = {}  # 2. merge topics that hold the same truth (siblings only)
    for topic, truth in layer.majorities().items():
        by_truth.setdefault((parent_of(topic), truth), []).append(topic)
    sizes = layer.index.sizes(layer.mapping)
    for topics in by_truth.values():
        if len(topics) > 1:
            topics = sorted(topics, key=lambda k: -sizes.get(k, 0))
            layer.apply(Merge(topics=tuple(topics), into=topics[0]))
            effort.operations["merge"] += 1
            effort.documents["merge"] += sum(sizes.get(k, 0) for k in topics[1:])

    while layer.purity() < TARGET:  # 3. move what is still misplaced, the largest group first
        table, majorities = layer.table(), layer.majorities()
        home = {(parent_of(topic), truth): topic for topic, truth in majorities.items()}
        misplaced = table[(table["topic"] != "") & (table["topic"].map(majorities) != table["truth"])]
        if misplaced.empty:
            break
        (source, truth), group = max(misplaced.groupby(["topic", "truth"]), key=lambda item: len(item[1]))
        ids = tuple(layer.index.ids[group.index.to_numpy()])
        if (parent_of(source), truth) in home:  # documents move between siblings only
            layer.apply(Move(documents=ids, to=home[(parent_of(source), truth)]))
        else:
            layer.apply(preview_split_groups(layer.mapping, source, (ids,), layer.index,
                                             layer.context.keyword_index).operation)
        effort.operations["move"] += 1
        effort.documents["move"] += len(ids)

    for topic in layer.kept():  # 4. name every topic
        layer.apply(Rename(topic=topic, label=f"{layer.majorities().get(topic, topic)}"))
        effort.operations["rename"] += 1
    effort.end_purity, effort.topics_after = layer.purity(), len(layer.kept())
    return effort


def drill_down_marks(layer: Layer, sub_truth: pd.Series) -> list:
    """Mark every topic whose documents span more than one sub-use-case (each counts as a click)."""
    from backend.curation.operations import DrillDown

    subs = sub_truth.reindex(pd.Index(layer.index.ids)).to_numpy()
    table = layer.table().assign(sub=subs)
    wide = table[table["topic"] != ""].groupby("topic")["sub"].nunique()
    return [DrillDown(topic=t) for t in wide[wide > 1].index]


def measure(config: Path | None, label: str) -> list[dict]:
    from backend.runs.decisions import approve
    from backend.runs.runner import LocalRunner
    from backend.settings import Settings, load_settings
    from backend.store.local import LocalStore
    from backend.text.sample_data import generate_opportunities

    settings = load_settings(config) if config else Settings()
    folder = WORK / (config.stem if config else "defaults")
    shutil.rmtree(folder, ignore_errors=True)
    store = LocalStore(folder / "store")
    records = generate_opportunities(5000, seed=42)
    truth = records.set_index(records["opportunity_id"].astype(str))
    started = time.perf_counter()
    LocalRunner(store).start(records, settings, RUN_ID)
    print(f"layer 1 fitted in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    layer1 = Layer(store, 1, truth[TRUTH[1]])
    first = curate(layer1, 1)
    marks = drill_down_marks(layer1, truth[TRUTH[2]])
    for op in marks:
        layer1.apply(op)
    first.operations["drill-down mark"] += len(marks)
    approve(store, RUN_ID, "effort", settings, mapping=layer1.mapping, how="bench/effort.py")
    started = time.perf_counter()
    LocalRunner(store).resume(RUN_ID)
    print(f"layer 2 fitted in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    second = curate(Layer(store, 2, truth[TRUTH[2]]), 2)
    rows = []
    for effort in (first, second):
        row = effort.row()
        row["drill_down_marks"] = effort.operations["drill-down mark"]
        row["operations"] = sum(v for k, v in effort.operations.items() if k != "drill-down mark")
        rows.append({"settings": label, **row})
    return rows


def table(rows: list[dict]) -> str:
    """Before and today's defaults first, then each lever in the order measured."""
    first = {BEFORE_LABEL: 0, DEFAULT_LABEL: 1}
    rows = sorted(rows, key=lambda r: first.get(r["settings"], 2))
    lines = ["| settings | layer (truth) | purity before | purity after | topics before → after | splits | merges "
             "| moves | renames | drill-down marks | operations | documents touched | split previews declined |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['settings']} | {r['layer']} ({r['truth'].removeprefix('true_').replace('_', ' ')}) "
              f"| {r['start_purity']:.3f} | {r['end_purity']:.3f} | {r['topics_before']} → {r['topics_after']} "
              f"| {r['split_ops']} | {r['merge_ops']} | {r['move_ops']} | {r['rename_ops']} | {r['drill_down_marks']} "
              f"| {r['operations']} | {r['documents_touched']:,} | {r['previews_declined']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="settings file (default: today's defaults)")
    parser.add_argument("--label", default=DEFAULT_LABEL)
    parser.add_argument("--json", type=Path, help="append the rows to this file")
    parser.add_argument("--tables-from", type=Path)
    args = parser.parse_args()
    if args.tables_from:
        rows = json.loads(args.tables_from.read_text())
    else:
        rows = measure(args.config, args.label)
        if args.json:
            kept = json.loads(args.json.read_text()) if args.json.exists() else []
            kept = [r for r in kept if r["settings"] != args.label]
            args.json.write_text(json.dumps(kept + rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
