"""The admin manages staff, buildings, units and residents; replays create nothing."""
import uuid

from bluebird.auth.models import User
from bluebird.estate.models import Building, Resident, Unit
from tests import factories


def _staff(**overrides):
    data = {"username": "newbutler", "name": "新管家", "phone": "13800001111", "role": "butler",
            "patch": "0", "password": "first-password", "client_uuid": str(uuid.uuid4())}
    data.update(overrides)
    return data


def test_admin_creates_a_butler_who_can_then_log_in(admin_client, estate, client):
    response = admin_client.post("/admin/staff/new", _staff(estate=str(estate.id)))
    assert response.status_code == 303
    user = User.get(User.username == "newbutler")
    assert user.role == "butler" and user.estate_id == estate.id
    assert client.login("newbutler", "first-password").status_code == 303


def test_a_replayed_create_makes_one_row(admin_client, estate):
    data = _staff(estate=str(estate.id))
    assert admin_client.post("/admin/staff/new", data).status_code == 303
    assert admin_client.post("/admin/staff/new", data).status_code == 303
    assert User.select().where(User.username == "newbutler").count() == 1


def test_duplicate_username_is_a_422_with_a_message(admin_client, estate, butler):
    response = admin_client.post("/admin/staff/new", _staff(username="butler", estate=str(estate.id)))
    assert response.status_code == 422
    assert "该用户名已被使用" in response.get_data(as_text=True)
    assert User.select().where(User.username == "butler").count() == 1


def test_overlong_and_empty_fields_are_refused_in_chinese(admin_client, estate):
    response = admin_client.post("/admin/staff/new", _staff(name="长" * 60, username="", estate=str(estate.id)))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "该字段是必填字段" in text and "50" in text
    assert User.select().where(User.name == "长" * 60).count() == 0


def test_admin_deactivates_and_resets_a_password(admin_client, butler, client):
    data = {"username": "butler", "name": butler.name, "phone": "", "role": "butler",
            "estate": str(butler.estate_id), "patch": str(butler.patch_id)}  # active unchecked
    assert admin_client.post(f"/admin/staff/{butler.id}", data).status_code == 303
    assert User.get_by_id(butler.id).active is False
    assert client.login("butler").status_code == 401
    data["active"] = "y"
    admin_client.post(f"/admin/staff/{butler.id}", data)
    page = admin_client.post(f"/admin/staff/{butler.id}/reset-password").get_data(as_text=True)
    new_password = page.split('class="big mono">')[1].split("<")[0]
    assert client.login("butler", factories.PASSWORD).status_code == 401
    assert client.login("butler", new_password).status_code == 303


def test_admin_cannot_lock_himself_out(admin_client, admin):
    data = {"username": "admin", "name": admin.name, "phone": "", "role": "butler", "estate": str(admin.estate_id),
            "patch": "0", "active": "y"}
    response = admin_client.post(f"/admin/staff/{admin.id}", data)
    assert response.status_code == 422
    assert User.get_by_id(admin.id).role == "admin"


def test_admin_adds_a_building_a_unit_and_a_resident_once_each(admin_client, estate):
    key = str(uuid.uuid4())
    for _ in range(2):
        assert admin_client.post("/admin/estate/", {"name": "7", "floors": "18", "patch": "0", "client_uuid": key}).status_code == 303
    building = Building.get(Building.name == "7")
    assert Building.select().count() == 1
    unit_data = {"unit-number": "1801", "unit-floor": "18", "unit-kind": "home", "unit-status": "vacant",
                 "unit-client_uuid": str(uuid.uuid4())}
    for _ in range(2):
        assert admin_client.post(f"/admin/estate/buildings/{building.id}/units", unit_data).status_code == 303
    unit = Unit.get(Unit.code == "7-1801")
    assert Unit.select().count() == 1
    resident_data = {"name": "林芳", "phone": "13700002222", "relation": "owner", "client_uuid": str(uuid.uuid4())}
    for _ in range(2):
        assert admin_client.post(f"/admin/estate/units/{unit.id}/residents", resident_data).status_code == 303
    assert Resident.select().count() == 1
    assert Resident.get().phone_tail == "2222"


def test_a_duplicate_unit_number_is_refused(admin_client, estate):
    building = factories.make_building(estate, "5")
    factories.make_unit(building, "101")
    response = admin_client.post(f"/admin/estate/buildings/{building.id}/units",
                                 {"unit-number": "101", "unit-floor": "1", "unit-kind": "home", "unit-status": "vacant"})
    assert response.status_code == 422
    assert "该房号已存在" in response.get_data(as_text=True)


def test_staff_list_shows_only_the_admins_estate(admin_client, estate, other_estate):
    factories.make_user(other_estate, username="outsider", name="外人")
    factories.make_user(estate, username="insider", name="自己人")
    text = admin_client.get("/admin/staff/").get_data(as_text=True)
    assert "自己人" in text and "外人" not in text


# One estate's admin runs one estate; only a company administrator names another. ------------

def _company_admin(app, estate):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "boss", "--name", "总部", "--role", "company_admin", "--estate",
                                 estate.code, "--password", factories.PASSWORD])
    assert result.exit_code == 0, result.output
    user = User.get(User.username == "boss")
    assert user.role == "admin" and user.company_wide
    return user


def test_an_estate_admin_cannot_create_staff_in_another_estate(admin_client, estate, other_estate, client):
    form = admin_client.get("/admin/staff/new").get_data(as_text=True)
    assert 'name="estate"' not in form and "别家小区" not in form
    refused = admin_client.post("/admin/staff/new", _staff(username="mole", role="admin", estate=str(other_estate.id)))
    assert refused.status_code == 403
    assert not User.select().where(User.username == "mole").exists()
    # Without the field the account is made in the admin's own estate.
    assert admin_client.post("/admin/staff/new", _staff(username="mole")).status_code == 303
    assert User.get(User.username == "mole").estate_id == estate.id


def test_an_estate_admin_cannot_move_staff_to_another_estate(admin_client, butler, other_estate):
    data = {"username": "butler", "name": butler.name, "phone": "", "role": "admin", "estate": str(other_estate.id),
            "patch": "0", "active": "y"}
    assert admin_client.post(f"/admin/staff/{butler.id}", data).status_code == 403
    moved = User.get_by_id(butler.id)
    assert moved.estate_id == butler.estate_id and moved.role == "butler"


def test_the_escalation_reproduction_no_longer_reads_the_other_estates_cases(admin_client, other_estate, client):
    building = factories.make_building(other_estate, "9")
    unit = factories.make_unit(building, "901")
    case = factories.make_case(unit, factories.make_user(other_estate, username="theirs"))
    admin_client.post("/admin/staff/new", _staff(username="mole", role="admin", estate=str(other_estate.id)))
    assert client.login("mole", "first-password").status_code == 401  # no such account
    assert admin_client.get(f"/cases/{case.id}").status_code == 404


def test_a_patch_of_another_estate_is_refused_next_to_the_field(admin_client, butler, other_estate):
    foreign = factories.make_patch(other_estate, "外区")
    response = admin_client.post("/admin/staff/new", _staff(username="mole", patch=str(foreign.id)))
    assert response.status_code == 422 and 'id="patch-error"' in response.get_data(as_text=True)
    assert not User.select().where(User.username == "mole").exists()
    data = {"username": "butler", "name": butler.name, "phone": "", "role": "butler", "patch": str(foreign.id),
            "active": "y"}
    assert admin_client.post(f"/admin/staff/{butler.id}", data).status_code == 422
    assert User.get_by_id(butler.id).patch_id == butler.patch_id


def test_an_estate_admin_cannot_take_over_a_company_admin(app, admin_client, estate):
    boss = _company_admin(app, estate)
    assert "总部" in admin_client.get("/admin/staff/").get_data(as_text=True)
    assert admin_client.get(f"/admin/staff/{boss.id}").status_code == 403
    assert admin_client.post(f"/admin/staff/{boss.id}/reset-password").status_code == 403
    data = {"username": "boss", "name": "总部", "phone": "", "role": "butler", "patch": "0", "active": "y"}
    assert admin_client.post(f"/admin/staff/{boss.id}", data).status_code == 403
    assert User.get_by_id(boss.id).password_hash == boss.password_hash and User.get_by_id(boss.id).role == "admin"


def test_a_company_admin_places_staff_in_any_estate(app, client, estate, other_estate):
    _company_admin(app, estate)
    assert client.login("boss").status_code == 303
    form = client.get("/admin/staff/new").get_data(as_text=True)
    assert 'name="estate"' in form and "别家小区" in form
    there = factories.make_patch(other_estate, "外区")
    here = factories.make_patch(estate, "本区")
    mixed = client.post("/admin/staff/new", _staff(estate=str(other_estate.id), patch=str(here.id)))
    assert mixed.status_code == 422 and "请选择本小区的片区" in mixed.get_data(as_text=True)  # one estate's patch
    ok = client.post("/admin/staff/new", _staff(estate=str(other_estate.id), patch=str(there.id)))
    assert ok.status_code == 303
    made = User.get(User.username == "newbutler")
    assert made.estate_id == other_estate.id and made.patch_id == there.id and not made.company_wide
    listing = client.get("/admin/staff/").get_data(as_text=True)
    assert "别家小区" in listing and "新管家" in listing and "公司管理员" in listing
    assert client.get(f"/admin/staff/{made.id}").status_code == 200
