"""The key cabinet (钥匙管理) and the shift hand-over (交接班)."""
from datetime import timedelta

from flask import request
from flask_login import current_user

from bluebird import clock
from bluebird.frontdesk import clocks, handover, keys
from bluebird.frontdesk.forms import (
    AcceptForm,
    HandoverForm,
    KeyForm,
    LendForm,
    RetireKeyForm,
    ReturnForm,
)
from bluebird.frontdesk.models import Handover, Key, KeyLoan
from bluebird.frontdesk.service import DESK, DeskError
from bluebird.frontdesk.views import bp, desk_only, fail, once, see_other, staff_choices, today, tz
from bluebird.frontdesk.views_calls import validate_with_unit
from bluebird.timeline.models import Event
from bluebird.web import estate_id, get_scoped_or_404, render


@bp.route("/desk/keys")
def keys_index():
    """The key register: every key on its hook or out (overdue in red); ?out=1 for those out."""
    desk_only()
    rows = list(Key.cabinet(estate_id()))
    only_out = request.args.get("out") == "1"
    if only_out:
        rows = [k for k in rows if k.loan.id]
    return render("frontdesk/keys.html", keys=rows, only_out=only_out, now=clock.now(),
                  late_keys=KeyLoan.late_key_ids(estate_id()))


@bp.route("/desk/keys/new", methods=["GET", "POST"])
def key_new():
    """Put a key in the register: vacant, managed, public or move-in, with its hook or box."""
    desk_only()
    form = KeyForm()
    error, status = None, 200
    if request.method == "POST":
        status = 422
        ok, unit = validate_with_unit(form)
        if ok:
            fields = {"kind": form.kind.data, "name": form.name.data.strip(), "unit": unit,
                      "hook": form.hook.data.strip(), "note": (form.note.data or "").strip()}
            try:
                key, _created = keys.register_key(form.client_uuid.data, estate=current_user.estate,
                                                  actor=current_user, fields=fields)
                return see_other("frontdesk.key", key_id=key.id)
            except DeskError as exc:
                error, status = fail(form, exc), exc.status
    return render("frontdesk/key_new.html", status=status, form=form, error=error)


def _lend_form(**values):
    form = LendForm(**values)
    form.borrower_user.choices = staff_choices()
    return form


def _default_due():
    """A loan is due back at the end of the working day, or in two hours if that is sooner gone."""
    estate = current_user.estate
    end = clocks.utc_at(today(), clocks.hhmm(clocks.routine(estate)["day_end"]), tz())
    due = end if end > clock.now() + timedelta(minutes=30) else clock.now() + timedelta(hours=2)
    return clocks.to_local_input(due, tz())


@bp.route("/desk/keys/<int:key_id>")
def key(key_id, status=200, error=None, lend_form=None, return_form=None, retire_form=None):
    """A key: on its hook or out with whom until when; lend or take back; its full history."""
    entry = get_scoped_or_404(Key, key_id)
    loans, events = keys.history(entry)
    return render("frontdesk/key.html", status=status, key=entry, loan=entry.open_loan(), loans=loans,
                  late_keys=KeyLoan.late_key_ids(estate_id()),
                  events=events, error=error, lend_form=lend_form or _lend_form(),
                  return_form=return_form or ReturnForm(), due_value=_default_due(), now=clock.now(),
                  retire_form=retire_form or RetireKeyForm(),
                  is_desk=current_user.role in DESK)


def _key_step(key_id, form, name, do):
    """One desk step on a key: validate its form, do it, or show the key page with the error."""
    desk_only()
    entry = get_scoped_or_404(Key, key_id)
    if not form.validate():
        return key(key_id, status=422, **{f"{name}_form": form})
    try:
        once(entry, lambda: do(entry, form))
    except DeskError as exc:
        return key(key_id, status=exc.status, error=fail(form, exc), **{f"{name}_form": form})
    return see_other("frontdesk.key", key_id=entry.id)


@bp.route("/desk/keys/<int:key_id>/lend", methods=["POST"])
def key_lend(key_id):
    """Lend a key (never one already out)."""
    return _key_step(key_id, _lend_form(), "lend", lambda entry, form: keys.lend(
        entry, current_user, form.client_uuid.data, borrower=form.borrower.data or "",
        borrower_user_id=form.borrower_user.data or None, purpose=form.purpose.data,
        due_at=clocks.from_local(form.due_at.data, tz())))


@bp.route("/desk/keys/<int:key_id>/return", methods=["POST"])
def key_return(key_id):
    """Take a key back (only one that is out)."""
    return _key_step(key_id, ReturnForm(), "return",
                     lambda entry, form: keys.give_back(entry, current_user, form.note.data or ""))


@bp.route("/desk/keys/<int:key_id>/retire", methods=["POST"])
def key_retire(key_id):
    """Take a key out of the register for good, with the reason (never one on loan)."""
    return _key_step(key_id, RetireKeyForm(), "retire",
                     lambda entry, form: keys.retire(entry, current_user, form.reason.data))


# The shift hand-over ---------------------------------------------------------------------------

@bp.route("/desk/handover", methods=["GET", "POST"])
def handover_page():
    """Hand over the shift: what is open is listed now; or see the one waiting to be accepted."""
    desk_only()
    estate = current_user.estate
    pending = Handover.pending(estate.id)
    form = HandoverForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                made, _created = handover.open_handover(form.client_uuid.data, estate=estate, actor=current_user,
                                                        note=form.note.data or "")
                return see_other("frontdesk.handover_show", handover_id=made.id)
            except DeskError as exc:
                error, status = fail(form, exc), exc.status
        else:
            status = 422
    if pending is not None and request.method == "GET":
        return see_other("frontdesk.handover_show", handover_id=pending.id)
    return render("frontdesk/handover.html", status=status, form=form, error=error, pending=pending,
                  items=handover.open_items(estate.id), recent=list(handover.recent(estate.id)))


@bp.route("/desk/handovers/<int:handover_id>")
def handover_show(handover_id, status=200, error=None, form=None):
    """A hand-over: the open items as listed, the equipment note, both names and times."""
    desk_only()
    entry = get_scoped_or_404(Handover, handover_id)
    return render("frontdesk/handover_show.html", status=status, handover=entry, items=entry.open_items,
                  error=error, form=form or AcceptForm(), events=list(Event.timeline(subject=entry.subject)),
                  mine=entry.outgoing_id == current_user.id)


@bp.route("/desk/handovers/<int:handover_id>/accept", methods=["POST"])
def handover_accept(handover_id):
    """The incoming receptionist accepts with her own login (never her own hand-over)."""
    desk_only()
    entry = get_scoped_or_404(Handover, handover_id)
    form = AcceptForm()
    if not form.validate():
        return handover_show(handover_id, status=422, form=form)
    try:
        once(entry, lambda: handover.accept(entry, current_user, form.note.data or ""))
    except DeskError as exc:
        return handover_show(handover_id, status=exc.status, error=exc.message, form=form)
    return see_other("frontdesk.handover_show", handover_id=entry.id)
