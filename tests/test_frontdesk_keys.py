"""The key cabinet: register, lend, the overdue loan escalating, return, history; never out twice."""
import uuid
from datetime import datetime, timedelta

import pytest
from peewee import IntegrityError

from bluebird import clock
from bluebird.db import db
from bluebird.duties.models import Duty, escalate_overdue
from bluebird.duties.scheduler import tick
from bluebird.frontdesk import clocks
from bluebird.frontdesk.models import Key, KeyLoan
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai


@pytest.fixture
def cabinet(estate, receptionist, manager, technician, butler):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502", status="vacant")
    clock.set_now(T0)
    return {"unit": unit}


def _uuid():
    return str(uuid.uuid4())


def _text(response):
    return response.get_data(as_text=True)


def _register(client, **extra):
    data = {"client_uuid": _uuid(), "kind": "vacant", "name": "3-1502 入户门", "unit_code": "3-1502",
            "hook": "A-12", "note": ""}
    data.update(extra)
    return client.post("/desk/keys/new", data)


def _lend(client, key, **extra):
    data = {"client_uuid": _uuid(), "borrower_user": "0", "borrower": "", "purpose": "空置房巡查",
            "due_at": "2026-11-23T11:00"}
    data.update(extra)
    return client.post(f"/desk/keys/{key.id}/lend", data)


def test_a_key_is_registered_with_its_hook_and_kind(reception_client, cabinet):
    response = _register(reception_client)
    assert response.status_code == 303
    key = Key.get()
    assert (key.kind, key.hook, key.unit_id) == ("vacant", "A-12", cabinet["unit"].id)
    page = _text(reception_client.get("/desk/keys"))
    assert "3-1502 入户门" in page and "空置房钥匙" in page and "在柜" in page
    taken = _register(reception_client, name="配电房", kind="public", unit_code="")
    assert taken.status_code == 409 and "A-12 号挂钩已挂有「3-1502 入户门」" in _text(taken)
    assert Key.select().count() == 1


def test_an_overdue_key_reminds_the_borrower_then_escalates_to_the_supervisor(
        reception_client, tech_client, manager_client, cabinet, technician, manager):
    _register(reception_client)
    key = Key.get()
    assert _lend(reception_client, key, borrower_user=str(technician.id), purpose="维修水管").status_code == 303
    loan = KeyLoan.get()
    assert loan.borrower == technician.name and loan.borrower_user_id == technician.id
    duty = Duty.get(Duty.subject == key.subject)
    assert duty.kind == clocks.RETURN_KEY and duty.assignee_id == technician.id
    assert duty.due_at == datetime(2026, 11, 23, 3, 0)  # 11:00 in Shanghai
    assert "归还借用的钥匙" in _text(tech_client.get("/agenda"))

    clock.set_now(datetime(2026, 11, 23, 3, 30))  # half an hour late: red, not yet escalated
    tick(clock.now())
    duty = Duty.get_by_id(duty.id)
    assert duty.notified_at is not None and duty.escalated_at is None  # the borrower was reminded
    cabinet_page = _text(reception_client.get("/desk/keys"))
    assert 'class="fd-overdue"' in cabinet_page and "已超时" in cabinet_page
    assert "1 把逾期" in _text(reception_client.get("/desk"))
    assert "归还借用的钥匙" not in _text(manager_client.get("/agenda"))

    clock.set_now(datetime(2026, 11, 23, 4, 1))  # past the hour's grace: the supervisor sees it
    tick(clock.now())
    assert Duty.get_by_id(duty.id).escalated_at == clock.now()
    assert duty.id not in escalate_overdue(clock.now())  # once
    assert "归还借用的钥匙" in _text(manager_client.get("/agenda"))

    assert reception_client.post(f"/desk/keys/{key.id}/return", {"note": "孙师傅送还"}).status_code == 303
    duty = Duty.get_by_id(duty.id)
    assert duty.done_at == clock.now() and duty.late_minutes == 61 and duty.done_by_id == technician.id
    loan = KeyLoan.get_by_id(loan.id)
    assert loan.returned_at == clock.now() and loan.note == "孙师傅送还"
    history = _text(reception_client.get(f"/desk/keys/{key.id}"))
    assert "维修水管" in history and "超时 61 分钟" in history and "逾期" in history


def test_a_key_is_never_on_loan_twice(reception_client, cabinet):
    _register(reception_client)
    key = Key.get()
    assert _lend(reception_client, key, borrower="王先生（业主）").status_code == 303
    again = _lend(reception_client, key, borrower="李四")
    assert again.status_code == 409 and "这把钥匙已借出：借给 王先生（业主）" in _text(again)
    assert KeyLoan.select().count() == 1
    # An outsider's loan is the desk's to chase.
    assert Duty.get(Duty.subject == key.subject).role == "reception"
    # The database holds it too, whatever a race does.
    with pytest.raises(IntegrityError), db.atomic():
        KeyLoan.create(estate=key.estate_id, key=key.id, borrower="x", purpose="y", out_at=T0,
                       due_at=T0 + timedelta(hours=1), lent_by=KeyLoan.get().lent_by_id)


def test_returning_a_key_that_is_not_out_is_refused(reception_client, cabinet):
    _register(reception_client)
    key = Key.get()
    response = reception_client.post(f"/desk/keys/{key.id}/return", {"note": ""})
    assert response.status_code == 409 and "这把钥匙不在借出状态" in _text(response)
    _lend(reception_client, key, borrower="李四")
    assert reception_client.post(f"/desk/keys/{key.id}/return", {"note": ""}).status_code == 303
    twice = reception_client.post(f"/desk/keys/{key.id}/return", {"note": ""})
    assert twice.status_code == 409
    assert KeyLoan.select().where(KeyLoan.returned_at.is_null()).count() == 0


@pytest.mark.parametrize("extra, words", [
    ({"borrower": ""}, "请填写借用人"),
    ({"due_at": "2026-11-23T08:00"}, "应还时间必须晚于现在"),
    ({"due_at": "2027-01-23T08:00"}, "最长 30 天"),
    ({"purpose": ""}, "必填"),
])
def test_a_bad_loan_is_refused_and_nothing_saved(reception_client, cabinet, extra, words):
    _register(reception_client)
    key = Key.get()
    response = _lend(reception_client, key, **{"borrower": "李四", **extra})
    assert response.status_code == 422 and words in _text(response)
    assert KeyLoan.select().count() == 0 and Duty.select().count() == 0


def test_a_replayed_key_or_loan_saves_once(reception_client, cabinet):
    key_uuid, loan_uuid = _uuid(), _uuid()
    assert _register(reception_client, client_uuid=key_uuid).status_code == 303
    assert _register(reception_client, client_uuid=key_uuid).status_code == 303
    key = Key.get()
    assert _lend(reception_client, key, client_uuid=loan_uuid, borrower="李四").status_code == 303
    assert _lend(reception_client, key, client_uuid=loan_uuid, borrower="李四").status_code == 303
    assert Key.select().count() == 1 and KeyLoan.select().count() == 1
    assert Duty.select().count() == 1


def test_the_borrower_sees_the_key_page_but_only_the_desk_lends(tech_client, reception_client, cabinet, technician):
    _register(reception_client)
    key = Key.get()
    _lend(reception_client, key, borrower_user=str(technician.id))
    page = tech_client.get(f"/desk/keys/{key.id}")
    assert page.status_code == 200 and "应还时间" in _text(page) and 'id="return-form"' not in _text(page)
    assert tech_client.post(f"/desk/keys/{key.id}/return", {}).status_code == 403
