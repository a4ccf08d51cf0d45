"""A complaint about a repair (针对工单): the link, its form, both pages and timelines."""
import uuid
from datetime import datetime

import pytest

from bluebird import clock
from bluebird.cases.models import Case
from bluebird.timeline.models import Event
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai


@pytest.fixture
def repair(estate, butler, receptionist):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    resident = factories.make_resident(unit, "张伟", "13912345678")
    clock.set_now(T0)
    return factories.make_case(unit, receptionist, contact_name="张伟", contact_phone="13912345678",
                               resident=resident, created_at=T0)


def _complaint(client, **extra):
    data = {"kind": "complaint", "unit_code": "3-1502", "source": "phone", "target": "service",
            "promised_on": "2026-11-25", "description": "维修后仍然漏水", "client_uuid": str(uuid.uuid4())}
    data.update(extra)
    return client.post("/cases/new", data)


def _complaints():
    return list(Case.select().where(Case.kind == "complaint"))


def test_complain_about_this_repair_opens_the_form_filled_and_links_both_pages(reception_client, repair):
    page = reception_client.get(f"/cases/{repair.id}").get_data(as_text=True)
    assert "投诉此工单" in page and f"/cases/new?kind=complaint&amp;about={repair.id}" in page
    assert "本工单暂无投诉" in page
    form = reception_client.get(f"/cases/new?kind=complaint&about={repair.id}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'value="3-1502"' in html and 'value="张伟"' in html and f'value="{repair.number}"' in html
    assert _complaint(reception_client, about_code=repair.number, contact_name="张伟").status_code == 303
    (complaint,) = _complaints()
    assert complaint.about_case_id == repair.id and complaint.resident_id == repair.resident_id
    shown = reception_client.get(f"/cases/{complaint.id}").get_data(as_text=True)
    assert f'<dt>针对工单</dt><dd id="about-repair"><a href="/cases/{repair.id}" aria-label="针对工单 {repair.number}">' \
        f'{repair.number}</a>' in shown
    assert f"已登记，针对报修 {repair.number}" in shown
    back = reception_client.get(f"/cases/{repair.id}").get_data(as_text=True)
    assert complaint.number in back and f'href="/cases/{complaint.id}"' in back
    assert f"业主投诉了此报修：{complaint.number}" in back
    assert [e.verb for e in Event.for_subject(repair.subject)] == ["complained_about"]
    assert "about_repair" in [e.verb for e in Event.for_subject(complaint.subject)]


def test_a_typed_number_links_and_lower_case_or_bare_digits_work(reception_client, repair):
    assert _complaint(reception_client, about_code=f" bx{repair.id:06d} ").status_code == 303
    assert _complaints()[0].about_case_id == repair.id


def test_an_unknown_number_or_another_estates_repair_is_refused_next_to_the_field(
        reception_client, repair, other_estate):
    stranger = factories.make_user(other_estate, role="butler", username="stranger")
    far = factories.make_unit(factories.make_building(other_estate, "9"), "901")
    foreign = factories.make_case(far, stranger)
    not_a_repair = factories.make_case(repair.unit, repair.registrar, kind="inquiry")
    for number in (foreign.number, "BX999999", not_a_repair.number, "TS000001x"):
        response = _complaint(reception_client, about_code=number)
        assert response.status_code == 422, number
        html = response.get_data(as_text=True)
        assert "本小区没有报修工单" in html and 'id="about_code-error"' in html
    assert _complaints() == []
    assert Event.for_subject(foreign.subject).count() == 0


def test_the_prefilled_form_is_404_for_another_estates_repair_or_a_complaint(reception_client, repair, other_estate):
    stranger = factories.make_user(other_estate, role="butler", username="stranger")
    foreign = factories.make_case(factories.make_unit(factories.make_building(other_estate, "9"), "901"), stranger)
    assert reception_client.get(f"/cases/new?kind=complaint&about={foreign.id}").status_code == 404
    inquiry = factories.make_case(repair.unit, repair.registrar, kind="inquiry")
    assert reception_client.get(f"/cases/new?kind=complaint&about={inquiry.id}").status_code == 404
    assert reception_client.get(f"/cases/new?kind=repair&about={repair.id}").status_code == 404


def test_a_complaint_without_a_number_is_about_nothing(reception_client, repair):
    assert _complaint(reception_client).status_code == 303
    assert _complaints()[0].about_case_id is None
    assert "针对工单" not in reception_client.get(f"/cases/{_complaints()[0].id}").get_data(as_text=True)


def test_a_replayed_linked_complaint_creates_one_complaint_and_one_line_each(reception_client, repair):
    data = {"about_code": repair.number, "client_uuid": str(uuid.uuid4())}
    assert _complaint(reception_client, **data).status_code == 303
    assert _complaint(reception_client, **data).status_code == 303
    assert len(_complaints()) == 1
    assert [e.verb for e in Event.for_subject(repair.subject)] == ["complained_about"]


def test_only_the_roles_that_register_see_the_action(tech_client, repair, technician):
    Case.update(assignee=technician.id).where(Case.id == repair.id).execute()
    page = tech_client.get(f"/cases/{repair.id}").get_data(as_text=True)
    assert "投诉此工单" not in page
    assert tech_client.get(f"/cases/new?kind=complaint&about={repair.id}").status_code == 403


def test_the_complaint_summary_counts_complaints_about_a_repair(manager_client, repair, receptionist):
    from bluebird.reports import complaints

    factories.make_case(repair.unit, receptionist, kind="complaint", about_case=repair.id, created_at=T0)
    factories.make_case(repair.unit, receptionist, kind="complaint", created_at=T0)
    data = complaints.summary(repair.estate_id, datetime(2026, 11, 1), datetime(2026, 12, 1), "Asia/Shanghai")
    assert data["total"] == 2 and data["about_repair"] == 1
