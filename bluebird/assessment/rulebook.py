"""The rule book: one declarative table, like the clock table (bluebird/duties/rules.py).

Each row: the source clause, the duty kinds (or event) it counts, the points per
occurrence, the monthly cap, and whether it is computed from the data or scored by the
supervisor. Deductions come only from duty outcomes (`Duty.counted_in`): missed (still
open when its KPI period closed) or late beyond the estate's tolerance; a void duty never
counts. A duty escalated to the supervisor still counts for the person who owed it.

An estate changes the points, and turns rows off, under 设置 › 考核 (`RuleSet`, one
version per change); a stored month keeps the version it was computed with.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from bluebird.cases import clocks
from bluebird.rounds import schedule
from bluebird.visits.clocks import VISIT_PLAN

MISSED = "missed"  # counted when the duty was missed
MISSED_OR_LATE = "missed_or_late"  # …or done later than the tolerance
PAID_SERVICE = "paid_service"  # a paid special service (有偿服务) done: +5 to whoever registered it
MANUAL = "manual"  # scored by the supervisor, with a reason

BUTLER_SHEET = "butler"  # 003 篇1: the butler's deduction sheet (base 100)


@dataclass(frozen=True)
class Row:
    code: str
    clause: str  # where the rule comes from
    label: object
    event: str  # MISSED / MISSED_OR_LATE / PAID_SERVICE / MANUAL
    points: int  # per occurrence; negative is a deduction
    kinds: tuple = ()  # the duty kinds it counts
    cap: int | None = None  # the most a month can move by this row (absolute), None: no cap
    complaint_points: int | None = None  # per occurrence when a complaint was registered about the repair (针对工单)

    @property
    def computed(self) -> bool:
        return self.event != MANUAL


ROWS: list[Row] = [
    Row("repair_notify", "003 篇1 §4", _l("Repair not passed on: the owner was not told who will come"),
        MISSED_OR_LATE, -2, (clocks.NOTIFY_OWNER,)),
    Row("repair_callback", "003 篇1 §4", _l("Repair not followed: 24-hour call-back missed or late"),
        MISSED_OR_LATE, -2, (clocks.CALLBACK_24H,), complaint_points=-5),
    Row("repair_satisfaction", "003 篇1 §4", _l("Repair not followed: satisfaction call-back missed or late"),
        MISSED_OR_LATE, -2, (clocks.SATISFACTION,), complaint_points=-5),
    Row("warranty_pass", "003 篇1 §4", _l("Warranty defect not passed to the construction company"),
        MISSED_OR_LATE, -2, (clocks.WARRANTY_PASS,)),
    Row("repair_arrive", "000 §3", _l("Not on site within 20 minutes"), MISSED_OR_LATE, -2, (clocks.ARRIVE,)),
    Row("repair_finish", "000 §3", _l("Minor repair not finished the same day"), MISSED, -2, (clocks.FINISH,)),
    Row("daily_patrol", "003 篇1 §5", _l("Daily patrol of the patch missed or late"), MISSED_OR_LATE, -2,
        (schedule.DAILY_PATROL,)),
    Row("renovation_check", "003 篇1 §6", _l("Renovation site not checked"), MISSED, -2,
        (schedule.RENOVATION_CHECK,)),
    Row("inquiry_answer", "003 篇1 §7", _l("Inquiry not answered in time"), MISSED_OR_LATE, -2, (clocks.ANSWER,)),
    Row("vacant_patrol", "003 篇1 §8", _l("Vacant or not handed-over unit not patrolled"), MISSED, -2,
        (schedule.VACANT_PATROL,)),
    Row("complaint_callback", "003 篇1 §10", _l("Complaint call-back missed or late"), MISSED_OR_LATE, -5,
        (clocks.COMPLAINT_CALLBACK,)),
    Row("incident_followed", "003 篇1 §13", _l("Incident not followed: supervisor and departments not told"),
        MISSED_OR_LATE, -5, (clocks.INCIDENT_NOTIFY,)),
    Row("no_visits", "003 篇1 §2", _l("No regular visits: the week's household visits (走访) not done"), MISSED, -2,
        (VISIT_PLAN,), cap=2),
    Row("paid_service", "003 篇1 §3", _l("Paid special service sold"), PAID_SERVICE, 5),
    # Scored by the supervisor: the data cannot show these.
    Row("no_paid_service", "003 篇1 §3", _l("No paid special service in the patch for six months"), MANUAL, -5),
    Row("late_report", "003 篇1 §1", _l("Work or report to the supervisor not done in time"), MANUAL, -2),
    Row("movein_record", "003 篇1 §9", _l("Unit handed over without accompaniment or written record"), MANUAL, -2),
    Row("service_knowledge", "003 篇1 §11", _l("Does not know the paid and free services"), MANUAL, -5),
    Row("hygiene", "003 篇1 §14", _l("Service centre not kept clean"), MANUAL, -1),
    Row("punctuality", "003 篇1 §15", _l("Late, left early, or slack on duty days"), MANUAL, -2),
    Row("shirking", "003 篇1 §16", _l("Work pushed off or not finished"), MANUAL, -2),
    Row("cooperation", "003 篇1 §17", _l("Did not cooperate, leading to a complaint"), MANUAL, -2),
    Row("thrift", "003 篇1 §18", _l("Equipment not cared for, supplies or power wasted"), MANUAL, -1),
    Row("commendation", "001 §4", _l("Commended by an owner or the company"), MANUAL, 2),
]
BY_CODE = {row.code: row for row in ROWS}
KIND_TO_ROW = {kind: row for row in ROWS for kind in row.kinds}
COUNTED_KINDS = tuple(KIND_TO_ROW)
CORRECTION = "correction"  # a later change to a signed sheet
BASE_SCORE = 100

DEFAULT_TOLERANCE_MINUTES = 30  # late beyond this counts
DEFAULT_APPEAL_DAYS = 3  # an item may be appealed up to this many days after the sheet is issued


def label_of(code: str):
    if code == CORRECTION:
        return _l("Correction after signing")
    row = BY_CODE.get(code)
    return row.label if row else code


def clause_of(code: str) -> str:
    row = BY_CODE.get(code)
    return row.clause if row else ""


# ---------------------------------------------------------------- the sheets the supervisor fills in
# Each: the source, its items (code, label, most points) and how the total is graded.


@dataclass(frozen=True)
class Card:
    kind: str
    clause: str
    label: object
    items: tuple  # ((code, label, most points), …)
    grades: tuple = ()  # ((from percent, label), …), best first
    computed: tuple = ()  # ((item code, rate key), …): points = most × the month's rate, not typed in

    @property
    def most(self) -> int:
        return sum(most for _code, _label, most in self.items)


CARDS = {
    "scorecard8": Card("scorecard8", "003 篇3", _l("Staff scorecard (8 items)"), (
        ("attendance", _l("Attendance"), 10), ("discipline", _l("Work discipline"), 10),
        ("attitude", _l("Work attitude"), 10), ("teamwork", _l("Teamwork"), 10),
        ("improvement", _l("Improvement"), 10), ("service", _l("Service attitude"), 10),
        ("skills", _l("Work skills"), 10), ("efficiency", _l("Efficiency"), 10)),
        ((90, _l("Excellent")), (70, _l("Good")), (50, _l("Pass")), (0, _l("To improve")))),
    "deqin": Card("deqin", "001", _l("Monthly assessment: virtue, diligence, ability, results"), (
        ("de", _l("Virtue (德)"), 20), ("qin", _l("Diligence (勤)"), 20), ("neng", _l("Ability (能)"), 30),
        ("ji", _l("Results (绩)"), 30))),
    # 000: routine work 70 (the rated parts from the data) + tables submitted 30 (by hand until
    # the report duties exist; their on-time count is shown beside them).
    "aftersales": Card("aftersales", "000", _l("After-sales service assessment (70 + 30)"), (
        ("repair_record", _l("Repair registered completely"), 5),
        ("callback_24h", _l("24-hour call-back"), 10),
        ("follow_up", _l("Repair follow-up and call-back"), 10),
        ("start_call", _l("Start-of-works call within 72 hours"), 10),
        ("site_visits", _l("Site visits during works (twice a month)"), 10),
        ("complaints", _l("Complaint handling and call-back"), 10),
        ("warranty_slips", _l("Warranty slips complete"), 5),
        ("satisfaction", _l("Satisfaction survey"), 10),
        ("t_warranty", _l("Weekly: works started or settled, warranty slips"), 5),
        ("t_complaints", _l("Weekly: complaints and their handling"), 5),
        ("t_repairs", _l("Weekly: repairs by category"), 5),
        ("t_satisfaction", _l("Weekly: satisfaction"), 5),
        ("t_mid_month", _l("Mid-month: sites with problems at the visit"), 5),
        ("t_month_end", _l("Month-end: sites with problems at the visit"), 5)),
        computed=(("callback_24h", "callback_24h"), ("complaints", "complaint_callback"),
                  ("satisfaction", "satisfaction"))),
}
# The report duties another package makes (the "tables submitted" part of 000).
REPORT_KINDS = ("report_weekly", "report_house_dynamics", "report_complaint_summary", "report_month")
# The 70+30 sheet's "tables submitted" items that a filed table proves: the weekly tables
# (filed together, due Friday) score most points × the month's on-time share of them. The
# mid-month and month-end problem-site tables are not filed yet, so they stay by hand.
REPORT_ITEMS = {"t_warranty": "report_weekly", "t_complaints": "report_weekly", "t_repairs": "report_weekly",
                "t_satisfaction": "report_weekly"}


def grade_of(card: Card, percent: float):
    for floor, label in card.grades:
        if percent >= floor:
            return label
    return None
