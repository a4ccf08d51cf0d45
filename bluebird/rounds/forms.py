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

from bluebird.forms import choices
from bluebird.rounds.kinds import RESULTS


class ItemForm(FlaskForm):
    client_uuid = HiddenField()
    item_id = HiddenField()  # the item this answer is for: a late tap never answers the next one
    result = SelectField(_l("Result"), choices=choices(RESULTS))
    # Ids of their own: the round page carries this form and the finish form together.
    note = TextAreaField(_l("What is wrong"), id="item-note", validators=[Optional(), Length(max=500)])
    deduction = IntegerField(_l("Points deducted"), validators=[Optional(), NumberRange(min=0, max=100)])
    photos = MultipleFileField(_l("Photos"))


class FinishForm(FlaskForm):
    note = TextAreaField(_l("Summary note"), id="finish-note", validators=[Optional(), Length(max=2000)])
    keys_note = StringField(_l("Keys handed over"), validators=[Optional(), Length(max=200)])
    signature_data = HiddenField()
    unstamped_ok = HiddenField()  # "finish anyway" after the unstamped-checkpoint warning


class StartForm(FlaskForm):
    client_uuid = HiddenField()
    kind = HiddenField()
    place = StringField(_l("Place"), validators=[Optional(), Length(max=80)])
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    permit = SelectField(_l("Renovation"), coerce=int, choices=[], validate_choice=False)
