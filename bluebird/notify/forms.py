"""The quiet-hours form and the WeCom robot form."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TimeField
from wtforms.validators import Length, Optional, ValidationError

from bluebird.auth import roles
from bluebird.notify.service import endpoint_allowed

# The robots an estate can have: one for everyone, and one per team (role).
TEAMS = [("", _l("Whole estate"))] + [(r, roles.LABELS[r]) for r in
                                      (roles.BUTLER, roles.TECHNICIAN, roles.RECEPTION, roles.MANAGER)]


class QuietHoursForm(FlaskForm):
    enabled = BooleanField(_l("Quiet hours"))
    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("Until"), validators=[Optional()])

    def validate_end(self, field):
        if self.enabled.data:
            if self.start.data is None or field.data is None:
                raise ValidationError(_l("Give both times."))
            if self.start.data == field.data:
                raise ValidationError(_l("Start and end must differ."))


def _robot_url(form, field):
    if field.data and not endpoint_allowed(field.data.strip(), current_app.config["WECOM_HOSTS"]):
        raise ValidationError(_l("Paste the robot's webhook address (https://qyapi.weixin.qq.com/…)."))


class WeComForm(FlaskForm):
    pass


for _team, _label in TEAMS:
    setattr(WeComForm, f"url_{_team or 'all'}",
            StringField(_label, validators=[Optional(), Length(max=500), _robot_url]))
