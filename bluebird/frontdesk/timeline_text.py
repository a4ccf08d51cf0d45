"""How the desk's timeline events read, in the user's language."""
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _

from bluebird.frontdesk.models import CallKind


def describe(event) -> str:
    """One line for a desk timeline event."""
    d = event.data
    verb = event.verb
    if verb == "logged":
        return _("logged")
    if verb == "corrected":
        return _("corrected by %(number)s", number=d.get("number", ""))
    if verb == "classified":
        kind = str(CallKind.LABELS.get(d.get("kind"), d.get("kind")))
        if d.get("case"):
            return _("passed on as %(kind)s: case %(case)s", kind=kind, case=d["case"])
        return _("message left for %(name)s", name=d.get("to", ""))
    if verb == "left":
        return _("message left for %(name)s", name=d.get("to", ""))
    if verb == "answered":
        return _("answered") + (f": {d['text']}" if d.get("text") else "")
    if verb == "in":
        return _("came in")
    if verb == "out":
        return _("left")
    if verb == "arrived":
        return _("parcel logged in")
    if verb == "told":
        return _("the resident was told")
    if verb == "collected":
        return _("collected by %(name)s", name=d.get("by", ""))
    if verb == "registered":
        return _("registered on hook %(hook)s", hook=d.get("hook", ""))
    if verb == "lent":
        due = format_datetime(datetime.fromisoformat(d["due"]), "M/d HH:mm") if d.get("due") else ""
        return _("lent to %(who)s (%(why)s), due back %(due)s", who=d.get("to", ""), why=d.get("purpose", ""), due=due)
    if verb == "returned":
        text = _("returned by %(who)s", who=d.get("by", ""))
        if d.get("late_minutes"):
            text += " · " + _("%(n)d minutes late", n=d["late_minutes"])
        return text + (f" — {d['note']}" if d.get("note") else "")
    if verb == "retired":
        return _("retired from the register: %(why)s", why=d.get("reason", ""))
    if verb == "duties_voided":
        from bluebird.duties.outcomes import describe as void_text

        return void_text(event)
    if verb == "opened":
        return _("handed over with %(n)d open items", n=d.get("items", 0))
    if verb == "accepted":
        return _("accepted") + (f" — {d['note']}" if d.get("note") else "")
    return verb
