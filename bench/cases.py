"""Cases bench: the agenda, the case list and the case page over 1,000,000 cases and 5,000,000 duties.

Run from the repository root:

    .venv/bin/python bench/cases.py                      # the full run: 1,000,000 cases, 5,000,000 duties
    .venv/bin/python bench/cases.py --scale small        # 20,000 cases, 100,000 duties: about a minute
    .venv/bin/python bench/cases.py --db /tmp/cases.db   # keep the database; a second run skips generating

It builds a SQLite database (a temp dir, or --db PATH), runs the real migrations, seeds the
demo office with load_demo(scale=1) for staff, buildings, units and residents, then writes
cases, their duties (from the real clock table), their calls and timeline events, and
other duties straight into the database with executemany in big transactions. It logs in
as butler1 through the WSGI test client and times the pages request by request, in
alternating blocks so a noisy machine hurts every page alike. Figures go to stdout as
`bench: <name> <value> <unit>`; progress, query counts and plans go to stderr. A missed
target is reported, never turned into a failure.

Figures (target from issue 3: p95 <= 25 ms for the first four pages):
  cases_generate_s, duties_generate_s, cases_history_generate_s   writing the rows, index rebuilds included
  cases_db_mb                                  the database file once written
  cases_agenda_p50_ms / _p95_ms                GET /agenda as butler1 (about 230 open duties of his)
  case_list_p50_ms / _p95_ms                   GET /cases/?mine=0&status=all, the first page
  case_list_deep_p50_ms / _p95_ms              the same before=<an id among the oldest 10%>, varied
  case_page_p50_ms / _p95_ms                   GET /cases/<id>, 300 random cases
  extras: case_list_mine (the butler's default: his patch, open), case_list_complaints,
  case_list_water_open, case_list_overdue, case_list_deep_htmx (the "more" fragment) and
  cases_agenda_manager (a supervisor's agenda: his role's duties and everything escalated).
  <page>_cpu_p95_ms is the same request's CPU time in this thread: when it is far below the
  wall-clock p95, the machine was busy, not the page slow.

The data: 3 years of cases over the demo estate's units and public places (72% repairs,
~3% still open, mostly recent), each with the duties the real clock table gives it (closed
when the work was done, open where it is not), its calls and timeline events; then other
duties (patrols, checks) over all staff up to --duties, ~2% of all duties open, ~200 open
on each butler's own agenda and 30 open "any butler" ones. --analyze runs ANALYZE first
(the app never does; the query plans change with the statistics).
"""
import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench._common import Browser, Series, capture_sql, chunks, figure, note, percentile  # noqa: E402

TARGET_P95_MS = 25.0
PASSWORD = "bluebird"
SCALES = {"small": (20_000, 100_000), "full": (1_000_000, 5_000_000)}
BLOCK = 50  # requests per alternating block
CHUNK = 50_000  # cases generated and written per batch
YEARS = 3
OPEN_DUTY_SHARE = 0.02
BUTLER_OPEN = 200  # open duties on each butler's own agenda
ROLE_BUTLER_OPEN = 30  # open "any butler" duties (public-area cases) on every butler's agenda

# ---------------------------------------------------------------- what the cases say

KINDS = [("repair", 72), ("complaint", 10), ("inquiry", 10), ("incident", 2), ("info", 6)]
PREFIX = {"repair": "BX", "complaint": "TS", "inquiry": "ZX", "incident": "TF", "info": "XX"}
TRADES = [("water", 35), ("electric", 25), ("civil", 20), ("heating", 10), ("other", 10)]
SOURCES = [("phone", 45), ("walk_in", 15), ("patrol", 20), ("owner", 20)]
TARGETS = [("service", 40), ("construction", 25), ("design", 10), ("inspection", 5), ("other", 20)]
REPAIR_TEXT = {
    "water": ["卫生间下水管漏水,楼下天花板渗水", "厨房水龙头关不严,一直滴水", "马桶水箱不停进水", "地漏返臭味,需要检查存水弯",
              "热水器进水阀漏水", "阳台排水管堵塞,下雨积水"],
    "electric": ["客厅灯不亮,空开一推就跳", "卧室两个插座没电", "楼道感应灯坏了,晚上很黑", "厨房插座有焦味",
                 "入户门铃不响"],
    "heating": ["暖气片不热,已放过气", "地暖分水器接口渗水", "暖气阀门拧不动"],
    "civil": ["外墙窗边渗水,墙皮起鼓", "入户门关不严,门框变形", "卫生间墙砖空鼓脱落", "阳台栏杆有一根松动",
              "客厅顶棚有裂缝"],
    "other": ["可视对讲没有声音", "信报箱锁坏了", "防盗门猫眼松动"],
}
OTHER_TEXT = {
    "complaint": ["楼上装修噪音太大,中午也不停", "车位被外来车辆长期占用", "交房时承诺的绿化没有做", "保洁不及时,楼道有垃圾",
                  "窗户密封不好,冬天进风", "门岗态度不好"],
    "inquiry": ["物业费可以按季度交吗", "装修需要办什么手续", "停车卡怎么续费", "快递柜在哪里", "什么时候停水"],
    "incident": ["地下车库进水", "电梯困人", "小区东门有人摔倒", "配电室跳闸,半栋楼停电"],
    "info": ["业主反映想加装纱窗,请工程部联系", "业主下月出租,请登记租户", "业主要求复印房屋图纸", "业主家老人独居,请多关注"],
}
PLACES = ["1号楼大堂", "地下车库B1", "小区北门", "中心花园", "2号楼电梯厅", "会所", "垃圾站", "东侧道路"]
WORK_DONE = ["更换角阀", "疏通下水", "更换灯泡", "重新打胶", "更换开关面板", "紧固螺丝", "更换密封圈", "更换空开"]
MATERIALS = ["", "", "", "角阀×1", "密封胶×1", "开关面板×1", "灯泡×2"]
TARGET_NAMES = ["开发商设计部", "总包单位", "保洁班组", "秩序部", "工程部", "监理单位"]
CAUSES = ["施工遗留问题", "服务不到位", "设计缺陷", "沟通不及时"]
ANSWERS = ["已电话答复业主", "已转相关部门并告知业主", "已在群里通知", "已处理完毕"]
NOTES = ["", "", "", "业主表示满意", "业主在家", "已约明天上午"]
SATISFACTION = [("satisfied", 85), ("basic", 12), ("unsatisfied", 3)]
# Duties no case makes: patrols, renovation checks, meter readings (title, subject kind).
OTHER_DUTIES = [
    ("patrol.daily", "Daily patrol", "patch"),
    ("decoration.check", "Renovation check", "unit"),
    ("meter.read", "Read the meters", "unit"),
    ("fee.reminder", "Remind about fees", "unit"),
    ("equipment.check", "Equipment check", "building"),
    ("key.handover", "Hand over keys", "unit"),
]

CASE_COLUMNS = (
    "id", "estate_id", "kind", "status", "unit_id", "building_id", "place", "resident_id", "contact_name",
    "contact_phone", "source", "category", "description", "registrar_id", "assignee_id", "department", "created_at",
    "updated_at", "scope", "trade", "work_type", "warranty", "paid", "price_item_id", "price", "emergency", "minor",
    "dispatched_at", "arrived_at", "done_at", "work_done", "materials", "target", "target_name", "cause",
    "promised_on", "resolution", "closed_at", "satisfaction", "satisfaction_note", "reopened",
)
DUTY_COLUMNS = (
    "estate_id", "kind", "subject", "title", "assignee_id", "role", "due_at", "due_date", "done_at", "done_by_id",
    "late_minutes", "notified_at", "escalate_at", "escalated_at", "points", "created_at",
)
EVENT_COLUMNS = ("estate_id", "subject", "actor_id", "verb", "detail", "at")
CALL_COLUMNS = ("case_id", "kind", "by_id", "at", "reached", "note", "satisfaction")


def insert_sql(table: str, columns) -> str:
    return f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'


def weighted(pairs):
    """A list to pick from uniformly that holds each value as often as its weight says."""
    return [value for value, weight in pairs for _ in range(weight)]


def jstr(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------- time as integer seconds


class Stamps:
    """Naive-UTC timestamps as integer seconds, written the way Peewee writes them."""

    def __init__(self, first_day: int, last_day: int, tz: str):
        self.day0 = first_day
        epoch = datetime(1970, 1, 1)
        self.days = [(epoch + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(first_day, last_day + 1)]
        self.hms = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        # The last minute of the estate's local day (23:59 local) for each day, in UTC seconds.
        offset = int(datetime(2025, 1, 1, tzinfo=ZoneInfo(tz or "Asia/Shanghai")).utcoffset().total_seconds())
        self.local_offset = offset

    def ts(self, s: int) -> str:
        return self.days[s // 86400 - self.day0] + self.hms[s % 86400]

    def date(self, s: int) -> str:
        return self.days[s // 86400 - self.day0]

    def end_of_local_day(self, s: int) -> int:
        local_day = (s + self.local_offset) // 86400
        return local_day * 86400 + 23 * 3600 + 59 * 60 - self.local_offset


def epoch_seconds(dt: datetime) -> int:
    return int((dt - datetime(1970, 1, 1)).total_seconds())


# ---------------------------------------------------------------- the clock table, read from the app


def case_rules():
    """The rows of the real clock table that cases start, keyed by case kind.

    Each row: (duty kind, who, offset s, anchor, points, grace s, only when minor, after the repair is done).
    """
    from bluebird.cases import clocks  # noqa: F401  (registers the case rows)
    from bluebird.duties.rules import RULES

    triggers = {"repair.registered": ("repair", False), "repair.done": ("repair", True),
                "complaint.registered": ("complaint", False), "inquiry.unanswered": ("inquiry", False),
                "incident.reported": ("incident", False), "info.passed": ("info", False)}
    table = {kind: [] for kind, _ in KINDS}
    for rule in RULES:
        if rule.trigger not in triggers:
            continue
        case_kind, after_done = triggers[rule.trigger]
        only_minor = not rule.when({"minor": False})
        anchor = rule.anchor.__name__ if rule.anchor else ""
        table[case_kind].append((rule.kind, rule.who.__name__, int(rule.offset.total_seconds()), anchor, rule.points,
                                 int(rule.grace.total_seconds()), only_minor, after_done))
    return table


# ---------------------------------------------------------------- generating


class Generator:
    """Writes cases, their duties, calls and events, and other duties, chunk by chunk."""

    def __init__(self, conn, rng: random.Random, n_cases: int, n_duties: int, now: datetime, history: bool):
        self.conn, self.rng, self.n_cases, self.n_duties, self.history = conn, rng, n_cases, n_duties, history
        self.now = epoch_seconds(now)
        self.start = self.now - YEARS * 365 * 86400
        self.estate_id, tz = conn.execute("SELECT id, timezone FROM estate ORDER BY id LIMIT 1").fetchone()
        self.stamps = Stamps(self.start // 86400 - 1, self.now // 86400 + 60, tz)
        users = conn.execute("SELECT id, username, role, patch_id FROM user WHERE estate_id = ?",
                             (self.estate_id,)).fetchall()
        self.users = [u[0] for u in users]
        by_role = {}
        for uid, _, role, _ in users:
            by_role.setdefault(role, []).append(uid)
        self.by_role = by_role
        self.butlers = by_role["butler"]
        self.techs = by_role["technician"]
        self.manager = by_role["manager"][0]
        self.reception = by_role.get("reception", [self.manager])[0]
        self.butler1 = next(u[0] for u in users if u[1] == "butler1")
        patch_butler = {}
        for uid, _, role, patch in sorted(users):
            if role == "butler" and patch is not None:
                patch_butler.setdefault(patch, uid)
        self.patches = sorted(patch_butler)
        self.buildings = [b for (b,) in conn.execute("SELECT id FROM building WHERE estate_id = ?", (self.estate_id,))]
        self.building_butler = {b: patch_butler.get(p) for b, p in
                                conn.execute("SELECT id, patch_id FROM building WHERE estate_id = ?", (self.estate_id,))}
        self.units = conn.execute("SELECT id, building_id, code FROM unit WHERE estate_id = ? ORDER BY id",
                                  (self.estate_id,)).fetchall()
        residents = {}
        for rid, unit_id, name, phone in conn.execute(
                "SELECT id, unit_id, name, phone FROM resident WHERE estate_id = ?", (self.estate_id,)):
            residents.setdefault(unit_id, []).append((rid, name, phone))
        self.residents = residents
        self.rules = case_rules()
        self.case_duties = 0
        self.held = []  # open duties of butlers and "any butler": capped at the end (see finish_duties)
        self.keep_closed = 1.0  # share of closed cases' duties kept, if --duties is small for --cases
        self.events = 0
        self.calls = 0
        self.seen_open = set()  # (kind, subject, due date) of open other duties: unique, as duty_open_once asks

    # -- cases

    def cases(self, first_id: int, count: int):
        """`count` cases from id `first_id`, oldest first; returns the rows and what duties/history need."""
        rng, st, now = self.rng, self.stamps, self.now
        rand, choice, randint = rng.random, rng.choice, rng.randint
        ts, date = st.ts, st.date
        kinds, trades, sources = weighted(KINDS), weighted(TRADES), weighted(SOURCES)
        targets, verdicts = weighted(TARGETS), weighted(SATISFACTION)
        span = (now - self.start) / self.n_cases
        rows, facts = [], []
        for cid in range(first_id, first_id + count):
            created = self.start + int((cid - 1 + rand()) * span)
            age_days = (now - created) / 86400
            # ~3% still open: most of the fresh ones, some of last quarter's, a tail of forgotten ones.
            is_open = rand() < (0.6 if age_days < 7 else 0.1 if age_days < 90 else 0.02)
            kind = choice(kinds)
            if rand() < 0.85 or kind == "info":
                unit_id, building_id, code = choice(self.units)
                place, where = "", code
                butler = self.building_butler.get(building_id)
                people = self.residents.get(unit_id)
            else:
                unit_id = building_id = None
                place = where = choice(PLACES)
                butler, people = None, None
            source = choice(sources)
            if source in ("patrol", "owner"):
                registrar = butler or choice(self.butlers)
            else:
                registrar = self.reception if rand() < 0.8 else (butler or self.manager)
            if people and rand() < 0.9:
                resident_id, contact_name, contact_phone = choice(people)
            else:
                resident_id, contact_name, contact_phone = None, "", ""
            status = "closed"
            assignee = None
            scope = trade = work_type = target = target_name = cause = work_done = materials = resolution = ""
            warranty = paid = emergency = 0
            minor = 1
            price = promised_on = None
            dispatched = arrived = done = closed = settled = promised_end = None
            notify_at = callback_at = None
            verdict, reopened = "", 0
            category = ""
            if kind == "repair":
                trade = choice(trades)
                category = trade
                description = choice(REPAIR_TEXT[trade])
                scope = "household" if unit_id and rand() < 0.8 else "public"
                work_type = "basic" if rand() < 0.7 else "materials"
                warranty = int(rand() < 0.08)
                paid = int(not warranty and rand() < 0.1)
                price = f"{randint(2, 30) * 10}.00" if paid else None
                emergency = int(rand() < 0.05)
                minor = int(not emergency and rand() < 0.8)
                if is_open:
                    r = rand()
                    status = "new" if r < 0.15 else "dispatched" if r < 0.5 else "on_site" if r < 0.65 else "done"
                if status != "new":
                    assignee = choice(self.techs)
                    dispatched = created + randint(300, 3600)
                    notify_at = dispatched + randint(60, 3600)
                if status in ("on_site", "done", "closed"):
                    arrived = dispatched + randint(600, 2400)
                    callback_at = created + 86400 + randint(-7200, 14400)
                if status in ("done", "closed"):
                    done = arrived + randint(1800, 4 * 3600)
                    work_done, materials = choice(WORK_DONE), choice(MATERIALS)
            elif kind == "complaint":
                description = choice(OTHER_TEXT["complaint"])
                target = choice(targets)
                category = target
                target_name, cause = choice(TARGET_NAMES), choice(CAUSES)
                promised_end = st.end_of_local_day(created + randint(3, 7) * 86400)
                promised_on = date(promised_end + st.local_offset)
                if is_open:
                    status = "new" if rand() < 0.7 else "done"
                if status != "new":
                    settled = created + randint(86400, 6 * 86400)
                    resolution = choice(ANSWERS)
            else:
                description = choice(OTHER_TEXT[kind])
                if is_open:
                    status = "new"
                if kind == "info":
                    assignee = choice(self.users)
            if status == "closed":
                last = done or settled or created
                closed = last + randint(3600, 2 * 86400)
                if kind in ("repair", "complaint"):
                    verdict = choice(verdicts)
                    if verdict == "unsatisfied":  # the owner reopened it once; the second visit satisfied him
                        verdict, reopened = "satisfied", 1
                else:
                    resolution = choice(ANSWERS)
            if (closed or 0) > now or (done or 0) > now or (settled or 0) > now or (arrived or 0) > now \
                    or (dispatched or 0) > now:
                # Registered so recently that the work is still under way: keep only what happened by now.
                closed, verdict, reopened = None, "", 0
                if kind == "repair":
                    dispatched, notify_at, arrived, done = (t if t and t <= now else None
                                                            for t in (dispatched, notify_at, arrived, done))
                    status = ("done" if done else "on_site" if arrived else "dispatched" if dispatched else "new")
                    if not done:
                        work_done = materials = ""
                    if not dispatched:
                        assignee = None
                elif kind == "complaint":
                    settled = settled if settled and settled <= now else None
                    status, resolution = ("done", resolution) if settled else ("new", "")
                else:
                    status, resolution = "new", ""
            callback_at = callback_at if callback_at and callback_at <= now else None
            notify_at = notify_at if notify_at and notify_at <= now else None
            updated = max(t for t in (created, dispatched, notify_at, arrived, callback_at, done, settled, closed) if t)
            rows.append((
                cid, self.estate_id, kind, status, unit_id, building_id, place, resident_id, contact_name,
                contact_phone, source, category, description, registrar, assignee, "", ts(created), ts(updated),
                scope, trade, work_type, warranty, paid, None, price, emergency, minor,
                dispatched and ts(dispatched), arrived and ts(arrived), done and ts(done), work_done, materials,
                target, target_name, cause, promised_on, resolution, closed and ts(closed), verdict,
                "", reopened,
            ))
            title = f"{PREFIX[kind]}{cid:06d} {where} {description[:40]}"
            facts.append((cid, kind, created, status, registrar, assignee, butler, emergency, minor, promised_end,
                          notify_at, arrived, callback_at, done, settled, closed, title, verdict, work_done,
                          materials, resolution, target))
        return rows, facts

    # -- the duties the clock table gives each case

    def duties_for(self, facts):
        """Duties from the real clock table for each case; open ones where the work is not done yet."""
        rng, st, now, estate = self.rng, self.stamps, self.now, self.estate_id
        ts, date, rand = st.ts, st.date, rng.random
        eod = st.end_of_local_day
        butlers = set(self.butlers)
        keep = self.keep_closed
        rows, held = [], self.held
        for (cid, kind, created, _status, registrar, assignee, butler, emergency, minor, promised_end, notify_at,
             arrived, callback_at, done, settled, closed, title, *_rest) in facts:
            if keep < 1.0 and closed and rand() > keep:
                continue
            subject = f"case:{cid}"
            finished_at = {"repair_notify_owner": notify_at, "repair_arrive": arrived, "repair_finish": done,
                           "repair_callback_24h": callback_at, "complaint_resolve": settled}
            for dkind, who, offset, anchor, points, grace, only_minor, after_done in self.rules[kind]:
                if only_minor and not minor:
                    continue
                if after_done and done is None:
                    continue
                base = done if after_done else created
                if anchor == "_at_once_if_emergency" and emergency:
                    due = base
                elif anchor == "_same_day":
                    due = eod(base)
                elif anchor == "_promised_day":
                    due = promised_end
                else:
                    due = base + offset
                if who == "_registrar":
                    person, role = registrar, None
                elif who in ("_technician", "_recipient"):
                    person, role = (assignee, None) if assignee else (None, "technician" if who == "_technician"
                                                                      else "manager")
                elif who == "_patch_butler":
                    person, role = (butler, None) if butler else (None, "butler")
                elif who == "_complaint_caller":
                    person, role = butler or registrar, None
                else:  # the routed head (no routing set: the supervisors) and the supervisor
                    person, role = None, "manager"
                finished = finished_at.get(dkind, closed) or closed
                if finished is not None and finished > now:
                    finished = None
                row = [estate, dkind, subject, title[:200], person, role, due, None, finished,
                       (person or assignee or self.manager) if finished else None, points, grace, base]
                if finished is None and (person in butlers or role == "butler"):
                    held.append(row)
                    continue
                rows.append(self._duty_row(row, ts, date))
        self.case_duties += len(rows)
        return rows

    def _duty_row(self, row, ts, date):
        estate, dkind, subject, title, person, role, due, _, finished, done_by, points, grace, created = row
        escalate = due + grace
        late = max(0, (finished - due) // 60) if finished else None
        escalated = escalate if (finished is None and escalate < self.now) or (finished and finished > escalate) else None
        return (estate, dkind, subject, title, person, role, ts(due), date(due), finished and ts(finished), done_by,
                late, None, ts(escalate), escalated and ts(escalated), points, ts(min(created, due)))

    def finish_duties(self):
        """The butlers' open case duties: each keeps his newest ones, the rest were done a little late."""
        st, now, rand = self.stamps, self.now, self.rng.random
        by_owner = {}
        for row in self.held:
            by_owner.setdefault(row[4] or "role", []).append(row)
        rows, opened = [], {}
        for owner, held in by_owner.items():
            held.sort(key=lambda r: r[6], reverse=True)
            keep = ROLE_BUTLER_OPEN if owner == "role" else BUTLER_OPEN - 30
            for i, row in enumerate(held):
                if i >= keep:
                    row[8] = min(now - 60, row[6] + int(rand() * 6 * 3600))
                    row[9] = row[4] or self.butler1
                else:
                    opened[owner] = opened.get(owner, 0) + 1
                rows.append(self._duty_row(row, st.ts, st.date))
        self.case_duties += len(rows)
        self.held = []
        return rows, opened

    def other_duties(self, count: int, open_count: int, butler_open: dict):
        """Patrols, renovation checks, meter readings… over all staff; `open_count` still open."""
        rng, st, now = self.rng, self.stamps, self.now
        ts, date, randint, choice = st.ts, st.date, rng.randint, rng.choice
        estate = self.estate_id
        seen = self.seen_open
        not_butlers = [u for u in self.users if u not in self.butlers]
        # Top up every butler's agenda to BUTLER_OPEN open duties of his own.
        owners = []
        for b in self.butlers:
            owners += [b] * max(0, BUTLER_OPEN - butler_open.get(b, 0))
        owners = owners[:open_count]
        owners += [choice(not_butlers) for _ in range(open_count - len(owners))]
        rows = []
        for i in range(count):
            is_open = i < open_count
            user = owners[i] if is_open else choice(self.users)
            for _attempt in range(10_000):
                dkind, _, about = choice(OTHER_DUTIES)
                if about == "patch":
                    subject = f"patch:{choice(self.patches)}"
                elif about == "building":
                    subject = f"building:{choice(self.buildings)}"
                else:
                    subject = f"unit:{choice(self.units)[0]}"
                if is_open:
                    due = now + randint(-3 * 86400, 10 * 86400) if user in self.butlers else \
                        now + randint(-60 * 86400, 30 * 86400)
                    key = (dkind, subject, date(due))
                    if key in seen:
                        continue
                    seen.add(key)
                    finished = None
                else:
                    due = randint(self.start, now - 86400)
                    finished = min(now - 60, due + randint(-7200, 36000))
                break
            else:
                raise SystemExit("bench: no room left for more open duties; ask for fewer")
            late = max(0, (finished - due) // 60) if finished else None
            escalate = due + 3600
            escalated = escalate if (finished is None and escalate < now) or (finished and finished > escalate) else None
            rows.append((estate, dkind, subject, f"{dkind} {subject}", user, None, ts(due), date(due),
                         finished and ts(finished), user if finished else None, late, None, ts(escalate),
                         escalated and ts(escalated), rng.choice((0, 0, 1, 2)), ts(due - randint(3600, 3 * 86400))))
        return rows

    # -- calls and the timeline

    def history_for(self, facts):
        """Each case's calls and timeline events, as the service writes them."""
        ts, estate = self.stamps.ts, self.estate_id
        events, calls = [], []
        for (cid, kind, created, _status, registrar, assignee, butler, _emergency, _minor, _promised_end, notify_at,
             arrived, callback_at, done, settled, closed, _title, verdict, work_done, materials, resolution,
             target) in facts:
            subject = f"case:{cid}"
            caller = butler or registrar
            events.append((estate, subject, registrar, "created", f'{{"kind": "{kind}"}}', ts(created)))
            if kind == "complaint":
                events.append((estate, subject, registrar, "routed", f'{{"to": null, "target": "{target}"}}',
                               ts(created)))
            if assignee and kind == "repair":
                events.append((estate, subject, registrar, "dispatched", f'{{"to": {assignee}, "department": ""}}',
                               ts(created + 60)))
            if notify_at:
                calls.append((cid, "notify_owner", registrar, ts(notify_at), 1, "", ""))
                events.append((estate, subject, registrar, "call", '{"call": "notify_owner", "reached": true, '
                               '"note": "", "satisfaction": ""}', ts(notify_at)))
            if arrived:
                events.append((estate, subject, assignee, "arrived", "{}", ts(arrived)))
            if callback_at:
                calls.append((cid, "callback_24h", caller, ts(callback_at), 1, "", ""))
                events.append((estate, subject, caller, "call", '{"call": "callback_24h", "reached": true, '
                               '"note": "", "satisfaction": ""}', ts(callback_at)))
            if done:
                events.append((estate, subject, assignee, "done",
                               f'{{"work_done": {jstr(work_done)}, "materials": {jstr(materials)}}}', ts(done)))
            if settled:
                events.append((estate, subject, self.manager, "resolved", f'{{"text": {jstr(resolution)}}}',
                               ts(settled)))
            if closed:
                if kind in ("repair", "complaint"):
                    call = "satisfaction" if kind == "repair" else "complaint_callback"
                    calls.append((cid, call, caller, ts(closed), 1, "", verdict))
                    events.append((estate, subject, caller, "call", f'{{"call": "{call}", "reached": true, "note": "", '
                                   f'"satisfaction": "{verdict}"}}', ts(closed)))
                    events.append((estate, subject, caller, "closed", '{"text": ""}', ts(closed)))
                else:
                    events.append((estate, subject, registrar, "answered", f'{{"text": {jstr(resolution)}}}',
                                   ts(closed)))
        self.events += len(events)
        self.calls += len(calls)
        return events, calls


def secondary_indexes(conn, tables):
    """(name, CREATE statement) of the indexes on these tables, for dropping around the load."""
    marks = ", ".join("?" * len(tables))
    return conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        f"AND tbl_name IN ({marks})", tables).fetchall()


def generate(path: str, args, now: datetime) -> dict:
    """Write the cases, duties and history straight into the SQLite file at `path`."""
    rng = random.Random(args.seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")  # no other connection is open during the load
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    gen = Generator(conn, rng, args.cases, args.duties, now, history=args.history)
    timings = {"cases": 0.0, "duties": 0.0, "history": 0.0}
    dropped = {}
    if args.drop_indexes:
        for table in ("cases", "duty", "event", "call"):
            dropped[table] = secondary_indexes(conn, [table])
            for name, _ in dropped[table]:
                conn.execute(f'DROP INDEX "{name}"')

    def recreate(table):
        for _, sql in dropped.get(table, []):
            conn.execute(sql)

    case_sql, duty_sql = insert_sql("cases", CASE_COLUMNS), insert_sql("duty", DUTY_COLUMNS)
    event_sql, call_sql = insert_sql("event", EVENT_COLUMNS), insert_sql("call", CALL_COLUMNS)
    conn.execute("BEGIN")
    for n, (offset, count) in enumerate(chunks(args.cases, CHUNK)):
        t0 = time.perf_counter()
        rows, facts = gen.cases(offset + 1, count)
        conn.executemany(case_sql, rows)
        t1 = time.perf_counter()
        conn.executemany(duty_sql, gen.duties_for(facts))
        if n == 0:  # if --duties is too few for --cases, keep only part of the closed cases' duties
            expected = gen.case_duties / count * args.cases
            if expected > 0.9 * args.duties:
                gen.keep_closed = max(0.0, 0.9 * args.duties / expected)
        t2 = time.perf_counter()
        if args.history:
            events, calls = gen.history_for(facts)
            conn.executemany(event_sql, events)
            conn.executemany(call_sql, calls)
        t3 = time.perf_counter()
        timings["cases"] += t1 - t0
        timings["duties"] += t2 - t1
        timings["history"] += t3 - t2
        note(f"  cases {offset + count:,}/{args.cases:,}  duties {gen.case_duties:,}  events {gen.events:,}")
    t0 = time.perf_counter()
    rows, butler_open = gen.finish_duties()
    conn.executemany(duty_sql, rows)
    if gen.case_duties > args.duties:  # too few --duties for --cases: drop some closed ones to land on the count
        surplus = gen.case_duties - args.duties
        conn.execute("DELETE FROM duty WHERE id IN (SELECT id FROM duty WHERE done_at IS NOT NULL "
                     "ORDER BY random() LIMIT ?)", (surplus,))
        gen.case_duties = args.duties
    open_now = conn.execute("SELECT COUNT(*) FROM duty WHERE done_at IS NULL").fetchone()[0]
    remaining = max(0, args.duties - gen.case_duties)
    want_open = max(0, round(OPEN_DUTY_SHARE * args.duties) - open_now)
    want_open = max(want_open, sum(max(0, BUTLER_OPEN - butler_open.get(b, 0)) for b in gen.butlers))
    for offset, count in chunks(remaining, 200_000):
        conn.executemany(duty_sql, gen.other_duties(count, max(0, min(count, want_open - offset)), butler_open))
    timings["duties"] += time.perf_counter() - t0
    conn.execute("COMMIT")
    for table, key in (("cases", "cases"), ("duty", "duties"), ("event", "history"), ("call", "history")):
        t0 = time.perf_counter()
        recreate(table)
        timings[key] += time.perf_counter() - t0
        if dropped.get(table):
            note(f"  {table}: {len(dropped[table])} indexes rebuilt in {time.perf_counter() - t0:.1f} s")
    # The app's upgrade() refuses a file whose rows point at rows that do not exist (migrate.py):
    # say so here, where the generator made them, not at the next run's upgrade.
    t0 = time.perf_counter()
    broken = conn.execute("PRAGMA foreign_key_check").fetchmany(5)
    if broken:
        raise SystemExit(f"bench: the generated rows break foreign keys: {broken}")
    note(f"  foreign keys whole (checked in {time.perf_counter() - t0:.1f} s)")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    timings.update(events=gen.events, calls=gen.calls)
    return timings


# ---------------------------------------------------------------- the app


def build_app(instance: str, db_path: str):
    os.environ["BLUEBIRD_INSTANCE_PATH"] = instance
    os.environ["BLUEBIRD_DATABASE_URL"] = f"sqlite:///{db_path}"
    from bluebird import create_app
    from bluebird.migrate import upgrade

    app = create_app({"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench-secret"})
    upgrade()
    return app


def register_duty_kinds():
    from flask_babel import lazy_gettext

    from bluebird.duties.rules import register_kind

    for kind, label, _ in OTHER_DUTIES:
        register_kind(kind, lazy_gettext(label))


def table_counts(db) -> dict:
    """Row counts of the tables the bench writes."""
    return {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for t in ("cases", "duty", "event", "call", "user")}


capture = capture_sql


def explain(db, statements) -> list[str]:
    """EXPLAIN QUERY PLAN for each distinct SELECT, one line per plan step."""
    out, seen = [], set()
    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT") or sql in seen:
            continue
        seen.add(sql)
        start = time.perf_counter()
        db.execute_sql(sql, params).fetchall()
        took = (time.perf_counter() - start) * 1000
        out.append(f"    {took:7.2f} ms  {sql[:300]}{' …' if len(sql) > 300 else ''}  {list(params)[:6]}")
        for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall():
            out.append(f"                 plan: {row[3]}")
    return out


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), help="preset sizes: small (20,000 / 100,000), full")
    parser.add_argument("--cases", type=int, help="cases to generate (default 1,000,000)")
    parser.add_argument("--duties", type=int, help="duties to generate in all (default 5,000,000)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    parser.add_argument("--db", help="SQLite file to use; generated if missing or empty, reused if it holds the data")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-history", dest="history", action="store_false",
                        help="skip the cases' calls and timeline events (the case page then shows none)")
    parser.add_argument("--keep-indexes", dest="drop_indexes", action="store_false",
                        help="keep the secondary indexes during the load instead of rebuilding them after")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after generating (the app never does)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN QUERY PLAN of every page's SQL on stderr")
    parser.add_argument("--only", help="comma-separated page names to time (default: all)")
    args = parser.parse_args(argv)
    preset_cases, preset_duties = SCALES[args.scale or "full"]
    args.cases = args.cases or preset_cases
    args.duties = args.duties or preset_duties

    with tempfile.TemporaryDirectory(prefix="bluebird-bench-cases-") as tmp:
        db_path = os.path.abspath(args.db) if args.db else os.path.join(tmp, "cases.db")
        app = build_app(tmp, db_path)
        register_duty_kinds()
        from bluebird import clock
        from bluebird.auth.models import User
        from bluebird.db import db
        from bluebird.demo import load_demo
        from bluebird.duties.models import Duty

        now = clock.now()
        with app.app_context(), db.connection_context():
            counts = table_counts(db)
        if counts["cases"] == 0:
            note(f"generating {args.cases:,} cases and {args.duties:,} duties in {db_path}")
            with app.app_context(), db.connection_context():
                if counts["user"] == 0:
                    note(f"demo office: {load_demo(scale=1)}")
            db.close_all()
            timings = generate(db_path, args, now)
            figure("cases_generate_s", timings["cases"], "s")
            figure("duties_generate_s", timings["duties"], "s")
            if args.history:
                figure("cases_history_generate_s", timings["history"], "s")
            note(f"history: {timings['events']:,} timeline events, {timings['calls']:,} calls")
        elif counts["cases"] == args.cases and counts["duty"] == args.duties:
            note(f"reusing {db_path}: {counts}; nothing generated")
        else:
            raise SystemExit(f"bench: {db_path} holds {counts['cases']:,} cases and {counts['duty']:,} duties, "
                             f"not {args.cases:,} and {args.duties:,}; use another --db")
        size = sum(os.path.getsize(db_path + s) for s in ("", "-wal") if os.path.exists(db_path + s))
        figure("cases_db_mb", size / 2**20, "MB", digits=0)
        if args.analyze:
            with app.app_context(), db.connection_context():
                start = time.perf_counter()
                db.execute_sql("ANALYZE")
                note(f"ANALYZE took {time.perf_counter() - start:.1f} s (the statistics stay in the file)")

        rng = random.Random(args.seed + 1)
        with app.app_context(), db.connection_context():
            butler = User.get(User.username == "butler1")
            first, last = db.execute_sql("SELECT MIN(id), MAX(id) FROM cases").fetchone()
            open_duties = db.execute_sql("SELECT COUNT(*) FROM duty WHERE done_at IS NULL").fetchone()[0]
            open_cases = db.execute_sql("SELECT COUNT(*) FROM cases WHERE status != 'closed'").fetchone()[0]
            stats = db.execute_sql("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0]
            note(f"data: {last - first + 1:,} cases ({open_cases:,} open), {table_counts(db)['duty']:,} duties "
                 f"({open_duties:,} open; {Duty.open_for(butler).count()} on butler1's agenda); "
                 f"planner statistics (sqlite_stat1): {'yes' if stats else 'no'}")
        deep_ids = [rng.randint(first + 30, first + (last - first) // 10) for _ in range(300)]
        page_ids = [rng.randint(first, last) for _ in range(300)]

        ours, boss = Browser(app), Browser(app)
        ours.login("butler1", PASSWORD)
        boss.login("manager", PASSWORD)
        hx = {"HX-Request": "true"}
        pages = {
            "cases_agenda": lambda i: ours.get("/agenda"),
            "case_list": lambda i: ours.get("/cases/?mine=0&status=all"),
            "case_list_deep": lambda i: ours.get(f"/cases/?mine=0&status=all&before={deep_ids[i % len(deep_ids)]}"),
            "case_page": lambda i: ours.get(f"/cases/{page_ids[i % len(page_ids)]}"),
            # Extra figures: the filters staff use, the butler's default view and the htmx "more" fragment.
            "case_list_mine": lambda i: ours.get("/cases/"),
            "case_list_complaints": lambda i: ours.get("/cases/?mine=0&kind=complaint&status=all"),
            "case_list_water_open": lambda i: ours.get("/cases/?mine=0&trade=water&status=open"),
            "case_list_overdue": lambda i: ours.get("/cases/?mine=0&status=open&overdue=1"),
            "case_list_deep_htmx": lambda i: ours.get(
                f"/cases/?mine=0&status=all&before={deep_ids[(i + 7) % len(deep_ids)]}", headers=hx),
            # The manager's agenda: his role's duties and everything escalated, over the same duties.
            "cases_agenda_manager": lambda i: boss.get("/agenda"),
        }
        if args.only:
            wanted = set(args.only.split(","))
            pages = {k: v for k, v in pages.items() if k in wanted}
        for call in pages.values():
            for i in range(args.warmup):
                call(i)
        for name, call in pages.items():
            statements = capture(lambda call=call: call(1))
            note(f"{name}: {len(call(1)):,} bytes, {len(statements)} SQL statements")
            if args.explain:
                with app.app_context(), db.connection_context():
                    for line in explain(db, statements):
                        note(line)

        # Wall time is what the target is about; this thread's CPU time beside it tells a slow
        # page from a busy machine (the two differ when other work takes the cores).
        series = {name: Series(name) for name in pages}
        cpu = {name: [] for name in pages}

        def on_cpu(call, bucket):
            def run(i):
                start = time.thread_time()
                call(i)
                bucket.append(time.thread_time() - start)
            return run

        timed = {name: on_cpu(call, cpu[name]) for name, call in pages.items()}
        note(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for round_no, (offset, count) in enumerate(chunks(args.requests, BLOCK)):
            order = list(pages)
            if round_no % 2:
                order.reverse()
            for name in order:
                series[name].run(timed[name], count, offset)
        note(f"load average after timing: {os.getloadavg()[0]:.1f}")
        for name, s in series.items():
            figure(f"{name}_p50_ms", s.p(50), "ms")
            figure(f"{name}_p95_ms", s.p(95), "ms")
        for name in series:
            figure(f"{name}_cpu_p95_ms", percentile(cpu[name], 95) * 1000, "ms")
            note(f"{name}: CPU p50 {percentile(cpu[name], 50) * 1000:.2f} ms")
        targeted = [n for n in ("cases_agenda", "case_list", "case_list_deep", "case_page") if n in series]
        misses = [f"{n} p95 {series[n].p(95):.1f} ms" for n in targeted if series[n].p(95) > TARGET_P95_MS]
        note(f"target p95 <= {TARGET_P95_MS:.0f} ms: " + ("all met" if not misses else "missed: " + "; ".join(misses)))
        db.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
