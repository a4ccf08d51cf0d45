"""The quiet-hours and channel forms, the WeCom robot form, the WeCom app forms."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, StringField, TimeField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from bluebird.auth import roles
from bluebird.forms import FlaskForm, choices
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


CHANNELS = [("both", _l("Push and WeCom")), ("wecom", _l("WeCom only")), ("push", _l("Push only"))]


class ChannelForm(FlaskForm):
    channel = RadioField(_l("Where reminders reach me"), choices=choices(CHANNELS), default="both")


def _address(form, field):
    value = (field.data or "").strip()
    if value and not (value.startswith(("https://", "http://")) and "." in value.split("//", 1)[1].split("/")[0]
                      or value.startswith("http://localhost")):
        raise ValidationError(_l("Give the address staff open Bluebird at, e.g. https://wuye.example.cn"))


class WeComAppForm(FlaskForm):
    corpid = StringField(_l("Corp ID (企业ID)"), validators=[
        DataRequired(_l("Copy the corp ID from My Company in the WeCom admin console.")), Length(max=64),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("A corp ID has letters and digits only, e.g. ww1234abcd."))])
    agentid = StringField(_l("AgentId"), validators=[
        DataRequired(_l("Copy the AgentId from the app's page.")),
        Regexp(r"^\d{1,10}$", message=_l("An AgentId is a number, e.g. 1000002."))])
    secret = PasswordField(_l("Secret"), validators=[Optional(), Length(max=200)])
    base_url = StringField(_l("Bluebird's address"), validators=[Optional(), Length(max=300), _address])


class MemberForm(FlaskForm):
    userid = StringField(_l("WeCom userid"), validators=[
        Optional(), Length(max=64),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("A userid has letters, digits and . _ - @ only."))])
