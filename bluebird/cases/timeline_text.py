"""How a case's timeline events read, in the user's language."""
from flask import g
from flask_babel import gettext as _

from bluebird.cases.kinds import SATISFACTION, TARGETS, CallKind


def describe(event) -> str:
    """One line for a case timeline event."""
    d = event.data
    verb = event.verb
    if verb == "created":
        return _("registered")
    if verb == "dispatched":
        from bluebird.auth.models import User

        # The case page has already fetched everybody it names (cases/views.py, _people).
        who = g.get("people", {}).get(d.get("to")) or (User.get_or_none(User.id == d.get("to")) if d.get("to") else None)
        return _("dispatched to %(who)s", who=who.name if who else d.get("department") or "—")
    if verb == "routed":
        return _("routed (%(target)s) to the responsible head", target=TARGETS.get(d.get("target"), ""))
    if verb == "about_repair":
        return _("registered about repair %(number)s", number=d.get("number", ""))
    if verb == "complained_about":
        return _("the owner complained about this repair: %(number)s", number=d.get("number", ""))
    if verb == "arrived":
        return _("technician on site")
    if verb == "done":
        return _("repair done: %(what)s", what=d.get("work_done", ""))
    if verb == "call":
        text = str(CallKind.LABELS.get(d.get("call"), d.get("call")))
        text += " · " + (_("reached") if d.get("reached") else _("no answer"))
        if d.get("satisfaction"):
            text += " · " + str(SATISFACTION.get(d["satisfaction"], ""))
        return text + (f" — {d['note']}" if d.get("note") else "")
    if verb == "resolved":
        return _("resolved: %(text)s", text=d.get("text", ""))
    if verb == "answered":
        return _("answered and closed: %(text)s", text=d.get("text", ""))
    if verb == "closed":
        return _("closed")
    if verb == "cancelled":
        return _("cancelled: %(text)s", text=d.get("text", ""))
    if verb == "duties_voided":
        from bluebird.duties.outcomes import describe as void_text

        return void_text(event)
    if verb == "reopened":
        return _("reopened: the owner was not satisfied")
    if verb == "from_round":
        from bluebird.rounds.kinds import LABELS

        return _("found on %(kind)s: %(item)s", kind=LABELS.get(d.get("kind"), ""), item=d.get("item", ""))
    if verb == "round_item_changed":
        from bluebird.rounds.kinds import RESULTS

        text = _("the round item was changed: %(result)s", result=RESULTS.get(d.get("result"), ""))
        if d.get("note"):
            text += f" — {d['note']}"
        return text + (" · " + _("%(n)d photo(s) added", n=d["photos"]) if d.get("photos") else "")
    if verb == "comment":
        return d.get("text", "")
    if verb == "survey_invited":
        return _("the owner's survey link was made")
    if verb == "owner_survey":
        return _("the owner answered the satisfaction survey")
    if verb == "owner_comment":
        return _("the owner wrote: %(text)s", text=d.get("text", ""))
    if verb == "owner_photos":
        return _("the owner added %(n)d photo(s)", n=d.get("n", 0))
    if verb == "photo_deleted":
        return _("a photo was removed")
    return verb
