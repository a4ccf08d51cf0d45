"""The phone log (电话记录表) and messages for colleagues (留言)."""
from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from bluebird import clock
from bluebird.cases.service import find_unit
from bluebird.frontdesk import clocks, daylog, service
from bluebird.frontdesk.forms import AnswerForm, CallForm, MessageForm, PassOnForm
from bluebird.frontdesk.models import CallKind, PhoneCall, StaffMessage
from bluebird.frontdesk.service import DESK, DeskError
from bluebird.frontdesk.views import (
    bp,
    desk_only,
    fail,
    now_input,
    once,
    see_other,
    staff_choices,
    today,
    tz,
)
from bluebird.timeline.models import Event
from bluebird.web import estate_id, get_scoped_or_404, render

PASS_ON = CallKind.CASES + (CallKind.MESSAGE,)


def validate_with_unit(form):
    """Validate a desk form and find the unit it names; return (ok, unit).

    An unknown unit is an error next to its field, so the whole form is shown again.
    """
    ok = form.validate()
    code = (form.unit_code.data or "").strip()
    unit = find_unit(estate_id(), code)
    if code and unit is None:
        form.unit_code.errors = list(form.unit_code.errors) + [
            _("There is no unit %(code)s in this estate.", code=code)]
    return ok and not form.unit_code.errors, unit


def _call_form(**values):
    form = CallForm(**values)
    form.recipient.choices = staff_choices()
    return form


def _save_call(form, corrects=None):
    """Validate the whole form, then log the call and pass it on; on any error, save nothing."""
    ok, unit = validate_with_unit(form)
    then = request.form.get("then", "")
    if then and then not in PASS_ON:
        abort(400)
    if then == CallKind.MESSAGE and not form.recipient.data:
        form.recipient.errors = list(form.recipient.errors) + [_("Choose the colleague the message is for.")]
        ok = False
    if not ok:
        return None, None, 422
    fields = {"at": clocks.from_local(form.at.data, tz()), "caller": form.contact_name.data.strip(),
              "phone": (form.contact_phone.data or "").strip(), "unit": unit,
              "place": "" if unit else (form.place.data or "").strip(), "matter": form.matter.data.strip()}
    if corrects is not None:
        fields["corrects"] = corrects
    extra = {"recipient": form.recipient.data, "trade": form.trade.data, "target": form.target.data,
             "promised_on": form.promised_on.data}
    try:
        call, _created = service.log_call(form.client_uuid.data, estate=current_user.estate, taker=current_user,
                                          fields=fields, then=then or None, extra=extra)
    except DeskError as exc:
        return None, fail(form, exc), exc.status
    return call, None, 303


@bp.route("/desk/calls")
def calls():
    """The phone log of a day (today unless ?day=)."""
    desk_only()
    day = _day_arg()
    return render("frontdesk/calls.html", calls=daylog.day(estate_id(), day, tz())["calls"], day=day)


def _day_arg():
    from datetime import date

    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today()


@bp.route("/desk/calls/new", methods=["GET", "POST"])
def call_new():
    """Log a call: time filled in, unit type-ahead fills the caller; pass it on in one tap."""
    desk_only()
    form = _call_form()
    error, status = None, 200
    if request.method == "POST":
        call, error, status = _save_call(form)
        if call is not None:
            return see_other("frontdesk.call", call_id=call.id)
    return render("frontdesk/call_new.html", status=status, form=form,
                  error=error, greeting=clocks.greeting(current_user.estate), now_value=now_input(), corrects=None)


@bp.route("/desk/calls/<int:call_id>", methods=["GET", "POST", "DELETE"])
def call(call_id):
    """One line of the phone log, its case or message, its corrections and timeline."""
    desk_only()
    entry = get_scoped_or_404(PhoneCall, call_id)
    if request.method != "GET":
        return _never_deleted(entry)
    return _call_page(entry)


@bp.route("/desk/calls/<int:call_id>/delete", methods=["POST", "DELETE"])
def call_delete(call_id):
    """There is no deleting the phone log: say so, and how to correct it."""
    desk_only()
    return _never_deleted(get_scoped_or_404(PhoneCall, call_id))


def _never_deleted(entry):
    body, status = _call_page(entry, status=405, error=_(
        "The phone log is kept forever: an entry cannot be deleted or changed. To fix a mistake, "
        "register a correction."))
    return body, status, {"Allow": "GET"}


def _call_page(entry, status=200, error=None, pass_form=None):
    if pass_form is None:
        pass_form = PassOnForm()
    pass_form.recipient.choices = staff_choices()
    return render(
        "frontdesk/call.html", status=status, call=entry, error=error, pass_form=pass_form,
        correction=entry.latest_correction(), corrected=entry.corrects,
        messages=list(entry.messages), events=list(Event.timeline(subject=entry.subject)))


@bp.route("/desk/calls/<int:call_id>/pass", methods=["POST"])
def call_pass(call_id):
    """Pass a logged call on: a repair, complaint or inquiry case, or a message."""
    desk_only()
    entry = get_scoped_or_404(PhoneCall, call_id)
    form = PassOnForm()
    form.recipient.choices = staff_choices()
    if not form.validate() or form.then.data not in PASS_ON:
        return _call_page(entry, status=422, error=_("Choose repair, complaint, inquiry or message."),
                          pass_form=form)
    try:
        once(entry, lambda: service.classify(entry, current_user, form.then.data, recipient=form.recipient.data,
                                             trade=form.trade.data, target=form.target.data,
                                             promised_on=form.promised_on.data))
    except DeskError as exc:
        return _call_page(entry, status=exc.status, error=fail(form, exc), pass_form=form)
    return see_other("frontdesk.call", call_id=entry.id)


@bp.route("/desk/calls/<int:call_id>/correct", methods=["GET", "POST"])
def call_correct(call_id):
    """Correct an entry: a new line that points at the old one (which stays as it was)."""
    desk_only()
    entry = get_scoped_or_404(PhoneCall, call_id)
    error, status = None, 200
    if request.method == "POST":
        form = _call_form()
        new, error, status = _save_call(form, corrects=entry)
        if new is not None:
            return see_other("frontdesk.call", call_id=new.id)
    else:
        form = _call_form(contact_name=entry.caller, contact_phone=entry.phone, place=entry.place,
                          unit_code=entry.unit.code if entry.unit_id else "", matter=entry.matter)
    return render("frontdesk/call_new.html", status=status, form=form,
                  error=error, greeting=clocks.greeting(current_user.estate), corrects=entry,
                  now_value=clocks.to_local_input(entry.at, tz()))


# Messages (留言) -------------------------------------------------------------------------------

def _message_form(**values):
    form = MessageForm(**values)
    form.recipient.choices = staff_choices()
    return form


@bp.route("/desk/messages")
def messages():
    """Messages not yet answered, and today's; a colleague sees the ones for him."""
    query = StaffMessage.unanswered(estate_id())
    if current_user.role not in DESK:
        query = query.where(StaffMessage.recipient == current_user.id)
    today_rows = [m for m in daylog.day(estate_id(), today(), tz())["messages"] if m.answered_at]
    if current_user.role not in DESK:
        today_rows = [m for m in today_rows if m.recipient_id == current_user.id]
    return render("frontdesk/messages.html", unanswered=list(query), answered=today_rows, now=clock.now(),
                  can_leave=current_user.role in DESK)


@bp.route("/desk/messages/new", methods=["GET", "POST"])
def message_new():
    """Take a message for a colleague: it lands on his agenda, answered the same working day."""
    desk_only()
    form = _message_form()
    error, status = None, 200
    if request.method == "POST":
        status = 422
        ok, unit = validate_with_unit(form)
        if not form.recipient.data:
            form.recipient.errors = list(form.recipient.errors) + [_("Choose the colleague the message is for.")]
            ok = False
        if ok:
            try:
                message, _created = service.leave_message(
                    form.client_uuid.data, estate=current_user.estate, taker=current_user,
                    recipient_id=form.recipient.data, caller=form.contact_name.data.strip(),
                    phone=(form.contact_phone.data or "").strip(), unit=unit, matter=form.matter.data.strip(),
                    at=clocks.from_local(form.at.data, tz()))
                return see_other("frontdesk.message", message_id=message.id)
            except DeskError as exc:
                error, status = fail(form, exc), exc.status
    return render("frontdesk/message_new.html", status=status, form=form,
                  error=error, now_value=now_input())


def _message_or_404(message_id):
    message = get_scoped_or_404(StaffMessage, message_id)
    if current_user.role not in DESK and message.recipient_id != current_user.id:
        abort(404)
    return message


@bp.route("/desk/messages/<int:message_id>")
def message(message_id, status=200, error=None, form=None):
    """A message: who, when, what about; the colleague marks it answered here."""
    entry = _message_or_404(message_id)
    return render("frontdesk/message.html", status=status, message=entry, error=error, form=form or AnswerForm(),
                  events=list(Event.timeline(subject=entry.subject)), can_answer=entry.answered_at is None)


@bp.route("/desk/messages/<int:message_id>/answer", methods=["POST"])
def message_answer(message_id):
    """Mark a message answered (called back, seen to): its duty closes."""
    entry = _message_or_404(message_id)
    form = AnswerForm()
    if not form.validate():
        return message(message_id, status=422, form=form)
    try:
        once(entry, lambda: service.answer_message(entry, current_user, form.text.data or ""))
    except DeskError as exc:
        return message(message_id, status=exc.status, error=exc.message, form=form)
    return see_other("frontdesk.message", message_id=entry.id)
