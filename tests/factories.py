"""Plain factory functions: make_* builds one row with sensible defaults."""
import itertools
from datetime import timedelta

from argon2 import PasswordHasher

from bluebird import clock
from bluebird.auth.models import User
from bluebird.duties.models import create_duty
from bluebird.estate.models import Building, Estate, Patch, Resident, Unit, UnitStatus

PASSWORD = "correct-horse-1"
_seq = itertools.count(1)
_hash_cache = {}


def _password_hash(password):
    # The same cheap parameters as the test app, so no login triggers a rehash.
    if password not in _hash_cache:
        _hash_cache[password] = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)
    return _hash_cache[password]


def make_estate(code=None, name=None):
    n = next(_seq)
    return Estate.create(code=code or f"e{n}", name=name or f"小区{n}")


def make_patch(estate, name=None):
    return Patch.create(estate=estate, name=name or f"片区{next(_seq)}")


def make_building(estate, name=None, patch=None, floors=18):
    name = name or str(next(_seq))
    return Building.create(estate=estate, name=name, patch=patch, floors=floors,
                           sort_key=int(name) if name.isdigit() else 9999)


def make_unit(building, number=None, status=UnitStatus.OCCUPIED, floor=None, kind="home"):
    number = number or f"{next(_seq) % 30 + 2}{next(_seq) % 4 + 1:02d}"
    floor = floor if floor is not None else int(number[:-2] or 0)
    return Unit.create(estate=building.estate_id, building=building, number=number,
                       code=f"{building.name}-{number}", floor=floor, status=status, kind=kind)


def make_resident(unit, name="张伟", phone="13912345678", relation="owner"):
    return Resident.create(estate=unit.estate_id, unit=unit, name=name, phone=phone, relation=relation)


def make_user(estate, role="butler", username=None, password=PASSWORD, name=None, patch=None, **kwargs):
    return User.create(estate=estate, role=role, username=username or f"user{next(_seq)}",
                       name=name or f"员工{next(_seq)}", password_hash=_password_hash(password),
                       patch=patch, **kwargs)


def make_duty(user, kind="test_duty", subject=None, due_in=timedelta(hours=1), **kwargs):
    return create_duty(user.estate_id, kind, subject or f"test:{next(_seq)}", clock.now() + due_in,
                       assignee=user.id, **kwargs)


def make_case(unit, registrar, kind="repair", **fields):
    from bluebird.cases.models import Case

    data = dict(estate=unit.estate_id, kind=kind, unit=unit, building=unit.building_id, source="phone",
                description="厨房水管漏水", registrar=registrar)
    data.update(fields)
    return Case.create(**data)


def make_attachment(subject, user):
    from bluebird.photos.models import Attachment

    return Attachment.create(estate=user.estate_id, subject=subject, display_key="2026/01/01/" + "0" * 32 + ".jpg",
                             thumb_key="2026/01/01/" + "1" * 32 + ".jpg", sha256="0" * 64, thumb_sha256="1" * 64,
                             width=1600, height=1200, by=user)


def make_round(estate, user, kind="patrol", place_kind="estate", place_id=None, place_label="全小区"):
    from bluebird.rounds import engine

    return engine.start(None, estate_id=estate.id, user=user, kind=kind, place_kind=place_kind,
                        place_id=place_id or estate.id, place_label=place_label)


def make_permit(unit, user, **fields):
    from datetime import timedelta

    from bluebird.renovations.models import Permit

    today = clock.now().date()
    data = dict(estate=unit.estate_id, unit=unit, applicant="王先生", contractor="美家装饰", starts_on=today,
                ends_on=today + timedelta(days=30), created_by=user, status="approved")
    data.update(fields)
    return Permit.create(**data)


def make_notification(user, title="24小时回访", body="", url="/agenda", **fields):
    from bluebird.notify.models import Notification

    data = dict(user=user, title=title, body=body, url=url, created_at=clock.now())
    data.update(fields)
    return Notification.create(**data)


def make_call(user, caller="张伟", phone="13912345678", unit=None, matter="咨询物业费缴费时间", **fields):
    from bluebird.frontdesk.models import PhoneCall

    data = dict(estate=user.estate_id, at=clock.now(), caller=caller, phone=phone, unit=unit, matter=matter,
                taken_by=user)
    data.update(fields)
    return PhoneCall.create(**data)


def make_visitor(user, name="王五", phone="13800001111", purpose="探亲", unit=None, **fields):
    from bluebird.frontdesk.models import Visitor

    data = dict(estate=user.estate_id, name=name, phone=phone, purpose=purpose, unit=unit, in_at=clock.now(),
                logged_by=user)
    data.update(fields)
    return Visitor.create(**data)


def make_message(user, recipient, caller="张伟", matter="请回电", **fields):
    from bluebird.frontdesk.models import StaffMessage

    data = dict(estate=user.estate_id, at=clock.now(), caller=caller, recipient=recipient, matter=matter,
                taken_by=user)
    data.update(fields)
    return StaffMessage.create(**data)


def make_parcel(unit, user, carrier="顺丰", tracking_tail="1234", **fields):
    from bluebird.frontdesk.models import Parcel

    data = dict(estate=unit.estate_id, unit=unit, carrier=carrier, tracking_tail=tracking_tail,
                arrived_at=clock.now(), logged_by=user)
    data.update(fields)
    return Parcel.create(**data)


def make_key(estate, user, name=None, hook=None, kind="vacant", unit=None, **fields):
    from bluebird.frontdesk.models import Key

    n = next(_seq)
    return Key.create(estate=estate, kind=kind, name=name or f"钥匙{n}", hook=hook or f"A-{n}", unit=unit,
                      created_by=user, **fields)


def make_handover(user, note="对讲机2台正常", **fields):
    from bluebird.frontdesk.models import Handover

    data = dict(estate=user.estate_id, outgoing=user, opened_at=clock.now(), note=note, items="{}")
    data.update(fields)
    return Handover.create(**data)



def make_move(resident, user, moving_on=None, **fields):
    """A move-out with its release slip (放行条), the resident left in the unit's history."""
    from datetime import date

    from bluebird.estate.models_moves import MoveOut, new_slip_code

    moving_on = moving_on or date(2026, 12, 1)
    move = MoveOut.create(estate=resident.estate_id, unit=resident.unit_id, resident=resident, names=resident.name,
                          moving_on=moving_on, slip_code=new_slip_code(), created_by=user, **fields)
    Resident.update(moved_out_at=moving_on).where(Resident.id == resident.id).execute()
    return move


def make_visit(unit, user, **fields):
    from bluebird.visits.models import Visit

    data = dict(estate=unit.estate_id, unit=unit, by=user, at=clock.now(), way="in_person", met="业主",
                opinions="", request="厨房水龙头滴水")
    data.update(fields)
    return Visit.create(**data)


def make_visit_plan(unit, patch, **fields):
    from bluebird.visits.models import VisitPlan, VisitPlanItem

    monday = clock.now().date() - timedelta(days=clock.now().date().weekday())
    plan = VisitPlan.create(estate=unit.estate_id, patch=patch, week_of=monday, total=1, **fields)
    VisitPlanItem.create(plan=plan, unit=unit)
    return plan


def make_meeting(user, unit=None, **fields):
    from bluebird.visits.models import MeetingAttendee, OwnerMeeting

    data = dict(estate=user.estate_id, by=user, held_on=clock.now().date(), place="会所二楼", topics="电梯更换")
    data.update(fields)
    meeting = OwnerMeeting.create(**data)
    if unit is not None:
        MeetingAttendee.create(meeting=meeting, unit=unit)
    return meeting

def make_filing(user, kind="weekly", period="2026-W48", **fields):
    """A filed report (reports.Filing) of the user's estate."""
    import json

    from bluebird.reports import periods, tables
    from bluebird.reports.models import Filing

    span = periods.parse("week", period)
    start, end = span.bounds("Asia/Shanghai")
    data = tables.case_tables(user.estate_id, start, end)
    data["trend"] = tables.trend(user.estate_id, [span], "Asia/Shanghai")
    return Filing.create(estate=user.estate_id, kind=kind, period=period, filed_by=user.id,
                         snapshot=json.dumps(data, default=str), **fields)


def make_assessment(user, year=2026, month=11, points=-2):
    """A stored sheet of one person with one computed item and an open appeal on it."""
    from datetime import datetime

    from bluebird.assessment.models import Appeal, Entry, Sheet

    sheet = Sheet.create(estate=user.estate_id, person=user, year=year, month=month, status="issued",
                         score=100 + points, issued_at=clock.now(), appeal_until=clock.now() + timedelta(days=3))
    entry = Entry.create(estate=user.estate_id, sheet=sheet, rule="daily_patrol", computed=True, points=points,
                         occurred_at=datetime(year, month, 3, 10, 0), subject=f"patch:{user.patch_id or 0}",
                         detail="missed")
    appeal = Appeal.create(estate=user.estate_id, entry=entry, by=user, reason="那天巡查了")
    return sheet, entry, appeal


def jpeg(colour=(200, 120, 40), size=(800, 600), quality=85) -> bytes:
    """A real JPEG photo, as a phone would send one (smaller)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
