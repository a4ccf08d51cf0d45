"""Every protected route needs a login; no route reaches another estate; CSRF holds."""
import importlib
import pkgutil
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.core import UnboundField

from bluebird import clock
from bluebird.rounds.models import TemplateItem
from tests import factories

PUBLIC = {"auth.login", "auth.logout", "auth.choose_language", "shell.healthz", "shell.manifest",
          "shell.service_worker", "shell.offline", "shell.ping", "static",
          # The owner's survey page: its signed link is the key (tests/test_survey.py; PAGES has it for ANONYMOUS).
          "survey_public.form"}


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
    move = factories.make_move(factories.make_resident(unit, name="李四"), user)
    _sheet, entry, appeal = factories.make_assessment(user)
    desk = {"call_id": factories.make_call(user, unit=unit).id, "visitor_id": factories.make_visitor(user).id,
            "message_id": factories.make_message(user, user).id, "parcel_id": factories.make_parcel(unit, user).id,
            "key_id": factories.make_key(other_estate, user, unit=unit).id,
            "handover_id": factories.make_handover(user).id,
            "visit_id": factories.make_visit(unit, user).id, "plan_id": factories.make_visit_plan(unit, patch).id,
            "meeting_id": factories.make_meeting(user, unit).id}
    from bluebird.survey.models import Answer, Invitation

    survey = Invitation.create(estate=other_estate, unit=unit, building=building, case=case, kind="repair",
                               nonce="n", expires_at=datetime(2099, 1, 1))
    desk["invitation_id"] = survey.id
    desk["answer_id"] = Answer.create(estate=other_estate, invitation=survey, case=case, unit=unit, kind="repair").id
    return {**desk, "building_id": building.id, "unit_id": unit.id, "resident_id": resident.id,
            "user_id": user.id, "duty_id": duty.id, "patch_id": patch.id, "case_id": case.id,
            "token": photo.token, "item_id": item.id, "round_id": round_.id, "template_id": round_.template_id,
            "permit_id": permit.id, "notification_id": note.id, "move_id": move.id,
            "entry_id": entry.id, "appeal_id": appeal.id,
            "filing_id": factories.make_filing(factories.make_user(other_estate, role="manager")).id,
            "round_item_id": round_.template.items.order_by(TemplateItem.position).first().id}


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


# Form fields that name another object (an id, or a unit by its code) -------------------------
#
# Every such field, posted with another estate's object, is refused (4xx) and nothing is
# written. The fields are found by walking every WTForms form in bluebird/ (a select of
# ints, a *_id or a *_code field), plus the raw form fields read as ints in the views; a
# new one without a case below fails test_every_id_field_of_every_form_has_a_case.

FIXED_NOW = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai
LOCAL_NOW, LOCAL_LATER = "2026-11-23T10:00", "2026-11-23T12:00"


def _form_classes():
    import bluebird

    for module in pkgutil.walk_packages(bluebird.__path__, "bluebird."):
        importlib.import_module(module.name)
    seen, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("bluebird."):
            seen.append(cls)
    return seen


def _takes_an_object(name, unbound):
    ints = unbound.field_class is SelectField and unbound.kwargs.get("coerce") is int
    return ints or name.endswith("_id") or name.endswith("_code")


def _id_fields():
    found = set()
    for cls in _form_classes():
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if isinstance(unbound, UnboundField) and _takes_an_object(name, unbound):
                found.add(f"{cls.__module__.rsplit('.', 2)[-2]}.{cls.__name__}.{name}")
    # Raw request.form fields read as ids in views (no WTForms form).
    for path in Path(__file__).resolve().parent.parent.joinpath("bluebird").rglob("*.py"):
        for field in re.findall(r"request\.form\.get\(\"(\w+)\", type=int\)", path.read_text()):
            found.add(f"raw:{path.stem}.{field}")
    return found


def _uuid():
    return str(uuid.uuid4())


def _case(kind="repair", **extra):
    data = {"kind": kind, "unit_code": "3-1502", "contact_name": "张伟", "contact_phone": "", "source": "phone",
            "scope": "household", "trade": "water", "work_type": "basic", "description": "厨房水管漏水",
            "client_uuid": _uuid()}
    return "/cases/new", {**data, **extra}


def _desk_call(**extra):
    return "/desk/calls/new", {"client_uuid": _uuid(), "at": LOCAL_NOW, "unit_code": "3-1502", "contact_name": "张伟",
                               "contact_phone": "", "matter": "楼上漏水", "then": "", **extra}


def _desk_message(**extra):
    return "/desk/messages/new", {"client_uuid": _uuid(), "at": LOCAL_NOW, "contact_name": "赵女士",
                                  "contact_phone": "", "unit_code": "", "matter": "请回电", **extra}


def _staff(**extra):
    return "/admin/staff/new", {"username": "mole", "name": "内鬼", "phone": "", "role": "admin", "patch": "0",
                                "password": "first-password", "client_uuid": _uuid(), **extra}


# field -> (the client's role, a function (home, ids) -> (url, data)); `ids` are another
# estate's (to be refused) or, as a control, the home estate's (to be accepted).
FORM_CASES = {
    "auth.StaffForm.estate": ("admin", lambda h, f: _staff(estate=str(f["estate_id"]))),
    "auth.StaffForm.patch": ("admin", lambda h, f: _staff(patch=str(f["patch_id"]))),
    "estate.BuildingForm.patch": ("admin", lambda h, f: ("/admin/estate/", {"name": "8", "floors": "6",
                                                                            "patch": str(f["patch_id"]),
                                                                            "client_uuid": _uuid()})),
    "cases.CaseForm.price_item": ("butler", lambda h, f: _case(paid="y", price_item=str(f["item_id"]))),
    "cases.CaseForm.assignee": ("butler", lambda h, f: _case(assignee=str(f["user_id"]))),
    "cases.CaseForm.assignee(info)": ("butler", lambda h, f: _case("info", assignee=str(f["user_id"]))),
    "cases.CaseForm.unit_code": ("butler", lambda h, f: _case(unit_code=f["unit_code"])),
    # 针对工单: the repair a complaint is about, by its number (another estate's repair is refused).
    "cases.CaseForm.about_code": ("reception", lambda h, f: _case(
        "complaint", target="service", promised_on="2026-11-24",
        about_code=f.get("about_code") or f"BX{f['case_id']:06d}")),
    "cases.DispatchForm.assignee": ("reception", lambda h, f: (f"/cases/{h['case_id']}/dispatch",
                                                               {"assignee": str(f["user_id"]), "department": ""})),
    "frontdesk.CallForm.recipient": ("reception", lambda h, f: _desk_call(then="message",
                                                                          recipient=str(f["user_id"]))),
    "frontdesk.CallForm.unit_code": ("reception", lambda h, f: _desk_call(unit_code=f["unit_code"])),
    "frontdesk.PassOnForm.recipient": ("reception", lambda h, f: (f"/desk/calls/{h['call_id']}/pass",
                                                                  {"then": "message", "recipient": str(f["user_id"])})),
    "frontdesk.VisitorForm.unit_code": ("reception", lambda h, f: (
        "/desk/visitors/new", {"client_uuid": _uuid(), "phone": "", "name": "王五", "purpose": "探亲",
                               "unit_code": f["unit_code"], "whom": "", "in_at": LOCAL_NOW})),
    "frontdesk.MessageForm.recipient": ("reception", lambda h, f: _desk_message(recipient=str(f["user_id"]))),
    "frontdesk.MessageForm.unit_code": ("reception", lambda h, f: _desk_message(recipient=str(h["butler_id"]),
                                                                                unit_code=f["unit_code"])),
    "frontdesk.ParcelForm.unit_code": ("reception", lambda h, f: (
        "/desk/parcels", {"client_uuid": _uuid(), "unit_code": f["unit_code"], "carrier": "顺丰",
                          "tracking_tail": "8899", "addressee": "", "note": ""})),
    "frontdesk.KeyForm.unit_code": ("reception", lambda h, f: (
        "/desk/keys/new", {"client_uuid": _uuid(), "kind": "vacant", "name": "入户门", "unit_code": f["unit_code"],
                           "hook": "Z-1", "note": ""})),
    "frontdesk.LendForm.borrower_user": ("reception", lambda h, f: (
        f"/desk/keys/{h['key_id']}/lend", {"client_uuid": _uuid(), "borrower_user": str(f["user_id"]),
                                           "borrower": "", "purpose": "空置房巡查", "due_at": LOCAL_LATER})),
    "renovations.PermitForm.unit_code": ("butler", lambda h, f: (
        "/renovations/new", {"client_uuid": _uuid(), "unit_code": f["unit_code"], "applicant": "王先生",
                             "contractor": "美家装饰", "starts_on": "2026-11-24", "ends_on": "2026-12-20",
                             "hours": "08:00-18:00", "deposit": "0"})),
    "survey.StartForm.building": ("manager", lambda h, f: ("/survey/rounds", {
        "building": str(f["building_id"]), "title": "冬季满意度调查", "client_uuid": _uuid()})),
    "rounds.StartForm.permit": ("butler", lambda h, f: ("/rounds/start", {"kind": "renovation", "client_uuid": _uuid(),
                                                                          "permit": str(f["permit_id"])})),
    "rounds.StartForm.unit_code": ("butler", lambda h, f: ("/rounds/start", {"kind": "vacant", "client_uuid": _uuid(),
                                                                             "unit_code": f["unit_code"]})),
    "visits.VisitForm.unit_code": ("butler", lambda h, f: (
        "/visits/new", {"client_uuid": _uuid(), "unit_code": f["unit_code"], "way": "in_person", "met": "张伟",
                        "opinions": "", "request": "门铃坏了"})),
    "visits.FollowUpForm.unit_code": ("butler", lambda h, f: (
        f"/visits/meetings/{h['meeting_id']}/cases", {"client_uuid": _uuid(), "unit_code": f["unit_code"],
                                                      "kind": "repair", "description": "楼道灯不亮"})),
    "raw:admin.patch": ("admin", lambda h, f: ("/admin/rounds/checkpoints", {"name": "外区门岗",
                                                                              "patch": str(f["patch_id"])})),
    "raw:settings.routing": ("admin", lambda h, f: ("/admin/settings/routing", {"service": str(f["head_id"])})),
    # The item a round answer names must be the item of the URL (a double tap never answers the next one).
    "rounds.ItemForm.item_id": ("butler", lambda h, f: (
        f"/rounds/{h['round_id']}/items/{h['round_item_id']}",
        {"client_uuid": _uuid(), "result": "ok", "item_id": str(f.get("round_item_id", f["item_id"]))})),
}
# Fields whose refusal is proven by a test of their own, with a stricter case than another
# estate's id (a resident of another unit of the same estate).
PROVEN_ELSEWHERE = {
    "rounds.FinishForm.owner_id": "tests/test_movein.py::test_a_move_in_signed_by_a_registered_resident_adds_nobody",
}
# Refused with a message on the page it redirects to (303), writing nothing: rounds start.
REFUSED_BY_REDIRECT = {"rounds.StartForm.permit", "rounds.StartForm.unit_code"}


def test_every_id_field_of_every_form_has_a_case():
    covered = {name.split("(")[0] for name in FORM_CASES} | {"raw:settings.routing"} | set(PROVEN_ELSEWHERE)
    missing = _id_fields() - covered
    assert not missing, f"add a case to FORM_CASES (another estate's id must be refused) for {sorted(missing)}"
    assert len(covered) >= 20


@pytest.fixture
def home(estate, butler, receptionist, technician, manager):
    clock.set_now(FIXED_NOW)
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    from bluebird.cases.models import PriceItem

    item = PriceItem.create(estate=estate, name="开锁", price="30.00")
    permit = factories.make_permit(unit, butler)
    patrol = factories.make_round(estate, butler)
    first_item = patrol.template.items.order_by(TemplateItem.position).first()
    own = {"estate_id": estate.id, "patch_id": butler.patch_id, "item_id": item.id, "user_id": technician.id,
           "head_id": manager.id, "permit_id": permit.id, "unit_code": "3-1502", "round_item_id": first_item.id,
           "building_id": building.id}
    repair = factories.make_case(unit, receptionist)
    own["about_code"] = repair.number
    return {"round_id": patrol.id, "round_item_id": first_item.id, "case_id": repair.id,
            "call_id": factories.make_call(receptionist).id,
            "key_id": factories.make_key(estate, receptionist, unit=unit).id, "butler_id": butler.id, "own": own,
            "meeting_id": factories.make_meeting(butler, unit).id}


def _snapshot():
    """Every row of every table (but the sessions of the clients logging in)."""
    from bluebird.db import db
    from bluebird.models import ALL

    tables = {}
    for model in ALL:
        if model._meta.table_name == "login_session":
            continue
        rows = db.execute_sql(f'SELECT * FROM "{model._meta.table_name}"').fetchall()
        tables[model._meta.table_name] = sorted(map(repr, rows))
    return tables


@pytest.mark.parametrize("field", sorted(FORM_CASES))
def test_another_estates_id_in_a_form_field_is_refused_and_nothing_written(request, field, home, foreign,
                                                                           other_estate):
    role, build = FORM_CASES[field]
    client = request.getfixturevalue(f"{role}_client")
    url, data = build(home, {**foreign, "estate_id": other_estate.id, "head_id": foreign["user_id"],
                             "unit_code": "9-901"})  # 9-901 is only the other estate's
    before = _snapshot()
    response = client.post(url, data)
    if field in REFUSED_BY_REDIRECT:
        assert response.status_code == 303
    else:
        assert 400 <= response.status_code < 500, f"{field}: {url} answered {response.status_code}"
    after = _snapshot()
    changed = [t for t in before if before[t] != after[t]]
    assert not changed, f"{field}: {url} wrote to {changed}"
    # The control: the same form with the home estate's object goes through.
    url, data = build(home, home["own"])
    accepted = client.post(url, data)
    assert accepted.status_code in (200, 303), f"{field}: the control answered {accepted.status_code}"
    assert _snapshot() != after, f"{field}: the control wrote nothing, so the refusal proves nothing"


# Who may change what: permits and key loans (README, "Who may change what") -----------------

def _client_for(app, user):
    from tests.fixtures.app import Client

    c = Client(app)
    assert c.login(user.username).status_code == 303
    return c


@pytest.fixture
def permit_site(estate, butler):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502", status="handed_over")
    return factories.make_permit(unit, butler, status="applied")


PERMIT_WRITES = {
    "advance": lambda p: (f"/renovations/{p.id}/advance", {}),
    "pass": lambda p: (f"/renovations/{p.id}/passes", {"client_uuid": _uuid(), "name": "李师傅",
                                                        "id_number": "110101199001011234", "phone": "",
                                                        "valid_until": p.ends_on.isoformat()}),
    "notice": lambda p: (f"/renovations/{p.id}/notices", {"kind": "rectify", "text": "拆除违规搭建"}),
}
# role -> the writes it may make on a permit of a unit in butler's patch
PERMIT_RIGHTS = {
    "patch_butler": {"advance", "pass", "notice"},
    "other_butler": set(),
    "reception": {"pass"},
    "inspector": set(),
    "technician": set(),
    "manager": {"advance", "pass", "notice"},
    "admin": {"advance", "pass", "notice"},
}


@pytest.mark.parametrize("who", sorted(PERMIT_RIGHTS))
def test_permit_writes_need_the_patch_butler_the_desk_or_a_supervisor(app, estate, butler, permit_site, who):
    from bluebird.renovations.models import Permit, WorkerPass
    from bluebird.timeline.models import Event

    if who == "patch_butler":
        actor = butler
    elif who == "other_butler":
        actor = factories.make_user(estate, role="butler", username="b2", patch=factories.make_patch(estate, "二区"))
    else:
        actor = factories.make_user(estate, role=who, username=f"u-{who}")
    client = _client_for(app, actor)
    for action, build in PERMIT_WRITES.items():
        permit = Permit.get_by_id(permit_site.id)
        events, passes = Event.select().count(), WorkerPass.select().count()
        url, data = build(permit)
        response = client.post(url, data)
        if action in PERMIT_RIGHTS[who]:
            assert response.status_code == 303, f"{who} {action}: {response.status_code}"
            assert Event.select().count() > events
        else:
            assert response.status_code == 403, f"{who} {action}: {response.status_code}"
            assert Event.select().count() == events and WorkerPass.select().count() == passes
            assert Permit.get_by_id(permit.id).status == permit.status
    page = client.get(f"/renovations/{permit_site.id}")
    if who != "technician":
        text = page.get_data(as_text=True)
        assert ("/notices" in text) == ("notice" in PERMIT_RIGHTS[who])
        assert ("/passes" in text) == ("pass" in PERMIT_RIGHTS[who])


def test_a_key_goes_out_and_comes_back_only_at_the_desk(app, estate, butler, reception_client, manager_client,
                                                       tech_client):
    from bluebird.frontdesk.models import KeyLoan

    clock.set_now(FIXED_NOW)
    key = factories.make_key(estate, butler, unit=None)
    lend = {"client_uuid": _uuid(), "borrower_user": str(butler.id), "borrower": "", "purpose": "空置房巡查",
            "due_at": LOCAL_LATER}
    assert tech_client.post(f"/desk/keys/{key.id}/lend", lend).status_code == 403
    assert KeyLoan.select().count() == 0
    assert reception_client.post(f"/desk/keys/{key.id}/lend", lend).status_code == 303
    # The borrower cannot sign his own return from the field: the desk takes the key back.
    borrower = _client_for(app, butler)
    assert borrower.get(f"/desk/keys/{key.id}").status_code == 200
    assert borrower.post(f"/desk/keys/{key.id}/return", {"note": "我已经还了"}).status_code == 403
    assert tech_client.post(f"/desk/keys/{key.id}/return", {"note": ""}).status_code == 403
    assert KeyLoan.get().returned_at is None
    assert manager_client.post(f"/desk/keys/{key.id}/return", {"note": "主管代收"}).status_code == 303
    assert KeyLoan.get().returned_at is not None


def test_the_key_service_refuses_a_lend_outside_the_desk(app, estate, butler):
    from bluebird.frontdesk import keys
    from bluebird.frontdesk.service import DeskError

    key = factories.make_key(estate, butler)
    with app.test_request_context(), pytest.raises(DeskError) as refused:
        keys.lend(key, butler, None, borrower="王", purpose="巡查", due_at=clock.now())
    assert refused.value.status == 403
