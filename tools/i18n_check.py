"""Check that the Chinese (zh_Hans_CN, shown as zh_CN) and en catalogs are complete; --fill-en copies msgids into en.

English is the source language, so the en catalog's translations are the msgids
themselves; filling them keeps `pybabel compile` and the completeness check honest.
"""
import argparse
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "translations"


def load(locale):
    path = ROOT / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return path, read_po(f, locale=locale)


def missing(catalog):
    """The msgids of a catalog that have no translation (or a fuzzy one)."""
    gaps = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def fill_en():
    path, catalog = load("en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = (message.id[0], message.id[1])
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, omit_header=True, width=100)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill-en", action="store_true")
    args = parser.parse_args()
    if args.fill_en:
        fill_en()
    bad = 0
    for locale in ("zh_Hans_CN", "en"):
        _, catalog = load(locale)
        gaps = missing(catalog)
        for gap in gaps:
            print(f"{locale}: untranslated: {gap}")
        bad += len(gaps)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
