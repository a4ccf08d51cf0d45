"""tick(now): the one function the periodic task runs every minute.

It generates the day's recurring duties (idempotently), voids the open duties of subjects
that ended without saying so (the safety net of outcomes.py, every tenth minute), marks
last month's open duties missed on the first tick of a month, claims the duties coming due within their
lead time and reminds their people (one notice per person, whatever the number of
duties), escalates overdue duties past their grace period to the supervisor and tells
the supervisors, each exactly once (conditional UPDATEs claim every row, and each claim
commits in one transaction with its notices: a crash leaves neither), queues again the
deliveries whose lease ran out, then hands the messages whose time has come (quiet
hours end, or now) to the task queue, so a slow push service never holds up the tick.
"""
from bluebird import clock
from bluebird.db import db
from bluebird.duties import outcomes
from bluebird.duties.models import escalate_overdue

# The safety net reads every open duty's subject (a partial index, ~30 ms per 2,000 open
# duties): every tenth minute is soon enough for a path that forgot to end its subject.
SWEEP_EVERY_MINUTES = 10


def tick(now=None) -> dict:
    """Move every clock forward to `now`; return what was done, for the log."""
    from bluebird.frontdesk import routine as desk_routine
    from bluebird.notify import reminders, service
    from bluebird.reports import digest
    from bluebird.reports import duties as report_duties
    from bluebird.rounds import schedule
    from bluebird.visits import clocks as visit_clocks

    now = now or clock.now()
    generated = schedule.generate(now)
    desk = desk_routine.generate(now)
    visits = visit_clocks.generate(now)
    reports = report_duties.generate(now)  # the tables due on each estate's calendar
    digests = digest.send(now)  # the supervisors' 08:30 morning digest
    voided = outcomes.sweep_ended() if now.minute % SWEEP_EVERY_MINUTES == 0 else 0
    missed = outcomes.close_periods(now)
    from bluebird.assessment import service as assessment

    assessed = assessment.close_periods(now)  # the month's sheets, once its misses are marked
    reminded, queued = reminders.remind(now)
    with db.atomic():
        escalated = escalate_overdue(now)
        queued += reminders.escalation_notices(escalated, now)
    queued += service.dispatch(now)
    queued += service.reclaim_expired(now)
    service.enqueue(queued)
    return {"generated": generated, "escalated": len(escalated), "reminded": reminded,
            "queued": len(queued), "desk": desk, "visits": visits, "voided": voided, "missed": missed,
            "reports": reports, "digests": digests,
            "assessed": assessed}
