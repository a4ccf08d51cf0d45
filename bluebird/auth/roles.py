"""Roles, what they are called, and where each lands after login."""
from flask_babel import lazy_gettext as _l

ADMIN = "admin"
MANAGER = "manager"
BUTLER = "butler"
RECEPTION = "reception"
INSPECTOR = "inspector"
TECHNICIAN = "technician"

LABELS = {
    BUTLER: _l("Butler"),
    RECEPTION: _l("Receptionist"),
    INSPECTOR: _l("Quality inspector"),
    TECHNICIAN: _l("Technician"),
    MANAGER: _l("Supervisor / manager"),
    ADMIN: _l("Administrator"),
}
ALL = tuple(LABELS)

# A company-wide administrator is an admin whose account is flagged company_wide; the
# command line creates one with `create-user --role company_admin`. Only this account may
# name another estate (staff accounts); every other admin runs one estate.
COMPANY_ADMIN = "company_admin"
COMPANY_ADMIN_LABEL = _l("Company administrator")

# Field roles work on a phone with a bottom tab bar; the desk works on a tablet.
PHONE = (BUTLER, TECHNICIAN, INSPECTOR)
SUPERVISING = (MANAGER, ADMIN)
