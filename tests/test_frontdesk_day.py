"""The desk's day: the shift hand-over, the routine duties, the day's log, search, Excel, settings."""
import io
import json
import uuid
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from bluebird import clock
from bluebird.duties.models import Duty
from bluebird.duties.scheduler import tick
from bluebird.estate.models import Estate
from bluebird.frontdesk import clocks, routine
from bluebird.frontdesk.models import Handover
from tests import factories
from tests.fixtures.app import Client

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai


def _uuid():
    return str(uuid.uuid4())


def _text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def day(estate, butler, receptionist, manager, technician):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    clock.set_now(T0)
    return {"unit": unit}


@pytest.fixture
def relief(app, estate):
    """The incoming receptionist, on her own login."""
    factories.make_user(estate, role="reception", username="reception2", name="赵前台")
    c = Client(app)
    assert c.login("reception2").status_code == 303
    return c


def _open_items(day, receptionist, technician, butler, manager):
    """Open and settled items of every kind: the hand-over must list exactly the open ones."""
    unit = day["unit"]
    open_case = factories.make_case(unit, receptionist, description="门禁坏了")
    factories.make_case(unit, receptionist, description="已派工的报修", status="dispatched", assignee=technician)
    factories.make_case(unit, butler, description="管家巡查发现")  # not registered at the desk
    open_msg = factories.make_message(receptionist, butler, caller="钱先生")
    factories.make_message(receptionist, butler, caller="孙女士", answered_at=T0)
    inside = factories.make_visitor(receptionist, name="王五")
    factories.make_visitor(receptionist, name="赵六", out_at=T0)
    key_out = factories.make_key(unit.estate, receptionist, name="配电房钥匙", hook="B-1", kind="public")
    factories.make_key(unit.estate, receptionist, name="天台钥匙", hook="B-2", kind="public")
    from bluebird.frontdesk.models import KeyLoan

    KeyLoan.create(estate=unit.estate_id, key=key_out, borrower=technician.name, borrower_user=technician,
                   purpose="检修", out_at=T0, due_at=T0 + timedelta(hours=2), lent_by=receptionist)
    waiting = factories.make_parcel(unit, receptionist, tracking_tail="7777")
    factories.make_parcel(unit, receptionist, tracking_tail="8888", picked_up_at=T0, picked_up_by="张伟")
    return {"cases": [open_case.id], "messages": [open_msg.id], "visitors": [inside.id], "keys": [key_out.id],
            "parcels": [waiting.id]}


def test_a_hand_over_lists_exactly_the_open_items_and_the_next_shift_accepts(
        reception_client, relief, day, receptionist, technician, butler, manager):
    expected = _open_items(day, receptionist, technician, butler, manager)
    page = _text(reception_client.get("/desk/handover"))
    assert "门禁坏了" in page and "已派工的报修" not in page and "管家巡查发现" not in page
    clock.advance(hours=8)
    response = reception_client.post("/desk/handover", {"client_uuid": _uuid(), "note": "对讲机2台正常，打印机缺纸"})
    assert response.status_code == 303
    handover = Handover.get()
    listed = {section: [row["id"] for row in rows] for section, rows in handover.open_items.items()}
    assert listed == expected
    assert handover.outgoing_id == receptionist.id and handover.accepted_at is None
    assert handover.count == 5

    # Not relieved until accepted: the desk says so, to both of them.
    assert "还没有人接班" in _text(reception_client.get("/desk"))
    assert "尚未有人接班" in _text(relief.get("/desk"))
    duty = Duty.get(Duty.subject == handover.subject)
    assert duty.kind == clocks.ACCEPT_HANDOVER and duty.role == "reception"

    own = reception_client.post(f"/desk/handovers/{handover.id}/accept", {"note": ""})
    assert own.status_code == 403 and "不能自己接自己的班" in _text(own)
    assert Handover.get_by_id(handover.id).accepted_at is None

    clock.advance(minutes=5)
    assert relief.post(f"/desk/handovers/{handover.id}/accept", {"note": "已清点"}).status_code == 303
    handover = Handover.get_by_id(handover.id)
    assert handover.incoming.username == "reception2" and handover.accepted_at == clock.now()
    assert Duty.get_by_id(duty.id).done_at == clock.now()
    shown = _text(relief.get(f"/desk/handovers/{handover.id}"))
    assert "对讲机2台正常" in shown and "赵前台" in shown and "已接班" in shown
    assert "尚未有人接班" not in _text(relief.get("/desk"))
    twice = relief.post(f"/desk/handovers/{handover.id}/accept", {"note": ""})
    assert twice.status_code == 409 and "已由 赵前台" in _text(twice)


def test_the_next_shift_accepts_before_handing_over_itself(reception_client, relief, day):
    assert reception_client.post("/desk/handover", {"client_uuid": _uuid(), "note": ""}).status_code == 303
    response = relief.post("/desk/handover", {"client_uuid": _uuid(), "note": ""})
    assert response.status_code == 409 and "请先接班" in _text(response)
    # The outgoing receptionist tapping again lands on her own waiting hand-over.
    again = reception_client.post("/desk/handover", {"client_uuid": _uuid(), "note": ""})
    assert again.status_code == 303 and Handover.select().count() == 1


def test_the_desk_routine_is_generated_once_a_day_from_tick(estate, receptionist):
    clock.set_now(datetime(2026, 11, 23, 0, 30))  # 08:30 in Shanghai
    tick(clock.now())
    tick(clock.now() + timedelta(minutes=1))
    duties = list(Duty.select().where(Duty.kind.in_([clocks.SORT, clocks.POST])).order_by(Duty.due_at))
    assert [(d.kind, d.due_at, d.role) for d in duties] == [
        (clocks.SORT, datetime(2026, 11, 23, 3, 0), "reception"),
        (clocks.SORT, datetime(2026, 11, 23, 6, 30), "reception"),
        (clocks.POST, datetime(2026, 11, 23, 9, 0), "reception"),
    ]
    assert routine.generate(clock.now()) == 0
    # An estate sets its own times: the next day follows them.
    estate = Estate.get_by_id(estate.id)
    estate.set_setting("desk_routine", {"sort_am": "10:30", "sort_pm": "15:00", "post": "16:30", "day_end": "17:30"})
    assert routine.generate(datetime(2026, 11, 24, 0, 30)) == 3
    next_day = [d.due_at for d in Duty.select().where(Duty.due_date == datetime(2026, 11, 24).date())
                .where(Duty.kind.in_([clocks.SORT, clocks.POST])).order_by(Duty.due_at)]
    assert next_day == [datetime(2026, 11, 24, 2, 30), datetime(2026, 11, 24, 7, 0), datetime(2026, 11, 24, 8, 30)]


def test_an_estate_without_a_desk_gets_no_desk_routine(estate, butler):
    assert routine.generate(T0) == 0


def test_sorting_and_posting_close_the_routine_duties_due(reception_client, day, estate, receptionist):
    clock.set_now(datetime(2026, 11, 23, 2, 30))  # 10:30: the 11:00 sort is due now
    routine.generate(clock.now())
    page = _text(reception_client.get("/desk/open"))
    assert "已整理并对接" in page
    assert reception_client.post("/desk/open/sorted").status_code == 303
    done = {d.subject: d for d in Duty.select().where(Duty.done_at.is_null(False))}
    assert list(done) == [f"desk:{estate.id}:sort_am"] and done[f"desk:{estate.id}:sort_am"].done_by_id == receptionist.id
    clock.set_now(datetime(2026, 11, 23, 8, 50))  # 16:50: the 17:00 post
    log = _text(reception_client.get("/desk/log"))
    assert "已公布" in log
    assert reception_client.post("/desk/log/posted").status_code == 303
    post = Duty.get(Duty.kind == clocks.POST)
    assert post.done_at == clock.now() and post.late_minutes == 0
    assert Duty.get(Duty.subject == f"desk:{estate.id}:sort_pm").done_at is None  # 14:30 was missed, still open


def test_the_days_log_prints_and_exports_with_phones_masked(reception_client, day, receptionist, butler):
    factories.make_call(receptionist, caller="张伟", phone="13912345678", unit=day["unit"], matter="咨询停车")
    factories.make_visitor(receptionist, name="王五", phone="13800001111")
    factories.make_message(receptionist, butler, caller="钱先生", phone="13500002222")
    factories.make_parcel(day["unit"], receptionist, tracking_tail="4321")
    factories.make_call(receptionist, caller="昨天的人", at=T0 - timedelta(days=1))
    page = _text(reception_client.get("/desk/log?day=2026-11-23"))
    assert "咨询停车" in page and "139****5678" in page and "13912345678" not in page
    assert "王五" in page and "钱先生" in page and "4321" in page and "昨天的人" not in page
    assert "fd-print-title" in page and "/desk/log.xlsx?day=2026-11-23" in page

    export = reception_client.get("/desk/log.xlsx?day=2026-11-23")
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "desk-log-2026-11-23.xlsx" in export.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(export.data))
    assert book.sheetnames == ["电话记录", "来访登记", "留言", "包裹", "钥匙借用", "交接班记录"]
    calls = [[c.value for c in row] for row in book["电话记录"].iter_rows(min_row=3)]
    assert calls == [["09:00", "张伟", "139****5678", "3-1502", "咨询停车", "仅记录", receptionist.name, None]]
    assert book["来访登记"]["C3"].value == "王五" and book["来访登记"]["D3"].value == "138****1111"


def test_search_across_the_logs_by_tail_unit_name_and_day(reception_client, day, receptionist, butler):
    factories.make_call(receptionist, caller="张伟", phone="13912345678", unit=day["unit"])
    factories.make_visitor(receptionist, name="张三", phone="13700005678", unit=day["unit"],
                           in_at=T0 - timedelta(days=3))
    factories.make_message(receptionist, butler, caller="李四", phone="13600001234")
    factories.make_parcel(day["unit"], receptionist, tracking_tail="5555")

    def found(query):
        return _text(reception_client.get(f"/desk/search?{query}", headers={"HX-Request": "true"}))

    by_tail = found("q=5678")
    assert "张伟" in by_tail and "张三" in by_tail and "李四" not in by_tail
    assert "139****5678" in by_tail and "13912345678" not in by_tail
    by_unit = found("q=3-1502")
    assert "张伟" in by_unit and "张三" in by_unit and "5555" in by_unit and "李四" not in by_unit
    assert "李四" in found("q=李") and "张伟" not in found("q=李")
    on_day = found("q=张&day=2026-11-23")
    assert "张伟" in on_day and "张三" not in on_day
    assert "没有找到" in found("q=不存在")
    full = reception_client.get("/desk/search?q=5678")
    assert "<html" in _text(full) and "HX-Request" in full.headers["Vary"]


def test_a_supervisor_sets_the_greeting_and_routine_times(manager_client, reception_client, day, estate):
    assert reception_client.get("/desk/settings").status_code == 403
    assert "/desk/settings" in _text(manager_client.get("/admin/settings/"))
    bad = manager_client.post("/desk/settings", {"greeting": "您好", "sort_am": "25:00", "sort_pm": "14:30",
                                                 "post": "17:00", "day_end": "18:00", "parcel_days": "3"})
    assert bad.status_code == 422
    ok = manager_client.post("/desk/settings", {"greeting": "您好，蓝鸟花园，请讲", "sort_am": "10:45", "sort_pm": "14:30",
                                                "post": "17:00", "day_end": "18:30", "parcel_days": "5"})
    assert ok.status_code == 303
    estate = Estate.get_by_id(estate.id)
    assert estate.setting("desk_routine") == {"sort_am": "10:45", "sort_pm": "14:30", "post": "17:00",
                                              "day_end": "18:30"}
    assert estate.setting("desk_parcel_days") == 5
    assert "您好，蓝鸟花园，请讲" in _text(reception_client.get("/desk/calls/new"))
    assert json.loads(estate.settings)["desk_greeting"] == "您好，蓝鸟花园，请讲"
