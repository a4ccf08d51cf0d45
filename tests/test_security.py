"""Every protected route needs a login; no route reaches another estate; CSRF holds."""
import re

import pytest

from tests import factories

PUBLIC = {"auth.login", "auth.logout", "auth.choose_language", "shell.healthz", "shell.manifest",
          "shell.service_worker", "shell.offline", "static"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        yield rule


PART = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _fill(rule, ids):
    """A concrete URL for a rule: ids for ints, the first option of any(), 'x' otherwise."""

    def value(match):
        converter, options, arg = match.groups()
        if converter == "int":
            return str(ids.get(arg, 1))
        if converter == "any":
            return options.split(",")[0].strip().strip("'\"")
        return str(ids.get(arg, "x"))

    return PART.sub(value, rule.rule)


def test_every_protected_route_needs_login(app, client):
    checked = 0
    for rule in _routes(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            url = _fill(rule, {})
            response = client.get(url) if method == "GET" else client.post(url)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert "/login" in response.headers["Location"]
            checked += 1
    assert checked >= 15


@pytest.fixture
def foreign(other_estate):
    """One row of every kind in another estate."""
    patch = factories.make_patch(other_estate)
    building = factories.make_building(other_estate, "9", patch=patch)
    unit = factories.make_unit(building, "901")
    resident = factories.make_resident(unit)
    user = factories.make_user(other_estate, role="butler", username="stranger")
    duty = factories.make_duty(user)
    case = factories.make_case(unit, user)
    photo = factories.make_attachment(case.subject, user)
    from bluebird.cases.models import PriceItem

    item = PriceItem.create(estate=other_estate, name="疏通下水道", price="50.00")
    round_ = factories.make_round(other_estate, user, "quality")
    permit = factories.make_permit(unit, user)
    note = factories.make_notification(user)
    desk = {"call_id": factories.make_call(user, unit=unit).id, "visitor_id": factories.make_visitor(user).id,
            "message_id": factories.make_message(user, user).id, "parcel_id": factories.make_parcel(unit, user).id,
            "key_id": factories.make_key(other_estate, user, unit=unit).id,
            "handover_id": factories.make_handover(user).id}
    return {**desk, "building_id": building.id, "unit_id": unit.id, "resident_id": resident.id,
            "user_id": user.id, "duty_id": duty.id, "patch_id": patch.id, "case_id": case.id,
            "token": photo.token, "item_id": item.id, "round_id": round_.id, "template_id": round_.template_id,
            "permit_id": permit.id, "notification_id": note.id}


def test_every_object_route_is_404_for_another_estates_ids(app, admin_client, foreign):
    checked = 0
    for rule in _routes(app):
        object_args = [a for a in rule.arguments if f"<int:{a}>" in rule.rule or a == "token"]
        if not object_args:
            continue
        for arg in object_args:
            assert arg in foreign, f"add a foreign row for {arg} ({rule.rule}) to this test"
        url = _fill(rule, foreign)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = admin_client.get(url) if method == "GET" else admin_client.post(url, {})
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= 6


def test_a_post_without_csrf_token_is_refused(butler_client, estate):
    b = factories.make_building(estate, "3")
    unit = factories.make_unit(b, "1502", status="vacant")
    response = butler_client.post(f"/estate/units/{unit.id}/status", {"status": "occupied"}, csrf=False)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    unit = type(unit).get_by_id(unit.id)
    assert unit.status == "vacant"


def test_the_csrf_token_travels_in_hx_headers(butler_client):
    page = butler_client.get("/agenda").get_data(as_text=True)
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", page)


def test_security_headers_and_strict_csp(butler_client):
    response = butler_client.get("/agenda")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert "<script>" not in page and " style=" not in page and "onclick" not in page


def test_htmx_is_configured_without_eval(butler_client):
    page = butler_client.get("/agenda").get_data(as_text=True)
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page


def test_non_admins_cannot_reach_administration(butler_client):
    assert butler_client.get("/admin/staff/").status_code == 403
    assert butler_client.get("/admin/estate/").status_code == 403
