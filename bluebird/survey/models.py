"""Survey rounds, the owner's invitations (one link each), and the answers they bring back.

An invitation is one household's link: about a closed repair or complaint, or one
household of a periodic survey a supervisor started for a building or the estate. Its
answer is kept apart from the verdict staff type in after a call (`Case.satisfaction`,
"told to staff on the phone"): the two are never summed into one figure.
"""
from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases.models import Case
from bluebird.db import BaseModel, ReplaySafe
from bluebird.estate.models import Building, Estate, Unit


class SurveyRound(ReplaySafe):
    """A periodic survey (定期满意度调查) a supervisor started for a building or the estate."""

    replay_scope = ("estate", "started_by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    building = ForeignKeyField(Building, null=True, on_delete="SET NULL")  # None: the whole estate
    title = CharField(max_length=80)
    started_by = ForeignKeyField(User, on_delete="RESTRICT")
    started_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField()
    invited = IntegerField(default=0)

    class Meta:
        table_name = "survey_round"
        indexes = ((("estate", "started_at"), False),)

    @classmethod
    def recent(cls, estate_id, limit=10):
        """The estate's latest survey rounds, newest first."""
        return (cls.select(cls, Building).join(Building, JOIN.LEFT_OUTER).switch(cls)
                .where(cls.estate == estate_id).order_by(cls.started_at.desc(), cls.id.desc()).limit(limit))


class Invitation(BaseModel):
    """One household's survey link. The link is `id.signature`; the signature is an HMAC of
    the id and `nonce` under the app's secret, so neither the database nor the key alone
    makes a link. `answered_at` makes it single-use; `expires_at` ends it."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")  # the household
    building = ForeignKeyField(Building, null=True, on_delete="SET NULL")  # for filters and statistics
    case = ForeignKeyField(Case, null=True, on_delete="CASCADE")
    survey_round = ForeignKeyField(SurveyRound, null=True, backref="invitations", on_delete="CASCADE")
    kind = CharField(max_length=16)  # repair / complaint / periodic: which questions
    target = CharField(max_length=32, default="")  # what was surveyed: a complaint's target, a repair's trade
    nonce = CharField(max_length=32)
    created_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField()
    answered_at = DateTimeField(null=True)
    issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "survey_invitation"
        indexes = (
            (("estate", "answered_at", "expires_at"), False),
            (("estate", "created_at"), False),  # links made per month
            (("case",), False),
            (("survey_round", "unit"), False),
        )

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.expires_at > clock.now()

    @classmethod
    def waiting(cls, estate_id, patch_id=None):
        """Links not yet answered nor expired, newest first (a butler's: his patch)."""
        query = (cls.select(cls, Unit).join(Unit, JOIN.LEFT_OUTER).switch(cls)
                 .where((cls.estate == estate_id) & cls.answered_at.is_null() & (cls.expires_at > clock.now())))
        if patch_id:
            query = query.join(Building, on=(cls.building == Building.id)).where(Building.patch == patch_id)
        return query.order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def latest_for_case(cls, case_id):
        return cls.select().where(cls.case == case_id).order_by(cls.id.desc()).first()


class Answer(BaseModel):
    """What an owner answered through one invitation (only supervisors read it, 000 §6)."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    invitation = ForeignKeyField(Invitation, unique=True, on_delete="CASCADE")
    case = ForeignKeyField(Case, null=True, on_delete="SET NULL")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    building = ForeignKeyField(Building, null=True, on_delete="SET NULL")
    kind = CharField(max_length=16)
    target = CharField(max_length=32, default="")
    answered_at = DateTimeField(default=clock.now)
    comment = TextField(default="")

    class Meta:
        table_name = "survey_answer"
        indexes = ((("estate", "answered_at"), False),)

    @classmethod
    def listing(cls, estate_id):
        """The estate's answers, newest first, with their household."""
        return (cls.select(cls, Unit).join(Unit, JOIN.LEFT_OUTER).switch(cls)
                .where(cls.estate == estate_id).order_by(cls.answered_at.desc(), cls.id.desc()))


class Score(BaseModel):
    """One question's score (1 very unsatisfied … 5 very satisfied) in an answer."""

    answer = ForeignKeyField(Answer, backref="scores", on_delete="CASCADE")
    question = CharField(max_length=24)
    score = IntegerField()

    class Meta:
        table_name = "survey_score"
        # The second index covers the statistics' reads (no table lookups).
        indexes = ((("answer", "question"), True), (("answer", "question", "score"), False))
