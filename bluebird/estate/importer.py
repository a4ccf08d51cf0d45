"""Import residents from an office's Excel workbook: a preview, then all or nothing.

The first sheet is read; its header row (within the first five rows) names the columns
in Chinese or English (房号, 姓名, 电话 …). Each row is checked: a unit that exists, a
name, a phone that is a phone, a known relation, no second row for the same person.
A bad row blocks the import, with its row number and reason, so nothing is half
imported. A person already in the ledger (same unit, name and phone, moved out or not)
is left as he is: importing the same file twice changes nothing.
"""
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.db import db, is_postgres
from bluebird.estate.models import Estate, Resident, Unit
from bluebird.timeline.models import Event

MAX_ROWS = 20000
BATCH = 250

COLUMNS = {
    "unit": ("房号", "房屋", "房间号", "户号", "unit"),
    "name": ("姓名", "业主姓名", "住户姓名", "name"),
    "phone": ("电话", "手机", "联系电话", "手机号", "phone"),
    "phone2": ("电话2", "备用电话", "其他电话", "phone 2", "phone2"),
    "relation": ("关系", "身份", "与业主关系", "relation"),
    "key_account": ("重点户", "key account"),
    "key_reason": ("重点户原因", "重点原因", "key account reason"),
    "members": ("家庭成员", "members"),
    "note": ("备注", "note"),
    "moved_in_at": ("入住日期", "入住时间", "move-in date"),
}
RELATIONS = {"业主": "owner", "owner": "owner", "产权人": "owner", "家属": "family", "家庭成员": "family",
             "family": "family", "租户": "tenant", "租客": "tenant", "tenant": "tenant"}
YES = {"是", "y", "yes", "1", "true", "√", "✓", "重点户"}
NO = {"否", "n", "no", "0", "false", ""}


class NotAWorkbook(ValueError):
    message = _l("This file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again.")


class BadLayout(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Plan:
    """What an import would do: the new residents, those already known, the bad rows."""

    new: list = field(default_factory=list)  # dicts ready to insert, with "row"
    known: int = 0
    bad: list = field(default_factory=list)  # (row number, reason)
    rows: int = 0

    @property
    def can_import(self) -> bool:
        return not self.bad and bool(self.new)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _unit_code(value) -> str:
    if isinstance(value, (date, datetime)):  # Excel took "1-12" (building 1, room 12) for 12 January
        return f"{value.month}-{value.day}"
    return _text(value).replace("号楼", "-").replace("栋", "-").replace("幢", "-").replace(" ", "").upper()


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def _phone(value) -> str | None:
    """The phone as stored, or None when it is not a phone number."""
    text = _text(value)
    if not text:
        return ""
    if any(c not in "0123456789+- " for c in text) or not 7 <= len(_digits(text)) <= 15 or len(text) > 20:
        return None
    return text


def _date(value):
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def read_rows(data: bytes):
    """(row number, {column: value}) of the workbook's first sheet, under its header row."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise NotAWorkbook()
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header, header_row = None, 0
        for number, values in enumerate(rows, start=1):
            wanted = _header(values)
            if "unit" in wanted and "name" in wanted:
                header, header_row = wanted, number
                break
            if number >= 5:
                break
        if header is None:
            raise BadLayout(_l("No header row found: the first rows must name the columns 房号 and 姓名 "
                               "(and 电话, 关系, 重点户, 备注 as you have them)."))
        for number, values in enumerate(rows, start=header_row + 1):
            yield number, {name: values[i] if i < len(values) else None for name, i in header.items()}
        book.close()
    except (BadLayout, NotAWorkbook):
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign zip
        raise NotAWorkbook() from exc


def _header(values) -> dict:
    found = {}
    for i, value in enumerate(values or ()):
        label = _text(value).lower()
        for name, names in COLUMNS.items():
            if label in names and name not in found:
                found[name] = i
    return found


def plan(estate_id: int, data: bytes) -> Plan:
    """Check every row of the workbook against the estate; write nothing."""
    units = {code.upper(): uid for uid, code in Unit.select(Unit.id, Unit.code).where(Unit.estate == estate_id)
             .tuples()}
    known = {(uid, name, _digits(phone)) for uid, name, phone in
             Resident.select(Resident.unit, Resident.name, Resident.phone).where(Resident.estate == estate_id).tuples()}
    result, seen = Plan(), {}
    for number, row in read_rows(data):
        if all(_text(v) == "" for v in row.values()):
            continue
        result.rows += 1
        if result.rows > MAX_ROWS:
            raise BadLayout(_l("More than %(n)d rows: split the workbook and import it in parts.", n=MAX_ROWS))
        reason, resident = _check(row, units, estate_id)
        if reason is None:
            key = (resident["unit"], resident["name"], _digits(resident["phone"]))
            if key in seen:
                reason = _l("The same person as row %(row)d.", row=seen[key])
            else:
                seen[key] = number
        if reason is not None:
            result.bad.append((number, reason))
        elif key in known:
            result.known += 1
        else:
            result.new.append({**resident, "row": number})
    return result


def _check(row, units, estate_id):
    """(reason, None) for a bad row, or (None, the resident's fields)."""
    code, name = _unit_code(row.get("unit")), _text(row.get("name"))
    if not code:
        return _l("No unit given."), None
    if code not in units:
        return _l("Unit %(code)s does not exist in this estate.", code=code), None
    if not name:
        return _l("No name given."), None
    if len(name) > 50:
        return _l("The name is longer than 50 characters."), None
    phone, phone2 = _phone(row.get("phone")), _phone(row.get("phone2"))
    if phone is None:
        return _l("The phone %(phone)s is not a phone number.", phone=_text(row.get("phone"))), None
    if phone2 is None:
        return _l("The second phone %(phone)s is not a phone number.", phone=_text(row.get("phone2"))), None
    relation_text = _text(row.get("relation")).lower()
    relation = RELATIONS.get(relation_text, "owner" if not relation_text else None)
    if relation is None:
        return _l("Relation %(value)s is not 业主, 家属 or 租户.", value=_text(row.get("relation"))), None
    key_text = _text(row.get("key_account")).lower()
    if key_text not in YES and key_text not in NO:
        return _l("重点户 must be 是 or 否, not %(value)s.", value=_text(row.get("key_account"))), None
    moved_in = _date(row.get("moved_in_at"))
    if moved_in is None:
        return _l("The move-in date %(value)s is not a date.", value=_text(row.get("moved_in_at"))), None
    key_reason = _text(row.get("key_reason"))[:200]
    return None, {"estate": estate_id, "unit": units[code], "name": name, "phone": phone, "phone2": phone2,
                  "phone_tail": Resident.tail_of(phone), "relation": relation, "key_account": key_text in YES,
                  "key_reason": key_reason if key_text in YES else "",
                  "members": _text(row.get("members"))[:500], "note": _text(row.get("note"))[:1000],
                  "moved_in_at": moved_in or None}


def apply(estate_id: int, data: bytes, actor) -> Plan:
    """Import the workbook's new residents in one transaction, or nothing if a row is bad.

    The rows are checked again inside the transaction (the ledger may have changed since
    the preview), so a second confirm of the same file adds nobody.
    """
    with db.atomic():
        if is_postgres():  # one import of an estate at a time (SQLite's write lock does this)
            Estate.select(Estate.id).where(Estate.id == estate_id).for_update().execute()
        result = plan(estate_id, data)
        if not result.can_import:
            return result
        now = clock.now()
        rows = [{k: v for k, v in r.items() if k != "row"} | {"created_at": now} for r in result.new]
        for start in range(0, len(rows), BATCH):
            Resident.insert_many(rows[start:start + BATCH]).execute()
        per_unit: dict[int, list[str]] = {}
        for r in rows:
            per_unit.setdefault(r["unit"], []).append(r["name"])
        events = [{"estate": estate_id, "subject": f"unit:{uid}", "actor": actor, "verb": "residents_imported",
                   "detail": _json({"names": names}), "at": now} for uid, names in per_unit.items()]
        for start in range(0, len(events), BATCH):
            Event.insert_many(events[start:start + BATCH]).execute()
    return result


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


# The uploaded file is kept between the preview and the confirm, named by its digest.

def _folder(instance_path: str, estate_id: int) -> Path:
    return Path(instance_path) / "imports" / str(estate_id)


def keep(instance_path: str, estate_id: int, data: bytes) -> str:
    """Store an upload for its confirm; return its digest (the confirm form's key)."""
    digest = hashlib.sha256(data).hexdigest()
    folder = _folder(instance_path, estate_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.xlsx"
    if not target.exists():
        tmp = folder / f".{digest}.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    return digest


def kept(instance_path: str, estate_id: int, digest: str) -> bytes | None:
    """The upload a confirm names, only from the estate's own folder."""
    path = _folder(instance_path, estate_id) / f"{digest}.xlsx"
    return path.read_bytes() if path.is_file() else None


def forget(instance_path: str, estate_id: int, digest: str) -> None:
    (_folder(instance_path, estate_id) / f"{digest}.xlsx").unlink(missing_ok=True)
