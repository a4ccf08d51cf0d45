"""Cases follow the clocks the trade works by, end to end through the web routes."""
import io
import uuid
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from bluebird import clock
from bluebird.cases import clocks
from bluebird.cases.models import Call, Case
from bluebird.duties.models import Duty, escalate_overdue
from bluebird.photos.models import Attachment
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai


@pytest.fixture
def site(estate, butler, technician, manager, receptionist):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    clock.set_now(T0)
    return {"unit": unit, "building": building}


def _repair(client, **extra):
    data = {"kind": "repair", "unit_code": "3-1502", "contact_name": "张伟", "contact_phone": "13912345678",
            "source": "phone", "scope": "household", "trade": "water", "work_type": "basic", "minor": "y",
            "description": "厨房水管漏水", "client_uuid": str(uuid.uuid4())}
    data.update(extra)
    return client.post("/cases/new", data)


def _the_case():
    return Case.select().order_by(Case.id.desc()).get()


def _duty(kind):
    return Duty.get(Duty.kind == kind)


def test_a_registered_repair_starts_every_clock_of_the_table(reception_client, site, receptionist, butler):
    response = _repair(reception_client)
    assert response.status_code == 303
    case = _the_case()
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    notify = _duty(clocks.NOTIFY_OWNER)
    assert notify.assignee_id == receptionist.id and notify.due_at == T0 + timedelta(hours=24)
    arrive = _duty(clocks.ARRIVE)
    assert arrive.role == "technician" and arrive.assignee_id is None and arrive.due_at == T0 + timedelta(minutes=20)
    finish = _duty(clocks.FINISH)
    assert finish.due_at == datetime(2026, 11, 23, 15, 59)  # 23:59 Shanghai, the same day
    callback = _duty(clocks.CALLBACK_24H)
    assert callback.assignee_id == butler.id and callback.due_at == T0 + timedelta(days=1)
    assert case.number == f"BX{case.id:06d}"


def test_an_emergency_repair_must_be_told_at_once_and_is_not_minor(reception_client, site):
    _repair(reception_client, emergency="y")
    assert _duty(clocks.NOTIFY_OWNER).due_at == T0
    assert not Duty.select().where(Duty.kind == clocks.FINISH).exists()


def test_the_repair_flow_from_dispatch_to_a_satisfied_owner(reception_client, tech_client, butler_client, site,
                                                            technician, butler):
    _repair(reception_client)
    case = _the_case()
    assert reception_client.post(f"/cases/{case.id}/dispatch", {"assignee": technician.id}).status_code == 303
    assert _duty(clocks.ARRIVE).assignee_id == technician.id
    assert "厨房水管漏水" in tech_client.get("/agenda").get_data(as_text=True)
    reception_client.post(f"/cases/{case.id}/calls", {"kind": "notify_owner", "reached": "yes", "note": "告知孙师傅上门"})
    assert _duty(clocks.NOTIFY_OWNER).done_at is not None

    clock.advance(minutes=25)
    assert tech_client.post(f"/cases/{case.id}/arrive").status_code == 303
    arrive = _duty(clocks.ARRIVE)
    assert arrive.done_by_id == technician.id and arrive.late_minutes == 5
    clock.advance(minutes=40)
    done = tech_client.post(f"/cases/{case.id}/finish", {"work_done": "更换角阀", "materials": "角阀 1 个"})
    assert done.status_code == 303
    case = Case.get_by_id(case.id)
    assert case.status == "done" and case.arrived_at == T0 + timedelta(minutes=25)
    assert _duty(clocks.FINISH).done_at is not None
    satisfaction = _duty(clocks.SATISFACTION)
    assert satisfaction.assignee_id == butler.id and satisfaction.due_at == clock.now() + timedelta(hours=24)

    clock.advance(hours=20)
    butler_client.post(f"/cases/{case.id}/calls", {"kind": "callback_24h", "reached": "yes"})
    assert _duty(clocks.CALLBACK_24H).late_minutes == 0
    assert butler_client.post(f"/cases/{case.id}/calls",
                              {"kind": "satisfaction", "reached": "yes", "satisfaction": "satisfied", "note": "很满意"}).status_code == 303
    case = Case.get_by_id(case.id)
    assert case.status == "closed" and case.satisfaction == "satisfied"
    assert Duty.select().where((Duty.subject == case.subject) & Duty.done_at.is_null()).count() == 0
    page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    for words in ("已登记", "派工给", "维修工已到场", "维修完成：更换角阀", "满意"):
        assert words in page, words


def test_an_unsatisfied_owner_reopens_the_repair(reception_client, tech_client, butler_client, site, technician):
    _repair(reception_client, assignee=str(technician.id))
    case = _the_case()
    assert case.status == "dispatched"
    tech_client.post(f"/cases/{case.id}/finish", {"work_done": "疏通"})
    butler_client.post(f"/cases/{case.id}/calls", {"kind": "satisfaction", "reached": "yes", "satisfaction": "unsatisfied"})
    case = Case.get_by_id(case.id)
    assert case.status == "dispatched" and case.reopened == 1 and case.done_at is None
    arrivals = list(Duty.select().where(Duty.kind == clocks.ARRIVE).order_by(Duty.id))
    assert len(arrivals) == 2 and arrivals[0].done_at is not None and arrivals[1].done_at is None
    assert arrivals[1].assignee_id == technician.id


def test_an_unanswered_satisfaction_call_keeps_the_duty_open(reception_client, tech_client, butler_client, site, technician):
    _repair(reception_client, assignee=str(technician.id))
    case = _the_case()
    tech_client.post(f"/cases/{case.id}/finish", {"work_done": "疏通"})
    assert butler_client.post(f"/cases/{case.id}/calls", {"kind": "satisfaction", "reached": "no"}).status_code == 303
    assert _duty(clocks.SATISFACTION).done_at is None
    assert Case.get_by_id(case.id).status == "done"
    assert Call.select().count() == 1


def test_complaint_call_back_overdue_after_three_days_escalates_then_closes_late(
        reception_client, butler_client, manager_client, site, butler, manager):
    """A receptionist logs a complaint call; three days later with no call-back the duty is
    overdue and escalated; the butler logs the call-back and the duty closes with its lateness."""
    response = reception_client.post("/cases/new", {
        "kind": "complaint", "unit_code": "3-1502", "source": "phone", "target": "construction",
        "target_name": "工程部", "cause": "外墙渗水三次未修好", "promised_on": "2026-11-25",
        "description": "业主投诉外墙渗水", "client_uuid": str(uuid.uuid4())})
    assert response.status_code == 303
    case = _the_case()
    resolve = _duty(clocks.RESOLVE)
    assert resolve.role == "manager" and resolve.due_at == datetime(2026, 11, 25, 15, 59)
    callback = _duty(clocks.COMPLAINT_CALLBACK)
    assert callback.assignee_id == butler.id and callback.due_at == T0 + timedelta(days=3)

    clock.advance(days=3, hours=2)
    # The call-back is late, and so is the resolution promised for the 25th.
    assert sorted(escalate_overdue(clock.now())) == sorted([callback.id, resolve.id])
    assert escalate_overdue(clock.now()) == []  # once
    agenda = manager_client.get("/agenda").get_data(as_text=True)
    assert "投诉回访" in agenda and "已超时" in agenda
    assert butler_client.post(f"/cases/{case.id}/calls",
                              {"kind": "complaint_callback", "reached": "yes", "note": "已告知处理进度"}).status_code == 303
    callback = Duty.get_by_id(callback.id)
    assert callback.done_by_id == butler.id and callback.late_minutes == 120 and callback.escalated_at is not None
    assert Case.get_by_id(case.id).status == "new"  # still to be resolved by the head

    manager_client.post(f"/cases/{case.id}/resolve", {"text": "工程部已修补外墙"})
    assert _duty(clocks.RESOLVE).done_by_id == manager.id
    butler_client.post(f"/cases/{case.id}/calls", {"kind": "complaint_callback", "reached": "yes", "satisfaction": "basic"})
    assert Case.get_by_id(case.id).status == "closed"


def test_a_complaint_is_routed_by_its_target(reception_client, site, estate, manager):
    engineer = factories.make_user(estate, role="manager", username="eng", name="工程经理")
    estate.set_setting("complaint_routing", {"construction": engineer.id})
    reception_client.post("/cases/new", {
        "kind": "complaint", "unit_code": "3-1502", "source": "walk_in", "target": "construction",
        "promised_on": "2026-11-24", "description": "施工噪音"})
    assert _duty(clocks.RESOLVE).assignee_id == engineer.id


def test_inquiry_answered_on_the_spot_closes_and_unanswered_waits_48h(reception_client, site, receptionist):
    reception_client.post("/cases/new", {"kind": "inquiry", "unit_code": "3-1502", "source": "phone",
                                         "description": "物业费怎么交", "answer": "可在前台或线上缴纳"})
    assert _the_case().status == "closed" and not Duty.select().exists()
    reception_client.post("/cases/new", {"kind": "inquiry", "place": "北门", "source": "walk_in",
                                         "description": "快递柜何时安装"})
    case = _the_case()
    answer = _duty(clocks.ANSWER)
    assert answer.assignee_id == receptionist.id and answer.due_at == T0 + timedelta(hours=48)
    reception_client.post(f"/cases/{case.id}/answer", {"text": "下周安装"})
    assert Duty.get_by_id(answer.id).done_at is not None and Case.get_by_id(case.id).status == "closed"


def test_an_incident_tells_the_supervisor_at_once(butler_client, manager_client, site):
    butler_client.post("/cases/new", {"kind": "incident", "place": "地下车库B1", "source": "patrol",
                                      "description": "车库进水"})
    duty = _duty(clocks.INCIDENT_NOTIFY)
    assert duty.role == "manager" and duty.due_at == T0
    assert "告知主管及相关部门" in manager_client.get("/agenda").get_data(as_text=True)
    case = _the_case()
    manager_client.post(f"/cases/{case.id}/answer", {"text": "已通知工程部抽水"})
    assert Duty.get_by_id(duty.id).done_at is not None


def test_an_info_slip_waits_for_its_recipient(reception_client, site, butler):
    reception_client.post("/cases/new", {"kind": "info", "place": "客服中心", "source": "owner",
                                         "assignee": str(butler.id), "description": "业主要求更换门禁卡"})
    duty = _duty(clocks.INFO_ANSWER)
    assert duty.assignee_id == butler.id and duty.due_at == T0 + timedelta(hours=24)


def test_an_estate_can_change_a_clock(reception_client, site, estate):
    estate.set_setting("clocks", {clocks.ARRIVE: 30})
    _repair(reception_client)
    assert _duty(clocks.ARRIVE).due_at == T0 + timedelta(minutes=30)


@pytest.mark.parametrize("bad, field_text", [
    ({"unit_code": "9-9999"}, "没有 9-9999 这个房号"),
    ({"description": ""}, "该字段是必填字段"),
    ({"unit_code": "", "place": ""}, "请填写房号或公共区域"),
])
def test_bad_repairs_are_refused_and_nothing_is_saved(reception_client, site, bad, field_text):
    response = _repair(reception_client, **bad)
    assert response.status_code == 422
    assert field_text in response.get_data(as_text=True)
    assert Case.select().count() == 0 and Duty.select().count() == 0


def test_a_promised_date_in_the_past_is_refused(reception_client, site):
    response = reception_client.post("/cases/new", {"kind": "complaint", "unit_code": "3-1502", "source": "phone",
                                                    "target": "other", "promised_on": "2026-11-01", "description": "x"})
    assert response.status_code == 422
    assert "承诺日期不能早于今天" in response.get_data(as_text=True)
    assert Case.select().count() == 0


def test_a_replayed_submission_registers_one_case(reception_client, site):
    key = str(uuid.uuid4())
    first = _repair(reception_client, client_uuid=key)
    second = _repair(reception_client, client_uuid=key)
    assert first.headers["Location"] == second.headers["Location"]
    assert Case.select().count() == 1
    assert Duty.select().where(Duty.kind == clocks.ARRIVE).count() == 1


def test_a_call_back_on_a_closed_case_is_refused(reception_client, butler_client, site):
    reception_client.post("/cases/new", {"kind": "inquiry", "place": "北门", "source": "walk_in",
                                         "description": "问路", "answer": "已指路"})
    case = _the_case()
    response = butler_client.post(f"/cases/{case.id}/calls", {"kind": "callback_24h", "reached": "yes"})
    assert response.status_code in (409, 422)
    assert Call.select().count() == 0


def test_a_technician_cannot_act_on_someone_elses_repair(reception_client, tech_client, site, estate):
    other_tech = factories.make_user(estate, role="technician", username="tech2")
    _repair(reception_client, assignee=str(other_tech.id))
    case = _the_case()
    response = tech_client.post(f"/cases/{case.id}/arrive")
    assert response.status_code == 403
    assert "这个报修没有派给你" in response.get_data(as_text=True)
    assert tech_client.post(f"/cases/{case.id}/finish", {"work_done": "x"}).status_code == 403
    assert Case.get_by_id(case.id).status == "dispatched"


def test_dispatch_to_a_non_technician_is_refused(reception_client, site, butler):
    _repair(reception_client)
    case = _the_case()
    response = reception_client.post(f"/cases/{case.id}/dispatch", {"assignee": butler.id})
    assert response.status_code == 422
    assert Case.get_by_id(case.id).status == "new"


def _jpeg(width=2000, height=1500):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_a_repair_registered_with_a_photo_keeps_a_watermarked_copy(reception_client, site):
    data = {"kind": "repair", "unit_code": "3-1502", "source": "phone", "scope": "household", "trade": "water",
            "work_type": "basic", "description": "漏水", "photos": [(io.BytesIO(_jpeg()), "leak.jpg")]}
    response = reception_client.post("/cases/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    case = _the_case()
    photo = Attachment.get(Attachment.subject == case.subject)
    assert photo.width == 1600 and photo.height == 1200
    page = reception_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/photos/{photo.token}/thumb.jpg" in page
    served = reception_client.get(f"/photos/{photo.token}/display.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "private" in served.headers["Cache-Control"]
    import hashlib

    assert hashlib.sha256(served.get_data()).hexdigest() == photo.sha256
    served.close()


def test_a_bad_photo_refuses_the_whole_case(reception_client, site):
    data = {"kind": "repair", "unit_code": "3-1502", "source": "phone", "scope": "household", "trade": "water",
            "work_type": "basic", "description": "漏水", "photos": [(io.BytesIO(b"not a photo at all"), "x.jpg")]}
    response = reception_client.post("/cases/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "不是照片" in response.get_data(as_text=True)
    assert Case.select().count() == 0 and Attachment.select().count() == 0


def test_case_list_filters_and_pages_by_keyset(reception_client, butler_client, site, estate, receptionist):
    other_building = factories.make_building(estate, "8")
    other_unit = factories.make_unit(other_building, "101")
    for i in range(35):
        factories.make_case(site["unit"], receptionist, description=f"我片区第{i}单")
    factories.make_case(other_unit, receptionist, description="别的片区", kind="complaint")
    first = butler_client.get("/cases/").get_data(as_text=True)
    assert "别的片区" not in first  # the butler starts on his own patch
    assert first.count('class="case-row"') == 30 and "before=" in first
    before = first.split("before=")[1].split("&")[0].split('"')[0]
    more = butler_client.get(f"/cases/?before={before}&mine=1&status=open", headers={"HX-Request": "true"})
    rest = more.get_data(as_text=True)
    assert rest.count('class="case-row"') == 5 and "<html" not in rest and "before=" not in rest
    everyone = butler_client.get("/cases/?mine=0&kind=complaint").get_data(as_text=True)
    assert "别的片区" in everyone and "我片区第" not in everyone


def test_overdue_filter_shows_cases_with_late_clocks(reception_client, site):
    _repair(reception_client, description="要超时的")
    _repair(reception_client, description="不超时的", emergency="")
    clock.advance(minutes=30)  # the 20-minute arrivals are late for both…
    Duty.update(done_at=clock.now()).where(Duty.title.contains("不超时的")).execute()
    text = reception_client.get("/cases/?overdue=1&mine=0").get_data(as_text=True)
    assert "要超时的" in text and "不超时的" not in text


def test_end_of_local_day_uses_the_estate_time_zone():
    assert clocks.end_of_local_day(datetime(2026, 11, 23, 17, 0), "Asia/Shanghai") == datetime(2026, 11, 24, 15, 59)
    assert clocks.end_of_local_day(T0, "Asia/Shanghai", date(2026, 11, 25)) == datetime(2026, 11, 25, 15, 59)


def test_the_agenda_links_each_duty_to_its_case(reception_client, butler_client, site):
    _repair(reception_client)
    case = _the_case()
    agenda = butler_client.get("/agenda").get_data(as_text=True)
    assert f'href="/cases/{case.id}#log-call"' in agenda and "24小时回访" in agenda


def test_a_step_taken_from_a_stale_read_never_writes_over_another_change(site, technician, manager, receptionist):
    """The technician's page was loaded, then the supervisor cancelled the duplicate; the
    technician's "done" must be refused (409), not bring the cancelled case back to life.
    The check is the write's WHERE (status and last change as read), not a read before it."""
    from bluebird.cases import service

    case = factories.make_case(site["unit"], receptionist, status="on_site", assignee=technician,
                               dispatched_at=clock.now(), arrived_at=clock.now())
    seen_by_technician = Case.get_by_id(case.id)
    service.cancel(Case.get_by_id(case.id), manager, "重复登记")
    with pytest.raises(service.CaseError) as refused:
        service.finish(seen_by_technician, technician, "更换水管接头")
    assert refused.value.status == 409
    after = Case.get_by_id(case.id)
    assert after.status == "cancelled" and after.work_done == ""
    # Two supervisors dispatching the same new repair from pages loaded at once: one wins.
    fresh = factories.make_case(site["unit"], receptionist)
    first, second = Case.get_by_id(fresh.id), Case.get_by_id(fresh.id)
    service.dispatch(first, manager, assignee_id=technician.id)
    with pytest.raises(service.CaseError):
        service.dispatch(second, manager, department="外包")
    assert Case.get_by_id(fresh.id).assignee_id == technician.id
