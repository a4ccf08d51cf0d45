"""Move-in (交房验房): who signs, how a unit becomes handed over, warranty defect cases;
and the week's vacant-unit patrols of every kind of unit, made whatever day the
scheduler first runs."""
import io
import uuid
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.cases import clocks
from bluebird.cases.models import Case
from bluebird.duties.models import Duty
from bluebird.duties.scheduler import tick
from bluebird.estate.models import Resident, Unit
from bluebird.rounds import engine
from bluebird.rounds.models import ItemResult, Round
from bluebird.timeline.models import Event
from tests import factories
from tests.test_rounds import _jpeg, _png_signature

MONDAY_9 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 Shanghai
NO_RESIDENT = "该房号还没有登记住户"


@pytest.fixture
def place(estate, butler, manager, technician):
    clock.set_now(MONDAY_9)
    building = factories.make_building(estate, "3", patch=butler.patch)
    return {"building": building, "unit": factories.make_unit(building, "1502", status="not_handed_over")}


def _movein(client, code="3-1502"):
    response = client.post("/rounds/start", {"kind": "movein", "unit_code": code, "client_uuid": str(uuid.uuid4())})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return Round.get_by_id(int(response.headers["Location"].rstrip("/").split("/")[-1]))


def _fail(client, round_, item, note):
    response = client.post(f"/rounds/{round_.id}/items/{item.id}",
                           {"result": "fail", "note": note, "client_uuid": str(uuid.uuid4()),
                            "photos": [(io.BytesIO(_jpeg()), "p.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def _all_ok(round_, user):
    for item in engine.items_of(round_):
        if not ItemResult.get_or_none((ItemResult.round == round_.id) & (ItemResult.item == item.id)):
            engine.record_item(round_, item_id=item.id, result="ok", actor=user)


def _finish(client, round_, **fields):
    data = {"keys_note": "入户门钥匙2把，门禁卡2张", "signature_data": _png_signature()}
    data.update(fields)
    return client.post(f"/rounds/{round_.id}/finish", data)


def test_a_move_in_with_an_entered_owner_hands_the_unit_over_to_that_owner(butler_client, butler, place):
    unit = place["unit"]
    assert NO_RESIDENT in butler_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    movein = _movein(butler_client)
    _all_ok(movein, butler)
    page = butler_client.get(f"/rounds/{movein.id}").get_data(as_text=True)
    assert 'name="owner_name"' in page and 'name="owner_phone"' in page

    nobody = _finish(butler_client, movein, owner_id="0")
    text = nobody.get_data(as_text=True)
    assert nobody.status_code == 422
    assert "请填写签字业主的姓名" in text and "请填写业主的联系电话" in text
    assert _png_signature() in text  # the owner's signature is kept, not asked for twice
    assert Unit.get_by_id(unit.id).status == "not_handed_over" and Resident.select().count() == 0

    done = _finish(butler_client, movein, owner_id="0", owner_name="王建国", owner_phone="139 0000 1234")
    assert done.status_code == 303
    assert Unit.get_by_id(unit.id).status == "handed_over"
    owner = Resident.get(Resident.unit == unit.id)
    assert (owner.name, owner.phone, owner.relation) == ("王建国", "139 0000 1234", "owner")
    movein = Round.get_by_id(movein.id)
    assert (movein.owner_name, movein.owner_id) == ("王建国", owner.id)
    signed = Event.get((Event.subject == movein.subject) & (Event.verb == "signed"))
    assert signed.data["name"] == "王建国" and signed.data["resident"] == owner.id

    record = butler_client.get(f"/rounds/{movein.id}").get_data(as_text=True)
    assert "签字业主：王建国" in record
    unit_page = butler_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    assert NO_RESIDENT not in unit_page and "王建国" in unit_page
    assert f"/rounds/{movein.id}" in unit_page and "未经验房" not in unit_page
    status = Event.get((Event.subject == f"unit:{unit.id}") & (Event.verb == "status"))
    assert status.data["round"] == movein.id and "uninspected" not in status.data
    again = _finish(butler_client, movein, owner_id="0", owner_name="王建国", owner_phone="13900001234")
    assert again.status_code == 409 and Resident.select().count() == 1


def test_a_move_in_signed_by_a_registered_resident_adds_nobody(butler_client, butler, place, estate):
    unit = place["unit"]
    owner = factories.make_resident(unit, name="李秀英", phone="13811112222")
    elsewhere = factories.make_resident(factories.make_unit(place["building"], "1501"), name="外人")
    movein = _movein(butler_client)
    _all_ok(movein, butler)
    page = butler_client.get(f"/rounds/{movein.id}").get_data(as_text=True)
    assert f'<option selected value="{owner.id}">李秀英' in page  # the unit's owner is offered first

    foreign = _finish(butler_client, movein, owner_id=str(elsewhere.id))
    assert foreign.status_code == 422 and "请选择本房号的住户" in foreign.get_data(as_text=True)
    both = _finish(butler_client, movein, owner_id=str(owner.id), owner_name="赵新", owner_phone="13700000000")
    assert both.status_code == 422 and "已选择住户又填写了新业主" in both.get_data(as_text=True)
    assert _finish(butler_client, movein, owner_id=str(owner.id)).status_code == 303
    assert Resident.select().where(Resident.unit == unit.id).count() == 1
    movein = Round.get_by_id(movein.id)
    assert (movein.owner_id, movein.owner_name, movein.owner_phone) == (owner.id, "李秀英", "13811112222")
    assert Unit.get_by_id(unit.id).status == "handed_over"
    assert "签字业主：李秀英" in butler_client.get(f"/rounds/{movein.id}").get_data(as_text=True)


def test_handed_over_by_hand_needs_a_reason_and_says_no_inspection_was_done(butler_client, place):
    unit = place["unit"]
    refused = butler_client.post(f"/estate/units/{unit.id}/status", {"status": "handed_over", "note": " "})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请填写原因" in text and 'class="error"' in text
    assert Unit.get_by_id(unit.id).status == "not_handed_over"
    assert not Event.select().where(Event.subject == f"unit:{unit.id}").exists()

    ok = butler_client.post(f"/estate/units/{unit.id}/status", {"status": "handed_over", "note": "开发商已交钥匙"})
    assert ok.status_code == 303 and Unit.get_by_id(unit.id).status == "handed_over"
    event = Event.get(Event.subject == f"unit:{unit.id}")
    assert event.data["uninspected"] is True and event.data["note"] == "开发商已交钥匙"
    page = butler_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    assert "未交房 → 已交付 — 开发商已交钥匙" in page and "未经验房" in page
    # Other statuses need no reason, as before.
    assert butler_client.post(f"/estate/units/{unit.id}/status", {"status": "occupied"}).status_code == 303


def test_a_unit_registered_as_handed_over_needs_a_reason_too(admin_client, place):
    building = place["building"]
    data = {"unit-number": "1801", "unit-floor": "18", "unit-kind": "home", "unit-status": "handed_over",
            "unit-client_uuid": str(uuid.uuid4())}
    refused = admin_client.post(f"/admin/estate/buildings/{building.id}/units", data)
    assert refused.status_code == 422 and "请填写原因" in refused.get_data(as_text=True)
    assert not Unit.select().where(Unit.number == "1801").exists()
    data["unit-reason"] = "系统上线前已交付"
    assert admin_client.post(f"/admin/estate/buildings/{building.id}/units", data).status_code == 303
    unit = Unit.get(Unit.number == "1801")
    assert unit.status == "handed_over"
    page = admin_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    assert "系统上线前已交付" in page and "未经验房" in page


def test_a_warranty_defect_is_the_builders_and_never_offered_to_our_technicians(
        butler_client, butler, technician, place):
    movein = _movein(butler_client)
    _fail(butler_client, movein, engine.items_of(movein)[0], "入户墙面开裂")
    case = Case.get()
    assert case.warranty
    kinds = {d.kind for d in Duty.select().where(Duty.subject == case.subject)}
    assert not kinds & {clocks.NOTIFY_OWNER, clocks.ARRIVE, clocks.FINISH}
    assert kinds == {clocks.WARRANTY_PASS, clocks.CALLBACK_24H}
    passing = Duty.get(Duty.kind == clocks.WARRANTY_PASS)
    assert passing.assignee_id == butler.id and passing.due_at == MONDAY_9 + timedelta(hours=24)

    page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "施工单位" in page and 'name="assignee"' not in page and technician.name not in page
    assert '<option selected value="callback_24h">' in page  # not "told the owner who will come"
    to_ours = butler_client.post(f"/cases/{case.id}/dispatch", {"assignee": str(technician.id), "department": ""})
    assert to_ours.status_code == 422 and "不要派给我们的维修工" in to_ours.get_data(as_text=True)
    assert Case.get_by_id(case.id).assignee_id is None

    passed = butler_client.post(f"/cases/{case.id}/dispatch", {"department": "中建三局保修组"})
    assert passed.status_code == 303
    case = Case.get_by_id(case.id)
    assert case.department == "中建三局保修组" and case.assignee_id is None
    assert Duty.get(Duty.kind == clocks.WARRANTY_PASS).done_at is not None
    assert "中建三局保修组" in butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert not Duty.select().where((Duty.subject == case.subject) & (Duty.kind == clocks.ARRIVE)).exists()


def test_a_warranty_defect_fixed_at_re_inspection_leaves_no_duty_to_escalate(butler_client, butler, place):
    movein = _movein(butler_client)
    item = engine.items_of(movein)[0]
    _fail(butler_client, movein, item, "入户墙面开裂")
    _all_ok(movein, butler)
    assert _finish(butler_client, movein, owner_name="王建国", owner_phone="13900001234").status_code == 303
    case = Case.get()
    butler_client.post(f"/rounds/{movein.id}/reinspect", {"client_uuid": str(uuid.uuid4())})
    child = Round.get(Round.kind == "reinspect")
    assert butler_client.post(f"/rounds/{child.id}/items/{item.id}",
                              {"result": "ok", "client_uuid": str(uuid.uuid4())}).status_code == 303
    assert Case.get_by_id(case.id).status == "closed"
    assert not Duty.select().where((Duty.subject == case.subject) & Duty.done_at.is_null()).exists()
    tick(MONDAY_9 + timedelta(days=7))
    assert not Duty.select().where((Duty.subject == case.subject) & Duty.escalated_at.is_null(False)).exists()


def test_only_who_may_walk_a_move_in_starts_its_re_inspection(butler_client, tech_client, butler, place):
    movein = _movein(butler_client)
    _fail(butler_client, movein, engine.items_of(movein)[0], "入户墙面开裂")
    _all_ok(movein, butler)
    assert _finish(butler_client, movein, owner_name="王建国", owner_phone="13900001234").status_code == 303
    refused = tech_client.post(f"/rounds/{movein.id}/reinspect", {"client_uuid": str(uuid.uuid4())})
    assert refused.status_code == 403 and not Round.select().where(Round.kind == "reinspect").exists()
    assert butler_client.post(f"/rounds/{movein.id}/reinspect",
                              {"client_uuid": str(uuid.uuid4())}).status_code == 303


def test_a_warranty_repair_cannot_be_registered_with_a_technician(butler_client, technician, place):
    response = butler_client.post("/cases/new?kind=repair", {
        "kind": "repair", "client_uuid": str(uuid.uuid4()), "unit_code": "3-1502", "description": "窗框渗水",
        "scope": "household", "trade": "civil", "work_type": "basic", "source": "patrol", "warranty": "y",
        "assignee": str(technician.id)})
    assert response.status_code == 422 and "不要派给我们的维修工" in response.get_data(as_text=True)
    assert Case.select().count() == 0


def test_an_ordinary_repair_still_tells_the_owner_and_runs_our_clocks(place, butler):
    from bluebird.cases import service

    case, _ = service.register(None, estate=butler.estate, registrar=butler, fields={
        "kind": "repair", "unit": place["unit"], "description": "水龙头漏水", "source": "phone", "scope": "household",
        "trade": "water", "work_type": "basic", "minor": True})
    kinds = {d.kind for d in Duty.select().where(Duty.subject == case.subject)}
    assert {clocks.NOTIFY_OWNER, clocks.ARRIVE, clocks.FINISH, clocks.CALLBACK_24H} <= kinds
    assert clocks.WARRANTY_PASS not in kinds


# Vacant-unit patrols (003 篇1 §8) ---------------------------------------------------

WEDNESDAY_9 = MONDAY_9 + timedelta(days=2)


@pytest.fixture
def vacant_units(estate, butler):
    building = factories.make_building(estate, "9", patch=butler.patch)
    units = {kind: factories.make_unit(building, number, status=status, kind=kind, floor=floor)
             for kind, number, status, floor in [("home", "101", "vacant", 1), ("garage", "B1-01", "not_handed_over", -1),
                                                 ("storage", "B1-02", "vacant", -1), ("shop", "S-01", "vacant", 1)]}
    factories.make_unit(building, "102", status="occupied")
    factories.make_unit(building, "S-02", status="rented", kind="shop", floor=1)
    return units


def _vacant():
    return list(Duty.select().where(Duty.kind == "vacant_patrol").order_by(Duty.subject))


def test_a_first_tick_on_wednesday_makes_the_weeks_vacant_patrols_once(vacant_units, butler):
    tick(WEDNESDAY_9)
    duties = _vacant()
    assert {d.subject for d in duties} == {f"unit:{u.id}" for u in vacant_units.values()}  # garages and shops too
    assert {d.due_at for d in duties} == {datetime(2026, 11, 27, 10, 0)}  # Friday 18:00
    assert {d.assignee_id for d in duties} == {butler.id}
    assert tick(WEDNESDAY_9 + timedelta(minutes=5))["generated"] == 0
    tick(WEDNESDAY_9 + timedelta(days=1))
    assert len(_vacant()) == 4


def test_a_tick_on_monday_then_thursday_makes_them_once(vacant_units, butler):
    tick(MONDAY_9)
    assert len(_vacant()) == 4
    first = Duty.get(Duty.subject == f"unit:{vacant_units['garage'].id}")
    Duty.update(done_at=MONDAY_9 + timedelta(hours=2)).where(Duty.id == first.id).execute()  # patrolled
    thursday = tick(MONDAY_9 + timedelta(days=3))
    assert len(_vacant()) == 4
    daily = Duty.select().where(Duty.kind.in_(["daily_patrol", "manager_walk", "lobby_check"])
                                & (Duty.due_date == (MONDAY_9 + timedelta(days=3)).date()))
    assert thursday["generated"] == daily.count()  # no vacant-unit patrol among them
    tick(MONDAY_9 + timedelta(days=7))  # the next week has its own
    assert len(_vacant()) == 8


def test_a_unit_vacated_midweek_gets_its_patrol_the_next_day(vacant_units, estate, butler):
    tick(MONDAY_9)
    occupied = Unit.get(Unit.number == "102")
    Unit.update(status="vacant").where(Unit.id == occupied.id).execute()
    tick(MONDAY_9 + timedelta(days=1))
    assert Duty.select().where(Duty.subject == f"unit:{occupied.id}").count() == 1
    assert len(_vacant()) == 5


def test_migration_012_adds_the_signer_to_rounds_already_there(app):
    """An office's database with a finished move-in upgrades in place; the round keeps its rows."""
    from bluebird.migrate import upgrade
    from tests.old_office import BEFORE_SESSION_2, old_office

    with old_office(
        BEFORE_SESSION_2,
        "INSERT INTO user (username, name, role, estate_id, password_hash, phone, active, session_version, "
        "created_at, locale) VALUES ('b', '管家', 'butler', 1, 'x', '', 1, '1', '2025-01-01 00:00:00', 'zh_CN')",
        "INSERT INTO template (estate_id, family, name, name_en, version, created_at) "
        "VALUES (1, 'movein', '交房验房', '', 1, '2025-01-01 00:00:00')",
        "INSERT INTO round (estate_id, kind, template_id, place_kind, place_id, place_label, by_id, started_at, "
        "finished_at, vetoed, keys_note, note) VALUES (1, 'movein', 1, 'unit', 1, '1-101', 1, "
        "'2025-01-01 00:00:00', '2025-01-01 01:00:00', 0, '钥匙2把', '')",
    ) as old:
        assert "012_movein_owner" in upgrade()
        with old.connection_context():
            row = old.execute_sql("SELECT keys_note, owner_name, owner_phone, owner_id FROM round").fetchone()
            assert tuple(row) == ("钥匙2把", "", "", None)
