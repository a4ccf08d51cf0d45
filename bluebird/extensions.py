"""Extensions, created here and bound in create_app with init_app."""
from flask import session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
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
    return None
