"""The functions that change staff accounts."""
import secrets
from datetime import timedelta

from peewee import IntegrityError

from bluebird import clock
from bluebird.auth.models import LoginSession, User
from bluebird.auth.passwords import hash_password, needs_rehash, verify_password
from bluebird.db import create_once, db
from bluebird.estate import coverage

# A session lives as long as the longest cookie that can carry it (the remember cookie,
# 14 days, or the permanent session, 31): older rows are refused and pruned at login.
SESSION_LIFETIME = timedelta(days=31)

# A real hash to check against when the username is unknown, so both cases take the
# same time and nobody can probe which usernames exist.
_DUMMY = {}


class DuplicateUsername(ValueError):
    """That username is taken."""


class OtherEstate(PermissionError):
    """Only a company-wide administrator may place an account in another estate."""


def _may_place(actor, estate_id) -> None:
    # actor None: the command line, run by whoever runs the server.
    if actor is not None and not actor.is_company_admin and int(estate_id) != actor.estate_id:
        raise OtherEstate(estate_id)


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = User.get_or_none(User.username == (username or "").strip())
    if user is None or not user.active:
        if "hash" not in _DUMMY:
            _DUMMY["hash"] = hash_password("not-a-password")
        verify_password(_DUMMY["hash"], password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    fields = {User.last_login_at: clock.now()}
    if needs_rehash(user.password_hash):
        fields[User.password_hash] = hash_password(password)
    User.update(fields).where(User.id == user.id).execute()
    return user


def open_session(user: User) -> User:
    """Start a server-side session for one device; the user's get_id() now names it."""
    now = clock.now()
    LoginSession.delete().where((LoginSession.user == user.id) & (LoginSession.created_at < now - SESSION_LIFETIME)).execute()
    user.session_token = secrets.token_urlsafe(24)
    LoginSession.create(token=user.session_token, user=user.id, created_at=now)
    return user


def close_session(user: User) -> None:
    """End this device's session on the server: its cookies, even copied, stop working."""
    if user.session_token:
        LoginSession.delete().where((LoginSession.token == user.session_token) & (LoginSession.user == user.id)).execute()


def user_for_session(token: str) -> User | None:
    """The active user a session cookie's id names, if that session is still open."""
    user_id, _, rest = (token or "").partition(":")
    version, _, sid = rest.partition(":")
    if not user_id.isdigit() or not sid:
        return None
    # The estate comes in the same query: every page shows times in its zone.
    user = LoginSession.signed_in.first(user_id=int(user_id), token=sid, since=clock.now() - SESSION_LIFETIME)
    if user is None or user.session_version != version or not user.active:
        return None
    user.session_token = sid
    return user


def _end_all_sessions(user: User) -> None:
    user.session_version = secrets.token_hex(4)
    LoginSession.delete().where(LoginSession.user == user.id).execute()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's language."""
    User.update(locale=locale).where(User.id == user.id).execute()
    user.locale = locale


def change_password(user: User, current: str, new: str) -> bool:
    """Change a password if `current` is right; end the user's other sessions."""
    if not verify_password(user.password_hash, current):
        return False
    _set_password(user, new)
    return True


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    _end_all_sessions(user)
    User.update(password_hash=user.password_hash, session_version=user.session_version).where(
        User.id == user.id
    ).execute()


def reset_password(user: User) -> str:
    """Give a user a new random password and return it (shown once to the admin)."""
    password = secrets.token_urlsafe(9)
    _set_password(user, password)
    return password


def create_staff(client_uuid, *, estate_id, username, name, role, password, phone="", patch_id=None, actor=None,
                 company_wide=False):
    """Create a staff account; a replayed client_uuid returns the first one.

    `actor` is the admin doing it (None from the command line, the only place that makes
    a company-wide administrator)."""
    _may_place(actor, estate_id)
    if company_wide and actor is not None:
        raise OtherEstate(estate_id)
    try:
        user, created = create_once(
            User,
            client_uuid,
            estate=estate_id,
            username=username.strip(),
            name=name.strip(),
            role=role,
            phone=phone or "",
            patch=patch_id or None,
            password_hash=hash_password(password),
            company_wide=company_wide,
        )
        coverage.hand_over(user)  # a butler given a patch takes the duties waiting for it
        return user, created
    except IntegrityError as exc:
        raise DuplicateUsername(username) from exc


def update_staff(user: User, *, username, name, role, phone, estate_id, patch_id, active, actor=None) -> User:
    """Change a staff account's details, role, estate, patch or status."""
    _may_place(actor, estate_id)
    _may_place(actor, user.estate_id)
    deactivating = user.active and not active
    user.username = username.strip()
    user.name = name.strip()
    user.role = role
    user.phone = phone or ""
    if estate_id != user.estate_id:
        patch_id = None  # a patch belongs to one estate
    user.estate = estate_id
    user.patch = patch_id or None
    user.active = active
    if deactivating:
        _end_all_sessions(user)
    try:
        with db.atomic():
            user.save()
            coverage.hand_over(user)
    except IntegrityError as exc:
        raise DuplicateUsername(username) from exc
    return user
