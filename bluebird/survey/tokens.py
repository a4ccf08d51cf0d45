"""The survey link's token: `id.signature`, where the signature is an HMAC-SHA256 of the
invitation id and its stored nonce under a key derived from the app's secret.

Why not a random token stored hashed: the butler must be able to show the same QR code
again (the owner was out the first time), which a hash cannot give back. An HMAC is as
unforgeable, a leaked database alone makes no link (the key is not in it), and the
invitation row makes it single-use (`answered_at`) and expire (`expires_at`). Reissuing
a link changes the nonce, which kills the old one.
"""
import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app

_SHAPE = re.compile(r"^([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{22})$")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"bluebird survey link v1", hashlib.sha256).digest()


def _signature(invitation_id: int, nonce: str) -> str:
    mac = hmac.new(_key(), f"{invitation_id}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")  # 128 bits, 22 characters


def token_for(invitation) -> str:
    """The token of an invitation's link."""
    return f"{invitation.id}.{_signature(invitation.id, invitation.nonce)}"


def parse(token: str) -> tuple[int, str] | None:
    """(id, signature) of a well-formed token, else None (nothing is looked up for junk)."""
    match = _SHAPE.match(token or "")
    return (int(match.group(1)), match.group(2)) if match else None


def verify(invitation, signature: str) -> bool:
    """Tell whether `signature` is this invitation's (constant time)."""
    return hmac.compare_digest(_signature(invitation.id, invitation.nonce), signature)
