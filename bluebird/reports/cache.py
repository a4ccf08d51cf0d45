"""Counts of closed periods, kept for an hour, a day once they are old (report_cache): the monthly tables render fast at a
million cases, and a late call-back still reaches a closed month's table within the hour.
The current period is always counted live; a filed table is frozen in its Filing anyway."""
import json
from datetime import timedelta

from peewee import IntegrityError

from bluebird import clock
from bluebird.db import db
from bluebird.reports.models import ReportCache

MAX_AGE = timedelta(hours=1)  # a period that closed this last month: its late call-backs still come in
OLD_AGE = timedelta(days=1)  # a period closed longer ago hardly moves
OLD = timedelta(days=35)


def cached(estate_id, key: str, closed: bool, compute, now=None, ended=None):
    """compute() for an open period; for a closed one, the kept result while it is fresh."""
    if not closed:
        return compute()
    now = now or clock.now()
    max_age = OLD_AGE if ended is not None and now - ended > OLD else MAX_AGE
    row = ReportCache.get_or_none((ReportCache.estate == estate_id) & (ReportCache.key == key))
    if row is not None and now - row.computed_at < max_age:
        return json.loads(row.data)
    value = compute()
    text = json.dumps(value, ensure_ascii=False, default=str)
    try:
        with db.atomic():
            if row is None:
                ReportCache.create(estate=estate_id, key=key, data=text, computed_at=now)
            else:
                ReportCache.update(data=text, computed_at=now).where(ReportCache.id == row.id).execute()
    except IntegrityError:
        pass  # another request kept the same counts first
    return value
