"""Login, profile and staff forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from bluebird.auth import roles
from bluebird.extensions import LOCALES
from bluebird.forms import FlaskForm, choices

LOCALE_NAMES = {"zh_CN": "简体中文", "en": "English"}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class LocaleForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=choices((c, LOCALE_NAMES[c]) for c in LOCALES))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])


class StaffForm(FlaskForm):
    client_uuid = HiddenField()
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))])
    role = SelectField(_l("Role"), choices=[])
    estate = SelectField(_l("Estate"), coerce=int, choices=[])
    patch = SelectField(_l("Patch"), coerce=int, choices=[])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)])
    active = BooleanField(_l("Active"), default=True)

    def fill_choices(self, estates, patches, by_estate=False):
        """Offer the roles, the estates and the patches (named with their estate if several)."""
        self.role.choices = choices(roles.LABELS)
        self.estate.choices = choices((e.id, e.name) for e in estates)
        self.patch.choices = choices([(0, "—")] + [(p.id, f"{p.estate.name} · {p.name}" if by_estate else p.name)
                                                   for p in patches])
