"""Which roles may open which page: one table, walked over the whole URL map.

Every GET route must be in PAGES; a new route without a row fails. A role in a row must
get its page (200, or a redirect that is not to the login); every other role gets 403.
Object pages are opened with the home estate's own rows (another estate's answer 404:
tests/test_security.py).
"""
import pytest

from bluebird import clock
from tests import factories
from tests.fixtures.app import Client
from tests.test_security import PUBLIC, _fill

BUTLER, RECEPTION, INSPECTOR, TECHNICIAN, MANAGER, ADMIN = (
    "butler", "reception", "inspector", "technician", "manager", "admin")
ROLES = (BUTLER, RECEPTION, INSPECTOR, TECHNICIAN, MANAGER, ADMIN)
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
}


def _rows(app, estate):
    """One row of every kind in the home estate, and a user of every role."""
    patch = factories.make_patch(estate, "一区")
    users = {role: factories.make_user(estate, role=role, username=f"role-{role}",
                                       patch=patch if role == BUTLER else None) for role in ROLES}
    building = factories.make_building(estate, "3", patch=patch)
    unit = factories.make_unit(building, "1502")
    resident = factories.make_resident(unit)
    desk = users[RECEPTION]
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
            "handover_id": factories.make_handover(desk).id, "scan_token": _signed(app, checkpoint)}
    return rows, users


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
    pages = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in PUBLIC}
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
        if rule.endpoint in PUBLIC or "GET" not in rule.methods:
            continue
        got = _opened(client, rule, rows, users[role])
        if got not in _expected(rule.endpoint, role):
            wrong.append(f"{rule.endpoint} ({rule.rule}): {got}, table says {sorted(_expected(rule.endpoint, role))}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
