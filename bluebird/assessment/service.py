"""Computing a month from the work, storing it when it closes, and changing a sheet.

Every change to a sheet (a manual item, an appeal answered, issue, sign, recompute) is one
transaction with its timeline entry on "sheet:<id>". A signed sheet is frozen: what
changes later is added as a visible correction, never edited in place.
"""
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from peewee import fn

from bluebird import clock
from bluebird.assessment import rulebook
from bluebird.assessment.models import (
    AnnualReview,
    Appeal,
    AppealStatus,
    Entry,
    RuleSet,
    Scorecard,
    Sheet,
    SheetStatus,
)
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases import clocks
from bluebird.cases.kinds import CallKind, CaseKind, CaseStatus
from bluebird.cases.models import Call, Case
from bluebird.db import create_once, db
from bluebird.duties.models import Duty, one_if
from bluebird.rounds import kinds as round_kinds
from bluebird.rounds.models import Round
from bluebird.timeline.models import record

ASSESSED_ROLES = (roles.BUTLER, roles.RECEPTION, roles.TECHNICIAN, roles.INSPECTOR)


class AssessmentError(Exception):
    """A refusal the user can act on: a message, an HTTP status and the field it is about."""

    def __init__(self, message, status=409, field=None):
        super().__init__(str(message))
        self.message, self.status, self.field = message, status, field


# ---------------------------------------------------------------- months


def month_bounds(year: int, month: int, tz: str) -> tuple[datetime, datetime]:
    """The estate-local month [start, end) as naive UTC."""
    zone = ZoneInfo(tz or "Asia/Shanghai")
    nxt = date(year + (month == 12), month % 12 + 1, 1)

    def utc(day):
        return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    return utc(date(year, month, 1)), utc(nxt)


def local_month(now: datetime, tz: str) -> tuple[int, int]:
    wall = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz or "Asia/Shanghai"))
    return wall.year, wall.month


def previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def last_months(year: int, month: int, n=12) -> list[tuple[int, int]]:
    out = [(year, month)]
    for _ in range(n - 1):
        out.append(previous(*out[-1]))
    return list(reversed(out))


def is_closed(estate, year, month, now=None) -> bool:
    """Whether the month has ended on the estate's calendar."""
    return month_bounds(year, month, estate.timezone)[1] <= (now or clock.now())


# ---------------------------------------------------------------- the rule book in force


@dataclass
class Config:
    version: int = 0
    points: dict = field(default_factory=dict)
    on: dict = field(default_factory=dict)
    tolerance: int = rulebook.DEFAULT_TOLERANCE_MINUTES
    appeal_days: int = rulebook.DEFAULT_APPEAL_DAYS

    def points_of(self, row) -> int:
        return int(self.points.get(row.code, row.points))

    def complaint_points_of(self, row) -> int:
        if row.complaint_points is None:
            return self.points_of(row)
        # Scaled with the row: an estate that doubles −2 doubles −5 too.
        base = self.points_of(row)
        return round(row.complaint_points * base / row.points) if row.points else row.complaint_points

    def enabled(self, row) -> bool:
        return bool(self.on.get(row.code, True))


def config_of(estate_id, version=None) -> Config:
    """The rule book of an estate (its latest version, or the one given; 0 = the defaults)."""
    if version == 0:
        return Config()
    query = RuleSet.select().where(RuleSet.estate == estate_id)
    row = (query.where(RuleSet.version == version).first() if version is not None
           else query.order_by(RuleSet.version.desc()).first())
    if row is None:
        return Config()
    data = row.config
    rules = data.get("rules", {})
    return Config(version=row.version, points={k: v["points"] for k, v in rules.items() if "points" in v},
                  on={k: v.get("on", True) for k, v in rules.items()},
                  tolerance=int(data.get("tolerance", rulebook.DEFAULT_TOLERANCE_MINUTES)),
                  appeal_days=int(data.get("appeal_days", rulebook.DEFAULT_APPEAL_DAYS)))


def save_config(estate_id, actor, points: dict, on: dict, tolerance: int, appeal_days: int) -> RuleSet:
    """Store a new version of the estate's rule book (old months keep theirs)."""
    with db.atomic():
        current = RuleSet.current(estate_id)
        version = (current.version if current else 0) + 1
        rules = {row.code: {"points": int(points.get(row.code, row.points)), "on": bool(on.get(row.code, False))}
                 for row in rulebook.ROWS}
        data = {"rules": rules, "tolerance": int(tolerance), "appeal_days": int(appeal_days)}
        made = RuleSet.create(estate=estate_id, version=version, data=json.dumps(data), created_by=actor)
        record(estate_id, f"assessment:{estate_id}", actor.id, "assessment_rules", version=version)
    return made


# ---------------------------------------------------------------- computing a month


def _duty_detail(missed_at, late_minutes, tolerance):
    if missed_at is not None:
        return "missed"
    if late_minutes is not None and late_minutes > tolerance:
        return f"late:{late_minutes}"
    return None


def _complaints_drawn(estate_id, case_ids) -> dict[int, str]:
    """Repairs (by id) that drew a complaint registered about them (针对工单): its number.
    Only the link counts; a complaint on the same unit that names no repair does not."""
    if not case_ids:
        return {}
    ids, out = sorted(case_ids), {}
    prefix = CaseKind.PREFIX[CaseKind.COMPLAINT]
    for start in range(0, len(ids), 5000):
        for repair_id, complaint_id in (
                Case.select(Case.about_case, fn.MIN(Case.id))
                .where((Case.estate == estate_id) & (Case.kind == CaseKind.COMPLAINT)
                       & Case.about_case.in_(ids[start:start + 5000]) & (Case.status != CaseStatus.CANCELLED))
                .group_by(Case.about_case).tuples()):
            out[repair_id] = f"{prefix}{complaint_id:06d}"
    return out


def compute_items(estate, year, month, cfg: Config, person_id=None) -> dict[int, list[dict]]:
    """The computed items of a month, per person: from duty outcomes and paid services."""
    start, end = month_bounds(year, month, estate.timezone)
    kinds = [k for k, row in rulebook.KIND_TO_ROW.items() if cfg.enabled(row)]
    items = defaultdict(list)
    follow = []
    duties = Duty.counted_in(estate.id, start, end, kinds, person_id, cfg.tolerance).tuples() if kinds else []
    points = {row.code: cfg.points_of(row) for row in rulebook.ROWS}
    for duty_id, kind, subject, assignee_id, due_at, missed_at, late_minutes in duties:
        row = rulebook.KIND_TO_ROW[kind]
        detail = _duty_detail(missed_at, late_minutes, cfg.tolerance)
        if detail is None or (row.event == rulebook.MISSED and detail != "missed"):
            continue
        item = {"rule": row.code, "points": points[row.code], "occurred_at": due_at, "duty": duty_id,
                "subject": subject, "detail": detail}
        items[assignee_id].append(item)
        if row.complaint_points is not None and subject.startswith("case:"):
            follow.append((item, row, int(subject.partition(":")[2])))
    drawn = _complaints_drawn(estate.id, {case_id for *_r, case_id in follow})
    for item, row, case_id in follow:
        number = drawn.get(case_id)
        if number is not None:
            item["points"] = cfg.complaint_points_of(row)
            item["detail"] += f";complaint:{number}"
    paid = rulebook.BY_CODE["paid_service"]
    if cfg.enabled(paid):
        query = (Case.select(Case.id, Case.registrar, Case.done_at)
                 .where((Case.estate == estate.id) & Case.paid & (Case.done_at >= start) & (Case.done_at < end)
                        & (Case.kind == CaseKind.REPAIR) & Case.status.in_([CaseStatus.DONE, CaseStatus.CLOSED])))
        if person_id is not None:
            query = query.where(Case.registrar == person_id)
        prefix = CaseKind.PREFIX[CaseKind.REPAIR]
        for case_id, registrar_id, done_at in query.tuples():
            items[registrar_id].append({"rule": paid.code, "points": points[paid.code], "occurred_at": done_at,
                                        "duty": None, "subject": f"case:{case_id}",
                                        "detail": f"case:{prefix}{case_id:06d}"})
    for rows in items.values():
        _apply_caps(rows)
        rows.sort(key=lambda i: (i["occurred_at"], i["rule"]))
    return items


def _apply_caps(rows):
    used = defaultdict(int)
    for item in sorted(rows, key=lambda i: i["occurred_at"]):
        cap = rulebook.BY_CODE[item["rule"]].cap
        if cap is None:
            continue
        room = max(0, cap - used[item["rule"]])
        if abs(item["points"]) > room:
            item["points"] = room if item["points"] > 0 else -room
            item["detail"] += ";capped"
        used[item["rule"]] += abs(item["points"])


# ---------------------------------------------------------------- rates

RATE_KINDS = {"callback_24h": clocks.CALLBACK_24H, "complaint_callback": clocks.COMPLAINT_CALLBACK,
              "on_site_20": clocks.ARRIVE, "minor_same_day": clocks.FINISH}
RATE_LABELS = {
    "callback_24h": _l("24-hour call-back rate"),
    "complaint_callback": _l("Complaint call-back within 3 days (target 100%)"),
    "on_site_20": _l("On site within 20 minutes"),
    "minor_same_day": _l("Minor repairs done the same day"),
    "checkpoints": _l("Patrol checkpoint coverage"),
    "satisfaction": _l("Owner satisfaction (the verdict staff recorded at the call-back)"),
}
RATE_KEYS = tuple(RATE_LABELS)


def compute_rates(estate, year, month, person_id=None) -> dict:
    """Per person (and None: the estate), each rate as [numerator, denominator]."""
    start, end = month_bounds(year, month, estate.timezone)
    rates = defaultdict(lambda: {key: [0, 0] for key in RATE_KEYS})
    by_kind = {kind: key for key, kind in RATE_KINDS.items()}
    for row in Duty.on_time_tally(estate.id, start, end, list(RATE_KINDS.values()), person_id):
        for who in (row.assignee_id, None):
            pair = rates[who][by_kind[row.kind]]
            pair[0] += int(row.on_time or 0)
            pair[1] += int(row.total or 0)
    rounds = (Round.select(Round.by, fn.SUM(Round.checkpoints_stamped).alias("s"),
                           fn.SUM(Round.checkpoints_total).alias("t"))
              .where((Round.estate == estate.id) & (Round.kind == round_kinds.PATROL) & (Round.finished_at >= start)
                     & (Round.finished_at < end) & Round.checkpoints_total.is_null(False))
              .group_by(Round.by))
    if person_id is not None:
        rounds = rounds.where(Round.by == person_id)
    for row in rounds:
        for who in (row.by_id, None):
            rates[who]["checkpoints"][0] += int(row.s or 0)
            rates[who]["checkpoints"][1] += int(row.t or 0)
    good = fn.SUM(one_if(Call.satisfaction.in_(["satisfied", "basic"])))
    calls = (Call.select(Call.by, fn.COUNT(Call.id).alias("n"), good.alias("good")).join(Case)
             .where((Case.estate == estate.id) & (Call.kind == CallKind.SATISFACTION) & (Call.satisfaction != "")
                    & (Call.at >= start) & (Call.at < end))
             .group_by(Call.by))
    if person_id is not None:
        calls = calls.where(Call.by == person_id)
    for row in calls:
        for who in (row.by_id, None):
            rates[who]["satisfaction"][0] += int(row.good or 0)
            rates[who]["satisfaction"][1] += int(row.n or 0)
    return rates


def rate_rows(pairs: dict) -> list[dict]:
    """Rates for display: label, numerator, denominator, percent (None when nothing counted)."""
    out = []
    for key in RATE_KEYS:
        num, den = (pairs or {}).get(key, [0, 0])
        out.append({"key": key, "label": RATE_LABELS[key], "num": num, "den": den,
                    "pct": round(100 * num / den, 1) if den else None})
    return out


# ---------------------------------------------------------------- sheets


def assessed_people(estate_id):
    return (User.select().where((User.estate == estate_id) & User.active & User.role.in_(ASSESSED_ROLES))
            .order_by(User.role, User.name))


def _sheet_for(estate, person, year, month) -> Sheet:
    sheet = Sheet.find(person.id, year, month)
    if sheet is None:
        sheet, _created = Sheet.get_or_create(estate=estate.id, person=person.id, year=year, month=month,
                                              kind=rulebook.BUTLER_SHEET)
    return sheet


def _store_items(sheet, items, actor_id=None):
    rows = [{"estate": sheet.estate_id, "sheet": sheet.id, "rule": i["rule"], "computed": True,
             "points": i["points"], "occurred_at": i["occurred_at"], "duty": i["duty"], "subject": i["subject"],
             "detail": i["detail"][:200], "created_by": actor_id, "created_at": clock.now()} for i in items]
    for start in range(0, len(rows), 500):
        Entry.insert_many(rows[start:start + 500]).execute()


def score_of(sheet_id) -> int:
    total = (Entry.select(fn.COALESCE(fn.SUM(Entry.points), 0))
             .where((Entry.sheet == sheet_id) & Entry.withdrawn_at.is_null()).scalar())
    return rulebook.BASE_SCORE + int(total or 0)


def _rescore(sheet):
    sheet.score = score_of(sheet.id)
    sheet.save(only=[Sheet.score])


def close_month(estate, year, month, now=None) -> int:
    """Store the computed items, score and rates of a closed month for every assessed person.

    Idempotent: a sheet already stored is left as it is (a recompute is explicit). A
    sheet's insert (or its conditional OPEN → CLOSED update) is its claim, so two ticks
    at once store each sheet once. Bulk statements: a few per month, not per person.
    Returns how many sheets it stored.
    """
    now = now or clock.now()
    if not is_closed(estate, year, month, now):
        return 0
    people = [p.id for p in assessed_people(estate.id)]
    existing = {s.person_id: s for s in Sheet.of_month(estate.id, year, month)
                .where(Sheet.kind == rulebook.BUTLER_SHEET)}
    pending = [pid for pid in people if pid not in existing or existing[pid].status == SheetStatus.OPEN]
    if not pending:
        return 0
    cfg = config_of(estate.id)
    items = compute_items(estate, year, month, cfg)
    rates = compute_rates(estate, year, month)
    with db.atomic():
        fresh = [{"estate": estate.id, "person": pid, "year": year, "month": month, "kind": rulebook.BUTLER_SHEET,
                  "status": SheetStatus.CLOSED, "closed_at": now, "ruleset_version": cfg.version,
                  "rates": json.dumps(rates.get(pid) or {}), "created_at": now,
                  "score": rulebook.BASE_SCORE + sum(i["points"] for i in items.get(pid, []))}
                 for pid in pending if pid not in existing]
        claimed = []  # (sheet id, person id) this call stored
        for start in range(0, len(fresh), 200):
            query = Sheet.insert_many(fresh[start:start + 200]).on_conflict_ignore().returning(Sheet.id, Sheet.person)
            claimed.extend((row.id, row.person_id) for row in query.execute())
        reopened = []
        for pid in pending:
            sheet = existing.get(pid)
            if sheet is None:
                continue
            if (Sheet.update(status=SheetStatus.CLOSED, closed_at=now, ruleset_version=cfg.version,
                             rates=json.dumps(rates.get(pid) or {}))
                    .where((Sheet.id == sheet.id) & (Sheet.status == SheetStatus.OPEN)).execute()):
                claimed.append((sheet.id, pid))
                reopened.append(sheet)
        rows = [{"estate": estate.id, "sheet": sheet_id, "rule": i["rule"], "computed": True, "points": i["points"],
                 "occurred_at": i["occurred_at"], "duty": i["duty"], "subject": i["subject"],
                 "detail": i["detail"][:200], "created_by": None, "created_at": now}
                for sheet_id, pid in claimed for i in items.get(pid, [])]
        Entry.insert_computed(rows)
        for sheet in reopened:  # manual items were added while the month ran
            _rescore(sheet)
        estate.set_setting(f"assessment_rates_{year}_{month:02d}", rates.get(None) or {})
    return len(claimed)


def close_periods(now=None) -> int:
    """From tick: once the duties' period has closed (missed marked), store last month's sheets."""
    from bluebird.estate.models import Estate

    now = now or clock.now()
    stored = 0
    for estate in Estate.select():
        year, month = previous(*local_month(now, estate.timezone))
        key = f"{year}-{month:02d}"
        if estate.setting("assessment_closed_through") == key:
            continue
        start, end = month_bounds(year, month, estate.timezone)
        if estate.setting("duties_missed_through") != end.isoformat():
            continue  # mark_missed has not run for that month yet
        stored += close_month(estate, year, month, now)
        estate.set_setting("assessment_closed_through", key)
    return stored


@dataclass
class SheetView:
    """What a sheet page shows: the stored sheet (if any) and its items, live for an open month."""

    person: User
    year: int
    month: int
    sheet: Sheet | None
    entries: list  # Entry rows (stored) or dicts (live)
    rates: list
    score: int
    live: bool
    config: Config
    total: int = 0  # how many items the sheet has (entries may list only the first ones)
    summary: list = field(default_factory=list)  # (rule, times, points) of the items that count

    @property
    def status(self):
        return self.sheet.status if self.sheet else SheetStatus.OPEN


class LiveItem:
    """A computed item of a month still running (not stored yet): shown, not appealable."""

    id = None
    computed = True
    correction = False
    withdrawn_at = None
    active = True
    reason = ""
    appeals = ()

    def __init__(self, data):
        self.rule, self.points, self.occurred_at = data["rule"], data["points"], data["occurred_at"]
        self.duty_id, self.subject, self.detail = data["duty"], data["subject"], data["detail"]

    @property
    def label(self):
        return rulebook.label_of(self.rule)

    @property
    def clause(self):
        return rulebook.clause_of(self.rule)


def _summary(entries) -> list[tuple]:
    out = {}
    for e in entries:
        if e.active:
            count, points = out.get(e.rule, (0, 0))
            out[e.rule] = (count + 1, points + e.points)
    return [(rule, n, pts) for rule, (n, pts) in out.items()]


def sheet_view(estate, person, year, month, limit=None) -> SheetView:
    """A person's month. `limit`: list only the first items of a stored sheet (the count and
    the summary per rule still cover them all, counted in SQL)."""
    sheet = Sheet.find(person.id, year, month)
    if sheet is not None and sheet.stored:
        query = Entry.of_sheet(sheet.id)
        if limit is not None:
            entries = list(query.limit(limit))
            total = len(entries) if len(entries) < limit else Entry.select().where(Entry.sheet == sheet.id).count()
            summary = Entry.summary_of(sheet.id)
        else:
            entries = list(query)
            total, summary = len(entries), _summary(entries)
        rates = rate_rows(sheet.rate_data)
        cfg = config_of(estate.id, sheet.ruleset_version)
        return SheetView(person, year, month, sheet, entries, rates, sheet.score if sheet.score is not None
                         else score_of(sheet.id), False, cfg, total, summary)
    cfg = config_of(estate.id)
    live = [LiveItem(i) for i in compute_items(estate, year, month, cfg, person.id).get(person.id, [])]
    manual = list(Entry.of_sheet(sheet.id)) if sheet else []
    entries = sorted(live + manual, key=lambda e: (e.occurred_at, e.rule))
    score = rulebook.BASE_SCORE + sum(e.points for e in entries if e.active)
    rates = rate_rows(compute_rates(estate, year, month, person.id).get(person.id))
    view = SheetView(person, year, month, sheet, entries, rates, score, True, cfg, len(entries), _summary(entries))
    if limit is not None:
        view.entries = entries[:limit]
    return view


def add_manual(estate, person, year, month, actor, rule_code, reason, occurred_at=None, points=None,
               client_uuid=None) -> Entry:
    """A supervisor's item (003 篇1 §14–18 and the rest the data cannot show): a reason is required."""
    row = rulebook.BY_CODE.get(rule_code)
    if row is None or row.computed:
        raise AssessmentError(_l("Choose an item the supervisor scores."), 400, "rule")
    cfg = config_of(estate.id)
    if not cfg.enabled(row):
        raise AssessmentError(_l("This item is turned off under Settings › Assessment."), 400, "rule")
    if not (reason or "").strip():
        raise AssessmentError(_l("Give a reason for this item."), 400, "reason")
    start, end = month_bounds(year, month, estate.timezone)
    if start > clock.now():
        raise AssessmentError(_l("That month has not started yet."), 400, "rule")
    occurred_at = occurred_at or min(clock.now(), end - timedelta(minutes=1))
    if not start <= occurred_at < end:
        raise AssessmentError(_l("The date must lie in the sheet's month."), 400, "occurred_on")
    with db.atomic():
        sheet = _sheet_for(estate, person, year, month)
        entry, created = create_once(Entry, client_uuid, estate=estate.id, sheet=sheet.id, rule=row.code,
                                     computed=False, points=cfg.points_of(row) if points is None else int(points),
                                     occurred_at=occurred_at, reason=reason.strip(), correction=sheet.frozen,
                                     created_by=actor.id)
        if created:
            if sheet.stored:
                _rescore(sheet)
            record(estate.id, sheet.subject, actor.id, "assessment_correction" if sheet.frozen else "assessment_item",
                   rule=row.code, points=entry.points, reason=entry.reason)
    return entry


def issue(sheet, actor, now=None) -> Sheet:
    now = now or clock.now()
    if sheet.status == SheetStatus.OPEN:
        raise AssessmentError(_l("The month is still running: a sheet is issued after the month closes."))
    if sheet.status != SheetStatus.CLOSED:
        raise AssessmentError(_l("This sheet has already been issued."))
    cfg = config_of(sheet.estate_id)
    with db.atomic():
        got = (Sheet.update(status=SheetStatus.ISSUED, issued_at=now, issued_by=actor.id,
                            appeal_until=now + timedelta(days=cfg.appeal_days))
               .where((Sheet.id == sheet.id) & (Sheet.status == SheetStatus.CLOSED)).execute())
        if got:
            record(sheet.estate_id, sheet.subject, actor.id, "assessment_issued", days=cfg.appeal_days)
    return Sheet.get_by_id(sheet.id)


def sign(sheet, actor, now=None) -> Sheet:
    now = now or clock.now()
    if sheet.status == SheetStatus.SIGNED:
        raise AssessmentError(_l("This sheet is already signed."))
    if sheet.status != SheetStatus.ISSUED:
        raise AssessmentError(_l("Issue the sheet first: the person sees it and may appeal before it is signed."))
    with db.atomic():
        if Appeal.open_on(sheet.id).exists():
            raise AssessmentError(_l("Answer the open appeals before signing."))
        got = (Sheet.update(status=SheetStatus.SIGNED, signed_at=now, signed_by=actor.id)
               .where((Sheet.id == sheet.id) & (Sheet.status == SheetStatus.ISSUED)).execute())
        if got:
            _rescore(sheet)
            record(sheet.estate_id, sheet.subject, actor.id, "assessment_signed", score=score_of(sheet.id))
    return Sheet.get_by_id(sheet.id)


def appeal(entry, person, reason, client_uuid=None, now=None) -> Appeal:
    """申诉 one item of one's issued sheet, within the estate's window, with a reason."""
    now = now or clock.now()
    sheet = entry.sheet
    if not (reason or "").strip():
        raise AssessmentError(_l("Say why you appeal this item."), 400, "reason")
    if sheet.status == SheetStatus.SIGNED:
        raise AssessmentError(_l("This sheet is signed: appeals are closed."))
    if sheet.status != SheetStatus.ISSUED:
        raise AssessmentError(_l("Appeals open when the sheet is issued."))
    if sheet.appeal_until and now > sheet.appeal_until:
        raise AssessmentError(_l("The appeal window for this sheet has closed."), 409, "reason")
    if not entry.active:
        raise AssessmentError(_l("This item no longer counts."))
    with db.atomic():
        if Appeal.select().where((Appeal.entry == entry.id) & (Appeal.status == AppealStatus.OPEN)).exists():
            raise AssessmentError(_l("This item already has an open appeal."))
        made, created = create_once(Appeal, client_uuid, estate=sheet.estate_id, entry=entry.id, by=person.id,
                                    reason=reason.strip())
        if created:
            record(sheet.estate_id, sheet.subject, person.id, "assessment_appeal", entry=entry.id,
                   rule=entry.rule, reason=made.reason)
    return made


def answer(appeal_row, actor, accept: bool, text: str, new_points=None, now=None) -> Appeal:
    """Accept (the item is removed, or its points changed) or reject (with a reason) an appeal."""
    now = now or clock.now()
    if appeal_row.status != AppealStatus.OPEN:
        raise AssessmentError(_l("This appeal has already been answered."))
    if not (text or "").strip():
        raise AssessmentError(_l("Give the reason for your answer."), 400, "answer")
    entry = appeal_row.entry
    sheet = entry.sheet
    with db.atomic():
        got = (Appeal.update(status=AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED, answer=text.strip(),
                             new_points=new_points if accept else None, answered_by=actor.id, answered_at=now)
               .where((Appeal.id == appeal_row.id) & (Appeal.status == AppealStatus.OPEN)).execute())
        if not got:
            raise AssessmentError(_l("This appeal has already been answered."))
        before = entry.points
        if accept and new_points is None:
            Entry.update(withdrawn_at=now, withdrawn_reason=text.strip()[:300]).where(Entry.id == entry.id).execute()
        elif accept:
            Entry.update(points=int(new_points)).where(Entry.id == entry.id).execute()
        _rescore(sheet)
        record(sheet.estate_id, sheet.subject, actor.id,
               "assessment_appeal_accepted" if accept else "assessment_appeal_rejected", entry=entry.id,
               rule=entry.rule, before=before, after=(None if new_points is None else int(new_points)) if accept
               else before, answer=text.strip())
    return Appeal.get_by_id(appeal_row.id)


def _key(item):
    return (item["rule"], item["duty"] or item["subject"]) if isinstance(item, dict) else (
        item.rule, item.duty_id or item.subject)


def recompute(sheet, actor, now=None) -> tuple[int, int]:
    """Compute a stored month again after a correction; the change goes on the timeline.

    Before signing, computed items nobody appealed are replaced. After signing, the
    difference is added as correction items. Returns (score before, score after).
    """
    now = now or clock.now()
    if not sheet.stored:
        raise AssessmentError(_l("The month is still running: its items are computed live."))
    estate = sheet.estate
    cfg = config_of(estate.id, sheet.ruleset_version)
    fresh = compute_items(estate, sheet.year, sheet.month, cfg, sheet.person_id).get(sheet.person_id, [])
    before = score_of(sheet.id)
    with db.atomic():
        existing = [e for e in Entry.of_sheet(sheet.id) if e.computed and e.active and not e.correction]
        if sheet.frozen:
            have = {_key(e): e for e in existing}
            want = {_key(i): i for i in fresh}
            added = [dict(want[k], rule=want[k]["rule"]) for k in want if k not in have]
            for item in added:
                Entry.create(estate=estate.id, sheet=sheet.id, rule=item["rule"], computed=True, correction=True,
                             points=item["points"], occurred_at=item["occurred_at"], duty=item["duty"],
                             subject=item["subject"], detail=item["detail"][:200], created_by=actor.id,
                             reason=str(_l("Recomputed after signing")))
            for k, e in have.items():
                if k not in want:
                    Entry.create(estate=estate.id, sheet=sheet.id, rule=rulebook.CORRECTION, computed=True,
                                 correction=True, points=-e.points, occurred_at=e.occurred_at, duty=e.duty_id,
                                 subject=e.subject, detail=f"undo:{e.rule}"[:200], created_by=actor.id,
                                 reason=str(_l("No longer counts after recompute")))
        else:
            appealed = {e.id for e in existing if e.appeals.exists()}
            keep = {_key(e) for e in existing if e.id in appealed}
            Entry.delete().where(Entry.id.in_([e.id for e in existing if e.id not in appealed] or [0])).execute()
            _store_items(sheet, [i for i in fresh if _key(i) not in keep], actor.id)
        rates = compute_rates(estate, sheet.year, sheet.month, sheet.person_id).get(sheet.person_id) or {}
        Sheet.update(rates=json.dumps(rates)).where(Sheet.id == sheet.id).execute()
        _rescore(sheet)
        after = score_of(sheet.id)
        record(estate.id, sheet.subject, actor.id, "assessment_recomputed", before=before, after=after)
    return before, after


# ---------------------------------------------------------------- the year (001)

WEIGHTS = {"checks": 0.2, "monthly": 0.3, "year_end": 0.5}
EXCELLENT_ABOVE = 100


def annual_rows(estate_id, year) -> list[dict]:
    """Per assessed person: checks 20% + monthly results 30% + year-end 50% + bonus 1–10."""
    monthly = {row.person_id: (float(row.avg), row.n) for row in Sheet.scores_of_year(estate_id, year)}
    reviews = {r.person_id: r for r in AnnualReview.of_year(estate_id, year)}
    out = []
    for person in assessed_people(estate_id):
        avg, months = monthly.get(person.id, (None, 0))
        review = reviews.get(person.id)
        checks = review.checks if review else None
        year_end = review.year_end if review else None
        bonus = review.bonus if review else 0
        total = None
        if None not in (avg, checks, year_end):
            total = round(WEIGHTS["checks"] * checks + WEIGHTS["monthly"] * avg + WEIGHTS["year_end"] * year_end
                          + bonus, 1)
        out.append({"person": person, "monthly": None if avg is None else round(avg, 1), "months": months,
                    "checks": checks, "year_end": year_end, "bonus": bonus, "total": total,
                    "excellent": total is not None and total > EXCELLENT_ABOVE,
                    "note": review.note if review else ""})
    return out


def save_annual(estate_id, person, year, actor, checks, year_end, bonus, note="") -> AnnualReview:
    if bonus is not None and not 0 <= bonus <= 10:
        raise AssessmentError(_l("A bonus is 0 to 10 points."), 400, "bonus")
    for name, value in (("checks", checks), ("year_end", year_end)):
        if value is not None and not 0 <= value <= 100:
            raise AssessmentError(_l("A score is 0 to 100."), 400, name)
    with db.atomic():
        review, _created = AnnualReview.get_or_create(estate=estate_id, person=person.id, year=year)
        review.checks, review.year_end, review.bonus = checks, year_end, bonus or 0
        review.note, review.updated_by, review.updated_at = (note or "")[:300], actor.id, clock.now()
        review.save()
        record(estate_id, f"annual:{person.id}:{year}", actor.id, "assessment_annual", checks=checks,
               year_end=year_end, bonus=bonus)
    return review


# ---------------------------------------------------------------- the filled-in sheets


def _computed_points(card, estate, person, year, month) -> dict:
    """The items of a card the data scores: most points × the month's rate (None: nothing counted)."""
    if not card.computed:
        return {}
    sheet = Sheet.find(person.id, year, month)
    pairs = sheet.rate_data if sheet is not None and sheet.stored else (
        compute_rates(estate, year, month, person.id).get(person.id) or {})
    most = {code: m for code, _label, m in card.items}
    out = {}
    for code, key in card.computed:
        num, den = pairs.get(key, [0, 0])
        out[code] = round(most[code] * num / den) if den else None
    return out


def report_tally(estate, person, year, month) -> list:
    """The report duties (kinds report_*) of the month: [on time, counted], once they exist."""
    start, end = month_bounds(year, month, estate.timezone)
    on_time = total = 0
    for row in Duty.on_time_tally(estate.id, start, end, list(rulebook.REPORT_KINDS), person.id):
        on_time, total = on_time + int(row.on_time or 0), total + int(row.total or 0)
    return [on_time, total]


def _report_points(card, estate, person, year, month) -> dict:
    """The "tables submitted" items a filed report duty scores: most × on time ÷ due (none due: by hand)."""
    if card.kind != "aftersales":
        return {}
    start, end = month_bounds(year, month, estate.timezone)
    tally = {row.kind: (int(row.on_time or 0), int(row.total or 0))
             for row in Duty.on_time_tally(estate.id, start, end, set(rulebook.REPORT_ITEMS.values()), person.id)}
    most = {code: m for code, _label, m in card.items}
    return {code: round(most[code] * tally[kind][0] / tally[kind][1])
            for code, kind in rulebook.REPORT_ITEMS.items() if tally.get(kind, (0, 0))[1]}


def card_view(card, person, year, month, estate=None) -> dict:
    found = Scorecard.find(person.id, year, month, card.kind)
    computed = _computed_points(card, estate, person, year, month) if estate is not None else {}
    if estate is not None:
        computed.update(_report_points(card, estate, person, year, month))
    points = dict(found.points if found else {})
    points.update({code: value for code, value in computed.items() if value is not None})
    filled = found is not None or bool(points)
    total = sum(int(points.get(code, 0)) for code, _label, _most in card.items) if filled else None
    percent = round(100 * total / card.most, 1) if total is not None else None
    return {"card": card, "row": found, "points": points, "total": total, "percent": percent,
            "computed": {code for code, value in computed.items() if value is not None},
            "reports": report_tally(estate, person, year, month) if card.kind == "aftersales" and estate else None,
            "grade": rulebook.grade_of(card, percent) if percent is not None else None}


def save_card(estate, person, year, month, card, actor, points: dict, note="", skip=()) -> Scorecard:
    """Fill in a supervisor's sheet; refused once the month's assessment is signed.

    `skip`: items the data scores (not typed in, not stored)."""
    sheet = Sheet.find(person.id, year, month)
    if sheet is not None and sheet.frozen:
        raise AssessmentError(_l("This month is signed: its sheets can no longer be changed."))
    if month_bounds(year, month, estate.timezone)[0] > clock.now():
        raise AssessmentError(_l("That month has not started yet."), 400)
    clean = {}
    for code, _label, most in card.items:
        if code in skip:
            continue
        value = points.get(code)
        if value is None or not 0 <= value <= most:
            raise AssessmentError(_l("Each item is scored from 0 to its most points."), 400, code)
        clean[code] = int(value)
    with db.atomic():
        row, _created = Scorecard.get_or_create(estate=estate.id, person=person.id, year=year, month=month,
                                                kind=card.kind)
        row.scores, row.note = json.dumps(clean), (note or "")[:300]
        row.updated_by, row.updated_at = actor.id, clock.now()
        row.save()
        record(estate.id, f"card:{row.id}", actor.id, "assessment_card", kind=card.kind, scores=clean)
    return row
