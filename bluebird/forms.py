"""What every form shares."""
from wtforms import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs or a {value: label} dict into select choices."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]
