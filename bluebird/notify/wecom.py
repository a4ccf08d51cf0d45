"""企业微信 (WeCom): the group robot (markdown over its webhook) and the self-built app's API.

Chrome's push service is unreachable in mainland China, so a team's WeCom group gets
the same due and overdue notices. The robot answers HTTP 200 with {"errcode": 0} when
it took the message; anything else is a failure to log and retry.
"""
import json
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests import certs
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy

from bluebird.notify.push import PushResult, session

MAX_MARKDOWN = 4000  # bytes; the robot refuses more than 4096
RATE_LIMITED = 45009  # errcode: more than 20 messages a minute to one robot


def clean(text: str) -> str:
    """Make user text safe inside robot markdown: no tags (<@mentions>, <font>), one line."""
    return re.sub(r"\s+", " ", re.sub(r"[<>]", " ", str(text))).strip()


def fit(content: str, limit: int = MAX_MARKDOWN) -> str:
    """Cut markdown to the robot's size limit on a line boundary."""
    data = content.encode()
    if len(data) <= limit:
        return content
    cut = data[: limit - 4].decode(errors="ignore")
    return cut[: cut.rfind("\n")] + "\n…" if "\n" in cut else cut + "…"


def send_wecom(url: str, markdown: str, *, timeout: float) -> PushResult:
    """Post one markdown message to a robot webhook."""
    body = {"msgtype": "markdown", "markdown": {"content": fit(markdown)}}
    try:
        response = session().post(url, json=body, timeout=timeout)
    except requests.Timeout as exc:
        return PushResult(None, error=f"timeout: {exc}"[:300])
    except requests.RequestException as exc:
        return PushResult(None, error=f"{type(exc).__name__}: {exc}"[:300])
    with response:
        if response.status_code != 200:
            return PushResult(response.status_code, error=response.text[:300])
        try:
            answer = response.json()
        except ValueError:
            return PushResult(502, error="not JSON: " + response.text[:200])
    code = answer.get("errcode", -1)
    if code == 0:
        return PushResult(200)
    if code == RATE_LIMITED:
        return PushResult(429, retry_after=60.0, error=str(answer)[:300])
    # Other errcodes (a wrong key, a deleted robot) will not mend by retrying.
    return PushResult(400, error=str(answer)[:300])


# ---------------------------------------------------------------- the self-built app (自建应用)
# App messages go to one member (touser) through the corp's API: gettoken, message/send,
# user/getuserid. Every answer is HTTP 200 with an errcode; these are the ones we act on.
TOKEN_EXPIRED = {40014, 42001}  # invalid / expired access_token: fetch a new one, once
MEMBER_INVALID = 81013  # no valid recipient: the userid is wrong or has left
TITLE_BYTES, DESCRIPTION_BYTES = 128, 512  # textcard limits


@dataclass
class ApiAnswer:
    """What the WeCom API said: errcode 0 is success; None when no answer came."""

    errcode: int | None
    data: dict
    error: str = ""
    status: int | None = None  # HTTP status, when not 200

    @property
    def ok(self) -> bool:
        return self.errcode == 0


def cut(text: str, limit: int) -> str:
    """Cut text to `limit` UTF-8 bytes (textcard fields are limited in bytes)."""
    data = str(text).encode()
    if len(data) <= limit:
        return str(text)
    return data[: limit - 3].decode(errors="ignore") + "…"


_api_lock = threading.Lock()
_pools: dict[str, urllib3.PoolManager] = {}
_environment: dict[str, dict] = {}


def environment(url: str) -> dict:
    """The proxies and CA bundle the environment gives for this URL's host, read once per host."""
    parts = urlsplit(url)
    key = f"{parts.scheme}://{parts.netloc}/"
    found = _environment.get(key)
    if found is None:
        found = session().merge_environment_settings(key, {}, None, None, None)  # what requests would use
        found = {"proxies": found["proxies"], "verify": found["verify"]}
        _environment[key] = found
    return found


def api_pool(url: str) -> urllib3.PoolManager:
    """The keep-alive connection pool of the app API for this URL's host (made once per host).

    Straight on urllib3, not through a requests Session: preparing a request (cookies,
    hooks, the environment, the adapter) cost a good part of a message's CPU at hundreds
    a second. It honours what requests would use for the host (environment()): its
    proxy, with the proxy's credentials, and its CA bundle.
    """
    parts = urlsplit(url)
    key = f"{parts.scheme}://{parts.netloc}/"
    pool = _pools.get(key)
    if pool is not None:
        return pool
    with _api_lock:
        if key not in _pools:
            env = environment(url)
            verify = env["verify"]
            tls = ({"cert_reqs": "CERT_NONE"} if verify is False else
                   {"cert_reqs": "CERT_REQUIRED", "ca_certs": verify if isinstance(verify, str) else certs.where()})
            options = dict(num_pools=4, maxsize=64, retries=False, **tls)
            proxy = select_proxy(key, env["proxies"])
            _pools[key] = (urllib3.ProxyManager(proxy, proxy_headers=HTTPAdapter().proxy_headers(proxy), **options)
                           if proxy else urllib3.PoolManager(**options))
        return _pools[key]


_JSON = {"Content-Type": "application/json"}


def _call(method: str, url: str, *, timeout: float, params=None, body=None) -> ApiAnswer:
    full = f"{url}?{urlencode(params)}" if params else url
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    try:
        response = api_pool(url).request(method, full, body=data, headers=_JSON if data is not None else None,
                                         timeout=urllib3.Timeout(connect=timeout, read=timeout), redirect=False)
    except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError to urllib3)
        return ApiAnswer(None, {}, f"{type(exc).__name__}: {exc} ({method} {full})"[:300])
    except urllib3.exceptions.TimeoutError as exc:
        return ApiAnswer(None, {}, f"timeout: {exc} ({method} {full})"[:300])
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return ApiAnswer(None, {}, f"{type(exc).__name__}: {exc} ({method} {full})"[:300])
    if response.status != 200:
        text = response.data.decode(errors="replace")
        return ApiAnswer(None, {}, f"HTTP {response.status}: {text[:200]}", response.status)
    try:
        data = json.loads(response.data)
    except ValueError:
        return ApiAnswer(None, {}, "not JSON: " + response.data.decode(errors="replace")[:200], 502)
    code = data.get("errcode", 0) if isinstance(data, dict) else -1
    return ApiAnswer(code, data if isinstance(data, dict) else {}, "" if code == 0 else
                     f"{code} {str(data.get('errmsg', ''))[:200]}")


def redact(text: str) -> str:
    """Remove secrets and tokens from a message before it is logged or stored."""
    return re.sub(r"(corpsecret|access_token|secret)=[^&\s'\"]+", r"\1=***", str(text))


def get_token(api_base: str, corp_id: str, secret: str, *, timeout: float) -> ApiAnswer:
    """Fetch an access token: data["access_token"], data["expires_in"] (seconds)."""
    answer = _call("GET", f"{api_base}/cgi-bin/gettoken", params={"corpid": corp_id, "corpsecret": secret},
                   timeout=timeout)
    answer.error = redact(answer.error)
    return answer


def send_textcard(api_base: str, token: str, body: dict, *, timeout: float) -> ApiAnswer:
    """POST one app message (message/send)."""
    answer = _call("POST", f"{api_base}/cgi-bin/message/send", params={"access_token": token}, body=body,
                   timeout=timeout)
    answer.error = redact(answer.error)
    return answer


def userid_by_mobile(api_base: str, token: str, mobile: str, *, timeout: float) -> ApiAnswer:
    """Look a member up by his phone number (user/getuserid): data["userid"]."""
    answer = _call("POST", f"{api_base}/cgi-bin/user/getuserid", params={"access_token": token},
                   body={"mobile": mobile}, timeout=timeout)
    answer.error = redact(answer.error)
    return answer


def textcard(userid: str, agent_id: str, title: str, description: str, url: str, button: str,
             duplicate_check_s: int) -> dict:
    """The message/send body of a text card to one member, checked for duplicates by WeCom."""
    return {"touser": userid, "msgtype": "textcard", "agentid": int(agent_id) if str(agent_id).isdigit() else agent_id,
            "textcard": {"title": cut(clean(title), TITLE_BYTES), "description": cut(description, DESCRIPTION_BYTES),
                         "url": url, "btntxt": cut(clean(button), 12)},
            "enable_duplicate_check": 1, "duplicate_check_interval": duplicate_check_s}
