"""The filing form: the supervisor's analysis (and the month report's plan); the numbers come from the records."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Optional

from bluebird.forms import FlaskForm, max_chars


class FilingForm(FlaskForm):
    client_uuid = HiddenField()
    analysis = TextAreaField(_l("Analysis"), validators=[Optional(), max_chars(4000)])
    plan = TextAreaField(_l("Next month's plan"), validators=[Optional(), max_chars(4000)])
