"""The visit form, the one-tap case from a visit, the site call and the estate's visit settings."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from bluebird.forms import FlaskForm, choices, max_chars
from bluebird.visits.models import SiteCallKind, Way


class VisitForm(FlaskForm):
    client_uuid = HiddenField()
    unit_code = StringField(_l("Household (unit)"), validators=[DataRequired(), Length(max=40)])
    way = SelectField(_l("How"), choices=choices(Way.LABELS), default=Way.IN_PERSON)
    met = StringField(_l("Who was met"), validators=[Optional(), Length(max=100)])
    opinions = TextAreaField(_l("Opinions gathered"), validators=[Optional(), max_chars(2000)])
    request = TextAreaField(_l("Request (can become a case)"), validators=[Optional(), max_chars(2000)])
    photos = MultipleFileField(_l("Photo"))


class CaseFromVisitForm(FlaskForm):
    client_uuid = HiddenField()
    kind = SelectField(_l("Register as"), choices=choices({"repair": _l("Repair"), "inquiry": _l("Inquiry")}),
                       default="repair")


class SiteCallForm(FlaskForm):
    client_uuid = HiddenField()
    kind = SelectField(_l("Call"), choices=choices(SiteCallKind.LABELS), default=SiteCallKind.CONGRATS)
    reached = BooleanField(_l("Reached the owner"), default=True)
    designer = StringField(_l("Designer"), validators=[Optional(), Length(max=80)])
    site_supervisor = StringField(_l("Site supervisor"), validators=[Optional(), Length(max=80)])
    project_manager = StringField(_l("Project manager"), validators=[Optional(), Length(max=80)])
    note = TextAreaField(_l("What the owner said"), validators=[Optional(), max_chars(300)])
    problem = BooleanField(_l("Problem site"))
    problem_note = TextAreaField(_l("The problem"), validators=[Optional(), max_chars(300)])


def _days(label, low, high):
    return IntegerField(label, validators=[InputRequired(message=_l("Enter a number.")),
                                           NumberRange(min=low, max=high, message=_l("Between %(min)d and %(max)d."))])


class VisitSettingsForm(FlaskForm):
    quota = _days(_l("Households per butler per week"), 1, 100)
    window_days = _days(_l("Familiarity window (days)"), 7, 365)
    interval_days = _days(_l("Visit every household within (days)"), 7, 365)
    key_interval_days = _days(_l("Visit key accounts within (days)"), 1, 365)


class MeetingForm(FlaskForm):
    client_uuid = HiddenField()
    held_on = DateField(_l("Held on"), validators=[InputRequired(message=_l("Enter the date."))])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=80)])
    households = TextAreaField(_l("Households that came (units)"), validators=[Optional(), max_chars(2000)])
    topics = TextAreaField(_l("Topics"), validators=[DataRequired(), max_chars(4000)])
    resolutions = TextAreaField(_l("Resolutions"), validators=[Optional(), max_chars(4000)])


FOLLOW_UP_KINDS = {"repair": _l("Repair"), "complaint": _l("Complaint"), "inquiry": _l("Inquiry")}


class FollowUpForm(FlaskForm):
    client_uuid = HiddenField()
    unit_code = StringField(_l("Household (unit)"), validators=[Optional(), Length(max=40)])
    kind = SelectField(_l("Register as"), choices=choices(FOLLOW_UP_KINDS), default="repair")
    description = TextAreaField(_l("To follow up"), validators=[DataRequired(), max_chars(2000)])
