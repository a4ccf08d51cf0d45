"""Which roles may open which page: one table, walked over the whole URL map.

Every GET route must be in PAGES; a new route without a row fails. A role in a row must
get its page (200, or a redirect that is not to the login); every other role gets 403.
Object pages are opened with the home estate's own rows (another estate's answer 404:
tests/test_security.py).
"""
from datetime import timedelta

import pytest

from bluebird import clock
from tests import factories
from tests.fixtures.app import Client
from tests.test_security import PUBLIC, _fill

BUTLER, RECEPTION, INSPECTOR, TECHNICIAN, MANAGER, ADMIN = (
    "butler", "reception", "inspector", "technician", "manager", "admin")
ROLES = (BUTLER, RECEPTION, INSPECTOR, TECHNICIAN, MANAGER, ADMIN)
ANONYMOUS = "anonymous"
EVERYONE = set(ROLES)
DESK = {RECEPTION, MANAGER, ADMIN}
OFFICE = {MANAGER, ADMIN}
FIELD_AND_DESK = {BUTLER, RECEPTION, MANAGER, ADMIN}

ALL_BUT_TECH = EVERYONE - {TECHNICIAN}

# endpoint -> the roles that may open it (GET), or {role: status} where a page answers
# otherwise by design. Any other role gets 403 (404 where the row is someone else's).
PAGES = {
    "shell.home": EVERYONE,
    "shell.dashboard": OFFICE,  # the supervisors' board of who holds what overdue
    # One row of that board; opened bare (no ?user= or ?role=) it has no row to show.
    "shell.overdue": {role: 404 if role in OFFICE else 403 for role in ROLES},
    "shell.more": EVERYONE,  # 更多: what the phone tab bar has no room for
    "shell.outbox": EVERYONE,  # 待上传: this device's outbox (drawn from IndexedDB)
    "auth.me": EVERYONE,
    "duties.agenda": EVERYONE,
    "notify.index": EVERYONE,
    "notify.bell": EVERYONE,
    "notify.open_note": EVERYONE,  # one's own notices (another's: 404)
    "notify.settings": EVERYONE,
    "notify.push_config": EVERYONE,
    "notify.wecom_robots": OFFICE,
    "notify.wecom_app_settings": {ADMIN},  # 设置 › 企业微信: the app's secret is the admin's
    "cases.index": EVERYONE,
    "cases.contacts": EVERYONE,
    "cases.new": EVERYONE - {TECHNICIAN},  # a technician reports through his repairs
    "cases.show": EVERYONE,
    "photos.show": EVERYONE,
    "estate.index": EVERYONE,
    "estate.search": EVERYONE,
    "estate.building": EVERYONE,
    "estate.unit": EVERYONE,
    "estate.resident": EVERYONE,
    "rounds.index": EVERYONE,
    "rounds.quality": EVERYONE,
    "rounds.show": EVERYONE,
    "rounds.timeline": EVERYONE,
    # A scanned checkpoint stamps the butler's patrol; anyone else is told there is none.
    "rounds.scan": {BUTLER: 303, RECEPTION: 409, INSPECTOR: 409, TECHNICIAN: 409, MANAGER: 409, ADMIN: 409},
    "renovations.index": ALL_BUT_TECH,
    "renovations.show": ALL_BUT_TECH,
    "renovations.new": FIELD_AND_DESK,
    "frontdesk.desk": DESK,
    "frontdesk.feed": DESK,
    "frontdesk.open_items": DESK,
    "frontdesk.calls": DESK,
    "frontdesk.call": DESK,
    "frontdesk.call_new": DESK,
    "frontdesk.call_correct": DESK,
    "frontdesk.messages": EVERYONE,  # the messages left for me
    "frontdesk.message": DESK | {BUTLER},  # the desk, and the colleague it is for
    "frontdesk.message_new": DESK,
    "frontdesk.visitors": DESK,
    "frontdesk.visitor": DESK,
    "frontdesk.visitor_new": DESK,
    "frontdesk.visitor_recognise": DESK,
    "frontdesk.parcels": DESK,
    "frontdesk.parcel": DESK | {BUTLER},  # the patch butler tells the resident
    "frontdesk.keys_index": DESK,
    "frontdesk.key": EVERYONE,  # a borrower sees his loan; only the desk lends and takes back
    "frontdesk.key_new": DESK,
    "frontdesk.handover_page": DESK,
    "frontdesk.handover_show": DESK,
    "frontdesk.log_day": DESK,
    "frontdesk.log_export": DESK,
    "frontdesk.search": DESK,
    "frontdesk.units": DESK,
    "frontdesk.settings": OFFICE,
    "settings.index": OFFICE,
    "rounds_admin.index": OFFICE,
    "rounds_admin.edit": OFFICE,
    "rounds_admin.print_sheet": OFFICE,
    "staff.index": {ADMIN},
    "staff.new": {ADMIN},
    "staff.edit": {ADMIN},
    "estate_admin.index": {ADMIN},
    "estate_admin.building": {ADMIN},
    "estate_admin.add_resident": {ADMIN},
    # The butler's ledger (工作台帐): the roles that phone residents keep it.
    "estate.resident_edit": FIELD_AND_DESK,
    "estate.move_in": FIELD_AND_DESK,
    "estate.move_out": FIELD_AND_DESK,
    "estate.move_slip": FIELD_AND_DESK,
    "estate.key_accounts": FIELD_AND_DESK,
    "estate_admin.import_residents": {ADMIN},
    "frontdesk.release_index": DESK,
    "frontdesk.release_slip": DESK,
    "survey.index": FIELD_AND_DESK,  # the links waiting for an owner's answer (a butler's: his patch)
    "survey.invitation": FIELD_AND_DESK,  # one household's QR code and WeChat text
    "survey.answers": OFFICE,  # individual answers: supervisors only (000 §6)
    "survey.answer": OFFICE,
    "survey.statistics": OFFICE,
    # The owner's survey page: no login, its token is the only key (anybody holding it).
    "survey_public.form": {**{role: 200 for role in ROLES}, ANONYMOUS: 200},
    "visits.index": FIELD_AND_DESK - {RECEPTION},  # the butler's households; supervisors per patch
    "visits.new": FIELD_AND_DESK - {RECEPTION},
    "visits.show": FIELD_AND_DESK - {RECEPTION},
    "visits.plan": FIELD_AND_DESK - {RECEPTION},
    "visits.site_calls": FIELD_AND_DESK - {RECEPTION},
    "visits.settings": OFFICE,
    "visits.meetings": FIELD_AND_DESK - {RECEPTION},
    "visits.meeting": FIELD_AND_DESK - {RECEPTION},
    # Reports (报表): the estate's supervisors and admins only.
    "reports.index": OFFICE,
    "reports.tables": OFFICE,
    "reports.tables_xlsx": OFFICE,
    "reports.house_table": OFFICE,
    "reports.house_xlsx": OFFICE,
    "reports.complaints": OFFICE,
    "reports.complaints_xlsx": OFFICE,
    "reports.filed": OFFICE,
    "reports.filed_xlsx": OFFICE,
    "reports.digest": OFFICE,
    "reports.problem_sites": OFFICE,
    "reports.sites_xlsx": OFFICE,
    "cases.export": EVERYONE - {TECHNICIAN},  # the filtered case list as Excel (phones masked for the inspector)
    # 绩效: my own month for everyone; another's sheet (user_id is the butler's) for him and the supervisors.
    "assessment.mine": EVERYONE,
    "assessment.sheet": {BUTLER, MANAGER, ADMIN},
    "assessment.trend": {BUTLER, MANAGER, ADMIN},
    "assessment.print_sheet": {BUTLER, MANAGER, ADMIN},
    "assessment.export": {BUTLER, MANAGER, ADMIN},
    "assessment.card": {BUTLER, MANAGER, ADMIN},  # the 8-item scorecard and 德勤能绩: read by him, filled in by them
    # The duty an item comes from (the butler's): his and the supervisors'; anyone else is told none.
    "assessment.duty_evidence": {role: 200 if role in (BUTLER, MANAGER, ADMIN) else 404 for role in ROLES},
    "assessment.overview": OFFICE,
    "assessment.year_view": OFFICE,
    "assessment.settings": OFFICE,
}
# Public pages in the table: opened without a login too, with the status PAGES gives ANONYMOUS.
PUBLIC_IN_TABLE = {"survey_public.form"}


def _rows(app, estate):
    """One row of every kind in the home estate, and a user of every role."""
    patch = factories.make_patch(estate, "一区")
    users = {role: factories.make_user(estate, role=role, username=f"role-{role}",
                                       patch=patch if role == BUTLER else None) for role in ROLES}
    building = factories.make_building(estate, "3", patch=patch)
    unit = factories.make_unit(building, "1502")
    resident = factories.make_resident(unit)
    desk = users[RECEPTION]
    move = factories.make_move(factories.make_resident(unit, name="李四", phone="13800002222"), users[BUTLER])
    case = factories.make_case(unit, desk, assignee=users[TECHNICIAN])
    photo = factories.make_attachment(case.subject, desk)
    with app.app_context():
        from bluebird.photos.service import storage

        for key in (photo.display_key, photo.thumb_key):
            if not storage().path_for(key).exists():  # the factory's fixed keys, written once
                storage().put(key, b"\xff\xd8\xff\xd9", "image/jpeg")
    round_ = factories.make_round(estate, users[INSPECTOR], "quality")
    from bluebird.rounds.models import Checkpoint

    checkpoint = Checkpoint.create(estate=estate, name="北门", patch=patch, position=1)
    rows = {"building_id": building.id, "unit_id": unit.id, "resident_id": resident.id,
            "user_id": users[BUTLER].id, "case_id": case.id, "token": photo.token, "round_id": round_.id,
            "template_id": round_.template_id, "permit_id": factories.make_permit(unit, users[BUTLER]).id,
            "call_id": factories.make_call(desk, unit=unit).id, "visitor_id": factories.make_visitor(desk).id,
            "message_id": factories.make_message(desk, users[BUTLER]).id,
            "parcel_id": factories.make_parcel(unit, desk).id, "key_id": factories.make_key(estate, desk).id,
            "handover_id": factories.make_handover(desk).id, "scan_token": _signed(app, checkpoint),
            "move_id": move.id,
            "visit_id": factories.make_visit(unit, users[BUTLER]).id,
            "plan_id": factories.make_visit_plan(unit, patch).id,
            "meeting_id": factories.make_meeting(users[BUTLER], unit).id,
            "filing_id": factories.make_filing(users[MANAGER]).id,
            "duty_id": factories.make_duty(users[BUTLER]).id}
    rows.update(_survey_rows(app, unit, users))
    return rows, users


def _survey_rows(app, unit, users):
    """An answered survey link, and an open one whose token opens the public page."""
    from bluebird.survey import tokens
    from bluebird.survey.models import Answer, Invitation

    def invitation(**extra):
        return Invitation.create(estate=unit.estate_id, unit=unit, building=unit.building_id, kind="periodic",
                                 nonce=tokens.new_nonce(), expires_at=clock.now() + timedelta(days=14), **extra)

    answered = invitation(answered_at=clock.now())
    answer = Answer.create(estate=unit.estate_id, invitation=answered, unit=unit, kind="periodic")
    open_one = invitation(issued_by=users[BUTLER])
    with app.app_context():
        link = tokens.token_for(open_one)
    return {"invitation_id": open_one.id, "answer_id": answer.id, "link": link}


def _signed(app, checkpoint):
    from bluebird.rounds.checkpoints import token_for

    with app.app_context():
        return token_for(checkpoint)


def _opened(client, rule, rows, user):
    """The status a user gets for a GET of the rule, with the home estate's rows."""
    ids = dict(rows)
    if rule.endpoint == "notify.open_note":
        ids["notification_id"] = factories.make_notification(user).id  # one's own notices only
    if rule.endpoint == "rounds.scan":
        ids["token"] = rows["scan_token"]
    response = client.get(_fill(rule, ids))
    response.close()  # a photo is a file response
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return "login"
    return response.status_code


# Pages refused with 404 rather than 403 because the row is someone else's (the message is
# for the butler): the page exists for the role, this row does not.
NOT_THEIRS = {"frontdesk.message": {INSPECTOR, TECHNICIAN}}


def _expected(endpoint, role):
    wanted = PAGES[endpoint]
    if isinstance(wanted, dict):
        return {wanted[role]}
    if role in wanted:
        return {200, 302, 303}
    return {404} if role in NOT_THEIRS.get(endpoint, ()) else {403}


def test_every_page_is_in_the_table(app):
    pages = {r.endpoint for r in app.url_map.iter_rules()
             if "GET" in r.methods and (r.endpoint not in PUBLIC or r.endpoint in PUBLIC_IN_TABLE)}
    assert pages - set(PAGES) == set(), "add these pages to PAGES with the roles that may open them"
    assert set(PAGES) - pages == set(), "these pages no longer exist: remove them from PAGES"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_the_table_gives_it(app, estate, role):
    clock.set_now(None)
    rows, users = _rows(app, estate)
    client = Client(app)
    assert client.login(users[role].username).status_code == 303
    wrong = []
    for rule in app.url_map.iter_rules():
        if (rule.endpoint in PUBLIC and rule.endpoint not in PUBLIC_IN_TABLE) or "GET" not in rule.methods:
            continue
        got = _opened(client, rule, rows, users[role])
        if got not in _expected(rule.endpoint, role):
            wrong.append(f"{rule.endpoint} ({rule.rule}): {got}, table says {sorted(_expected(rule.endpoint, role))}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_the_public_pages_in_the_table_open_without_a_login(app, estate):
    clock.set_now(None)
    rows, users = _rows(app, estate)
    client = Client(app)
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC_IN_TABLE:
            continue
        got = _opened(client, rule, rows, None)
        if got != PAGES[rule.endpoint][ANONYMOUS]:
            wrong.append(f"{rule.endpoint} ({rule.rule}): {got}, table says {PAGES[rule.endpoint][ANONYMOUS]}")
    assert not wrong, "\n".join(wrong)
