"""Typed curation operations: what an analyst did, with who, when and why.

Operations are plain frozen values that serialise to JSON. A mapping carries the append-only log
of every operation since the layer was fitted, so replaying the log over the layer's raw clusters
always rebuilds the same mapping (``backend.curation.apply.replay``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar

from backend.errors import MappingError


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, kw_only=True)
class Operation:
    kind: ClassVar[str] = ""
    # Whether it can change which documents a kept topic holds: the app keeps keywords, the map and
    # the document frame across the operations that cannot (a rename, a note, a drill-down mark).
    changes_membership: ClassVar[bool] = True
    by: str = ""
    at: str = field(default_factory=_now)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = [list(v) if isinstance(v, tuple) else v for v in value]
        return {"type": self.kind, **data}

    def describe(self) -> str:
        """One line for people: the history list and the diff use it."""
        return self.kind


@dataclass(frozen=True, kw_only=True)
class Rename(Operation):
    kind: ClassVar[str] = "rename"
    changes_membership: ClassVar[bool] = False
    topic: str
    label: str

    def describe(self) -> str:
        return f"rename {self.topic} to {self.label!r}"


@dataclass(frozen=True, kw_only=True)
class Merge(Operation):
    kind: ClassVar[str] = "merge"
    topics: tuple[str, ...]
    into: str | None = None  # default: the first of ``topics``
    label: str | None = None  # default: the target's label

    def describe(self) -> str:
        return f"merge {', '.join(self.topics)} into {self.into or self.topics[0]}"


@dataclass(frozen=True, kw_only=True)
class Split(Operation):
    """Move each group of documents of ``topic`` into a new topic.

    Groups that cover every document of the topic (a re-clustering) leave it empty: it is marked
    ``split``. A single group (a lasso selection) carves a new topic out and the rest stays.
    """

    kind: ClassVar[str] = "split"
    topic: str
    groups: tuple[tuple[str, ...], ...]
    labels: tuple[str, ...] = ()

    def describe(self) -> str:
        sizes = [len(g) for g in self.groups]
        if len(sizes) == 1:
            return f"split {_count(sizes[0], 'document')} off topic {self.topic} into a new topic"
        return f"split topic {self.topic} into {len(sizes)} topics ({' + '.join(map(str, sizes))} documents)"


@dataclass(frozen=True, kw_only=True)
class Move(Operation):
    kind: ClassVar[str] = "move"
    documents: tuple[str, ...]
    to: str

    def describe(self) -> str:
        return f"move {_count(len(self.documents), 'document')} to topic {self.to}"


@dataclass(frozen=True, kw_only=True)
class Discard(Operation):
    kind: ClassVar[str] = "discard"
    topic: str

    def describe(self) -> str:
        return f"discard {self.topic}"


@dataclass(frozen=True, kw_only=True)
class DrillDown(Operation):
    kind: ClassVar[str] = "drill_down"
    changes_membership: ClassVar[bool] = False
    topic: str
    on: bool = True

    def describe(self) -> str:
        return f"{'mark' if self.on else 'unmark'} {self.topic} for drill-down"


@dataclass(frozen=True, kw_only=True)
class Note(Operation):
    kind: ClassVar[str] = "note"
    changes_membership: ClassVar[bool] = False
    topic: str
    text: str

    def describe(self) -> str:
        return f"note on {self.topic}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


OPERATION_TYPES: dict[str, type[Operation]] = {
    cls.kind: cls for cls in (Rename, Merge, Split, Move, Discard, DrillDown, Note)
}


def operation_from_dict(data: dict[str, Any]) -> Operation:
    """Parse one logged operation; raise MappingError naming what is wrong."""
    kind = data.get("type")
    cls = OPERATION_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise MappingError(f"Unknown operation type {kind!r} in the mapping's log.",
                           f"Known types: {', '.join(OPERATION_TYPES)}.")
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    for name in ("topics", "documents", "labels"):
        if name in values:
            values[name] = tuple(str(v) for v in values[name])
    if "groups" in values:
        values["groups"] = tuple(tuple(str(d) for d in group) for group in values["groups"])
    try:
        return cls(**values)
    except TypeError as exc:
        raise MappingError(f"A logged {kind} operation is incomplete: {exc}.") from exc
