"""Checklist templates (versioned), rounds, item results and QR checkpoints."""
from peewee import (
    JOIN,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    UUIDField,
    fn,
)

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import BaseModel, ReplaySafe
from bluebird.estate.models import Estate, Patch
from bluebird.rounds import kinds


class Template(BaseModel):
    """One version of a checklist. Editing makes a new version; rounds keep theirs."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    family = CharField(max_length=24)  # the kind it serves (re-inspections use "movein")
    name = CharField(max_length=80)
    name_en = CharField(max_length=80, default="")
    version = IntegerField(default=1)
    created_at = DateTimeField(default=clock.now)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    retired_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("estate", "family", "version"), True),)

    @classmethod
    def current(cls, estate_id, family):
        """The newest live version of a family, or None."""
        return (
            cls.select()
            .where((cls.estate == estate_id) & (cls.family == family) & cls.retired_at.is_null())
            .order_by(cls.version.desc())
            .first()
        )

    @classmethod
    def latest_per_family(cls, estate_id):
        """The current version of every family of an estate."""
        newest = (
            cls.select(cls.family, fn.MAX(cls.version).alias("v"))
            .where((cls.estate == estate_id) & cls.retired_at.is_null())
            .group_by(cls.family)
        )
        return [cls.get((cls.estate == estate_id) & (cls.family == row.family) & (cls.version == row.v))
                for row in newest]

    @property
    def total_points(self) -> int:
        return sum(item.points for item in self.items)


class TemplateItem(BaseModel):
    template = ForeignKeyField(Template, backref="items", on_delete="CASCADE")
    position = IntegerField()
    section = CharField(max_length=60)
    section_en = CharField(max_length=60, default="")
    text = CharField(max_length=300)  # the staff's words (Chinese)
    text_en = CharField(max_length=300, default="")
    points = IntegerField(default=0)
    needs_photo = BooleanField(default=False)  # on failure
    needs_note = BooleanField(default=False)  # on failure
    opens_case = CharField(max_length=16, default="")  # case kind opened on failure
    veto = BooleanField(default=False)  # 一票否决: failing it voids the whole score

    class Meta:
        indexes = ((("template", "position"), True),)

    def shown(self, locale: str) -> tuple[str, str]:
        """(section, text) in the reader's language, falling back to Chinese."""
        if locale.startswith("en"):
            return self.section_en or self.section, self.text_en or self.text
        return self.section, self.text


class Round(ReplaySafe):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=16)
    template = ForeignKeyField(Template, on_delete="RESTRICT")
    place_kind = CharField(max_length=16)  # patch / unit / permit / estate
    place_id = IntegerField(null=True)
    place_label = CharField(max_length=80)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    by = ForeignKeyField(User, on_delete="RESTRICT")
    started_at = DateTimeField(default=clock.now)
    finished_at = DateTimeField(null=True)
    score = IntegerField(null=True)  # scored kinds only
    max_score = IntegerField(null=True)
    vetoed = BooleanField(default=False)
    keys_note = CharField(max_length=200, default="")  # keys handed over at a move-in
    # Who signed a move-in: the owner as named at the signing (kept even if the resident's
    # record changes later), and the resident of the unit it is (estate package owns it).
    owner_name = CharField(max_length=50, default="")
    owner_phone = CharField(max_length=20, default="")
    owner_id = IntegerField(null=True)
    note = TextField(default="")
    # A patrol's route coverage, fixed when it finishes (the assessment counts these).
    checkpoints_total = IntegerField(null=True)
    checkpoints_stamped = IntegerField(null=True)

    class Meta:
        indexes = (
            (("estate", "kind", "started_at"), False),
            (("by", "finished_at"), False),
            (("place_kind", "place_id"), False),
        )

    @property
    def subject(self) -> str:
        return f"round:{self.id}"

    @property
    def kind_label(self):
        return kinds.LABELS.get(self.kind, self.kind)

    @property
    def is_open(self) -> bool:
        return self.finished_at is None

    @property
    def coverage(self) -> tuple[int, int] | None:
        """(stamped, total) checkpoints of a finished patrol that had a route."""
        if not self.checkpoints_total:
            return None
        return self.checkpoints_stamped or 0, self.checkpoints_total

    @classmethod
    def recent(cls, estate_id, kind=None, limit=30):
        """The estate's latest rounds, newest first."""
        query = (cls.select(cls, User).join(User, on=(cls.by == User.id))
                 .where(cls.estate == estate_id).order_by(cls.started_at.desc(), cls.id.desc()))
        if kind:
            query = query.where(cls.kind == kind)
        return query.limit(limit)

    @classmethod
    def open_by(cls, user, kind=None):
        """The rounds a user started and has not finished."""
        query = cls.select().where((cls.by == user.id) & cls.finished_at.is_null())
        return query.where(cls.kind == kind) if kind else query


class ItemResult(ReplaySafe):
    round = ForeignKeyField(Round, backref="results", on_delete="CASCADE")
    item = ForeignKeyField(TemplateItem, on_delete="RESTRICT")
    result = CharField(max_length=4)  # ok / fail / na
    deduction = IntegerField(default=0)
    note = CharField(max_length=500, default="")
    at = DateTimeField(default=clock.now)
    by = ForeignKeyField(User, on_delete="RESTRICT")
    case_id = IntegerField(null=True)  # the case this failure opened (cases package owns it)
    # The submission that last changed this result (client_uuid is the one that created
    # it): a replayed change finds itself here and changes nothing.
    last_uuid = UUIDField(null=True)

    class Meta:
        indexes = ((("round", "item"), True),)

    @property
    def subject(self) -> str:
        return f"result:{self.id}"

    @classmethod
    def of_round(cls, round_id):
        """A round's results with their items, in checklist order."""
        return (cls.select(cls, TemplateItem).join(TemplateItem)
                .where(cls.round == round_id).order_by(TemplateItem.position))


class Checkpoint(BaseModel):
    """A place on a patrol route with a QR code on the wall."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    patch = ForeignKeyField(Patch, null=True, on_delete="SET NULL")
    name = CharField(max_length=60)
    position = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("estate", "name"), True),)

    @classmethod
    def for_patch(cls, estate_id, patch_id):
        """The live checkpoints of a patch (and the estate-wide ones)."""
        return (cls.select().where((cls.estate == estate_id) & cls.active
                                   & ((cls.patch == patch_id) | cls.patch.is_null()))
                .order_by(cls.position, cls.name))


class CheckpointVisit(BaseModel):
    round = ForeignKeyField(Round, backref="visits", on_delete="CASCADE")
    checkpoint = ForeignKeyField(Checkpoint, on_delete="CASCADE")
    at = DateTimeField(default=clock.now)
    by = ForeignKeyField(User, on_delete="RESTRICT")

    class Meta:
        indexes = ((("round", "checkpoint"), True),)

    @classmethod
    def of_round(cls, round_id):
        return (cls.select(cls, Checkpoint).join(Checkpoint, JOIN.INNER)
                .where(cls.round == round_id).order_by(cls.at))
