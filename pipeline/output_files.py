"""Files the CLI writes for people (exports, mappings, predictions): checked before any is written,
and each written to a temporary file beside it and renamed, so a failure never leaves half a file or
half of a set of files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from backend.errors import CuratorError


def check_outputs(*paths: Path | None) -> None:
    """Refuse, before anything is written, any path that cannot become a file we write:
    a folder, a path under a file, a read-only or special place (/proc, /sys)."""
    for path in (Path(p) for p in paths if p is not None):
        if path.is_dir():
            raise _refused(path, "is a folder", f"Give a file name, e.g. {path / 'labels.csv'}.")
        folder = path.parent
        while not folder.exists():  # the folders still to create: the first existing one decides
            folder = folder.parent
        if not folder.is_dir():
            raise _refused(path, f"lies under {folder}, which is a file, not a folder",
                           "Choose a path in a folder, or move that file away.")
        try:  # the only sure test: make (and remove) a file there
            handle, probe = tempfile.mkstemp(dir=folder, prefix=".topic-curator-probe-")
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise _refused(path, f"cannot be written in {folder} ({exc.strerror})",
                           "Choose a folder you may write to (not a read-only mount, /proc or /sys).") from exc


def write_output(path: Path, write: Callable[[Path], None]) -> None:
    """Write a file through ``write(temporary_path)``, then rename it into place (all or nothing)."""
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        temporary = Path(name)
        write(temporary)
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise _refused(path, f"could not be written ({exc.strerror or exc})",
                       "Check the path, free space and permissions, then run the command again.") from exc
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _refused(path: Path, why: str, fix: str) -> CuratorError:
    return CuratorError(f"The output path {path} {why}; nothing was written.", fix)
