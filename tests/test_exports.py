"""Exports: text a person typed never comes out of a spreadsheet as a live formula."""
import io
import uuid
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bluebird import clock, exports
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
NASTY = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\t=1+1"]


@pytest.fixture
def desk(estate, butler, receptionist):
    building = factories.make_building(estate, "3", patch=butler.patch)
    clock.set_now(T0)
    return {"unit": factories.make_unit(building, "1502")}


def test_formula_like_names_in_the_desk_log_export_stay_text(reception_client, desk, receptionist):
    for name in NASTY:
        factories.make_visitor(receptionist, name=name, purpose=name)
    factories.make_call(receptionist, caller="=1+2", matter="-cmd|' /C calc'!A0")
    factories.make_visitor(receptionist, name="王五")
    export = reception_client.get("/desk/log.xlsx?day=2026-11-23")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    visitors = book["来访登记"]
    cells = {row[2].value: row[2] for row in visitors.iter_rows(min_row=3)}
    assert set(cells) == set(NASTY) | {"王五"}
    for name in NASTY:
        cell = cells[name]
        assert cell.data_type == "s" and cell.value == name and cell.quotePrefix, name
    assert not cells["王五"].quotePrefix  # ordinary text is left as it is
    calls = book["电话记录"]
    assert calls["B3"].data_type == "s" and calls["B3"].value == "=1+2" and calls["B3"].quotePrefix
    assert calls["E3"].data_type == "s" and calls["E3"].quotePrefix
    for sheet in book.worksheets:  # nothing anywhere in the workbook is a formula
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_sheet_rows_escape_every_formula_lead():
    out = io.BytesIO()
    book = exports.new_book(out)
    sheet = exports.Sheet(book, "t")
    exports.write_rows(sheet, [NASTY + ["\r=1+1", "plain", 3, None, "=SUM(A1:A2)"]])
    book.close()
    row = list(load_workbook(out).active.iter_rows())[0]
    # A carriage return is stored as OOXML's escape _x000D_, which Excel reads back as one (openpyxl does not)
    assert [c.value for c in row[:6]] == NASTY + ["_x000D_=1+1"]
    assert [c.data_type for c in row[:6]] == ["s"] * 6 and all(c.quotePrefix for c in row[:6])
    assert row[6].value == "plain" and not row[6].quotePrefix
    assert row[7].value == 3 and row[7].data_type == "n"
    assert row[8].value is None
    assert row[9].value == "=SUM(A1:A2)" and row[9].data_type == "s"  # never a formula


def test_the_streamed_book_escapes_too(tmp_path):
    path = tmp_path / "big.xlsx"
    book = exports.new_book(str(path), streamed=True)
    sheet = exports.Sheet(book, "cases")
    for i in range(3):
        sheet.append([f"=HYPERLINK({i})", i, "王五"])
    book.close()
    rows = list(load_workbook(path).active.iter_rows())
    assert [r[0].value for r in rows] == [f"=HYPERLINK({i})" for i in range(3)]
    assert all(r[0].data_type == "s" and r[0].quotePrefix for r in rows)
    assert [r[1].value for r in rows] == [0, 1, 2] and rows[0][2].value == "王五" and not rows[0][2].quotePrefix


def test_the_workbook_helper_builds_headed_sheets():
    body = exports.workbook([{"title": "来访登记", "heading": "=title", "columns": ["姓名"],
                              "rows": [["=x"], [str(uuid.uuid4())]], "widths": (20,)}])
    sheet = load_workbook(io.BytesIO(body))["来访登记"]
    assert sheet["A1"].value == "=title" and sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    assert sheet["A1"].font.b and sheet["A2"].font.b
    assert sheet["A2"].value == "姓名" and sheet["A3"].value == "=x" and sheet["A3"].data_type == "s"
    # XlsxWriter stores Excel's own width for 20 characters (20 + padding)
    assert sheet.freeze_panes == "A3" and 20 <= sheet.column_dimensions["A"].width < 21


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_local_times_of_the_case_export_match_the_zone(tz):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from bluebird.cases.listing import LocalTimes

    local = LocalTimes(tz)
    at = datetime(2026, 3, 7, 0, 7, 30)  # across New York's and Lord Howe's spring/autumn changes
    for _i in range(24 * 60):
        want = at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
        assert local(at) == want and local(str(at)) == want and local(f"{at}.250000") == want, at
        at += timedelta(minutes=7)
    assert local(None) == "" and local("") == ""
