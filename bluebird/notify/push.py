"""Web push with pywebpush: VAPID keys, one HTTP session, an explicit TTL and timeout.

send_webpush() returns what happened (a PushResult) and never raises for an HTTP
answer: the caller decides what a 410, a 429 or a 500 means for the subscription.
"""
import base64
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPusher
from requests.adapters import HTTPAdapter

MAX_PAYLOAD = 3000  # bytes of JSON; push services accept 4096 after encryption
JWT_LIFETIME = 12 * 3600  # RFC 8292 allows up to 24 h
_lock = threading.Lock()
_session: requests.Session | None = None
_vapid: dict[str, Vapid02] = {}
_headers: dict[tuple[str, str], tuple[float, dict]] = {}


def session() -> requests.Session:
    """The one HTTP session every push and robot message goes through (pooled, no retries)."""
    global _session
    with _lock:
        if _session is None:
            s = requests.Session()
            adapter = HTTPAdapter(pool_connections=16, pool_maxsize=64, max_retries=0)
            s.mount("https://", adapter)
            s.mount("http://", adapter)
            _session = s
        return _session


def vapid_key(private_key: str) -> Vapid02:
    """The VAPID signer for a private key (PEM, or a base64url raw 32-byte key)."""
    key = _vapid.get(private_key)
    if key is None:
        text = private_key.strip()
        if text.startswith("-----BEGIN"):
            key = Vapid02(serialization.load_pem_private_key(text.encode(), password=None))
        else:
            key = Vapid02.from_raw(text.encode())
        _vapid[private_key] = key
    return key


def public_key(private_key: str) -> str:
    """The applicationServerKey browsers subscribe with: base64url of the uncompressed point."""
    raw = vapid_key(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def origin(url: str) -> str:
    """scheme://host[:port] of a URL: the VAPID audience of a push endpoint."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def vapid_headers(private_key: str, subject: str, endpoint: str) -> dict:
    """Signed VAPID headers for the endpoint's push service, reused until near expiry."""
    aud = origin(endpoint)
    now = time.time()
    cached = _headers.get((private_key, aud))
    if cached and cached[0] - now > 3600:
        return cached[1]
    exp = int(now) + JWT_LIFETIME
    headers = vapid_key(private_key).sign({"aud": aud, "exp": exp, "sub": subject})
    _headers[(private_key, aud)] = (exp, headers)
    return headers


@dataclass
class PushResult:
    status: int | None  # HTTP status; None when no answer came (timeout, refused)
    retry_after: float | None = None  # seconds, from a 429's Retry-After
    error: str = ""

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self):
        return self.status in (404, 410)


def retry_after_seconds(value: str | None, default: float = 60.0) -> float:
    """Parse Retry-After (seconds or an HTTP date) into seconds, within 1 s .. 1 h."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return default
    return max(1.0, min(seconds, 3600.0))


def send_webpush(info: dict, payload: bytes, *, private_key: str, subject: str, ttl_hours: int,
                 timeout: float, urgent: bool = False) -> PushResult:
    """Encrypt (aes128gcm) and POST one message to a subscription's push service."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"push payload too large: {len(payload)} bytes")
    headers = dict(vapid_headers(private_key, subject, info["endpoint"]))
    headers["Urgency"] = "high" if urgent else "normal"
    try:
        response = WebPusher(info, requests_session=session()).send(
            payload, headers, ttl=int(ttl_hours * 3600), timeout=timeout)
    except requests.Timeout as exc:
        return PushResult(None, error=f"timeout: {exc}"[:300])
    except requests.RequestException as exc:
        return PushResult(None, error=f"{type(exc).__name__}: {exc}"[:300])
    result = PushResult(response.status_code, error="" if response.ok else response.text[:300])
    if response.status_code == 429:
        result.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    response.close()
    return result
