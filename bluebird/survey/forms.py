"""The owner's survey form (one per kind of survey) and the supervisor's start form."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from bluebird.forms import FlaskForm, choices, max_chars
from bluebird.survey.questions import QUESTION_LABELS, QUESTIONS, SCALE

ANSWER_EVERY = _l("Please choose one.")


class _OwnerForm(FlaskForm):
    comment = TextAreaField(_l("Anything else you would like to tell us"), validators=[max_chars(1000)])


class _CaseExtras:
    note = TextAreaField(_l("A note for the people handling it"), validators=[max_chars(1000)])
    photos = MultipleFileField(_l("Add a photo"))


def _form_class(kind):
    fields = {q: RadioField(QUESTION_LABELS[q], choices=choices([(str(v), label) for v, label in SCALE.items()]),
                            validators=[InputRequired(message=ANSWER_EVERY)]) for q in QUESTIONS[kind]}
    cls = type(f"{kind.capitalize()}SurveyForm", (_OwnerForm,), fields)
    if kind != "periodic":
        cls.note = _CaseExtras.note
        cls.photos = _CaseExtras.photos
    cls.questions = QUESTIONS[kind]
    return cls


OWNER_FORMS = {kind: _form_class(kind) for kind in QUESTIONS}


class StartForm(FlaskForm):
    """Start a periodic survey of one building or the whole estate."""

    client_uuid = HiddenField()
    building = SelectField(_l("Which households"), coerce=int, default=0)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])


class ReissueForm(FlaskForm):
    """A new link for a household whose link expired."""
