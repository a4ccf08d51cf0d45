"""The Duty table: one row for each thing somebody must do by some time.

Domain code creates duties (from the clock rules in rules.py, or daily generation) and
closes them when the real work is done. Nobody ticks a duty by hand. The agenda,
reminders, escalation and KPI deductions all read these rows.

Every duty ends, and `outcome` says how: done (by the real work, with its lateness),
void (its subject ended or it no longer applies, with the reason; see outcomes.py), or
missed (still open when its KPI period closed: it stays open and owed, and keeps
`missed_at` whatever happens to it later). `done_at`/`done_by` are "ended at/by" for
every outcome, so each partial index `WHERE done_at IS NULL` holds exactly the open rows.
"""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    SQL,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    fn,
)
from peewee import (
    Case as SqlCase,
)

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import BaseModel, db, prepared
from bluebird.estate.models import Estate


def one_if(condition):
    """1 when the condition holds, else 0 (for SUM)."""
    return SqlCase(None, [(condition, 1)], 0)


class Outcome:
    DONE = "done"
    VOID = "void"
    MISSED = "missed"  # still open: owed, counted for the period it was missed in

    LABELS = {DONE: _l("Done"), VOID: _l("Void"), MISSED: _l("Missed")}


class Duty(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=40)
    subject = CharField(max_length=40)  # "case:7", "unit:12", "patch:3": what it is about
    title = CharField(max_length=200, default="")  # shown next to the kind's label
    assignee = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="duties")
    role = CharField(max_length=16, null=True)  # anyone with this role, when no assignee
    excluded = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")  # …except this person
    due_at = DateTimeField()
    due_date = DateField()  # the day it is due: recurring duties are unique per day
    done_at = DateTimeField(null=True)  # ended at (done or void); NULL while open
    done_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="duties_done")  # ended by
    outcome = CharField(max_length=8, null=True)  # None while open, or an Outcome
    void_reason = CharField(max_length=200, default="")  # a reason code (outcomes.REASONS) or text
    missed_at = DateTimeField(null=True)  # the end of the KPI period it was still open at
    late_minutes = IntegerField(null=True)  # recorded when done; 0 when on time
    notified_at = DateTimeField(null=True)
    escalate_at = DateTimeField(null=True)  # due_at + the rule's grace: then the supervisor sees it
    escalated_at = DateTimeField(null=True)
    points = IntegerField(default=0)  # KPI deduction when missed (DOMAIN.md 绩效)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("subject",), False),)

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due_at < clock.now()

    @property
    def is_void(self) -> bool:
        return self.outcome == Outcome.VOID

    @property
    def reason_label(self):
        from bluebird.duties.outcomes import reason_label

        return reason_label(self.void_reason)

    @property
    def label(self):
        from bluebird.duties.rules import kind_label

        return kind_label(self.kind)

    @property
    def url(self):
        from bluebird.duties.rules import link_for

        return link_for(self.subject, self.kind)

    @classmethod
    def open_for(cls, user, limit=None):
        """A user's open duties, soonest due first: the agenda (我的待办).

        One `id IN (… ORDER BY due_at LIMIT n)` per branch (mine, my role's, escalated),
        each walking its own partial index: an OR over the branches lets the planner
        (after ANALYZE, at a million duties) scan every open duty of the estate instead.
        """
        branches = [cls.assignee == user.id,
                    cls.assignee.is_null() & (cls.role == user.role) & (cls.estate == user.estate_id)
                    & (cls.excluded.is_null() | (cls.excluded != user.id))]
        if user.supervises:
            branches.append(cls.escalated_at.is_null(False) & (cls.estate == user.estate_id))
        wanted = None
        for branch in branches:
            ids = cls.select(cls.id).where(cls.done_at.is_null() & branch).order_by(cls.due_at, cls.id)
            part = cls.id.in_(ids.limit(limit) if limit else ids)
            wanted = part if wanted is None else wanted | part
        return cls.select().where(wanted).order_by(cls.due_at, cls.id)

    @classmethod
    def voided_for(cls, user, since, limit=20):
        """A user's duties voided since `since`, latest first (struck through on the agenda)."""
        return _voided(user_id=user.id, since=since, limit=limit)

    @classmethod
    def about(cls, subject):
        """Every duty about one thing, open or ended, soonest due first (the case page)."""
        return _about(subject=subject)

    @classmethod
    def overdue_in(cls, estate_id, now=None):
        """Open duties of an estate that are past due, oldest first."""
        now = now or clock.now()
        return (
            cls.select(cls, User)
            .join(User, on=(cls.assignee == User.id), join_type=JOIN.LEFT_OUTER)
            .where((cls.estate == estate_id) & cls.done_at.is_null() & (cls.due_at < now))
            .order_by(cls.due_at)
        )

    @classmethod
    def overdue_of(cls, estate_id, assignee_id=None, role=None, now=None):
        """One row of the overdue board: a person's overdue duties (or a role's unassigned ones), oldest first."""
        who = (cls.assignee == assignee_id) if assignee_id else (cls.assignee.is_null() & (cls.role == role))
        return cls.overdue_in(estate_id, now).where(who)

    @classmethod
    def overdue_by_person(cls, estate_id, now=None):
        """Count overdue duties per assignee (None for role-wide duties)."""
        now = now or clock.now()
        return (
            cls.select(cls.assignee, cls.role, fn.COUNT(cls.id).alias("n"), fn.MIN(cls.due_at).alias("oldest"))
            .where((cls.estate == estate_id) & cls.done_at.is_null() & (cls.due_at < now))
            .group_by(cls.assignee, cls.role)
            .order_by(fn.COUNT(cls.id).desc())
        )

    @classmethod
    def open_about_kind_for(cls, user, kind):
        """A user's open duties of one kind, soonest first."""
        return cls.select().where((cls.assignee == user.id) & (cls.kind == kind) & cls.done_at.is_null()).order_by(
            cls.due_at)

    @classmethod
    def counted_in(cls, estate_id, start, end, kinds, assignee_id=None, tolerance=0):
        """Duties due in [start, end) that count against whoever owed them (绩效).

        Missed (missed_at is kept even when it was done later) or done late; never void.
        Escalation changes nothing: the row keeps its assignee. Late means more than
        `tolerance` minutes (the estate's). The first OR matches the partial index
        `duty_counted` (migration 016, covering since 025): its 0 is written as a literal,
        since SQLite uses a partial index only when the query repeats its WHERE word for
        word (a bound parameter does not). The second applies the tolerance. Selects
        (id, kind, subject, assignee, due_at, missed_at, late_minutes), in that order.
        """
        query = (cls.select(cls.id, cls.kind, cls.subject, cls.assignee, cls.due_at, cls.missed_at, cls.late_minutes)
                 .where((cls.estate == estate_id) & (cls.missed_at.is_null(False) | (cls.late_minutes > SQL("0")))
                        & (cls.missed_at.is_null(False) | (cls.late_minutes > tolerance))
                        & (cls.due_at >= start) & (cls.due_at < end) & cls.kind.in_(list(kinds))
                        & cls.assignee.is_null(False) & (cls.outcome != Outcome.VOID))
                 .order_by(cls.due_at, cls.id))
        if assignee_id is not None:
            query = query.where(cls.assignee == assignee_id)
        return query

    @classmethod
    def on_time_tally(cls, estate_id, start, end, kinds, assignee_id=None):
        """Per (assignee, kind): duties due in [start, end) that ended or were missed, and how many on time.

        On time: done, never missed, not a minute late. Void duties are left out; open
        duties not yet missed are not counted yet.
        """
        on_time = fn.SUM(one_if((cls.outcome == Outcome.DONE) & cls.missed_at.is_null() & (cls.late_minutes == 0)))
        query = (cls.select(cls.assignee, cls.kind, fn.COUNT(cls.id).alias("total"), on_time.alias("on_time"))
                 .where((cls.estate == estate_id) & (cls.due_at >= start) & (cls.due_at < end)
                        & cls.kind.in_(list(kinds)) & cls.assignee.is_null(False)
                        & (((cls.outcome == Outcome.DONE) | cls.missed_at.is_null(False))
                           & (cls.outcome != Outcome.VOID)))
                 .group_by(cls.assignee, cls.kind))
        if assignee_id is not None:
            query = query.where(cls.assignee == assignee_id)
        return query

    @classmethod
    def open_about(cls, subject, kind=None):
        """Open duties about one thing, optionally of one kind."""
        query = cls.select().where((cls.subject == subject) & cls.done_at.is_null())
        if kind:
            query = query.where(cls.kind == kind)
        return query


# Partial indexes: the agenda and the scheduler only ever look at open duties, so the
# indexes hold only those rows and stay small however much history piles up.
# One open duty of a kind about a thing per day: a replayed event cannot double it,
# yet a reopened case can get the same kind of duty again once the first is done.
Duty.add_index(Duty.index(Duty.kind, Duty.subject, Duty.due_date, unique=True, where=Duty.done_at.is_null(),
                          name="duty_open_once"))
Duty.add_index(Duty.index(Duty.assignee, Duty.due_at, where=Duty.done_at.is_null(), name="duty_open_assignee"))
Duty.add_index(Duty.index(Duty.estate, Duty.role, Duty.due_at, where=Duty.done_at.is_null() & Duty.assignee.is_null(),
                          name="duty_open_role_unassigned"))
Duty.add_index(Duty.index(Duty.estate, Duty.due_at, where=Duty.done_at.is_null(), name="duty_open_estate"))
Duty.add_index(Duty.index(Duty.estate, Duty.due_at, where=Duty.done_at.is_null() & Duty.escalated_at.is_null(False),
                          name="duty_open_escalated"))  # a supervisor's agenda (migration 027)
Duty.add_index(Duty.index(Duty.escalate_at, where=Duty.done_at.is_null() & Duty.escalated_at.is_null(),
                          name="duty_to_escalate"))
Duty.add_index(Duty.index(Duty.due_at, where=Duty.done_at.is_null() & Duty.notified_at.is_null(),
                          name="duty_to_remind"))
Duty.add_index(Duty.index(Duty.assignee, Duty.done_at, where=Duty.outcome == Outcome.VOID, name="duty_void_assignee"))
Duty.add_index(Duty.index(Duty.subject, where=Duty.done_at.is_null(), name="duty_open_subject"))  # tick's safety net


def create_duty(estate_id, kind, subject, due_at, *, assignee=None, role=None, title="", points=0,
                grace=timedelta(hours=1), once_per_day=False):
    """Create a duty, or return the open one of that kind about the subject that day.

    once_per_day: recurring duties (a daily patrol) are made at most once a day, even
    when the first one is already done.
    """
    if assignee is None and role is None:
        raise ValueError("a duty needs an assignee or a role")
    due_day: date = due_at.date()
    try:
        with db.atomic():
            existing = find_duty(kind, subject, due_day, open_only=not once_per_day)
            if existing is not None:
                return existing
            return Duty.create(
                estate=estate_id,
                kind=kind,
                subject=subject,
                title=title[:200],
                assignee=assignee,
                role=role,
                due_at=due_at,
                due_date=due_day,
                points=points,
                escalate_at=due_at + grace,
            )
    except IntegrityError:
        # On PostgreSQL two schedulers generating the day's duties at once can both miss
        # the row above; the unique index lets one insert win: return that one.
        existing = find_duty(kind, subject, due_day, open_only=not once_per_day)
        if existing is None:
            raise
        return existing


def find_duty(kind, subject, due_day, open_only=True):
    """Return the (open; else any but void) duty of a kind about a subject due on a day, if any."""
    return _find_duty.first(bool(open_only), kind=kind, subject=subject, due_day=due_day)


@prepared
def _find_duty(open_only, *, kind="", subject="", due_day=date(2000, 1, 1)):
    """find_duty's query, compiled once per shape: every registration and tick asks it, and
    peewee's get_or_none compiled a miss twice (once more for the error it then swallowed)."""
    query = (Duty.kind == kind) & (Duty.subject == subject) & (Duty.due_date == due_day)
    if open_only:
        query &= Duty.done_at.is_null()
    else:  # a void one does not count: if it applies again the same day, it is made again
        query &= Duty.outcome.is_null() | (Duty.outcome != Outcome.VOID)
    return Duty.select().where(query).limit(1)


def reassign_duties(subject, kinds, user_id, by=None) -> int:
    """Hand a thing's open duties of these kinds to one person (e.g. on dispatch).

    A duty the role held (nobody yet) simply gets its owner. One another person held is
    voided as superseded and the new owner gets his own, with the same due time: the old
    owner is not counted for work taken from him, and the new one answers from now on.
    """
    from bluebird.duties.outcomes import SUPERSEDED, void
    from bluebird.notify.reminders import announce_reassigned

    kinds = list(kinds)
    with db.atomic():
        mine = (Duty.subject == subject) & Duty.done_at.is_null() & Duty.kind.in_(kinds)
        moved = [d.id for d in Duty.update(assignee=user_id, role=None).where(mine & Duty.assignee.is_null())
                 .returning(Duty.id).execute()]
        others = list(Duty.select().where(mine & Duty.assignee.is_null(False) & (Duty.assignee != user_id)))
        if others:
            void(others, SUPERSEDED, by)
        new = [Duty.create(estate=old.estate_id, kind=old.kind, subject=old.subject, title=old.title,
                           assignee=user_id, due_at=old.due_at, due_date=old.due_date, points=old.points,
                           escalate_at=old.escalate_at, escalated_at=old.escalated_at, created_at=clock.now()).id
               for old in others]
        # The new owner hears of them at once; whoever had them, that they moved (notify).
        announce_reassigned(moved + new, user_id, [old.assignee_id for old in others])
    return len(moved) + len(others)


def escalate_overdue(now=None) -> list[int]:
    """Mark duties past their grace period as escalated, each once; return their ids.

    The UPDATE is conditional on escalated_at being empty, so two schedulers running at
    once escalate each duty exactly once.
    """
    now = now or clock.now()
    due = [
        d.id
        for d in Duty.select(Duty.id).where(
            Duty.done_at.is_null() & Duty.escalated_at.is_null() & (Duty.escalate_at <= now)
        )
    ]
    claimed = []
    for duty_id in due:
        if Duty.update(escalated_at=now).where((Duty.id == duty_id) & Duty.escalated_at.is_null()).execute():
            claimed.append(duty_id)
    return claimed


def claim_reminders(duty_ids, now=None) -> list[int]:
    """Mark open duties as reminded, each once; return the ids this caller claimed.

    Like escalation, the UPDATE is conditional on notified_at being empty, so of two
    schedulers running at once exactly one reminds each duty.
    """
    now = now or clock.now()
    claimed = []
    for start in range(0, len(duty_ids), 500):
        chunk = list(duty_ids[start:start + 500])
        query = Duty.update(notified_at=now).where(
            Duty.id.in_(chunk) & Duty.notified_at.is_null() & Duty.done_at.is_null())
        claimed.extend(row.id for row in query.returning(Duty.id).execute())
    return claimed


def close_duties(subject, kind, by_user=None, at=None) -> int:
    """Close the open duties of a kind about a subject, recording who and how late."""
    at = at or clock.now()
    closed = 0
    with db.atomic():
        for duty in Duty.open_about(subject, kind):
            late = max(0, int((at - duty.due_at) / timedelta(minutes=1)))
            closed += (
                Duty.update(done_at=at, done_by=by_user, late_minutes=late, outcome=Outcome.DONE)
                .where((Duty.id == duty.id) & Duty.done_at.is_null())
                .execute()
            )
    return closed


@prepared
def _voided(*, user_id=0, since=clock.now(), limit=0):
    """Duty.voided_for's query, compiled once: the agenda asks it on every load."""
    return (Duty.select().where((Duty.assignee == user_id) & (Duty.outcome == Outcome.VOID) & (Duty.done_at >= since))
            .order_by(Duty.done_at.desc()).limit(limit))


@prepared
def _about(*, subject=""):
    """Duty.about's query, compiled once."""
    return Duty.select().where(Duty.subject == subject).order_by(Duty.done_at.is_null(False), Duty.due_at, Duty.id)
