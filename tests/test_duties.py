"""Duties: created and closed by domain code, listed on the agenda, overdue in red."""
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.duties import rules
from bluebird.duties.models import Duty, close_duties, create_duty
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # 09:00 in Shanghai


def test_agenda_lists_open_duties_soonest_first_with_overdue_in_red(butler_client, butler):
    clock.set_now(T0)
    factories.make_duty(butler, kind="later", title="稍后", due_in=timedelta(hours=3))
    factories.make_duty(butler, kind="late", title="已经超时", due_in=timedelta(hours=-1))
    factories.make_duty(butler, kind="soon", title="马上到期", due_in=timedelta(minutes=20))
    done = factories.make_duty(butler, kind="done", title="已完成的", due_in=timedelta(hours=1))
    close_duties(done.subject, "done", by_user=butler.id)
    page = butler_client.get("/agenda").get_data(as_text=True)
    text = page[page.index('<main id="main"'):]  # the page head carries the outbox's messages
    assert text.index("已经超时") < text.index("马上到期") < text.index("稍后")
    assert "已完成的" not in text
    overdue_row = text[: text.index("已经超时")].rsplit("<li", 1)[1]
    assert "overdue" in overdue_row
    assert "已超时" in text


def test_agenda_shows_times_in_the_estate_time_zone(butler_client, butler):
    clock.set_now(T0)
    factories.make_duty(butler, title="九点半", due_in=timedelta(minutes=30))
    assert "09:30" in butler_client.get("/agenda").get_data(as_text=True)


def test_role_duties_reach_everyone_of_that_role_in_the_estate_only(app, estate, other_estate, butler):
    colleague = factories.make_user(estate, role="butler")
    stranger = factories.make_user(other_estate, role="butler")
    create_duty(estate.id, "desk_triage", "estate:1", clock.now() + timedelta(hours=1), role="butler")
    assert Duty.open_for(butler).count() == 1
    assert Duty.open_for(colleague).count() == 1
    assert Duty.open_for(stranger).count() == 0


def test_empty_agenda_says_what_comes_next(butler_client):
    text = butler_client.get("/agenda").get_data(as_text=True)
    assert "暂无待办" in text


def test_htmx_poll_gets_only_the_list(butler_client, butler):
    factories.make_duty(butler, title="片段")
    response = butler_client.get("/agenda", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert "片段" in text and "<html" not in text


def test_closing_records_who_and_how_late(estate, butler):
    clock.set_now(T0)
    duty = factories.make_duty(butler, kind="callback", subject="case:1", due_in=timedelta(hours=1))
    clock.advance(hours=3)
    assert close_duties("case:1", "callback", by_user=butler.id) == 1
    duty = Duty.get_by_id(duty.id)
    assert duty.done_at == clock.now() and duty.done_by_id == butler.id and duty.late_minutes == 120
    assert close_duties("case:1", "callback", by_user=butler.id) == 0  # closing twice changes nothing


def test_on_time_closing_records_zero_lateness(estate, butler):
    duty = factories.make_duty(butler, kind="callback", subject="case:2", due_in=timedelta(hours=1))
    close_duties("case:2", "callback", by_user=butler.id)
    assert Duty.get_by_id(duty.id).late_minutes == 0


def test_a_recurring_duty_is_made_once_per_day_even_when_done(estate, butler):
    due = datetime(2026, 11, 23, 10, 0)
    first = create_duty(estate.id, "daily_patrol", "patch:1", due, assignee=butler.id, once_per_day=True)
    again = create_duty(estate.id, "daily_patrol", "patch:1", due + timedelta(hours=2), assignee=butler.id,
                        once_per_day=True)
    close_duties("patch:1", "daily_patrol", butler.id)
    after_done = create_duty(estate.id, "daily_patrol", "patch:1", due, assignee=butler.id, once_per_day=True)
    tomorrow = create_duty(estate.id, "daily_patrol", "patch:1", due + timedelta(days=1), assignee=butler.id,
                           once_per_day=True)
    assert first.id == again.id == after_done.id and tomorrow.id != first.id
    assert Duty.select().count() == 2


def test_an_event_duty_comes_again_once_the_first_is_done(estate, butler):
    due = datetime(2026, 11, 23, 10, 0)
    first = create_duty(estate.id, "repair_arrive", "case:1", due, assignee=butler.id)
    assert create_duty(estate.id, "repair_arrive", "case:1", due, assignee=butler.id).id == first.id
    close_duties("case:1", "repair_arrive", butler.id)
    second = create_duty(estate.id, "repair_arrive", "case:1", due, assignee=butler.id)
    assert second.id != first.id and second.done_at is None


def test_the_database_refuses_two_open_duties_of_a_kind_a_day(estate, butler):
    from peewee import IntegrityError

    due = datetime(2026, 11, 23, 10, 0)
    create_duty(estate.id, "k", "case:1", due, assignee=butler.id)
    with pytest.raises(IntegrityError):
        Duty.create(estate=estate.id, kind="k", subject="case:1", assignee=butler.id, due_at=due, due_date=due.date())


def test_a_duty_needs_someone(estate):
    with pytest.raises(ValueError):
        create_duty(estate.id, "x", "y:1", clock.now())


def test_the_clock_table_spawns_duties_for_an_event(estate, butler):
    table = [
        rules.Rule("thing.happened", "call_owner", "call", lambda ctx: (ctx["registrar"], None),
                   timedelta(hours=24), points=2),
        rules.Rule("thing.happened", "be_there", "go", lambda ctx: (None, "technician"), timedelta(minutes=20),
                   when=lambda ctx: not ctx.get("minor")),
        rules.Rule("other.event", "never", "no", lambda ctx: (ctx["registrar"], None), timedelta(hours=1)),
    ]
    clock.set_now(T0)
    made = rules.spawn("thing.happened", estate.id, "case:9", clock.now(), {"registrar": butler.id, "title": "3-1502"}, table)
    assert sorted(d.kind for d in made) == ["be_there", "call_owner"]
    call = Duty.get(Duty.kind == "call_owner")
    assert call.assignee_id == butler.id and call.due_at == T0 + timedelta(hours=24) and call.points == 2
    assert Duty.get(Duty.kind == "be_there").role == "technician"
    assert rules.spawn("thing.happened", estate.id, "case:10", clock.now(), {"registrar": butler.id, "minor": True}, table)[0].kind == "call_owner"


def test_manager_dashboard_counts_overdue_by_person(manager_client, estate, butler):
    clock.set_now(T0)
    factories.make_duty(butler, due_in=timedelta(hours=-2))
    factories.make_duty(butler, due_in=timedelta(hours=-1))
    factories.make_duty(butler, due_in=timedelta(hours=1))
    text = manager_client.get("/dashboard").get_data(as_text=True)
    row = text[text.index(butler.name):][:200]
    assert ">2<" in row


def test_an_estate_override_changes_the_due_time(estate, butler):
    row = rules.Rule("x", "arrive", "arrive", lambda ctx: (None, "technician"), timedelta(minutes=20))
    assert row.due(T0, {}) == T0 + timedelta(minutes=20)
    assert row.due(T0, {"clocks": {"arrive": 30}}) == T0 + timedelta(minutes=30)


def test_overdue_duties_escalate_once_after_their_grace(estate, butler, manager):
    from bluebird.duties.models import escalate_overdue

    clock.set_now(T0)
    duty = create_duty(estate.id, "cb", "case:1", T0 + timedelta(hours=1), assignee=butler.id,
                       grace=timedelta(minutes=30))
    assert escalate_overdue(T0 + timedelta(hours=1, minutes=29)) == []
    assert escalate_overdue(T0 + timedelta(hours=1, minutes=30)) == [duty.id]
    assert escalate_overdue(T0 + timedelta(hours=5)) == []
    assert [d.id for d in Duty.open_for(manager)] == [duty.id]  # on the supervisor's agenda


def test_a_run_of_the_same_duty_folds_into_one_row(butler_client, butler, estate):
    clock.set_now(T0)
    due = T0 + timedelta(days=4)
    for n in range(6):
        create_duty(estate.id, "vacant_patrol", f"unit:{n}", due, assignee=butler.id, title=f"3-{n}01")
    factories.make_duty(butler, kind="callback", title="单独一项")
    text = butler_client.get("/agenda").get_data(as_text=True)
    assert text.count('class="duty duty-group') == 1 and "× 6" in text
    assert "单独一项" in text and "3-501" in text  # the folded ones are one tap away


def test_due_times_read_as_staff_say_them(butler_client, butler):
    clock.set_now(T0)  # Monday 09:00 in Shanghai
    factories.make_duty(butler, title="今天的", due_in=timedelta(hours=2))
    factories.make_duty(butler, title="明天的", due_in=timedelta(days=1))
    factories.make_duty(butler, title="下周的", due_in=timedelta(days=4))
    text = butler_client.get("/agenda").get_data(as_text=True)
    assert "今天 11:00" in text and "明天 09:00" in text and "11/27 周五 09:00" in text
