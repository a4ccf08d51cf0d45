"""The assessment forms: a manual item, an appeal, an answer, the year's inputs."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

from bluebird.assessment import rulebook
from bluebird.forms import FlaskForm, choices, max_chars

REASON = DataRequired(message=_l("Give a reason."))


def manual_choices():
    return choices([(row.code, f"{row.clause} {row.label} ({row.points:+d})") for row in rulebook.ROWS
                    if not row.computed])


class ManualForm(FlaskForm):
    client_uuid = HiddenField()
    rule = SelectField(_l("Item"), choices=[], validate_choice=True)
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[REASON, max_chars(1000)])


class AppealForm(FlaskForm):
    client_uuid = HiddenField()
    reason = TextAreaField(_l("Why you appeal"), validators=[DataRequired(message=_l("Say why you appeal this item.")),
                                                               max_chars(1000)])


class AnswerForm(FlaskForm):
    decision = RadioField(_l("Answer"), choices=choices([("accept", _l("Accept: remove or change the item")),
                                                         ("reject", _l("Reject"))]), default="reject")
    new_points = IntegerField(_l("New points (empty: remove the item)"),
                              validators=[Optional(), NumberRange(min=-100, max=100)])
    answer = TextAreaField(_l("Reason for the answer"), validators=[REASON, max_chars(1000)])


class AnnualForm(FlaskForm):
    checks = IntegerField(_l("Weekly and monthly checks (20%)"), validators=[Optional(), NumberRange(min=0, max=100)])
    year_end = IntegerField(_l("Year-end assessment (50%)"), validators=[Optional(), NumberRange(min=0, max=100)])
    bonus = IntegerField(_l("Bonus for commendations (0–10)"), validators=[Optional(), NumberRange(min=0, max=10)])
    note = StringField(_l("Note"), validators=[Optional(), max_chars(300)])
