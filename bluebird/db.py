"""The database: a proxy bound from a URL, a base model, and create-once for replays."""
import os
import re
import uuid
from urllib.parse import parse_qs, urlsplit

from peewee import DatabaseProxy, IntegrityError, Model, UUIDField
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from bluebird.writegate import WriteGate

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",  # safe with WAL; full fsync per commit is not needed
    "cache_size": -32000,
    "temp_store": "memory",
}


def make_database(url: str):
    """Build a pooled Peewee database from sqlite:///path or postgresql://… ."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # lock_type=IMMEDIATE: every atomic() takes the write lock at BEGIN, so a
        # read-then-write never fails half-way with "database is locked".
        return GatedSqliteDatabase(
            parts.path if parts.netloc == "" else parts.netloc + parts.path,
            pragmas=SQLITE_PRAGMAS,
            lock_type="IMMEDIATE",
            max_connections=32,
            stale_timeout=600,
            check_same_thread=False,
        )
    if parts.scheme in ("postgres", "postgresql"):
        extra = {}
        schema = parse_qs(parts.query).get("schema")
        if schema:  # ?schema=name: tables live in that schema (tests run side by side)
            extra["options"] = f"-c search_path={schema[0]}"
        return PooledPostgresqlDatabase(
            parts.path.lstrip("/"),
            user=parts.username,
            password=parts.password,
            host=parts.hostname,
            port=parts.port or 5432,
            max_connections=32,
            stale_timeout=600,
            **extra,
        )
    raise ValueError(f"unsupported database URL: {url!r}")


_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class GatedSqliteDatabase(PooledSqliteDatabase):
    """SQLite whose writers take turns at a fair gate (bluebird/writegate.py) before BEGIN."""

    def __init__(self, database, **kwargs):
        super().__init__(database, **kwargs)
        self.gate = WriteGate(database, float(os.environ.get("BLUEBIRD_WRITE_WAIT_S", "15")))

    def begin(self, lock_type=None):
        self.gate.acquire()
        try:
            super().begin(lock_type)
        except BaseException:
            self.gate.release()
            raise

    def _end(self, finish):
        try:
            finish()
        finally:
            if self.is_closed() or not self.connection().in_transaction:
                self.gate.release()

    def commit(self):
        self._end(super().commit)

    def rollback(self):
        self._end(super().rollback)

    def close(self):
        try:
            return super().close()
        finally:
            self.gate.release()

    def execute_sql(self, sql, params=None):
        # A single write outside a transaction takes its turn too.
        if self.gate.held or self.in_transaction() or not _WRITE.match(sql):
            return super().execute_sql(sql, params)
        with self.gate:
            return super().execute_sql(sql, params)


def is_postgres() -> bool:
    """Tell whether the bound database is PostgreSQL."""
    return isinstance(db.obj, PooledPostgresqlDatabase)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class ReplaySafe(BaseModel):
    """A model whose creates carry a client-generated UUID, so a replay creates nothing."""

    client_uuid = UUIDField(null=True, unique=True)


def parse_uuid(value) -> uuid.UUID | None:
    """Return a UUID from a form value, or None when absent or malformed."""
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def create_once(model, client_uuid, **fields):
    """Create a row, or return the one an earlier submission with this UUID created.

    Returns (row, created). The caller scopes the result: a UUID that names a row of
    another estate must not leak it.
    """
    key = parse_uuid(client_uuid)
    if key is not None:
        existing = model.get_or_none(model.client_uuid == key)
        if existing is not None:
            return existing, False
    try:
        with db.atomic():
            return model.create(client_uuid=key, **fields), True
    except IntegrityError:
        if key is None:
            raise
        existing = model.get_or_none(model.client_uuid == key)
        if existing is None:
            raise
        return existing, False
