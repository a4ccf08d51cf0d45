"""Extensions, created here and bound in create_app with init_app."""
import os

from flask import g, has_app_context, session
from flask_babel import Babel, Domain
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()


class RequestDomain(Domain):
    """Flask-Babel's message domain, whose catalog is looked up once per request.

    Every `_()`, lazy label and template string asks the domain for its catalog, and
    Flask-Babel finds it anew each time (about 7 µs, most of it naming the locale): a
    page of a hundred rows asked it hundreds of times. It is kept in the slot Flask-Babel
    itself clears when the language changes (`babel_translations` on its request state:
    `force_locale` and `refresh()` reset it).
    """

    def get_translations(self):
        # `g` resolved once (a proxy costs about 0.3 µs an access, and a page asks ~100 times).
        here = g._get_current_object() if has_app_context() else None
        kept = getattr(getattr(here, "_flask_babel", None), "babel_translations", None)
        if kept is None:
            kept = super().get_translations()  # this makes the state on a request's first call
            state = getattr(here, "_flask_babel", None)
            if state is not None:
                state.babel_translations = kept
        return kept


babel = Babel()
babel.domain_instance = RequestDomain()  # the default domain (a cached property, set here first)
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

LOCALES = ("zh_CN", "en")


def select_locale():
    """The user's language: their setting, else the one picked at login, else Chinese."""
    if current_user and current_user.is_authenticated:
        return current_user.locale
    # Chinese first: staff phones are often set to English for apps they never chose.
    chosen = session.get("locale")
    return chosen if chosen in LOCALES else "zh_CN"


def select_timezone():
    """Show times in the user's estate's time zone."""
    if current_user and current_user.is_authenticated:
        return current_user.estate.timezone
    return g.get("survey_timezone")  # the owner's survey page: the estate of his link


def worker_processes() -> int:
    """How many worker processes serve the app: 1 outside gunicorn, 0 if it cannot tell."""
    if "gunicorn" not in os.environ.get("SERVER_SOFTWARE", ""):
        return 1
    try:
        from gunicorn.app.wsgiapp import WSGIApplication

        class _Probe(WSGIApplication):
            # gunicorn's own reading of its command line, config file and
            # GUNICORN_CMD_ARGS, without the sys.exit its loader does on an error.
            def do_load_config(self):
                self.load_default_config()
                self.load_config()

            def chdir(self):
                pass

        return int(_Probe("%(prog)s [OPTIONS] [APP_MODULE]").cfg.workers)
    except BaseException:  # noqa: BLE001 - a probe must never stop the app starting
        return 0


def warn_if_limits_unshared(app) -> None:
    """Log a warning when several processes would each keep their own login counts."""
    if not app.config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
        return
    workers = worker_processes()
    if workers != 1:
        app.logger.warning(
            "BLUEBIRD_RATELIMIT_STORAGE_URL is memory:// but %s worker processes serve the app: "
            "each counts failed logins on its own, so the login limit does not hold. "
            "Set BLUEBIRD_RATELIMIT_STORAGE_URL=redis://host:6379/1 (README, Deployment).",
            workers or "several")
