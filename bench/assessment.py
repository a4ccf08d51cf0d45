"""Bench the staff assessment: one month computed for a whole estate, and its pages.

On one estate with 60 assessed staff and the 1M-case / 5M-duty scale of bench/cases.py
(spread over three years, ~140,000 duties a month), time:
  assessment_month_compute_s   storing one closed month for every person (target ≤ 5 s)
  assessment_overview_p95_ms   the supervisor's 考核 page of a stored month (≤ 25 ms)
  assessment_sheet_p95_ms      one person's stored sheet (≤ 25 ms)
  assessment_trend_p95_ms      one person's 12-month trend (≤ 25 ms)

    .venv/bin/python bench/assessment.py                  # full: 1,000,000 cases, 5,000,000 duties
    .venv/bin/python bench/assessment.py --scale small    # 100,000 cases, 500,000 duties

The data is written straight into SQLite (like bench/cases.py); the 11 months before the
timed one are stored first, untimed, so the trend has a year to show.
"""
import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench._common import Browser, Series, chunks, figure, note  # noqa: E402

SCALES = {"small": (100_000, 500_000), "full": (1_000_000, 5_000_000)}
PASSWORD = "bluebird"
STAFF = {"butler": 40, "technician": 12, "reception": 6, "inspector": 2}
MONTHS = 36
# Duty kinds and their share: the rule book's kinds and some it does not count.
KINDS = [("daily_patrol", 30), ("repair_callback_24h", 12), ("repair_satisfaction", 10), ("repair_notify_owner", 10),
         ("repair_arrive", 8), ("repair_finish", 8), ("vacant_patrol", 8), ("renovation_check", 5),
         ("complaint_callback", 3), ("inquiry_answer", 3), ("lobby_check", 3)]
NOW = datetime(2026, 12, 2, 2, 0)  # 2026-12-02 10:00 in Shanghai: November has closed


def weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return values, weights


def generate(path, n_cases, n_duties, staff_ids, rng):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    start = NOW - timedelta(days=30 * MONTHS)
    span = int((NOW - start).total_seconds())
    kinds, weights = weighted(KINDS)
    case_sql = ("INSERT INTO cases (estate_id, kind, status, unit_id, place, contact_name, contact_phone, source, "
                "category, description, registrar_id, department, created_at, updated_at, scope, trade, work_type, "
                "warranty, paid, emergency, minor, done_at, work_done, materials, target, target_name, cause, "
                "resolution, closed_at, satisfaction, satisfaction_note, reopened) VALUES "
                "(1, ?, 'closed', NULL, ?, '', '', 'phone', '', '厨房水管漏水', ?, '', ?, ?, 'household', 'water', "
                "'basic', 0, ?, 0, 1, ?, '', '', '', '', '', '', ?, 'satisfied', '', 0)")
    for offset, count in chunks(n_cases, 50_000):
        rows = []
        for _ in range(count):
            at = start + timedelta(seconds=rng.randrange(span))
            kind = "complaint" if rng.random() < 0.1 else "repair"
            paid = 1 if kind == "repair" and rng.random() < 0.05 else 0
            done = at + timedelta(hours=rng.randint(1, 48))
            # No unit: this estate has none, and a unit id that names no unit breaks the foreign key
            # the upgrade checks (the assessment never reads the unit).
            rows.append((kind, "公共区域", rng.choice(staff_ids), at, done, paid, done, done))
        conn.executemany(case_sql, rows)
        note(f"  cases {offset + count:,}/{n_cases:,}")
    duty_sql = ("INSERT INTO duty (estate_id, kind, subject, title, assignee_id, due_at, due_date, done_at, "
                "done_by_id, outcome, void_reason, missed_at, late_minutes, escalate_at, escalated_at, points, "
                "created_at) VALUES (1, ?, ?, '', ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, 2, ?)")
    for offset, count in chunks(n_duties, 200_000):
        rows = []
        for kind in rng.choices(kinds, weights, k=count):
            due = start + timedelta(seconds=rng.randrange(span))
            who = rng.choice(staff_ids)
            subject = f"case:{rng.randint(1, n_cases)}" if kind.startswith(("repair", "complaint", "inquiry")) \
                else f"patch:{who}"
            roll = rng.random()
            missed_at = late = outcome = done = None
            if roll < 0.03:  # missed: still open at the end of its month (then done later)
                outcome, missed_at = "done", datetime(due.year + due.month // 12, due.month % 12 + 1, 1)
                done = missed_at + timedelta(days=1)
                late = int((done - due).total_seconds() // 60)
            elif roll < 0.07:
                outcome, done = "void", due
            else:
                outcome = "done"
                late = 0 if rng.random() < 0.85 else rng.randint(1, 300)
                done = due + timedelta(minutes=late)
            escalated = due + timedelta(hours=1) if missed_at else None
            rows.append((kind, subject, who, due, due.date(), done, who, outcome, missed_at, late,
                         due + timedelta(hours=1), escalated, due - timedelta(days=1)))
        conn.executemany(duty_sql, rows)
        note(f"  duties {offset + count:,}/{n_duties:,}")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", help="SQLite file (generated if missing)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--retime", action="store_true",
                        help="with --db holding stored months: drop 2026-11's sheets and time storing it again")
    args = parser.parse_args(argv)
    n_cases, n_duties = SCALES[args.scale]
    tmp = tempfile.mkdtemp(prefix="bluebird-bench-assess-")
    db_path = args.db or os.path.join(tmp, "bench.db")
    os.environ["BLUEBIRD_INSTANCE_PATH"] = tmp
    from bluebird import clock, create_app
    from bluebird.migrate import upgrade

    app = create_app({"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench-secret"})
    upgrade()  # a reused file is checked too (foreign keys whole); one generated before the fix is refused
    from bluebird.assessment import service
    from bluebird.auth.models import User
    from bluebird.auth.passwords import hash_password
    from bluebird.db import db
    from bluebird.estate.models import Estate

    clock.set_now(NOW)
    rng = random.Random(args.seed)
    with app.app_context(), db.connection_context():
        fresh = Estate.select().count() == 0
        if fresh:
            estate = Estate.create(name="基准小区", code="bench", timezone="Asia/Shanghai")
            secret = hash_password(PASSWORD)
            User.create(estate=estate, username="manager", name="主管", role="manager", password_hash=secret)
            for role, n in STAFF.items():
                for i in range(n):
                    User.create(estate=estate, username=f"{role}{i + 1}", name=f"{role}{i + 1}", role=role,
                                password_hash=secret)
        staff_ids = [u.id for u in User.select().where(User.role != "manager")]
    if fresh:
        t0 = time.perf_counter()
        db.close_all()
        generate(db_path, n_cases, n_duties, staff_ids, rng)
        figure("assessment_generate_s", time.perf_counter() - t0, "s")
    note(f"scale: {n_cases:,} cases, {n_duties:,} duties over {MONTHS} months, {len(staff_ids)} staff")
    with app.app_context(), db.connection_context():
        estate = Estate.get(Estate.code == "bench")
        months = service.last_months(2026, 11)
        for year, month in months[:-1]:
            service.close_month(estate, year, month, NOW)
        if args.retime:
            from bluebird.assessment.models import Entry, Sheet

            sheets = [s.id for s in Sheet.of_month(estate.id, 2026, 11)]
            Entry.delete().where(Entry.sheet.in_(sheets or [0])).execute()
            Sheet.delete().where(Sheet.id.in_(sheets or [0])).execute()
        t0 = time.perf_counter()
        stored = service.close_month(estate, 2026, 11, NOW)
        took = time.perf_counter() - t0
        note(f"stored {stored} sheets for 2026-11")
        figure("assessment_month_compute_s", took, "s")
        person = User.get(User.username == "butler1")
    boss = Browser(app)
    boss.login("manager", PASSWORD)
    pages = {
        "assessment_overview": lambda i: boss.get("/assessment/?m=2026-11"),
        "assessment_sheet": lambda i: boss.get(f"/assessment/people/{staff_ids[i % len(staff_ids)]}?m=2026-11"),
        "assessment_trend": lambda i: boss.get(f"/assessment/people/{person.id}/trend?m=2026-11"),
    }
    for name, call in pages.items():
        series = Series(name)
        for i in range(10):
            call(i)
        series.run(call, args.requests)
        figure(f"{name}_p95_ms", series.p(95), "ms")
        figure(f"{name}_p50_ms", series.p(50), "ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
