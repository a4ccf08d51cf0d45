"""Reports (报表): each table's numbers against a hand-counted office, filing, duties, digest."""
import io
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from bluebird import clock
from bluebird.cases.models import Call
from bluebird.duties.models import Duty, Outcome
from bluebird.duties.scheduler import tick
from bluebird.estate.models import UnitStatus
from bluebird.estate.service import change_unit_status
from bluebird.notify.models import Notification
from bluebird.reports import digest, house, periods
from bluebird.reports import duties as report_duties
from bluebird.reports.models import Filing, HouseMonth
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 23 Nov 09:00 in Shanghai
WEEK = "2026-W48"  # 23–29 Nov


def at(day, hour=10):
    """A local Shanghai wall time in November 2026 as naive UTC."""
    return datetime(2026, 11, day, hour) - timedelta(hours=8)


@pytest.fixture
def office(estate, manager, receptionist, technician, butler):
    """A hand-counted week: what each table must show is written next to each row."""
    clock.set_now(T0)
    b3, b5 = factories.make_building(estate, "3"), factories.make_building(estate, "5")
    u1, u2, u3 = factories.make_unit(b3, "1502"), factories.make_unit(b3, "1601"), factories.make_unit(b5, "0201")
    mk = factories.make_case
    r = receptionist
    cases = [
        # this week (23–29 Nov), building 3 unless said:
        mk(u1, r, "complaint", target="service", target_name="保洁部", created_at=at(23), status="closed",
           closed_at=at(24), promised_on=datetime(2026, 11, 25).date(), satisfaction="satisfied"),  # 1 day
        mk(u1, r, "complaint", target="service", target_name="保洁部", created_at=at(24), reopened=1),  # open, u1 twice
        mk(u3, r, "complaint", target="construction", created_at=at(25), source="walk_in"),  # building 5
        mk(u1, r, "repair", scope="household", trade="water", work_type="basic", created_at=at(23), status="closed",
           closed_at=at(23, 15), satisfaction="basic", contact_phone="13912345678", contact_name="=HYPERLINK(\"x\")"),
        mk(u2, r, "repair", scope="public", trade="electric", work_type="materials", created_at=at(24),
           warranty=True),
        mk(u2, r, "repair", scope="household", trade="water", work_type="basic", created_at=at(26), status="closed",
           closed_at=at(27), satisfaction="unsatisfied"),
        mk(u1, r, "repair", scope="household", trade="water", created_at=at(25), status="cancelled"),  # never counted
        mk(u2, r, "info", created_at=at(24), status="closed", closed_at=at(24, 16)),
        mk(u2, r, "info", created_at=at(25)),
        # the week before (16–22 Nov): not this week's, but November's
        mk(u1, r, "repair", scope="household", trade="civil", created_at=at(18), status="closed", closed_at=at(23, 9),
           satisfaction="satisfied"),  # registered last week, closed this week
        mk(u3, r, "complaint", target="design", created_at=at(17)),
    ]
    Call.create(case=cases[0], kind="complaint_callback", by=manager.id, at=at(24))
    return SimpleNamespace(estate=estate, b3=b3, b5=b5, u1=u1, u2=u2, u3=u3, cases=cases, manager=manager,
                           reception=receptionist, tech=technician, butler=butler)


def _tables(client, span="week", period=WEEK, **args):
    response = client.get(f"/reports/tables/{span}", query_string={"period": period, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _section(page, ident):
    part = page[page.index(f'id="{ident}"'):]
    return part[: part.index("</section>")]


# ---------------------------------------------------------------- the case tables


def test_weekly_tables_match_the_hand_count(office):
    from bluebird.reports import tables

    start, end = periods.parse("week", WEEK).bounds("Asia/Shanghai")
    data = tables.case_tables(office.estate.id, start, end)
    c, r, s, w, i = data["complaints"], data["repairs"], data["satisfaction"], data["warranty"], data["info"]
    assert (c["registered"], c["closed"], c["open"], c["reopened"], c["called_back"]) == (3, 1, 2, 1, 1)
    assert c["by_target"] == {"service": 2, "construction": 1}
    assert (r["registered"], r["closed"], r["open"]) == (3, 2, 1)  # the cancelled one is not counted
    assert r["by_scope"] == {"household": 2, "public": 1} and r["by_trade"] == {"water": 2, "electric": 1}
    assert r["by_work_type"] == {"basic": 2, "materials": 1}
    # closed this week: complaint (satisfied), repair (basic), repair (unsatisfied), last week's repair (satisfied)
    assert (s["closed"], s["satisfied"], s["basic"], s["unsatisfied"], s["rate"]) == (4, 2, 1, 1, 75.0)
    assert (w["issued"], w["open"]) == (1, 1)
    assert (i["registered"], i["closed"], i["open"]) == (2, 1, 1)
    only5 = tables.case_tables(office.estate.id, start, end, building=office.b5.id)
    assert only5["complaints"]["registered"] == 1 and only5["repairs"]["registered"] == 0
    month = tables.case_tables(office.estate.id, *periods.parse("month", "2026-11").bounds("Asia/Shanghai"))
    assert month["complaints"]["registered"] == 4 and month["repairs"]["registered"] == 4


def test_every_count_links_to_the_case_list_showing_exactly_those_cases(office, manager_client):
    page = _tables(manager_client)
    assert page.index('class="chart"') < page.index('id="rp-complaints"')  # the chart above the numbers
    import re

    links = re.findall(r'<a class="rp-n" href="(/cases/[^"]+)">(\d+)</a>', page)
    assert len(links) >= 15
    for href, n in links:
        listing = manager_client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert listing.count('class="case-row"') == int(n), href


def test_the_building_filter_and_another_estates_building(office, manager_client, other_estate):
    page = _tables(manager_client, building=office.b5.id)
    assert f"building={office.b5.id}" in page
    assert ">1</a>" in _section(page, "rp-complaints")
    elsewhere = factories.make_building(other_estate, "9")
    assert manager_client.get(f"/reports/tables/week?period={WEEK}&building={elsewhere.id}").status_code == 404
    assert manager_client.get("/reports/tables/week?period=2026-W99").status_code == 404
    assert manager_client.get("/reports/tables/decade").status_code == 404
    assert manager_client.get("/reports/house?period=2026-13").status_code == 404


def test_late_handling_per_person(office):
    from bluebird.reports import tables

    clock.set_now(at(23, 9))
    on_time = factories.make_duty(office.tech, kind="t", due_in=timedelta(hours=2))
    late = factories.make_duty(office.tech, kind="t", due_in=timedelta(hours=3))
    open_late = factories.make_duty(office.tech, kind="t", due_in=timedelta(hours=4))
    void = factories.make_duty(office.butler, kind="t", due_in=timedelta(hours=1))
    Duty.update(done_at=on_time.due_at, outcome=Outcome.DONE, late_minutes=0).where(Duty.id == on_time.id).execute()
    Duty.update(done_at=late.due_at + timedelta(hours=1), outcome=Outcome.DONE, late_minutes=60).where(
        Duty.id == late.id).execute()
    Duty.update(done_at=clock.now(), outcome=Outcome.VOID).where(Duty.id == void.id).execute()
    clock.set_now(at(25))
    start, end = periods.parse("week", WEEK).bounds("Asia/Shanghai")
    people = tables.late_by_person(office.estate.id, start, end)
    assert people == [{"user": office.tech.id, "name": office.tech.name, "due": 3, "late": 2}]
    assert open_late.id


def test_late_handling_per_person_of_one_building_counts_the_duties_about_it(office, manager_client):
    from bluebird.reports import tables

    clock.set_now(at(23, 9))
    in3, in5 = office.cases[3], office.cases[2]  # a repair in building 3, a complaint in building 5
    factories.make_duty(office.tech, kind="t", subject=f"case:{in3.id}", due_in=timedelta(hours=2))  # open, late
    factories.make_duty(office.tech, kind="t", subject=f"unit:{office.u2.id}", due_in=timedelta(hours=2))  # late
    factories.make_duty(office.tech, kind="t", subject=f"building:{office.b3.id}", due_in=timedelta(hours=9))
    factories.make_duty(office.butler, kind="t", subject=f"case:{in5.id}", due_in=timedelta(hours=2))
    factories.make_duty(office.butler, kind="t", subject="patch:1", due_in=timedelta(hours=2))  # no building
    clock.set_now(at(23, 14))
    start, end = periods.parse("week", WEEK).bounds("Asia/Shanghai")
    assert tables.late_by_person(office.estate.id, start, end, building=office.b3.id) == [
        {"user": office.tech.id, "name": office.tech.name, "due": 3, "late": 2}]
    assert tables.late_by_person(office.estate.id, start, end, building=office.b5.id) == [
        {"user": office.butler.id, "name": office.butler.name, "due": 1, "late": 1}]
    whole = tables.late_by_person(office.estate.id, start, end)
    assert sorted((p["name"], p["due"]) for p in whole) == sorted([(office.tech.name, 3), (office.butler.name, 2)])
    page = _section(_tables(manager_client, building=office.b5.id), "rp-late")
    assert "只计该楼" in page and office.butler.name in page and office.tech.name not in page


def test_half_and_year_tables_give_the_complaint_rate_per_party(office, manager_client):
    page = _tables(manager_client, "half", "2026-H2")
    rate = _section(page, "rp-rate")
    assert "保洁部" in rate and "50.0%" in rate  # 2 of the 4 complaints
    assert _tables(manager_client, "year", "2026").count('id="rp-rate"') == 1


def test_tables_export_opens_with_openpyxl(office, manager_client):
    response = manager_client.get(f"/reports/tables/week.xlsx?period={WEEK}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    complaints = book.worksheets[0]
    assert [c.value for c in complaints[3]] == ["已登记", 3]
    assert [c.value for c in book.worksheets[1][3]][1] == 3


# ---------------------------------------------------------------- the case list


def _count(client, **args):
    response = client.get("/cases/", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True).count('class="case-row"')


def test_case_list_filters(office, manager_client):
    week = {"date_from": "2026-11-23", "date_to": "2026-11-29", "status": "all"}
    assert _count(manager_client, **week) == 9  # the cancelled one is listed under "all"
    assert _count(manager_client, **{**week, "status": "valid"}) == 8
    assert _count(manager_client, status="all", date_field="closed", date_from="2026-11-23",
                  date_to="2026-11-23") == 2  # the repair closed 15:00 and last week's closed 09:00
    assert _count(manager_client, status="all", source="walk_in") == 1
    assert _count(manager_client, status="all", target="service") == 2
    assert _count(manager_client, status="all", satisfied="yes") == 3
    assert _count(manager_client, status="all", satisfied="no") == 1
    assert _count(manager_client, status="all", reopened="1") == 1
    assert _count(manager_client, status="all", warranty="yes") == 1
    assert _count(manager_client, status="all", date_to="2026-11-22") == 2


def test_case_list_refuses_a_reversed_or_unreadable_range_with_a_422(office, manager_client):
    response = manager_client.get("/cases/?date_from=2026-11-29&date_to=2026-11-01")
    assert response.status_code == 422 and "晚于" in response.get_data(as_text=True)
    assert manager_client.get("/cases/?date_from=yesterday").status_code == 422
    assert manager_client.get("/cases/export.xlsx?date_from=yesterday").status_code == 422


def test_building_options_are_built_once_per_language_and_set_of_buildings(office, manager_client):
    from bluebird.cases import listing

    listing._BUILDING_OPTIONS.clear()
    calls = []
    label = lambda name: calls.append(name) or f"{name}号楼"  # noqa: E731
    first = listing.building_options(office.estate.id, "zh_Hans_CN", label)
    again = listing.building_options(office.estate.id, "zh_Hans_CN", label)
    assert first == again == [(office.b3.id, "3号楼"), (office.b5.id, "5号楼")] and calls == ["3", "5"]
    added = factories.make_building(office.estate, "7")  # shows at once, in every worker: no stale cache
    assert listing.building_options(office.estate.id, "zh_Hans_CN", label)[-1] == (added.id, "7号楼")
    assert f'value="{office.b5.id}"' in manager_client.get("/cases/").get_data(as_text=True)


def test_export_is_exactly_the_filtered_list_and_formula_text_stays_text(office, manager_client):
    response = manager_client.get("/cases/export.xlsx?status=all&kind=repair&date_from=2026-11-23&date_to=2026-11-29")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 4  # the week's four repairs (the cancelled one too, under "all")
    cell = next(c for row in sheet.iter_rows(min_row=3) for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s" and cell.quotePrefix
    assert "13912345678" in [v for row in rows for v in row]  # a manager sees the phone
    first = office.cases[3]  # registered 23 Nov 10:00, closed 15:00 local (Shanghai)
    row = next(r for r in rows if r[0] == f"BX{first.id:06d}")
    assert row[1:7] == ("报修", "已关闭", "2026-11-23 10:00", "2026-11-23 15:00", "3-1502", "3")
    assert row[12] == "13912345678" and row[14] == "基本满意" and row[15] is None  # not reopened: an empty cell


def test_export_masks_phones_for_a_role_that_may_not_see_them_and_says_so(office, app):
    from tests.fixtures.app import Client

    inspector = factories.make_user(office.estate, role="inspector", username="insp")
    c = Client(app)
    assert c.login(inspector.username).status_code == 303
    response = c.get("/cases/export.xlsx?status=all")
    book = load_workbook(io.BytesIO(response.data))
    values = [v for row in book.active.iter_rows(values_only=True) for v in row if v]
    assert "139****5678" in values and "13912345678" not in values
    assert any("已隐藏" in str(v) for v in values[:3])
    assert Client(app).get("/cases/export.xlsx").status_code in (302, 303, 401)
    tech = factories.make_user(office.estate, role="technician", username="tech2")
    t = Client(app)
    t.login(tech.username)
    assert t.get("/cases/export.xlsx").status_code == 403


# ---------------------------------------------------------------- house dynamics


def test_house_dynamics_for_a_past_month_stays_right_after_later_changes(office, manager_client):
    clock.set_now(at(10))
    change_unit_status(office.u2, UnitStatus.VACANT, office.manager.id)  # 10 Nov: occupied -> vacant
    clock.set_now(at(20))
    change_unit_status(office.u2, UnitStatus.RENTED, office.manager.id)  # 20 Nov: -> rented
    clock.set_now(datetime(2026, 12, 3, 2, 0))
    change_unit_status(office.u1, UnitStatus.RENOVATING, office.manager.id)  # December: after November closed
    change_unit_status(office.u2, UnitStatus.VACANT, office.manager.id)
    page = manager_client.get("/reports/house?period=2026-11").get_data(as_text=True)
    table = _section(page, "rp-house")
    assert 'id="house-end-occupied">2<' in table and 'id="house-end-rented">1<' in table
    assert 'id="house-end-renovating">0<' in table and 'id="house-moved-vacant">1<' in table
    assert 'id="house-moved-rented">1<' in table and 'id="house-total">3<' in table
    assert HouseMonth.select().count() == 1  # the closed month was kept
    clock.set_now(datetime(2026, 12, 20, 2, 0))
    change_unit_status(office.u3, UnitStatus.VACANT, office.manager.id)
    again = house.for_month(office.estate.id, periods.parse("month", "2026-11"), "Asia/Shanghai")
    assert again["at_end"]["occupied"] == 2 and again["at_end"]["vacant"] == 0
    fresh = house.compute(office.estate.id, *periods.parse("month", "2026-11").bounds("Asia/Shanghai"))
    assert fresh == again  # recomputed from the timeline: the same table
    december = house.compute(office.estate.id, *periods.parse("month", "2026-12").bounds("Asia/Shanghai"))
    assert december["at_end"]["vacant"] == 2 and december["at_end"]["renovating"] == 1
    only5 = manager_client.get(f"/reports/house?period=2026-11&building={office.b5.id}").get_data(as_text=True)
    assert 'id="house-total">1<' in only5


def test_a_unit_created_after_the_month_is_not_in_it(office):
    from bluebird.estate.service import create_unit

    clock.set_now(datetime(2026, 12, 2, 2, 0))
    create_unit(None, building=office.b3, number="1801", floor=18, kind="home", status=UnitStatus.OCCUPIED,
                actor=office.manager.id)
    nov = house.compute(office.estate.id, *periods.parse("month", "2026-11").bounds("Asia/Shanghai"))
    dec = house.compute(office.estate.id, *periods.parse("month", "2026-12").bounds("Asia/Shanghai"))
    assert (nov["total"], dec["total"], dec["new"]) == (3, 4, 1)


# ---------------------------------------------------------------- complaint summary


def test_complaint_summary_matches_the_hand_count(office, manager_client):
    from bluebird.reports import complaints

    data = complaints.summary(office.estate.id, *periods.parse("month", "2026-11").bounds("Asia/Shanghai"),
                              "Asia/Shanghai")
    assert (data["total"], data["closed"], data["open"], data["reopened"]) == (4, 1, 3, 1)
    assert data["by_target"] == {"service": 2, "construction": 1, "design": 1}
    assert data["by_party"] == [{"name": "保洁部", "n": 2, "share": 50.0}]
    assert data["resolve_buckets"] == {"1d": 1, "3d": 0, "7d": 0, "more": 0} and data["avg_hours"] == 24.0
    assert (data["promise_kept"], data["called_back"], data["callback_rate"]) == (1, 1, 100.0)
    assert data["repeat"] == [{"unit": "3-1502", "n": 2}, {"unit": "5-0201", "n": 2}]
    page = manager_client.get("/reports/complaints?period=2026-11").get_data(as_text=True)
    assert 'id="file-form"' in page and 'name="analysis"' in page


# ---------------------------------------------------------------- filing and duties


def test_filing_freezes_the_numbers_closes_the_duty_and_the_pm_confirms(office, manager_client, app):
    from tests.fixtures.app import Client

    clock.set_now(at(23, 9))
    tick(clock.now())
    duty = Duty.get((Duty.kind == report_duties.WEEKLY)
                    & (Duty.subject == report_duties.subject(office.estate.id, "weekly", WEEK)))
    assert duty.role == "manager" and duty.due_at == at(27, 18)  # Friday 18:00 local
    response = manager_client.post(f"/reports/file/weekly/{WEEK}", {"client_uuid": "9b2f7a3c-1111-4222-8333-444455556666"})
    assert response.status_code == 303
    filing = Filing.get()
    assert Duty.get_by_id(duty.id).outcome == Outcome.DONE
    factories.make_case(office.u1, office.reception, "complaint", created_at=at(23, 11))  # after filing
    page = manager_client.get(f"/reports/filed/{filing.id}").get_data(as_text=True)
    assert ">3</a>" in _section(page, "rp-complaints")  # as filed, not 4
    assert ">4</a>" in _section(_tables(manager_client), "rp-complaints")  # the live table moved on
    again = manager_client.post(f"/reports/file/weekly/{WEEK}", {"client_uuid": "9b2f7a3c-1111-4222-8333-444455556666"})
    assert again.status_code == 303 and Filing.select().count() == 1  # a replay files nothing more
    assert manager_client.post(f"/reports/filed/{filing.id}/confirm").status_code == 303
    assert Filing.get_by_id(filing.id).confirmed_at is None  # not on the filer's own login
    pm = factories.make_user(office.estate, role="manager", username="pm", name="项目经理")
    c = Client(app)
    c.login(pm.username)
    assert c.post(f"/reports/filed/{filing.id}/confirm").status_code == 303
    assert Filing.get_by_id(filing.id).confirmed_by_id == pm.id
    assert "项目经理" in c.get(f"/reports/filed/{filing.id}").get_data(as_text=True)
    assert c.get(f"/reports/filed/{filing.id}.xlsx").status_code == 200


def test_another_estates_filing_is_404(office, manager_client, other_estate):
    stranger = factories.make_user(other_estate, role="manager")
    theirs = Filing.create(estate=other_estate, kind="weekly", period=WEEK, filed_by=stranger.id)
    assert manager_client.get(f"/reports/filed/{theirs.id}").status_code == 404
    assert manager_client.post(f"/reports/filed/{theirs.id}/confirm").status_code == 404
    assert manager_client.get(f"/reports/filed/{theirs.id}.xlsx").status_code == 404


def test_reports_are_for_supervisors_only(office, butler_client, reception_client, tech_client, admin_client):
    for c in (butler_client, reception_client, tech_client):
        assert c.get("/reports/").status_code == 403
        assert c.post(f"/reports/file/weekly/{WEEK}", {}).status_code == 403
    assert admin_client.get("/reports/").status_code == 200


@pytest.mark.parametrize("utc_now, expected", [
    (datetime(2026, 11, 30, 15, 59), set()),  # 23:59 on 30 Nov local: the 1st has not begun (Monday though)
    (datetime(2026, 11, 30, 16, 1), {("house", "2026-11", datetime(2026, 12, 5, 10, 0))}),  # 00:01 on 1 Dec
    (datetime(2026, 12, 19, 16, 30), {("complaints", "2026-12", datetime(2026, 12, 25, 10, 0)),
                                      ("month", "2026-12", datetime(2026, 12, 27, 10, 0))}),  # 00:30 on 20 Dec
    (datetime(2026, 12, 25, 16, 30), {("month", "2026-12", datetime(2026, 12, 27, 10, 0))}),  # the 26th
])
def test_report_duties_are_generated_on_the_estates_local_day(office, utc_now, expected):
    Duty.delete().execute()
    report_duties.generate(utc_now)
    made = {(d.subject.split(":")[2], d.subject.split(":")[3], d.due_at) for d in Duty.select()
            if d.kind != report_duties.WEEKLY}
    assert made == expected
    weekly = Duty.select().where(Duty.kind == report_duties.WEEKLY).count()
    local = periods.local_today(utc_now, "Asia/Shanghai")
    assert weekly == (1 if local.weekday() <= 4 else 0)


def test_a_late_report_duty_escalates_and_filing_closes_it_late(office, manager_client):
    clock.set_now(datetime(2026, 11, 30, 16, 1))
    tick(clock.now())
    duty = Duty.get(Duty.kind == report_duties.HOUSE)
    assert report_duties.generate(clock.now()) == 0  # once
    clock.set_now(datetime(2026, 12, 5, 11, 30))  # 19:30 on the 5th: past due and past its grace
    tick(clock.now())
    assert Duty.get_by_id(duty.id).escalated_at is not None
    assert manager_client.post("/reports/file/house/2026-11", {}).status_code == 303
    done = Duty.get_by_id(duty.id)
    assert done.outcome == Outcome.DONE and done.late_minutes == 90
    clock.set_now(datetime(2026, 12, 5, 12, 0))
    assert report_duties.generate(clock.now()) == 0  # filed: nothing is owed again


# ---------------------------------------------------------------- the morning digest


def test_digest_one_notice_per_supervisor_at_0830_and_none_on_a_quiet_day(office, manager_client):
    second = factories.make_user(office.estate, role="manager", username="m2")
    before = datetime(2026, 11, 24, 0, 29)  # 08:29 on Tuesday 24 Nov local
    assert digest.send(before) == 0
    assert digest.send(before + timedelta(minutes=1)) == 2  # 08:30: Monday's new cases
    assert digest.send(before + timedelta(minutes=5)) == 0  # once a day
    notes = list(Notification.select().where(Notification.kind == "digest"))
    assert sorted(n.user_id for n in notes) == sorted([office.manager.id, second.id])
    assert all(n.url == "/reports/digest?day=2026-11-23" for n in notes)
    assert office.reception.id not in {n.user_id for n in notes}
    clock.set_now(before + timedelta(minutes=2))
    inbox = manager_client.get("/notifications/").get_data(as_text=True)
    assert "每日简报：2 条新工单，0 条超时，1 条返修，1 条未派工" in inbox, inbox[inbox.find("note-title"):][:300]
    page = manager_client.get("/reports/digest?day=2026-11-23").get_data(as_text=True)
    section = _section(page, "rp-digest")
    assert section.count("<a href=") == 4
    assert manager_client.get("/reports/digest?day=not-a-day").status_code == 404


def test_two_schedulers_sending_the_digest_at_once_send_it_once(app, office):
    import threading

    from bluebird.db import db

    second = factories.make_user(office.estate, role="manager", username="m2")
    at = datetime(2026, 11, 24, 0, 30)
    barrier, sent, errors = threading.Barrier(4), [], []

    def scheduler():
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                sent.append(digest.send(at))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(sent) == [0, 0, 0, 2]
    notes = Notification.select().where(Notification.kind == "digest")
    assert sorted(n.user_id for n in notes) == sorted([office.manager.id, second.id])


def test_no_digest_on_a_day_with_nothing_to_say(estate, manager):
    clock.set_now(datetime(2026, 11, 24, 0, 31))
    assert digest.send(clock.now()) == 0
    assert Notification.select().count() == 0


# ---------------------------------------------------------------- problem sites


def test_problem_sites_of_a_half_month(office, manager_client):
    from bluebird.rounds import engine
    from bluebird.rounds.models import ItemResult, Round

    clock.set_now(at(3))
    noisy = factories.make_permit(office.u1, office.butler)
    quiet = factories.make_permit(office.u2, office.butler)
    for permit, results in ((noisy, ("fail", "fail")), (noisy, ("ok",)), (quiet, ("ok",))):
        round_ = engine.start(None, estate_id=office.estate.id, user=office.butler, kind="renovation",
                              place_kind="permit", place_id=permit.id, place_label=office.u1.code)
        for item, result in zip(engine.items_of(round_), results, strict=False):  # the results as recorded
            ItemResult.create(round=round_, item=item, result=result, by=office.butler.id, at=clock.now())
        Round.update(finished_at=clock.now()).where(Round.id == round_.id).execute()
    page = manager_client.get("/reports/sites?period=2026-11&half=1").get_data(as_text=True)
    table = _section(page, "rp-sites")
    assert f'id="site-{noisy.id}-fails">2<' in table and f'id="site-{quiet.id}-fails">0<' in table
    assert "2" in table[: table.index("</h2>")] and "1" in table[: table.index("</h2>")]
    later = _section(manager_client.get("/reports/sites?period=2026-11&half=2").get_data(as_text=True), "rp-sites")
    assert "site-" not in later
    export = manager_client.get("/reports/sites.xlsx?period=2026-11&half=1")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    assert [c.value for c in book.worksheets[0][4]] == ["有问题的工地", 1]
    assert [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=3)] == [
        [office.u1.code, noisy.contractor, 2, 2], [office.u2.code, quiet.contractor, 1, 0]]
    assert '<input type="hidden" name="half" value="1">' in page  # choosing a building keeps the half
    # Filing the half-month freezes it, like every other table.
    assert 'action="/reports/file/sites/2026-11-1"' in page
    filed = manager_client.post("/reports/file/sites/2026-11-1", {"client_uuid": "7c1f7a3c-1111-4222-8333-444455556666"})
    assert filed.status_code == 303
    filing = Filing.get(Filing.kind == "sites")
    assert filing.period == "2026-11-1" and filing.data["problem"] == 1
    Round.update(finished_at=None).execute()  # the checks change afterwards: the filed table does not
    shown = manager_client.get(f"/reports/filed/{filing.id}").get_data(as_text=True)
    assert f'id="site-{noisy.id}-fails">2<' in _section(shown, "rp-sites") and "月中" in shown
    assert "site-" not in _section(manager_client.get("/reports/sites?period=2026-11&half=1").get_data(as_text=True),
                                   "rp-sites")
    assert "已报送" in manager_client.get("/reports/sites?period=2026-11&half=1").get_data(as_text=True)
    kept = load_workbook(io.BytesIO(manager_client.get(f"/reports/filed/{filing.id}.xlsx").data))
    assert kept.worksheets[1]["D3"].value == 2
    again = manager_client.post("/reports/file/sites/2026-11-1", {"client_uuid": "8d1f7a3c-1111-4222-8333-444455556666"})
    assert again.status_code == 409 and Filing.select().count() == 1
    assert manager_client.post("/reports/file/sites/2026-11-3", {}).status_code == 404


def test_a_closed_months_tables_are_kept_an_hour_then_counted_again(office, manager_client):
    clock.set_now(datetime(2026, 12, 2, 2, 0))
    first = _section(_tables(manager_client, "month", "2026-11"), "rp-complaints")
    assert ">4</a>" in first
    factories.make_case(office.u1, office.reception, "complaint", created_at=at(20))  # a late registration
    assert ">4</a>" in _section(_tables(manager_client, "month", "2026-11"), "rp-complaints")  # kept
    clock.set_now(datetime(2026, 12, 2, 3, 1))
    assert ">5</a>" in _section(_tables(manager_client, "month", "2026-11"), "rp-complaints")  # counted again


def test_filing_twice_or_too_long_is_refused_next_to_the_form(office, manager_client):
    long = manager_client.post("/reports/file/complaints/2026-11", {"analysis": "很" * 4001})
    assert long.status_code == 422 and "最多" in long.get_data(as_text=True)
    assert Filing.select().count() == 0
    assert manager_client.post("/reports/file/complaints/2026-11", {"analysis": "本月投诉4起"}).status_code == 303
    again = manager_client.post("/reports/file/complaints/2026-11", {"analysis": "再报一次"})
    assert again.status_code == 409 and "该期报表已报送" in again.get_data(as_text=True)
    assert manager_client.post("/reports/file/complaints/2026-99", {}).status_code == 404
    assert manager_client.post("/reports/file/decade/2026", {}).status_code == 404
