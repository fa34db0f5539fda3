"""Errors that explain themselves: what went wrong and what to do about it.

Every error a user can cause (bad input, a stale mapping, a failed storage call) is raised as a
``CuratorError``. The CLI and the app show ``problem`` and ``fix`` as they are, never a traceback.
"""

from __future__ import annotations


class CuratorError(Exception):
    """A problem the user can act on."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem if not fix else f"{problem}\n  what to do: {fix}")
        self.problem = problem
        self.fix = fix


class InputDataError(CuratorError):
    """The input table cannot be used as it is (columns, encoding, ids, size)."""


class SettingsError(CuratorError):
    """A settings file or option has an unknown key or a value out of range."""


class MappingError(CuratorError):
    """A mapping does not fit its layer: unknown topics, bad schema, or a stale base."""


class StoreError(CuratorError):
    """Reading or writing an artifact failed."""


class DamagedArtifactError(StoreError):
    """A stored artifact exists but cannot be parsed (cut short, or changed after it was written)."""


class AlreadyExistsError(StoreError):
    """A conditional write found the key already written (someone saved first)."""


class RunStateError(CuratorError):
    """The run is not in a state that allows the requested action."""


class UnsavedChangesError(RunStateError):
    """Approving would leave out changes the approver has not saved."""

    def __init__(self, problem: str, fix: str = "", count: int = 0) -> None:
        super().__init__(problem, fix)
        self.count = count


class SaveConflictError(StoreError):
    """Someone saved a newer version of the mapping after it was loaded."""

    def __init__(self, problem: str, fix: str = "", latest_version: int | None = None) -> None:
        super().__init__(problem, fix)
        self.latest_version = latest_version
