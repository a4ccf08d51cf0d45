"""Permit and pass forms."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from bluebird.forms import FlaskForm, choices, max_chars

PHONE = Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))


class PermitForm(FlaskForm):
    client_uuid = HiddenField()
    unit_code = StringField(_l("Unit"), validators=[DataRequired(), Length(max=40)])
    applicant = StringField(_l("Applicant"), validators=[DataRequired(), Length(max=50)])
    applicant_phone = StringField(_l("Applicant phone"), validators=[Optional(), Length(max=20), PHONE])
    contractor = StringField(_l("Contractor"), validators=[DataRequired(), Length(max=80)])
    contractor_phone = StringField(_l("Contractor phone"), validators=[Optional(), Length(max=20), PHONE])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
    hours = StringField(_l("Allowed working hours"), default="08:00-12:00, 14:00-18:00",
                        validators=[DataRequired(), Length(max=40)])
    deposit = DecimalField(_l("Deposit (yuan)"), places=2, default=0, validators=[Optional(), NumberRange(min=0, max=1000000)])
    scope = TextAreaField(_l("Scope of works"), validators=[Optional(), max_chars(2000)])


class PassForm(FlaskForm):
    client_uuid = HiddenField()
    name = StringField(_l("Worker"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("ID card number"), validators=[DataRequired(), Length(min=6, max=20)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])


class NoticeForm(FlaskForm):
    kind = SelectField(_l("Notice"), choices=choices({"rectify": _l("Rectification notice"),
                                                       "stop_work": _l("Stop-work notice")}))
    text = TextAreaField(_l("What must change"), validators=[DataRequired(), max_chars(1000)])
