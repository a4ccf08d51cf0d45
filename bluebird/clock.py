"""The only clock. Everything asks now(); tests move it.

Times are naive UTC datetimes in the database and in code; templates show them in the
estate's time zone through Babel.
"""
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time as a naive UTC datetime."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def set_now(when: datetime | None) -> None:
    """Freeze the clock at `when` (None lets it run again)."""
    global _frozen
    _frozen = when


def advance(**delta) -> datetime:
    """Move a frozen clock forward by a timedelta's keyword arguments."""
    set_now(now() + timedelta(**delta))
    return now()


@contextmanager
def frozen(when: datetime):
    """Freeze the clock at `when` for the duration of a block."""
    before = _frozen
    set_now(when)
    try:
        yield
    finally:
        set_now(before)
