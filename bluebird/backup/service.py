"""Back up, verify, restore and rotate: one folder per backup.

A backup is a folder named by its UTC time (`20261201T031500Z`) holding
    bluebird.db     an online copy of the SQLite database (sqlite3's backup API: one
                    consistent snapshot while the app keeps writing), in rollback mode
    photos/         the photo files (hard links when on the same disk: they are
                    write-once; copies otherwise)
    manifest.json   sha256 of every file, row counts per table
It is written as `<name>.part` and renamed when complete, so a crash mid-backup never
leaves something that looks like a backup. Photos are copied after the database
snapshot, so every file a row of the snapshot names is there (files reach the disk
before their rows commit).

PostgreSQL: use pg_dump / pg_restore (README "Backups"); the photos are copied the same way.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("bluebird.backup")

MANIFEST = "manifest.json"
DATABASE = "bluebird.db"
PHOTOS = "photos"
NAME = re.compile(r"^(\d{8})T(\d{6})Z$")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _photo_files(root: Path):
    """Stored photo files: every file under the root but temp files (.part, dot-names)."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith(".part"):
                path = Path(dirpath) / name
                yield path.relative_to(root).as_posix(), path


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another disk (as it should be), or no hard links there
        shutil.copy2(source, target)


def backup(dest_root: Path, *, database: Path, photo_root: Path, now: datetime | None = None) -> Path:
    """Write one complete backup folder under dest_root and return it."""
    now = now or datetime.now(UTC)
    dest_root = Path(dest_root)
    dest_root.mkdir(parents=True, exist_ok=True)
    name = f"{now:%Y%m%dT%H%M%SZ}"
    final = dest_root / name
    if final.exists():
        raise BackupError(f"{final} exists already")
    work = dest_root / f"{name}.part"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    copy = work / DATABASE
    if not Path(database).is_file():
        raise BackupError(f"there is no database at {database}")
    source = sqlite3.connect(database, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # all pages in one step: one snapshot, writers go on (WAL)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
        counts = table_counts(target)
    finally:
        target.close()
        source.close()
    if integrity != "ok":
        raise BackupError(f"the copy of the database fails integrity_check: {integrity}")
    photos = {}
    for rel, path in _photo_files(Path(photo_root)):
        _place(path, work / PHOTOS / rel)
        photos[rel] = sha256_of(work / PHOTOS / rel)
    manifest = {
        "format": 1,
        "created_at": now.isoformat(timespec="seconds"),
        "database": {"file": DATABASE, "sha256": sha256_of(copy), "bytes": copy.stat().st_size,
                     "tables": counts},
        "photos": {"count": len(photos), "files": photos},
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(work, final)
    log.info("backup %s: %d tables, %d photos", final, len(counts), len(photos))
    return final


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} has no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != 1 or "database" not in manifest or "photos" not in manifest:
        raise BackupError(f"{folder}/{MANIFEST} is not a Bluebird backup manifest")
    return manifest


def verify(folder: Path) -> list[str]:
    """Everything wrong with a backup folder (checksums, row counts, integrity); [] when sound."""
    folder = Path(folder)
    try:
        manifest = read_manifest(folder)
    except BackupError as exc:
        return [str(exc)]
    problems = []
    db_file = folder / manifest["database"]["file"]
    if not db_file.is_file():
        return [f"{db_file.name} is missing"]
    if sha256_of(db_file) != manifest["database"]["sha256"]:
        problems.append(f"{db_file.name}: checksum does not match the manifest")
    else:
        conn = sqlite3.connect(db_file)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            counts = table_counts(conn)
        finally:
            conn.close()
        if integrity != "ok":
            problems.append(f"{db_file.name}: integrity_check says {integrity}")
        if counts != manifest["database"]["tables"]:
            problems.append(f"{db_file.name}: row counts differ from the manifest")
    files = manifest["photos"]["files"]
    for rel, digest in files.items():
        path = folder / PHOTOS / rel
        if not path.is_file():
            problems.append(f"photo {rel} is missing")
        elif sha256_of(path) != digest:
            problems.append(f"photo {rel}: checksum does not match the manifest")
    extra = {rel for rel, _ in _photo_files(folder / PHOTOS)} - set(files)
    problems += [f"photo {rel} is not in the manifest" for rel in sorted(extra)]
    return problems


def has_data(database: Path) -> bool:
    """Tell whether a SQLite file holds any row (an empty or missing file does not)."""
    if not Path(database).is_file() or Path(database).stat().st_size == 0:
        return False
    conn = sqlite3.connect(database, timeout=30)
    try:
        return any(count for name, count in table_counts(conn).items() if name != "migratehistory")
    finally:
        conn.close()


def restore(folder: Path, *, database: Path, photo_root: Path, force: bool = False) -> dict:
    """Put a verified backup in place of the instance's database and photos (app stopped)."""
    folder, database, photo_root = Path(folder), Path(database), Path(photo_root)
    problems = verify(folder)
    if problems:
        raise BackupError("refused: the backup does not match its manifest:\n  " + "\n  ".join(problems[:20]))
    if has_data(database) and not force:
        raise BackupError(f"refused: {database} already holds data (restore --force replaces it)")
    manifest = read_manifest(folder)
    database.parent.mkdir(parents=True, exist_ok=True)
    incoming = database.with_name(database.name + ".restoring")
    shutil.copyfile(folder / manifest["database"]["file"], incoming)
    for suffix in ("-wal", "-shm", "-journal"):  # a stale log would be replayed over the restored file
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    os.replace(incoming, database)
    placed = 0
    for rel in manifest["photos"]["files"]:
        target = photo_root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / PHOTOS / rel, target)
            placed += 1
    return {"tables": len(manifest["database"]["tables"]), "rows": sum(manifest["database"]["tables"].values()),
            "photos": placed}


def backups_in(dest_root: Path) -> list[tuple[datetime, Path]]:
    """The complete backups under dest_root, oldest first."""
    found = []
    if Path(dest_root).is_dir():
        for path in Path(dest_root).iterdir():
            m = NAME.match(path.name)
            if m and path.is_dir():
                found.append((datetime.strptime(path.name, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), path))
    return sorted(found)


def to_keep(stamps: list[datetime], daily: int, monthly: int) -> set[datetime]:
    """The newest backup of each of the last `daily` days and of the last `monthly` months."""
    keep, days, months = set(), {}, {}
    for stamp in sorted(stamps, reverse=True):
        days.setdefault(stamp.date(), stamp)
        months.setdefault((stamp.year, stamp.month), stamp)
    keep.update(sorted(days.values(), reverse=True)[:daily])
    keep.update(sorted(months.values(), reverse=True)[:monthly])
    return keep


def rotate(dest_root: Path, daily: int = 14, monthly: int = 12) -> list[Path]:
    """Delete the backups rotation does not keep; return them."""
    found = backups_in(dest_root)
    keep = to_keep([s for s, _ in found], daily, monthly)
    removed = [path for stamp, path in found if stamp not in keep]
    for path in removed:
        shutil.rmtree(path)
    return removed
