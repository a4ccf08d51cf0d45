"""The words of cases: kinds, statuses, sources, trades, satisfaction."""
from flask_babel import lazy_gettext as _l


class CaseKind:
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    INCIDENT = "incident"
    INFO = "info"

    LABELS = {
        REPAIR: _l("Repair"),
        COMPLAINT: _l("Complaint"),
        INQUIRY: _l("Inquiry"),
        INCIDENT: _l("Incident"),
        INFO: _l("Info slip"),
    }
    PREFIX = {REPAIR: "BX", COMPLAINT: "TS", INQUIRY: "ZX", INCIDENT: "TF", INFO: "XX"}
    ALL = tuple(LABELS)


class CaseStatus:
    NEW = "new"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    DONE = "done"  # the work is done; the satisfaction call closes it
    CLOSED = "closed"
    CANCELLED = "cancelled"  # registered by mistake (a duplicate): void, never counted

    LABELS = {
        NEW: _l("Registered"),
        DISPATCHED: _l("Dispatched"),
        ON_SITE: _l("On site"),
        DONE: _l("Done, awaiting call-back"),
        CLOSED: _l("Closed"),
        CANCELLED: _l("Cancelled"),
    }
    ALL = tuple(LABELS)
    OPEN = (NEW, DISPATCHED, ON_SITE, DONE)


SOURCES = {"phone": _l("Phone"), "walk_in": _l("Walk-in"), "patrol": _l("Found on patrol"), "owner": _l("Owner message"),
           "inspection": _l("Found at unit inspection"), "visit": _l("Household visit"),
           "meeting": _l("Owner meeting")}
SCOPES = {"household": _l("Household"), "public": _l("Public area")}
TRADES = {"water": _l("Water"), "electric": _l("Electric"), "heating": _l("Heating"), "civil": _l("Civil works"),
          "other": _l("Other")}
WORK_TYPES = {"basic": _l("Basic"), "materials": _l("With materials")}
TARGETS = {"design": _l("Design"), "construction": _l("Construction"), "inspection": _l("Inspection"),
           "service": _l("Property service"), "other": _l("Other")}
SATISFACTION = {"satisfied": _l("Satisfied"), "basic": _l("Basically satisfied"), "unsatisfied": _l("Not satisfied")}


class CallKind:
    NOTIFY = "notify_owner"  # tell the owner who will come
    CALLBACK_24H = "callback_24h"  # next day: confirm contact was made
    SATISFACTION = "satisfaction"  # after completion
    COMPLAINT_CALLBACK = "complaint_callback"

    LABELS = {
        NOTIFY: _l("Told the owner who will come"),
        CALLBACK_24H: _l("24-hour call-back"),
        SATISFACTION: _l("Satisfaction call-back"),
        COMPLAINT_CALLBACK: _l("Complaint call-back"),
    }
