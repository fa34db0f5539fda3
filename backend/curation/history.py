"""Undo and redo over a saved mapping version: the states after each operation, kept in memory.

Undo returns the state before the last operation, which is exactly what replaying the log without
that operation gives (a property test checks it); keeping the states makes undo instant.
"""

from __future__ import annotations

from backend.curation.apply import apply
from backend.curation.layer_index import LayerIndex
from backend.curation.mapping import Mapping
from backend.curation.operations import Operation
from backend.errors import MappingError


class History:
    def __init__(self, base: Mapping, index: LayerIndex, pending: tuple[Operation, ...] = (),
                 redo: tuple[Operation, ...] = ()) -> None:
        self.base = base
        self.index = index
        self._states: list[Mapping] = [base]
        self._redo: list[Operation] = list(redo)
        for op in pending:
            self._states.append(apply(self._states[-1], op, index))

    @property
    def current(self) -> Mapping:
        return self._states[-1]

    @property
    def pending(self) -> tuple[Operation, ...]:
        """Operations applied since the base version was loaded (what a save would add)."""
        return self.current.operations[len(self.base.operations):]

    @property
    def redo_stack(self) -> tuple[Operation, ...]:
        return tuple(self._redo)

    @property
    def can_undo(self) -> bool:
        return len(self._states) > 1

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def apply(self, op: Operation) -> Mapping:
        """Apply ``op`` (raising MappingError, with nothing changed, if it is invalid)."""
        self._states.append(apply(self.current, op, self.index))
        self._redo.clear()
        return self.current

    def undo(self) -> Mapping:
        if not self.can_undo:
            raise MappingError("Nothing to undo since the last save.")
        self._redo.append(self.current.operations[-1])
        self._states.pop()
        return self.current

    def redo(self) -> Mapping:
        if not self.can_redo:
            raise MappingError("Nothing to redo.")
        self._states.append(apply(self.current, self._redo.pop(), self.index))
        return self.current
