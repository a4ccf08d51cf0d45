"""Estates, patches, buildings, units and residents, and the queries over them."""
import json
import re

from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    BooleanField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from bluebird import clock
from bluebird.db import BaseModel, ReplaySafe, prepared


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
    """A person of a unit's household, as the butler's ledger (工作台帐) keeps him.

    A resident who moves out keeps his row with `moved_out_at`: he stays in the unit's
    history, and every list of *current* residents (`Resident.current`) leaves him out.
    """

    estate = ForeignKeyField(Estate, backref="residents", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, backref="residents", on_delete="CASCADE")
    name = CharField(max_length=50)
    phone = CharField(max_length=20, default="")
    phone_tail = CharField(max_length=4, default="", index=True)
    phone2 = CharField(max_length=20, default="")  # a second number (home, spouse)
    wechat = CharField(max_length=50, default="")
    contact_pref = CharField(max_length=16, default="phone")  # phone / wechat
    relation = CharField(max_length=16, default="owner")  # owner / family / tenant
    members = TextField(default="")  # the household: who lives with him
    key_account = BooleanField(default=False)  # 重点户
    key_reason = CharField(max_length=200, default="")  # why a key account
    arrears = BooleanField(default=False)  # 欠费
    arrears_amount = DecimalField(max_digits=10, decimal_places=2, null=True)
    arrears_as_of = DateField(null=True)
    birthday = DateField(null=True)  # for the greeting (003 篇7 §12)
    note = TextField(default="")
    moved_in_at = DateField(null=True)  # 入住
    moved_out_at = DateField(null=True)  # 迁出: set, he is history
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("estate", "name"), False), (("unit", "moved_out_at"), False))

    RELATIONS = {"owner": _l("Owner"), "family": _l("Family"), "tenant": _l("Tenant")}
    CONTACTS = {"phone": _l("Phone"), "wechat": _l("WeChat")}

    def __str__(self):
        return self.name

    @property
    def relation_label(self):
        return self.RELATIONS.get(self.relation, self.relation)

    @property
    def contact_label(self):
        return self.CONTACTS.get(self.contact_pref, self.contact_pref)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def masked_phone2(self):
        return mask_phone(self.phone2)

    @property
    def is_current(self) -> bool:
        return self.moved_out_at is None

    @staticmethod
    def tail_of(phone: str) -> str:
        """The last four digits of a phone number, for search."""
        return "".join(c for c in phone if c.isdigit())[-4:]

    def save(self, *args, **kwargs):
        self.phone_tail = self.tail_of(self.phone)
        return super().save(*args, **kwargs)

    @classmethod
    def current(cls, estate_id=None):
        """Residents who have not moved out (of an estate, when given)."""
        query = cls.select().where(cls.moved_out_at.is_null())
        return query if estate_id is None else query.where(cls.estate == estate_id)

    @classmethod
    def of_unit(cls, unit_id):
        """A unit's current residents, owners first."""
        return (cls.select().where((cls.unit == unit_id) & cls.moved_out_at.is_null())
                .order_by(Case(None, [(cls.relation == "owner", 0), (cls.relation == "family", 1)], 2), cls.id))

    @classmethod
    def moved_out_of(cls, unit_id):
        """The unit's former residents, the latest to leave first."""
        return (cls.select().where((cls.unit == unit_id) & cls.moved_out_at.is_null(False))
                .order_by(cls.moved_out_at.desc(), cls.id.desc()))

    @staticmethod
    @prepared
    def living_in(*, unit_id=0):
        """`of_unit`, compiled once (the unit page)."""
        return Resident.of_unit(unit_id)

    @staticmethod
    @prepared
    def former_of(*, unit_id=0):
        """`moved_out_of`, compiled once (the unit page)."""
        return Resident.moved_out_of(unit_id)

    @classmethod
    def search(cls, estate_id, text, limit=10):
        """Current residents by name prefix, or by the last digits of their phone."""
        query = cls.select(cls, Unit).join(Unit).where((cls.estate == estate_id) & cls.moved_out_at.is_null())
        if text.isdigit() and len(text) == 4:
            query = query.where(cls.phone_tail == text)
        elif text.isdigit():
            query = query.where(cls.phone.endswith(text))
        else:
            query = query.where(cls.name.startswith(text))
        return query.order_by(cls.name, cls.id).limit(limit)

    @classmethod
    def key_accounts(cls, estate_id, patch_id=None):
        """Current key accounts (重点户) with their unit and building, in building order;
        of one patch when given (0: buildings in no patch)."""
        query = (cls.select(cls, Unit, Building).join(Unit).join(Building)
                 .where((cls.estate == estate_id) & (cls.key_account == True) & cls.moved_out_at.is_null()))  # noqa: E712
        if patch_id:
            query = query.where(Building.patch == patch_id)
        elif patch_id == 0:
            query = query.where(Building.patch.is_null())
        return query.order_by(Building.sort_key, Building.name, Unit.code, cls.id)
