"""``apply(mapping, op, index) -> mapping``: each operation checked, then applied to a new value.

Mappings are never changed in place. Undo is replaying the log without its last operation, and
replaying a mapping's whole log over the layer's raw clusters (``replay``) rebuilds it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping, TopicDecision, parent_of, sort_key
from backend.curation.operations import Discard, DrillDown, Merge, Move, Note, Operation, Rename, Split
from backend.errors import MappingError

MAX_LABEL = 120
MAX_NOTE = 2000


def apply(mapping: Mapping, op: Operation, index: LayerIndex) -> Mapping:
    """The mapping after ``op``, with ``op`` appended to its log; MappingError if ``op`` is invalid."""
    handler = _HANDLERS.get(type(op))
    if handler is None:
        raise MappingError(f"Unknown operation {type(op).__name__}.")
    changed = handler(mapping, op, index)
    return replace(changed, operations=mapping.operations + (op,))


def replay(start: Mapping, operations: Iterable[Operation], index: LayerIndex) -> Mapping:
    """Apply ``operations`` in order to ``start`` (normally the layer's initial mapping)."""
    mapping = start
    for op in operations:
        mapping = apply(mapping, op, index)
    return mapping


def clean_label(label: str) -> str:
    text = re.sub(r"\s+", " ", str(label)).strip()
    if not text:
        raise MappingError("A label cannot be empty.", "Type a short name for the use case.")
    if len(text) > MAX_LABEL:
        raise MappingError(f"The label is {len(text)} characters long; at most {MAX_LABEL} are allowed.",
                           "Shorten it; put details in a note.")
    return text


def _kept(mapping: Mapping, key: str, action: str) -> TopicDecision:
    decision = mapping.topics.get(key)
    if decision is None:
        raise MappingError(f"Cannot {action}: there is no topic {key!r} in layer {mapping.layer}.",
                           "Pick one of the layer's topics.")
    if decision.status != "kept":
        where = f" into {decision.merged_into}" if decision.status == "merged" else ""
        raise MappingError(f"Cannot {action}: topic {key} was {decision.status}{where}.",
                           "Undo that change first, or pick a kept topic.")
    return decision


def _with_topics(mapping: Mapping, changes: dict[str, TopicDecision], assignments: dict[str, str] | None = None) -> Mapping:
    return replace(
        mapping,
        topics={**mapping.topics, **changes},
        assignments=mapping.assignments if assignments is None else assignments,
    )


def _rename(mapping: Mapping, op: Rename, index: LayerIndex) -> Mapping:
    decision = _kept(mapping, op.topic, "rename")
    return _with_topics(mapping, {op.topic: replace(decision, label=clean_label(op.label))})


def _merge(mapping: Mapping, op: Merge, index: LayerIndex) -> Mapping:
    topics = list(dict.fromkeys(op.topics))
    if len(topics) < 2:
        raise MappingError("Merging needs at least two different topics (a topic cannot merge with itself).")
    target = op.into or topics[0]
    if target not in topics:
        raise MappingError(f"The merge target {target} must be one of the merged topics.")
    decisions = {key: _kept(mapping, key, "merge") for key in topics}
    parents = {parent_of(key) for key in topics}
    if len(parents) > 1:
        raise MappingError("Only topics with the same parent can be merged (the use-case tree must stay a tree).",
                           "Merge sub-topics within one parent, or merge the parents one layer up.")
    sources = [key for key in topics if key != target]
    changes = {
        key: replace(decisions[key], status="merged", merged_into=target, drill_down=False) for key in sources
    }
    # Topics merged earlier into a source now point at the target directly.
    changes.update({
        key: replace(d, merged_into=target)
        for key, d in mapping.topics.items() if d.status == "merged" and d.merged_into in sources
    })
    label = clean_label(op.label) if op.label else decisions[target].label
    changes[target] = replace(decisions[target], label=label,
                              drill_down=any(decisions[k].drill_down for k in topics))
    return _with_topics(mapping, changes)


def _split(mapping: Mapping, op: Split, index: LayerIndex) -> Mapping:
    decision = _kept(mapping, op.topic, "split")
    members = index.members(mapping, op.topic)
    if len(members) < 2:
        raise MappingError(f"Topic {op.topic} has {len(members)} document(s); splitting needs at least 2.")
    groups = [tuple(dict.fromkeys(g)) for g in op.groups if len(g)]
    if not groups:
        raise MappingError("A split needs at least one non-empty group of documents.")
    chosen = [doc for group in groups for doc in group]
    if len(chosen) != len(set(chosen)):
        raise MappingError("A document appears in two groups of the split.")
    positions = index.positions(chosen)
    outside = set(positions.tolist()) - set(members.tolist())
    if outside:
        raise MappingError(f"{len(outside)} of the selected documents are not in topic {op.topic}.",
                           "Select documents of the topic being split only.")
    whole = len(chosen) == len(members)
    if whole and len(groups) < 2:
        raise MappingError(f"Splitting all of topic {op.topic} into one group changes nothing.",
                           "Choose at least two groups, or select only some of its documents.")
    new_keys = _new_keys(mapping, op.topic, len(groups))
    changes = {
        key: TopicDecision(label=clean_label(op.labels[i]) if i < len(op.labels) and op.labels[i]
                           else clean_label(f"{decision.label} ({i + 1})"[:MAX_LABEL]),
                           origin="person", split_from=op.topic)
        for i, key in enumerate(new_keys)
    }
    if whole:
        changes[op.topic] = replace(decision, status="split", drill_down=False)
    assignments = {**mapping.assignments, **{doc: key for key, group in zip(new_keys, groups) for doc in group}}
    return _with_topics(mapping, changes, assignments)


def _new_keys(mapping: Mapping, topic: str, count: int) -> list[str]:
    """Fresh keys at the same level as ``topic`` (same parent), after the highest in use."""
    parent = parent_of(topic)
    siblings = [k for k in mapping.topics if parent_of(k) == parent]
    highest = max(int(k.rsplit(".", 1)[-1]) for k in siblings)
    prefix = f"{parent}." if parent else ""
    return [f"{prefix}{highest + i}" for i in range(1, count + 1)]


def _move(mapping: Mapping, op: Move, index: LayerIndex) -> Mapping:
    if not op.documents:
        raise MappingError("Select at least one document to move.")
    _kept(mapping, op.to, "move documents")
    positions = index.positions(op.documents)
    target_parent = parent_of(op.to)
    foreign = [d for d, raw in zip(op.documents, index.raw_topic_of(positions)) if parent_of(str(raw)) != target_parent]
    if foreign:
        raise MappingError(
            f"{len(foreign)} document(s) belong to another parent topic than {op.to}, e.g. {', '.join(foreign[:3])}.",
            "Documents can only move between sub-topics of the same parent.",
        )
    return _with_topics(mapping, {}, {**mapping.assignments, **{doc: op.to for doc in op.documents}})


def _discard(mapping: Mapping, op: Discard, index: LayerIndex) -> Mapping:
    decision = _kept(mapping, op.topic, "discard")
    return _with_topics(mapping, {op.topic: replace(decision, status="discarded", drill_down=False)})


def _drill_down(mapping: Mapping, op: DrillDown, index: LayerIndex) -> Mapping:
    decision = _kept(mapping, op.topic, "mark for drill-down")
    if op.on and mapping.layer >= 3:
        raise MappingError("Layer 3 is the last layer: its topics cannot be drilled into.")
    return _with_topics(mapping, {op.topic: replace(decision, drill_down=op.on)})


def _note(mapping: Mapping, op: Note, index: LayerIndex) -> Mapping:
    decision = mapping.topics.get(op.topic)
    if decision is None:
        raise MappingError(f"Cannot add a note: there is no topic {op.topic!r}.")
    text = op.text.strip()
    if len(text) > MAX_NOTE:
        raise MappingError(f"The note is {len(text)} characters long; at most {MAX_NOTE} are allowed.")
    return _with_topics(mapping, {op.topic: replace(decision, note=text)})


_HANDLERS: dict[type, Callable[[Mapping, Operation, LayerIndex], Mapping]] = {
    Rename: _rename,
    Merge: _merge,
    Split: _split,
    Move: _move,
    Discard: _discard,
    DrillDown: _drill_down,
    Note: _note,
}

__all__ = ["apply", "replay", "clean_label", "sort_key"]
