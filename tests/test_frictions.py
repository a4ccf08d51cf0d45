"""The rough edges a new user hit first (issue 10 §4), each through the real routes and database."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases import clocks as case_clocks
from bluebird.cases.models import Case
from bluebird.duties.models import Duty
from bluebird.duties.scheduler import tick
from bluebird.estate import models as estate_models
from bluebird.estate.models import Patch
from bluebird.frontdesk import clocks as desk_clocks
from bluebird.frontdesk.models import Handover, PhoneCall
from bluebird.notify.models import Notification
from tests import factories
from tests.fixtures.app import Client

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
LOCAL_T0 = "2026-11-23T09:00"


def _uuid():
    return str(uuid.uuid4())


def _text(response):
    return response.get_data(as_text=True)


def _client(app, user, password=factories.PASSWORD):
    c = Client(app)
    assert c.login(user.username, password).status_code == 303
    return c


def _agenda_kinds(user):
    return {d.kind for d in Duty.open_for(User.get_by_id(user.id))}


# ---------------------------------------------------------------- 1. patches in counting order


def test_a_patch_name_gives_its_place_in_the_count():
    position = estate_models.patch_position
    assert [position(n) for n in ("一区", "二区", "三区", "十区", "十二区", "二十区", "一百零五区")] == [
        1, 2, 3, 10, 12, 20, 105]
    assert [position(n) for n in ("3区", "10区", "A区", "B区", "第2片区")] == [3, 10, 1, 2, 2]
    assert position("北区") == estate_models.UNNUMBERED


def test_patches_are_listed_as_people_count_them_in_every_dropdown(app, estate, admin_client):
    for name in ("三区", "十二区", "一区", "二区"):
        factories.make_patch(estate, name)
    assert [p.name for p in Patch.ordered(estate.id)] == ["一区", "二区", "三区", "十二区"]  # the one order
    for url in ("/admin/staff/new", "/admin/estate/", "/admin/rounds/"):
        page = _text(admin_client.get(url))
        where = [page.index(f">{name}<") for name in ("一区", "二区", "三区", "十二区")]
        assert where == sorted(where), url


def test_the_demo_checkpoints_land_in_the_patches_they_are_meant_for(app):
    from bluebird.rounds.models import Checkpoint

    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    where = {c.name: c.patch.name for c in Checkpoint.select()}
    assert where == {"北门": "一区", "1号楼大堂": "一区", "地库入口": "二区", "中心花园": "二区",
                     "垃圾站": "三区", "南门": "三区"}


def test_migration_014_numbers_the_patches_and_takes_duties_off_every_butler(app):
    from bluebird.migrate import upgrade
    from tests.old_office import BEFORE_SESSION_2, old_office

    patches = [f"INSERT INTO patch (estate_id, name) VALUES (1, '{name}')" for name in ("三区", "一区", "二区")]
    callback = ("INSERT INTO duty (estate_id, kind, subject, title, role, due_at, due_date, points, "
                "created_at) VALUES (1, 'repair_callback_24h', 'case:1', '', 'butler', "
                "'2025-01-02 08:00:00', '2025-01-02', 2, '2025-01-01 00:00:00')")
    with old_office(BEFORE_SESSION_2, *patches, callback) as old:
        upgrade()
        with old.connection_context():
            rows = old.execute_sql("SELECT name, position FROM patch ORDER BY position").fetchall()
            assert rows == [("一区", 1), ("二区", 2), ("三区", 3)]
            assert old.execute_sql("SELECT role FROM duty").fetchall() == [("manager",)]


# ---------------------------------------------------------------- 2. a patch's duties go to its butler


@pytest.fixture
def two_patches(estate, admin, manager, receptionist, technician):
    """一区 has lost its butler; 二区 has just got a new one (made on the staff page)."""
    clock.set_now(T0)
    one, two = factories.make_patch(estate, "一区"), factories.make_patch(estate, "二区")
    factories.make_user(estate, role="butler", username="gone", patch=one, active=False)
    b1, b2 = factories.make_building(estate, "1", patch=one), factories.make_building(estate, "2", patch=two)
    unit = factories.make_unit(b1, "1502")
    factories.make_unit(b2, "1502")
    return {"one": one, "two": two, "unit": unit}


def _new_staff(admin_client, estate, username, patch):
    response = admin_client.post("/admin/staff/new", {
        "client_uuid": _uuid(), "username": username, "name": f"新管家{username}", "phone": "13800001111",
        "role": "butler", "estate": str(estate.id), "patch": str(patch.id), "password": "long-password-1"})
    assert response.status_code == 303, _text(response)[:400]
    return User.get(User.username == username)


def _repair(client, **extra):
    data = {"kind": "repair", "unit_code": "1-1502", "contact_name": "张伟", "contact_phone": "13912345678",
            "source": "phone", "scope": "household", "trade": "water", "work_type": "basic", "minor": "y",
            "description": "厨房水管漏水", "client_uuid": _uuid()}
    data.update(extra)
    return client.post("/cases/new", data)


def test_the_new_butler_of_another_patch_does_not_get_a_call_back_of_a_patch_without_butler(
        app, estate, two_patches, admin_client, reception_client, manager):
    newcomer = _new_staff(admin_client, estate, "newbutler2", two_patches["two"])
    assert _repair(reception_client).status_code == 303
    case = Case.get()
    callback = Duty.get((Duty.subject == case.subject) & (Duty.kind == case_clocks.CALLBACK_24H))
    # Not on every butler's agenda: the supervisor covers 一区 until it has a butler.
    assert callback.role != "butler"
    assert case_clocks.CALLBACK_24H not in _agenda_kinds(newcomer)
    assert "24小时回访" not in _text(_client(app, newcomer, "long-password-1").get("/agenda"))
    assert case_clocks.CALLBACK_24H in _agenda_kinds(manager)

    # 一区 gets its butler: the call-back waiting for the patch is his now, not the manager's.
    butler1 = _new_staff(admin_client, estate, "newbutler1", two_patches["one"])
    assert Duty.get_by_id(callback.id).assignee_id == butler1.id
    assert case_clocks.CALLBACK_24H in _agenda_kinds(butler1)
    assert case_clocks.CALLBACK_24H not in _agenda_kinds(manager)
    assert case_clocks.CALLBACK_24H not in _agenda_kinds(newcomer)


def test_a_butler_moved_onto_a_patch_takes_its_waiting_duties_and_later_ones_are_his(
        app, estate, two_patches, admin_client, reception_client, manager):
    _repair(reception_client)
    case = Case.get()
    mover = factories.make_user(estate, role="butler", username="mover", patch=two_patches["two"])
    page = admin_client.post(f"/admin/staff/{mover.id}", {
        "username": "mover", "name": mover.name, "phone": "", "role": "butler", "estate": str(estate.id),
        "patch": str(two_patches["one"].id), "active": "y"})
    assert page.status_code == 303
    assert Duty.get((Duty.subject == case.subject) & (Duty.kind == case_clocks.CALLBACK_24H)).assignee_id == mover.id


def _edit_staff(admin_client, user, patch, active=True):
    data = {"username": user.username, "name": user.name, "phone": "", "role": "butler",
            "estate": str(user.estate_id), "patch": str(patch.id)}
    if active:
        data["active"] = "y"
    assert admin_client.post(f"/admin/staff/{user.id}", data).status_code == 303


def test_a_butler_moved_to_another_patch_leaves_his_old_patchs_call_backs_behind(
        app, estate, two_patches, admin_client, reception_client, manager):
    old_hand = factories.make_user(estate, role="butler", username="oldhand", patch=two_patches["one"])
    _repair(reception_client)
    case = Case.get()
    callback = Duty.get((Duty.subject == case.subject) & (Duty.kind == case_clocks.CALLBACK_24H))
    assert callback.assignee_id == old_hand.id
    _edit_staff(admin_client, old_hand, two_patches["two"])  # now the new butler of 二区
    assert case_clocks.CALLBACK_24H not in _agenda_kinds(old_hand)
    assert case_clocks.CALLBACK_24H in _agenda_kinds(manager)
    successor = _new_staff(admin_client, estate, "successor", two_patches["one"])
    assert Duty.get_by_id(callback.id).assignee_id == successor.id
    _edit_staff(admin_client, User.get_by_id(successor.id), two_patches["one"], active=False)  # he leaves
    assert Duty.get_by_id(callback.id).role == "manager" and Duty.get_by_id(callback.id).assignee_id is None


def test_no_duty_of_a_patch_without_butler_lands_on_every_butler(
        app, estate, two_patches, reception_client, receptionist, manager):
    from bluebird.frontdesk.models import Parcel
    from bluebird.renovations.models import Permit

    other = factories.make_user(estate, role="butler", username="other", patch=two_patches["two"])
    vacant = factories.make_unit(factories.make_building(estate, "7", patch=two_patches["one"]), "301",
                                 status="vacant")
    response = reception_client.post("/desk/parcels", {"client_uuid": _uuid(), "unit_code": "1-1502",
                                                           "carrier": "顺丰", "tracking_tail": "1234"})
    assert response.status_code == 303, _text(response)[:300]
    Permit.create(estate=estate, unit=two_patches["unit"], applicant="业主", contractor="美家装饰",
                  starts_on=T0.date() - timedelta(days=1), ends_on=T0.date() + timedelta(days=20),
                  status="in_progress", created_by=receptionist)
    tick(T0)  # Monday: the daily checks and the week's vacant-unit patrols
    made = {d.kind: d for d in Duty.select().where(Duty.kind.in_(
        [desk_clocks.TELL_PARCEL, "renovation_check", "vacant_patrol"]))}
    assert set(made) == {desk_clocks.TELL_PARCEL, "renovation_check", "vacant_patrol"}
    assert not Duty.select().where(Duty.done_at.is_null() & (Duty.role == "butler")).exists()
    assert not _agenda_kinds(other) & set(made)
    assert set(made) <= _agenda_kinds(manager)
    assert made["vacant_patrol"].subject == f"unit:{vacant.id}"
    # 一区's new butler takes all three.
    newcomer = factories.make_user(estate, role="butler", username="n1", patch=two_patches["one"])
    from bluebird.estate import coverage

    assert coverage.hand_over(newcomer) == 4  # the three, and the permit's start-of-works call (开工祝贺)
    assert set(made) <= _agenda_kinds(newcomer)
    assert {d.kind for d in Duty.select().where(Duty.assignee == newcomer.id)} == set(made) | {"reno_congrats"}
    assert Parcel.select().count() == 1


def test_a_case_in_no_patch_is_called_back_by_whoever_registered_it(app, estate, two_patches, reception_client,
                                                                    receptionist):
    assert _repair(reception_client, unit_code="", place="北门岗亭", scope="public").status_code == 303
    case = Case.get()
    callback = Duty.get((Duty.subject == case.subject) & (Duty.kind == case_clocks.CALLBACK_24H))
    assert callback.assignee_id == receptionist.id


# ---------------------------------------------------------------- 3. search by room number


def test_a_room_number_without_its_building_finds_every_such_room(estate, butler_client, butler):
    for name in ("1", "2", "10"):
        b = factories.make_building(estate, name, patch=butler.patch)
        factories.make_unit(b, "1502")
        factories.make_unit(b, "1501")
    page = _text(butler_client.get("/estate/search?q=1502"))
    found = re.findall(r'<span class="big">([^<]+)</span>', page)
    assert found == ["1-1502", "2-1502", "10-1502"]
    assert re.findall(r'<span class="big">([^<]+)</span>', _text(butler_client.get("/estate/search?q=2-15"))) == [
        "2-1501", "2-1502"]


# ---------------------------------------------------------------- 4. the demo office's two shifts


def test_the_demo_office_hands_a_shift_over_to_the_second_receptionist(app):
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    outgoing, incoming = Client(app), Client(app)
    assert outgoing.login("reception", "bluebird").status_code == 303
    assert incoming.login("reception2", "bluebird").status_code == 303
    assert outgoing.post("/desk/handover", {"client_uuid": _uuid(), "note": "对讲机正常"}).status_code == 303
    handover = Handover.get()
    assert "确认接班" not in _text(outgoing.get("/agenda"))
    assert desk_clocks.ACCEPT_HANDOVER not in _agenda_kinds(User.get(User.username == "reception"))
    assert "确认接班" in _text(incoming.get("/agenda"))
    assert incoming.post(f"/desk/handovers/{handover.id}/accept", {"note": "已清点"}).status_code == 303
    assert Handover.get_by_id(handover.id).incoming.username == "reception2"
    readme, makefile = (ROOT / "README.md").read_text(), (ROOT / "Makefile").read_text()
    assert "`reception2`" in readme and "reception reception2" in makefile


def test_the_hand_over_reminder_goes_to_the_incoming_shift_only(estate, receptionist, reception_client):
    from bluebird.notify.reminders import remind

    relief = factories.make_user(estate, role="reception", username="relief")
    clock.set_now(T0)
    assert reception_client.post("/desk/handover", {"client_uuid": _uuid(), "note": ""}).status_code == 303
    remind(T0 + timedelta(minutes=5))
    told = {n.user_id for n in Notification.select()}
    assert told == {relief.id}


# ---------------------------------------------------------------- 5. a complaint's promised date


def _call(client, **extra):
    data = {"client_uuid": _uuid(), "at": LOCAL_T0, "unit_code": "1-1502", "contact_name": "张伟",
            "contact_phone": "13912345678", "matter": "楼上装修噪音太大", "then": ""}
    data.update(extra)
    return client.post("/desk/calls/new", data)


def test_a_complaint_from_the_phone_log_needs_the_date_promised_to_the_owner(two_patches, reception_client):
    refused = _call(reception_client, then="complaint")
    assert refused.status_code == 422
    assert "请填写向业主承诺的解决日期" in _text(refused)
    assert PhoneCall.select().count() == 0 and Case.select().count() == 0  # nothing half-saved

    assert _call(reception_client).status_code == 303  # logged first, passed on later
    call = PhoneCall.get()
    later = reception_client.post(f"/desk/calls/{call.id}/pass", {"then": "complaint", "target": "other"})
    assert later.status_code == 422 and "请填写向业主承诺的解决日期" in _text(later)
    past = reception_client.post(f"/desk/calls/{call.id}/pass", {"then": "complaint", "promised_on": "2026-11-01"})
    assert past.status_code == 422 and Case.select().count() == 0
    promised = (T0.date() + timedelta(days=5)).isoformat()
    ok = reception_client.post(f"/desk/calls/{call.id}/pass", {"then": "complaint", "promised_on": promised})
    assert ok.status_code == 303
    assert Case.get().promised_on.isoformat() == promised


# ---------------------------------------------------------------- 6. languages


def test_english_chosen_on_the_login_page_sticks_after_signing_in(app, client, butler):
    client.post("/language/en", {})
    assert 'lang="en"' in _text(client.get("/login"))
    assert client.login("butler").status_code == 303
    assert User.get_by_id(butler.id).locale == "en"
    assert 'lang="en"' in _text(client.get("/me"))
    # A later login without choosing keeps the saved language.
    again = Client(app)
    assert again.login("butler").status_code == 303
    assert 'lang="en"' in _text(again.get("/me"))


def test_quality_sections_are_named_in_english_for_an_english_reader(app, estate):
    from bluebird.rounds import engine
    from bluebird.rounds.models import Round

    clock.set_now(T0)
    inspector = factories.make_user(estate, role="inspector", username="qc", locale="en")
    client = _client(app, inspector)
    started = client.post("/rounds/start", {"kind": "quality", "client_uuid": _uuid(), "place": "全小区"})
    assert started.status_code == 303
    round_ = Round.get()
    for item in engine.items_of(round_):
        client.post(f"/rounds/{round_.id}/items/{item.id}", {"result": "ok", "client_uuid": _uuid()})
    assert client.post(f"/rounds/{round_.id}/finish", {}).status_code == 303
    for url in ("/rounds/quality", f"/rounds/{round_.id}"):
        page = _text(client.get(url))
        assert "Maintenance (30)" in page and "维修（30分）" not in page, url
    assert ("维修（30分）", 30, 30) in engine.section_scores(Round.get_by_id(round_.id), "zh_CN")


def test_a_notification_title_is_shown_in_the_readers_language(app, estate, butler, butler_client):
    from bluebird.notify import service
    from bluebird.notify.reminders import remind

    clock.set_now(T0)
    for n in range(3):
        factories.make_duty(butler, kind=case_clocks.CALLBACK_24H, subject=f"case:{900 + n}",
                            due_in=timedelta(minutes=10))
    with app.app_context():  # as in the queue: translations, no request
        remind(T0)
    note = Notification.get()
    assert note.title == "3 项待办到期提醒"  # made while the butler read Chinese
    old = service.notify(butler, "旧的提醒", now=T0)  # a row from before: no message key
    assert "3 项待办到期提醒" in _text(butler_client.get("/notifications/"))
    butler_client.post("/me/language", {"locale": "en"})
    inbox = _text(butler_client.get("/notifications/"))
    assert "Duties due: 3" in inbox and "3 项待办到期提醒" not in inbox
    assert "旧的提醒" in inbox
    # A push is rendered for the recipient's language when it is sent.
    sub = service.subscribe(User.get_by_id(butler.id), "https://fcm.googleapis.com/fcm/send/x",
                            "B" + "A" * 86, "A" * 22)
    payload = json.loads(service._payload(User.get_by_id(butler.id), [Notification.get_by_id(note.id)]))
    assert payload["title"] == "Duties due: 3"
    many = json.loads(service._payload(User.get_by_id(butler.id), [Notification.get_by_id(note.id), old]))
    assert "Duties due: 3" in many["body"] and "旧的提醒" in many["body"]
    assert sub.user_id == butler.id


def test_an_escalation_title_follows_the_reader_too(app, estate, butler, manager, manager_client):
    from bluebird.duties.models import escalate_overdue
    from bluebird.notify.reminders import escalation_notices

    clock.set_now(T0)
    duty = factories.make_duty(butler, kind=case_clocks.CALLBACK_24H, due_in=timedelta(hours=-3))
    with app.app_context():
        escalation_notices(escalate_overdue(T0), T0)
    assert "超时：24小时回访" in _text(manager_client.get("/notifications/"))
    manager_client.post("/me/language", {"locale": "en"})
    assert "Overdue: 24-hour call-back" in _text(manager_client.get("/notifications/"))
    assert duty.id


def test_the_admin_is_told_a_staff_member_was_created(estate, admin_client):
    response = admin_client.post("/admin/staff/new", {
        "client_uuid": _uuid(), "username": "zhang3", "name": "张三", "phone": "", "role": "technician",
        "estate": str(estate.id), "patch": "0", "password": "long-password-1"}, follow_redirects=True)
    assert response.status_code == 200
    assert "已创建员工 张三（zhang3）" in _text(response)


# ---------------------------------------------------------------- 7. make run stops cleanly


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_run_script_stops_the_web_server_and_the_consumer_on_a_signal(signum):
    tmp = tempfile.mkdtemp(prefix="bluebird-run-")
    port = _free_port()
    env = dict(os.environ, BLUEBIRD_INSTANCE_PATH=tmp, BLUEBIRD_DATABASE_URL=f"sqlite:///{tmp}/bb.db",
               BLUEBIRD_QUEUE_URL="", PYTHONUNBUFFERED="1")
    env.pop("BLUEBIRD_TEST_DATABASE_URL", None)
    with open(Path(tmp) / "out.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "tools/run.py", "--port", str(port), "--grace", "5"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        up = False
        while time.monotonic() < deadline and not up:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1):
                    up = True
            except OSError:
                time.sleep(0.2)
        assert up, Path(tmp, "out.log").read_text()
        pids = [int(p) for p in re.search(r"consumer pid (\d+), web pid (\d+)",
                                          Path(tmp, "out.log").read_text()).groups()]
        proc.send_signal(signum)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    output = Path(tmp, "out.log").read_text()
    assert not any(_alive(pid) for pid in pids), output
    assert "Segmentation fault" not in output and "Traceback" not in output and "Error" not in output, output
    assert "run: stopped" in output
    recipe = (ROOT / "Makefile").read_text()
    assert "tools/run.py" in recipe and "kill 0" not in recipe


# ---------------------------------------------------------------- 8. the project's own docs


def test_the_readme_and_docs_link_only_to_files_the_repository_has():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert {p.name for p in docs} >= {"README.md", "architecture.md", "domain.md"}
    for path in docs:
        text = path.read_text()
        assert "../shared" not in text and "shared/DESIGN" not in text and "shared/DOMAIN" not in text, path
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (path.parent / target).exists(), f"{path.name} links {target}"
    readme = (ROOT / "README.md").read_text()
    assert "docs/architecture.md" in readme and "docs/domain.md" in readme


def test_a_butler_deactivated_mid_day_hands_todays_patrol_of_his_patch_on(
        app, estate, two_patches, admin_client, manager):
    leaving = factories.make_user(estate, role="butler", username="leaving", patch=two_patches["one"])
    tick(T0)
    patrol = Duty.get((Duty.kind == "daily_patrol") & (Duty.subject == f"patch:{two_patches['one'].id}"))
    assert patrol.assignee_id == leaving.id
    _edit_staff(admin_client, leaving, two_patches["one"], active=False)
    patrol = Duty.get_by_id(patrol.id)
    assert patrol.assignee_id is None and patrol.role == "manager" and patrol.done_at is None
    assert "daily_patrol" in _agenda_kinds(manager)
    successor = _new_staff(admin_client, estate, "successor2", two_patches["one"])
    assert Duty.get_by_id(patrol.id).assignee_id == successor.id
