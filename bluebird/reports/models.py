"""A filed report (a frozen snapshot the project manager confirms) and the month-close house tables."""
import json

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import BaseModel, ReplaySafe
from bluebird.estate.models import Estate


class Filing(ReplaySafe):
    """One filed table: its numbers as they were when the supervisor filed it, and his analysis."""

    replay_scope = ("estate", "filed_by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=24)  # weekly / month / house / complaints / half / year / sites
    period = CharField(max_length=12)  # the period's key: 2026-W48, 2026-11, 2026-H2, 2026
    building = IntegerField(default=0)  # 0: the whole estate
    snapshot = TextField(default="{}")  # JSON: the numbers as filed
    analysis = TextField(default="")  # the analysis (投诉分析) or the month report's text
    plan = TextField(default="")  # next month's plan (the month report)
    filed_by = ForeignKeyField(User, on_delete="RESTRICT", backref="+")
    filed_at = DateTimeField(default=clock.now)
    confirmed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    confirmed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("estate", "kind", "period", "building"), True),)

    @property
    def data(self) -> dict:
        return json.loads(self.snapshot or "{}")

    @classmethod
    def of(cls, estate_id, kind, period, building=0):
        return cls.get_or_none((cls.estate == estate_id) & (cls.kind == kind) & (cls.period == period)
                               & (cls.building == (building or 0)))

    @classmethod
    def recent(cls, estate_id, limit=20):
        return cls.select().where(cls.estate == estate_id).order_by(cls.filed_at.desc()).limit(limit)


class HouseMonth(BaseModel):
    """The house dynamics table of a closed month, computed once from the unit-status timeline."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    month = CharField(max_length=7)  # 2026-11
    data = TextField()  # JSON: at_end / moved, for the estate and per building
    computed_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "house_month"
        indexes = ((("estate", "month"), True),)


class ReportCache(BaseModel):
    """The counts of a closed period, kept a while: a closed month's table is not recounted on every view."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    key = CharField(max_length=60)  # "month:2026-11:0", "trend:week:2026-W48:3"
    data = TextField()
    computed_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "report_cache"
        indexes = ((("estate", "key"), True),)
