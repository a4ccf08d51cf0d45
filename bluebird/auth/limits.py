"""Login limits that stop guessing without locking anybody out.

Failed logins count per username and address, per address, and (higher) per username
over every address, which stops guesses spread over many addresses. A device that a user has
signed in on before carries a signed cookie (OWASP's "device cookies"): its attempts for
that user count on their own and skip the address limit, so a guesser, even one behind
the same office address, cannot lock the owner out of her own phone or the desk tablet.
"""
import secrets

from flask import current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadData, URLSafeSerializer


def username_limit():
    """Failed logins allowed for one username from one address (or one known device)."""
    return current_app.config["LOGIN_LIMIT"]


def ip_limit():
    """Failed logins allowed from one address over all usernames."""
    return current_app.config["LOGIN_IP_LIMIT"]


def username_everywhere_limit():
    """Failed logins allowed for one username over every address (not for known devices)."""
    return current_app.config["LOGIN_USERNAME_LIMIT"]


def username_key():
    return f"anyaddr:{_posted_username()}"


def failed(response):
    """Count an attempt only when it did not sign in."""
    return response.status_code != 303


DEVICE_COOKIE = "bluebird_device"
DEVICE_DAYS = 365


def _devices():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="login-device")


def _device():
    """The device cookie, if valid: {"n": its id, "u": usernames that signed in on it}."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _devices().loads(raw)
    except BadData:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("u"), list) else None


def _posted_username():
    return request.form.get("username", "").strip().lower()[:40]


def known_device():
    """This device's id if the posted username signed in on it before (OWASP device cookies)."""
    device = _device()
    return device["n"] if device and _posted_username() in device["u"] else None


def login_key():
    """The key the username limit counts under."""
    # A device the owner signed in on before counts its own failures: nobody elsewhere,
    # not even behind the same office address, can lock it out. Otherwise per username
    # *and* address: a stranger guessing a colleague's password from his own machine
    # runs out of tries, while the owner, at her own phone, still gets in.
    known = known_device()
    if known:
        return f"device:{known}:{_posted_username()}"
    return f"user:{_posted_username()}@{get_remote_address()}"


def remember_device(response, username):
    """Mark this device as one `username` signed in on (a year, signed, HttpOnly)."""
    device = _device() or {"n": secrets.token_urlsafe(12), "u": []}
    names = [n for n in device["u"] if n != username][-7:] + [username]  # a shared desk tablet: a few
    response.set_cookie(DEVICE_COOKIE, _devices().dumps({"n": device["n"], "u": names}),
                        max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
