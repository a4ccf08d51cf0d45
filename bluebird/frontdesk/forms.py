"""The desk's forms. Field names match the case form's where the shared type-ahead fills
them (unit_code, contact_name, contact_phone)."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from bluebird.cases.kinds import TARGETS, TRADES
from bluebird.forms import FlaskForm, choices, max_chars
from bluebird.frontdesk.models import KeyKind

PHONE = Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))
WHEN = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
CARRIERS = ("顺丰", "京东", "中通", "圆通", "韵达", "申通", "极兔", "EMS", "邮政")


class CallForm(FlaskForm):
    client_uuid = HiddenField()
    at = DateTimeLocalField(_l("Date and time"), format=WHEN, validators=[DataRequired()])
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    place = StringField(_l("Or a public place"), validators=[Optional(), Length(max=80)])
    contact_name = StringField(_l("Caller"), validators=[DataRequired(), Length(max=50)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE])
    matter = TextAreaField(_l("Matter"), validators=[DataRequired(), max_chars(2000)])
    recipient = SelectField(_l("Message for"), coerce=int, choices=[], validate_choice=False)
    trade = SelectField(_l("Trade (for a repair)"), choices=choices(TRADES), default="other")
    target = SelectField(_l("Complaint about"), choices=choices(TARGETS), default="other")
    promised_on = DateField(_l("Promised resolution date (for a complaint)"), validators=[Optional()])


class PassOnForm(FlaskForm):
    """Pass a logged call on later, from its page."""

    then = StringField(validators=[DataRequired()])
    recipient = SelectField(_l("Message for"), coerce=int, choices=[], validate_choice=False)
    trade = SelectField(_l("Trade (for a repair)"), choices=choices(TRADES), default="other")
    target = SelectField(_l("Complaint about"), choices=choices(TARGETS), default="other")
    promised_on = DateField(_l("Promised resolution date (for a complaint)"), validators=[Optional()])


class VisitorForm(FlaskForm):
    client_uuid = HiddenField()
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    purpose = StringField(_l("Purpose"), validators=[DataRequired(), Length(max=100)])
    unit_code = StringField(_l("Unit visited"), validators=[Optional(), Length(max=40)])
    whom = StringField(_l("Or whom (a person or department)"), validators=[Optional(), Length(max=50)])
    in_at = DateTimeLocalField(_l("Time in"), format=WHEN, validators=[DataRequired()])


class OutForm(FlaskForm):
    out_at = DateTimeLocalField(_l("Time out"), format=WHEN, validators=[Optional()])


class MessageForm(FlaskForm):
    client_uuid = HiddenField()
    at = DateTimeLocalField(_l("Date and time"), format=WHEN, validators=[DataRequired()])
    contact_name = StringField(_l("Who called or came"), validators=[DataRequired(), Length(max=50)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE])
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    recipient = SelectField(_l("For"), coerce=int, choices=[], validate_choice=False)
    matter = TextAreaField(_l("What about"), validators=[DataRequired(), max_chars(2000)])


class AnswerForm(FlaskForm):
    text = StringField(_l("How it was answered"), validators=[Optional(), Length(max=300)])


class ParcelForm(FlaskForm):
    client_uuid = HiddenField()
    unit_code = StringField(_l("Recipient's unit"), validators=[DataRequired(), Length(max=40)])
    carrier = StringField(_l("Carrier"), validators=[DataRequired(), Length(max=30)])
    tracking_tail = StringField(_l("Tracking no. (last digits)"),
                                validators=[Optional(), Length(max=8), Regexp(r"^[0-9A-Za-z]*$", message=_l("Digits only."))])
    addressee = StringField(_l("Addressee"), validators=[Optional(), Length(max=50)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class PickupForm(FlaskForm):
    picked_up_by = StringField(_l("Collected by"), validators=[DataRequired(), Length(max=50)])


class KeyForm(FlaskForm):
    client_uuid = HiddenField()
    kind = SelectField(_l("Kind of key"), choices=choices(KeyKind.LABELS), default=KeyKind.VACANT)
    name = StringField(_l("Key"), validators=[DataRequired(), Length(max=60)])
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    hook = StringField(_l("Hook or box no."), validators=[DataRequired(), Length(max=20)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class LendForm(FlaskForm):
    client_uuid = HiddenField()
    borrower_user = SelectField(_l("A colleague"), coerce=int, choices=[], validate_choice=False)
    borrower = StringField(_l("Or someone else (name)"), validators=[Optional(), Length(max=50)])
    purpose = StringField(_l("Why"), validators=[DataRequired(), Length(max=100)])
    due_at = DateTimeLocalField(_l("Due back"), format=WHEN, validators=[DataRequired()])


class ReturnForm(FlaskForm):
    note = StringField(_l("Note (condition, who brought it)"), validators=[Optional(), Length(max=200)])


class RetireKeyForm(FlaskForm):
    reason = StringField(_l("Why it leaves the register"), validators=[
        DataRequired(message=_l("Say why the key leaves the register (for example: handed to the owner).")),
        Length(max=200)])


class HandoverForm(FlaskForm):
    client_uuid = HiddenField()
    note = TextAreaField(_l("Equipment and anything else to pass on"), validators=[Optional(), max_chars(2000)])


class AcceptForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class SettingsForm(FlaskForm):
    greeting = TextAreaField(_l("Standard greeting on the phone"), validators=[DataRequired(), max_chars(200)])
    sort_am = TimeField(_l("First sorting of open items"), validators=[DataRequired()])
    sort_pm = TimeField(_l("Second sorting of open items"), validators=[DataRequired()])
    post = TimeField(_l("Post the day's hand-overs and renovation paperwork"), validators=[DataRequired()])
    day_end = TimeField(_l("Messages answered by"), validators=[DataRequired()])
    parcel_days = IntegerField(_l("Parcels uncollected after (days)"),
                               validators=[DataRequired(), NumberRange(min=1, max=30)])
