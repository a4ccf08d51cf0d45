"""Remove photo files that no row owns.

Files are written before the transaction that names them commits, so a failed or killed
submission can leave files behind (and a kill -9 mid-write a `.tmp-*.part`). They are
removed here once they are older than a grace period: a younger file may belong to a
transaction still committing, so it is never touched.
"""
import logging
import os
import time
from datetime import timedelta
from pathlib import Path

from bluebird.photos.models import Attachment
from bluebird.photos.storage import KEY_PATTERN

log = logging.getLogger("bluebird.photos.sweep")
GRACE = timedelta(hours=6)


def _files(root: Path):
    """Every regular file under the root, with its key (path relative to the root) and age."""
    now = time.time()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            if path.is_symlink() or not path.is_file():
                continue
            yield path, path.relative_to(root).as_posix(), now - st.st_mtime


def owned_keys() -> set[str]:
    """Every key a row names (display and thumb, deleted photos and signatures included)."""
    keys: set[str] = set()
    for display, thumb in Attachment.select(Attachment.display_key, Attachment.thumb_key).tuples().iterator():
        keys.add(display)
        keys.add(thumb)
    return keys


def sweep(root, *, older_than: timedelta = GRACE, dry_run: bool = False) -> dict:
    """Remove orphan photo files and stale `.part` files older than `older_than`; return counts."""
    root = Path(root)
    counts = {"scanned": 0, "owned": 0, "young": 0, "orphans": 0, "parts": 0, "other": 0, "bytes": 0}
    if not root.is_dir():
        return counts
    grace = older_than.total_seconds()
    candidates = []
    for path, key, age in _files(root):
        counts["scanned"] += 1
        if age < grace:
            counts["young"] += 1
        elif path.name.startswith(".tmp-") and path.name.endswith(".part"):
            candidates.append((path, "parts"))
        elif KEY_PATTERN.fullmatch(key):
            candidates.append((path, key))
        else:
            counts["other"] += 1  # not ours to judge: left alone
    # Read the owners after listing: a row that committed meanwhile is counted as owning.
    owned = owned_keys() if any(kind != "parts" for _p, kind in candidates) else set()
    for path, kind in candidates:
        if kind != "parts" and kind in owned:
            counts["owned"] += 1
            continue
        bucket = "parts" if kind == "parts" else "orphans"
        try:
            size = path.stat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            continue
        counts[bucket] += 1
        counts["bytes"] += size
    log.info("photo sweep%s: %s", " (dry run)" if dry_run else "", counts)
    return counts
