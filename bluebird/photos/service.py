"""Take an uploaded photo through the pipeline into storage, and attach it to a thing."""
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from bluebird import clock
from bluebird.db import create_once, db, parse_uuid, replayed
from bluebird.photos.models import Attachment
from bluebird.photos.pipeline import PhotoError, Processed, Watermark, process
from bluebird.photos.storage import LocalStorage
from bluebird.timeline.models import record

__all__ = ["PhotoError", "Stored", "prepare", "prepare_all", "store", "store_all", "attach", "attach_all",
           "earlier_upload", "save", "soft_delete", "storage"]

READ_LIMIT = 9  # photos in one submission


def storage() -> LocalStorage:
    """The configured photo store (a local directory under instance/ by default)."""
    root = current_app.config.get("PHOTO_ROOT") or str(Path(current_app.instance_path) / "photos")
    return LocalStorage(root)


def prepare(data: bytes, *, estate_name: str, place: str, staff: str):
    """Run one upload through the pipeline (raises PhotoError for a bad file)."""
    return process(
        data,
        watermark=Watermark(estate=estate_name, place=place, staff=staff, received_at=_local(clock.now())),
        max_bytes=current_app.config["PHOTO_MAX_BYTES"],
    )


def _local(utc_naive):
    from flask_babel import to_user_timezone

    return to_user_timezone(utc_naive).replace(tzinfo=None)


@dataclass(frozen=True)
class Stored:
    """A processed photo whose two files are already in their final place."""

    photo: Processed
    display_key: str
    thumb_key: str


def store(processed: Processed) -> Stored:
    """Write a processed photo's files to their final place (fsynced), before any row names them."""
    store_ = storage()
    display_key, thumb_key = store_.new_key(processed.ext), store_.new_key(processed.ext)
    store_.put(display_key, processed.display, processed.mime)
    try:
        store_.put(thumb_key, processed.thumb, processed.mime)
    except BaseException:
        store_.path_for(display_key).unlink(missing_ok=True)
        raise
    return Stored(processed, display_key, thumb_key)


def store_all(ready) -> list[Stored]:
    """Store every photo of a submission; if one fails, remove what this call wrote."""
    done: list[Stored] = []
    try:
        for p in ready:
            done.append(store(p))
    except BaseException:
        discard(done)
        raise
    return done


def discard(stored) -> None:
    """Remove files that no row will name (a failed batch, a replay that lost its race).

    Only for fresh keys of this request: the sweeper would remove them later anyway.
    """
    root = storage()
    for s in stored:
        for key in {s.display_key, s.thumb_key}:
            root.path_for(key).unlink(missing_ok=True)


def attach(stored: Stored, *, estate_id, subject, actor_id, place="", client_uuid=None) -> tuple[Attachment, bool]:
    """The row that attaches stored files to `subject` (its insert claims client_uuid)."""
    p = stored.photo
    return create_once(
        Attachment, client_uuid, estate=estate_id, subject=subject, display_key=stored.display_key,
        thumb_key=stored.thumb_key, sha256=p.display_sha256, thumb_sha256=p.thumb_sha256, width=p.width,
        height=p.height, source_format=p.source_format, place=place[:80], captured_at=p.captured_at,
        received_at=clock.now(), by=actor_id,
    )


def _photo_uuids(client_uuid, n):
    """One UUID per photo of a submission, derived from the submission's, so a replay finds them."""
    key = parse_uuid(client_uuid)
    return [uuid.uuid5(key, str(i)) if key else None for i in range(n)]


def attach_all(stored, *, estate_id, subject, actor_id, place, client_uuid=None) -> tuple[list[Attachment], bool]:
    """Attach a submission's stored photos inside the caller's transaction.

    The first photo's row claims the submission: if it was claimed before, nothing is
    added and the earlier submission's photos come back with created=False.
    """
    added = []
    for i, key in enumerate(_photo_uuids(client_uuid, len(stored))):
        att, created = attach(stored[i], estate_id=estate_id, subject=subject, actor_id=actor_id, place=place,
                              client_uuid=key)
        if not created:
            return earlier_upload(client_uuid, estate_id=estate_id, actor_id=actor_id), False
        added.append(att)
    return added, True


def earlier_upload(client_uuid, *, estate_id, actor_id) -> list[Attachment] | None:
    """The photos an earlier submission with this UUID attached, or None (ReplayConflict if not ours)."""
    ids = _photo_uuids(client_uuid, READ_LIMIT)
    if ids[0] is None or replayed(Attachment, ids[0], estate=estate_id, by=actor_id) is None:
        return None
    return list(Attachment.select().where(Attachment.client_uuid.in_(ids)).order_by(Attachment.id))


def save(processed, *, estate_id, subject, actor_id, place="", client_uuid=None) -> Attachment:
    """Store a processed photo's files and attach them to `subject` (files first, then the row)."""
    earlier = replayed(Attachment, client_uuid, estate=estate_id, by=actor_id)
    if earlier is not None:
        return earlier
    att, _created = attach(store(processed), estate_id=estate_id, subject=subject, actor_id=actor_id, place=place,
                           client_uuid=client_uuid)
    return att


def read_uploads(files, limit=READ_LIMIT) -> list[bytes]:
    """The bytes of the non-empty files of a multi-file field (at most `limit`)."""
    blobs = [f.read() for f in files if f and f.filename]
    if len(blobs) > limit:
        raise PhotoError("too_many", _("At most %(n)d photos at a time.", n=limit))
    return blobs


def prepare_all(blobs, *, estate, place, actor) -> list[Processed]:
    """Process every upload before anything is stored: one bad photo stores none."""
    return [prepare(b, estate_name=estate.name, place=place, staff=actor.name) for b in blobs]


def soft_delete(attachment: Attachment, actor) -> None:
    """Hide a photo; the files and the record stay, and the timeline says who did it."""
    with db.atomic():
        Attachment.update(deleted_at=clock.now(), deleted_by=actor.id).where(
            (Attachment.id == attachment.id) & Attachment.deleted_at.is_null()
        ).execute()
        record(attachment.estate_id, attachment.subject, actor.id, "photo_deleted", photo=attachment.id)
