"""QR checkpoints: signed tokens on printed codes; scanning stamps the running patrol."""
import segno
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import IntegrityError

from bluebird import clock
from bluebird.db import db
from bluebird.rounds import engine
from bluebird.rounds.models import Checkpoint, CheckpointVisit, Round

SALT = "bluebird.checkpoint"


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(checkpoint: Checkpoint) -> str:
    """The signed token a checkpoint's QR code carries (estate and checkpoint ids)."""
    return _serializer().dumps([checkpoint.estate_id, checkpoint.id])


def resolve(token: str, estate_id) -> Checkpoint | None:
    """The checkpoint a token names, if the signature holds and it is of this estate."""
    try:
        token_estate, checkpoint_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if token_estate != estate_id:
        return None
    return Checkpoint.get_or_none((Checkpoint.id == checkpoint_id) & (Checkpoint.estate == estate_id)
                                  & Checkpoint.active)


def stamp(round_: Round, checkpoint: Checkpoint, user) -> tuple[CheckpointVisit, bool]:
    """Record that the patrol passed a checkpoint (the first scan counts)."""
    engine.require_writer(round_, user)
    if not round_.is_open:
        raise engine.RoundError(_l("This round is finished; its results can no longer change."), status=409)
    visit = CheckpointVisit.round == round_.id, CheckpointVisit.checkpoint == checkpoint.id
    existing = CheckpointVisit.get_or_none(visit[0] & visit[1])
    if existing is not None:
        return existing, False
    try:
        with db.atomic():
            return CheckpointVisit.create(round=round_, checkpoint=checkpoint, at=clock.now(), by=user.id), True
    except IntegrityError:  # the same code scanned twice at once: the first scan counts
        return CheckpointVisit.get(visit[0] & visit[1]), False


def qr_data_uri(checkpoint: Checkpoint) -> str:
    """An SVG QR code of the scan URL, as a data: URI for the printed sheet."""
    url = url_for("rounds.scan", token=token_for(checkpoint), _external=True)
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)
