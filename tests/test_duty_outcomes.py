"""Every duty ends with its subject: a property of the whole clock table.

For every rule of the clock table and every recurring duty kind, SCENARIOS drive a subject
to each of its end states through the service functions. Then no duty about it is open,
each ended as it should (done, or void with the reason), and a tick a week later neither
reminds nor escalates any of them. A rule or recurring kind that no scenario covers fails
the suite: a new clock needs its end states here.
"""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from bluebird import clock
from bluebird.cases import clocks as case_clocks
from bluebird.cases import service as cases
from bluebird.cases.models import Case
from bluebird.duties import outcomes, rules
from bluebird.duties.models import Duty, Outcome, close_duties, create_duty
from bluebird.duties.scheduler import tick
from bluebird.estate.models import UnitStatus
from bluebird.estate.service import change_unit_status
from bluebird.frontdesk import clocks as desk_clocks
from bluebird.frontdesk import handover, keys, routine
from bluebird.frontdesk import service as desk
from bluebird.renovations import service as renovations
from bluebird.renovations.models import Permit
from bluebird.reports import duties as report_duties
from bluebird.rounds import engine
from bluebird.rounds import service as rounds
from bluebird.rounds.schedule import (
    DAILY_PATROL,
    LOBBY_CHECK,
    MANAGER_WALK,
    RENOVATION_CHECK,
    VACANT_PATROL,
)
from bluebird.visits import clocks as visit_clocks
from bluebird.visits import service as visits
from bluebird.visits.models import SiteCallKind, VisitPlan
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
WEEK = timedelta(days=7)
DONE, VOID = Outcome.DONE, Outcome.VOID


@pytest.fixture
def w(estate, butler, manager, receptionist, technician):
    clock.set_now(T0)
    building = factories.make_building(estate, "3", patch=butler.patch)
    return SimpleNamespace(
        estate=estate, butler=butler, manager=manager, reception=receptionist, tech=technician,
        tech2=factories.make_user(estate, role="technician"), reception2=factories.make_user(estate, role="reception"),
        unit=factories.make_unit(building, "1502", status=UnitStatus.OCCUPIED),
        vacant=factories.make_unit(building, "1601", status=UnitStatus.VACANT),
        renovated=factories.make_unit(building, "1701", status=UnitStatus.HANDED_OVER))


def _case(w, kind, **fields):
    data = {"kind": kind, "unit": w.unit, "description": "厨房水管漏水", "source": "phone"}
    data.update(fields)
    case, _ = cases.register(None, estate=w.estate, registrar=w.reception, fields=data)
    return case


def _fresh(case):
    return Case.get_by_id(case.id)


def _repair(w, **fields):
    return _case(w, "repair", minor=True, **fields)


def _round(w, user, kind, place_kind, place_id):
    round_ = engine.start(None, estate_id=w.estate.id, user=user, kind=kind, place_kind=place_kind,
                          place_id=place_id, place_label="x")
    for item in engine.items_of(round_):
        engine.record_item(round_, item_id=item.id, result="ok", actor=user)
    rounds.finish(round_, user)


# ---------------------------------------------------------------- cases


def repair_every_call_made(w):
    case = _repair(w)
    cases.dispatch(case, w.reception, w.tech.id)
    cases.log_call(_fresh(case), w.reception, "notify_owner")
    cases.arrive(_fresh(case), w.tech)
    clock.advance(hours=3)
    cases.finish(_fresh(case), w.tech, "换了水龙头")
    clock.advance(hours=20)
    cases.log_call(_fresh(case), w.butler, "callback_24h")
    cases.log_call(_fresh(case), w.butler, "satisfaction", satisfaction="satisfied")
    return [case.subject], [(k, DONE, "") for k in (case_clocks.NOTIFY_OWNER, case_clocks.ARRIVE, case_clocks.FINISH,
                                                     case_clocks.CALLBACK_24H, case_clocks.SATISFACTION)]


def repair_closed_by_the_satisfaction_call_alone(w):
    """The bug of issue 10: the call-backs nobody logged were left open and escalated."""
    case = _repair(w)
    cases.dispatch(case, w.reception, w.tech.id)
    cases.finish(_fresh(case), w.tech, "换了水龙头")
    clock.advance(hours=2)
    cases.log_call(_fresh(case), w.butler, "satisfaction", satisfaction="satisfied")
    return [case.subject], [(case_clocks.ARRIVE, DONE, ""), (case_clocks.FINISH, DONE, ""),
                            (case_clocks.SATISFACTION, DONE, ""),
                            (case_clocks.NOTIFY_OWNER, VOID, outcomes.CASE_CLOSED),
                            (case_clocks.CALLBACK_24H, VOID, outcomes.CASE_CLOSED)]


def repair_reopened_then_closed(w):
    case = _repair(w)
    cases.dispatch(case, w.reception, w.tech.id)
    cases.finish(_fresh(case), w.tech, "换了水龙头")
    cases.log_call(_fresh(case), w.butler, "satisfaction", satisfaction="unsatisfied")
    cases.arrive(_fresh(case), w.tech)
    cases.finish(_fresh(case), w.tech, "换了阀门")
    cases.log_call(_fresh(case), w.butler, "satisfaction", satisfaction="satisfied")
    return [case.subject], [(case_clocks.ARRIVE, DONE, ""), (case_clocks.FINISH, DONE, ""),
                            (case_clocks.SATISFACTION, DONE, ""), (case_clocks.ARRIVE, DONE, ""),
                            (case_clocks.FINISH, DONE, ""), (case_clocks.SATISFACTION, DONE, ""),
                            (case_clocks.NOTIFY_OWNER, VOID, outcomes.CASE_CLOSED),
                            (case_clocks.CALLBACK_24H, VOID, outcomes.CASE_CLOSED)]


def repair_reassigned_then_done(w):
    case = _repair(w)
    cases.dispatch(case, w.reception, w.tech.id)
    clock.advance(minutes=40)  # the first technician never came
    cases.dispatch(_fresh(case), w.manager, w.tech2.id)
    cases.arrive(_fresh(case), w.tech2)
    cases.finish(_fresh(case), w.tech2, "换了水龙头")
    cases.log_call(_fresh(case), w.butler, "satisfaction", satisfaction="satisfied")
    first = Duty.select().where((Duty.subject == case.subject) & (Duty.assignee == w.tech.id))
    assert {(d.kind, d.outcome) for d in first} == {(case_clocks.ARRIVE, VOID), (case_clocks.FINISH, VOID)}
    second = Duty.select().where((Duty.subject == case.subject) & (Duty.assignee == w.tech2.id))
    assert {(d.kind, d.outcome, d.late_minutes > 0) for d in second} == {
        (case_clocks.ARRIVE, DONE, True), (case_clocks.FINISH, DONE, False)}
    return [case.subject], [(case_clocks.ARRIVE, VOID, outcomes.SUPERSEDED),
                            (case_clocks.FINISH, VOID, outcomes.SUPERSEDED),
                            (case_clocks.ARRIVE, DONE, ""), (case_clocks.FINISH, DONE, ""),
                            (case_clocks.SATISFACTION, DONE, ""),
                            (case_clocks.NOTIFY_OWNER, VOID, outcomes.CASE_CLOSED),
                            (case_clocks.CALLBACK_24H, VOID, outcomes.CASE_CLOSED)]


def repair_cancelled_as_a_duplicate(w):
    case = _repair(w, emergency=True)
    clock.advance(hours=1)
    cases.cancel(_fresh(case), w.manager, "重复登记，见另一张工单")
    return [case.subject], [(k, VOID, outcomes.CASE_CANCELLED) for k in (
        case_clocks.NOTIFY_OWNER, case_clocks.ARRIVE, case_clocks.CALLBACK_24H)]


# The construction company's warranty-pass duty comes with the move-in work; where it
# exists, its scenarios join the table.
WARRANTY_PASS = getattr(case_clocks, "WARRANTY_PASS", None)


def warranty_defect_closed_as_fixed(w):
    """A re-inspection finds the defect fixed: whatever clock of the case still ran is void."""
    case = _repair(w, warranty=True)
    made = [d.kind for d in Duty.about(case.subject)]
    assert case_clocks.CALLBACK_24H in made and case_clocks.ARRIVE not in made
    cases.close_as_fixed(_fresh(case), w.butler, "复验已修好")
    return [case.subject], [(k, VOID, outcomes.CASE_CLOSED) for k in made]


def warranty_defect_passed_to_the_builder(w):
    case = _repair(w, warranty=True)
    cases.dispatch(case, w.butler, None, "中建三局保修组")
    cases.close_as_fixed(_fresh(case), w.butler, "复验已修好")
    return [case.subject], [(WARRANTY_PASS, DONE, ""), (case_clocks.CALLBACK_24H, VOID, outcomes.CASE_CLOSED)]


def _complaint(w):
    return _case(w, "complaint", target="other", promised_on=clock.now().date() + timedelta(days=2))


def complaint_resolved_and_confirmed(w):
    case = _complaint(w)
    cases.resolve_complaint(case, w.manager, "已协调")
    cases.log_call(_fresh(case), w.butler, "complaint_callback", satisfaction="satisfied")
    return [case.subject], [(case_clocks.RESOLVE, DONE, ""), (case_clocks.COMPLAINT_CALLBACK, DONE, "")]


def complaint_reopened_then_confirmed(w):
    case = _complaint(w)
    cases.resolve_complaint(case, w.manager, "已协调")
    cases.log_call(_fresh(case), w.butler, "complaint_callback", satisfaction="unsatisfied")
    cases.resolve_complaint(_fresh(case), w.manager, "再次协调，已赔偿")
    cases.log_call(_fresh(case), w.butler, "complaint_callback", satisfaction="satisfied")
    return [case.subject], [(case_clocks.RESOLVE, DONE, ""), (case_clocks.COMPLAINT_CALLBACK, DONE, ""),
                            (case_clocks.RESOLVE, DONE, "")]


def complaint_cancelled(w):
    case = _complaint(w)
    cases.cancel(case, w.manager, "业主撤回")
    return [case.subject], [(case_clocks.RESOLVE, VOID, outcomes.CASE_CANCELLED),
                            (case_clocks.COMPLAINT_CALLBACK, VOID, outcomes.CASE_CANCELLED)]


def _answered(kind, duty_kind, fields):
    def run(w):
        case = _case(w, kind, **fields(w))
        clock.advance(hours=1)
        cases.answer(case, w.manager, "已处理")
        return [case.subject], [(duty_kind, DONE, "")]
    run.__name__ = f"{kind}_answered"
    return run


def _cancelled(kind, duty_kind, fields):
    def run(w):
        case = _case(w, kind, **fields(w))
        cases.cancel(case, w.manager, "登记错了")
        return [case.subject], [(duty_kind, VOID, outcomes.CASE_CANCELLED)]
    run.__name__ = f"{kind}_cancelled"
    return run


def _info(w):
    return {"assignee": w.butler.id}


def _nothing(w):
    return {}


# ---------------------------------------------------------------- front desk


def message_answered(w):
    message, _ = desk.leave_message(None, estate=w.estate, taker=w.reception, recipient_id=w.butler.id, caller="张伟",
                                    phone="", unit=None, matter="请回电", at=clock.now())
    desk.answer_message(message, w.butler, "已回电")
    return [message.subject], [(desk_clocks.ANSWER_MESSAGE, DONE, "")]


def _parcel(w):
    parcel, _ = desk.parcel_in(None, estate=w.estate, actor=w.reception, unit=w.unit,
                               fields={"carrier": "顺丰", "tracking_tail": "1234"})
    return parcel


def parcel_told_then_collected(w):
    parcel = _parcel(w)
    desk.parcel_told(parcel, w.butler)
    desk.parcel_pickup(parcel, w.reception, "张伟")
    return [parcel.subject], [(desk_clocks.TELL_PARCEL, DONE, "")]


def parcel_collected_before_anyone_told(w):
    parcel = _parcel(w)
    desk.parcel_pickup(parcel, w.reception, "张伟")
    return [parcel.subject], [(desk_clocks.TELL_PARCEL, VOID, desk.PARCEL_COLLECTED)]


def key_lent_returned_and_retired(w):
    key = factories.make_key(w.estate, w.reception, unit=w.unit)
    keys.lend(key, w.reception, None, borrower="", borrower_user_id=w.butler.id, purpose="空置房巡查",
              due_at=clock.now() + timedelta(hours=2))
    with pytest.raises(desk.DeskError):
        keys.retire(key, w.reception, "交给业主")  # never while on loan
    clock.advance(hours=3)
    keys.give_back(key, w.reception)
    keys.retire(key, w.reception, "交房时交给业主")
    return [key.subject], [(desk_clocks.RETURN_KEY, DONE, "")]


def handover_accepted(w):
    made, _ = handover.open_handover(None, estate=w.estate, actor=w.reception, note="对讲机2台")
    handover.accept(made, w.reception2, "")
    return [made.subject], [(desk_clocks.ACCEPT_HANDOVER, DONE, "")]


def desk_routine_settled(w):
    tick(clock.now())
    clock.set_now(T0 + timedelta(hours=1))  # 10:00, the 11:00 sort
    assert routine.settle(w.estate, w.reception, desk_clocks.SORT) == 1
    clock.set_now(T0 + timedelta(hours=4))  # 13:00, the 14:30 sort
    assert routine.settle(w.estate, w.reception, desk_clocks.SORT) == 1
    clock.set_now(T0 + timedelta(hours=7))  # 16:00, the 17:00 post
    assert routine.settle(w.estate, w.reception, desk_clocks.POST) == 1
    subjects = [routine.subject(w.estate.id, slot) for slot, _ in desk_clocks.SLOTS]
    return subjects, [(desk_clocks.SORT, DONE, ""), (desk_clocks.SORT, DONE, ""), (desk_clocks.POST, DONE, "")]


# ---------------------------------------------------------------- rounds


def patrol_walk_and_lobby_done(w):
    tick(clock.now())
    _round(w, w.butler, "patrol", "patch", w.butler.patch_id)
    _round(w, w.manager, "walk", "estate", w.estate.id)
    clock.advance(hours=5)
    _round(w, w.manager, "walk", "estate", w.estate.id)
    _round(w, w.reception, "lobby", "estate", w.estate.id)
    walks = [f"estate:{w.estate.id}:{w.manager.id}:{hh}" for hh in (11, 17)]
    return [f"patch:{w.butler.patch_id}", f"estate:{w.estate.id}", *walks], [
        (DAILY_PATROL, DONE, ""), (LOBBY_CHECK, DONE, ""), (MANAGER_WALK, DONE, ""), (MANAGER_WALK, DONE, "")]


def vacant_patrol_done(w):
    tick(clock.now())
    _round(w, w.butler, "vacant", "unit", w.vacant.id)
    return [f"unit:{w.vacant.id}"], [(VACANT_PATROL, DONE, "")]


def _vacant_ends(status):
    def run(w):
        tick(clock.now())
        change_unit_status(w.vacant, status, w.butler.id, note="业主已收房")  # by hand, with a reason
        return [f"unit:{w.vacant.id}"], [(VACANT_PATROL, VOID, outcomes.UNIT_STATUS)]
    run.__name__ = f"vacant_unit_becomes_{status}"
    return run


def _permit(w):
    permit = factories.make_permit(w.renovated, w.butler, status="approved")
    tick(clock.now())
    return permit


def renovation_check_done(w):
    permit = _permit(w)
    _round(w, w.butler, "renovation", "permit", permit.id)
    return [permit.subject], [(RENOVATION_CHECK, DONE, "")]


def renovation_accepted_before_the_check(w):
    permit = _permit(w)
    renovations.advance(permit, w.butler)  # works under way
    renovations.advance(Permit.get_by_id(permit.id), w.butler)  # accepted: no more checks
    return [permit.subject], [(RENOVATION_CHECK, VOID, outcomes.PERMIT_ENDED)]


# ---------------------------------------------------------------- visits


def _week_plan(w):
    factories.make_resident(w.unit)  # w.unit is lived in: a household of the butler's patch
    tick(clock.now())
    return VisitPlan.get()


def visit_plan_done(w):
    plan = _week_plan(w)
    visits.record_visit(None, estate=w.estate, unit=w.unit, actor=w.butler, way="in_person", met="张伟")
    return [plan.subject], [(visit_clocks.VISIT_PLAN, DONE, "")]


def visit_plan_missed_at_week_end(w):
    plan = _week_plan(w)
    clock.set_now(T0 + WEEK)
    tick(clock.now())  # the next week: last week's remainder is missed, a new list is made
    return [plan.subject], [(visit_clocks.VISIT_PLAN, Outcome.MISSED, "")]


def site_calls_made(w):
    permit = _permit(w)
    visits.log_site_call(None, permit=permit, actor=w.butler, kind=SiteCallKind.CONGRATS, designer="李设计")
    clock.set_now(datetime(2026, 12, 15, 1, 0))  # mid-month: the site has run more than 15 days
    tick(clock.now())
    visits.log_site_call(None, permit=permit, actor=w.butler, kind=SiteCallKind.CALLBACK, note="施工正常")
    return [visit_clocks.aftersales_subject(permit.id)], [(visit_clocks.RENO_CONGRATS, DONE, ""),
                                                           (visit_clocks.RENO_CALLBACK, DONE, "")]


def site_accepted_before_the_call(w):
    permit = _permit(w)
    renovations.advance(permit, w.butler)
    renovations.advance(Permit.get_by_id(permit.id), w.butler)
    return [visit_clocks.aftersales_subject(permit.id)], [(visit_clocks.RENO_CONGRATS, VOID, outcomes.PERMIT_ENDED)]


# ---------------------------------------------------------------- reports


def _file(w, kind, key):
    from bluebird.reports import periods
    from bluebird.reports import service as reports

    span = {"weekly": "week", "house": "month", "complaints": "month", "month": "month"}[kind]
    reports.file(None, estate=w.estate, actor=w.manager, kind=kind, period=periods.parse(span, key), data={})
    return report_duties.subject(w.estate.id, kind, key)


def weekly_tables_filed(w):
    tick(clock.now())  # Monday: this week's tables, due Friday
    return [_file(w, "weekly", "2026-W48")], [(report_duties.WEEKLY, DONE, "")]


def house_dynamics_filed_late(w):
    clock.set_now(datetime(2026, 12, 1, 1, 0))  # 1 December: November's table, due by the 5th
    tick(clock.now())
    clock.set_now(datetime(2026, 12, 5, 12, 0))  # 20:00 on the 5th: late, escalated, then filed
    tick(clock.now())
    return [_file(w, "house", "2026-11")], [(report_duties.HOUSE, DONE, "")]


def month_summary_and_report_filed(w):
    clock.set_now(datetime(2026, 12, 21, 1, 0))  # the 21st: the complaint summary (25th) and month report (27th)
    tick(clock.now())
    return [_file(w, "complaints", "2026-12"), _file(w, "month", "2026-12")], [
        (report_duties.COMPLAINTS, DONE, ""), (report_duties.MONTH, DONE, "")]


# The table: each scenario, and the clock rules ("trigger kind") or recurring kinds it ends.
R = case_clocks
SCENARIOS = {
    "repair_every_call_made": (repair_every_call_made, {
        f"{R.REPAIR_REGISTERED} {R.NOTIFY_OWNER}", f"{R.REPAIR_REGISTERED} {R.ARRIVE}",
        f"{R.REPAIR_REGISTERED} {R.FINISH}", f"{R.REPAIR_REGISTERED} {R.CALLBACK_24H}",
        f"{R.REPAIR_DONE} {R.SATISFACTION}"}),
    "repair_closed_by_the_satisfaction_call_alone": (repair_closed_by_the_satisfaction_call_alone, {
        f"{R.REPAIR_REGISTERED} {R.NOTIFY_OWNER}", f"{R.REPAIR_REGISTERED} {R.CALLBACK_24H}"}),
    "repair_reopened_then_closed": (repair_reopened_then_closed, {
        f"repair.reopened {R.ARRIVE}", f"repair.reopened {R.FINISH}"}),
    "repair_reassigned_then_done": (repair_reassigned_then_done, {
        f"{R.REPAIR_REGISTERED} {R.ARRIVE}", f"{R.REPAIR_REGISTERED} {R.FINISH}"}),
    "repair_cancelled_as_a_duplicate": (repair_cancelled_as_a_duplicate, {
        f"{R.REPAIR_REGISTERED} {R.NOTIFY_OWNER}", f"{R.REPAIR_REGISTERED} {R.ARRIVE}"}),
    "warranty_defect_closed_as_fixed": (warranty_defect_closed_as_fixed, {f"{R.REPAIR_REGISTERED} {R.CALLBACK_24H}"}),
    "complaint_resolved_and_confirmed": (complaint_resolved_and_confirmed, {
        f"{R.COMPLAINT_REGISTERED} {R.RESOLVE}", f"{R.COMPLAINT_REGISTERED} {R.COMPLAINT_CALLBACK}"}),
    "complaint_reopened_then_confirmed": (complaint_reopened_then_confirmed, {f"complaint.reopened {R.RESOLVE}"}),
    "complaint_cancelled": (complaint_cancelled, {
        f"{R.COMPLAINT_REGISTERED} {R.RESOLVE}", f"{R.COMPLAINT_REGISTERED} {R.COMPLAINT_CALLBACK}"}),
    "inquiry_answered": (_answered("inquiry", R.ANSWER, fields=_nothing), {f"{R.INQUIRY_UNANSWERED} {R.ANSWER}"}),
    "inquiry_cancelled": (_cancelled("inquiry", R.ANSWER, fields=_nothing), {f"{R.INQUIRY_UNANSWERED} {R.ANSWER}"}),
    "incident_handled": (_answered("incident", R.INCIDENT_NOTIFY, fields=_nothing),
                         {f"{R.INCIDENT_REPORTED} {R.INCIDENT_NOTIFY}"}),
    "incident_cancelled": (_cancelled("incident", R.INCIDENT_NOTIFY, fields=_nothing),
                           {f"{R.INCIDENT_REPORTED} {R.INCIDENT_NOTIFY}"}),
    "info_answered": (_answered("info", R.INFO_ANSWER, fields=_info), {f"{R.INFO_PASSED} {R.INFO_ANSWER}"}),
    "info_cancelled": (_cancelled("info", R.INFO_ANSWER, fields=_info), {f"{R.INFO_PASSED} {R.INFO_ANSWER}"}),
    "message_answered": (message_answered, {f"{desk_clocks.MESSAGE_LEFT} {desk_clocks.ANSWER_MESSAGE}"}),
    "parcel_told_then_collected": (parcel_told_then_collected,
                                   {f"{desk_clocks.PARCEL_ARRIVED} {desk_clocks.TELL_PARCEL}"}),
    "parcel_collected_before_anyone_told": (parcel_collected_before_anyone_told,
                                            {f"{desk_clocks.PARCEL_ARRIVED} {desk_clocks.TELL_PARCEL}"}),
    "key_lent_returned_and_retired": (key_lent_returned_and_retired,
                                      {f"{desk_clocks.KEY_LENT} {desk_clocks.RETURN_KEY}"}),
    "handover_accepted": (handover_accepted, {f"{desk_clocks.HANDOVER_OPENED} {desk_clocks.ACCEPT_HANDOVER}"}),
    "desk_routine_settled": (desk_routine_settled, {desk_clocks.SORT, desk_clocks.POST}),
    "patrol_walk_and_lobby_done": (patrol_walk_and_lobby_done, {DAILY_PATROL, MANAGER_WALK, LOBBY_CHECK}),
    "vacant_patrol_done": (vacant_patrol_done, {VACANT_PATROL}),
    "vacant_unit_moved_into": (_vacant_ends(UnitStatus.OCCUPIED), {VACANT_PATROL}),
    "vacant_unit_handed_over": (_vacant_ends(UnitStatus.HANDED_OVER), {VACANT_PATROL}),
    "vacant_unit_rented": (_vacant_ends(UnitStatus.RENTED), {VACANT_PATROL}),
    "renovation_check_done": (renovation_check_done, {RENOVATION_CHECK}),
    "renovation_accepted_before_the_check": (renovation_accepted_before_the_check, {RENOVATION_CHECK}),
    "visit_plan_done": (visit_plan_done, {visit_clocks.VISIT_PLAN}),
    "visit_plan_missed_at_week_end": (visit_plan_missed_at_week_end, {visit_clocks.VISIT_PLAN}),
    "site_calls_made": (site_calls_made, {visit_clocks.RENO_CONGRATS, visit_clocks.RENO_CALLBACK}),
    "site_accepted_before_the_call": (site_accepted_before_the_call, {visit_clocks.RENO_CONGRATS}),
    "weekly_tables_filed": (weekly_tables_filed, {report_duties.WEEKLY}),
    "house_dynamics_filed_late": (house_dynamics_filed_late, {report_duties.HOUSE}),
    "month_summary_and_report_filed": (month_summary_and_report_filed, {report_duties.COMPLAINTS, report_duties.MONTH}),
}
if WARRANTY_PASS:
    SCENARIOS["warranty_defect_passed_to_the_builder"] = (warranty_defect_passed_to_the_builder,
                                                          {f"{R.REPAIR_REGISTERED} {WARRANTY_PASS}"})


def test_every_clock_rule_and_recurring_kind_has_its_end_states_here():
    """A new rule or recurring duty kind without a scenario fails the suite."""
    wanted = {f"{r.trigger} {r.kind}" for r in rules.RULES} | rules.recurring_kinds()
    covered = set().union(*(covers for _run, covers in SCENARIOS.values()))
    assert wanted - covered == set(), "add a scenario to SCENARIOS for these clocks"
    assert covered - wanted == set(), "these scenarios name clocks that no longer exist"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_duty_ends_with_its_subject(w, name):
    run, covers = SCENARIOS[name]
    subjects, expected = run(w)
    duties = [d for s in subjects for d in Duty.about(s)]
    assert [d for d in duties if d.done_at is None] == [], "a duty outlived its subject"
    assert sorted((d.kind, d.outcome, d.void_reason) for d in duties) == sorted(expected)
    assert {c.split(" ")[-1] for c in covers} <= {d.kind for d in duties}, "the scenario never made its clock"
    for d in duties:
        assert d.done_at is not None and (d.outcome == DONE) == (d.late_minutes is not None)
    before = {d.id: (d.notified_at, d.escalated_at) for d in duties}
    tick(clock.now() + WEEK)
    after = {d.id: (d.notified_at, d.escalated_at) for d in Duty.select().where(Duty.id.in_(list(before)))}
    assert after == before, "an ended duty was reminded or escalated"
    assert not Duty.overdue_in(w.estate.id, clock.now() + WEEK).where(Duty.id.in_(list(before))).count()


# ---------------------------------------------------------------- beyond the table


def test_the_safety_net_voids_the_duties_of_a_subject_that_ended_without_saying_so(w):
    case = _repair(w)
    Case.update(status="closed").where(Case.id == case.id).execute()  # a future path that forgets
    w.vacant.status = UnitStatus.RENTED  # and a unit changed behind the service's back
    w.vacant.save()
    tick(clock.now())  # Monday: the week's vacant patrols are due... but not for a rented unit
    clock.advance(days=2)
    result = tick(clock.now())
    assert result["voided"] == 0  # the first tick already voided them
    ended = list(Duty.about(case.subject))
    assert ended and {(d.outcome, d.void_reason, d.escalated_at) for d in ended} == {(VOID, outcomes.CASE_CLOSED, None)}
    assert Duty.open_about(f"unit:{w.vacant.id}").count() == 0


def test_open_duties_are_marked_missed_when_the_month_closes_and_stay_owed(w, butler_client):
    clock.set_now(datetime(2026, 11, 30, 8, 0))  # 16:00 on the last day of November in Shanghai
    late = factories.make_duty(w.butler, kind=case_clocks.CALLBACK_24H, title="月底还没回访", due_in=timedelta(hours=-2))
    later = factories.make_duty(w.butler, kind=case_clocks.SATISFACTION, title="下月才到期", due_in=timedelta(hours=20))
    tick(clock.now())
    tick(datetime(2026, 11, 30, 16, 1))  # 00:01 on 1 December, local time
    missed = Duty.get_by_id(late.id)
    assert (missed.outcome, missed.done_at, missed.missed_at) == (Outcome.MISSED, None, datetime(2026, 11, 30, 16, 0))
    assert Duty.get_by_id(later.id).outcome is None
    assert tick(datetime(2026, 11, 30, 17, 0))["missed"] == 0  # once per month
    clock.set_now(datetime(2026, 12, 1, 1, 0))
    page = butler_client.get("/agenda").get_data(as_text=True)
    row = page[: page.index("月底还没回访")].rsplit("<li", 1)[1] + page[page.index("月底还没回访"):][:300]
    assert "未按期完成" in row  # still owed, on the agenda
    close_duties(missed.subject, missed.kind, w.butler.id)
    done = Duty.get_by_id(late.id)
    assert done.outcome == DONE and done.missed_at is not None  # November's count never changes


def test_a_closed_repair_shows_its_void_duties_struck_through_with_the_reason(w, butler_client, manager_client):
    case = _repair(w)
    cases.dispatch(case, w.reception, w.tech.id)
    cases.finish(_fresh(case), w.tech, "换了水龙头")
    assert butler_client.post(f"/cases/{case.id}/calls", {"kind": "satisfaction", "reached": "yes",
                                                         "satisfaction": "satisfied"}).status_code == 303
    page = manager_client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = page[page.index('id="case-duties"'):]
    section = section[: section.index("</section>")]
    assert "<s>24小时回访</s>" in section and "作废：工单已关闭" in section
    assert "已超时" not in section
    assert "作废：24小时回访" in page  # the timeline says what was voided and why
    agenda = butler_client.get("/agenda").get_data(as_text=True)
    struck = agenda[agenda.index('id="agenda-void"'):]
    assert "<s>24小时回访</s>" in struck and "工单已关闭" in struck
    clock.advance(days=2)
    tick(clock.now())
    assert Duty.overdue_in(w.estate.id).where(Duty.subject == case.subject).count() == 0
    assert "已超时" not in manager_client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_supervisor_cancels_a_duplicate_case_with_a_reason(w, manager_client, butler_client):
    case = _repair(w)
    assert butler_client.post(f"/cases/{case.id}/cancel", {"reason": "重复"}).status_code == 403
    assert "撤销工单" not in butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "撤销工单" in manager_client.get(f"/cases/{case.id}").get_data(as_text=True)
    empty = manager_client.post(f"/cases/{case.id}/cancel", {"reason": " "})
    assert empty.status_code == 422 and "请说明撤销原因" in empty.get_data(as_text=True)
    assert manager_client.post(f"/cases/{case.id}/cancel", {"reason": "重复登记"}).status_code == 303
    case = _fresh(case)
    assert case.status == "cancelled" and not case.is_open
    assert Duty.open_about(case.subject).count() == 0
    page = manager_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已撤销" in page and "重复登记" in page
    assert manager_client.post(f"/cases/{case.id}/cancel", {"reason": "再撤"}).status_code == 409


def test_the_desk_retires_a_key_with_a_reason_never_one_on_loan(w, reception_client):
    key = factories.make_key(w.estate, w.reception, hook="A-01", unit=w.unit)
    keys.lend(key, w.reception, None, borrower="王师傅", purpose="维修", due_at=clock.now() + timedelta(hours=2))
    on_loan = reception_client.post(f"/desk/keys/{key.id}/retire", {"reason": "交给业主"})
    assert on_loan.status_code == 409 and "借出" in on_loan.get_data(as_text=True)
    keys.give_back(key, w.reception)
    empty = reception_client.post(f"/desk/keys/{key.id}/retire", {"reason": ""})
    assert empty.status_code == 422 and "请说明" in empty.get_data(as_text=True)
    assert reception_client.post(f"/desk/keys/{key.id}/retire", {"reason": "交房时交给业主"}).status_code == 303
    page = reception_client.get(f"/desk/keys/{key.id}").get_data(as_text=True)
    assert "已停用" in page and "交房时交给业主" in page and 'id="lend-form"' not in page
    assert "A-01" not in reception_client.get("/desk/keys").get_data(as_text=True)
    keys.register_key(None, estate=w.estate, actor=w.reception, fields={  # its hook is free again
        "kind": "vacant", "name": "新钥匙", "unit": None, "hook": "A-01", "note": ""})


def test_a_void_recurring_duty_is_made_again_if_it_applies_again_that_day(w):
    due = T0 + timedelta(hours=9)
    first = create_duty(w.estate.id, VACANT_PATROL, f"unit:{w.vacant.id}", due, assignee=w.butler.id, once_per_day=True)
    outcomes.end_subject(first.subject, outcomes.UNIT_STATUS, w.butler.id)
    again = create_duty(w.estate.id, VACANT_PATROL, f"unit:{w.vacant.id}", due, assignee=w.butler.id, once_per_day=True)
    assert again.id != first.id and again.done_at is None
    close_duties(again.subject, VACANT_PATROL, w.butler.id)
    assert create_duty(w.estate.id, VACANT_PATROL, again.subject, due, assignee=w.butler.id,
                       once_per_day=True).id == again.id  # a done one still counts for the day


def test_the_tick_command_runs_one_tick(app, w):
    result = app.test_cli_runner().invoke(args=["duties", "tick"])
    assert result.exit_code == 0 and '"voided": 0' in result.output
    assert Duty.select().where(Duty.kind == DAILY_PATROL).count() == 1
