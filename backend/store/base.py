"""The artifact store: keys like ``runs/<run_id>/layer1/topics.json`` under a root.

Backends implement five byte-level methods; typed helpers (JSON, Parquet, NumPy, folders) are
built on them here once. ``write_bytes(..., if_absent=True)`` is a conditional write: it refuses
to overwrite (``AlreadyExistsError``), which is how saved versions stay immutable and two writers
cannot silently overwrite each other.

NumPy and pandas are imported by the helpers that need them, so the callback inbox (an AWS Lambda
that ships without them) can use a store.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.errors import DamagedArtifactError, StoreError
from backend.store.layout import damaged_fix

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

    # Large artifacts: written from, and read through, local files ----------------------------

    def write_file(self, key: str, path: Path) -> None:
        """Store a local file (made piece by piece, so its bytes never sit in memory at once)."""
        self.write_bytes(key, Path(path).read_bytes())

    def local_file(self, key: str) -> Path:
        """A local file holding the object, to read in pieces or memory-map. The store's own file
        for a folder; otherwise a copy in a temporary folder that lives as long as the process."""
        handle, name = tempfile.mkstemp(dir=scratch_folder(), suffix=Path(key).suffix)
        with os.fdopen(handle, "wb") as out:
            out.write(self.read_bytes(key))
        return Path(name)

    # Typed helpers -------------------------------------------------------------------------

    @contextmanager
    def parsing(self, key: str) -> Iterator[None]:
        """Parse the artifact ``key`` inside this block: a damaged one (cut short by a full disk or an
        interrupted copy) raises DamagedArtifactError naming it and what to do, never a library's error."""
        try:
            yield
        except _PARSE_ERRORS as exc:
            raise DamagedArtifactError(f"The stored artifact {self.uri(key)} is damaged and cannot be read "
                                       f"({type(exc).__name__}: {exc}).", damaged_fix(key)) from exc

    def read_json(self, key: str) -> Any:
        data = self.read_bytes(key)
        with self.parsing(key):
            return json.loads(data.decode("utf-8"))

    def write_json(self, key: str, value: Any, *, if_absent: bool = False) -> None:
        data = json.dumps(value, indent=2, ensure_ascii=False, default=_json_default).encode("utf-8")
        self.write_bytes(key, data, if_absent=if_absent)

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pd.DataFrame:
        import pandas as pd

        data = self.read_bytes(key)
        with self.parsing(key):
            return pd.read_parquet(io.BytesIO(data), columns=columns)

    def write_parquet(self, key: str, frame: pd.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        self.write_bytes(key, buffer.getvalue())

    def write_parquet_parts(self, key: str, frames: Iterable[pd.DataFrame]) -> int:
        """A Parquet table written piece by piece (a row group each), so only one piece is ever in
        memory; every piece must have the first one's columns. Returns the rows written."""
        with tempfile.TemporaryDirectory(dir=scratch_folder()) as tmp:
            path = Path(tmp) / "table.parquet"
            rows = parquet_parts_to_file(frames, path)
            self.write_file(key, path)
        return rows

    def parquet_rows(self, key: str) -> int:
        """How many rows a stored Parquet table has (from its footer)."""
        import pyarrow.parquet as pq

        path = self.local_file(key)
        with self.parsing(key):
            return int(pq.ParquetFile(path).metadata.num_rows)

    def read_array(self, key: str, mmap: bool = False) -> np.ndarray:
        """An array (``mmap``: memory-mapped from a local file, read only, so 1M vectors cost no RAM up front)."""
        import numpy as np

        # allow_pickle=False: stored arrays are data, never code.
        source = self.local_file(key) if mmap else io.BytesIO(self.read_bytes(key))
        with self.parsing(key):
            return np.load(source, mmap_mode="r" if mmap else None, allow_pickle=False)

    def read_npz(self, key: str) -> dict[str, np.ndarray]:
        """Every array of a stored ``.npz``, read whole (so a damaged member fails here, not later)."""
        import numpy as np

        data = self.read_bytes(key)
        with self.parsing(key), np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return {name: arrays[name] for name in arrays.files}

    def iter_parquet(self, key: str, columns: list[str] | None = None, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """A Parquet table in pieces of at most ``rows`` rows."""
        import pyarrow.parquet as pq

        path = self.local_file(key)
        with self.parsing(key):
            batches = pq.ParquetFile(path).iter_batches(batch_size=rows, columns=columns)
        while True:
            with self.parsing(key):
                batch = next(batches, None)
            if batch is None:
                return
            yield batch.to_pandas()

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


# What numpy, pyarrow and zipfile raise for a file that is cut short or not what it claims to be
# (pyarrow's ArrowInvalid is a ValueError, its ArrowIOError an OSError).
# (np.load with allow_pickle=False refuses pickled data with a ValueError: nothing here unpickles.)
_PARSE_ERRORS = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error)


def parquet_parts_to_file(frames: Iterable[pd.DataFrame], path: Path) -> int:
    """Write pieces of one table to a local Parquet file, a row group each; return the rows written.

    Every piece is cast to the first one's columns and types, so give text columns the pandas
    ``string`` type (an empty object column would otherwise fix the type to null).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, writer = 0, None
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise StoreError(f"Nothing to write to {path}: no piece of the table was given.")
    return rows


@functools.cache
def scratch_folder() -> str:
    """This process's folder for local copies of stored objects, removed when it exits."""
    folder = tempfile.mkdtemp(prefix="topic-curator-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


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
