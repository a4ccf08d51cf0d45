"""Importing residents from an office's Excel workbook: preview, refusals, all or nothing,
and a second import of the same file changes nothing."""
import hashlib
import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from bluebird.estate import importer
from bluebird.estate.models import Resident
from bluebird.timeline.models import Event
from tests import factories

HEADER = ["房号", "姓名", "电话", "关系", "重点户", "重点户原因", "备注"]


def _book(rows, header=HEADER, title=None) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [
    ["3-1501", "张伟", "13912345678", "业主", "是", "独居老人", "腿脚不便"],
    ["3-1501", "李娜", "13700001111", "家属", "", "", ""],
    ["3号楼1502", "王芳", 13500004444, "租户", "否", "", ""],
]


@pytest.fixture
def units(estate):
    building = factories.make_building(estate, "3")
    return [factories.make_unit(building, n, status="occupied") for n in ("1501", "1502")]


def _upload(client, data, name="住户.xlsx"):
    return client.post("/admin/estate/import", {"workbook": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _digest_in(page):
    return re.search(r'value="([0-9a-f]{64})"', page).group(1)


def test_a_good_workbook_is_previewed_then_imported_in_one_go(admin_client, admin, units):
    preview = _upload(admin_client, _book(GOOD, title="一区住户台帐"))  # a title line above the header
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "共 3 行：新住户 3 人，已登记 0 人，有误 0 行。" in page and "导入 3 位住户" in page
    assert Resident.select().count() == 0  # the preview writes nothing
    done = admin_client.post("/admin/estate/import/confirm", {"upload": _digest_in(page)})
    assert done.status_code == 200 and "已导入 3 位住户" in done.get_data(as_text=True)
    zhang = Resident.get(Resident.name == "张伟")
    assert (zhang.unit_id, zhang.relation, zhang.key_account, zhang.key_reason, zhang.note, zhang.phone_tail) == (
        units[0].id, "owner", True, "独居老人", "腿脚不便", "5678")
    wang = Resident.get(Resident.name == "王芳")
    assert (wang.unit_id, wang.relation, wang.phone) == (units[1].id, "tenant", "13500004444")
    events = list(Event.select().where(Event.verb == "residents_imported").order_by(Event.subject))
    assert [e.data["names"] for e in events] == [["张伟", "李娜"], ["王芳"]] and events[0].actor_id == admin.id
    # The found resident is found by the butler's search too.
    assert [r.name for r in Resident.search(units[0].estate_id, "5678")] == ["张伟"]


def test_a_unit_code_excel_took_for_a_date_is_read_back_as_the_code(admin, estate):
    from datetime import datetime

    unit = factories.make_unit(factories.make_building(estate, "1"), "12", floor=0)
    plan = importer.plan(estate.id, _book([[datetime(2026, 1, 12), "周九", "", "业主", "", "", ""]]))
    assert not plan.bad and [r["unit"] for r in plan.new] == [unit.id]


def test_importing_the_same_workbook_again_changes_nothing(admin_client, units):
    data = _book(GOOD)
    first = _upload(admin_client, data).get_data(as_text=True)
    assert admin_client.post("/admin/estate/import/confirm", {"upload": _digest_in(first)}).status_code == 200
    before = (Resident.select().count(), Event.select().count())
    again = _upload(admin_client, data).get_data(as_text=True)
    assert "已登记 3 人" in again and "导入不会有任何改动" in again and 'id="confirm-form"' not in again
    # A confirm sent twice (a double tap, or the old preview's button) adds nobody either.
    assert admin_client.post("/admin/estate/import/confirm", {"upload": _digest_in(first)}).status_code in (200, 404)
    assert (Resident.select().count(), Event.select().count()) == before


def test_a_file_that_is_not_a_workbook_is_refused(admin_client, units):
    for data, name in ((b"name,phone\nzhang,139\n", "住户.csv"), (b"%PDF-1.4 ...", "住户.xlsx")):
        response = _upload(admin_client, data, name)
        assert response.status_code == 422
        assert "此文件不是 Excel 表格" in response.get_data(as_text=True)
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as z:  # a zip, but no workbook inside
        z.writestr("readme.txt", "hello")
    response = _upload(admin_client, fake.getvalue())
    assert response.status_code == 422 and "此文件不是 Excel 表格" in response.get_data(as_text=True)
    assert Resident.select().count() == 0


def test_a_workbook_without_the_columns_is_refused(admin_client, units):
    response = _upload(admin_client, _book([["x", "y"]], header=["楼", "人"]))
    assert response.status_code == 422 and "未找到表头" in response.get_data(as_text=True)


def test_each_bad_row_is_listed_with_its_number_and_reason_and_nothing_is_imported(admin_client, units):
    rows = GOOD + [
        ["9-901", "赵六", "13600000000", "业主", "", "", ""],      # row 5: unknown unit
        ["3-1501", "张伟", "139 1234 5678", "业主", "", "", ""],    # row 6: the same person as row 2
        ["3-1502", "孙七", "12345", "业主", "", "", ""],            # row 7: not a phone
        ["3-1502", "周八", "", "房东", "", "", ""],                 # row 8: unknown relation
        ["", "吴九", "", "", "", "", ""],                          # row 9: no unit
        ["3-1502", "", "13600001111", "", "", "", ""],             # row 10: no name
        ["3-1502", "郑十", "", "", "也许", "", ""],                 # row 11: key account neither yes nor no
        [None, None, None, None, None, None, None],                # an empty row is skipped
    ]
    data = _book(rows)
    response = _upload(admin_client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    bad = dict(re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td></tr>', page))
    assert bad == {
        "5": "本小区没有房号 9-901。",
        "6": "与第 2 行重复。",
        "7": "电话“12345”不是有效的电话号码。",
        "8": "关系“房东”不是业主、家属或租户。",
        "9": "未填写房号。",
        "10": "未填写姓名。",
        "11": "重点户须填“是”或“否”，不能是“也许”。",
    }
    assert 'id="confirm-form"' not in page and "不会导入任何数据" in page
    # Confirming that upload anyway (a crafted post) imports nothing either.
    refused = admin_client.post("/admin/estate/import/confirm", {"upload": hashlib.sha256(data).hexdigest()})
    assert refused.status_code == 422 and Resident.select().count() == 0


def test_an_import_that_fails_midway_leaves_nothing_behind(app, admin, units, monkeypatch):
    data = _book(GOOD)
    plan = importer.plan(units[0].estate_id, data)
    assert len(plan.new) == 3

    def broken(*args, **kwargs):  # the timeline write fails after the residents went in
        raise RuntimeError("disk full")

    monkeypatch.setattr(Event, "insert_many", broken)
    with pytest.raises(RuntimeError):
        importer.apply(units[0].estate_id, data, admin.id)
    assert Resident.select().count() == 0


def test_a_confirm_cannot_name_another_estates_upload(app, admin_client, units, other_estate):
    other_building = factories.make_building(other_estate, "3")
    factories.make_unit(other_building, "1501")
    digest = importer.keep(app.instance_path, other_estate.id, _book(GOOD[:1]))
    response = admin_client.post("/admin/estate/import/confirm", {"upload": digest})
    assert response.status_code == 404 and Resident.select().count() == 0
    assert admin_client.post("/admin/estate/import/confirm", {"upload": "../../etc/passwd"}).status_code == 422


def test_only_an_admin_imports(butler_client, manager_client, units):
    for client in (butler_client, manager_client):
        assert _upload(client, _book(GOOD)).status_code == 403
    assert Resident.select().count() == 0
