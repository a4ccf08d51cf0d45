"""Every spreadsheet export goes through here, so typed-in text can never run as a formula.

A visitor who gives his name as `=HYPERLINK("http://x","y")` must come out as that text,
not as a live link (CSV/formula injection, OWASP). Excel re-reads text starting with "=",
"+", "-" or "@" (and a leading tab or carriage return) as a formula when the cell is
edited. So such text is written as a string cell with Excel's quote prefix: the cell
shows the text as typed, and stays text when someone edits it. Nothing here ever writes
a formula: XlsxWriter's "strings to formulas/urls/numbers" guesses are all off.

One way to write Excel in the codebase: XlsxWriter. `Sheet` writes rows one by one;
`workbook()` builds the small headed tables (reports, assessment, desk log) in memory;
the case list's export streams with `streamed_book()` (constant memory: each row goes to
a temporary file as it is written, see bluebird/cases/listing.py). openpyxl only reads
(the residents import, and the tests that open what we write).
"""
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import xlsxwriter

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Never guess: a string is written as a string, whatever it looks like.
_NO_GUESSING = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def needs_escape(value) -> bool:
    """Whether a value is text a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def new_book(out, *, streamed: bool = False) -> xlsxwriter.Workbook:
    """A workbook written to `out` (a path or a binary file object) when closed.

    streamed: XlsxWriter's constant_memory mode, for big sheets written top to bottom.
    """
    options = dict(_NO_GUESSING)
    options.update({"constant_memory": True} if streamed else {"in_memory": True})
    return xlsxwriter.Workbook(out, options)


class Sheet:
    """One worksheet, filled row by row; formula-like text is written as quoted text.

    style: "heading" (bold, larger), "columns" (bold) or None for a plain row.
    """

    def __init__(self, book: xlsxwriter.Workbook, title: str, widths: Sequence[float] = ()):
        self.ws = book.add_worksheet(str(title)[:31])
        self.row = 0
        self.formats = {}
        for style, props in (("heading", {"bold": True, "font_size": 13}), ("columns", {"bold": True}), (None, {})):
            self.formats[style] = book.add_format(props) if props else None
            self.formats[style, "quoted"] = book.add_format({**props, "quote_prefix": True})
        self.date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for i, width in enumerate(widths):
            self.ws.set_column(i, i, width)

    def append(self, values: Iterable, style: str | None = None) -> None:
        """Write the next row: text as text, numbers as numbers, None as an empty cell."""
        ws, r, fmt = self.ws, self.row, self.formats[style]
        for c, value in enumerate(values):
            if value is None or value == "":
                if fmt is not None:
                    ws.write_blank(r, c, None, fmt)
                continue
            if isinstance(value, str):
                if value.startswith(FORMULA_LEADS):
                    ws.write_string(r, c, value, self.formats[style, "quoted"])
                else:
                    ws.write_string(r, c, value, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value, fmt)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, fmt)
            elif isinstance(value, datetime):
                ws.write_datetime(r, c, value, self.datetime_format)
            elif isinstance(value, date):
                ws.write_datetime(r, c, datetime.combine(value, datetime.min.time()), self.date_format)
            else:  # Decimal, lazy translations, anything else: as the text it reads as
                self.append_cell(c, value, style)
        self.row = r + 1

    def append_cell(self, c: int, value, style=None) -> None:
        from decimal import Decimal

        if isinstance(value, Decimal):
            self.ws.write_number(self.row, c, float(value), self.formats[style])
            return
        text = str(value)
        self.ws.write_string(self.row, c, text, self.formats[style, "quoted"] if needs_escape(text) else self.formats[style])

    def freeze(self, rows: int) -> None:
        """Keep the top `rows` lines in view."""
        self.ws.freeze_panes(rows, 0)


def write_rows(sheet: Sheet, rows: Iterable[Sequence]) -> None:
    """Append rows to a sheet, every cell escaped where it must be."""
    for values in rows:
        sheet.append(values)


def workbook(sheets: Iterable[dict]) -> bytes:
    """Build an .xlsx from sheets: {"title", "heading", "columns", "rows", "widths"}.

    Each sheet has a bold heading line, a bold row of column names, then the rows, with
    the top two lines frozen.
    """
    out = io.BytesIO()
    book = new_book(out)
    for spec in sheets:
        sheet = Sheet(book, spec["title"], spec.get("widths", ()))
        sheet.append([str(spec["heading"])], "heading")
        sheet.append([str(c) for c in spec["columns"]], "columns")
        write_rows(sheet, spec["rows"])
        sheet.freeze(2)
    book.close()
    return out.getvalue()
