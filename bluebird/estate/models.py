"""Estates, patches, buildings, units and residents, and the queries over them."""
import json
import re

from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from bluebird import clock
from bluebird.db import BaseModel, ReplaySafe


def mask_phone(phone: str) -> str:
    """A phone as lists and feeds show it: 139****5678."""
    if len(phone) >= 8:
        return phone[:3] + "****" + phone[-4:]
    return "****" + phone[-2:] if phone else ""


class UnitStatus:
    """Unit statuses of the house dynamics table (房屋动态表)."""

    NOT_HANDED_OVER = "not_handed_over"
    HANDED_OVER = "handed_over"
    OCCUPIED = "occupied"
    RENOVATING = "renovating"
    VACANT = "vacant"
    RENTED = "rented"

    LABELS = {
        NOT_HANDED_OVER: _l("Not handed over"),
        HANDED_OVER: _l("Handed over"),
        OCCUPIED: _l("Occupied"),
        RENOVATING: _l("Renovating"),
        VACANT: _l("Vacant"),
        RENTED: _l("Rented"),
    }
    ALL = tuple(LABELS)


class UnitKind:
    """What a unit is used for."""

    HOME = "home"
    GARAGE = "garage"
    STORAGE = "storage"
    SHOP = "shop"

    LABELS = {
        HOME: _l("Home"),
        GARAGE: _l("Garage"),
        STORAGE: _l("Storage room"),
        SHOP: _l("Shop"),
    }
    ALL = tuple(LABELS)


class Estate(BaseModel):
    name = CharField(max_length=100)
    code = CharField(max_length=32, unique=True)
    timezone = CharField(max_length=64, default="Asia/Shanghai")
    settings = TextField(default="{}")  # JSON: clock overrides, routing, greeting…
    created_at = DateTimeField(default=clock.now)

    def __str__(self):
        return self.name

    def setting(self, key, default=None):
        """One of the estate's settings, or the default."""
        return json.loads(self.settings or "{}").get(key, default)

    def set_setting(self, key, value) -> None:
        """Change one setting and save it."""
        data = json.loads(self.settings or "{}")
        data[key] = value
        self.settings = json.dumps(data, ensure_ascii=False)
        self.save(only=[Estate.settings])


_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
UNNUMBERED = 100000  # a patch whose name carries no number sorts after the numbered ones


def _chinese_number(text: str) -> int | None:
    """一=1, 十二=12, 二十=20, 一百零五=105; None when `text` is not a Chinese numeral."""
    if not text or any(c not in _NUMERALS and c not in _UNITS for c in text):
        return None
    total, digit = 0, None
    for c in text:
        if c in _NUMERALS:
            digit = _NUMERALS[c]
        else:
            total += (1 if digit is None else digit) * _UNITS[c]
            digit = None
    return total + (digit or 0)


def patch_position(name: str) -> int:
    """Where a patch goes in a list, as people count: 一区 二区 … 十二区, 3区 before 10区,
    A区 B区; a name without a number goes last (then by name)."""
    name = (name or "").strip()
    digits = re.search(r"\d+", name)
    if digits:
        return int(digits.group())
    chinese = re.search(r"[零〇一二两三四五六七八九十百千]+", name)
    if chinese and _chinese_number(chinese.group()) is not None:
        return _chinese_number(chinese.group())
    letter = re.match(r"[A-Za-z]", name)
    if letter:
        return ord(letter.group().upper()) - ord("A") + 1
    return UNNUMBERED


class Patch(BaseModel):
    """A butler's area of responsibility (片区/责任区): a set of buildings."""

    estate = ForeignKeyField(Estate, backref="patches", on_delete="CASCADE")
    name = CharField(max_length=50)
    position = IntegerField(null=True)  # the order people count them in; from the name by default

    class Meta:
        indexes = ((("estate", "name"), True),)

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.position is None:
            self.position = patch_position(self.name)
        return super().save(*args, **kwargs)

    @classmethod
    def ordered(cls, estate_id):
        """Patches of an estate as people count them (一区 二区 三区 … 十二区): every list
        and dropdown of patches uses this order."""
        return cls.select().where(cls.estate == estate_id).order_by(cls.position, cls.name, cls.id)


class Building(ReplaySafe):
    estate = ForeignKeyField(Estate, backref="buildings", on_delete="CASCADE")
    patch = ForeignKeyField(Patch, null=True, backref="buildings", on_delete="SET NULL")
    name = CharField(max_length=20)  # what staff say: "3" for 3号楼
    floors = IntegerField(default=1)
    sort_key = IntegerField(default=0)

    class Meta:
        indexes = ((("estate", "name"), True), (("estate", "sort_key"), False))

    def __str__(self):
        return self.name

    @classmethod
    def in_estate(cls, estate_id, patch_id=None):
        """Buildings of an estate, the given patch's first, then in number order."""
        query = cls.select(cls, Patch).join(Patch, join_type=JOIN.LEFT_OUTER).switch(cls)
        query = query.where(cls.estate == estate_id)
        if patch_id:
            return query.order_by(Case(None, [(cls.patch == patch_id, 0)], 1), cls.sort_key, cls.name)
        return query.order_by(cls.sort_key, cls.name)


class Unit(ReplaySafe):
    estate = ForeignKeyField(Estate, backref="units", on_delete="CASCADE")
    building = ForeignKeyField(Building, backref="units", on_delete="CASCADE")
    number = CharField(max_length=20)  # "1502"
    code = CharField(max_length=40)  # "3-1502": building-number, how units are spoken of
    floor = IntegerField(default=0)
    kind = CharField(max_length=16, default=UnitKind.HOME)
    status = CharField(max_length=24, default=UnitStatus.NOT_HANDED_OVER)
    area = IntegerField(null=True)  # square metres
    note = TextField(default="")
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = (
            (("estate", "code"), True),
            (("building", "floor", "number"), False),
            (("estate", "status"), False),
        )

    def __str__(self):
        return self.code

    @property
    def status_label(self):
        return UnitStatus.LABELS.get(self.status, self.status)

    @property
    def kind_label(self):
        return UnitKind.LABELS.get(self.kind, self.kind)

    @classmethod
    def in_building(cls, building_id):
        """Units of a building, top floor first as on a lobby board."""
        return cls.select().where(cls.building == building_id).order_by(cls.floor.desc(), cls.number)

    @classmethod
    def search(cls, estate_id, text, limit=10):
        """Units whose code starts with `text` ("3-15" finds 3-1501…3-1599); a room number
        without the building ("1502") finds that room in every building, in building order."""
        text = text.replace("号楼", "-").replace("栋", "-").replace(" ", "")
        wanted = cls.code.startswith(text)
        if "-" not in text and len(text) >= 3:
            wanted |= cls.number.startswith(text)
        return (
            cls.select(cls.id, cls.code, cls.status, cls.kind)
            .join(Building)
            .where((cls.estate == estate_id) & wanted)
            .order_by(Case(None, [(cls.number == text, 0)], 1), Building.sort_key, cls.code)
            .limit(limit)
        )

    @classmethod
    def status_counts(cls, estate_id):
        """Count units by status: the house dynamics table in one query."""
        rows = cls.select(cls.status, fn.COUNT(cls.id).alias("n")).where(cls.estate == estate_id).group_by(cls.status)
        return {row.status: row.n for row in rows}


class Resident(ReplaySafe):
    estate = ForeignKeyField(Estate, backref="residents", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, backref="residents", on_delete="CASCADE")
    name = CharField(max_length=50)
    phone = CharField(max_length=20, default="")
    phone_tail = CharField(max_length=4, default="", index=True)
    relation = CharField(max_length=16, default="owner")  # owner / family / tenant
    key_account = BooleanField(default=False)  # 重点户
    arrears = BooleanField(default=False)  # 欠费
    note = TextField(default="")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("estate", "name"), False),)

    RELATIONS = {"owner": _l("Owner"), "family": _l("Family"), "tenant": _l("Tenant")}

    def __str__(self):
        return self.name

    @property
    def relation_label(self):
        return self.RELATIONS.get(self.relation, self.relation)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @staticmethod
    def tail_of(phone: str) -> str:
        """The last four digits of a phone number, for search."""
        return "".join(c for c in phone if c.isdigit())[-4:]

    def save(self, *args, **kwargs):
        self.phone_tail = self.tail_of(self.phone)
        return super().save(*args, **kwargs)

    @classmethod
    def search(cls, estate_id, text, limit=10):
        """Residents by name prefix, or by the last digits of their phone."""
        query = cls.select(cls, Unit).join(Unit).where(cls.estate == estate_id)
        if text.isdigit() and len(text) == 4:
            query = query.where(cls.phone_tail == text)
        elif text.isdigit():
            query = query.where(cls.phone.endswith(text))
        else:
            query = query.where(cls.name.startswith(text))
        return query.order_by(cls.name, cls.id).limit(limit)
