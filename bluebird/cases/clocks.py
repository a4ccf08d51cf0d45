"""The clocks cases run by (DOMAIN.md "Cases"), as rows of the one clock table.

Each row: (event, duty kind, who, default delay, KPI points, grace before escalation).
The default delays are DOMAIN.md's; an estate overrides them on the clock settings page.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from bluebird.duties.outcomes import CASE_CANCELLED, CASE_CLOSED, register_end
from bluebird.duties.rules import rule
from bluebird.estate import coverage

REPAIR_REGISTERED = "repair.registered"
REPAIR_DONE = "repair.done"
COMPLAINT_REGISTERED = "complaint.registered"
INQUIRY_UNANSWERED = "inquiry.unanswered"
INCIDENT_REPORTED = "incident.reported"
INFO_PASSED = "info.passed"

NOTIFY_OWNER = "repair_notify_owner"
ARRIVE = "repair_arrive"
FINISH = "repair_finish"
CALLBACK_24H = "repair_callback_24h"
SATISFACTION = "repair_satisfaction"
RESOLVE = "complaint_resolve"
COMPLAINT_CALLBACK = "complaint_callback"
ANSWER = "inquiry_answer"
INCIDENT_NOTIFY = "incident_notify"
INFO_ANSWER = "info_answer"
WARRANTY_PASS = "repair_warranty_pass"

TECHNICIAN_KINDS = (ARRIVE, FINISH)


def end_of_local_day(at: datetime, tz: str, day=None) -> datetime:
    """The last minute of the estate's local day (of `at`, or of `day`), in naive UTC."""
    zone = ZoneInfo(tz or "Asia/Shanghai")
    local_day = day or at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    local_end = datetime.combine(local_day, time(23, 59), tzinfo=zone)
    return local_end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _registrar(ctx):
    return ctx["registrar"], None


def _technician(ctx):
    return (ctx["assignee"], None) if ctx.get("assignee") else (None, "technician")


def _patch_butler(ctx):
    # Never the role "butler" (every butler would see it): a patch nobody covers is the
    # supervisor's until a butler is given it; a case in no patch, its registrar's.
    if ctx.get("patch_butler") or ctx.get("patch"):
        return coverage.covering(ctx.get("patch_butler"))
    return ctx["registrar"], None


def _complaint_caller(ctx):
    # The butler of the patch calls back where there is one; else whoever registered it.
    return (ctx.get("patch_butler") or ctx["registrar"]), None


def _routed_head(ctx):
    return (ctx["routed_to"], None) if ctx.get("routed_to") else (None, "manager")


def _supervisor(ctx):
    return None, "manager"


def _recipient(ctx):
    return (ctx["assignee"], None) if ctx.get("assignee") else (None, "manager")


def _ours(ctx):
    return not ctx.get("warranty")


def _builders(ctx):
    return bool(ctx.get("warranty"))


def _at_once_if_emergency(at, ctx, offset):
    return at if ctx.get("emergency") else at + offset


def _same_day(at, ctx, offset):
    return end_of_local_day(at, ctx.get("tz"))


def _promised_day(at, ctx, offset):
    return end_of_local_day(at, ctx.get("tz"), ctx["promised_on"])


# Warranty defects (a move-in's, or any repair marked so) are the construction company's
# job (DOMAIN.md; 003 篇11 §1.10): our technicians' 20-minute and same-day clocks do not
# run, and nobody tells the owner "who will come" for work the builder schedules. Instead
# the patch butler passes the defect to the builder within a day (recorded as a dispatch
# to the construction company), so that the 24-hour call-back, which asks the owner
# whether the responsible party has been in touch (000 §3), has something to confirm.
rule(REPAIR_REGISTERED, NOTIFY_OWNER, _l("Tell the owner who will come"), _registrar, timedelta(hours=24),
     points=2, anchor=_at_once_if_emergency, when=_ours)
rule(REPAIR_REGISTERED, ARRIVE, _l("Be on site"), _technician, timedelta(minutes=20),
     points=2, grace=timedelta(minutes=10), when=_ours)
rule(REPAIR_REGISTERED, FINISH, _l("Finish the repair today"), _technician, timedelta(0),
     points=2, anchor=_same_day, when=lambda ctx: ctx.get("minor", False) and _ours(ctx))
rule(REPAIR_REGISTERED, WARRANTY_PASS, _l("Pass to the construction company (warranty)"), _patch_butler,
     timedelta(hours=24), points=2, when=_builders)
rule(REPAIR_REGISTERED, CALLBACK_24H, _l("24-hour call-back"), _patch_butler, timedelta(days=1), points=2)
rule(REPAIR_DONE, SATISFACTION, _l("Satisfaction call-back"), _patch_butler, timedelta(hours=24), points=2)
rule(COMPLAINT_REGISTERED, RESOLVE, _l("Resolve the complaint"), _routed_head, timedelta(0),
     points=5, anchor=_promised_day, grace=timedelta(hours=4))
rule(COMPLAINT_REGISTERED, COMPLAINT_CALLBACK, _l("Complaint call-back"), _complaint_caller, timedelta(days=3),
     points=5)
rule(INQUIRY_UNANSWERED, ANSWER, _l("Answer the inquiry"), _registrar, timedelta(hours=48), points=2)
rule(INCIDENT_REPORTED, INCIDENT_NOTIFY, _l("Tell the supervisor and departments"), _supervisor, timedelta(0),
     points=5, grace=timedelta(minutes=15))
rule(INFO_PASSED, INFO_ANSWER, _l("Answer the info slip"), _recipient, timedelta(hours=24), points=2)

# A reopened case runs its clocks again (an unsatisfied owner, DOMAIN.md "Cases").
rule("repair.reopened", ARRIVE, _l("Be on site"), _technician, timedelta(minutes=20),
     points=2, grace=timedelta(minutes=10), when=_ours)
rule("repair.reopened", FINISH, _l("Finish the repair today"), _technician, timedelta(0),
     points=2, anchor=_same_day, when=_ours)
rule("complaint.reopened", RESOLVE, _l("Resolve the complaint"), _routed_head, timedelta(days=3),
     points=5, grace=timedelta(hours=4))


def _ended_cases(ids) -> dict[int, str]:
    from bluebird.cases.kinds import CaseStatus
    from bluebird.cases.models import Case

    rows = Case.select(Case.id, Case.status).where(Case.id.in_(ids) & Case.status.not_in(CaseStatus.OPEN))
    return {c.id: CASE_CANCELLED if c.status == CaseStatus.CANCELLED else CASE_CLOSED for c in rows}


register_end("case", _ended_cases)  # the safety net: a closed case never keeps a clock running
