"""What changed between two versions of a layer's mapping, for people to review."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.curation.mapping import Mapping, sort_key


@dataclass(frozen=True)
class MappingDiff:
    added: list[str] = field(default_factory=list)  # topics made by splits
    removed: list[str] = field(default_factory=list)  # topics that stopped being kept
    renamed: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (old, new label)
    merged: dict[str, str] = field(default_factory=dict)  # key -> target
    split: dict[str, list[str]] = field(default_factory=dict)  # key -> new topics carved from it
    discarded: list[str] = field(default_factory=list)
    drill_down: dict[str, bool] = field(default_factory=dict)
    moved_documents: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.drill_down or self.moved_documents)

    def summary(self) -> list[str]:
        lines = [f"renamed {k}: {old!r} -> {new!r}" for k, (old, new) in self.renamed.items()]
        lines += [f"merged {k} into {t}" for k, t in self.merged.items()]
        lines += [f"split {k} into {', '.join(v)}" for k, v in self.split.items()]
        lines += [f"discarded {k}" for k in self.discarded]
        lines += [f"{'marked' if on else 'unmarked'} {k} for drill-down" for k, on in self.drill_down.items()]
        if self.moved_documents:
            lines.append(f"{self.moved_documents} document(s) placed in another topic")
        return lines


def diff(old: Mapping, new: Mapping) -> MappingDiff:
    kept_old = {k for k, d in old.topics.items() if d.status == "kept"}
    kept_new = {k for k, d in new.topics.items() if d.status == "kept"}
    added = sorted(set(new.topics) - set(old.topics), key=sort_key)
    removed = sorted(kept_old - kept_new, key=sort_key)
    renamed = {
        k: (old.topics[k].label, new.topics[k].label)
        for k in sorted(kept_old & kept_new, key=sort_key)
        if old.topics[k].label != new.topics[k].label
    }
    merged = {k: new.topics[k].merged_into or "" for k in removed if new.topics[k].status == "merged"}
    discarded = [k for k in removed if new.topics[k].status == "discarded"]
    split: dict[str, list[str]] = {}
    for key in added:
        if new.topics[key].split_from:
            split.setdefault(new.topics[key].split_from, []).append(key)
    drill = {
        k: new.topics[k].drill_down
        for k in sorted(kept_old & kept_new, key=sort_key)
        if old.topics[k].drill_down != new.topics[k].drill_down
    }
    moved = sum(1 for doc, topic in new.assignments.items() if old.assignments.get(doc) != topic)
    moved += sum(1 for doc in old.assignments if doc not in new.assignments)
    return MappingDiff(added, removed, renamed, merged, split, discarded, drill, moved)
