"""What every form shares."""
from functools import lru_cache

import flask_wtf
from babel import support
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Length


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class FlaskForm(flask_wtf.FlaskForm):
    """Every Bluebird form: Flask-WTF's, with WTForms' own messages (必填, 不是有效的选项…)
    in the request's language from a catalog read once per process; Flask-WTF reads the
    file from disk again on every request."""

    class Meta:
        def get_translations(self, form):
            if not has_request_context():
                return super().get_translations(form)
            return _wtforms_catalog(str(get_locale()))


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs or a {value: label} dict into select choices."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def max_chars(n: int) -> Length:
    """A long text's limit: rendered as maxlength (the page counts down to it), and a
    longer text is refused with the limit next to the field, never cut."""
    return Length(max=n, message=_l("At most %(max)d characters (this text has %(length)d)."))
