"""A butler browses his patch, finds units and residents, and changes a unit's status."""
import pytest

from bluebird.estate.models import Unit
from bluebird.timeline.models import Event
from tests import factories


@pytest.fixture
def place(estate, butler):
    mine = factories.make_building(estate, "3", patch=butler.patch)
    other = factories.make_building(estate, "1")
    unit = factories.make_unit(mine, "1502", status="vacant")
    factories.make_unit(mine, "1501")
    factories.make_unit(other, "1502")
    resident = factories.make_resident(unit, name="张伟", phone="13912345678")
    return {"mine": mine, "other": other, "unit": unit, "resident": resident}


def test_butler_sees_his_patch_first(butler_client, place):
    page = butler_client.get("/estate/").get_data(as_text=True)
    assert page.index("3号楼") < page.index("1号楼")
    assert "我的片区" in page


def test_search_finds_a_unit_by_its_number(butler_client, place):
    response = butler_client.get("/estate/search?q=3-150", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3-1502" in text and "3-1501" in text and "1-1502" not in text
    assert "<html" not in text  # htmx gets only the fragment
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("query", ["张", "张伟", "5678", "345678"])
def test_search_finds_a_resident_by_name_or_phone_tail_with_the_phone_masked(butler_client, place, query):
    text = butler_client.get(f"/estate/search?q={query}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "张伟" in text
    assert "139****5678" in text and "13912345678" not in text


def test_search_without_htmx_renders_the_whole_page(butler_client, place):
    text = butler_client.get("/estate/search?q=3-1502").get_data(as_text=True)
    assert "<html" in text and "3-1502" in text


def test_search_with_no_match_says_what_to_try(butler_client, place):
    text = butler_client.get("/estate/search?q=zzz", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "没有找到" in text and "3-1502" in text


def test_unit_page_shows_residents_with_full_phone_to_a_butler(butler_client, place):
    text = butler_client.get(f"/estate/units/{place['unit'].id}").get_data(as_text=True)
    assert "3-1502" in text and "张伟" in text and "tel:13912345678" in text


def test_technician_sees_masked_phones_and_cannot_change_status(tech_client, place):
    unit = place["unit"]
    text = tech_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    assert "139****5678" in text and "13912345678" not in text
    assert tech_client.post(f"/estate/units/{unit.id}/status", {"status": "occupied"}).status_code == 403


def test_changing_a_unit_status_records_it_on_the_timeline(butler_client, butler, place):
    unit = place["unit"]
    response = butler_client.post(f"/estate/units/{unit.id}/status", {"status": "renovating", "note": "业主开工"})
    assert response.status_code == 303
    assert Unit.get_by_id(unit.id).status == "renovating"
    event = Event.get(Event.subject == f"unit:{unit.id}")
    assert event.actor_id == butler.id and event.data == {"before": "vacant", "after": "renovating", "note": "业主开工"}
    page = butler_client.get(f"/estate/units/{unit.id}").get_data(as_text=True)
    assert "空置 → 装修中" in page


def test_a_bad_status_or_overlong_note_is_a_422_with_a_message(butler_client, place):
    unit = place["unit"]
    bad = butler_client.post(f"/estate/units/{unit.id}/status", {"status": "demolished"})
    assert bad.status_code == 422
    assert 'class="error"' in bad.get_data(as_text=True)
    assert "Not a valid choice" not in bad.get_data(as_text=True)  # WTForms speaks Chinese too
    long_note = butler_client.post(f"/estate/units/{unit.id}/status", {"status": "occupied", "note": "x" * 500})
    assert long_note.status_code == 422
    assert "200" in long_note.get_data(as_text=True)  # says how long a note may be
    assert Unit.get_by_id(unit.id).status == "vacant"
    assert Event.select().count() == 0


def test_unknown_unit_is_a_404_in_chinese(butler_client):
    response = butler_client.get("/estate/units/999999")
    assert response.status_code == 404
    assert "找不到" in response.get_data(as_text=True)


def test_building_page_lists_units_by_floor(butler_client, place):
    text = butler_client.get(f"/estate/buildings/{place['mine'].id}").get_data(as_text=True)
    assert text.index(">1501<") < text.index(">1502<")  # same floor, in number order
    assert "status-vacant" in text
