"""Replaying one analyst's unsaved operations onto a colleague's newer version without overwriting them.

Two operations *overlap* when they touch the same aspect of one topic (its label, note,
drill-down mark or membership; a merge, split or discard touches all of them) or the same
document. An unsaved operation that overlaps one the colleague saved is replayed only if the
analyst chose to keep theirs; otherwise the colleague's stands. Operations that no longer apply
are reported, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from backend.curation.history import History
from backend.curation.mapping import Mapping
from backend.curation.operations import Discard, DrillDown, Merge, Move, Note, Operation, Rename, Split
from backend.errors import MappingError

EVERYTHING = "*"


@dataclass(frozen=True, kw_only=True)
class Edited(Operation):
    """A change a colleague saved without an operation for it (a mapping edited as a file), found by
    comparing the two versions: it is theirs like any operation, so replaying never overwrites it."""

    kind: ClassVar[str] = "edited"
    topic: str
    aspect: str
    detail: str
    documents: tuple[str, ...] = ()

    def describe(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Overlap:
    position: int  # of ``mine`` among the operations being replayed
    mine: Operation
    theirs: tuple[Operation, ...]


@dataclass(frozen=True)
class Conflict:
    operation: Operation
    problem: str


@dataclass(frozen=True)
class RebaseReport:
    replayed: list[Operation] = field(default_factory=list)
    kept_theirs: list[Operation] = field(default_factory=list)  # mine, left out for the colleague's
    failed: list[Conflict] = field(default_factory=list)  # mine, which no longer apply

    def summary(self) -> list[str]:
        lines = [f"kept theirs instead of: {op.describe()}" for op in self.kept_theirs]
        return lines + [f"no longer applies: {c.operation.describe()} ({c.problem})" for c in self.failed]


def touches(op: Operation) -> tuple[set[tuple[str, str]], set[str]]:
    """The (topic, aspect) pairs and the documents ``op`` changes."""
    if isinstance(op, Rename):
        return {(op.topic, "label")}, set()
    if isinstance(op, Note):
        return {(op.topic, "note")}, set()
    if isinstance(op, DrillDown):
        return {(op.topic, "drill down")}, set()
    if isinstance(op, Merge):
        return {(t, EVERYTHING) for t in op.topics}, set()
    if isinstance(op, Discard):
        return {(op.topic, EVERYTHING)}, set()
    if isinstance(op, Split):
        return {(op.topic, EVERYTHING)}, {d for group in op.groups for d in group}
    if isinstance(op, Move):
        return {(op.to, "members")}, set(op.documents)
    if isinstance(op, Edited):
        return {(op.topic, op.aspect)}, set(op.documents)
    return set(), set()


def unlogged_changes(before: Mapping, after: Mapping, logged: Sequence[Operation]) -> list[Edited]:
    """What differs between two versions of a mapping that none of the ``logged`` operations explains."""
    explained: set[tuple[str, str]] = set()
    for op in logged:
        explained |= touches(op)[0]
    found = []
    for key in sorted(set(before.topics) | set(after.topics)):
        old, new = before.topics.get(key), after.topics.get(key)
        if (key, EVERYTHING) in explained or old == new:
            continue
        if old is None or new is None or (old.status, old.merged_into) != (new.status, new.merged_into):
            status = new.status if new else "removed"
            found.append(Edited(topic=key, aspect=EVERYTHING, detail=f"topic {key} made {status}", by=after.created_by))
            continue
        for aspect, was, now in (("label", old.label, new.label), ("note", old.note, new.note),
                                 ("drill down", old.drill_down, new.drill_down)):
            if was != now and (key, aspect) not in explained:
                found.append(Edited(topic=key, aspect=aspect, detail=f"{aspect} of {key} set to {now!r}",
                                    by=after.created_by))
    moved = tuple(sorted(d for d in set(before.assignments) | set(after.assignments)
                         if before.assignments.get(d) != after.assignments.get(d)))
    logged_documents = set().union(*(touches(op)[1] for op in logged)) if logged else set()
    if set(moved) - logged_documents:
        found.append(Edited(topic="", aspect="documents", detail=f"{len(moved)} document(s) placed elsewhere",
                            documents=moved, by=after.created_by))
    return found


def overlap(a: Operation, b: Operation) -> bool:
    topics_a, docs_a = touches(a)
    topics_b, docs_b = touches(b)
    for topic, aspect in topics_a:
        if any(topic == t and EVERYTHING in (aspect, s) or (topic, aspect) == (t, s) for t, s in topics_b):
            return True
    return bool(docs_a & docs_b)


def overlaps(mine: Sequence[Operation], theirs: Sequence[Operation]) -> list[Overlap]:
    """My operations that touch something the colleague changed, with their operations that do."""
    found = []
    for position, op in enumerate(mine):
        against = tuple(other for other in theirs if overlap(op, other))
        if against:
            found.append(Overlap(position, op, against))
    return found


def replay(history: History, mine: Sequence[Operation], theirs: Sequence[Operation],
           keep_mine: Collection[int] = ()) -> RebaseReport:
    """Apply ``mine`` onto ``history`` (the colleague's newer version), in order; an operation that
    overlaps theirs is applied only if its position is in ``keep_mine``."""
    report = RebaseReport()
    contested = {o.position for o in overlaps(mine, theirs)}
    for position, op in enumerate(mine):
        if position in contested and position not in keep_mine:
            report.kept_theirs.append(op)
            continue
        try:
            history.apply(op)
            report.replayed.append(op)
        except MappingError as exc:
            report.failed.append(Conflict(op, exc.problem))
    return report
