"""A submission is one unit: its rows and photos are all there, or none is and a replay
with the same client_uuid completes it. A replay never creates twice, and a client_uuid
never hands out another estate's or another person's row. Orphan files are swept."""
import io
import os
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from bluebird import clock
from bluebird.cases.models import Case
from bluebird.db import ReplayConflict, create_once, db
from bluebird.duties.models import Duty
from bluebird.estate.models import Building
from bluebird.frontdesk.models import Visitor
from bluebird.photos.models import Attachment
from bluebird.photos.sweep import sweep
from bluebird.timeline.models import Event
from tests import factories
from tests.fixtures.app import Client

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
CONFLICT = "这次提交的编号已被使用"


@pytest.fixture
def site(estate, butler, technician, manager, receptionist):
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    clock.set_now(T0)
    return {"unit": unit, "building": building}


def _repair(client, key, photos=1, **extra):
    data = {"kind": "repair", "unit_code": "3-1502", "source": "phone", "scope": "household", "trade": "water",
            "work_type": "basic", "minor": "y", "description": "厨房水管漏水", "client_uuid": key,
            "photos": [(io.BytesIO(factories.jpeg()), f"leak{i}.jpg") for i in range(photos)]}
    data.update(extra)
    return client.post("/cases/new", data, content_type="multipart/form-data")


def _block_todays_folder(root):
    """Put a file where today's date folder must go, so storing a photo fails."""
    day = root / datetime.now(UTC).strftime("%Y/%m/%d")
    day.parent.mkdir(parents=True, exist_ok=True)
    day.write_bytes(b"in the way")
    return day


def _stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file() and len(p.name) > 30)


def _login(app, user):
    client = Client(app)
    assert client.login(user.username).status_code == 303
    return client


# 2. A submission is one unit ------------------------------------------------------------

def test_a_photo_that_cannot_be_stored_saves_nothing_and_the_retry_completes_it(
        reception_client, site, photo_root, real_500):
    key = str(uuid.uuid4())
    blocker = _block_todays_folder(photo_root)
    failed = _repair(reception_client, key)
    assert failed.status_code == 500
    page = failed.get_data(as_text=True)
    assert "这次提交没有保存" in page and "之前保存的内容不会丢失" not in page
    assert Case.select().count() == 0 and Attachment.select().count() == 0
    assert Duty.select().count() == 0 and Event.select().count() == 0

    blocker.unlink()
    retried = _repair(reception_client, key)
    assert retried.status_code == 303
    case = Case.get()
    assert retried.headers["Location"].endswith(f"/cases/{case.id}")
    photos = list(Attachment.for_subject(case.subject))
    assert len(photos) == 1 and len(_stored_files(photo_root)) == 2  # display + thumbnail
    assert Duty.select().where(Duty.subject == case.subject).count() > 0

    again = _repair(reception_client, key)
    assert again.status_code == 303 and again.headers["Location"] == retried.headers["Location"]
    assert Case.select().count() == 1 and Attachment.select().count() == 1
    assert len(_stored_files(photo_root)) == 2  # a replay stores no files either


def test_photos_added_to_a_case_are_one_submission_per_client_uuid(
        reception_client, site, receptionist, photo_root, real_500):
    case = factories.make_case(site["unit"], receptionist)
    key = str(uuid.uuid4())

    def add():
        return reception_client.post(f"/cases/{case.id}/photos", {
            "client_uuid": key, "photos": [(io.BytesIO(factories.jpeg()), "a.jpg"), (io.BytesIO(factories.jpeg((9, 9, 9))), "b.jpg")],
        }, content_type="multipart/form-data")

    blocker = _block_todays_folder(photo_root)
    assert add().status_code == 500
    assert Attachment.select().count() == 0 and Event.select().count() == 0
    assert _stored_files(photo_root) == []  # what the failed call did write is gone at once
    blocker.unlink()
    for _ in range(3):
        assert add().status_code == 303
    assert Attachment.for_subject(case.subject).count() == 2
    notes = [e for e in Event.for_subject(case.subject) if e.verb == "comment"]
    assert len(notes) == 1


def test_a_finished_repair_and_its_photos_commit_together(tech_client, site, technician, photo_root, real_500):
    case = factories.make_case(site["unit"], technician, assignee=technician, status="dispatched")
    blocker = _block_todays_folder(photo_root)
    data = {"work_done": "更换水龙头", "materials": "", "photos": [(io.BytesIO(factories.jpeg()), "done.jpg")]}
    assert tech_client.post(f"/cases/{case.id}/finish", dict(data), content_type="multipart/form-data").status_code == 500
    assert Case.get_by_id(case.id).status == "dispatched"
    blocker.unlink()
    data["photos"] = [(io.BytesIO(factories.jpeg()), "done.jpg")]
    assert tech_client.post(f"/cases/{case.id}/finish", data, content_type="multipart/form-data").status_code == 303
    assert Case.get_by_id(case.id).status == "done" and Attachment.for_subject(case.subject).count() == 1


def test_concurrent_replays_of_one_repair_make_one_case_with_its_photos(app, reception_client, site, photo_root):
    key = str(uuid.uuid4())
    token = reception_client.token()
    cookie = reception_client.http.get_cookie("session")
    statuses, errors = [], []

    def post():
        client = Client(app)
        client.http.set_cookie("session", cookie.value, domain=cookie.domain)
        client._token = token
        try:
            with app.app_context():
                statuses.append(_repair(client, key, photos=2).status_code)
        except Exception as exc:  # noqa: BLE001 - any error is the finding
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and statuses == [303] * 8
    case = Case.get()
    assert Case.select().count() == 1 and Attachment.for_subject(case.subject).count() == 2
    assert Event.select().where((Event.subject == case.subject) & (Event.verb == "created")).count() == 1


def test_a_claim_inside_a_failed_transaction_is_rolled_back_with_it(estate, receptionist):
    key = uuid.uuid4()
    with pytest.raises(RuntimeError), db.atomic():
        create_once(Visitor, key, estate=estate.id, logged_by=receptionist.id, name="王五", purpose="探亲",
                    in_at=clock.now(), created_at=clock.now())
        raise RuntimeError("the follow-on work failed")
    assert Visitor.select().count() == 0
    with db.atomic():
        row, created = create_once(Visitor, key, estate=estate.id, logged_by=receptionist.id, name="王五",
                                   purpose="探亲", in_at=clock.now(), created_at=clock.now())
        again, created_again = create_once(Visitor, key, estate=estate.id, logged_by=receptionist.id, name="王五",
                                           purpose="探亲", in_at=clock.now(), created_at=clock.now())
    assert created and not created_again and again.id == row.id


# 12. Replay scope: another estate's or another person's UUID reveals nothing ---------------

def test_a_uuid_of_another_persons_case_is_refused_not_redirected(app, reception_client, site, estate):
    key = str(uuid.uuid4())
    assert _repair(reception_client, key, photos=0).status_code == 303
    case = Case.get()
    colleague = factories.make_user(estate, role="reception", username="reception2")
    refused = _repair(_login(app, colleague), key, photos=0)
    assert refused.status_code == 409 and "Location" not in refused.headers
    body = refused.get_data(as_text=True)
    assert CONFLICT in body and case.number not in body and f"/cases/{case.id}" not in body
    assert Case.select().count() == 1


def test_a_uuid_of_another_estates_case_is_refused(app, reception_client, site, other_estate):
    key = str(uuid.uuid4())
    assert _repair(reception_client, key, photos=0).status_code == 303
    stranger = factories.make_user(other_estate, role="reception", username="stranger")
    factories.make_unit(factories.make_building(other_estate, "3"), "1502")
    refused = _repair(_login(app, stranger), key, photos=0)
    assert refused.status_code == 409 and CONFLICT in refused.get_data(as_text=True)
    assert Case.select().count() == 1


def test_a_uuid_of_another_receptionists_visitor_is_refused(app, reception_client, site, estate):
    key = str(uuid.uuid4())
    data = {"client_uuid": key, "phone": "13800001111", "name": "王五", "purpose": "探亲", "unit_code": "3-1502",
            "whom": "", "in_at": "2026-11-23T09:00"}
    assert reception_client.post("/desk/visitors/new", data).status_code == 303
    colleague = factories.make_user(estate, role="reception", username="reception2")
    refused = _login(app, colleague).post("/desk/visitors/new", data)
    assert refused.status_code == 409 and CONFLICT in refused.get_data(as_text=True)
    assert Visitor.select().count() == 1


def test_a_uuid_of_another_estates_building_is_refused(app, admin_client, estate, other_estate):
    key = str(uuid.uuid4())
    assert admin_client.post("/admin/estate/", {"name": "7", "floors": "18", "patch": "0",
                                                "client_uuid": key}).status_code == 303
    other_admin = factories.make_user(other_estate, role="admin", username="admin2")
    refused = _login(app, other_admin).post("/admin/estate/", {"name": "9", "floors": "18", "patch": "0",
                                                               "client_uuid": key})
    assert refused.status_code == 409 and CONFLICT in refused.get_data(as_text=True)
    assert [b.name for b in Building.select()] == ["7"]


def test_a_replay_of_a_photo_by_someone_else_raises_conflict(estate, receptionist, butler, other_estate):
    key = uuid.uuid4()
    fields = dict(subject="case:1", display_key="k", thumb_key="k", sha256="0", thumb_sha256="0", width=1,
                  height=1)
    create_once(Attachment, key, estate=estate.id, by=receptionist.id, **fields)
    with pytest.raises(ReplayConflict):
        create_once(Attachment, key, estate=estate.id, by=butler.id, **fields)
    stranger = factories.make_user(other_estate)
    with pytest.raises(ReplayConflict):
        create_once(Attachment, key, estate=other_estate.id, by=stranger.id, **fields)
    assert Attachment.select().count() == 1


# The sweeper ---------------------------------------------------------------------------------

def _file(root, key, *, hours_old):
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    then = time.time() - hours_old * 3600
    os.utime(path, (then, then))
    return path


@pytest.fixture
def litter(photo_root, estate, receptionist):
    def key(ext="jpg"):
        return f"2026/11/23/{uuid.uuid4().hex}.{ext}"

    owned, thumb, signature = key(), key(), key("png")
    Attachment.create(estate=estate, subject="case:1", display_key=owned, thumb_key=thumb, sha256="0",
                      thumb_sha256="0", width=1, height=1, by=receptionist)
    # A move-in signature names one PNG as both display and thumbnail.
    Attachment.create(estate=estate, subject="signature:1", display_key=signature, thumb_key=signature, sha256="0",
                      thumb_sha256="0", width=1, height=1, by=receptionist)
    return {
        "owned": [_file(photo_root, k, hours_old=48) for k in (owned, thumb, signature)],
        "orphan": _file(photo_root, key(), hours_old=7),
        "young_orphan": _file(photo_root, key(), hours_old=1),
        "part": _file(photo_root, "2026/11/23/.tmp-abc123.part", hours_old=7),
        "young_part": _file(photo_root, "2026/11/23/.tmp-def456.part", hours_old=0),
        "other": _file(photo_root, "2026/README.txt", hours_old=100),
    }


def test_the_sweeper_removes_only_old_orphans_and_stale_parts(app, litter, photo_root):
    dry = sweep(photo_root, dry_run=True)
    assert dry["orphans"] == 1 and dry["parts"] == 1 and all(p.exists() for p in (litter["orphan"], litter["part"]))
    counts = sweep(photo_root)
    assert counts["orphans"] == 1 and counts["parts"] == 1 and counts["owned"] == 3 and counts["young"] == 2
    assert counts["other"] == 1
    assert not litter["orphan"].exists() and not litter["part"].exists()
    for kept in litter["owned"] + [litter["young_orphan"], litter["young_part"], litter["other"]]:
        assert kept.exists(), kept


def test_the_sweep_command_and_the_daily_task(app, litter, photo_root, monkeypatch):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["photos", "sweep", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 1 orphan file(s) and 1 .part file(s)" in dry.output and litter["orphan"].exists()
    assert runner.invoke(args=["photos", "sweep", "--older-than-hours", "0"]).exit_code != 0  # no grace, no sweep
    wide = runner.invoke(args=["photos", "sweep", "--older-than-hours", "72"])
    assert "removed 0 orphan" in wide.output and litter["orphan"].exists()

    from bluebird import tasks

    assert tasks.sweep_photos.task_class().validate_datetime(datetime(2026, 11, 23, 3, 40))
    assert not tasks.sweep_photos.task_class().validate_datetime(datetime(2026, 11, 23, 4, 40))
    monkeypatch.setattr(tasks, "_app", app)
    monkeypatch.setattr(tasks.huey, "immediate", True)
    tasks.sweep_photos()
    assert not litter["orphan"].exists() and not litter["part"].exists()
    assert all(p.exists() for p in litter["owned"])


def test_files_of_a_committed_repair_are_never_swept(reception_client, site, photo_root):
    assert _repair(reception_client, str(uuid.uuid4()), photos=2).status_code == 303
    files = _stored_files(photo_root)
    assert len(files) == 4
    for path in files:
        os.utime(path, (time.time() - 30 * 86400,) * 2)
    assert sweep(photo_root)["orphans"] == 0 and all(p.exists() for p in files)


# 14. Demo data for another estate code -------------------------------------------------------

def test_demo_data_loads_for_another_estate_code(app):
    from bluebird.auth.models import User
    from bluebird.estate.models import Estate

    result = app.test_cli_runner().invoke(args=["demo-data", "--code", "north", "--name", "北苑"])
    assert result.exit_code == 0, result.output
    assert "demo activity: cases 7" in result.output  # one closed (its owner survey waiting), one complaint about it
    north = Estate.get(Estate.code == "north")
    assert north.name == "北苑" and Case.select().where(Case.estate == north.id).count() == 7
    assert User.get(User.username == "reception@north").estate_id == north.id
    assert Duty.select().where((Duty.estate == north.id) & (Duty.kind == "daily_patrol")).count() == 3
