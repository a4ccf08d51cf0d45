"""Reports bench: the monthly tables, the house dynamics table and the 100,000-case Excel export.

Run from the repository root, on the data of bench/cases.py (the same generator, reused):

    .venv/bin/python bench/reports.py --scale small                      # 20,000 cases (export of all of them)
    .venv/bin/python bench/reports.py --cases 150000 --duties 750000     # enough for a 100,000-row export
    .venv/bin/python bench/reports.py --db /tmp/cases.db                 # reuse a database bench/cases.py built

Figures (targets from issue 12):
  report_month_cold_p50_ms / _p95_ms   the first GET of each closed month: counted, then kept (report_cache)
  report_month_p50_ms / _p95_ms        GET /reports/tables/month?period=<month> over the data's months (<= 300 ms)
  report_month_building_cold_p95_ms    the first GET of a closed month for one building (late handling counts the
                                       duties about that building's cases and units)
  report_complaints_p95_ms             GET /reports/complaints?period=<month>
  house_dynamics_first_ms              the first GET of a closed month: computed from the timeline and kept
  house_dynamics_p95_ms                GET /reports/house?period=<past month>, every month once kept (<= 300 ms)
  case_export_100k_s                   GET /cases/export.xlsx of (up to) 100,000 filtered cases (<= 20 s)
  case_export_100k_cpu_s               the same request's CPU time (the wall time on a shared, busy box is not the page's)
  case_export_rows                     how many rows that export held
  case_export_100k_peak_mb             the Python heap's peak during that export, by tracemalloc (<= 200 MB)
  case_export_rss_growth_mb            the process's peak RSS growth across the export (ru_maxrss)
"""
import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import cases as data  # noqa: E402
from bench._common import Browser, Series, figure, note  # noqa: E402

TARGET_MS = 300.0
EXPORT_ROWS = 100_000


def _months(db, tz):
    from bluebird.reports import periods

    first, last = db.execute_sql("SELECT MIN(created_at), MAX(created_at) FROM cases").fetchone()
    from datetime import datetime

    first = first if isinstance(first, datetime) else datetime.fromisoformat(str(first))
    last = last if isinstance(last, datetime) else datetime.fromisoformat(str(last))
    month = periods.containing("month", periods.local_today(first, tz)).next()
    end = periods.containing("month", periods.local_today(last, tz))
    out = []
    while month.first < end.first:
        out.append(month)
        month = month.next()
    return out


def _time(series, fn, n):
    series.run(fn, n)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(data.SCALES))
    parser.add_argument("--cases", type=int)
    parser.add_argument("--duties", type=int)
    parser.add_argument("--db")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per table page")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    preset_cases, preset_duties = data.SCALES[args.scale or "full"]
    args.cases, args.duties = args.cases or preset_cases, args.duties or preset_duties
    args.history, args.drop_indexes = True, True

    with tempfile.TemporaryDirectory(prefix="bluebird-bench-reports-") as tmp:
        db_path = os.path.abspath(args.db) if args.db else os.path.join(tmp, "cases.db")
        app = data.build_app(tmp, db_path)
        data.register_duty_kinds()
        from bluebird import clock
        from bluebird.db import db
        from bluebird.demo import load_demo

        now = clock.now()
        with app.app_context(), db.connection_context():
            counts = data.table_counts(db)
        if counts["cases"] == 0:
            note(f"generating {args.cases:,} cases and {args.duties:,} duties in {db_path}")
            with app.app_context(), db.connection_context():
                if counts["user"] == 0:
                    note(f"demo office: {load_demo(scale=1)}")
            db.close_all()
            timings = data.generate(db_path, args, now)
            note(f"generated in {timings['cases'] + timings['duties'] + timings['history']:.0f} s")
        else:
            note(f"reusing {db_path}: {counts}")
            with app.app_context(), db.connection_context():  # a past run kept its tables: count them again
                db.execute_sql("DELETE FROM report_cache")
                db.execute_sql("DELETE FROM house_month")
        with app.app_context(), db.connection_context():
            tz = db.execute_sql("SELECT timezone FROM estate ORDER BY id LIMIT 1").fetchone()[0]
            months = _months(db, tz)
            units = db.execute_sql("SELECT COUNT(*) FROM unit").fetchone()[0]
            total = db.execute_sql("SELECT COUNT(*) FROM cases").fetchone()[0]
        note(f"data: {total:,} cases, {units:,} units, {len(months)} whole months")
        boss = Browser(app)
        boss.login("manager", data.PASSWORD)
        rng = random.Random(args.seed)

        cold = Series("cold")  # the first look at each closed month counts it (what the 1st's tick does for the last)
        cold.run(lambda i: boss.get(f"/reports/tables/month?period={months[i].key}"), len(months))
        figure("report_month_cold_p50_ms", cold.p(50), "ms")
        figure("report_month_cold_p95_ms", cold.p(95), "ms")
        month = Series("month")
        _time(month, lambda i: boss.get(f"/reports/tables/month?period={rng.choice(months).key}"), args.requests)
        figure("report_month_p50_ms", month.p(50), "ms")
        figure("report_month_p95_ms", month.p(95), "ms")
        with app.app_context(), db.connection_context():
            buildings = [b for (b,) in db.execute_sql("SELECT id FROM building ORDER BY id").fetchall()]
        one = Series("building")
        pairs = [(m, b) for m in months for b in buildings]
        picks = rng.sample(pairs, min(12, len(pairs)))  # each (month, building) once: each is counted, then kept
        one.run(lambda i: boss.get(f"/reports/tables/month?period={picks[i][0].key}&building={picks[i][1]}"),
                len(picks))
        figure("report_month_building_cold_p95_ms", one.p(95), "ms")
        complaints = Series("complaints")
        _time(complaints, lambda i: boss.get(f"/reports/complaints?period={rng.choice(months).key}"), args.requests)
        figure("report_complaints_p95_ms", complaints.p(95), "ms")
        weekly = Series("weekly")
        _time(weekly, lambda i: boss.get("/reports/tables/week"), args.requests // 2)
        figure("report_week_p95_ms", weekly.p(95), "ms")

        first = Series("first")
        for m in months:  # the first look at each closed month computes it from the timeline and keeps it
            start = time.perf_counter()
            boss.get(f"/reports/house?period={m.key}")
            first.latencies.append(time.perf_counter() - start)
        figure("house_dynamics_first_ms", max(first.latencies) * 1000, "ms")
        house = Series("house")
        _time(house, lambda i: boss.get(f"/reports/house?period={rng.choice(months).key}"), args.requests)
        figure("house_dynamics_p95_ms", house.p(95), "ms")

        # The export: the newest (up to) 100,000 cases, by a registered-date range.
        with app.app_context(), db.connection_context():
            row = db.execute_sql("SELECT created_at FROM cases ORDER BY id DESC LIMIT 1 OFFSET ?",
                                 (min(EXPORT_ROWS, total) - 1,)).fetchone()
        from datetime import datetime

        since = row[0] if isinstance(row[0], datetime) else datetime.fromisoformat(str(row[0]))
        day = since.date().isoformat()
        url = f"/cases/export.xlsx?mine=0&status=all&date_from={day}"
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start, cpu = time.perf_counter(), time.process_time()
        body = boss.get(url)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        from io import BytesIO

        from openpyxl import load_workbook

        rows = sum(1 for _row in load_workbook(BytesIO(body), read_only=True).active.iter_rows(min_row=3))
        del body
        figure("case_export_100k_s", took, "s")
        figure("case_export_100k_cpu_s", cpu, "s")  # far below the wall time: the machine was busy
        figure("case_export_rows", rows, "rows")
        figure("case_export_rss_growth_mb", max(0.0, rss1 - rss0), "MB")
        tracemalloc.start()
        boss.get(url)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figure("case_export_100k_peak_mb", peak / 2**20, "MB")
        for name, value, target in (("report_month_p95_ms", month.p(95), TARGET_MS),
                                    ("house_dynamics_p95_ms", house.p(95), TARGET_MS),
                                    ("case_export_100k_s", took, 20.0)):
            if value > target:
                note(f"MISSED: {name} {value:.1f} > {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
