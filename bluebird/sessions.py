"""The session cookie: sliding, but re-signed only when something changed or once a day.

Flask's default (SESSION_REFRESH_EACH_REQUEST with a permanent session) sends a fresh
`Set-Cookie` on every response, and with it `Vary: Cookie`. A browser that keys its cache
on the cookie then revalidates every stylesheet and script on every navigation, and a
`public` static file goes out carrying a cookie. Here:

- a static file response never touches the cookie (no `Set-Cookie`, no `Vary: Cookie`),
  nor does the service worker's script (cached like one: bluebird/shell/views.py);
- a page sends the cookie when the session changed (login, language, CSRF token) or when
  its expiry was last pushed forward more than REFRESH_AFTER ago: the session still
  slides (31 days from the last day it was used), at one re-signed cookie a day.
"""
from datetime import UTC, timedelta

from flask import request
from flask.sessions import SecureCookieSessionInterface

from bluebird import clock

REFRESH_AFTER = timedelta(days=1)
COOKIELESS = ("static", "shell.service_worker")
STAMP = "_slid"  # when the cookie's expiry was last pushed forward (unix seconds)


class SlidingSessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response):
        if request.endpoint in COOKIELESS:
            return  # a versioned, public, immutable file: no cookie, no Vary: Cookie
        if session and session.permanent:
            now = int(clock.now().replace(tzinfo=UTC).timestamp())
            if now - int(session.get(STAMP, 0)) >= REFRESH_AFTER.total_seconds():
                session[STAMP] = now  # marks the session modified: the cookie goes out again
        super().save_session(app, session, response)


def init_app(app) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.session_interface = SlidingSessionInterface()
