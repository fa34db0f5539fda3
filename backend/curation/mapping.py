"""The mapping between layers: per topic of a fitted layer, its label and what becomes of it.

A topic is ``kept`` (optionally marked ``drill_down`` for the next layer), ``merged`` into another
kept topic of the same parent, ``discarded`` (its documents become "Unassigned/other", still
exported) or ``split`` (emptied into new topics). Documents a person placed by hand (moved, or
split off) are listed in ``assignments``; every other document follows its raw cluster. The log
of operations that produced the mapping travels with it (``backend.curation``).

The format is versioned and described by ``schemas/mapping.schema.json``; ``validate`` checks the
schema and that the mapping fits the layer it names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from backend.errors import MappingError
from backend.topics.layer_result import UNASSIGNED_LABEL, LayerResult

FORMAT = "topic-curator/mapping"
SCHEMA_VERSION = 1
Status = Literal["kept", "merged", "discarded", "split"]


@dataclass(frozen=True)
class TopicDecision:
    label: str
    status: Status = "kept"
    merged_into: str | None = None
    drill_down: bool = False
    note: str = ""
    # "model": a cluster of the fitted layer; "person": made by a split (of ``split_from``).
    origin: str = "model"
    split_from: str | None = None


@dataclass(frozen=True)
class Mapping:
    run_id: str
    layer: int
    layer_fingerprint: str
    topics: dict[str, TopicDecision]
    version: int | None = None
    created_by: str = ""
    created_at: str = ""
    approved_by: str | None = None
    approved_at: str | None = None
    # Document id -> topic key, for documents a person placed (moved or split off).
    assignments: dict[str, str] = field(default_factory=dict)
    # The typed operations (backend.curation.operations) since the layer was fitted.
    operations: tuple[Any, ...] = ()
    # The saved version this mapping was edited from (None for the first).
    parent_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "layer": self.layer,
            "layer_fingerprint": self.layer_fingerprint,
            "version": self.version,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
            "parent_version": self.parent_version,
            "topics": {
                key: {
                    "label": d.label,
                    "status": d.status,
                    "merged_into": d.merged_into,
                    "drill_down": d.drill_down,
                    "note": d.note,
                    "origin": d.origin,
                    "split_from": d.split_from,
                }
                for key, d in sorted(self.topics.items(), key=lambda kv: sort_key(kv[0]))
            },
            "assignments": dict(sorted(self.assignments.items())),
            "operations": [op.to_dict() for op in self.operations],
        }

    def with_meta(self, **changes: Any) -> "Mapping":
        return replace(self, **changes)

    def label_of(self, key: str) -> str:
        """The label documents of topic ``key`` end up with (after merges and discards)."""
        target = self.resolve(key)
        return UNASSIGNED_LABEL if target is None else self.topics[target].label

    def resolve(self, key: str) -> str | None:
        """The kept topic that ``key``'s documents belong to, or None when discarded."""
        seen = set()
        while key not in seen:
            seen.add(key)
            decision = self.topics.get(key)
            if decision is None or decision.status in {"discarded", "split"}:
                return None
            if decision.status != "merged" or not decision.merged_into:
                return key
            key = decision.merged_into
        return None  # a merge cycle: validate() reports it

    @property
    def drill_down_topics(self) -> list[str]:
        return sorted((k for k, d in self.topics.items() if d.status == "kept" and d.drill_down), key=sort_key)


def initial_mapping(run_id: str, result: LayerResult, created_by: str = "topic-curator") -> Mapping:
    """Every topic kept under its keyword label: the starting point analysts curate."""
    return Mapping(
        run_id=run_id,
        layer=result.layer,
        layer_fingerprint=result.fingerprint,
        topics={key: TopicDecision(label=topic.default_label) for key, topic in result.topics.items()},
        created_by=created_by,
    )


def mapping_from_dict(data: Any) -> Mapping:
    """Parse and schema-check a mapping; raise MappingError naming every problem."""
    from backend.curation.operations import operation_from_dict

    _check_schema(data)
    return Mapping(
        run_id=data["run_id"],
        layer=int(data["layer"]),
        layer_fingerprint=data["layer_fingerprint"],
        topics={
            key: TopicDecision(
                label=value["label"].strip(),
                status=value["status"],
                merged_into=value.get("merged_into"),
                drill_down=bool(value.get("drill_down", False)),
                note=value.get("note", ""),
                origin=value.get("origin", "model"),
                split_from=value.get("split_from"),
            )
            for key, value in data["topics"].items()
        },
        assignments={str(k): str(v) for k, v in data.get("assignments", {}).items()},
        operations=tuple(operation_from_dict(op) for op in data.get("operations", [])),
        parent_version=data.get("parent_version"),
        version=data.get("version"),
        created_by=data.get("created_by", ""),
        created_at=data.get("created_at", ""),
        approved_by=data.get("approved_by"),
        approved_at=data.get("approved_at"),
    )


def mapping_from_json(text: str | bytes, source: str = "mapping") -> Mapping:
    """A mapping from a file people edit: a key given twice (JSON keeps only the last, silently)
    and nesting too deep to read are refused, as is anything that is not valid JSON."""
    fix = "Fix the file, or export a fresh mapping (topic-curator mapping RUN --output FILE)."
    try:
        data = json.loads(text, object_pairs_hook=_refuse_repeated_keys)
        return mapping_from_dict(data)
    except _RepeatedKeyError as exc:
        raise MappingError(f"{source} gives the key {exc.args[0]!r} twice in one object; only one can count.",
                           fix) from None
    except RecursionError:
        raise MappingError(f"{source} is nested too deeply to read; a mapping is a few levels deep.", fix) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{source} is not valid JSON: {exc}", fix) from exc


class _RepeatedKeyError(ValueError):
    pass


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        raise _RepeatedKeyError(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return data


def validate(mapping: Mapping, result: LayerResult, run_id: str | None = None) -> Mapping:
    """Check that ``mapping`` fits this fitted layer; return it unchanged or raise MappingError."""
    problems: list[str] = []
    if run_id is not None and mapping.run_id != run_id:
        problems.append(f"it belongs to run {mapping.run_id!r}, not {run_id!r}")
    if mapping.layer != result.layer:
        problems.append(f"it is for layer {mapping.layer}, but layer {result.layer} is waiting")
    if mapping.layer_fingerprint != result.fingerprint:
        raise MappingError(
            f"The mapping is stale: it was made for another fit of layer {result.layer} "
            f"(fingerprint {mapping.layer_fingerprint}, current {result.fingerprint}).",
            "Start from the layer's current mapping (topic-curator status shows where it is) and redo the changes.",
        )
    made = {k for k, d in mapping.topics.items() if d.origin == "person" and _split_off(k, d, mapping, result)}
    unknown = sorted(set(mapping.topics) - set(result.topics) - made, key=sort_key)
    missing = sorted(set(result.topics) - set(mapping.topics), key=sort_key)
    placed_in = set(mapping.assignments.values())
    if placed_in - set(mapping.topics):
        problems.append(f"documents placed in unknown topic(s) {', '.join(sorted(placed_in - set(mapping.topics)))}")
    known_ids = set(result.assignments["id"].astype(str))
    strangers = [d for d in mapping.assignments if d not in known_ids]
    if strangers:
        problems.append(f"{len(strangers)} placed document id(s) not in the layer, e.g. {', '.join(strangers[:3])}")
    if unknown:
        problems.append(f"unknown topic id(s) {', '.join(unknown)}")
    if missing:
        problems.append(f"no decision for topic(s) {', '.join(missing)}")
    for key, decision in mapping.topics.items():
        problems.extend(_decision_problems(key, decision, mapping, result))
    if problems:
        raise MappingError(
            f"The layer-{result.layer} mapping does not fit the layer: " + "; ".join(problems) + ".",
            f"Valid topic ids are {', '.join(sorted(result.topics, key=sort_key))}.",
        )
    _check_schema(mapping.to_dict())  # a mapping made in Python meets the same format as a file
    return mapping


def effective_topics(mapping: Mapping, assignments: pd.DataFrame) -> pd.Series:
    """Per document (row of ``assignments``), its kept topic after merges; missing if discarded."""
    resolved = {key: mapping.resolve(key) for key in mapping.topics}
    topics = assignments["topic"].astype(str)
    if mapping.assignments:
        placed = assignments["id"].astype(str).map(mapping.assignments)
        topics = placed.where(placed.notna(), topics)
    return topics.map(resolved)


def drill_down_rows(mapping: Mapping, assignments: pd.DataFrame, docs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Parent key -> row positions in ``docs`` of the documents the next layer splits."""
    position = pd.Series(np.arange(len(docs)), index=docs["id"].astype(str))
    effective = effective_topics(mapping, assignments)
    return {
        key: position.loc[assignments["id"][effective == key].astype(str)].to_numpy()
        for key in mapping.drill_down_topics
    }


def _split_off(key: str, decision: TopicDecision, mapping: Mapping, result: LayerResult) -> bool:
    """A topic a person made is new only as a split of a topic of the layer, beside it in the tree:
    saying ``"origin": "person"`` does not make an unknown topic known."""
    source = decision.split_from
    return (key not in result.topics and source is not None and source != key and source in mapping.topics
            and (source in result.topics or mapping.topics[source].origin == "person")
            and parent_of(source) == parent_of(key))


def _decision_problems(key: str, decision: TopicDecision, mapping: Mapping, result: LayerResult) -> list[str]:
    if not decision.label.strip():
        return [f"topic {key} has an empty label"]
    if decision.label != decision.label.strip():
        return [f"topic {key}'s label {decision.label!r} has leading or trailing spaces"]
    if decision.status == "merged":
        target = decision.merged_into
        if not target or target not in mapping.topics:
            return [f"topic {key} is merged into unknown topic {target!r}"]
        if target == key:
            return [f"topic {key} is merged into itself"]
        if mapping.topics[target].status == "merged":
            return [f"topic {key} is merged into {target}, which is itself merged (point at the final topic)"]
        if parent_of(key) != parent_of(target):
            return [f"topic {key} is merged into {target}, which has another parent"]
        if decision.drill_down:
            return [f"topic {key} is merged, so it cannot be drilled into (mark {target} instead)"]
    elif decision.merged_into:
        return [f"topic {key} has merged_into but status {decision.status!r}"]
    if decision.status in {"discarded", "split"} and decision.drill_down:
        return [f"topic {key} is {decision.status}, so it cannot be drilled into"]
    if decision.drill_down and mapping.layer >= 3:
        return [f"topic {key} is in the last layer and cannot be drilled into"]
    return []


@cache
def mapping_schema() -> dict[str, Any]:
    return json.loads(resources.files("backend.curation").joinpath("schemas/mapping.schema.json").read_text("utf-8"))


def _check_schema(data: Any) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(mapping_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors[:5]
        )
        raise MappingError(
            f"The mapping does not follow the mapping format: {details}.",
            "Compare it with backend/curation/schemas/mapping.schema.json, or start from the layer's current mapping.",
        )


def parent_of(key: str) -> str | None:
    """Topic keys spell their place in the tree: the parent of "3.1" is "3"; layer-1 keys have none."""
    return key.rsplit(".", 1)[0] if "." in key else None


def sort_key(key: str) -> tuple[int, ...]:
    """Order topic keys as numbers: "2" < "10" < "10.1"."""
    return tuple(int(part) for part in key.split(".") if part.isdigit())
