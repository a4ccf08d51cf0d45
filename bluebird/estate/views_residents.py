"""The butler's ledger on the phone: edit a resident, move in, move out, the key accounts."""
from flask import abort, redirect, request, url_for
from flask_login import current_user

from bluebird.db import replayed
from bluebird.estate import residents as ledger
from bluebird.estate.forms import MoveInForm, MoveOutForm, ResidentEditForm
from bluebird.estate.models import Patch, Resident, Unit
from bluebird.estate.models_moves import MoveOut
from bluebird.estate.views import SEES_PHONES, bp
from bluebird.web import estate_id, get_scoped_or_404, render

# Roles that keep the ledger: the butlers, the desk and the office.
KEEPS_LEDGER = SEES_PHONES


def _ledger_only():
    if current_user.role not in KEEPS_LEDGER:
        abort(403)


def _fail(form, exc: ledger.LedgerError):
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
        return None
    return exc.message


def _step(form, do):
    """Run one ledger step for a posted form: (redirect, None, None) when it is done, else
    (None, error, status) for the page, with the refusal next to its field (422 or 409)."""
    if request.method != "POST":
        return None, None, 200
    if not form.validate_on_submit():
        return None, None, 422
    try:
        return redirect(do(), code=303), None, None
    except ledger.LedgerError as exc:
        return None, _fail(form, exc), exc.status


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
def resident_edit(resident_id):
    """Change a resident's ledger entry (工作台帐); every change goes on the unit's timeline."""
    _ledger_only()
    r = get_scoped_or_404(Resident, resident_id)
    form = ResidentEditForm(obj=r)

    def save():
        ledger.update_resident(r, current_user.id, form.values())
        return url_for("estate.resident", resident_id=r.id)

    done, error, status = _step(form, save)
    if done:
        return done
    return render("estate/resident_edit.html", status=status, resident=r, form=form, error=error)


@bp.route("/units/<int:unit_id>/move-in", methods=["GET", "POST"])
def move_in(unit_id):
    """A resident moves in (入住): registered with the day; the unit's status follows."""
    _ledger_only()
    u = get_scoped_or_404(Unit, unit_id)
    form = MoveInForm()
    if request.method == "GET":
        form.moved_in_at.data = ledger.local_today(current_user.estate)

    def move():
        ledger.move_in(form.client_uuid.data, unit=u, actor=current_user.id, fields=form.values(),
                       moved_in_at=form.moved_in_at.data)
        return url_for("estate.unit", unit_id=u.id)

    done, error, status = _step(form, move)
    if done:
        return done
    return render("estate/move_in.html", status=status, unit=u, form=form, error=error)


@bp.route("/residents/<int:resident_id>/move-out", methods=["GET", "POST"])
def move_out(resident_id):
    """A resident moves out (迁出): book the moving day, issue the release slip (放行条)."""
    _ledger_only()
    r = get_scoped_or_404(Resident, resident_id)
    form = MoveOutForm()
    if request.method == "POST":  # a replayed submission lands on the slip it issued
        earlier = replayed(MoveOut, form.client_uuid.data, estate=estate_id(), created_by=current_user.id)
        if earlier is not None:
            return redirect(url_for("estate.move_slip", move_id=earlier.id), code=303)
    if r.moved_out_at is not None:
        abort(409)
    if request.method == "GET":
        form.moving_on.data = ledger.local_today(current_user.estate)

    def move():
        slip, _created = ledger.move_out(
            form.client_uuid.data, resident=r, actor=current_user, moving_on=form.moving_on.data,
            slot=form.slot.data, mover=form.mover.data, note=form.note.data, with_household=form.with_household.data)
        return url_for("estate.move_slip", move_id=slip.id)

    done, error, status = _step(form, move)
    if done:
        return done
    others = [o for o in Resident.of_unit(r.unit_id) if o.id != r.id]
    return render("estate/move_out.html", status=status, resident=r, others=others, form=form, error=error,
                  owed=ledger.household_arrears(r.unit_id))


@bp.route("/moves/<int:move_id>")
def move_slip(move_id):
    """A release slip (放行条): its number for the owner, the moving day, and whether fees are owed."""
    _ledger_only()
    move = get_scoped_or_404(MoveOut, move_id)
    return render("estate/move_slip.html", move=move, owed=ledger.household_arrears(move.unit_id),
                  sees_phones=current_user.role in SEES_PHONES)


@bp.route("/key-accounts")
def key_accounts():
    """重点户明细及服务情况: the key accounts of a patch, their last contact and open cases."""
    _ledger_only()
    patches = list(Patch.ordered(estate_id()))
    chosen = request.args.get("patch", type=int)
    if chosen is None:
        chosen = current_user.patch_id or (patches[0].id if patches else None)
    if chosen and chosen not in {p.id for p in patches}:
        abort(404)
    rows = ledger.key_account_rows(estate_id(), chosen)
    return render("estate/key_accounts.html", patches=patches, chosen=chosen, rows=rows,
                  sees_phones=current_user.role in SEES_PHONES)
