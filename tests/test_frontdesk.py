"""The front desk end to end through the web routes: the desk, the phone log and what it
passes on, messages, visitors and parcels."""
import uuid
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.cases.models import Case
from bluebird.duties.models import Duty
from bluebird.frontdesk import clocks
from bluebird.frontdesk.models import Parcel, PhoneCall, StaffMessage, Visitor
from bluebird.timeline.models import Event
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
LOCAL_T0 = "2026-11-23T09:00"


@pytest.fixture
def desk(estate, butler, receptionist, manager, technician):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    clock.set_now(T0)
    return {"unit": unit, "building": building}


def _uuid():
    return str(uuid.uuid4())


def _call(client, **extra):
    data = {"client_uuid": _uuid(), "at": LOCAL_T0, "unit_code": "3-1502", "contact_name": "张伟",
            "contact_phone": "13912345678", "matter": "楼上装修噪音太大，中午也不停", "then": ""}
    data.update(extra)
    return client.post("/desk/calls/new", data)


def _text(response):
    return response.get_data(as_text=True)


def test_the_desk_has_the_everyday_buttons_the_greeting_and_a_live_feed(reception_client, desk):
    page = reception_client.get("/desk")
    assert page.status_code == 200
    text = _text(page)
    for label in ("来电", "来访", "报修", "投诉", "留言", "包裹", "钥匙", "交接班"):
        assert f">{label}</a>" in text, label
    assert "您好，蓝鸟花园物业服务中心" in text
    assert 'hx-trigger="every 30s"' in text
    _call(reception_client)
    feed = reception_client.get("/desk/feed", headers={"HX-Request": "true"})
    body = _text(feed)
    assert feed.status_code == 200 and "<html" not in body
    assert "张伟" in body and 'hx-swap-oob="true"' in body
    assert "HX-Request" in feed.headers["Vary"]


def test_a_call_becomes_a_complaint_case_in_one_tap(reception_client, manager_client, desk, receptionist, butler):
    promised = (T0.date() + timedelta(days=2)).isoformat()
    response = _call(reception_client, then="complaint", target="construction", promised_on=promised)
    assert response.status_code == 303
    call = PhoneCall.get()
    assert response.headers["Location"].endswith(f"/desk/calls/{call.id}")
    assert call.kind == "complaint" and call.case_id is not None
    case = Case.get_by_id(call.case_id)
    assert (case.kind, case.source, case.unit_id, case.contact_name, case.contact_phone) == (
        "complaint", "phone", desk["unit"].id, "张伟", "13912345678")
    assert case.description == "楼上装修噪音太大，中午也不停" and case.target == "construction"
    assert case.registrar_id == receptionist.id
    assert case.promised_on == T0.date() + timedelta(days=2)  # the date the owner was told
    # The complaint's clocks run as for any complaint: resolution and the 3-day call-back.
    kinds = {d.kind for d in Duty.select().where(Duty.subject == case.subject)}
    assert kinds == {"complaint_resolve", "complaint_callback"}
    # The case links back to the phone log, and the call to the case.
    case_page = _text(manager_client.get(f"/cases/{case.id}"))
    assert call.number in case_page and "来自前台电话记录" in case_page
    call_page = _text(reception_client.get(f"/desk/calls/{call.id}"))
    assert f"/cases/{case.id}" in call_page and case.number in call_page
    assert "转为投诉" in call_page


def test_a_logged_call_is_passed_on_later_as_a_repair_once(reception_client, desk):
    _call(reception_client, matter="3号楼电梯按钮失灵")
    call = PhoneCall.get()
    assert call.kind == "note" and call.case_id is None
    response = reception_client.post(f"/desk/calls/{call.id}/pass", {"then": "repair", "trade": "electric"})
    assert response.status_code == 303
    case = Case.get()
    assert case.kind == "repair" and case.trade == "electric" and case.scope == "household"
    assert Duty.select().where((Duty.subject == case.subject) & (Duty.kind == "repair_arrive")).exists()
    again = reception_client.post(f"/desk/calls/{call.id}/pass", {"then": "inquiry"})
    assert again.status_code == 409 and "已转交" in _text(again)
    assert Case.select().count() == 1


def test_an_inquiry_without_a_unit_keeps_the_public_place(reception_client, desk):
    _call(reception_client, unit_code="", place="北门", then="inquiry", matter="北门几点关门？")
    case = Case.get()
    assert case.kind == "inquiry" and case.unit_id is None and case.place == "北门"
    assert Duty.get(Duty.subject == case.subject).kind == "inquiry_answer"


def test_a_message_for_an_absent_colleague_lands_on_his_agenda(reception_client, butler_client, desk, butler):
    response = _call(reception_client, then="message", recipient=str(butler.id), matter="请李管家回电，关于车位")
    assert response.status_code == 303
    call = PhoneCall.get()
    message = StaffMessage.get()
    assert call.kind == "message" and message.call_id == call.id and message.recipient_id == butler.id
    duty = Duty.get(Duty.subject == message.subject)
    # Answered the same working day: 18:00 in Shanghai is 10:00 UTC.
    assert duty.kind == clocks.ANSWER_MESSAGE and duty.assignee_id == butler.id
    assert duty.due_at == datetime(2026, 11, 23, 10, 0)
    agenda = _text(butler_client.get("/agenda"))
    assert "回复前台留言" in agenda and f"/desk/messages/{message.id}" in agenda
    assert butler_client.get("/desk").status_code == 403  # the desk is the desk's
    assert "请李管家回电" in _text(butler_client.get(f"/desk/messages/{message.id}"))
    clock.advance(hours=2)
    assert butler_client.post(f"/desk/messages/{message.id}/answer", {"text": "已回电"}).status_code == 303
    duty = Duty.get_by_id(duty.id)
    assert duty.done_by_id == butler.id and duty.late_minutes == 0
    assert StaffMessage.get_by_id(message.id).answer == "已回电"
    twice = butler_client.post(f"/desk/messages/{message.id}/answer", {"text": "again"})
    assert twice.status_code == 409 and "已经回复" in _text(twice)


def test_a_message_taken_after_hours_is_due_the_next_working_day(reception_client, desk, technician):
    clock.set_now(datetime(2026, 11, 23, 11, 30))  # 19:30 in Shanghai
    response = reception_client.post("/desk/messages/new", {
        "client_uuid": _uuid(), "at": "2026-11-23T19:30", "contact_name": "赵女士", "contact_phone": "",
        "unit_code": "", "recipient": str(technician.id), "matter": "明早来修门锁"})
    assert response.status_code == 303
    message = StaffMessage.get()
    assert Duty.get(Duty.subject == message.subject).due_at == datetime(2026, 11, 24, 10, 0)


def test_a_message_needs_a_colleague_and_saves_nothing_without_one(reception_client, desk):
    response = _call(reception_client, then="message", recipient="0")
    assert response.status_code == 422 and "请选择留言给哪位同事" in _text(response)
    assert PhoneCall.select().count() == 0 and StaffMessage.select().count() == 0


def test_the_phone_log_is_never_deleted(reception_client, desk, receptionist):
    _call(reception_client)
    call = PhoneCall.get()
    for response in (reception_client.post(f"/desk/calls/{call.id}/delete"),
                     reception_client.http.delete(f"/desk/calls/{call.id}",
                                                  headers={"X-CSRFToken": reception_client.token()}),
                     reception_client.post(f"/desk/calls/{call.id}")):
        assert response.status_code == 405
        assert "电话记录永久保存" in _text(response) and response.headers["Allow"] == "GET"
    assert PhoneCall.select().count() == 1
    with pytest.raises(PermissionError):
        call.delete_instance()


def test_a_correction_is_a_new_entry_that_points_to_the_old_one(reception_client, desk):
    _call(reception_client, contact_name="张为")
    old = PhoneCall.get()
    form = _text(reception_client.get(f"/desk/calls/{old.id}/correct"))
    assert 'value="张为"' in form
    response = reception_client.post(f"/desk/calls/{old.id}/correct", {
        "client_uuid": _uuid(), "at": LOCAL_T0, "unit_code": "3-1502", "contact_name": "张伟",
        "contact_phone": "13912345678", "matter": "楼上装修噪音太大，中午也不停", "then": ""})
    assert response.status_code == 303
    new = PhoneCall.select().order_by(PhoneCall.id.desc()).get()
    assert new.corrects_id == old.id and new.caller == "张伟"
    assert PhoneCall.get_by_id(old.id).caller == "张为"  # the old line stays as it was
    page = _text(reception_client.get(f"/desk/calls/{old.id}"))
    assert f"已由 {new.number} 更正" in page
    twice = reception_client.post(f"/desk/calls/{old.id}/correct", {
        "client_uuid": _uuid(), "at": LOCAL_T0, "contact_name": "x", "matter": "y"})
    assert twice.status_code == 409 and "已更正过" in _text(twice)
    passed = reception_client.post(f"/desk/calls/{old.id}/pass", {"then": "repair"})
    assert passed.status_code == 409 and Case.select().count() == 0
    assert [e.verb for e in Event.for_subject(old.subject)] == ["corrected", "logged"]


def test_a_replayed_call_saves_one_entry_and_one_case(reception_client, desk):
    key = _uuid()
    first = _call(reception_client, client_uuid=key, then="repair")
    second = _call(reception_client, client_uuid=key, then="repair")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert PhoneCall.select().count() == 1 and Case.select().count() == 1


@pytest.mark.parametrize("extra, words", [
    ({"unit_code": "9-999"}, "本项目没有 9-999 这个房号"),
    ({"at": "2026-11-23T11:00"}, "时间还没到"),
    ({"contact_name": ""}, "必填"),
])
def test_a_bad_call_is_refused_with_a_message_and_nothing_saved(reception_client, desk, extra, words):
    response = _call(reception_client, then="repair", **extra)
    assert response.status_code == 422
    assert words in _text(response)
    assert PhoneCall.select().count() == 0 and Case.select().count() == 0


def _visitor(client, **extra):
    data = {"client_uuid": _uuid(), "phone": "13800001111", "name": "王五", "purpose": "探亲",
            "unit_code": "3-1502", "whom": "", "in_at": LOCAL_T0}
    data.update(extra)
    return client.post("/desk/visitors/new", data)


def test_a_visitor_comes_in_is_listed_inside_and_goes_out(reception_client, desk):
    assert _visitor(reception_client).status_code == 303
    visitor = Visitor.get()
    page = _text(reception_client.get("/desk/visitors"))
    assert "王五" in page and "138****1111" in page and "13800001111" not in page  # masked in lists
    assert "仍在访" in page and f"/desk/visitors/{visitor.id}/out" in page
    assert "1</span>仍在访" in _text(reception_client.get("/desk")).replace("\n", "")
    clock.advance(minutes=40)
    assert reception_client.post(f"/desk/visitors/{visitor.id}/out").status_code == 303
    assert Visitor.get_by_id(visitor.id).out_at == T0 + timedelta(minutes=40)
    again = reception_client.post(f"/desk/visitors/{visitor.id}/out")
    assert again.status_code == 409 and "已于" in _text(again)


def test_a_visitor_cannot_go_out_before_he_came_in(reception_client, desk):
    _visitor(reception_client)
    visitor = Visitor.get()
    response = reception_client.post(f"/desk/visitors/{visitor.id}/out", {"out_at": "2026-11-23T08:30"})
    assert response.status_code == 422 and "离开时间不能早于进入时间" in _text(response)
    assert Visitor.get_by_id(visitor.id).out_at is None


def test_a_returning_visitor_is_recognised_by_phone(reception_client, desk, receptionist):
    factories.make_visitor(receptionist, name="快递员小刘", phone="13700002222", purpose="送件", unit=desk["unit"],
                           in_at=T0 - timedelta(days=2), out_at=T0 - timedelta(days=2) + timedelta(minutes=10))
    hint = _text(reception_client.get("/desk/visitors/recognise?phone=13700002222", headers={"HX-Request": "true"}))
    assert "回访客人" in hint and "快递员小刘" in hint and "apply=1" in hint and "<html" not in hint
    response = reception_client.get("/desk/visitors/recognise?apply=1&phone=13700002222&name=&purpose=&unit_code=&whom=",
                                    headers={"HX-Request": "true"})
    body = _text(response)
    assert response.status_code == 200 and "<html" not in body
    assert 'value="快递员小刘"' in body and 'value="送件"' in body and 'value="3-1502"' in body
    typed = _text(reception_client.get("/desk/visitors/recognise?apply=1&phone=13700002222&name=刘师傅",
                                       headers={"HX-Request": "true"}))
    assert 'value="刘师傅"' in typed  # what was typed wins
    stranger = _text(reception_client.get("/desk/visitors/recognise?phone=13600000000",
                                          headers={"HX-Request": "true"}))
    assert "回访客人" not in stranger


def _parcel(client, **extra):
    data = {"client_uuid": _uuid(), "unit_code": "3-1502", "carrier": "顺丰", "tracking_tail": "8899",
            "addressee": "张伟", "note": ""}
    data.update(extra)
    return client.post("/desk/parcels", data)


def test_a_parcel_tells_the_patch_butler_and_is_collected(reception_client, butler_client, desk, butler):
    assert _parcel(reception_client).status_code == 303
    parcel = Parcel.get()
    duty = Duty.get(Duty.subject == parcel.subject)
    assert duty.kind == clocks.TELL_PARCEL and duty.assignee_id == butler.id
    assert duty.due_at == T0 + timedelta(hours=2)
    assert f"/desk/parcels/{parcel.id}" in _text(butler_client.get("/agenda"))
    assert butler_client.post(f"/desk/parcels/{parcel.id}/told").status_code == 303
    assert Duty.get_by_id(duty.id).done_by_id == butler.id
    assert butler_client.post(f"/desk/parcels/{parcel.id}/pickup", {"picked_up_by": "张伟"}).status_code == 403
    assert reception_client.post(f"/desk/parcels/{parcel.id}/pickup", {"picked_up_by": ""}).status_code == 422
    assert reception_client.post(f"/desk/parcels/{parcel.id}/pickup", {"picked_up_by": "张伟的妻子"}).status_code == 303
    parcel = Parcel.get_by_id(parcel.id)
    assert parcel.picked_up_by == "张伟的妻子" and parcel.picked_up_at == T0
    twice = reception_client.post(f"/desk/parcels/{parcel.id}/pickup", {"picked_up_by": "张伟"})
    assert twice.status_code == 409 and "已被领取" in _text(twice)


def test_uncollected_parcels_are_listed_in_red_after_n_days(reception_client, desk, receptionist):
    old = factories.make_parcel(desk["unit"], receptionist, arrived_at=T0 - timedelta(days=4), tracking_tail="0001")
    factories.make_parcel(desk["unit"], receptionist, arrived_at=T0 - timedelta(days=1), tracking_tail="0002")
    page = _text(reception_client.get("/desk/parcels"))
    assert page.count('class="fd-overdue"') == 1 and "超期未取" in page
    assert page.index("0001") < page.index("0002")
    assert f'/desk/parcels/{old.id}' in page
    assert "1 件超期" in _text(reception_client.get("/desk"))


def test_a_parcel_for_an_unknown_unit_is_refused(reception_client, desk):
    response = _parcel(reception_client, unit_code="8-808")
    assert response.status_code == 422 and "本项目没有 8-808 这个房号" in _text(response)
    missing = _parcel(reception_client, unit_code="")
    assert missing.status_code == 422
    assert Parcel.select().count() == 0 and Duty.select().count() == 0


def test_every_desk_create_saves_once_for_a_replayed_uuid(reception_client, desk, butler):
    key = _uuid()
    for _ in range(2):
        assert _visitor(reception_client, client_uuid=key).status_code == 303
        assert _parcel(reception_client, client_uuid=key).status_code == 303
        assert reception_client.post("/desk/messages/new", {
            "client_uuid": key, "at": LOCAL_T0, "contact_name": "赵女士", "recipient": str(butler.id),
            "matter": "回电"}).status_code == 303
    assert Visitor.select().count() == Parcel.select().count() == StaffMessage.select().count() == 1
    assert Duty.select().where(Duty.kind == clocks.TELL_PARCEL).count() == 1
    assert Duty.select().where(Duty.kind == clocks.ANSWER_MESSAGE).count() == 1


def test_other_roles_cannot_log_at_the_desk(tech_client, butler_client, desk):
    assert tech_client.get("/desk/calls/new").status_code == 403
    assert butler_client.post("/desk/visitors/new", {"name": "x"}).status_code == 403
    assert tech_client.get("/desk/keys").status_code == 403


def test_the_desk_poll_after_the_session_ended_goes_to_the_login_page(client, desk):
    polled = client.get("/desk/feed", headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled.headers["HX-Redirect"].endswith("/login")
    assert client.get("/desk").status_code == 302
