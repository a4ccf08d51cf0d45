"""Every spreadsheet export goes through here, so typed-in text can never run as a formula.

A visitor who gives his name as `=HYPERLINK("http://x","y")` must come out as that text,
not as a live link (CSV/formula injection, OWASP). openpyxl stores any string starting
with "=" as a formula, and Excel re-reads text starting with "=", "+", "-" or "@" (and a
leading tab or carriage return) as one when the cell is edited. So such text is written
as a string cell with Excel's quote prefix: the cell shows the text as typed, and stays
text when someone edits it.
"""
import io
from collections.abc import Iterable, Sequence

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def needs_escape(value) -> bool:
    """Whether a value is text a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def safe_cell(cell, value):
    """Put a value in an openpyxl cell; formula-like text stays plain text."""
    cell.value = value
    if needs_escape(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def write_rows(sheet, rows: Iterable[Sequence]) -> None:
    """Append rows to a sheet, every cell through `safe_cell`."""
    for values in rows:
        sheet.append(list(values))
        for cell in sheet[sheet.max_row]:
            safe_cell(cell, cell.value)


def workbook(sheets: Iterable[dict]) -> bytes:
    """Build an .xlsx from sheets: {"title", "heading", "columns", "rows", "widths"}.

    Each sheet has a bold heading line, a bold row of column names, then the rows, with
    the top two lines frozen.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(str(spec["title"])[:31])
        write_rows(sheet, [[str(spec["heading"])], [str(c) for c in spec["columns"]]])
        sheet["A1"].font = Font(bold=True, size=13)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        write_rows(sheet, spec["rows"])
        for i, width in enumerate(spec.get("widths", ()), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
