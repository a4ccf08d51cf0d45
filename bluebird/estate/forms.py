"""Forms for units, buildings and residents."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from bluebird.estate.models import Resident, UnitKind, UnitStatus
from bluebird.forms import FlaskForm, choices, max_chars


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


PHONE_CHECK = Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))


class ResidentEditForm(FlaskForm):
    """The butler's ledger entry of a resident (工作台帐)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE_CHECK])
    phone2 = StringField(_l("Second phone"), validators=[Optional(), Length(max=20), PHONE_CHECK])
    wechat = StringField(_l("WeChat ID"), validators=[Optional(), Length(max=50)])
    contact_pref = SelectField(_l("Preferred contact"), choices=choices(Resident.CONTACTS))
    relation = SelectField(_l("Relation"), choices=choices(Resident.RELATIONS))
    members = TextAreaField(_l("Household members"), validators=[Optional(), max_chars(500)])
    key_account = BooleanField(_l("Key account"))
    key_reason = StringField(_l("Why a key account"), validators=[Optional(), Length(max=200)])
    arrears = BooleanField(_l("Fees owed"))
    arrears_amount = DecimalField(_l("Amount owed (¥)"), places=2,
                                  validators=[Optional(), NumberRange(min=0, max=9999999)])
    arrears_as_of = DateField(_l("Owed as of"), validators=[Optional()])
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    note = TextAreaField(_l("Household notes"), validators=[Optional(), max_chars(1000)])

    FIELDS = ("name", "phone", "phone2", "wechat", "contact_pref", "relation", "members", "key_account",
              "key_reason", "arrears", "arrears_amount", "arrears_as_of", "birthday", "note")

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class MoveInForm(ResidentEditForm):
    client_uuid = HiddenField()
    moved_in_at = DateField(_l("Move-in date"), validators=[DataRequired()])


class MoveOutForm(FlaskForm):
    client_uuid = HiddenField()
    moving_on = DateField(_l("Moving day"), validators=[DataRequired()])
    slot = StringField(_l("Time"), validators=[Optional(), Length(max=20)])
    mover = StringField(_l("Moving company or van plate"), validators=[Optional(), Length(max=80)])
    with_household = BooleanField(_l("The whole household moves out"), default=True)
    note = TextAreaField(_l("Note"), validators=[Optional(), max_chars(500)])


class SlipCheckForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices({"release": _l("Release"), "hold": _l("Hold")}))
    check_note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ImportForm(FlaskForm):
    workbook = FileField(_l("Excel workbook (.xlsx)"))


class ImportConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
