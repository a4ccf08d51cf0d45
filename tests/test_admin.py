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
