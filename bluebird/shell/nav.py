"""Navigation: the phone tab bar and the desk's top bar, per role."""
from flask import request
from flask_babel import lazy_gettext as _l

from bluebird.auth import roles

# (endpoint, label, icon id in static/icons.svg, blueprints that light the tab up)
TABS = [
    ("duties.agenda", _l("To do"), "todo", ("duties",)),
    ("rounds.index", _l("Patrol"), "patrol", ("rounds", "renovations")),
    ("cases.index", _l("Cases"), "cases", ("cases",)),
    ("estate.index", _l("Residents"), "home", ("estate",)),
    ("auth.me", _l("Me"), "me", ("auth",)),
]

TOPNAV = {
    roles.RECEPTION: [("frontdesk.desk", _l("Front desk")), ("frontdesk.log_day", _l("Desk log")),
                      ("cases.index", _l("Cases")), ("estate.index", _l("Residents")), ("duties.agenda", _l("To do")),
                      ("auth.me", _l("Me"))],
    roles.MANAGER: [("shell.dashboard", _l("Dashboard")), ("duties.agenda", _l("To do")), ("cases.index", _l("Cases")),
                    ("rounds.index", _l("Rounds")), ("renovations.index", _l("Renovations")),
                    ("estate.index", _l("Residents")), ("settings.index", _l("Settings")), ("auth.me", _l("Me"))],
    roles.ADMIN: [("shell.dashboard", _l("Dashboard")), ("cases.index", _l("Cases")), ("staff.index", _l("Staff")),
                  ("estate_admin.index", _l("Buildings")), ("rounds_admin.index", _l("Checklists")),
                  ("settings.index", _l("Settings")), ("auth.me", _l("Me"))],
}


def tab_items():
    """The bottom tabs with the current one marked."""
    here = request.endpoint or ""
    blueprint = request.blueprint or ""
    return [
        (endpoint, label, icon, here == endpoint or blueprint in lights)
        for endpoint, label, icon, lights in TABS
    ]


def nav_items(user):
    """The top bar links for a desk or office role."""
    return TOPNAV.get(user.role, TOPNAV[roles.MANAGER])
