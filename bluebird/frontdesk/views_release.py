"""The desk checks a release slip (放行条) on the moving day, with the household's arrears shown."""
from flask import request
from flask_login import current_user

from bluebird import clock
from bluebird.estate import residents as ledger
from bluebird.estate.forms import SlipCheckForm
from bluebird.estate.models_moves import MoveOut
from bluebird.frontdesk.views import bp, desk_only, see_other
from bluebird.timeline import models as timeline
from bluebird.web import estate_id, get_scoped_or_404, render


@bp.route("/desk/release")
def release_index():
    """Look a slip up by its number, or pick one of those not yet checked or moving from today."""
    desk_only()
    q = request.args.get("q", "").strip()[:8]
    if q:
        found = MoveOut.by_code(estate_id(), q)
        if found is not None:
            return see_other("frontdesk.release_slip", move_id=found.id)
    today = ledger.local_today(current_user.estate)
    return render("frontdesk/release.html", q=q, not_found=bool(q),
                  moves=list(MoveOut.for_desk(estate_id(), today).limit(50)), today=today)


@bp.route("/desk/release/<int:move_id>")
def release_slip(move_id, form=None, error=None, status=200):
    """One slip at the desk: who moves out of which unit when, the fees owed, release or hold."""
    desk_only()
    move = get_scoped_or_404(MoveOut, move_id)
    return render("frontdesk/release_slip.html", status=status, move=move, owed=ledger.household_arrears(move.unit_id),
                  form=form or SlipCheckForm(), error=error, now=clock.now())


@bp.route("/desk/release/<int:move_id>/check", methods=["POST"])
def release_check(move_id):
    """The desk releases the move, or holds it with the reason (fees owed, no owner's consent…)."""
    desk_only()
    move = get_scoped_or_404(MoveOut, move_id)
    form = SlipCheckForm()
    if not form.validate_on_submit():
        return release_slip(move_id, form=form, status=422)
    try:
        timeline.once(request.form.get("client_uuid"), estate_id=move.estate_id, actor_id=current_user.id,
                      subject=f"unit:{move.unit_id}", conflict=ledger.LedgerError,
                      action=lambda: ledger.check_slip(move, current_user, release=form.decision.data == "release",
                                                       note=form.check_note.data))
    except ledger.LedgerError as exc:
        error = None
        if exc.field == "check_note":
            form.check_note.errors = [exc.message]
        else:
            error = exc.message
        return release_slip(move_id, form=form, error=error, status=exc.status)
    return see_other("frontdesk.release_slip", move_id=move.id)
