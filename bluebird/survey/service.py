"""The functions that issue survey links and take the owner's answer.

A link is created when a repair or complaint closes (`invite_for_case`, called inside the
closing transaction) and for every household of a periodic survey (`start_round`). The
owner's submission (`submit`) is one unit: it claims the invitation with a conditional
UPDATE (single use, not expired), writes the answer and its scores, and puts his comment
and photos on the case's timeline; a used or expired link writes nothing.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from peewee import fn

from bluebird import clock
from bluebird.cases.kinds import CaseKind, CaseStatus
from bluebird.cases.models import Case
from bluebird.db import create_once, db
from bluebird.estate.models import Building, Unit, UnitKind, UnitStatus
from bluebird.photos import service as photo_store
from bluebird.survey import tokens
from bluebird.survey.models import Answer, Invitation, Score, SurveyRound
from bluebird.survey.questions import COMPLAINT, PERIODIC, QUESTIONS, REPAIR
from bluebird.timeline.models import record

DEFAULT_DAYS = 14
SURVEYED_CASES = (CaseKind.REPAIR, CaseKind.COMPLAINT)
HOUSEHOLDS = (UnitStatus.OCCUPIED, UnitStatus.RENTED)  # who a periodic survey asks


class SurveyError(Exception):
    """A request that cannot be done; `status` is the HTTP answer."""

    def __init__(self, message, status=409, field=None):
        super().__init__(str(message))
        self.message, self.status, self.field = message, status, field


def valid_days(estate) -> int:
    """How many days a link stays open in this estate (setting `survey_days`, default 14)."""
    try:
        days = int(estate.setting("survey_days", DEFAULT_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if 1 <= days <= 90 else DEFAULT_DAYS


def _target_of(case) -> str:
    return case.target if case.kind == CaseKind.COMPLAINT else case.trade


def invite_for_case(case: Case, actor_id=None) -> Invitation | None:
    """The owner's link about a closed repair or complaint of a household (inside the caller's
    transaction). A link still open for the case is kept (its time starts again)."""
    if case.kind not in SURVEYED_CASES or case.status != CaseStatus.CLOSED or not case.unit_id:
        return None
    now = clock.now()
    expires = now + timedelta(days=valid_days(case.estate))
    open_one = (Invitation.select().where((Invitation.case == case.id) & Invitation.answered_at.is_null()
                                          & (Invitation.expires_at > now)).first())
    if open_one is not None:
        Invitation.update(expires_at=expires).where(Invitation.id == open_one.id).execute()
        return open_one
    invitation = Invitation.create(
        estate=case.estate_id, unit=case.unit_id, building=case.building_id, case=case.id,
        kind=REPAIR if case.kind == CaseKind.REPAIR else COMPLAINT, target=_target_of(case),
        nonce=tokens.new_nonce(), created_at=now, expires_at=expires, issued_by=actor_id)
    record(case.estate_id, case.subject, actor_id, "survey_invited", invitation=invitation.id)
    return invitation


def start_round(client_uuid, *, estate, user, building_id, title) -> tuple[SurveyRound, bool]:
    """A supervisor starts a periodic survey of a building (or the whole estate): one link per
    occupied household, in one transaction."""
    building = None
    if building_id:
        building = Building.get_or_none((Building.id == building_id) & (Building.estate == estate.id))
        if building is None:
            raise SurveyError(_l("Choose a building of this estate."), status=422, field="building")
    now = clock.now()
    expires = now + timedelta(days=valid_days(estate))
    units = (Unit.select(Unit.id, Unit.building).where((Unit.estate == estate.id) & (Unit.kind == UnitKind.HOME)
                                                       & Unit.status.in_(HOUSEHOLDS)))
    if building is not None:
        units = units.where(Unit.building == building.id)
    units = list(units.order_by(Unit.id))
    if not units:
        raise SurveyError(_l("There is no occupied household to ask here."), status=422, field="building")
    with db.atomic():
        survey, created = create_once(SurveyRound, client_uuid, estate=estate.id, started_by=user.id,
                                      building=building.id if building else None, title=title.strip()[:80],
                                      started_at=now, expires_at=expires, invited=len(units))
        if not created:
            return survey, False
        rows = [dict(estate=estate.id, unit=u.id, building=u.building_id, survey_round=survey.id, kind=PERIODIC,
                     target="", nonce=tokens.new_nonce(), created_at=now, expires_at=expires, issued_by=user.id)
                for u in units]
        for i in range(0, len(rows), 500):
            Invitation.insert_many(rows[i:i + 500]).execute()
    return survey, True


def reissue(invitation: Invitation, actor) -> Invitation:
    """A new link for a household whose link expired unanswered (the old link stops working)."""
    if invitation.answered_at is not None:
        raise SurveyError(_l("This household has answered already."), status=409)
    invitation.nonce = tokens.new_nonce()
    invitation.expires_at = clock.now() + timedelta(days=valid_days(invitation.estate))
    invitation.issued_by = actor.id
    invitation.save()
    return invitation


# The public side -----------------------------------------------------------------------

VALID, INVALID, USED, EXPIRED = "valid", "invalid", "used", "expired"


def find(token: str) -> tuple[Invitation | None, str]:
    """The invitation a link names and its state. A malformed, unknown or forged token is
    INVALID, and says nothing about which."""
    parsed = tokens.parse(token)
    if parsed is None:
        return None, INVALID
    invitation = Invitation.get_or_none(Invitation.id == parsed[0])
    if invitation is None or not tokens.verify(invitation, parsed[1]):
        return None, INVALID
    if invitation.answered_at is not None:
        return invitation, USED
    if invitation.expires_at <= clock.now():
        return invitation, EXPIRED
    return invitation, VALID


@dataclass(frozen=True)
class OwnersCase:
    """What the owner may see of his case: no phones, no other residents, no notes."""

    number: str
    kind_label: str
    status_label: str
    technician: str
    done_at: object


def owners_case(invitation: Invitation) -> OwnersCase | None:
    if not invitation.case_id:
        return None
    case = Case.get_or_none(Case.id == invitation.case_id)
    if case is None:
        return None
    return OwnersCase(number=case.number, kind_label=case.kind_label, status_label=case.status_label,
                      technician=case.assignee.name if case.assignee_id else "",
                      done_at=case.done_at or case.closed_at)


def submit(invitation: Invitation, *, scores: dict, comment: str = "", note: str = "", photos=()) -> str:
    """Take the owner's answer once. Returns VALID when stored, else USED or EXPIRED and
    nothing is stored (photo files already written are removed)."""
    wanted = QUESTIONS[invitation.kind]
    if set(scores) != set(wanted) or any(int(v) not in range(1, 6) for v in scores.values()):
        raise SurveyError(_l("Answer every question."), status=422)
    case = Case.get_or_none(Case.id == invitation.case_id) if invitation.case_id else None
    if case is None and (photos or note.strip()):
        raise SurveyError(_l("Photos and notes go with a repair or complaint."), status=422)
    stored = photo_store.store_all(photos)
    try:
        with db.atomic():
            now = clock.now()
            claimed = (Invitation.update(answered_at=now)
                       .where((Invitation.id == invitation.id) & Invitation.answered_at.is_null()
                              & (Invitation.expires_at > now)).execute())
            if claimed != 1:
                state = USED if Invitation.get_by_id(invitation.id).answered_at else EXPIRED
                photo_store.discard(stored)
                return state
            answer = Answer.create(estate=invitation.estate_id, invitation=invitation.id, case=invitation.case_id,
                                   unit=invitation.unit_id, building=invitation.building_id, kind=invitation.kind,
                                   target=invitation.target, answered_at=now, comment=comment.strip()[:1000])
            Score.insert_many([dict(answer=answer.id, question=q, score=int(scores[q])) for q in wanted]).execute()
            if case is not None:
                # The timeline says the owner answered, never what he scored (000 §6).
                record(case.estate_id, case.subject, None, "owner_survey")
                if note.strip():
                    record(case.estate_id, case.subject, None, "owner_comment", text=note.strip()[:1000])
                if stored:
                    photo_store.attach_all(stored, estate_id=case.estate_id, subject=case.subject, actor_id=None,
                                           place=case.where)
                    record(case.estate_id, case.subject, None, "owner_photos", n=len(stored))
    except BaseException:
        photo_store.discard(stored)
        raise
    return VALID


def answered_counts(round_ids) -> dict:
    """Survey round id → how many of its households answered."""
    if not round_ids:
        return {}
    rows = (Invitation.select(Invitation.survey_round, fn.COUNT(Invitation.id))
            .where(Invitation.survey_round.in_(list(round_ids)) & Invitation.answered_at.is_null(False))
            .group_by(Invitation.survey_round).tuples())
    return dict(rows)


def overall_scores(answer_ids) -> dict:
    """Answer id → its overall score (the answers list shows it)."""
    if not answer_ids:
        return {}
    rows = (Score.select(Score.answer, Score.score)
            .where(Score.answer.in_(list(answer_ids)) & (Score.question == "overall")).tuples())
    return dict(rows)
