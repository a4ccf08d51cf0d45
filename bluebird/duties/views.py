"""The agenda (我的待办) and the supervisor's overdue board."""
from datetime import timedelta

from flask import Blueprint
from flask_login import current_user, login_required

from bluebird import clock
from bluebird.auth.models import User
from bluebird.duties import agenda as agenda_rows
from bluebird.duties.models import Duty
from bluebird.web import estate_id, render

bp = Blueprint("duties", __name__)


@bp.cli.command("tick")
def tick_cmd():
    """Run the scheduler's tick once now (what huey runs every minute) and print what it did."""
    import json

    import click

    from bluebird.duties.scheduler import tick

    click.echo(json.dumps(tick(), default=str))


@bp.app_context_processor
def _void_text():
    from bluebird.duties.outcomes import describe

    return {"duty_void_text": describe}

AGENDA_LIMIT = 100
VOID_SHOWN = timedelta(hours=24)  # a voided duty stays on the agenda, struck through, this long


@bp.route("/agenda")
@login_required
def agenda():
    """List my open duties, soonest due first; overdue ones in red."""
    now = clock.now()
    rows, more = agenda_rows.rows_for(current_user, now, AGENDA_LIMIT)
    return render(
        "duties/agenda.html",
        "duties/_list.html",
        duties=rows,
        rows=agenda_rows.grouped(rows),
        more=more,
        voided=list(Duty.voided_for(current_user, now - VOID_SHOWN)),
        now=now,
    )


def overdue_board(limit=20):
    """Overdue duties of the current estate, counted per person, for the dashboard."""
    rows = list(Duty.overdue_by_person(estate_id()))
    people = {u.id: u for u in User.select().where(User.id.in_([r.assignee_id for r in rows if r.assignee_id]))}
    return [(people.get(r.assignee_id), r.role, r.n, r.oldest) for r in rows[:limit]]
