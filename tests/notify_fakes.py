"""A local fake push service and a fake WeCom robot, both real HTTP servers on 127.0.0.1.

The push service checks what a real one checks, independently of pywebpush: the VAPID
JWT (ES256 signature with the app's public key, audience = the endpoint's origin,
expiry in the future and at most 24 h away), the TTL header, and it decrypts the
aes128gcm body with http_ece using the subscription key pair the test generated.
Per endpoint it answers 201, 410, 429 (with Retry-After), 500, or hangs (a black hole).
"""
import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    payload: dict
    ttl: int
    urgency: str
    at: float = field(default_factory=time.monotonic)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many senders connect at once (the bench): no resets


class _LocalServer:
    """A real HTTP server on a free localhost port, in a thread, for `with`; subclasses give
    `_handler()`. `release` frees handlers told to hang, before the server shuts down."""

    name = "fake"

    def _serve(self):
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.base = self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=self.name, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class FakePushService(_LocalServer):
    """Run with `with FakePushService(app_public_key) as push:`; push.subscribe("alice")."""

    name = "fake-push"

    def __init__(self, vapid_public_key: str):
        self.vapid_public_key = vapid_public_key
        self.keys = {}  # path -> (private key, auth secret)
        self.modes = {}  # path -> list of modes, one used per request (the last repeats)
        self.received: list[Received] = []
        self.requests: dict[str, int] = {}
        self.errors: list[str] = []
        self._serve()

    def subscribe(self, name: str, *modes: str) -> dict:
        """A subscription as a browser would send it, with a key pair made here."""
        path = f"/push/{name}"
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self.keys[path] = (private, auth)
        self.modes[path] = list(modes) or ["ok"]
        public = private.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.origin + path, "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def set_mode(self, name: str, *modes: str):
        self.modes[f"/push/{name}"] = list(modes)

    def payloads(self, name: str | None = None) -> list[dict]:
        with self.lock:
            return [r.payload for r in self.received if name is None or r.path == f"/push/{name}"]

    # ------------------------------------------------------------ checks

    def check_vapid(self, authorization: str) -> str | None:
        """Return what is wrong with the VAPID Authorization header, or None."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return f"scheme {scheme!r} is not vapid"
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        if parts.get("k") != self.vapid_public_key:
            return "k is not the app's public key"
        token = parts.get("t", "")
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(sig_b64)
        except ValueError as exc:
            return f"malformed JWT: {exc}"
        if header.get("alg") != "ES256":
            return f"alg {header.get('alg')}"
        if len(signature) != 64:
            return "signature is not 64 bytes (r||s)"
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(self.vapid_public_key))
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            key.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad ES256 signature"
        if claims.get("aud") != self.origin:
            return f"aud {claims.get('aud')!r} != {self.origin!r}"
        now = time.time()
        if not (now < claims.get("exp", 0) <= now + 24 * 3600):
            return f"exp {claims.get('exp')} not within 24 h from now"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "sub is not a mailto: or https: contact"
        return None

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, headers=None, body=b""):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802 - http.server's name
                path = urlsplit(self.path).path
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service.lock:
                    service.requests[path] = service.requests.get(path, 0) + 1
                    modes = service.modes.get(path)
                    mode = (modes.pop(0) if len(modes) > 1 else modes[0]) if modes else "unknown"
                if mode == "unknown":
                    return self._answer(404)
                if mode == "hang":  # accept the connection, never answer
                    service.release.wait(30)
                    self.close_connection = True
                    return None
                problem = service.check_vapid(self.headers.get("Authorization", ""))
                ttl = self.headers.get("TTL", "")
                if problem is None and (not ttl.isdigit() or int(ttl) <= 0):
                    problem = f"TTL {ttl!r} is not a positive number of seconds"
                if problem is None and self.headers.get("Content-Encoding") != "aes128gcm":
                    problem = f"Content-Encoding {self.headers.get('Content-Encoding')!r}"
                if problem is None and len(body) > 4096:
                    problem = f"body of {len(body)} bytes is over 4096"
                if problem is None:
                    private, auth = service.keys[path]
                    try:
                        plain = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
                        payload = json.loads(plain)
                    except Exception as exc:  # noqa: BLE001 - any failure is the finding
                        problem = f"cannot decrypt: {exc!r}"
                if problem is not None:
                    with service.lock:
                        service.errors.append(f"{path}: {problem}")
                    return self._answer(400, body=problem.encode())
                if mode == "ok":
                    with service.lock:
                        service.received.append(Received(path, payload, int(ttl), self.headers.get("Urgency", "")))
                    return self._answer(201, {"Location": f"{service.origin}/msg/{len(service.received)}"})
                if mode == "gone":
                    return self._answer(410, body=b"subscription expired")
                if mode.startswith("429"):
                    return self._answer(429, {"Retry-After": mode.partition(":")[2] or "2"}, b"slow down")
                return self._answer(int(mode), body=b"push service trouble")

        return Handler


class FakeWeCom(_LocalServer):
    """A local WeCom group robot: records markdown; per key answers ok, 500 or rate-limited."""

    name = "fake-wecom"

    def __init__(self):
        self.received: list[dict] = []
        self.modes: dict[str, list[str]] = {}
        self._serve()

    def url(self, key: str, *modes: str) -> str:
        self.modes[key] = list(modes) or ["ok"]
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def messages(self, key: str | None = None) -> list[str]:
        with self.lock:
            return [m["markdown"]["content"] for m in self.received if key is None or m["key"] == key]

    def _handler(self):
        robot = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, data):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802
                parts = urlsplit(self.path)
                key = parse_qs(parts.query).get("key", [""])[0]
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with robot.lock:
                    modes = robot.modes.get(key) or ["invalid"]
                    mode = modes.pop(0) if len(modes) > 1 else modes[0]
                if parts.path != "/cgi-bin/webhook/send" or mode == "invalid":
                    return self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
                if mode == "500":
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if mode == "limit":
                    return self._answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
                if data.get("msgtype") != "markdown" or not data.get("markdown", {}).get("content"):
                    return self._answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
                with robot.lock:
                    robot.received.append({"key": key, **data})
                return self._answer(200, {"errcode": 0, "errmsg": "ok"})

        return Handler


class FakeWeComApi(_LocalServer):
    """A local WeCom API (qyapi) for app messages: gettoken, message/send, user/getuserid.

    It checks what the real one checks: the corp id and secret for a token, that the token
    exists and has not expired (40014 / 42001), that message/send is JSON with a textcard
    for a known member from the right agent. Per member it counts messages and, like WeCom,
    silently drops those above 30 a minute or 1,000 an hour (`dropped`); a message with
    enable_duplicate_check identical to one in its interval is answered ok and not
    delivered again (`duplicates`). A member's modes answer 42001, 45009, 81013, 500, or
    hang, on demand. `received[userid]` is what each member got.
    """

    name = "fake-wecom-api"

    def __init__(self, corp_id="ww-bluebird", secret="s3cret-app", agent_id=1000002, token_ttl=7200,
                 members=(), phones=None):
        self.corp_id, self.secret, self.agent_id, self.token_ttl = corp_id, secret, agent_id, token_ttl
        self.members = set(members)
        self.phones = dict(phones or {})  # mobile -> userid
        self.tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.token_requests = 0
        self.token_delay = 0.0  # seconds gettoken takes (a race window for the tests)
        self.sent_at: dict[str, list[float]] = {}
        self.received: dict[str, list[dict]] = {}
        self.dropped: dict[str, int] = {}
        self.duplicates = 0
        self.seen: dict[tuple, float] = {}
        self.modes: dict[str, list[str]] = {}
        self.calls: list[tuple[str, int]] = []  # (path, errcode) of every call
        self.errors: list[str] = []
        self._serve()

    def member(self, userid, *modes, phone=None):
        self.members.add(userid)
        if modes:
            self.modes[userid] = list(modes)
        if phone:
            self.phones[phone] = userid
        return userid

    def set_mode(self, userid, *modes):
        with self.lock:
            self.modes[userid] = list(modes)

    def expire_tokens(self):
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def cards(self, userid) -> list[dict]:
        with self.lock:
            return [m["textcard"] for m in self.received.get(userid, [])]

    def total(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.received.values())

    def _send(self, data) -> dict:
        """message/send after the token check: validate, limit, deduplicate, record."""
        touser = data.get("touser")
        card = data.get("textcard") or {}
        problem = None
        if data.get("msgtype") != "textcard" or not isinstance(card, dict):
            problem = "msgtype is not textcard"
        elif data.get("agentid") != self.agent_id:
            problem = f"agentid {data.get('agentid')!r}"
        elif not card.get("title") or len(card["title"].encode()) > 128:
            problem = "textcard title empty or over 128 bytes"
        elif not card.get("description") or len(card["description"].encode()) > 512:
            problem = "textcard description empty or over 512 bytes"
        elif not str(card.get("url", "")).startswith(("http://", "https://")):
            problem = f"textcard url {card.get('url')!r} is not absolute"
        elif not touser or "|" in touser or data.get("toparty") or data.get("totag"):
            problem = f"touser {touser!r}: one member, by name"
        if problem:
            self.errors.append(problem)
            return {"errcode": 40008, "errmsg": problem}
        if touser not in self.members:
            return {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": touser}
        modes = self.modes.get(touser) or ["ok"]
        mode = modes.pop(0) if len(modes) > 1 else modes[0]
        if mode == "45009":
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        if mode == "81013":
            return {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": touser}
        now = time.monotonic()
        if data.get("enable_duplicate_check") == 1:
            key = (touser, json.dumps(card, sort_keys=True, ensure_ascii=False))
            interval = data.get("duplicate_check_interval", 1800)
            if key in self.seen and now - self.seen[key] < interval:
                self.duplicates += 1
                return {"errcode": 0, "errmsg": "ok", "msgid": "dup"}
            self.seen[key] = now
        times = [t for t in self.sent_at.get(touser, []) if now - t < 3600]
        times.append(now)
        self.sent_at[touser] = times
        if sum(1 for t in times if now - t < 60) > 30 or len(times) > 1000:
            self.dropped[touser] = self.dropped.get(touser, 0) + 1  # WeCom says ok and drops it
        else:
            self.received.setdefault(touser, []).append(data)
        return {"errcode": 0, "errmsg": "ok", "msgid": f"m{len(self.seen)}"}

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args):
                pass

            def _answer(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with api.lock:
                    api.calls.append((urlsplit(self.path).path, data.get("errcode", -1)))

            def _token_problem(self, query):
                token = query.get("access_token", [""])[0]
                with api.lock:
                    expiry = api.tokens.get(token)
                if expiry is None:
                    return {"errcode": 40014, "errmsg": "invalid access_token"}
                if expiry <= time.monotonic():
                    return {"errcode": 42001, "errmsg": "access_token expired"}
                return None

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path != "/cgi-bin/gettoken":
                    return self._answer({"errcode": 404, "errmsg": "no such api"}, 404)
                with api.lock:
                    api.token_requests += 1
                time.sleep(api.token_delay)
                if query.get("corpid", [""])[0] != api.corp_id or query.get("corpsecret", [""])[0] != api.secret:
                    return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                token = b64url(os.urandom(24))
                with api.lock:
                    api.tokens[token] = time.monotonic() + api.token_ttl
                return self._answer({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": api.token_ttl})

            def do_POST(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                problem = self._token_problem(query)
                if problem:
                    return self._answer(problem)
                try:
                    data = json.loads(raw)
                except ValueError:
                    with api.lock:
                        api.errors.append("body is not JSON")
                    return self._answer({"errcode": 47001, "errmsg": "data format error"})
                if parts.path == "/cgi-bin/user/getuserid":
                    userid = api.phones.get(str(data.get("mobile", "")))
                    if userid is None:
                        return self._answer({"errcode": 46004, "errmsg": "user no exist"})
                    return self._answer({"errcode": 0, "errmsg": "ok", "userid": userid})
                if parts.path != "/cgi-bin/message/send":
                    return self._answer({"errcode": 404, "errmsg": "no such api"}, 404)
                touser = data.get("touser", "")
                with api.lock:
                    modes = api.modes.get(touser) or ["ok"]
                    head = modes[0]
                    if head in ("hang", "500", "42001"):
                        if len(modes) > 1:
                            modes.pop(0)
                if head == "hang":  # take the message and never answer (the sender dies)
                    with api.lock:
                        api.received.setdefault(touser, []).append(data)
                        if data.get("enable_duplicate_check") == 1:
                            card = data.get("textcard") or {}
                            api.seen[(touser, json.dumps(card, sort_keys=True, ensure_ascii=False))] = \
                                time.monotonic()
                    api.release.wait(30)
                    self.close_connection = True
                    return None
                if head == "500":
                    return self._answer({"errcode": -1, "errmsg": "system busy"}, 500)
                if head == "42001":
                    return self._answer({"errcode": 42001, "errmsg": "access_token expired"})
                with api.lock:
                    answer = api._send(data)
                return self._answer(answer)

        return Handler
