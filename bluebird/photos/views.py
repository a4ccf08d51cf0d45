"""Serve photos to logged-in staff of the same estate; accept standalone uploads."""
from flask import Blueprint, abort, redirect, request, send_file
from flask_login import current_user, login_required

from bluebird.auth import roles
from bluebird.photos.models import Attachment
from bluebird.photos.service import soft_delete, storage
from bluebird.web import safe_next

bp = Blueprint("photos", __name__, url_prefix="/photos")


@bp.route("/<token>/<any(display, thumb):variant>.jpg")
@login_required
def show(token, variant):
    """Send a stored photo (never the upload as sent) if it belongs to the user's estate."""
    att = Attachment.get_or_none((Attachment.token == token) & (Attachment.estate == current_user.estate_id))
    if att is None or att.deleted_at is not None:
        abort(404)
    key = att.display_key if variant == "display" else att.thumb_key
    path = storage().path_for(key)
    if path is None or not path.is_file():  # a row whose file is gone (lost disk, restore): not found
        abort(404)
    # Signatures are PNG drawings; photos are always re-encoded JPEGs.
    mimetype = "image/png" if key.endswith(".png") else "image/jpeg"
    response = send_file(path, mimetype=mimetype, conditional=True, etag=att.sha256 if variant == "display" else att.thumb_sha256,
                         max_age=31536000)
    # The bytes behind a token never change; only this user's browser may keep them.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.route("/<token>/delete", methods=["POST"])
@login_required
def delete(token):
    """Hide a photo (its uploader or a supervisor); the files stay and the timeline says so."""
    att = Attachment.get_or_none((Attachment.token == token) & (Attachment.estate == current_user.estate_id))
    if att is None or att.deleted_at is not None:
        abort(404)
    if att.by_id != current_user.id and current_user.role not in roles.SUPERVISING:
        abort(403)
    soft_delete(att, current_user)
    return redirect(safe_next(request.form.get("next")) or "/", code=303)
