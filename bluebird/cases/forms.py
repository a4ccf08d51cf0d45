"""The case form (one form, fields by kind) and the step forms."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from bluebird import clock
from bluebird.cases.kinds import (
    SATISFACTION,
    SCOPES,
    SOURCES,
    TARGETS,
    TRADES,
    WORK_TYPES,
    CallKind,
)
from bluebird.forms import FlaskForm, choices, max_chars

PHONE = Regexp(r"^[0-9+\- ]*$", message=_l("Digits only."))


class CaseForm(FlaskForm):
    client_uuid = HiddenField()
    unit_code = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    place = StringField(_l("Or a public place"), validators=[Optional(), Length(max=80)])
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=20), PHONE])
    source = SelectField(_l("Source"), choices=choices(SOURCES), default="phone")
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), max_chars(2000)])
    photos = MultipleFileField(_l("Photos"))
    # Repairs
    scope = SelectField(_l("Where"), choices=choices(SCOPES), default="household")
    trade = SelectField(_l("Trade"), choices=choices(TRADES), default="water")
    work_type = SelectField(_l("Work"), choices=choices(WORK_TYPES), default="basic")
    emergency = BooleanField(_l("Emergency"))
    minor = BooleanField(_l("Minor repair: finish today"), default=True)
    warranty = BooleanField(_l("Under warranty (the construction company's job)"))
    paid = BooleanField(_l("Paid service"))
    price_item = SelectField(_l("Price list item"), coerce=int, choices=[], validate_choice=False)
    price = DecimalField(_l("Price (yuan)"), places=2, validators=[Optional(), NumberRange(min=0, max=100000)])
    assignee = SelectField(_l("Dispatch to"), coerce=int, choices=[], validate_choice=False)
    # Complaints
    target = SelectField(_l("Complaint about"), choices=choices(TARGETS), default="other")
    target_name = StringField(_l("Person or department complained about"), validators=[Optional(), Length(max=80)])
    cause = TextAreaField(_l("Cause"), validators=[Optional(), max_chars(1000)])
    promised_on = DateField(_l("Promised resolution date (tell the owner)"), validators=[Optional()])
    # The repair a complaint is about (针对工单), by its number: BX000123.
    about_code = StringField(_l("About repair (case number)"), validators=[Optional(), Length(max=20)])
    # Inquiries
    answer = TextAreaField(_l("Answer given on the spot"), validators=[Optional(), max_chars(2000)])

    def validate_promised_on(self, field):
        if field.data and field.data < clock.now().date():
            raise ValidationError(_l("The promised date cannot be in the past."))


class DispatchForm(FlaskForm):
    assignee = SelectField(_l("Technician"), coerce=int, choices=[], validate_choice=False)
    department = StringField(_l("Or a department"), validators=[Optional(), Length(max=40)])


class FinishForm(FlaskForm):
    work_done = TextAreaField(_l("What was done"), validators=[DataRequired(), max_chars(1000)])
    materials = StringField(_l("Materials used"), validators=[Optional(), Length(max=200)])
    photos = MultipleFileField(_l("Photos"))


class CallForm(FlaskForm):
    kind = SelectField(_l("Call type"), choices=choices(CallKind.LABELS))
    reached = SelectField(_l("Reached the owner?"), choices=choices({"yes": _l("Yes"), "no": _l("No answer")}),
                          default="yes")
    satisfaction = SelectField(_l("The owner's verdict"), choices=choices([("", "—")] + list(SATISFACTION.items())),
                               default="")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why it is cancelled"), validators=[
        DataRequired(message=_l("Say why the case is cancelled (for example: registered twice).")), Length(max=500)])


class TextForm(FlaskForm):
    text = TextAreaField(_l("Text"), validators=[DataRequired(), max_chars(2000)])
