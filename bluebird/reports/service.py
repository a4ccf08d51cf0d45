"""Filing a table (a frozen snapshot that closes its duty) and the project manager's confirmation."""
import json

from flask_babel import gettext as _
from peewee import IntegrityError

from bluebird import clock
from bluebird.auth import roles
from bluebird.db import create_once, db
from bluebird.duties.models import close_duties
from bluebird.reports import duties as report_duties
from bluebird.reports.models import Filing
from bluebird.timeline.models import record

KINDS = ("weekly", "month", "house", "complaints", "half", "year", "sites")


class ReportError(Exception):
    def __init__(self, message, status=409):
        super().__init__(message)
        self.message = message
        self.status = status


def file(client_uuid, *, estate, actor, kind, period, data: dict, building=0, analysis="", plan="",
         key=None) -> Filing:
    """File a table as it stands: its numbers are kept as filed, and the report duty is done.

    key: the period's key when it is not period.key (a half-month of problem sites).

    One transaction: the filing, its duty and its timeline event, or none of them.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    key = key or period.key
    if actor.role not in roles.SUPERVISING:
        raise ReportError(_("Only a supervisor files the estate's tables."), status=403)
    try:
        with db.atomic():
            filing, created = create_once(
                Filing, client_uuid, estate=estate.id, kind=kind, period=key, building=building or 0,
                snapshot=json.dumps(data, ensure_ascii=False, default=str), analysis=analysis.strip(),
                plan=plan.strip(), filed_by=actor.id, filed_at=clock.now())
            if created:
                if not building:
                    duty_kind = report_duties.KIND_OF.get(kind)
                    if duty_kind:
                        close_duties(report_duties.subject(estate.id, kind, key), duty_kind, actor.id)
                record(estate.id, f"report:{estate.id}:{kind}:{key}", actor.id, "filed", filing=filing.id)
    except IntegrityError:
        raise ReportError(_("This table is already filed for that period.")) from None
    return filing


def confirm(filing: Filing, actor) -> bool:
    """The project manager confirms a filed table, on his own login (not the one who filed it)."""
    if actor.role not in roles.SUPERVISING:
        raise ReportError(_("Only the project manager confirms a filed table."), status=403)
    if actor.id == filing.filed_by_id:
        raise ReportError(_("The project manager confirms on his own login, not the one who filed it."), status=403)
    with db.atomic():
        done = (Filing.update(confirmed_by=actor.id, confirmed_at=clock.now())
                .where((Filing.id == filing.id) & Filing.confirmed_at.is_null()).execute())
        if done:
            record(filing.estate_id, f"report:{filing.estate_id}:{filing.kind}:{filing.period}", actor.id,
                   "confirmed", filing=filing.id)
    return bool(done)
