"""Store processed photo files under unguessable keys.

A key looks like ``2024/05/01/<32 hex>.jpg``: the date shards directories (and S3
prefixes) so no folder grows without bound, and 128 random bits make keys unguessable.
Keys are never URLs: files are only ever served through an app route that checks the
viewer's login and estate, using `path_for` (send_file) or `open` (streaming).

An S3-compatible backend can follow with the same four methods: `new_key` unchanged,
`put` as PutObject with ContentType (it is atomic by nature), `open` as the GetObject
body stream, and `path_for` returning None so the route streams `open` instead.
Objects are never deleted here: deletion is a soft delete in the database. Only the
sweeper (photos/sweep.py) removes files, and only those no row names, past a grace period.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

KEY_PATTERN = _KEY = re.compile(r"\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.[a-z0-9]{1,5}")
_EXT = re.compile(r"[a-z0-9]{1,5}")


def new_key(ext: str = "jpg", *, now: datetime | None = None) -> str:
    """Make a fresh date-sharded key with 128 random bits."""
    if not _EXT.fullmatch(ext):
        raise ValueError(f"bad extension: {ext!r}")
    now = now or datetime.now(UTC)
    return f"{now:%Y/%m/%d}/{secrets.token_hex(16)}.{ext}"


@runtime_checkable
class Storage(Protocol):
    """Write-once blob store for photo files, addressed by `new_key` keys."""

    def new_key(self, ext: str = "jpg", *, now: datetime | None = None) -> str:
        """Make a fresh unguessable key."""
        ...

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under a new key, all or nothing; refuse to overwrite."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading; the caller closes it."""
        ...

    def path_for(self, key: str) -> Path | None:
        """Return a local filesystem path for the key, or None for remote backends."""
        ...


class LocalStorage:
    """Keep files in a local directory, by default the app's instance/photos."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def new_key(self, ext: str = "jpg", *, now: datetime | None = None) -> str:
        """Make a fresh unguessable key."""
        return new_key(ext, now=now)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write to a temp file in the target folder, fsync, then rename into place."""
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Evidence is write-once: an existing key means a bug, never a reason to clobber.
        if final.exists():
            raise FileExistsError(key)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)  # readers see the whole file or nothing
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._fsync_dir(final.parent)

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading; the caller closes it."""
        return self._path(key).open("rb")

    def path_for(self, key: str) -> Path | None:
        """Return where the key lives on disk, for send_file."""
        return self._path(key)

    def _path(self, key: str) -> Path:
        """Map a key to a path, refusing anything that is not exactly a new_key key."""
        # The regex alone rules out "..", absolute paths and backslashes.
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"bad storage key: {key!r}")
        return self.root / key

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        """Make the rename itself durable, where the platform allows it."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems refuse fsync on directories; the data is already safe
        finally:
            os.close(fd)
