"""Round forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from bluebird.forms import choices, max_chars
from bluebird.rounds.kinds import RESULTS


class ItemForm(FlaskForm):
    client_uuid = HiddenField()
    result = SelectField(_l("Result"), choices=choices(RESULTS))
    note = TextAreaField(_l("What is wrong"), validators=[Optional(), max_chars(500)])
    deduction = IntegerField(_l("Points deducted"), validators=[Optional(), NumberRange(min=0, max=100)])
    photos = MultipleFileField(_l("Photos"))


class FinishForm(FlaskForm):
    note = TextAreaField(_l("Summary note"), validators=[Optional(), max_chars(2000)])
    keys_note = StringField(_l("Keys handed over"), validators=[Optional(), Length(max=200)])
    signature_data = HiddenField()


class StartForm(FlaskForm):
    client_uuid = HiddenField()
    kind = HiddenField()
    place = StringField(_l("Place"), validators=[Optional(), Length(max=80)])
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    permit = SelectField(_l("Renovation"), coerce=int, choices=[], validate_choice=False)
