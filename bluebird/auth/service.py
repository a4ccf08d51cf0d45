"""The functions that change staff accounts."""
import secrets

from peewee import IntegrityError

from bluebird import clock
from bluebird.auth.models import User
from bluebird.auth.passwords import hash_password, needs_rehash, verify_password
from bluebird.db import create_once, db
from bluebird.estate import coverage

# A real hash to check against when the username is unknown, so both cases take the
# same time and nobody can probe which usernames exist.
_DUMMY = {}


class DuplicateUsername(ValueError):
    """That username is taken."""


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
    user.session_version = secrets.token_hex(4)
    User.update(password_hash=user.password_hash, session_version=user.session_version).where(
        User.id == user.id
    ).execute()


def reset_password(user: User) -> str:
    """Give a user a new random password and return it (shown once to the admin)."""
    password = secrets.token_urlsafe(9)
    _set_password(user, password)
    return password


def create_staff(client_uuid, *, estate_id, username, name, role, password, phone="", patch_id=None):
    """Create a staff account; a replayed client_uuid returns the first one."""
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
        )
        coverage.hand_over(user)  # a butler given a patch takes the duties waiting for it
        return user, created
    except IntegrityError as exc:
        raise DuplicateUsername(username) from exc


def update_staff(user: User, *, username, name, role, phone, estate_id, patch_id, active) -> User:
    """Change a staff account's details, role, estate, patch or status."""
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
        user.session_version = secrets.token_hex(4)
    try:
        with db.atomic():
            user.save()
            coverage.hand_over(user)
    except IntegrityError as exc:
        raise DuplicateUsername(username) from exc
    return user
