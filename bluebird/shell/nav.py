"""Navigation: the phone tab bar and the desk's top bar, per role.

Field roles (butler, technician, inspector) always get the tab bar. Office roles get the
top bar on a tablet or desktop and, below 768 px, a tab bar of their four most used
pages plus 更多 (a page listing the whole top bar); CSS picks one by width.
"""
from flask import request
from flask_babel import lazy_gettext as _l

from bluebird.auth import roles

MORE = "shell.more"

# (endpoint, label, icon id in static/icons.svg, blueprints that light the tab up)
TABS = [
    ("duties.agenda", _l("To do"), "todo", ("duties",)),
    ("rounds.index", _l("Patrol"), "patrol", ("rounds", "renovations")),
    ("cases.index", _l("Cases"), "cases", ("cases",)),
    ("estate.index", _l("Residents"), "home", ("estate", "visits")),
    ("auth.me", _l("Me"), "me", ("auth",)),
]

_MORE_TAB = (MORE, _l("More"), "more", ())

OFFICE_TABS = {
    roles.RECEPTION: [("frontdesk.desk", _l("Front desk"), "desk", ("frontdesk",)),
                      ("cases.index", _l("Cases"), "cases", ("cases",)),
                      ("estate.index", _l("Residents"), "home", ("estate",)),
                      ("duties.agenda", _l("To do"), "todo", ("duties",)), _MORE_TAB],
    roles.MANAGER: [("shell.dashboard", _l("Dashboard"), "dashboard", ()),
                    ("duties.agenda", _l("To do"), "todo", ("duties",)),
                    ("cases.index", _l("Cases"), "cases", ("cases",)),
                    ("rounds.index", _l("Rounds"), "patrol", ("rounds",)), _MORE_TAB],
    roles.ADMIN: [("shell.dashboard", _l("Dashboard"), "dashboard", ()),
                  ("cases.index", _l("Cases"), "cases", ("cases",)),
                  ("staff.index", _l("Staff"), "staff", ("staff",)),
                  ("estate_admin.index", _l("Buildings"), "building", ("estate_admin",)), _MORE_TAB],
}

TOPNAV = {
    roles.RECEPTION: [("frontdesk.desk", _l("Front desk")), ("frontdesk.log_day", _l("Desk log")),
                      ("frontdesk.release_index", _l("Release slips")),
                      ("cases.index", _l("Cases")), ("estate.index", _l("Residents")), ("duties.agenda", _l("To do")),
                      ("auth.me", _l("Me"))],
    roles.MANAGER: [("shell.dashboard", _l("Dashboard")), ("duties.agenda", _l("To do")), ("cases.index", _l("Cases")),
                    ("rounds.index", _l("Rounds")), ("renovations.index", _l("Renovations")),
                    ("estate.index", _l("Residents")), ("visits.index", _l("Visits")),
                    ("assessment.overview", _l("Assessment")), ("reports.index", _l("Reports")),
                    ("settings.index", _l("Settings")), ("auth.me", _l("Me"))],
    roles.ADMIN: [("shell.dashboard", _l("Dashboard")), ("cases.index", _l("Cases")), ("staff.index", _l("Staff")),
                  ("estate_admin.index", _l("Buildings")), ("rounds_admin.index", _l("Checklists")),
                  ("assessment.overview", _l("Assessment")), ("reports.index", _l("Reports")),
                  ("settings.index", _l("Settings")), ("auth.me", _l("Me"))],
}


def _tabs_for(user):
    if user is None or user.on_phone:
        return TABS
    return OFFICE_TABS.get(user.role, OFFICE_TABS[roles.MANAGER])


def tab_items(user=None):
    """The bottom tabs with the current one marked (更多 for the pages it lists)."""
    here = request.endpoint or ""
    blueprint = request.blueprint or ""
    tabs = _tabs_for(user)
    lit = [here == endpoint or blueprint in lights for endpoint, _label, _icon, lights in tabs]
    if not any(lit) and tabs[-1][0] == MORE:
        extra = {endpoint.partition(".")[0] for endpoint, _label in more_items(user)}
        lit[-1] = here == MORE or blueprint in extra
    return [(endpoint, label, icon, on) for (endpoint, label, icon, _lights), on in zip(tabs, lit, strict=True)]


def nav_items(user):
    """The top bar links for a desk or office role."""
    return TOPNAV.get(user.role, TOPNAV[roles.MANAGER])


def more_items(user):
    """What the 更多 page lists: the top bar's links the tab bar has no room for."""
    tabbed = {endpoint for endpoint, *_rest in _tabs_for(user)}
    return [(endpoint, label) for endpoint, label in nav_items(user) if endpoint not in tabbed]
