"""Take an uploaded photo through the pipeline into storage, and attach it to a thing."""
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from bluebird import clock
from bluebird.db import db, parse_uuid
from bluebird.photos.models import Attachment
from bluebird.photos.pipeline import PhotoError, Watermark, process
from bluebird.photos.storage import LocalStorage
from bluebird.timeline.models import record

__all__ = ["PhotoError", "prepare", "save", "attach_uploads", "soft_delete", "storage"]


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


def save(processed, *, estate_id, subject, actor_id, place="", client_uuid=None) -> Attachment:
    """Store a processed photo's files and attach them to `subject`."""
    key = parse_uuid(client_uuid)
    if key is not None:
        existing = Attachment.get_or_none(Attachment.client_uuid == key)
        if existing is not None:
            return existing
    store = storage()
    display_key, thumb_key = store.new_key(processed.ext), store.new_key(processed.ext)
    store.put(display_key, processed.display, processed.mime)
    store.put(thumb_key, processed.thumb, processed.mime)
    return Attachment.create(
        client_uuid=key, estate=estate_id, subject=subject, display_key=display_key, thumb_key=thumb_key,
        sha256=processed.display_sha256, thumb_sha256=processed.thumb_sha256, width=processed.width,
        height=processed.height, source_format=processed.source_format, place=place[:80],
        captured_at=processed.captured_at, received_at=clock.now(), by=actor_id,
    )


def read_uploads(files, limit=9) -> list[bytes]:
    """The bytes of the non-empty files of a multi-file field (at most `limit`)."""
    blobs = [f.read() for f in files if f and f.filename]
    if len(blobs) > limit:
        raise PhotoError("too_many", _("At most %(n)d photos at a time.", n=limit))
    return blobs


def attach_uploads(blobs, *, estate, subject, actor, place) -> list[Attachment]:
    """Process every upload first, then store them all: one bad photo stores none."""
    ready = [prepare(b, estate_name=estate.name, place=place, staff=actor.name) for b in blobs]
    return [save(p, estate_id=estate.id, subject=subject, actor_id=actor.id, place=place) for p in ready]


def soft_delete(attachment: Attachment, actor) -> None:
    """Hide a photo; the files and the record stay, and the timeline says who did it."""
    with db.atomic():
        Attachment.update(deleted_at=clock.now(), deleted_by=actor.id).where(
            (Attachment.id == attachment.id) & Attachment.deleted_at.is_null()
        ).execute()
        record(attachment.estate_id, attachment.subject, actor.id, "photo_deleted", photo=attachment.id)
