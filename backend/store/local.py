"""A store in a local folder: atomic writes, and conditional writes that never overwrite."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from backend.errors import AlreadyExistsError, StoreError
from backend.store.base import ArtifactStore


class LocalStore(ArtifactStore):
    def __init__(self, root: Path) -> None:
        # Absolute from the start: keys are listed relative to it (a relative root like
        # ./curator-data would not match the resolved paths).
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents and path != self.root:
            raise StoreError(f"Key {key!r} points outside the store {self.root}.")
        return path

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{self.uri(key)} does not exist.") from None
        except OSError as exc:
            raise StoreError(f"Could not read {self.uri(key)}: {exc.strerror}.") from exc

    def write_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if if_absent:
                # link() fails if the target exists, atomically: the local twin of S3 If-None-Match.
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    raise AlreadyExistsError(f"{self.uri(key)} was already written.") from None
                finally:
                    os.unlink(tmp)
            else:
                os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"Could not write {self.uri(key)}: {exc.strerror}.") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def write_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            raise StoreError(f"Could not write {self.uri(key)}: {exc.strerror}.") from exc

    def local_file(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise StoreError(f"{self.uri(key)} does not exist.")
        return path

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def uri(self, key: str = "") -> str:
        return str(self.root / key) if key else str(self.root)
