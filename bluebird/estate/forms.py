"""Forms for units, buildings and residents."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from bluebird.estate.models import Resident, UnitKind, UnitStatus
from bluebird.forms import choices, max_chars


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices(UnitStatus.LABELS))
    note = StringField(_l("Note or reason"), validators=[Optional(), Length(max=200)])


class BuildingForm(FlaskForm):
    client_uuid = HiddenField()
    name = StringField(_l("Building number"), validators=[DataRequired(), Length(max=20)])
    floors = IntegerField(_l("Floors"), default=1, validators=[DataRequired(), NumberRange(min=1, max=120)])
    patch = SelectField(_l("Patch"), coerce=int, choices=[])


class UnitForm(FlaskForm):
    client_uuid = HiddenField()
    number = StringField(
        _l("Unit number"),
        validators=[DataRequired(), Length(max=20), Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))],
    )
    floor = IntegerField(_l("Floor"), default=1, validators=[Optional(), NumberRange(min=-10, max=120)])
    kind = SelectField(_l("Use"), choices=choices(UnitKind.LABELS))
    status = SelectField(_l("Status"), choices=choices(UnitStatus.LABELS))
    area = IntegerField(_l("Area (m²)"), validators=[Optional(), NumberRange(min=1, max=100000)])
    reason = StringField(_l("Why already handed over"), validators=[Optional(), Length(max=200)])


class ResidentForm(FlaskForm):
    client_uuid = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=20), Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))]
    )
    relation = SelectField(_l("Relation"), choices=choices(Resident.RELATIONS))
    key_account = BooleanField(_l("Key account"))
    note = TextAreaField(_l("Household notes"), validators=[Optional(), max_chars(1000)])
