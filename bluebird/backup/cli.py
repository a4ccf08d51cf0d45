"""`flask --app app backup [--dest DIR] [--rotate]`, `flask --app app restore DIR [--force]`,
and the nightly backup the task queue runs."""
import logging
from pathlib import Path

import click
from flask import current_app

from bluebird.backup import service
from bluebird.db import db, is_postgres

log = logging.getLogger("bluebird.backup")


def _paths():
    if is_postgres():
        raise service.BackupError("the database is PostgreSQL: back it up with pg_dump and restore it with "
                                  "pg_restore (README, Backups); this command handles SQLite")
    photo_root = current_app.config.get("PHOTO_ROOT") or str(Path(current_app.instance_path) / "photos")
    return Path(db.obj.database), Path(photo_root)


def backup_dir() -> Path:
    return Path(current_app.config["BACKUP_DIR"] or Path(current_app.instance_path) / "backups")


def run_backup(dest=None, rotate=False) -> tuple[Path, list[Path]]:
    """Back up into dest (default BLUEBIRD_BACKUP_DIR); rotate there when asked."""
    database, photo_root = _paths()
    root = Path(dest) if dest else backup_dir()
    folder = service.backup(root, database=database, photo_root=photo_root)
    removed = []
    if rotate:
        removed = service.rotate(root, current_app.config["BACKUP_KEEP_DAILY"],
                                 current_app.config["BACKUP_KEEP_MONTHLY"])
    return folder, removed


def nightly() -> str | None:
    """The scheduled backup: into BLUEBIRD_BACKUP_DIR with rotation; PostgreSQL is pg_dump's job."""
    if is_postgres():
        log.info("nightly backup: PostgreSQL, left to pg_dump")
        return None
    folder, removed = run_backup(rotate=True)
    log.info("nightly backup %s (rotated out %d)", folder, len(removed))
    return str(folder)


def register(app):
    """Attach the backup and restore commands."""

    @app.cli.command("backup")
    @click.option("--dest", type=click.Path(file_okay=False), default=None,
                  help="Folder to write into (default BLUEBIRD_BACKUP_DIR, else instance/backups).")
    @click.option("--rotate", is_flag=True, help="Then keep only the daily and monthly backups rotation keeps.")
    def backup_cmd(dest, rotate):
        """Back up the database (online) and the photos, with a checksummed manifest."""
        try:
            folder, removed = run_backup(dest, rotate)
        except service.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        manifest = service.read_manifest(folder)
        click.echo(f"backup {folder}: {sum(manifest['database']['tables'].values())} rows in "
                   f"{len(manifest['database']['tables'])} tables, {manifest['photos']['count']} photo files")
        for path in removed:
            click.echo(f"rotated out {path}")

    @app.cli.command("restore")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False))
    @click.option("--force", is_flag=True, help="Replace a database that already holds data.")
    def restore_cmd(folder, force):
        """Restore a backup folder into this instance (stop the web server and the consumer first)."""
        try:
            database, photo_root = _paths()
            db.obj.close_all()  # no pooled connection keeps the replaced file open
            done = service.restore(Path(folder), database=database, photo_root=photo_root, force=force)
        except service.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"restored {folder} into {database}: {done['rows']} rows in {done['tables']} tables, "
                   f"{done['photos']} photo files")
