"""Survey statistics: monthly, and half-yearly by question, building and target.

Every figure here is the owners' own answers. The verdict staff typed in after a call
(`Case.satisfaction`, 电话回访时告知) is counted by `phone_verdicts`, on its own, and is
never added into these figures.

Rates: a score of 4 or 5 (satisfied, very satisfied) counts toward 满意率; a building's
or a target's rate is that of the "overall" question.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from peewee import Case as PeeweeCase
from peewee import fn

from bluebird.cases.kinds import SATISFACTION, TARGETS, TRADES, CaseKind
from bluebird.cases.models import Case
from bluebird.estate.models import Building
from bluebird.survey.models import Answer, Invitation, Score
from bluebird.survey.questions import ALL_QUESTIONS, COMPLAINT, KIND_LABELS, PERIODIC, SATISFIED


@dataclass
class Tally:
    """Scores of one group: how many, their sum, how many satisfied."""

    n: int = 0
    total: int = 0
    satisfied: int = 0

    def merge(self, n, total, satisfied):
        self.n += int(n or 0)
        self.total += int(total or 0)
        self.satisfied += int(satisfied or 0)

    @property
    def average(self):
        return round(self.total / self.n, 2) if self.n else None

    @property
    def rate(self):
        """满意率 in percent, one decimal."""
        return round(100 * self.satisfied / self.n, 1) if self.n else None


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _month_start(year, month):
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1)


def _scored(estate_id, start_utc, end_utc, *group):
    """Counted in the database: (*group, n, sum, satisfied) of a period's scores (the
    answers' (estate, answered_at) index, then the scores' covering index)."""
    satisfied = fn.SUM(PeeweeCase(None, [(Score.score >= SATISFIED[0], 1)], 0))
    return (Score.select(*group, fn.COUNT(Score.id), fn.SUM(Score.score), satisfied).join(Answer)
            .where((Answer.estate == estate_id) & (Answer.answered_at >= start_utc) & (Answer.answered_at < end_utc))
            .group_by(*group).tuples())


def _tally(n, total, satisfied) -> Tally:
    return Tally(n=int(n or 0), total=int(total or 0), satisfied=int(satisfied or 0))


@dataclass
class Month:
    label: str
    start: date
    invited: int = 0
    answers: int = 0
    by_question: dict = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)

    @property
    def response_rate(self):
        return round(100 * self.answers / self.invited, 1) if self.invited else None


def monthly(estate, year: int, month: int, count: int = 6) -> list[Month]:
    """The `count` months up to and including year-month (the estate's local months): a few
    indexed, grouped queries per month, whatever the number of answers."""
    zone = ZoneInfo(estate.timezone)
    months = []
    for i in range(count):
        start = _month_start(year, month - count + 1 + i)
        lo, hi = _utc(start, zone), _utc(_month_start(start.year, start.month + 1), zone)
        m = Month(label=f"{start.year}-{start.month:02d}", start=start.date())
        for question, *counts in _scored(estate.id, lo, hi, Score.question):
            m.by_question[question] = _tally(*counts)
        m.overall = m.by_question.get("overall", Tally())
        m.answers = Answer.select().where((Answer.estate == estate.id) & (Answer.answered_at >= lo)
                                          & (Answer.answered_at < hi)).count()
        m.invited = Invitation.select().where((Invitation.estate == estate.id) & (Invitation.created_at >= lo)
                                              & (Invitation.created_at < hi)).count()
        months.append(m)
    return months


def half_year_bounds(year: int, half: int) -> tuple[datetime, datetime]:
    """Local start and end of H1 (Jan–Jun) or H2 (Jul–Dec)."""
    start = datetime(year, 1 if half == 1 else 7, 1)
    return start, _month_start(start.year, start.month + 6)


def target_label(kind: str, target: str) -> str:
    """What an answer was about, for the by-target table: 投诉 · 设计, 维修 · 水, 定期调查."""
    if kind == PERIODIC:
        return str(KIND_LABELS[PERIODIC])
    words = TARGETS if kind == COMPLAINT else TRADES
    return f"{KIND_LABELS.get(kind, kind)} · {words.get(target, target or '—')}"


@dataclass
class HalfYear:
    by_question: dict
    by_building: dict
    by_target: dict
    answers: int


def half_year(estate, year: int, half: int) -> HalfYear:
    """Scores of a half year, by question (every score), by building and by target (the
    overall question): one grouped query, summed here."""
    zone = ZoneInfo(estate.timezone)
    start, end = half_year_bounds(year, half)
    lo, hi = _utc(start, zone), _utc(end, zone)
    by_question, building_ids, targets = {}, {}, {}
    for question, building_id, kind, target, n, total, satisfied in _scored(
            estate.id, lo, hi, Score.question, Answer.building, Answer.kind, Answer.target):
        by_question.setdefault(question, Tally()).merge(n, total, satisfied)
        if question == "overall":
            building_ids.setdefault(building_id, Tally()).merge(n, total, satisfied)
            targets.setdefault((kind, target), Tally()).merge(n, total, satisfied)
    names = dict(Building.select(Building.id, Building.name)
                 .where(Building.id.in_([b for b in building_ids if b])).tuples()) if building_ids else {}
    by_building = {}
    for building_id, tally in building_ids.items():
        by_building.setdefault(names.get(building_id, "—"), Tally()).merge(tally.n, tally.total, tally.satisfied)
    by_target = {}
    for (kind, target), tally in targets.items():
        by_target.setdefault(target_label(kind, target), Tally()).merge(tally.n, tally.total, tally.satisfied)
    answers = Answer.select().where((Answer.estate == estate.id) & (Answer.answered_at >= lo)
                                    & (Answer.answered_at < hi)).count()
    return HalfYear(by_question={q: by_question[q] for q in ALL_QUESTIONS if q in by_question},
                    by_building=dict(sorted(by_building.items(), key=_building_order)),
                    by_target=dict(sorted(by_target.items())), answers=answers)


def _building_order(item):
    name = item[0]
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def phone_verdicts(estate, start_local: datetime, end_local: datetime) -> dict:
    """What owners told staff on the phone (电话回访时告知), counted apart: verdict → cases."""
    zone = ZoneInfo(estate.timezone)
    rows = (Case.select(Case.satisfaction, fn.COUNT(Case.id))
            .where((Case.estate == estate.id) & Case.kind.in_((CaseKind.REPAIR, CaseKind.COMPLAINT))
                   & (Case.satisfaction != "") & (Case.closed_at >= _utc(start_local, zone))
                   & (Case.closed_at < _utc(end_local, zone)))
            .group_by(Case.satisfaction).tuples())
    counts = dict(rows)
    return {key: counts.get(key, 0) for key in SATISFACTION}
