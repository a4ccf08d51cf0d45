"""tick(now): the one function the periodic task runs every minute.

Today it escalates overdue duties past their grace period to the supervisor's agenda,
each exactly once (a conditional UPDATE claims each one). Reminders and the daily
generation of recurring duties join it here (see issue 6), so there stays one place
where time moves things along.
"""
from bluebird import clock
from bluebird.duties.models import escalate_overdue


def tick(now=None) -> dict:
    """Move every clock forward to `now`; return what was done, for the log."""
    from bluebird.rounds import schedule

    now = now or clock.now()
    generated = schedule.generate(now)
    escalated = escalate_overdue(now)
    return {"generated": generated, "escalated": len(escalated)}
