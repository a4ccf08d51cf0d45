"""Visits and contact: familiarity from visits, calls, cases and move-ins within the window;
the weekly plan (most overdue and key accounts first, ticked off, closed, missed); the
one-tap case; the renovation after-sales calls; the settings."""
import re
import uuid
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.cases import service as cases
from bluebird.cases.kinds import CallKind
from bluebird.cases.models import Case
from bluebird.duties.models import Duty, Outcome
from bluebird.duties.scheduler import tick
from bluebird.estate.models import Resident, UnitStatus
from bluebird.visits import clocks, service
from bluebird.visits.models import (
    Household,
    HouseholdContact,
    SiteCall,
    Visit,
    VisitPlan,
    VisitPlanItem,
)
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai


def _uuid():
    return str(uuid.uuid4())


@pytest.fixture
def patch_homes(estate, butler):
    """Butler's patch: 10 lived-in households, a vacant unit and an occupied one nobody lives in."""
    clock.set_now(T0)
    building = factories.make_building(estate, "3", patch=butler.patch)
    homes = []
    for n in range(10):
        unit = factories.make_unit(building, f"{n + 1}01", status=UnitStatus.OCCUPIED if n % 2 else UnitStatus.RENTED)
        factories.make_resident(unit, name=f"业主{n}")
        homes.append(unit)
    factories.make_unit(building, "1801", status=UnitStatus.VACANT)
    factories.make_unit(building, "1802", status=UnitStatus.OCCUPIED)  # no residents: not a household
    return homes


def _visit(estate, unit, user, **kw):
    return service.record_visit(_uuid(), estate=estate, unit=unit, actor=user, way=kw.pop("way", "in_person"), **kw)[0]


def test_familiarity_counts_visits_calls_cases_and_move_ins_within_the_window(estate, butler, receptionist,
                                                                              technician, patch_homes):
    fam = lambda: service.familiarity(estate, butler.patch_id)  # noqa: E731
    assert fam() == {"done": 0, "total": 10, "percent": 0}
    _visit(estate, patch_homes[0], butler)
    case, _ = cases.register(None, estate=estate, registrar=receptionist,
                             fields={"kind": "repair", "unit": patch_homes[1], "description": "漏水", "source": "phone"})
    assert fam()["done"] == 2
    # A case of another household, called back later, counts when the call is made.
    clock.set_now(T0 - timedelta(days=200))
    old, _ = cases.register(None, estate=estate, registrar=receptionist,
                            fields={"kind": "complaint", "unit": patch_homes[2], "description": "噪音", "source": "phone",
                                    "target": "other"})
    clock.set_now(T0)
    assert fam()["done"] == 2  # registered 200 days ago: outside the 90-day window
    cases.log_call(Case.get_by_id(old.id), butler, CallKind.COMPLAINT_CALLBACK, reached=True, note="已处理")
    assert fam() == {"done": 3, "total": 10, "percent": 30}
    cases.log_call(Case.get_by_id(case.id), butler, CallKind.NOTIFY, reached=False)  # not reached: no contact
    # The window moves: 91 days on, nothing counts; a shorter window per estate too.
    assert service.familiarity(estate, butler.patch_id, now=T0 + timedelta(days=91))["done"] == 0
    estate.set_setting("visits", {"window_days": 7})
    clock.set_now(T0 + timedelta(days=8))
    assert fam()["done"] == 0
    _visit(estate, patch_homes[3], butler, way="wechat")
    assert fam() == {"done": 1, "total": 10, "percent": 10}


def test_a_later_contact_never_moves_the_last_contact_back(estate, butler, patch_homes):
    from bluebird.visits import contacts

    unit = patch_homes[0]
    contacts.touch(estate.id, unit.id, "visit", T0)
    contacts.touch(estate.id, unit.id, "case", T0 - timedelta(days=3))
    row = HouseholdContact.get_by_id(unit.id)
    assert (row.last_at, row.last_kind) == (T0, "visit")


def test_the_plan_lists_the_most_overdue_key_accounts_first_and_closes_when_done(estate, butler, patch_homes):
    estate.set_setting("visits", {"quota": 4})
    Resident.update(key_account=True).where(Resident.unit.in_([patch_homes[8].id, patch_homes[9].id])).execute()
    # 0..7 contacted 100+n days ago; 8 (key) 40 days ago, 9 (key) 10 days ago: not due.
    from bluebird.visits import contacts

    for n, unit in enumerate(patch_homes[:8]):
        contacts.touch(estate.id, unit.id, "visit", T0 - timedelta(days=100 + n))
    contacts.touch(estate.id, patch_homes[8].id, "visit", T0 - timedelta(days=40))
    contacts.touch(estate.id, patch_homes[9].id, "visit", T0 - timedelta(days=10))
    tick(T0)
    plan = VisitPlan.get()
    items = list(VisitPlanItem.of_plan(plan.id))
    assert [i.unit_id for i in items] == [patch_homes[8].id, patch_homes[7].id, patch_homes[6].id, patch_homes[5].id]
    assert items[0].key_account
    duty = Duty.get(Duty.subject == plan.subject)
    assert (duty.kind, duty.assignee_id, duty.title) == (clocks.VISIT_PLAN, butler.id, "一区 0/4")
    assert tick(T0 + timedelta(hours=2))["visits"] == 0  # once a week
    _visit(estate, patch_homes[0], butler)  # not on the list: the plan does not move
    for unit in (patch_homes[8], patch_homes[7], patch_homes[6]):
        _visit(estate, unit, butler)
    duty = Duty.get_by_id(duty.id)
    assert (duty.title, duty.done_at, VisitPlan.get_by_id(plan.id).remaining) == ("一区 3/4", None, 1)
    _visit(estate, patch_homes[5], butler, way="phone")
    duty = Duty.get_by_id(duty.id)
    assert duty.outcome == Outcome.DONE and duty.late_minutes == 0 and duty.done_by_id == butler.id


def test_the_week_ends_with_the_remainder_missed_and_a_new_list(estate, butler, patch_homes):
    tick(T0)
    first = VisitPlan.get()
    assert first.total == 10  # never contacted: all due, the quota is 12
    _visit(estate, patch_homes[0], butler)
    tick(T0 + timedelta(days=7))
    old = Duty.get(Duty.subject == first.subject)
    assert old.outcome == Outcome.MISSED and old.done_at is not None and old.missed_at is not None
    assert VisitPlan.get_by_id(first.id).remaining == 9
    second = VisitPlan.select().where(VisitPlan.id != first.id).get()
    assert second.total == 9 and patch_homes[0].id not in {i.unit_id for i in second.items}
    # A visit after the week's end does not tick off last week's list.
    _visit(estate, patch_homes[1], butler)
    assert VisitPlan.get_by_id(first.id).done == 1 and VisitPlan.get_by_id(second.id).done == 1


def test_an_uncovered_patch_plan_goes_to_the_supervisors_and_then_to_its_new_butler(estate, manager, patch_homes):
    from bluebird.estate import coverage

    patch = factories.make_patch(estate, "二区")
    unit = factories.make_unit(factories.make_building(estate, "5", patch=patch), "101")
    factories.make_resident(unit)
    tick(T0)
    plan = VisitPlan.get(VisitPlan.patch == patch.id)
    duty = Duty.get(Duty.subject == plan.subject)
    assert (duty.assignee_id, duty.role) == (None, "manager")
    newcomer = factories.make_user(estate, role="butler", patch=patch)
    assert coverage.hand_over(newcomer) == 1
    assert Duty.get_by_id(duty.id).assignee_id == newcomer.id


def test_a_visit_page_records_a_visit_that_becomes_a_repair_in_one_tap(butler_client, estate, butler, patch_homes):
    unit = patch_homes[0]
    page = butler_client.get(f"/visits/new?unit={unit.id}").get_data(as_text=True)
    assert unit.code in page
    key = _uuid()
    data = {"client_uuid": key, "unit_code": unit.code, "way": "in_person", "met": "业主0本人",
            "opinions": "对保洁满意", "request": "卫生间地漏堵塞"}
    response = butler_client.post("/visits/new", data)
    assert response.status_code == 303
    visit = Visit.get()
    assert butler_client.post("/visits/new", data).status_code == 303  # the replay makes nothing
    assert Visit.select().count() == 1
    page = butler_client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "卫生间地漏堵塞" in page
    case_key = _uuid()
    response = butler_client.post(f"/visits/{visit.id}/case", {"client_uuid": case_key, "kind": "repair"})
    assert response.status_code == 303
    case = Case.get()
    assert (case.unit_id, case.kind, case.description, case.contact_name, case.source) == (
        unit.id, "repair", "卫生间地漏堵塞", "业主0本人", "visit")
    assert Visit.get_by_id(visit.id).case_id == case.id
    assert butler_client.post(f"/visits/{visit.id}/case", {"client_uuid": _uuid(), "kind": "repair"}).status_code == 303
    assert Case.select().count() == 1
    assert Duty.select().where(Duty.subject == case.subject).count() >= 1  # the repair's clocks run
    page = butler_client.get("/visits/").get_data(as_text=True)
    assert "熟悉度 10%" in page


def test_bad_visit_input_is_refused_next_to_the_field(butler_client, patch_homes):
    response = butler_client.post("/visits/new", {"client_uuid": _uuid(), "unit_code": "99-9999", "way": "in_person"})
    assert response.status_code == 422
    assert "99-9999" in response.get_data(as_text=True)
    response = butler_client.post("/visits/new", {"client_uuid": _uuid(), "unit_code": patch_homes[0].code,
                                                  "way": "telepathy"})
    assert response.status_code == 422
    assert Visit.select().count() == 0


def test_a_visit_without_a_request_cannot_make_a_case(butler_client, estate, butler, patch_homes):
    visit = _visit(estate, patch_homes[0], butler)
    response = butler_client.post(f"/visits/{visit.id}/case", {"client_uuid": _uuid(), "kind": "repair"})
    assert response.status_code == 422
    assert Case.select().count() == 0


def test_the_supervisor_sees_familiarity_per_patch(manager_client, estate, butler, patch_homes):
    _visit(estate, patch_homes[0], butler)
    _visit(estate, patch_homes[1], butler)
    page = manager_client.get("/visits/").get_data(as_text=True)
    assert re.search(r"一区</a></td><td class=\"num\">2</td><td class=\"num\">10</td>", page)
    assert "20%" in page
    page = manager_client.get(f"/visits/?patch={butler.patch_id}").get_data(as_text=True)
    assert "熟悉度 20%" in page


def test_other_roles_do_not_open_visits(reception_client, tech_client):
    assert reception_client.get("/visits/").status_code == 403
    assert tech_client.get("/visits/new").status_code == 403


def test_settings_are_validated_and_used(manager_client, estate):
    response = manager_client.post("/visits/settings", {"quota": "0", "window_days": "90", "interval_days": "90",
                                                        "key_interval_days": "30"})
    assert response.status_code == 422
    assert manager_client.post("/visits/settings", {"quota": "5", "window_days": "60", "interval_days": "45",
                                                    "key_interval_days": "20"}).status_code == 303
    estate = type(estate).get_by_id(estate.id)
    assert service.settings_of(estate) == {"quota": 5, "window_days": 60, "interval_days": 45,
                                           "key_interval_days": 20}


def test_renovation_after_sales_calls(butler_client, estate, butler, patch_homes):
    unit = patch_homes[0]
    permit = factories.make_permit(unit, butler, status="in_progress", starts_on=T0.date(),
                                   ends_on=T0.date() + timedelta(days=60))
    tick(T0)
    congrats = Duty.get(Duty.kind == clocks.RENO_CONGRATS)
    # Due 72 hours after the start of works (00:00 on the start day, Shanghai).
    assert (congrats.assignee_id, congrats.due_at) == (butler.id, datetime(2026, 11, 25, 16, 0))
    page = butler_client.get(f"/visits/sites/{permit.id}").get_data(as_text=True)
    assert "美家装饰" in page  # what the permit has is filled in
    response = butler_client.post(f"/visits/sites/{permit.id}", {
        "client_uuid": _uuid(), "kind": "congrats", "reached": "y", "designer": "李设计", "site_supervisor": "王监理",
        "project_manager": "赵经理", "note": "业主很高兴", "problem_note": ""})
    assert response.status_code == 303
    assert Duty.get_by_id(congrats.id).outcome == Outcome.DONE
    # A problem needs its note.
    response = butler_client.post(f"/visits/sites/{permit.id}", {"client_uuid": _uuid(), "kind": "callback",
                                                                  "reached": "y", "problem": "y", "problem_note": ""})
    assert response.status_code == 422
    # Mid-month, sites active more than 15 days get a call-back; the call closes it and flags the site.
    mid = datetime(2026, 12, 15, 1, 0)
    tick(mid)
    callback = Duty.get(Duty.kind == clocks.RENO_CALLBACK)
    assert callback.due_date.isoformat() == "2026-12-15"
    clock.set_now(mid)
    assert butler_client.post(f"/visits/sites/{permit.id}", {
        "client_uuid": _uuid(), "kind": "callback", "reached": "y", "problem": "y",
        "problem_note": "私自改动承重墙"}).status_code == 303
    assert Duty.get_by_id(callback.id).outcome == Outcome.DONE
    assert [c.problem_note for c in SiteCall.problem_sites(estate.id, T0)] == ["私自改动承重墙"]
    assert Household.familiarity(estate.id, butler.patch_id, T0)[0] == 1  # the calls are contacts


def test_a_move_in_is_a_contact_with_the_new_household(butler_client, butler, estate):
    from bluebird.estate.service import change_unit_status
    from tests.test_movein import _all_ok, _finish, _movein

    clock.set_now(T0)
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502", status="not_handed_over")
    movein = _movein(butler_client)
    _all_ok(movein, butler)
    assert _finish(butler_client, movein, owner_id="0", owner_name="王建国", owner_phone="13900001234").status_code == 303
    contact = HouseholdContact.get_by_id(unit.id)
    assert (contact.last_kind, contact.last_at) == ("move_in", T0)
    assert service.familiarity(estate, butler.patch_id)["total"] == 0  # handed over, nobody lives there yet
    change_unit_status(type(unit).get_by_id(unit.id), UnitStatus.OCCUPIED, butler.id)
    assert service.familiarity(estate, butler.patch_id) == {"done": 1, "total": 1, "percent": 100}


def test_an_owner_meeting_counts_its_households_and_registers_follow_ups(butler_client, estate, butler, patch_homes):
    from bluebird.visits.models import MeetingAttendee, MeetingCase, OwnerMeeting

    a, b = patch_homes[0], patch_homes[1]
    data = {"client_uuid": _uuid(), "held_on": T0.date().isoformat(), "place": "会所二楼",
            "households": f"{a.code}，{b.code} 9-999", "topics": "电梯更换；停车位", "resolutions": "下月公示方案"}
    response = butler_client.post("/visits/meetings", data)
    assert response.status_code == 422 and "9-999" in response.get_data(as_text=True)
    assert OwnerMeeting.select().count() == 0
    data["households"] = f"{a.code}，{b.code} {a.code}"
    assert butler_client.post("/visits/meetings", data).status_code == 303
    assert butler_client.post("/visits/meetings", data).status_code == 303  # a replay
    meeting = OwnerMeeting.get()
    assert MeetingAttendee.select().where(MeetingAttendee.meeting == meeting.id).count() == 2
    assert service.familiarity(estate, butler.patch_id)["done"] == 2
    response = butler_client.post(f"/visits/meetings/{meeting.id}/cases", {
        "client_uuid": _uuid(), "unit_code": "", "kind": "complaint", "description": "地库照明不足"})
    assert response.status_code == 303
    case = Case.get()
    assert (case.kind, case.place, case.source) == ("complaint", "会所二楼", "meeting")
    assert MeetingCase.get().case_id == case.id
    page = butler_client.get(f"/visits/meetings/{meeting.id}").get_data(as_text=True)
    assert case.number in page and a.code in page
    assert butler_client.post(f"/visits/meetings/{meeting.id}/cases", {
        "client_uuid": _uuid(), "unit_code": "", "kind": "repair", "description": ""}).status_code == 422


def test_the_weeks_list_is_reminded_on_thursday_evening_through_the_duty_reminders(estate, butler, patch_homes):
    from bluebird.notify.models import Notification

    tick(T0)
    duty = Duty.get(Duty.kind == clocks.VISIT_PLAN)
    tick(datetime(2026, 11, 26, 9, 59))  # Thursday 17:59 in Shanghai: not yet (that day's patrol is)
    assert Duty.get_by_id(duty.id).notified_at is None
    before = Notification.select().where(Notification.user == butler.id).count()
    tick(datetime(2026, 11, 26, 10, 1))  # 18:01, three days before Sunday 18:00
    assert Duty.get_by_id(duty.id).notified_at == datetime(2026, 11, 26, 10, 1)
    assert Notification.select().where(Notification.user == butler.id).count() == before + 1


def test_the_settings_page_links_the_visit_settings_once(manager_client):
    page = manager_client.get("/admin/settings/").get_data(as_text=True)
    assert page.count('id="visit-settings"') == 1 and "走访设置" in page
    title = page[page.index("<title>"):page.index("</title>")]
    assert "<section" not in title
