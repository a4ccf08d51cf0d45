"""Round forms."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, Regexp

from bluebird.forms import FlaskForm, choices, max_chars
from bluebird.rounds.kinds import RESULTS


class ItemForm(FlaskForm):
    client_uuid = HiddenField()
    item_id = HiddenField()  # the item this answer is for: a late tap never answers the next one
    result = SelectField(_l("Result"), choices=choices(RESULTS))
    # Ids of their own: the round page carries this form and the finish form together.
    note = TextAreaField(_l("What is wrong"), id="item-note", validators=[Optional(), max_chars(500)])
    deduction = IntegerField(_l("Points deducted"), validators=[Optional(), NumberRange(min=0, max=100)])
    photos = MultipleFileField(_l("Photos"))


def _resident_id(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


class FinishForm(FlaskForm):
    note = TextAreaField(_l("Summary note"), id="finish-note", validators=[Optional(), max_chars(2000)])
    keys_note = StringField(_l("Keys handed over"), validators=[Optional(), Length(max=200)])
    # Move-in: who signs (a resident of the unit, or 0 and a new owner's name and phone).
    owner_id = SelectField(_l("The owner who signs"), coerce=_resident_id, choices=[], validate_choice=False)
    owner_name = StringField(_l("New owner's name"), validators=[Optional(), Length(max=50)])
    owner_phone = StringField(_l("New owner's phone"), validators=[
        Optional(), Length(max=20), Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))])
    signature_data = HiddenField()
    unstamped_ok = HiddenField()  # "finish anyway" after the unstamped-checkpoint warning


class StartForm(FlaskForm):
    client_uuid = HiddenField()
    kind = HiddenField()
    place = StringField(_l("Place"), validators=[Optional(), Length(max=80)])
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    permit = SelectField(_l("Renovation"), coerce=int, choices=[], validate_choice=False)
