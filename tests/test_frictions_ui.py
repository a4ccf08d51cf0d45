"""The server side of issue 10 §4's rough edges (the browser side is tests/browser/test_frictions_ui.py)."""
import uuid
from datetime import timedelta

from bluebird.cases.models import Case
from bluebird.duties.models import Duty
from tests import factories


def _site(estate, butler):
    unit = factories.make_unit(factories.make_building(estate, "3", patch=butler.patch), "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    return unit


def _repair(client, headers=None, **extra):
    data = {"kind": "repair", "unit_code": "3-1502", "source": "phone", "scope": "household", "trade": "water",
            "work_type": "basic", "description": "厨房水管漏水", "client_uuid": str(uuid.uuid4())}
    data.update(extra)
    return client.post("/cases/new", data, headers=headers or {})


def test_an_uploads_redirect_names_its_target_and_keeps_the_flash(butler_client, estate, butler):
    case = factories.make_case(_site(estate, butler), butler)
    answer = butler_client.post(f"/cases/{case.id}/photos", {}, headers={"X-Bluebird-Upload": "1"})
    assert answer.status_code == 400 and "X-Bluebird-Redirect" not in answer.headers  # no photo: the page
    ok = _repair(butler_client, headers={"X-Bluebird-Upload": "1"})
    assert ok.status_code == 200 and "Location" not in ok.headers
    target = ok.headers["X-Bluebird-Redirect"]
    assert ok.get_json() == {"redirect": target} and target == f"/cases/{Case.select().order_by(Case.id.desc()).get().id}"
    # Without the header a redirect stays a 303.
    assert _repair(butler_client).status_code == 303


def test_a_text_past_its_limit_is_refused_with_the_limit_not_cut(butler_client, estate, butler):
    _site(estate, butler)
    answer = _repair(butler_client, description="漏" * 20000)
    assert answer.status_code == 422
    assert "最多 2000 字（现在 20000 字）。" in answer.get_data(as_text=True)
    assert Case.select().count() == 0


def test_a_refused_boosted_form_keeps_the_pages_url_and_a_post_only_url_opens_its_page(butler_client, estate, butler):
    case = factories.make_case(_site(estate, butler), butler)
    refused = butler_client.post(f"/cases/{case.id}/comment", {"text": ""}, headers={"HX-Request": "true",
                                                                                     "HX-Boosted": "true"})
    assert refused.status_code == 422 and refused.headers["HX-Push-Url"] == "false"
    again = butler_client.get(f"/cases/{case.id}/calls")
    assert again.status_code == 303 and again.headers["Location"] == f"/cases/{case.id}"
    assert butler_client.get("/rounds/start").headers["Location"] == "/rounds/"
    assert butler_client.get("/me/password").headers["Location"] == "/me"


def test_the_overdue_list_is_for_supervisors_and_their_estate(manager_client, butler_client, estate, butler):
    case = factories.make_case(_site(estate, butler), butler)
    factories.make_duty(butler, kind="repair_callback_24h", subject=case.subject, due_in=timedelta(hours=-3))
    page = manager_client.get(f"/dashboard/overdue?user={butler.id}")
    assert page.status_code == 200 and f'href="/cases/{case.id}#log-call"' in page.get_data(as_text=True)
    assert butler_client.get(f"/dashboard/overdue?user={butler.id}").status_code == 403
    other = factories.make_user(factories.make_estate("other", "别的小区"), role="butler", username="far")
    assert manager_client.get(f"/dashboard/overdue?user={other.id}").status_code == 404
    assert manager_client.get("/dashboard/overdue?role=nobody").status_code == 404
    assert Duty.overdue_of(estate.id, assignee_id=butler.id).count() == 1
    assert Duty.overdue_of(estate.id, role="technician").count() == 0
