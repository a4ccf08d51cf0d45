"""What every form shares."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.validators import Length


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs or a {value: label} dict into select choices."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def max_chars(n: int) -> Length:
    """A long text's limit: rendered as maxlength (the page counts down to it), and a
    longer text is refused with the limit next to the field, never cut."""
    return Length(max=n, message=_l("At most %(max)d characters (this text has %(length)d)."))
