"""The artifact store: keys like ``runs/<run_id>/layer1/topics.json`` under a root.

Backends implement five byte-level methods; typed helpers (JSON, Parquet, NumPy, folders) are
built on them here once. ``write_bytes(..., if_absent=True)`` is a conditional write: it refuses
to overwrite (``AlreadyExistsError``), which is how saved versions stay immutable and two writers
cannot silently overwrite each other.

NumPy and pandas are imported by the helpers that need them, so the callback inbox (an AWS Lambda
that ships without them) can use a store.
"""

from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class ArtifactStore(ABC):
    """Bytes under string keys; ``/`` separates folders in a key."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """Return the object's bytes; raise StoreError naming the key when it is absent."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        """Write atomically; with ``if_absent`` refuse (AlreadyExistsError) when the key exists."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (recursively), sorted."""

    @abstractmethod
    def uri(self, key: str = "") -> str:
        """Where the key lives, for people and for other services (a path or an s3:// URI)."""

    # Typed helpers -------------------------------------------------------------------------

    def read_json(self, key: str) -> Any:
        try:
            return json.loads(self.read_bytes(key).decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise StoreError(f"{self.uri(key)} is not valid JSON: {exc}") from exc

    def write_json(self, key: str, value: Any, *, if_absent: bool = False) -> None:
        data = json.dumps(value, indent=2, ensure_ascii=False, default=_json_default).encode("utf-8")
        self.write_bytes(key, data, if_absent=if_absent)

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pd.DataFrame:
        import pandas as pd

        return pd.read_parquet(io.BytesIO(self.read_bytes(key)), columns=columns)

    def write_parquet(self, key: str, frame: pd.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        self.write_bytes(key, buffer.getvalue())

    def read_array(self, key: str) -> np.ndarray:
        import numpy as np

        # allow_pickle=False: stored arrays are data, never code.
        return np.load(io.BytesIO(self.read_bytes(key)), allow_pickle=False)

    def write_array(self, key: str, array: np.ndarray) -> None:
        import numpy as np

        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        self.write_bytes(key, buffer.getvalue())

    def upload_folder(self, folder: Path, prefix: str) -> None:
        """Copy every file under a local folder to keys under ``prefix``."""
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            self.write_bytes(f"{prefix}/{path.relative_to(folder).as_posix()}", path.read_bytes())

    def download_folder(self, prefix: str, folder: Path) -> Path:
        """Copy every key under ``prefix`` into a local folder (for libraries that need paths)."""
        keys = self.list(prefix)
        if not keys:
            raise StoreError(f"Nothing is stored under {self.uri(prefix)}.")
        for key in keys:
            target = Path(folder) / key[len(prefix):].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.read_bytes(key))
        return Path(folder)


def _json_default(value: Any) -> Any:
    if type(value).__module__ == "numpy":
        return _numpy_to_json(value)
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _numpy_to_json(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
