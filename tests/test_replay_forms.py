"""The outbox replays a step the server already did (its answer was lost): the same
submission (the same client_uuid) sent twenty times at once does the step once and answers
303 every time; a different submission against the changed state gets the honest 409; a
uuid that names another person's step is refused."""
import threading
import uuid
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.cases.models import Call
from bluebird.frontdesk.models import KeyLoan
from bluebird.timeline.models import Event
from tests import factories
from tests.fixtures.app import Client
from tests.test_assessment import issued  # noqa: F401 - a fixture: November's sheet, issued

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
CONFLICT = "这次提交的编号已被使用"
TIMES = 20


@pytest.fixture
def site(estate, butler, technician, manager, receptionist):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    clock.set_now(T0)
    return {"unit": unit}


def _at_once(app, client, url, data):
    """POST the same form TIMES times at once from threads sharing the client's session."""
    token = client.token()
    cookie = client.http.get_cookie("session")
    statuses, errors = [], []
    barrier = threading.Barrier(TIMES)

    def post():
        other = Client(app)
        other.http.set_cookie("session", cookie.value, domain=cookie.domain)
        other._token = token
        try:
            with app.app_context():
                barrier.wait()
                statuses.append(other.post(url, data).status_code)
        except Exception as exc:  # noqa: BLE001 - any error is the finding
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(TIMES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return statuses


def _events(subject, verb):
    return Event.select().where((Event.subject == subject) & (Event.verb == verb)).count()


def _text(response):
    return response.get_data(as_text=True)


def test_a_replayed_call_back_is_logged_once_and_a_later_one_is_refused(app, reception_client, site,
                                                                        receptionist):
    case = factories.make_case(site["unit"], receptionist, status="done", done_at=T0)
    form = {"client_uuid": str(uuid.uuid4()), "kind": "satisfaction", "reached": "yes",
            "satisfaction": "satisfied", "note": "满意"}
    assert _at_once(app, reception_client, f"/cases/{case.id}/calls", form) == [303] * TIMES
    assert Call.select().where(Call.case == case.id).count() == 1
    assert _events(case.subject, "call") == 1 and _events(case.subject, "closed") == 1
    # A second, different call against the closed case: the honest 409.
    again = reception_client.post(f"/cases/{case.id}/calls", dict(form, client_uuid=str(uuid.uuid4())))
    assert again.status_code == 409 and "该工单已关闭，回访已完成。" in _text(again)
    assert Call.select().count() == 1


def test_a_replayed_note_is_added_once(app, butler_client, site, receptionist):
    case = factories.make_case(site["unit"], receptionist)
    form = {"client_uuid": str(uuid.uuid4()), "text": "业主下午在家"}
    assert _at_once(app, butler_client, f"/cases/{case.id}/comment", form) == [303] * TIMES
    assert _events(case.subject, "comment") == 1
    # The same words sent as a new note (a new uuid) are a second note, as the user meant.
    assert butler_client.post(f"/cases/{case.id}/comment", dict(form, client_uuid=str(uuid.uuid4()))
                              ).status_code == 303
    assert _events(case.subject, "comment") == 2


def test_a_replayed_arrival_is_one_step_and_a_second_report_is_refused(app, tech_client, site, receptionist,
                                                                        technician):
    case = factories.make_case(site["unit"], receptionist, status="dispatched", assignee=technician,
                               dispatched_at=T0)
    form = {"client_uuid": str(uuid.uuid4())}
    assert _at_once(app, tech_client, f"/cases/{case.id}/arrive", form) == [303] * TIMES
    assert _events(case.subject, "arrived") == 1
    again = tech_client.post(f"/cases/{case.id}/arrive", {"client_uuid": str(uuid.uuid4())})
    assert again.status_code == 409 and "只有已派工的报修才能报到场。" in _text(again)


def test_a_replayed_key_return_is_answered_as_done(app, reception_client, site, receptionist):
    key = factories.make_key(site["unit"].estate_id, receptionist)
    lent = reception_client.post(f"/desk/keys/{key.id}/lend", {
        "client_uuid": str(uuid.uuid4()), "borrower_user": "0", "borrower": "李四", "purpose": "空置房巡查",
        "due_at": (T0 + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M")})
    assert lent.status_code == 303
    form = {"client_uuid": str(uuid.uuid4()), "note": ""}
    assert _at_once(app, reception_client, f"/desk/keys/{key.id}/return", form) == [303] * TIMES
    assert _events(key.subject, "returned") == 1 and KeyLoan.get().returned_at is not None
    again = reception_client.post(f"/desk/keys/{key.id}/return", {"client_uuid": str(uuid.uuid4()), "note": ""})
    assert again.status_code == 409 and "这把钥匙不在借出状态，不能登记归还。" in _text(again)


def test_a_replayed_visitor_out_is_answered_as_done(app, reception_client, site, receptionist):
    visitor = factories.make_visitor(receptionist, unit=site["unit"])
    form = {"client_uuid": str(uuid.uuid4())}
    assert _at_once(app, reception_client, f"/desk/visitors/{visitor.id}/out", form) == [303] * TIMES
    assert _events(visitor.subject, "out") == 1
    again = reception_client.post(f"/desk/visitors/{visitor.id}/out", {"client_uuid": str(uuid.uuid4())})
    assert again.status_code == 409 and "王五 已于" in _text(again)


def test_a_replayed_parcel_pickup_is_answered_as_done(app, reception_client, site, receptionist):
    parcel = factories.make_parcel(site["unit"], receptionist)
    form = {"client_uuid": str(uuid.uuid4()), "picked_up_by": "张伟"}
    assert _at_once(app, reception_client, f"/desk/parcels/{parcel.id}/pickup", form) == [303] * TIMES
    assert _events(parcel.subject, "collected") == 1
    again = reception_client.post(f"/desk/parcels/{parcel.id}/pickup", dict(form, client_uuid=str(uuid.uuid4())))
    assert again.status_code == 409 and "这个包裹已被领取。" in _text(again)


def test_another_persons_or_things_uuid_is_refused_and_another_estates_case_is_404(
        app, butler_client, reception_client, site, receptionist, other_estate):
    case = factories.make_case(site["unit"], receptionist)
    other_case = factories.make_case(site["unit"], receptionist)
    key = str(uuid.uuid4())
    assert reception_client.post(f"/cases/{case.id}/comment", {"client_uuid": key, "text": "我的"}
                                 ).status_code == 303
    theirs = butler_client.post(f"/cases/{case.id}/comment", {"client_uuid": key, "text": "别人的"})
    assert theirs.status_code == 409 and CONFLICT in _text(theirs)
    elsewhere = reception_client.post(f"/cases/{other_case.id}/comment", {"client_uuid": key, "text": "另一单"})
    assert elsewhere.status_code == 409 and CONFLICT in _text(elsewhere)
    assert _events(case.subject, "comment") == 1 and _events(other_case.subject, "comment") == 0
    far = factories.make_case(factories.make_unit(factories.make_building(other_estate, "9"), "101"),
                              factories.make_user(other_estate, "reception"))
    assert reception_client.post(f"/cases/{far.id}/comment", {"client_uuid": str(uuid.uuid4()), "text": "x"}
                                 ).status_code == 404


def test_a_replayed_dispatch_is_one_step(app, reception_client, site, receptionist, technician):
    case = factories.make_case(site["unit"], receptionist)
    form = {"client_uuid": str(uuid.uuid4()), "assignee": str(technician.id), "department": ""}
    assert _at_once(app, reception_client, f"/cases/{case.id}/dispatch", form) == [303] * TIMES
    assert _events(case.subject, "dispatched") == 1


def test_a_replayed_answer_to_a_message_is_answered_as_done(app, butler_client, site, receptionist, butler):
    message = factories.make_message(receptionist, butler)
    form = {"client_uuid": str(uuid.uuid4()), "text": "已回电"}
    assert _at_once(app, butler_client, f"/desk/messages/{message.id}/answer", form) == [303] * TIMES
    assert _events(message.subject, "answered") == 1
    again = butler_client.post(f"/desk/messages/{message.id}/answer", dict(form, client_uuid=str(uuid.uuid4())))
    assert again.status_code == 409 and "这条留言已经回复过了。" in _text(again)


def test_a_replayed_hand_over_acceptance_is_answered_as_done(app, site, receptionist):
    handover = factories.make_handover(receptionist)
    relief = Client(app)
    assert relief.login(factories.make_user(receptionist.estate, "reception", name="赵前台").username
                        ).status_code == 303
    form = {"client_uuid": str(uuid.uuid4()), "note": "已清点"}
    assert _at_once(app, relief, f"/desk/handovers/{handover.id}/accept", form) == [303] * TIMES
    assert _events(handover.subject, "accepted") == 1
    again = relief.post(f"/desk/handovers/{handover.id}/accept", dict(form, client_uuid=str(uuid.uuid4())))
    assert again.status_code == 409 and "已由 赵前台" in _text(again)


def test_a_replayed_sorted_tap_is_one_line_on_the_desk_timeline(app, reception_client, site, receptionist):
    form = {"client_uuid": str(uuid.uuid4())}
    assert _at_once(app, reception_client, "/desk/open/sorted", form) == [303] * TIMES
    assert _events(f"desk:{receptionist.estate_id}", "sorted") == 1


def test_a_replayed_permit_step_advances_it_once(app, butler_client, site, butler):
    permit = factories.make_permit(site["unit"], butler, status="applied")
    form = {"client_uuid": str(uuid.uuid4())}
    assert _at_once(app, butler_client, f"/renovations/{permit.id}/advance", form) == [303] * TIMES
    assert _events(permit.subject, "status") == 1
    assert type(permit).get_by_id(permit.id).status == "approved"


def test_two_people_moving_a_permit_on_from_the_same_page_move_it_one_step(app, butler_client, manager_client,
                                                                          site, butler):
    """Different submissions (their own uuids), both sent from a page showing 已申请: one
    approves it; the other is told it moved, instead of starting the works as well."""
    permit = factories.make_permit(site["unit"], butler, status="applied")
    first = butler_client.post(f"/renovations/{permit.id}/advance",
                               {"client_uuid": str(uuid.uuid4()), "from_status": "applied"})
    second = manager_client.post(f"/renovations/{permit.id}/advance",
                                 {"client_uuid": str(uuid.uuid4()), "from_status": "applied"})
    assert first.status_code == 303 and second.status_code == 409
    assert "刚被别人" in second.get_data(as_text=True)
    assert type(permit).get_by_id(permit.id).status == "approved"
    assert _events(permit.subject, "status") == 1


def test_a_replayed_repair_done_report_is_one_step(app, tech_client, site, receptionist, technician):
    case = factories.make_case(site["unit"], receptionist, status="on_site", assignee=technician,
                               dispatched_at=T0, arrived_at=T0)
    form = {"client_uuid": str(uuid.uuid4()), "work_done": "更换水管接头", "materials": "接头1个"}
    assert _at_once(app, tech_client, f"/cases/{case.id}/finish", form) == [303] * TIMES
    assert _events(case.subject, "done") == 1
    again = tech_client.post(f"/cases/{case.id}/finish", dict(form, client_uuid=str(uuid.uuid4())))
    assert again.status_code == 409 and "只有进行中的报修才能完工。" in _text(again)


def test_a_replayed_round_finish_is_one_step(app, butler_client, site, butler):
    from bluebird.rounds.models import Template, TemplateItem

    template = Template.create(estate=butler.estate_id, family="patrol", name="巡查", version=1)
    item = TemplateItem.create(template=template, position=1, section="公共区域", text="检查点 01")
    round_ = factories.make_round(butler.estate, butler)
    assert butler_client.post(f"/rounds/{round_.id}/items/{item.id}", {
        "client_uuid": str(uuid.uuid4()), "item_id": str(item.id), "result": "ok"}).status_code == 303
    form = {"client_uuid": str(uuid.uuid4()), "note": ""}
    assert _at_once(app, butler_client, f"/rounds/{round_.id}/finish", form) == [303] * TIMES
    assert _events(round_.subject, "finished") == 1
    again = butler_client.post(f"/rounds/{round_.id}/finish", dict(form, client_uuid=str(uuid.uuid4())))
    assert again.status_code == 409 and "本次检查已完成。" in _text(again)


def test_a_replayed_signature_of_a_sheet_is_one_step(app, issued, butler, manager_client):  # noqa: F811
    url = f"/assessment/people/{butler.id}/sign?m=2026-11"
    form = {"client_uuid": str(uuid.uuid4())}
    assert _at_once(app, manager_client, url, form) == [303] * TIMES
    assert _events(issued.subject, "assessment_signed") == 1
    again = manager_client.post(url, {"client_uuid": str(uuid.uuid4())})
    assert again.status_code == 409 and "考核表已签字。" in _text(again)
