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

from peewee import JOIN, fn

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

    def add(self, score: int):
        self.n += 1
        self.total += score
        self.satisfied += score in SATISFIED

    @property
    def average(self):
        return round(self.total / self.n, 2) if self.n else None

    @property
    def rate(self):
        """满意率 in percent, one decimal."""
        return round(100 * self.satisfied / self.n, 1) if self.n else None


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _local(utc_naive: datetime, zone: ZoneInfo) -> datetime:
    return utc_naive.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def _month_start(year, month):
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1)


def _scores(estate_id, start_utc, end_utc):
    """(answered_at, question, score, answer id, building name, kind, target) of a period."""
    return (Score.select(Answer.answered_at, Score.question, Score.score, Answer.id, Building.name, Answer.kind,
                         Answer.target)
            .join(Answer).join(Building, JOIN.LEFT_OUTER, on=(Answer.building == Building.id))
            .where((Answer.estate == estate_id) & (Answer.answered_at >= start_utc) & (Answer.answered_at < end_utc))
            .tuples())


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
    """The `count` months up to and including year-month (the estate's local months)."""
    zone = ZoneInfo(estate.timezone)
    starts = [_month_start(year, month - count + 1 + i) for i in range(count)]
    end = _month_start(year, month + 1)
    months = [Month(label=f"{s.year}-{s.month:02d}", start=s.date()) for s in starts]
    index = {(s.year, s.month): m for s, m in zip(starts, months, strict=True)}
    lo, hi = _utc(starts[0], zone), _utc(end, zone)
    seen = set()
    for at, question, score, answer_id, _building, _kind, _target in _scores(estate.id, lo, hi):
        local = _local(at, zone)
        m = index[(local.year, local.month)]
        m.by_question.setdefault(question, Tally()).add(score)
        if question == "overall":
            m.overall.add(score)
        if answer_id not in seen:
            seen.add(answer_id)
            m.answers += 1
    invited = (Invitation.select(Invitation.created_at)
               .where((Invitation.estate == estate.id) & (Invitation.created_at >= lo) & (Invitation.created_at < hi))
               .tuples())
    for (at,) in invited:
        local = _local(at, zone)
        index[(local.year, local.month)].invited += 1
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
    overall question)."""
    zone = ZoneInfo(estate.timezone)
    start, end = half_year_bounds(year, half)
    by_question = {q: Tally() for q in ALL_QUESTIONS}
    by_building, by_target, seen = {}, {}, set()
    for _at, question, score, answer_id, building, kind, target in _scores(estate.id, _utc(start, zone),
                                                                          _utc(end, zone)):
        by_question[question].add(score)
        seen.add(answer_id)
        if question == "overall":
            by_building.setdefault(building or "—", Tally()).add(score)
            by_target.setdefault(target_label(kind, target), Tally()).add(score)
    return HalfYear(by_question={q: t for q, t in by_question.items() if t.n}, by_building=dict(sorted(by_building.items())),
                    by_target=dict(sorted(by_target.items())), answers=len(seen))


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
