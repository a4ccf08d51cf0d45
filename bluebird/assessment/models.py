"""Sheets, their items, appeals, the estate's rule-book versions and the annual review."""
import json

from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    SQL,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from bluebird import clock
from bluebird.assessment import rulebook
from bluebird.auth.models import User
from bluebird.db import BaseModel, ReplaySafe, is_postgres
from bluebird.duties.models import Duty
from bluebird.estate.models import Estate


class SheetStatus:
    OPEN = "open"  # the month is still running: computed items are live, manual ones stored
    CLOSED = "closed"  # the month ended: its computed items are stored and no longer move
    ISSUED = "issued"  # handed to the person: the appeal window runs
    SIGNED = "signed"  # signed by the supervisor: frozen, later changes are corrections

    LABELS = {OPEN: _l("This month, so far"), CLOSED: _l("Month closed"), ISSUED: _l("Issued to staff"),
              SIGNED: _l("Signed")}


class RuleSet(BaseModel):
    """One version of an estate's rule book: points and on/off per row, the tolerance, the appeal window."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    version = IntegerField()
    data = TextField(default="{}")  # {"rules": {code: {"points": n, "on": bool}}, "tolerance": m, "appeal_days": d}
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "assessment_ruleset"
        indexes = ((("estate", "version"), True),)

    @property
    def config(self) -> dict:
        return json.loads(self.data or "{}")

    @classmethod
    def current(cls, estate_id):
        return cls.select().where(cls.estate == estate_id).order_by(cls.version.desc()).first()

    @classmethod
    def history(cls, estate_id):
        return (cls.select(cls, User).join(User, JOIN.LEFT_OUTER).where(cls.estate == estate_id)
                .order_by(cls.version.desc()))


class Sheet(BaseModel):
    """One person's month (local calendar of the estate)."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    person = ForeignKeyField(User, backref="sheets", on_delete="CASCADE")
    year = IntegerField()
    month = IntegerField()
    kind = CharField(max_length=16, default=rulebook.BUTLER_SHEET)
    status = CharField(max_length=8, default=SheetStatus.OPEN)
    ruleset_version = IntegerField(default=0)  # 0: the rule book's defaults
    score = IntegerField(null=True)  # stored when the month closes, kept current after
    rates = TextField(default="{}")  # the month's rates, stored when it closes
    closed_at = DateTimeField(null=True)
    issued_at = DateTimeField(null=True)
    issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    appeal_until = DateTimeField(null=True)
    signed_at = DateTimeField(null=True)
    signed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "assessment_sheet"
        indexes = ((("person", "year", "month", "kind"), True), (("estate", "year", "month"), False))

    @property
    def subject(self) -> str:
        return f"sheet:{self.id}"

    @property
    def status_label(self):
        return SheetStatus.LABELS.get(self.status, self.status)

    @property
    def frozen(self) -> bool:
        return self.status == SheetStatus.SIGNED

    @property
    def stored(self) -> bool:
        return self.status != SheetStatus.OPEN

    @property
    def rate_data(self) -> dict:
        return json.loads(self.rates or "{}")

    @classmethod
    def of_month(cls, estate_id, year, month):
        return cls.select().where((cls.estate == estate_id) & (cls.year == year) & (cls.month == month))

    @classmethod
    def find(cls, person_id, year, month):
        return cls.get_or_none((cls.person == person_id) & (cls.year == year) & (cls.month == month)
                               & (cls.kind == rulebook.BUTLER_SHEET))

    @classmethod
    def _months(cls, months):
        first, last = months[0], months[-1]
        key = cls.year * 100 + cls.month
        return (key >= first[0] * 100 + first[1]) & (key <= last[0] * 100 + last[1])

    @classmethod
    def trend(cls, estate_id, months, person_id=None):
        """Stored scores (person, year, month, score) over `months` (consecutive, oldest first): one query."""
        query = (cls.select(cls.person, cls.year, cls.month, cls.score)
                 .where((cls.estate == estate_id) & cls._months(months) & cls.score.is_null(False)
                        & (cls.kind == rulebook.BUTLER_SHEET) & (cls.status != SheetStatus.OPEN)))
        if person_id is not None:
            query = query.where(cls.person == person_id)
        return list(query.tuples())

    @classmethod
    def average_trend(cls, estate_id, months):
        """The estate's average stored score per (year, month) over `months`."""
        query = (cls.select(cls.year, cls.month, fn.AVG(cls.score))
                 .where((cls.estate == estate_id) & cls._months(months) & cls.score.is_null(False)
                        & (cls.kind == rulebook.BUTLER_SHEET) & (cls.status != SheetStatus.OPEN))
                 .group_by(cls.year, cls.month))
        return {(y, m): round(float(avg), 1) for y, m, avg in query.tuples()}

    @classmethod
    def scores_of_year(cls, estate_id, year):
        """Per person: the average stored month score of a year, and how many months."""
        return (cls.select(cls.person, fn.AVG(cls.score).alias("avg"), fn.COUNT(cls.id).alias("n"))
                .where((cls.estate == estate_id) & (cls.year == year) & cls.score.is_null(False)
                       & (cls.status != SheetStatus.OPEN) & (cls.kind == rulebook.BUTLER_SHEET))
                .group_by(cls.person))


class Entry(ReplaySafe):
    """One item of a sheet: computed from a duty or a case, or scored by the supervisor."""

    replay_scope = ("estate", "created_by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    sheet = ForeignKeyField(Sheet, backref="entries", on_delete="CASCADE")
    rule = CharField(max_length=32)  # a rulebook code, or "correction"
    computed = BooleanField(default=False)
    points = IntegerField()
    occurred_at = DateTimeField()
    duty = ForeignKeyField(Duty, null=True, on_delete="SET NULL", backref="+")
    subject = CharField(max_length=40, default="")  # the record it comes from: "case:7", "patch:3"
    detail = CharField(max_length=200, default="")  # what happened: "missed", "late 95 min", "complaint TS000012"
    reason = TextField(default="")  # the supervisor's reason (manual items, corrections)
    correction = BooleanField(default=False)  # added after the sheet was signed
    withdrawn_at = DateTimeField(null=True)  # an accepted appeal (or a recompute) removed it
    withdrawn_reason = CharField(max_length=300, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "assessment_entry"
        indexes = ((("sheet", "occurred_at"), False),)

    @property
    def label(self):
        return rulebook.label_of(self.rule)

    @property
    def clause(self):
        return rulebook.clause_of(self.rule)

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    @classmethod
    def of_sheet(cls, sheet_id):
        return cls.select().where(cls.sheet == sheet_id).order_by(cls.occurred_at, cls.id)

    @classmethod
    def insert_computed(cls, rows: list[dict]) -> None:
        """Store many computed items at once (a month: tens of thousands).

        On SQLite one prepared statement runs for every row (building a multi-row INSERT in
        peewee costs more than the insert itself); PostgreSQL takes multi-row INSERTs.
        """
        if not rows:
            return
        if is_postgres():
            for start in range(0, len(rows), 1000):
                cls.insert_many(rows[start:start + 1000]).execute()
            return
        fields = [cls.estate, cls.sheet, cls.rule, cls.computed, cls.points, cls.occurred_at, cls.duty, cls.subject,
                  cls.detail, cls.reason, cls.correction, cls.withdrawn_reason, cls.created_by, cls.created_at]
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        sql = f'INSERT INTO "{cls._meta.table_name}" ({columns}) VALUES ({", ".join("?" * len(fields))})'
        defaults = {f.name: f.default() if callable(f.default) else f.default for f in fields}
        params = [tuple(f.db_value(row.get(f.name, defaults[f.name])) for f in fields) for row in rows]
        cls._meta.database.cursor().executemany(sql, params)

    @classmethod
    def summary_of(cls, sheet_id) -> list[tuple]:
        """Per rule of a sheet's items that count: (rule, how many, points), in the order each
        rule first occurs among the items (occurred_at, id). One query, counted in SQL."""
        place = fn.ROW_NUMBER().over(order_by=[cls.occurred_at, cls.id]).alias("place")
        ranked = (cls.select(cls.rule, cls.points, place)
                  .where((cls.sheet == sheet_id) & cls.withdrawn_at.is_null()).alias("ranked"))
        return list(cls.select(ranked.c.rule, fn.COUNT(SQL("*")), fn.SUM(ranked.c.points)).from_(ranked)
                    .group_by(ranked.c.rule).order_by(fn.MIN(ranked.c.place)).tuples())


class AppealStatus:
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LABELS = {OPEN: _l("Appeal open"), ACCEPTED: _l("Appeal accepted"), REJECTED: _l("Appeal rejected")}


class Appeal(ReplaySafe):
    """申诉: the person disputes one item of his issued sheet, with a reason."""

    replay_scope = ("estate", "by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    entry = ForeignKeyField(Entry, backref="appeals", on_delete="CASCADE")
    by = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    reason = TextField()
    status = CharField(max_length=8, default=AppealStatus.OPEN)
    answer = TextField(default="")
    new_points = IntegerField(null=True)  # accepted with changed points (None: removed)
    answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    answered_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "assessment_appeal"

    @property
    def status_label(self):
        return AppealStatus.LABELS.get(self.status, self.status)

    @classmethod
    def open_on(cls, sheet_id):
        return cls.select().join(Entry).where((Entry.sheet == sheet_id) & (cls.status == AppealStatus.OPEN))

    @classmethod
    def open_per_sheet(cls, estate_id, sheet_ids) -> dict[int, int]:
        """How many open appeals each of these sheets has: counted in SQL, driven by the
        estate's appeals (CROSS JOIN keeps SQLite from walking every item of the month)."""
        if not sheet_ids:
            return {}
        query = (cls.select(Entry.sheet, fn.COUNT(cls.id)).join(Entry, JOIN.CROSS)
                 .where((cls.estate == estate_id) & (cls.status == AppealStatus.OPEN) & (cls.entry == Entry.id)
                        & Entry.sheet.in_(list(sheet_ids)))
                 .group_by(Entry.sheet))
        return dict(query.tuples())

    @classmethod
    def of_sheet(cls, sheet_id):
        return cls.select(cls, Entry).join(Entry).where(Entry.sheet == sheet_id).order_by(cls.created_at, cls.id)


class AnnualReview(BaseModel):
    """The year's inputs only the manager has (001): the checks, the year-end score, a bonus."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    person = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    year = IntegerField()
    checks = IntegerField(null=True)  # weekly and monthly checks, 0–100 (20%)
    year_end = IntegerField(null=True)  # the year-end assessment, 0–100 (50%)
    bonus = IntegerField(default=0)  # commendations, 0–10
    note = CharField(max_length=300, default="")
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "assessment_annual"
        indexes = ((("person", "year"), True),)

    @classmethod
    def of_year(cls, estate_id, year):
        return cls.select().where((cls.estate == estate_id) & (cls.year == year))


class Scorecard(BaseModel):
    """A sheet the supervisor fills in for a month (003 篇3's 8 items, 001's 德勤能绩): points per item."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    person = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    year = IntegerField()
    month = IntegerField()
    kind = CharField(max_length=16)
    scores = TextField(default="{}")  # {item code: points}
    note = CharField(max_length=300, default="")
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "assessment_scorecard"
        indexes = ((("person", "year", "month", "kind"), True),)

    @property
    def points(self) -> dict:
        return json.loads(self.scores or "{}")

    @classmethod
    def find(cls, person_id, year, month, kind):
        return cls.get_or_none((cls.person == person_id) & (cls.year == year) & (cls.month == month)
                               & (cls.kind == kind))
