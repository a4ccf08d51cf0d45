"""The periodic task runs tick(), which escalates overdue duties once."""
from datetime import datetime, timedelta

from bluebird import clock
from bluebird.duties.models import Duty, create_duty
from bluebird.duties.scheduler import tick


def test_tick_escalates_each_overdue_duty_once(estate, butler):
    clock.set_now(datetime(2026, 11, 23, 1, 0))
    duty = create_duty(estate.id, "cb", "case:1", clock.now(), assignee=butler.id, grace=timedelta(minutes=10))
    assert tick(clock.now() + timedelta(minutes=5))["escalated"] == 0
    assert tick(clock.now() + timedelta(minutes=11))["escalated"] == 1
    assert tick(clock.now() + timedelta(minutes=30))["escalated"] == 0
    assert Duty.get_by_id(duty.id).escalated_at == clock.now() + timedelta(minutes=11)


def test_the_periodic_task_runs_tick_through_huey(app, estate, butler, monkeypatch):
    from bluebird import tasks

    clock.set_now(datetime(2026, 11, 23, 1, 0))
    create_duty(estate.id, "cb", "case:2", clock.now() - timedelta(hours=3), assignee=butler.id)
    monkeypatch.setattr(tasks, "_app", app)
    monkeypatch.setattr(tasks.huey, "immediate", True)
    tasks.tick_every_minute()  # enqueued and, in immediate mode, run at once by huey
    assert Duty.get(Duty.subject == "case:2").escalated_at is not None
    assert tasks.tick_every_minute.call_local()["escalated"] == 0
