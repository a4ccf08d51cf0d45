"""An admin sets the estate's clocks, complaint routing and paid-service prices."""
from decimal import Decimal

from bluebird.cases import clocks
from bluebird.cases.models import PriceItem
from bluebird.estate.models import Estate
from tests import factories


def test_admin_overrides_a_clock_and_the_next_repair_uses_it(admin_client, estate):
    response = admin_client.post("/admin/settings/clocks", {clocks.ARRIVE: "30", clocks.NOTIFY_OWNER: ""})
    assert response.status_code == 303
    assert Estate.get_by_id(estate.id).setting("clocks") == {clocks.ARRIVE: 30}
    page = admin_client.get("/admin/settings/").get_data(as_text=True)
    assert 'value="30"' in page and "到场" in page


def test_a_bad_clock_value_is_refused_with_a_message(admin_client, estate):
    response = admin_client.post("/admin/settings/clocks", {clocks.ARRIVE: "soon"})
    assert response.status_code == 422
    assert "0 到 43200" in response.get_data(as_text=True)
    assert Estate.get_by_id(estate.id).setting("clocks") is None


def test_routing_accepts_only_supervisors_of_the_estate(admin_client, estate, other_estate, manager):
    outsider = factories.make_user(other_estate, role="manager")
    refused = admin_client.post("/admin/settings/routing", {"construction": str(manager.id), "design": str(outsider.id)})
    assert refused.status_code == 404  # another estate's id refuses the whole form
    assert not Estate.get_by_id(estate.id).setting("complaint_routing")
    admin_client.post("/admin/settings/routing", {"construction": str(manager.id), "design": ""})
    assert Estate.get_by_id(estate.id).setting("complaint_routing") == {"construction": manager.id}


def test_price_list_add_change_and_withdraw(admin_client, estate):
    admin_client.post("/admin/settings/prices", {"name": "疏通下水道", "price": "50"})
    admin_client.post("/admin/settings/prices", {"name": "疏通下水道", "price": "60.5"})
    item = PriceItem.get()
    assert PriceItem.select().count() == 1 and item.price == Decimal("60.50")
    bad = admin_client.post("/admin/settings/prices", {"name": "", "price": "-1"})
    assert bad.status_code == 422
    admin_client.post(f"/admin/settings/prices/{item.id}/toggle")
    assert PriceItem.get_by_id(item.id).active is False
    assert list(PriceItem.offered(estate.id)) == []


def test_butlers_cannot_change_settings(butler_client):
    assert butler_client.get("/admin/settings/").status_code == 403
    assert butler_client.post("/admin/settings/clocks", {clocks.ARRIVE: "1"}).status_code == 403


def test_a_paid_repair_takes_its_price_from_the_list(reception_client, estate, butler, receptionist):
    building = factories.make_building(estate, "3", patch=butler.patch)
    factories.make_unit(building, "1502")
    item = PriceItem.create(estate=estate, name="更换水龙头", price="80.00")
    reception_client.post("/cases/new", {"kind": "repair", "unit_code": "3-1502", "source": "phone", "scope": "household",
                                         "trade": "water", "work_type": "materials", "paid": "y",
                                         "price_item": str(item.id), "description": "换龙头"})
    from bluebird.cases.models import Case

    case = Case.get()
    assert case.paid and case.price_item_id == item.id and case.price == Decimal("80")
