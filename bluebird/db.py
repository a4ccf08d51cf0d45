"""The database: a proxy bound from a URL, a base model, and create-once for replays."""
import inspect
import os
import re
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from flask_babel import lazy_gettext as _l
from peewee import DatabaseProxy, IntegrityError, Model, UUIDField
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase
from werkzeug.exceptions import Conflict

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


_PROBE_BASE = -7_300_000_000
_PROBE_MOMENT = datetime(1901, 2, 3, 4, 5, 6)


def _probe(index: int, sample, length: int = 0):
    """A value of the sample's type that no real query parameter holds (a list of `length`
    distinct ones for a tuple sample: the ids of an IN)."""
    if isinstance(sample, tuple):
        return [_PROBE_BASE - 1000 * (index + 1) - n for n in range(length)]
    if isinstance(sample, datetime):
        return _PROBE_MOMENT + timedelta(microseconds=index + 1)
    if isinstance(sample, date):
        return _PROBE_MOMENT.date() - timedelta(days=index + 1)
    if isinstance(sample, str):
        return f"\x00probe{index}\x00"
    if isinstance(sample, int) and not isinstance(sample, bool):
        return _PROBE_BASE - index
    raise TypeError(f"a prepared query's value must be an int, str, date or datetime, not {type(sample).__name__}")


# What a peewee cursor wrapper holds for one run only; the rest follows from the SQL.
_PER_RUN = frozenset(("cursor", "count", "index", "initialized", "populated", "row_cache"))


class Prepared:
    """A query shape whose SQL is compiled once per kind of database; each call binds new values.

    Peewee builds a query's SQL anew on every execution. For the lookups every page makes
    (the signed-in user, the bell, the agenda) that cost more than running them: about
    0.3 ms a query against 0.02 ms for SQLite to answer. `build` takes the shape first
    (positional: each distinct shape is compiled once) and the values as keyword-only
    parameters whose defaults give their type (int, str, date or datetime; a tuple for a list of
    ints, as in `id IN (…)`: each length is its own shape). It is called once with probe
    values; where a probe shows up among the SQL's parameters, each call puts its own value.
    The result is the query's own cursor wrapper, so rows come back as the query says
    (models with their joins, tuples, dicts).
    """

    def __init__(self, build):
        self.build = build
        self.__doc__, self.__name__ = build.__doc__, build.__name__
        self._samples = {name: p.default for name, p in inspect.signature(build).parameters.items()
                         if p.kind is p.KEYWORD_ONLY}
        self._compiled: dict = {}
        self._wrappers: dict = {}  # key -> a cursor wrapper's settled columns (see __call__)

    def _compile(self, shape, lengths):
        probes = {name: _probe(i, sample, lengths.get(name, 0)) for i, (name, sample) in enumerate(self._samples.items())}
        query = self.build(*shape, **probes)
        sql, params = query.sql()
        slots = {}
        for name, value in probes.items():
            for n, one in enumerate(value) if isinstance(value, list) else [(None, value)]:
                slots[one] = (name, n)
        plan = tuple(slots.get(p, (None, p)) if isinstance(p, (int, str, date)) else (None, p) for p in params)
        missing = {f"{name}[{n}]" if n is not None else name for name, n in slots.values()} - {
            f"{name}[{n}]" if n is not None else name for name, n in plan if name}
        if missing:  # a value that never reaches the SQL was converted on the way: refuse loudly
            raise ValueError(f"{self.__name__}: {sorted(missing)} did not reach the SQL as given")
        return query, sql, plan

    def _run(self, shape, values):
        lengths = {name: len(values[name]) for name, sample in self._samples.items() if isinstance(sample, tuple)}
        key = (type(db.obj), shape, tuple(lengths.values()))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(shape, lengths)
        query, sql, plan = compiled
        # Each plan entry is (slot, None), (list slot, index) or (None, a constant of the SQL).
        return key, query, db.execute_sql(sql, [(values[name] if part is None else values[name][part]) if name else part
                                                for name, part in plan])

    def __call__(self, *shape, **values):
        key, query, cursor = self._run(shape, values)
        wrapper = query._get_cursor_wrapper(cursor)
        # Peewee works out which column goes to which model and converter on every run
        # (a third of a small query's Python time); the SQL is the same, so the answer is.
        state = self._wrappers.get(key)
        if state is None and cursor.description is not None:
            wrapper.initialize()
            state = self._wrappers[key] = {k: v for k, v in vars(wrapper).items() if k not in _PER_RUN}
        if state is not None:
            vars(wrapper).update(state)
            wrapper.initialized = True
        return wrapper

    def cursor(self, *shape, **values):
        """The database cursor itself: rows as the driver gives them, no field conversions
        (SQLite's datetimes stay text)."""
        return self._run(shape, values)[2]

    def first(self, *shape, **values):
        """The first row, or None (read to the end, so the cursor closes: give the query a LIMIT)."""
        rows = list(self(*shape, **values))
        return rows[0] if rows else None


def prepared(build) -> Prepared:
    """Decorate a function that builds a query: see Prepared."""
    return Prepared(build)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class ReplaySafe(BaseModel):
    """A model whose creates carry a client-generated UUID, so a replay creates nothing.

    `replay_scope` names the fields a replay must match (the estate, and the field that
    says who made the row): a UUID naming another estate's or another person's row is
    refused, never answered with that row. None means "estate" when the model has one.
    """

    client_uuid = UUIDField(null=True, unique=True)
    replay_scope: tuple[str, ...] | None = None

    @classmethod
    def scope_fields(cls) -> tuple[str, ...]:
        """The fields a replayed UUID must match."""
        if cls.replay_scope is not None:
            return cls.replay_scope
        return ("estate",) if "estate" in cls._meta.fields else ()


class ReplayConflict(Conflict):
    """A client_uuid already names a row of another estate or person: refuse, reveal nothing."""

    def __init__(self):
        super().__init__(description=str(_l("This submission's number is already in use. Reload the page and "
                                             "fill in the form again.")))


def parse_uuid(value) -> uuid.UUID | None:
    """Return a UUID from a form value, or None when absent or malformed."""
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _raw(value):
    return value.id if isinstance(value, Model) else value


def _check_scope(model, row, fields: dict):
    """Return the row if it was made in the same scope as `fields`, else refuse."""
    for name in model.scope_fields():
        if row.__data__.get(name) != _raw(fields[name]):
            raise ReplayConflict()
    return row


def replayed(model, client_uuid, **scope):
    """The row an earlier submission with this UUID made, if any (ReplayConflict if not ours).

    `scope` gives the values of the model's scope fields (estate=…, registrar=…). This is
    a read to answer a replay early (before validation or storing files); the claim
    itself is always the insert in `create_once`.
    """
    key = parse_uuid(client_uuid)
    if key is None:
        return None
    row = model.get_or_none(model.client_uuid == key)
    return None if row is None else _check_scope(model, row, scope)


def create_once(model, client_uuid, **fields):
    """Create a row whose insert claims the UUID, inside the caller's transaction.

    Returns (row, created). The insert runs in a savepoint: if the UUID is taken, the
    savepoint rolls back and the earlier row comes back with created=False (so the
    caller does none of its follow-on work), or ReplayConflict if that row belongs to
    another estate or person. Call it first in the transaction that writes the rest.
    """
    key = parse_uuid(client_uuid)
    scope = {name: fields[name] for name in model.scope_fields()}
    if key is None:
        with db.atomic():
            return model.create(**fields), True
    try:
        with db.atomic():
            return model.create(client_uuid=key, **fields), True
    except IntegrityError:
        # Under READ COMMITTED (PostgreSQL) the statement after the savepoint sees the
        # winner's committed row; SQLite serialises writers, so it is there too.
        existing = model.get_or_none(model.client_uuid == key)
        if existing is None:
            raise
        return _check_scope(model, existing, scope), False
