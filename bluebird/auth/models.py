"""Staff accounts."""
from flask_login import UserMixin
from peewee import JOIN, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from bluebird import clock
from bluebird.auth import roles
from bluebird.db import BaseModel, ReplaySafe, prepared
from bluebird.estate.models import Estate, Patch


class User(UserMixin, ReplaySafe):
    estate = ForeignKeyField(Estate, backref="staff", on_delete="CASCADE")
    username = CharField(max_length=40, unique=True)
    password_hash = CharField(max_length=200)
    name = CharField(max_length=50)
    role = CharField(max_length=16, index=True)
    phone = CharField(max_length=20, default="")
    patch = ForeignKeyField(Patch, null=True, backref="butlers", on_delete="SET NULL")
    locale = CharField(max_length=8, default="zh_CN")
    active = BooleanField(default=True)
    # Bumped on password reset or deactivation: every session of the user ends.
    session_version = CharField(max_length=16, default="1")
    # A company-wide administrator (公司管理员): role admin, and the only account that may
    # name an estate other than its own. Set only from the command line (create-user).
    company_wide = BooleanField(default=False)
    created_at = DateTimeField(default=clock.now)
    last_login_at = DateTimeField(null=True)
    # Quiet hours (minutes after local midnight, estate's zone): non-urgent reminders
    # wait until they end. Equal values mean none.
    quiet_start = IntegerField(default=22 * 60)
    quiet_end = IntegerField(default=7 * 60)

    def __str__(self):
        return self.name

    # The server-side session this request runs under (set at login and by the loader).
    session_token = ""

    def get_id(self):
        # id:version:session. The version ends every session at once (password reset,
        # deactivation); the session token ends one device's session (logout).
        return f"{self.id}:{self.session_version}:{self.session_token}"

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        if self.company_wide:
            return roles.COMPANY_ADMIN_LABEL
        return roles.LABELS.get(self.role, self.role)

    @property
    def is_company_admin(self):
        return self.company_wide and self.role == roles.ADMIN

    @property
    def on_phone(self):
        return self.role in roles.PHONE

    @property
    def supervises(self):
        return self.role in roles.SUPERVISING

    @classmethod
    def in_estate(cls, estate_id):
        """Staff of an estate, active first, by role then name."""
        return (
            cls.select(cls, Patch)
            .join(Patch, join_type=JOIN.LEFT_OUTER)
            .where(cls.estate == estate_id)
            .order_by(cls.active.desc(), cls.role, cls.name)
        )

    @classmethod
    def everyone(cls):
        """Staff of every estate, by estate, then as in_estate (the company admin's list)."""
        return (
            cls.select(cls, Patch, Estate)
            .join(Patch, join_type=JOIN.LEFT_OUTER)
            .switch(cls)
            .join(Estate)
            .order_by(Estate.name, cls.active.desc(), cls.role, cls.name)
        )

    @classmethod
    def with_role(cls, estate_id, *wanted):
        """Active staff of an estate holding one of the given roles."""
        return cls.select().where((cls.estate == estate_id) & (cls.role.in_(wanted)) & cls.active)

    @staticmethod
    @prepared
    def these_or_role(*, ids=(), estate_id=0, role=""):
        """These people, and the estate's active staff in one role, by name (compiled once per count)."""
        in_role = (User.estate == estate_id) & (User.role == role) & User.active
        return User.select().where(in_role | User.id.in_(ids)).order_by(User.name, User.id)

    @staticmethod
    @prepared
    def names_with_role(*, estate_id=0, role=""):
        """(id, name) of an estate's active staff in one role, by name: pickers and filters (compiled once)."""
        return (User.select(User.id, User.name).where((User.estate == estate_id) & (User.role == role) & User.active)
                .order_by(User.name).tuples())


class LoginSession(BaseModel):
    """One signed-in device. Logging out deletes its row, so a copied cookie dies with it."""

    token = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, backref="login_sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=clock.now, index=True)

    class Meta:
        table_name = "login_session"

    @staticmethod
    @prepared
    def signed_in(*, user_id=0, token="", since=clock.now()):
        """The user a device's session names, with his estate, if the session began after `since`.

        Every request asks it, so its SQL is compiled once (bluebird/db.py `prepared`).
        """
        return (User.select(User, Estate).join(LoginSession).switch(User).join(Estate)
                .where((User.id == user_id) & (LoginSession.token == token) & (LoginSession.created_at >= since))
                .limit(1))
