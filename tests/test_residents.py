"""The butler's ledger (工作台帐): edit a resident, move in and out, the release slip at the
desk, the key-account list."""
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest

from bluebird import clock
from bluebird.cases.service import residents_of
from bluebird.estate.models import Resident, Unit
from bluebird.estate.models_moves import MoveOut
from bluebird.timeline.models import Event
from tests import factories

NOW = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


@pytest.fixture
def place(estate, butler):
    clock.set_now(NOW)
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502", status="occupied")
    owner = factories.make_resident(unit, name="张伟", phone="13912345678")
    wife = factories.make_resident(unit, name="李娜", phone="13700001111", relation="family")
    return {"building": building, "unit": unit, "owner": owner, "wife": wife}


def _edit(owner, **changes):
    data = {"name": owner.name, "phone": owner.phone, "phone2": "", "wechat": "", "contact_pref": "phone",
            "relation": owner.relation, "members": "", "key_reason": "", "arrears_amount": "", "arrears_as_of": "",
            "birthday": "", "note": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_butler_edits_the_ledger_entry_and_the_unit_timeline_lists_the_changes(butler_client, butler, place):
    owner = place["owner"]
    response = butler_client.post(f"/estate/residents/{owner.id}/edit", _edit(
        owner, phone2="13600003333", wechat="zhangwei88", contact_pref="wechat", members="妻 李娜，子 张小明",
        key_account="y", key_reason="独居老人", arrears="y", arrears_amount="1280.50", arrears_as_of="2026-10-31",
        birthday="1958-03-14", note="腿脚不便，上门前先电话"))
    assert response.status_code == 303
    r = Resident.get_by_id(owner.id)
    assert (r.phone2, r.wechat, r.contact_pref, r.key_account, r.key_reason) == (
        "13600003333", "zhangwei88", "wechat", True, "独居老人")
    assert r.arrears and r.arrears_amount == Decimal("1280.50") and r.arrears_as_of == date(2026, 10, 31)
    assert r.birthday == date(1958, 3, 14) and r.members == "妻 李娜，子 张小明"
    event = Event.get((Event.subject == f"unit:{owner.unit_id}") & (Event.verb == "resident_changed"))
    assert event.actor_id == butler.id
    changes = event.data["changes"]
    assert changes["phone2"] == ["", "136****3333"]  # the timeline never holds a full number
    assert changes["key_account"] == [False, True] and changes["arrears_amount"] == [None, "1280.50"]
    assert changes["note"] == ["", ""]  # long text: that it changed, not the text
    assert "phone" not in changes and "name" not in changes
    page = butler_client.get(f"/estate/units/{owner.unit_id}").get_data(as_text=True)
    assert "张伟的台账已修改" in page and "136****3333" in page and "重点户原因" in page
    shown = butler_client.get(f"/estate/residents/{owner.id}").get_data(as_text=True)
    assert "¥1280.50" in shown and "独居老人" in shown and "tel:13600003333" in shown


def test_saving_an_unchanged_entry_writes_nothing(butler_client, place):
    owner = place["owner"]
    assert butler_client.post(f"/estate/residents/{owner.id}/edit", _edit(owner)).status_code == 303
    assert not Event.select().where(Event.verb == "resident_changed").exists()


@pytest.mark.parametrize("changes, field_error", [
    ({"key_account": "y"}, "说明为什么是重点户"),
    ({"arrears": "y", "arrears_as_of": "2026-10-31"}, "填写欠费金额"),
    ({"arrears": "y", "arrears_amount": "300"}, "填写欠费截至日期"),
    ({"phone": "139-abc"}, "只能填数字"),
    ({"birthday": "1958-13-40"}, "日期"),
])
def test_an_entry_that_does_not_hold_together_is_a_422_next_to_its_field(butler_client, place, changes, field_error):
    owner = place["owner"]
    response = butler_client.post(f"/estate/residents/{owner.id}/edit", _edit(owner, **changes))
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="error"' in text and field_error in text
    assert Resident.get_by_id(owner.id).key_account is False and not Resident.get_by_id(owner.id).arrears
    assert not Event.select().where(Event.verb == "resident_changed").exists()


def test_phones_stay_masked_for_a_technician_who_cannot_edit(tech_client, place):
    owner = place["owner"]
    Resident.update(phone2="13600003333").where(Resident.id == owner.id).execute()
    text = tech_client.get(f"/estate/residents/{owner.id}").get_data(as_text=True)
    assert "139****5678" in text and "136****3333" in text and "13600003333" not in text
    assert "/edit" not in text
    assert tech_client.post(f"/estate/residents/{owner.id}/edit", _edit(owner, name="改名")).status_code == 403
    assert Resident.get_by_id(owner.id).name == "张伟"


def _move_in(**extra):
    data = {"client_uuid": str(uuid.uuid4()), "moved_in_at": "2026-11-20", "name": "王芳", "phone": "13500004444",
            "relation": "tenant", "contact_pref": "phone"}
    data.update(extra)
    return data


def test_a_move_in_registers_the_resident_and_the_unit_follows(butler_client, estate, place):
    empty = factories.make_unit(place["building"], "1601", status="vacant")
    data = _move_in()
    assert butler_client.post(f"/estate/units/{empty.id}/move-in", data).status_code == 303
    assert butler_client.post(f"/estate/units/{empty.id}/move-in", data).status_code == 303  # a replay
    [tenant] = Resident.of_unit(empty.id)
    assert tenant.name == "王芳" and tenant.moved_in_at == date(2026, 11, 20)
    assert Unit.get_by_id(empty.id).status == "rented"
    verbs = [e.verb for e in Event.for_subject(f"unit:{empty.id}")]
    assert verbs.count("moved_in") == 1 and "status" in verbs


def test_a_unit_not_yet_handed_over_keeps_its_status_at_a_move_in(butler_client, place):
    raw = factories.make_unit(place["building"], "1701", status="not_handed_over")
    assert butler_client.post(f"/estate/units/{raw.id}/move-in", _move_in(relation="owner")).status_code == 303
    assert Unit.get_by_id(raw.id).status == "not_handed_over"


def _move_out(**extra):
    data = {"client_uuid": str(uuid.uuid4()), "moving_on": "2026-11-25", "slot": "09:00-12:00",
            "mover": "京A12345", "with_household": "y", "note": ""}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_a_move_out_issues_a_slip_keeps_the_history_and_the_desk_sees_the_arrears(
        butler_client, reception_client, butler, receptionist, place):
    owner, wife, unit = place["owner"], place["wife"], place["unit"]
    Resident.update(arrears=True, arrears_amount=Decimal("860.00"), arrears_as_of=date(2026, 10, 31)).where(
        Resident.id == owner.id).execute()
    form = butler_client.get(f"/estate/residents/{owner.id}/move-out").get_data(as_text=True)
    assert "欠费" in form and "¥860.00" in form and "李娜" in form
    data = _move_out()
    response = butler_client.post(f"/estate/residents/{owner.id}/move-out", data)
    assert response.status_code == 303
    replay = butler_client.post(f"/estate/residents/{owner.id}/move-out", data)
    assert replay.status_code == 303 and replay.headers["Location"] == response.headers["Location"]
    move = MoveOut.get()
    assert MoveOut.select().count() == 1 and response.headers["Location"].endswith(f"/estate/moves/{move.id}")
    assert move.names == "张伟、李娜" and move.moving_on == date(2026, 11, 25) and len(move.slip_code) == 6
    # Both left the current residents but stay in the unit's history.
    assert list(Resident.of_unit(unit.id)) == [] and list(residents_of(unit)) == []
    assert {r.name for r in Resident.moved_out_of(unit.id)} == {"张伟", "李娜"}
    assert Resident.get_by_id(wife.id).moved_out_at == date(2026, 11, 25)
    assert Unit.get_by_id(unit.id).status == "vacant"
    found = butler_client.get("/estate/search?q=张伟", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"/estate/residents/{owner.id}" not in found and "没有找到" in found
    page = butler_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    assert "已迁出" in page and move.slip_code in page and "张伟、李娜于 2026-11-25 迁出" in page
    slip = butler_client.get(f"/estate/moves/{move.id}").get_data(as_text=True)
    assert move.slip_code in slip and "¥860.00" in slip

    # The desk looks the slip up by its number and sees the arrears.
    looked = reception_client.get(f"/desk/release?q={move.slip_code.lower()}")
    assert looked.status_code == 303 and looked.headers["Location"].endswith(f"/desk/release/{move.id}")
    desk = reception_client.get(f"/desk/release/{move.id}").get_data(as_text=True)
    assert 'id="desk-arrears"' in desk and "张伟 ¥860.00" in desk and "截至 2026-10-31" in desk
    held = reception_client.post(f"/desk/release/{move.id}/check", {"decision": "hold", "check_note": ""})
    assert held.status_code == 422 and "暂不放行的原因" in held.get_data(as_text=True)
    assert MoveOut.get_by_id(move.id).status == "issued"
    assert reception_client.post(f"/desk/release/{move.id}/check",
                                 {"decision": "hold", "check_note": "物业费未结清"}).status_code == 303
    assert MoveOut.get_by_id(move.id).status == "held"
    assert reception_client.post(f"/desk/release/{move.id}/check",
                                 {"decision": "release", "check_note": "已补缴"}).status_code == 303
    move = MoveOut.get_by_id(move.id)
    assert move.status == "released" and move.checked_by_id == receptionist.id
    again = reception_client.post(f"/desk/release/{move.id}/check", {"decision": "hold", "check_note": "x"})
    assert again.status_code == 409 and MoveOut.get_by_id(move.id).status == "released"
    checks = [e.data for e in Event.for_subject(f"unit:{unit.id}") if e.verb == "slip_checked"]
    assert [c["released"] for c in checks] == [True, False] and checks[0]["arrears"] == ["张伟 ¥860.00"]


def test_one_person_moves_out_and_the_household_stays(butler_client, place):
    wife, unit = place["wife"], place["unit"]
    assert butler_client.post(f"/estate/residents/{wife.id}/move-out",
                              _move_out(with_household=None)).status_code == 303
    assert [r.name for r in Resident.of_unit(unit.id)] == ["张伟"]
    assert Unit.get_by_id(unit.id).status == "occupied"
    assert butler_client.post(f"/estate/residents/{wife.id}/move-out", _move_out()).status_code == 409


def test_an_unknown_slip_number_is_said_at_the_desk(reception_client, place):
    response = reception_client.get("/desk/release?q=ZZZZZZ")
    assert response.status_code == 200 and "没有放行条 ZZZZZZ" in response.get_data(as_text=True)


def test_another_estates_slip_number_is_not_found(reception_client, place, other_estate):
    building = factories.make_building(other_estate, "9")
    stranger = factories.make_user(other_estate, username="far")
    move = factories.make_move(factories.make_resident(factories.make_unit(building, "901")), stranger)
    response = reception_client.get(f"/desk/release?q={move.slip_code}")
    assert response.status_code == 200 and "没有放行条" in response.get_data(as_text=True)


def test_the_key_account_list_shows_last_contact_and_open_cases(butler_client, estate, butler, place):
    owner, unit = place["owner"], place["unit"]
    Resident.update(key_account=True, key_reason="经常投诉").where(Resident.id == owner.id).execute()
    case = factories.make_case(unit, butler, description="卫生间漏水到楼下")
    elsewhere = factories.make_building(estate, "8", patch=factories.make_patch(estate, "二区"))
    far = factories.make_resident(factories.make_unit(elsewhere, "101"), name="赵六")
    Resident.update(key_account=True, key_reason="残疾").where(Resident.id == far.id).execute()
    gone = factories.make_resident(factories.make_unit(place["building"], "1801"), name="钱七")
    Resident.update(key_account=True, key_reason="独居", moved_out_at=date(2026, 1, 1)).where(
        Resident.id == gone.id).execute()
    from datetime import datetime

    from bluebird.visits import contacts

    contacts.touch(estate.id, unit.id, "visit", at=datetime(2026, 11, 20, 2, 0))  # visited last Friday
    text = butler_client.get("/estate/key-accounts").get_data(as_text=True)
    assert "张伟" in text and "经常投诉" in text and f"/cases/{case.id}" in text and "卫生间漏水" in text
    assert "赵六" not in text and "钱七" not in text
    assert "2026-11-20" in text  # the household's last contact, as the visits package keeps it
    other = butler_client.get(f"/estate/key-accounts?patch={elsewhere.patch_id}").get_data(as_text=True)
    assert "赵六" in other and "张伟" not in other


def test_the_key_account_list_refuses_another_estates_patch(butler_client, place, other_estate):
    patch = factories.make_patch(other_estate, "外区")
    assert butler_client.get(f"/estate/key-accounts?patch={patch.id}").status_code == 404


def test_a_new_residents_household_note_is_kept(admin_client, place):
    unit = place["unit"]
    response = admin_client.post(f"/admin/estate/units/{unit.id}/residents", {
        "client_uuid": str(uuid.uuid4()), "name": "孙八", "phone": "", "relation": "family", "note": "家有婴儿，勿按门铃"})
    assert response.status_code == 303
    assert Resident.get(Resident.name == "孙八").note == "家有婴儿，勿按门铃"


def test_a_second_move_out_of_the_same_resident_issues_no_second_slip(app, butler, place):
    from bluebird.estate import residents as ledger

    owner = place["owner"]
    stale = Resident.get_by_id(owner.id)  # read before the first move-out committed
    ledger.move_out(uuid.uuid4(), resident=Resident.get_by_id(owner.id), actor=butler, moving_on=date(2026, 11, 25))
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.move_out(uuid.uuid4(), resident=stale, actor=butler, moving_on=date(2026, 11, 26))
    assert refused.value.status == 409
    assert MoveOut.select().count() == 1 and Resident.get_by_id(owner.id).moved_out_at == date(2026, 11, 25)
