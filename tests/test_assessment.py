"""Staff assessment (绩效): the month computed from duty outcomes, appeals, signing, the year."""
import io
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.assessment import service
from bluebird.assessment.models import Appeal, AppealStatus, Entry, Sheet, SheetStatus
from bluebird.cases import clocks
from bluebird.cases.kinds import CaseStatus
from bluebird.duties import outcomes
from bluebird.duties.models import Duty, create_duty
from bluebird.rounds import schedule
from tests import factories

# Shanghai is UTC+8: local 18:00 is 10:00 UTC.
NOV = (2026, 11)
IN_NOVEMBER = datetime(2026, 11, 20, 2, 0)
DEC_FIRST = datetime(2026, 11, 30, 16, 5)  # 2026-12-01 00:05 local: November has closed


def patrol(butler, day, hour_utc=10):
    return create_duty(butler.estate_id, schedule.DAILY_PATROL, f"patch:{butler.patch_id}",
                       datetime(2026, 11, day, hour_utc, 0), assignee=butler.id, points=2, once_per_day=True)


def finish(duty, minutes_late=0):
    """The work done `minutes_late` after the duty fell due (close_duties' lateness, for this one duty)."""
    at = duty.due_at + timedelta(minutes=minutes_late)
    clock.set_now(at)
    Duty.update(done_at=at, done_by=duty.assignee_id, late_minutes=minutes_late,
                outcome="done").where(Duty.id == duty.id).execute()


def close_november(estate):
    """What tick does at the first minute of December: mark the misses, store the sheets."""
    clock.set_now(DEC_FIRST)
    outcomes.close_periods(DEC_FIRST)
    return service.close_periods(DEC_FIRST)


def entries_of(user):
    sheet = Sheet.find(user.id, *NOV)
    return [(e.rule, e.points) for e in Entry.of_sheet(sheet.id) if e.active]


@pytest.fixture
def unit(estate, butler):
    building = factories.make_building(estate, "3", patch=butler.patch)
    return factories.make_unit(building, "1502")


def callback(case, butler, day):
    return create_duty(case.estate_id, clocks.CALLBACK_24H, case.subject, datetime(2026, 11, day, 2, 0),
                       assignee=butler.id, points=2)


# ---------------------------------------------------------------- one test per computed rule


def test_a_butler_who_skips_tuesdays_patrol_gets_exactly_minus_two(estate, butler):
    clock.set_now(datetime(2026, 11, 1, 0, 0))
    monday, tuesday, wednesday = patrol(butler, 2), patrol(butler, 3), patrol(butler, 4)
    finish(monday)
    finish(wednesday, minutes_late=10)  # within the estate's 30 minutes of tolerance
    assert tuesday.done_at is None
    assert close_november(estate) >= 1
    assert entries_of(butler) == [("daily_patrol", -2)]
    sheet = Sheet.find(butler.id, *NOV)
    assert sheet.status == SheetStatus.CLOSED and sheet.score == 98
    entry = Entry.get(Entry.sheet == sheet.id)
    assert entry.duty_id == tuesday.id and entry.detail == "missed"


def test_weeks_of_household_visits_left_undone_cost_two_once_a_month(estate, butler):
    """003 篇1 §2: the week's visit list (走访) missed at week end; at most −2 a month."""
    from bluebird.visits.clocks import VISIT_PLAN

    clock.set_now(datetime(2026, 11, 1, 0, 0))
    weeks = [create_duty(estate.id, VISIT_PLAN, f"visitplan:{n}", datetime(2026, 11, day, 10, 0), assignee=butler.id)
             for n, day in enumerate((8, 15, 22))]
    for week in weeks[:2]:  # what the next Monday's tick does to last week's list
        outcomes.end_missed([week], period_end=week.due_at + timedelta(hours=14))
    Duty.update(outcome="done", done_at=datetime(2026, 11, 21, 2, 0), late_minutes=0).where(
        Duty.id == weeks[2].id).execute()
    close_november(estate)
    assert entries_of(butler) == [("no_visits", -2), ("no_visits", 0)]  # two weeks missed; the second is capped


def test_a_late_patrol_beyond_the_tolerance_costs_two(estate, butler):
    finish(patrol(butler, 2), minutes_late=45)
    close_november(estate)
    assert entries_of(butler) == [("daily_patrol", -2)]
    assert Entry.get().detail == "late:45"


def test_a_late_24h_call_back_costs_two_and_five_once_the_repair_drew_a_complaint(estate, butler, unit):
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    plain = factories.make_case(unit, butler)
    finish(callback(plain, butler, 4), minutes_late=120)
    close_november(estate)
    assert entries_of(butler) == [("repair_callback", -2)]
    # The owner then complains about that repair (针对工单): a recompute makes it −5, on the timeline.
    clock.set_now(datetime(2026, 11, 6, 1, 0))
    factories.make_case(unit, butler, kind="complaint", created_at=datetime(2026, 11, 6, 1, 0), about_case=plain.id)
    sheet = Sheet.find(butler.id, *NOV)
    manager = factories.make_user(estate, role="manager")
    assert service.recompute(sheet, manager) == (98, 95)
    assert entries_of(butler) == [("repair_callback", -5)]
    assert "complaint:TS" in Entry.get(Entry.sheet == sheet.id).detail
    from bluebird.timeline.models import Event

    assert [e.verb for e in Event.for_subject(sheet.subject)] == ["assessment_recomputed"]


def test_a_complaint_on_the_same_unit_that_names_no_repair_costs_only_two(estate, butler, unit):
    """Only the link counts: a complaint about the unit the next day, about nothing in
    particular (or about another repair), leaves the late call-back at −2."""
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    repair = factories.make_case(unit, butler)
    other = factories.make_case(unit, butler)
    finish(callback(repair, butler, 4), minutes_late=120)
    factories.make_case(unit, butler, kind="complaint", created_at=datetime(2026, 11, 4, 3, 0))
    factories.make_case(unit, butler, kind="complaint", created_at=datetime(2026, 11, 4, 4, 0), about_case=other.id)
    factories.make_case(unit, butler, kind="complaint", created_at=datetime(2026, 11, 4, 5, 0), about_case=repair.id,
                        status=CaseStatus.CANCELLED)  # registered by mistake: never counts
    close_november(estate)
    assert entries_of(butler) == [("repair_callback", -2)]
    assert "complaint" not in Entry.get(Entry.sheet == Sheet.find(butler.id, *NOV).id).detail


def test_a_call_back_late_within_the_tolerance_costs_nothing(estate, butler, unit):
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    finish(callback(factories.make_case(unit, butler), butler, 4), minutes_late=20)
    close_november(estate)
    assert entries_of(butler) == []


def test_a_closed_cases_voided_duties_cost_nothing(estate, butler, unit):
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    case = factories.make_case(unit, butler)
    callback(case, butler, 4)
    create_duty(estate.id, clocks.SATISFACTION, case.subject, datetime(2026, 11, 5, 2, 0), assignee=butler.id)
    case.status = CaseStatus.CLOSED
    case.save()
    assert outcomes.end_subject(case.subject, outcomes.CASE_CLOSED) == 2
    close_november(estate)
    assert entries_of(butler) == []
    assert Sheet.find(butler.id, *NOV).score == 100


def test_a_sold_paid_service_gives_plus_five(estate, butler, unit):
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    factories.make_case(unit, butler, paid=True, price="50.00", status=CaseStatus.DONE,
                        done_at=datetime(2026, 11, 3, 6, 0))
    factories.make_case(unit, butler, paid=True, status=CaseStatus.CANCELLED, done_at=datetime(2026, 11, 3, 6, 0))
    close_november(estate)
    assert entries_of(butler) == [("paid_service", 5)]
    assert Sheet.find(butler.id, *NOV).score == 105


@pytest.mark.parametrize("kind,rule,points", [
    (schedule.RENOVATION_CHECK, "renovation_check", -2),
    (schedule.VACANT_PATROL, "vacant_patrol", -2),
    (clocks.COMPLAINT_CALLBACK, "complaint_callback", -5),
    (clocks.INCIDENT_NOTIFY, "incident_followed", -5),
])
def test_each_missed_duty_kind_costs_its_rules_points(estate, butler, kind, rule, points):
    clock.set_now(datetime(2026, 11, 1, 0, 0))
    create_duty(estate.id, kind, "test:1", datetime(2026, 11, 9, 10, 0), assignee=butler.id)
    close_november(estate)
    assert entries_of(butler) == [(rule, points)]


def test_an_escalated_duty_still_counts_for_the_person_who_owed_it(estate, butler, manager):
    duty = patrol(butler, 5)
    Duty.update(escalated_at=datetime(2026, 11, 5, 11, 0)).where(Duty.id == duty.id).execute()
    close_november(estate)
    assert entries_of(butler) == [("daily_patrol", -2)]
    assert Sheet.find(manager.id, *NOV) is None  # the supervisor is not assessed for it


def test_the_running_month_is_computed_live_and_stored_when_it_closes(estate, butler, butler_client):
    finish(patrol(butler, 2), minutes_late=50)
    clock.set_now(IN_NOVEMBER)
    page = butler_client.get("/assessment/me").get_data(as_text=True)
    assert 'id="sheet-score">98<' in page and "50" in page
    assert Sheet.find(butler.id, *NOV) is None  # nothing stored while the month runs
    close_november(estate)
    assert Sheet.find(butler.id, *NOV).status == SheetStatus.CLOSED


def test_tick_stores_the_month_after_its_misses_are_marked(estate, butler):
    from bluebird.duties.scheduler import tick

    patrol(butler, 3)
    done = tick(DEC_FIRST)
    assert done["assessed"] >= 1 and entries_of(butler) == [("daily_patrol", -2)]
    assert tick(DEC_FIRST + timedelta(minutes=1))["assessed"] == 0  # once


def test_turning_a_rule_off_and_changing_points_is_a_new_version(estate, butler, manager_client):
    patrol(butler, 3)
    patrol(butler, 4)
    form = {f"points-{r.code}": str(r.points) for r in __import__("bluebird.assessment.rulebook",
                                                                    fromlist=["ROWS"]).ROWS}
    form.update({f"on-{code}": "y" for code in (k[len("points-"):] for k in list(form))})
    form.update({"points-daily_patrol": "-3", "tolerance": "30", "appeal_days": "3"})
    assert manager_client.post("/assessment/settings", form).status_code == 303
    bad = manager_client.post("/assessment/settings", {**form, "tolerance": "lots"})
    assert bad.status_code == 422 and "0到1440" in bad.get_data(as_text=True)
    close_november(estate)
    assert entries_of(butler) == [("daily_patrol", -3), ("daily_patrol", -3)]
    assert Sheet.find(butler.id, *NOV).ruleset_version == 1


# ---------------------------------------------------------------- appeals, issue, sign


@pytest.fixture
def issued(estate, butler, manager):
    patrol(butler, 3)
    patrol(butler, 4)
    close_november(estate)
    sheet = service.issue(Sheet.find(butler.id, *NOV), manager)
    return sheet


def test_an_appeal_accepted_removes_the_item_with_a_timeline_entry(issued, butler, butler_client, manager_client):
    first, second = Entry.of_sheet(issued.id)
    assert butler_client.post(f"/assessment/entries/{first.id}/appeal?m=2026-11",
                              {"reason": "那天停电，巡查改到次日"}).status_code == 303
    refused = manager_client.post(f"/assessment/people/{butler.id}/sign?m=2026-11")
    assert refused.status_code == 409 and "先答复" in refused.get_data(as_text=True)
    appeal = Appeal.get()
    assert manager_client.post(f"/assessment/appeals/{appeal.id}/answer?m=2026-11",
                               {"decision": "accept", "answer": "停电属实"}).status_code == 303
    assert Appeal.get().status == AppealStatus.ACCEPTED
    assert Entry.get_by_id(first.id).withdrawn_at is not None
    assert Sheet.get_by_id(issued.id).score == 98
    page = manager_client.get(f"/assessment/people/{butler.id}?m=2026-11").get_data(as_text=True)
    assert "停电属实" in page and 'id="sheet-timeline"' in page


def test_an_appeal_rejected_keeps_the_item_and_needs_a_reason(issued, butler, butler_client, manager_client):
    first = Entry.of_sheet(issued.id).first()
    service.appeal(first, butler, "我巡查了")
    appeal = Appeal.get()
    no_reason = manager_client.post(f"/assessment/appeals/{appeal.id}/answer?m=2026-11", {"decision": "reject"})
    assert no_reason.status_code == 422 and "请填写理由" in no_reason.get_data(as_text=True)
    assert manager_client.post(f"/assessment/appeals/{appeal.id}/answer?m=2026-11",
                               {"decision": "reject", "answer": "无巡查记录"}).status_code == 303
    assert Appeal.get().status == AppealStatus.REJECTED and Entry.get_by_id(first.id).active
    assert Sheet.get_by_id(issued.id).score == 96


def test_an_appeal_is_refused_after_the_window_and_without_a_reason(issued, butler, butler_client):
    first = Entry.of_sheet(issued.id).first()
    empty = butler_client.post(f"/assessment/entries/{first.id}/appeal?m=2026-11", {"reason": ""})
    assert empty.status_code == 422 and "申诉理由" in empty.get_data(as_text=True)
    clock.set_now(issued.appeal_until + timedelta(minutes=1))
    late = butler_client.post(f"/assessment/entries/{first.id}/appeal?m=2026-11", {"reason": "太晚了"})
    assert late.status_code == 409 and "申诉期已过" in late.get_data(as_text=True)
    assert Appeal.select().count() == 0


def test_a_signed_sheet_is_frozen_and_later_changes_are_corrections(issued, estate, butler, manager,
                                                                    manager_client):
    assert manager_client.post(f"/assessment/people/{butler.id}/sign?m=2026-11").status_code == 303
    sheet = Sheet.get_by_id(issued.id)
    assert sheet.status == SheetStatus.SIGNED and sheet.score == 96
    before = [(e.id, e.points) for e in Entry.of_sheet(sheet.id)]
    # A patrol done afterwards changes nothing: the missed mark stays, and the sheet is stored.
    finish(Duty.get(Duty.due_date == datetime(2026, 11, 3).date()), minutes_late=60 * 24 * 2)
    clock.set_now(DEC_FIRST + timedelta(days=5))
    assert service.recompute(sheet, manager) == (96, 96)
    # The appeal window is closed by signing.
    with pytest.raises(service.AssessmentError):
        service.appeal(Entry.of_sheet(sheet.id).first(), butler, "补签")
    # A supervisor's item after signing is a visible correction; the signed items are untouched.
    service.add_manual(estate, butler, 2026, 11, manager, "commendation", "业主送锦旗")
    after = list(Entry.of_sheet(sheet.id))
    assert [(e.id, e.points) for e in after if not e.correction] == before
    assert [(e.rule, e.points) for e in after if e.correction] == [("commendation", 2)]
    assert Sheet.get_by_id(sheet.id).score == 98
    page = manager_client.get(f"/assessment/people/{butler.id}?m=2026-11").get_data(as_text=True)
    assert "签字后更正" in page


def test_a_manual_item_needs_a_reason(estate, butler, manager_client):
    clock.set_now(IN_NOVEMBER)
    refused = manager_client.post(f"/assessment/people/{butler.id}/items?m=2026-11",
                                  {"rule": "hygiene", "reason": ""})
    assert refused.status_code == 422 and "请填写理由" in refused.get_data(as_text=True)
    assert Entry.select().count() == 0
    ok = manager_client.post(f"/assessment/people/{butler.id}/items?m=2026-11",
                             {"rule": "hygiene", "reason": "客服中心桌面未整理", "client_uuid": "6f1c9a4e-0000-4000-8000-000000000001"})
    assert ok.status_code == 303
    again = manager_client.post(f"/assessment/people/{butler.id}/items?m=2026-11",
                                {"rule": "hygiene", "reason": "客服中心桌面未整理", "client_uuid": "6f1c9a4e-0000-4000-8000-000000000001"})
    assert again.status_code == 303 and Entry.select().count() == 1  # a replay adds nothing
    assert [(e.rule, e.points, e.computed) for e in Entry.select()] == [("hygiene", -1, False)]


def test_issuing_the_running_month_is_refused(estate, butler, manager_client):
    clock.set_now(IN_NOVEMBER)
    response = manager_client.post(f"/assessment/people/{butler.id}/issue?m=2026-11")
    assert response.status_code == 409 and "月末" in response.get_data(as_text=True)


# ---------------------------------------------------------------- who sees what


def test_a_butler_sees_only_his_own_sheet(estate, butler, manager, butler_client, other_estate, admin_client):
    clock.set_now(IN_NOVEMBER)
    colleague = factories.make_user(estate, role="butler")
    assert butler_client.get(f"/assessment/people/{butler.id}").status_code == 200
    assert butler_client.get(f"/assessment/people/{colleague.id}").status_code == 403
    assert butler_client.get(f"/assessment/people/{colleague.id}/sheet.xlsx").status_code == 403
    assert butler_client.get("/assessment/").status_code == 403
    stranger = factories.make_user(other_estate, role="butler")
    for path in ("", "/trend", "/print", "/sheet.xlsx"):
        assert admin_client.get(f"/assessment/people/{stranger.id}{path}").status_code == 404
    duty = factories.make_duty(colleague)
    assert butler_client.get(f"/assessment/duties/{duty.id}").status_code == 404
    assert butler_client.get("/assessment/me?m=2099-01").status_code == 404


def test_the_overview_shows_everyone_side_by_side_with_rates(estate, butler, manager_client):
    finish(patrol(butler, 2))
    close_november(estate)
    page = manager_client.get("/assessment/?m=2026-11").get_data(as_text=True)
    assert butler.name in page and 'id="overview-table"' in page and "<svg" in page
    assert 'id="overview-trend"' in page


# ---------------------------------------------------------------- the year


def test_the_annual_roll_up_weighs_20_30_50_and_adds_the_bonus(estate, butler, manager, manager_client):
    for month, score in ((10, 96), (11, 100)):
        Sheet.create(estate=estate, person=butler, year=2026, month=month, status=SheetStatus.SIGNED, score=score)
    clock.set_now(IN_NOVEMBER)
    assert manager_client.post(f"/assessment/year/{butler.id}?y=2026",
                               {"checks": "95", "year_end": "100", "bonus": "5"}).status_code == 303
    row = next(r for r in service.annual_rows(estate.id, 2026) if r["person"].id == butler.id)
    assert row["monthly"] == 98.0
    assert row["total"] == pytest.approx(0.2 * 95 + 0.3 * 98 + 0.5 * 100 + 5)  # 103.4
    assert row["excellent"] is True
    page = manager_client.get("/assessment/year?y=2026").get_data(as_text=True)
    assert "103.4" in page and "优秀员工" in page
    bad = manager_client.post(f"/assessment/year/{butler.id}?y=2026", {"bonus": "11"})
    assert bad.status_code == 422


# ---------------------------------------------------------------- Excel


def test_the_excel_sheet_holds_the_pages_numbers_and_escapes_formulas(estate, butler, manager, manager_client):
    from openpyxl import load_workbook

    patrol(butler, 3)
    close_november(estate)
    service.add_manual(estate, butler, 2026, 11, manager, "hygiene", '=HYPERLINK("http://x","y")')
    response = manager_client.get(f"/assessment/people/{butler.id}/sheet.xlsx?m=2026-11")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    points = [r[4] for r in rows if r[2] not in ("基础分", "得分")]
    assert points == [-2, -1]
    assert rows[-1][2] == "得分" and rows[-1][4] == 97 == Sheet.find(butler.id, *NOV).score
    cell = next(c for c in book.worksheets[0]["G"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    page = manager_client.get(f"/assessment/people/{butler.id}?m=2026-11").get_data(as_text=True)
    assert 'id="sheet-score">97<' in page


# ---------------------------------------------------------------- the sheets the supervisor fills in


def test_the_8_item_scorecard_is_graded_and_refused_out_of_range(estate, butler, manager_client, butler_client):
    clock.set_now(IN_NOVEMBER)
    url = f"/assessment/people/{butler.id}/cards/scorecard8?m=2026-11"
    marks = {"attendance": "10", "discipline": "9", "attitude": "9", "teamwork": "8", "improvement": "8",
             "service": "9", "skills": "9", "efficiency": "10"}
    bad = manager_client.post(url, {**marks, "skills": "11"})
    assert bad.status_code == 422 and "0到10分" in bad.get_data(as_text=True)
    assert manager_client.post(url, marks).status_code == 303
    page = butler_client.get(url).get_data(as_text=True)
    assert 'id="card-total">72<' in page and "优秀" in page  # 72 of 80 = 90%
    assert butler_client.post(url, marks).status_code == 403  # he reads it; the supervisor fills it in


def test_the_monthly_de_qin_neng_ji_sheet_is_frozen_with_the_signed_month(estate, butler, manager, manager_client):
    patrol(butler, 3)
    close_november(estate)
    sheet = service.issue(Sheet.find(butler.id, *NOV), manager)
    url = f"/assessment/people/{butler.id}/cards/deqin?m=2026-11"
    marks = {"de": "18", "qin": "17", "neng": "26", "ji": "29"}
    assert manager_client.post(url, marks).status_code == 303
    assert 'id="card-total">90<' in manager_client.get(url).get_data(as_text=True)
    service.sign(sheet, manager)
    refused = manager_client.post(url, {**marks, "de": "20"})
    assert refused.status_code == 409 and "已签字" in refused.get_data(as_text=True)


def test_the_after_sales_sheet_takes_its_rated_parts_from_the_data(estate, butler, unit, manager_client):
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    finish(callback(factories.make_case(unit, butler), butler, 4))
    finish(callback(factories.make_case(unit, butler), butler, 5), minutes_late=90)
    close_november(estate)
    url = f"/assessment/people/{butler.id}/cards/aftersales?m=2026-11"
    page = manager_client.get(url).get_data(as_text=True)
    assert "尚无报表待办" in page  # the tables submitted are scored by hand until report duties exist
    typed = {code: str(most) for code, _label, most in service.rulebook.CARDS["aftersales"].items}
    typed["callback_24h"] = "0"  # computed from the data: what is typed for it is ignored
    assert manager_client.post(url, typed).status_code == 303
    page = manager_client.get(url).get_data(as_text=True)
    assert 'id="card-total">95<' in page  # 100 − 10 + 10 × 1/2 on time


def test_the_after_sales_sheets_weekly_tables_are_scored_from_the_report_duties(estate, butler, manager_client):
    """Four weekly tables due in November: three filed on time, one missed → 5 × 3/4 = 4 points each."""
    clock.set_now(datetime(2026, 11, 3, 1, 0))
    fridays = [datetime(2026, 11, day, 10, 0) for day in (6, 13, 20, 27)]
    for n, due in enumerate(fridays):
        duty = create_duty(estate.id, "report_weekly", f"report:{estate.id}:weekly:{n}", due, assignee=butler.id)
        if n < 3:
            Duty.update(outcome="done", done_at=due - timedelta(hours=2), late_minutes=0).where(
                Duty.id == duty.id).execute()
        else:
            Duty.update(outcome="missed", missed_at=datetime(2026, 12, 1, 0, 0)).where(Duty.id == duty.id).execute()
    url = f"/assessment/people/{butler.id}/cards/aftersales?m=2026-11"
    page = manager_client.get(url).get_data(as_text=True)
    assert "本月报表待办：4项中按时3项。" in page
    typed = {code: "0" for code, _label, _most in service.rulebook.CARDS["aftersales"].items}
    assert manager_client.post(url, typed).status_code == 303  # what is typed for the weekly tables is ignored
    view = service.card_view(service.rulebook.CARDS["aftersales"], butler, 2026, 11, estate)
    assert {code: view["points"][code] for code in service.rulebook.REPORT_ITEMS} == {
        "t_warranty": 4, "t_complaints": 4, "t_repairs": 4, "t_satisfaction": 4}
    assert view["points"]["t_mid_month"] == 0  # not filed as a duty: still scored by hand
    assert set(service.rulebook.REPORT_ITEMS) <= view["computed"]


def test_a_month_of_many_items_lists_the_first_and_sums_them_by_rule(estate, butler, butler_client):
    clock.set_now(datetime(2026, 11, 1, 0, 0))
    for n in range(65):
        create_duty(estate.id, schedule.VACANT_PATROL, f"unit:{n + 1}", datetime(2026, 11, 6, 10, 0),
                    assignee=butler.id)
    close_november(estate)
    page = butler_client.get("/assessment/me?m=2026-11").get_data(as_text=True)
    assert page.count('class="assess-item') == 60 and 'id="sheet-all"' in page
    assert 'id="sheet-score">-30<' in page  # 100 − 65 × 2
    everything = butler_client.get("/assessment/me?m=2026-11&all=1").get_data(as_text=True)
    assert everything.count('class="assess-item') == 65


def test_the_complaint_a_repair_drew_is_the_first_registered_about_it(estate, butler, unit):
    """Only the link counts (针对工单): the first complaint about the repair wins; a cancelled
    one, one about another repair and one on the same unit naming no repair never count."""
    at = datetime(2026, 9, 1, 2, 0)
    repair = factories.make_case(unit, butler, created_at=at)
    other = factories.make_case(unit, butler, created_at=at)
    factories.make_case(unit, butler, kind="complaint", created_at=at + timedelta(days=1))  # names no repair
    factories.make_case(unit, butler, kind="complaint", created_at=at + timedelta(days=1), about_case=other)
    factories.make_case(unit, butler, kind="complaint", created_at=at + timedelta(days=2), about_case=repair,
                        status=CaseStatus.CANCELLED)
    first = factories.make_case(unit, butler, kind="complaint", created_at=at + timedelta(days=40), about_case=repair)
    factories.make_case(unit, butler, kind="complaint", created_at=at + timedelta(days=50), about_case=repair)
    assert service._complaints_drawn(estate.id, {repair.id}) == {repair.id: f"TS{first.id:06d}"}
    assert service._complaints_drawn(estate.id, {other.id}) == {other.id: f"TS{first.id - 2:06d}"}


def test_a_stored_sheets_summary_counted_in_sql_matches_its_items(estate, butler, butler_client):
    """Per rule, in the order each first occurs; a withdrawn item is left out of the sums."""
    clock.set_now(datetime(2026, 11, 1, 0, 0))
    for n in range(62):
        create_duty(estate.id, schedule.VACANT_PATROL, f"unit:{n + 1}", datetime(2026, 11, 6, 10, 0),
                    assignee=butler.id)
    create_duty(estate.id, schedule.RENOVATION_CHECK, "unit:900", datetime(2026, 11, 2, 10, 0), assignee=butler.id)
    close_november(estate)
    sheet = Sheet.find(butler.id, *NOV)
    one = Entry.of_sheet(sheet.id).where(Entry.rule == "vacant_patrol").first()
    Entry.update(withdrawn_at=DEC_FIRST).where(Entry.id == one.id).execute()
    full = service.sheet_view(estate, butler, *NOV)
    short = service.sheet_view(estate, butler, *NOV, limit=60)
    assert full.summary == short.summary == [("renovation_check", 1, -2), ("vacant_patrol", 61, -122)]
    assert (full.total, short.total, len(short.entries)) == (63, 63, 60)
    page = butler_client.get("/assessment/me?m=2026-11").get_data(as_text=True)
    assert 'id="sheet-summary"' in page and ">61<" in page


def test_the_overview_counts_each_sheets_open_appeals(issued, butler, manager, manager_client):
    first, second = Entry.of_sheet(issued.id)
    service.appeal(first, butler, "那天停电")
    service.appeal(second, butler, "补巡了")
    assert Appeal.open_per_sheet(issued.estate_id, [issued.id]) == {issued.id: 2}
    service.answer(Appeal.get(Appeal.entry == first.id), manager, False, "有记录")
    assert Appeal.open_per_sheet(issued.estate_id, [issued.id]) == {issued.id: 1}
    assert Appeal.open_per_sheet(issued.estate_id + 1, [issued.id]) == {}
    page = manager_client.get("/assessment/?m=2026-11").get_data(as_text=True)
    assert '<td class="num">1</td></tr>' in page
