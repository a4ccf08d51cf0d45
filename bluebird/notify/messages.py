"""Notification titles as a message key and its parameters, rendered in the reader's language.

A title stored already translated stays in the language of the moment it was made; the
key ("duties_due", {"num": 3}) is rendered when it is shown: the inbox in the reader's
language, a push in the recipient's at send time. Rows from before keep their stored text.
"""
import json

from flask_babel import gettext


def _duty(params):
    from bluebird.duties.rules import kind_label

    return str(kind_label(params.get("kind", "")))


TITLES = {
    "duty_due": _duty,
    "duties_due": lambda p: gettext("Duties due: %(num)d", num=p["num"]),
    "overdue": lambda p: gettext("Overdue: %(duty)s", duty=_duty(p)),
    "overdue_many": lambda p: gettext("Overdue duties: %(num)d", num=p["num"]),
    # The supervisors' morning digest (bluebird/reports/digest.py).
    "digest": lambda p: gettext("Morning digest: %(new)d new, %(overdue)d overdue, %(reopened)d reopened, "
                                "%(unassigned)d unassigned", **p),
    "duty_assigned": lambda p: gettext("Now yours: %(duty)s", duty=_duty(p)),
    "duties_assigned": lambda p: gettext("Now yours: %(num)d duties", num=p["num"]),
    "duty_passed": lambda p: gettext("%(duty)s: passed to %(name)s", duty=_duty(p), name=p.get("name", "")),
    "duties_passed": lambda p: gettext("%(num)d duties passed to %(name)s", num=p["num"], name=p.get("name", "")),
    "wecom_userid_bad": lambda p: gettext("WeCom account not valid: %(name)s", name=p.get("name", "")),
}


def message(key: str, **params) -> str:
    """The stored form of a title: its key and parameters, as JSON."""
    if key not in TITLES:
        raise KeyError(key)
    return json.dumps({"key": key, "params": params}, ensure_ascii=False)


def render_title(stored_message: str | None, fallback: str) -> str:
    """The title in the current locale; the stored text for old rows or an unknown key."""
    if not stored_message:
        return fallback
    try:
        data = json.loads(stored_message)
        return str(TITLES[data["key"]](data.get("params") or {}))
    except (ValueError, KeyError, TypeError):
        return fallback
