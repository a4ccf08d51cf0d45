"""Rounds meet the rest of the office: photos on items, cases from failures, duties
closed by finishing, the owner's signature and the unit's status after a move-in."""
import io
import uuid
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from bluebird import clock
from bluebird.cases import service as cases
from bluebird.cases.models import Case
from bluebird.db import db, parse_uuid
from bluebird.duties.models import Duty, close_duties
from bluebird.estate.models import Resident, Unit, UnitStatus
from bluebird.estate.service import change_unit_status, create_resident
from bluebird.photos import service as photos
from bluebird.photos.models import Attachment
from bluebird.rounds import engine, kinds
from bluebird.rounds.engine import RoundError
from bluebird.rounds.models import Checkpoint, CheckpointVisit, ItemResult, Round
from bluebird.rounds.schedule import DUTY_OF_KIND
from bluebird.timeline.models import record

SIGNATURE_MAX_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A move-in hands over a unit not yet lived in; one already lived in keeps its status.
HANDED_OVER_FROM = (UnitStatus.NOT_HANDED_OVER, UnitStatus.VACANT)


class FieldErrors(RoundError):
    """A move-in cannot finish: a message for each field that is missing or wrong."""

    def __init__(self, errors: dict):
        super().__init__(next(iter(errors.values())), status=422)
        self.errors = errors


def unit_of(round_: Round) -> Unit | None:
    """The unit a round is about, if it is about one (a renovation check: the permit's)."""
    if round_.place_kind == "unit":
        return Unit.get_or_none(Unit.id == round_.place_id)
    if round_.place_kind == "permit":
        from bluebird.renovations.models import Permit

        permit = Permit.get_or_none(Permit.id == round_.place_id)
        return permit.unit if permit is not None else None
    return None


def place_of(round_: Round) -> tuple[Unit | None, str]:
    """Where a finding was made, as precisely as the round knows: (unit, place).

    A unit round names its unit. A patrol names the last checkpoint it stamped (the
    checklist items are not tied to checkpoints, and the butler scans each one as he
    reaches it, so what he finds next is found there), with the patch beside it; a
    patrol that has stamped nothing yet can only name its patch.
    """
    unit = unit_of(round_)
    if unit is not None:
        return unit, unit.code
    if round_.kind == kinds.PATROL:
        last = (CheckpointVisit.select(CheckpointVisit, Checkpoint).join(Checkpoint)
                .where(CheckpointVisit.round == round_.id)
                .order_by(CheckpointVisit.at.desc(), CheckpointVisit.id.desc()).first())
        if last is not None:
            return None, f"{last.checkpoint.name} · {round_.place_label}"[:80]
    return None, round_.place_label


class Submitted(NamedTuple):
    """What one item submission did: its row, whether it opened a case, and what to tell."""

    row: ItemResult
    opened: bool = False
    notice: object = None  # a message about the case the change could or could not reach


def _derived(key: uuid.UUID | None, part: str) -> uuid.UUID | None:
    # The rows a submission makes carry UUIDs derived from its own: a replay that got
    # past the claim would still find them taken.
    return uuid.uuid5(key, part) if key is not None else None


def submit_item(round_: Round, *, item_id, result, actor, note="", deduction=None, client_uuid=None,
                blobs=()) -> Submitted:
    """Record one item with its photos and the case it opens or updates, as one unit.

    The item result, its photos' rows and the case (with its copies of the photos) are
    written in one transaction, so a submission is there completely or not at all, and
    a retry with the same client_uuid completes it. The photo files are stored before
    the rows commit; if the transaction rolls back they own no row, and the photo
    sweeper removes them.
    """
    key = parse_uuid(client_uuid)
    earlier = engine.replayed(key, round_.id)
    if earlier is not None:  # cheap answer to a replay; the claim below is what decides
        return Submitted(earlier)
    unit, place = place_of(round_)
    ready = [photos.prepare(b, estate_name=actor.estate.name, place=place, staff=actor.name) for b in blobs]
    # Files first, outside the write transaction (SQLite writers take turns for its length).
    stored = photos.store_all(ready)
    try:
        return _record_submission(round_, key, stored, unit=unit, place=place, item_id=item_id, result=result,
                                  actor=actor, note=note, deduction=deduction)
    except BaseException:
        photos.discard(stored)  # nothing committed names them
        raise


def _record_submission(round_, key, stored, *, unit, place, item_id, result, actor, note, deduction) -> Submitted:
    with db.atomic():
        row, fresh, previous = engine.record_item(round_, item_id=item_id, result=result, actor=actor, note=note,
                                                  deduction=deduction, client_uuid=key, photos=len(stored))
        if not fresh:
            photos.discard(stored)  # the earlier submission has its own
            return Submitted(row)
        added = [photos.attach(s, estate_id=round_.estate_id, subject=row.subject, actor_id=actor.id, place=place,
                               client_uuid=_derived(key, f"photo:{n}"))[0] for n, s in enumerate(stored)]
        item = row.item
        if row.result == "fail" and item.opens_case and row.case_id is None:
            linked = _open_defect_of_parent(round_, row, actor, added)
            if linked is not None:
                return Submitted(row, notice=linked)
            open_case(round_, row, actor, unit=unit, place=place, case_uuid=_derived(key, "case"))
            return Submitted(row, opened=True)
        notice = _follow_up(round_, row, previous, added, actor) if row.case_id and previous else None
        if round_.kind == kinds.REINSPECT and row.result == "ok":
            _close_fixed_defect(round_, row, actor)
        return Submitted(row, notice=notice)


def _copy_photos(atts, case: Case) -> None:
    for att in atts:
        Attachment.create(estate=att.estate_id, subject=case.subject, display_key=att.display_key,
                          thumb_key=att.thumb_key, sha256=att.sha256, thumb_sha256=att.thumb_sha256,
                          width=att.width, height=att.height, source_format=att.source_format,
                          place=att.place, captured_at=att.captured_at, received_at=att.received_at, by=att.by_id)


def open_case(round_: Round, row: ItemResult, actor, *, unit=None, place=None, case_uuid=None) -> Case:
    """Turn a failed item into a case: its note, every photo, the precise place.

    Defects found at a move-in or its re-inspection are the builder's (warranty) and
    come from the inspection (验房); everything else was found on a round (巡查发现).
    """
    item = row.item
    if place is None:
        unit, place = place_of(round_)
    inspection = round_.kind in (kinds.MOVEIN, kinds.REINSPECT)
    fields = {"kind": item.opens_case, "unit": unit, "place": "" if unit else place,
              "source": "inspection" if inspection else "patrol",
              "description": f"{item.text}{'：' + row.note if row.note else ''}"}
    if item.opens_case == "repair":
        fields.update(scope="household" if unit else "public", trade="other", work_type="basic", category="other",
                      minor=True, warranty=inspection)
    with db.atomic():
        case, _ = cases.register(case_uuid, estate=actor.estate, registrar=actor, fields=fields)
        ItemResult.update(case_id=case.id).where(ItemResult.id == row.id).execute()
        row.case_id = case.id
        _copy_photos(Attachment.for_subject(row.subject), case)
        record(case.estate_id, case.subject, actor.id, "from_round", round=round_.id, kind=round_.kind,
               item=item.text)
    return case


def _follow_up(round_: Round, row: ItemResult, previous, added, actor):
    """Carry a change of an item to the case it opened, or say why it cannot."""
    case = Case.get_or_none(Case.id == row.case_id)
    if case is None:
        return None
    if not case.is_open:
        return _l("Case %(number)s is already closed, so this change stays on the round. "
                  "If the problem is back, register a new case.", number=case.number)
    _copy_photos(added, case)
    record(case.estate_id, case.subject, actor.id, "round_item_changed", round=round_.id, result=row.result,
           before=previous[0], note=row.note if row.note != previous[1] else "", photos=len(added))
    if row.result != "fail":
        return _l("Case %(number)s stays open: close it on the case page if the problem is gone.",
                  number=case.number)
    return _l("Case %(number)s was updated with this change.", number=case.number)


def _open_defect_of_parent(round_: Round, row: ItemResult, actor, added):
    """A defect still there at re-inspection goes on the move-in's open case, not a new one."""
    if round_.kind != kinds.REINSPECT:
        return None
    original = ItemResult.get_or_none((ItemResult.round == round_.parent_id) & (ItemResult.item == row.item_id))
    case = Case.get_or_none(Case.id == original.case_id) if original and original.case_id else None
    if case is None or not case.is_open:
        return None
    ItemResult.update(case_id=case.id).where(ItemResult.id == row.id).execute()
    row.case_id = case.id
    return _follow_up(round_, row, ("fail", original.note), added, actor)


def _close_fixed_defect(round_: Round, row: ItemResult, actor):
    original = ItemResult.get_or_none((ItemResult.round == round_.parent_id) & (ItemResult.item == row.item_id))
    if original is None or original.case_id is None:
        return
    case = Case.get_or_none(Case.id == original.case_id)
    if case is not None and case.is_open:
        cases.close_as_fixed(case, actor, _l("Fixed: confirmed at re-inspection"))


def check_signature(data: bytes) -> bytes:
    """Accept only a real, modest PNG drawing and re-encode it (never store what was sent)."""
    if not data or len(data) > SIGNATURE_MAX_BYTES or not data.startswith(PNG_MAGIC):
        raise RoundError(_l("The signature must be a PNG drawing from the signing pad."), status=422)
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "PNG" or im.width > 2400 or im.height > 1600 or im.width < 50 or im.height < 20:
                raise RoundError(_l("The signature must be a PNG drawing from the signing pad."), status=422)
            im.load()
            clean = io.BytesIO()
            im.convert("RGBA").save(clean, "PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise RoundError(_l("The signature must be a PNG drawing from the signing pad."), status=422) from exc
    return clean.getvalue()


def _store_signature_file(png: bytes) -> str:
    """Write the signature's file before the transaction that names it; return its key."""
    store = photos.storage()
    key = store.new_key("png")
    store.put(key, png, "image/png")
    return key


def _attach_signature(round_: Round, png: bytes, key: str, actor) -> Attachment:
    import hashlib

    digest = hashlib.sha256(png).hexdigest()
    with Image.open(io.BytesIO(png)) as im:
        width, height = im.size
    return Attachment.create(estate=round_.estate_id, subject=f"signature:{round_.id}", display_key=key,
                             thumb_key=key, sha256=digest, thumb_sha256=digest, width=width, height=height,
                             source_format="PNG", place=round_.place_label, received_at=clock.now(), by=actor.id)


def owners_of(round_: Round) -> list[Resident]:
    """The residents a move-in's signer can be picked from: the unit's, owners first."""
    unit = unit_of(round_)
    if unit is None:
        return []
    return list(Resident.of_unit(unit.id))  # the current ones: a resident who moved out signs nothing


def _check_movein(round_, keys_note, signature, owner_id, owner_name, owner_phone):
    """Everything a move-in needs before it finishes: (png, picked resident or None)."""
    errors, png, picked = {}, None, None
    if owner_id:
        unit = unit_of(round_)
        picked = unit and Resident.get_or_none((Resident.id == owner_id) & (Resident.unit == unit.id)
                                               & Resident.moved_out_at.is_null())
        if picked is None:
            errors["owner_id"] = _l("Choose a resident of this unit, or enter the owner.")
        elif (owner_name or "").strip() or (owner_phone or "").strip():
            # A new buyer typed in under a previous owner picked by default must not
            # become that previous owner's signature.
            errors["owner_id"] = _l("A resident is chosen and a new owner entered: choose \"a new owner\", "
                                    "or clear the new owner's name and phone.")
    else:
        if not (owner_name or "").strip():
            errors["owner_name"] = _l("Write the name of the owner who signs.")
        if sum(c.isdigit() for c in owner_phone or "") < 7:
            errors["owner_phone"] = _l("Write the owner's phone number.")
    if not (keys_note or "").strip():
        errors["keys_note"] = _l("Record the keys handed over.")
    if signature is None:
        errors["signature_data"] = _l("The owner must sign before the move-in inspection is finished.")
    else:
        try:
            png = check_signature(signature)
        except RoundError as exc:
            errors["signature_data"] = exc.message
    if errors:
        raise FieldErrors(errors)
    return png, picked


def _owner_resident(round_: Round, unit: Unit, name: str, phone: str, actor) -> Resident:
    """The unit's resident for an owner entered at the signing: found, or registered as owner."""
    digits = "".join(c for c in phone if c.isdigit())
    for resident in Resident.of_unit(unit.id).where(Resident.name == name):
        if "".join(c for c in resident.phone if c.isdigit()) == digits:
            return resident
    # One resident per move-in, however often its finish is sent.
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"bluebird:movein-owner:{round_.estate_id}:{round_.id}")
    resident, _created = create_resident(key, unit=unit, name=name, phone=phone, relation="owner", actor=actor.id)
    return resident


def finish(round_: Round, actor, *, note="", keys_note="", signature: bytes | None = None,
           owner_id=None, owner_name="", owner_phone="", unstamped_ok=False) -> Round:
    """Finish a round: everything answered, failures documented, kind-specific steps done.

    A move-in also needs the keys, the owner (a resident of the unit, picked by
    `owner_id`, or entered by name and phone and then registered) and the owner's
    signature; it hands the unit over. A patrol with checkpoints left unstamped is
    refused once with the list (409); the butler may then finish anyway, and the round
    keeps its coverage to show it.
    """
    if not round_.is_open:
        raise RoundError(_l("This round is already finished."), status=409)
    engine.require_writer(round_, actor)
    results = list(ItemResult.select().where(ItemResult.round == round_.id))
    counts = {}
    grouped = Attachment.for_subjects([r.subject for r in results])
    for r in results:
        counts[r.id] = len(grouped.get(r.subject, []))
    gaps = engine.missing(round_, counts)
    if gaps:
        raise RoundError(_l("Some items still need an answer, a note or a photo."), status=422, items=gaps)
    left = engine.unstamped(round_) if not unstamped_ok else []
    if left:
        raise RoundError(_l("%(n)d checkpoints have not been stamped on this patrol.", n=len(left)), status=409,
                         unstamped=left)
    png = picked = None
    if round_.kind == kinds.MOVEIN:
        png, picked = _check_movein(round_, keys_note, signature, owner_id, owner_name, owner_phone)
    # The file first, outside the write transaction; a rollback leaves it to the sweeper.
    signature_key = _store_signature_file(png) if png is not None else None
    with db.atomic():
        unit = unit_of(round_)
        if png is not None:
            owner = picked
            if owner is None and unit is not None:
                owner = _owner_resident(round_, unit, owner_name.strip(), owner_phone.strip(), actor)
            round_.owner_id = owner.id if owner else None
            round_.owner_name = owner.name if owner else owner_name.strip()[:50]
            round_.owner_phone = owner.phone if owner else owner_phone.strip()[:20]
        engine.close(round_, actor, note=note, keys_note=keys_note)
        if png is not None:
            att = _attach_signature(round_, png, signature_key, actor)
            record(round_.estate_id, round_.subject, actor.id, "signed", photo=att.token, name=round_.owner_name,
                   resident=round_.owner_id)
            if unit is not None and unit.status in HANDED_OVER_FROM:
                # The timeline links the move-in record; no translated note is stored.
                change_unit_status(unit, UnitStatus.HANDED_OVER, actor.id, movein_round=round_.id)
            if unit is not None:
                from bluebird.visits import contacts

                contacts.touch(round_.estate_id, unit.id, "move_in")  # meeting the new owner is a contact
        duty_kind = DUTY_OF_KIND.get(round_.kind)
        if round_.kind == kinds.WALK:
            # A walk-round settles the manager's earliest open walk of the day.
            walk = Duty.open_about_kind_for(actor, duty_kind).first()
            if walk is not None:
                close_duties(walk.subject, duty_kind, actor.id)
        elif duty_kind:
            close_duties(f"{round_.place_kind}:{round_.place_id}", duty_kind, actor.id)
    return round_


def failures(round_: Round):
    """The failed items of a round with the cases they opened (for the summary)."""
    rows = [r for r in ItemResult.of_round(round_.id) if r.result == "fail"]
    case_ids = [r.case_id for r in rows if r.case_id]
    by_id = {c.id: c for c in Case.select().where(Case.id.in_(case_ids))} if case_ids else {}
    return [(r, by_id.get(r.case_id)) for r in rows]
