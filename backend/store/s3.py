"""A store under ``s3://bucket/prefix`` (boto3). Conditional writes use ``IfNoneMatch='*'``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from backend.errors import AlreadyExistsError, StoreError
from backend.store.base import ArtifactStore, scratch_folder


class S3Store(ArtifactStore):
    def __init__(self, bucket: str, prefix: str = "", client: Any | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @classmethod
    def from_uri(cls, uri: str, client: Any | None = None) -> "S3Store":
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        if not bucket:
            raise StoreError(f"{uri!r} names no bucket.", "Use s3://bucket/optional/prefix.")
        return cls(bucket, prefix, client)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as exc:  # botocore errors are not importable without botocore
            if _error_code(exc) in {"NoSuchKey", "404"}:
                raise StoreError(f"{self.uri(key)} does not exist.") from None
            raise StoreError(f"Could not read {self.uri(key)}: {exc}", _aws_fix(exc)) from exc

    def write_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        extra = {"IfNoneMatch": "*"} if if_absent else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        except Exception as exc:
            if if_absent and _error_code(exc) in {"PreconditionFailed", "ConditionalRequestConflict", "412"}:
                raise AlreadyExistsError(f"{self.uri(key)} was already written.") from None
            raise StoreError(f"Could not write {self.uri(key)}: {exc}", _aws_fix(exc)) from exc

    def write_file(self, key: str, path: Path) -> None:
        try:  # boto3's managed transfer: a multipart upload for large files
            self.client.upload_file(str(path), self.bucket, self._key(key))
        except Exception as exc:
            raise StoreError(f"Could not write {self.uri(key)}: {exc}", _aws_fix(exc)) from exc

    def local_file(self, key: str) -> Path:
        handle, name = tempfile.mkstemp(dir=scratch_folder(), suffix=Path(key).suffix)
        os.close(handle)
        try:
            self.client.download_file(self.bucket, self._key(key), name)
        except Exception as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                raise StoreError(f"{self.uri(key)} does not exist.") from None
            raise StoreError(f"Could not read {self.uri(key)}: {exc}", _aws_fix(exc)) from exc
        return Path(name)

    def exists(self, key: str) -> bool:
        # A listing, not a HEAD: S3 answers a HEAD of a missing key with 403 unless the caller may
        # list the whole bucket, and least-privilege roles may list only their prefix (docs/iam).
        full = self._key(key)
        try:
            found = self.client.list_objects_v2(Bucket=self.bucket, Prefix=full, MaxKeys=1).get("Contents", [])
        except Exception as exc:
            raise StoreError(f"Could not check {self.uri(key)}: {exc}", _aws_fix(exc)) from exc
        return bool(found) and found[0]["Key"] == full

    def list(self, prefix: str) -> list[str]:
        # A prefix is a folder: "runs/a" must not also list "runs/ab/...".
        full = self._key(prefix.strip("/")) + "/" if prefix or self.prefix else ""
        keys: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        except Exception as exc:
            raise StoreError(f"Could not list {self.uri(prefix)}: {exc}", _aws_fix(exc)) from exc
        strip = len(self.prefix) + 1 if self.prefix else 0
        return sorted(k[strip:] for k in keys)

    def uri(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self._key(key)}" if key or self.prefix else f"s3://{self.bucket}"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _aws_fix(exc: Exception) -> str:
    code = _error_code(exc)
    if code in {"AccessDenied", "403"}:
        return "Check that your AWS role may read and write this bucket and prefix."
    if code == "NoSuchBucket":
        return "Create the bucket or correct the s3:// URI."
    return "Check your AWS credentials, region and network, then try again."
