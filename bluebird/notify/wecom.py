"""The 企业微信 (WeCom) group robot: markdown messages over its webhook.

Chrome's push service is unreachable in mainland China, so a team's WeCom group gets
the same due and overdue notices. The robot answers HTTP 200 with {"errcode": 0} when
it took the message; anything else is a failure to log and retry.
"""
import re

import requests

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
