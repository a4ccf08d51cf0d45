"""Backups: taken online during a write storm, restored into a fresh instance, refused when tampered."""
import json
import shutil
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bluebird.backup import service
from tests.reliability.harness import Instance, Staff, repair, storm


@pytest.mark.skipif(Instance.on_postgres(), reason="PostgreSQL backups are pg_dump's job (README)")
def test_backup_during_a_storm_restores_whole_and_tampering_is_refused(instance, desk, tmp_path):
    clients = [desk.client() for _ in range(4)]
    stop = threading.Event()
    writers = threading.Thread(target=storm, args=(clients, 60, lambda c, i, n: repair(c, uuid.uuid4(), seed=n),
                                                   stop))
    writers.start()
    try:
        repair(desk.client(), uuid.uuid4())  # at least one photo before the backup starts
        done = instance.flask("backup", "--dest", str(tmp_path / "backups"))
    finally:
        stop.set()
        writers.join()
    assert "backup " in done.stdout
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["photos"]["count"] > 0 and manifest["database"]["tables"]["cases"] > 0

    fresh = Instance("restored")
    try:
        restored = fresh.flask("restore", str(folder))
        assert "restored" in restored.stdout
        integrity, broken = fresh.sqlite_checks()
        assert integrity == "ok" and broken == []
        for table, count in manifest["database"]["tables"].items():
            assert fresh.scalar(f'SELECT count(*) FROM "{table}"') == count, table
        for display, thumb in fresh.sql("SELECT display_key, thumb_key FROM attachment"):
            assert (fresh.photo_root / display).is_file() and (fresh.photo_root / thumb).is_file()
        # The restored office works: its staff log in and register.
        server = fresh.server()
        assert repair(Staff(server, "reception").client(), uuid.uuid4()).status_code == 303
        server.stop()

        again = fresh.flask("restore", str(folder), check=False)
        assert again.returncode != 0 and "already holds data" in again.stderr

        tampered = tmp_path / "tampered"
        shutil.copytree(folder, tampered)
        photo = next(p for p in (tampered / "photos").rglob("*") if p.is_file())
        photo.write_bytes(photo.read_bytes()[:-1] + b"x")
        before = fresh.scalar("SELECT count(*) FROM cases")
        refused = fresh.flask("restore", "--force", str(tampered), check=False)
        assert refused.returncode != 0 and "checksum" in refused.stderr
        assert fresh.scalar("SELECT count(*) FROM cases") == before

        shutil.rmtree(tampered)
        shutil.copytree(folder, tampered)
        with open(tampered / "bluebird.db", "r+b") as f:
            f.seek(200)
            f.write(b"\x00\x01\x02")
        refused = fresh.flask("restore", "--force", str(tampered), check=False)
        assert refused.returncode != 0 and "checksum" in refused.stderr
    finally:
        fresh.close()


def test_rotation_keeps_fourteen_days_and_twelve_months(tmp_path):
    start = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    for day in range(400):
        for hour in (0, 5):  # two a day: a manual one and the nightly one
            (tmp_path / f"{start + timedelta(days=day, hours=hour):%Y%m%dT%H%M%SZ}").mkdir()
    (tmp_path / "20260101T000000Z.part").mkdir()  # an unfinished one is not a backup
    removed = service.rotate(tmp_path, daily=14, monthly=12)
    kept = [stamp for stamp, _ in service.backups_in(tmp_path)]
    newest = start + timedelta(days=399, hours=5)
    daily = [s for s in kept if s > newest - timedelta(days=14)]
    assert len(daily) == 14 and all(s.hour == newest.hour for s in daily)
    assert len({(s.year, s.month) for s in kept}) == 12
    assert len(kept) + len(removed) == 800
    assert len(kept) <= 14 + 12
    assert (tmp_path / "20260101T000000Z.part").is_dir()


def test_the_nightly_backup_is_scheduled():
    from bluebird import tasks

    def due(at):
        return "nightly_backup" in {t.name for t in tasks.huey.read_periodic(at)}

    assert due(datetime(2026, 12, 1, 19, 30)) and not due(datetime(2026, 12, 1, 19, 31))
