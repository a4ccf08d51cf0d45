"""Foundation bench: agenda, unit search and unit page at --scale 20, against a bare Flask page.

Run from the repository root:

    .venv/bin/python bench/foundation.py [--scale 20] [--requests 400]

It builds a fresh SQLite database in a temp dir, runs the migrations, seeds the demo
office at the given scale plus a realistic pile of duties and timeline events, logs in
as butler1 through the WSGI test client and times each page request by request. In the
same run it times a bare Flask+Jinja page of similar size, alternating blocks of
requests so a noisy machine hurts both sides alike. Figures go to stdout as
`bench: <name> <value> <unit>`; everything else goes to stderr. Missed targets are
reported, never turned into a failure.
"""
import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import Browser, Series, capture_sql, chunks, figure, note  # noqa: E402

TARGET_P95_MS = 25.0
BLOCK = 50  # requests per alternating block
PASSWORD = "bluebird"

DUTY_KINDS = [
    ("repair.respond", "Respond to a repair"),
    ("repair.visit", "Visit for a repair"),
    ("callback", "Call the resident back"),
    ("patrol.daily", "Daily patrol"),
    ("complaint.reply", "Reply to a complaint"),
    ("decoration.check", "Renovation check"),
]
DUTY_TITLES = ["漏水报修", "门禁卡补办", "噪音投诉回访", "装修巡查", "楼道灯不亮", "电梯异响", "车位纠纷", "垃圾清运"]


# ---------------------------------------------------------------- setup


def build_app(tmp: str):
    """Our app on a fresh SQLite file in `tmp`, schema built by the migrations."""
    os.environ["BLUEBIRD_INSTANCE_PATH"] = tmp
    os.environ["BLUEBIRD_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    from bluebird import create_app
    from bluebird.migrate import upgrade

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench-secret"})
    upgrade()
    return app


def seed(app, scale: int, rng: random.Random) -> dict:
    """Demo office at `scale` (timed), then duties and timeline events (not timed)."""
    from flask_babel import lazy_gettext

    from bluebird import clock, demo
    from bluebird.auth.models import User
    from bluebird.db import db
    from bluebird.duties import rules
    from bluebird.duties.models import Duty
    from bluebird.estate.models import Resident, Unit, UnitStatus
    from bluebird.timeline.models import Event

    # The kinds the app's workflows register (labels, links); made-up ones only if none are.
    kinds = sorted(getattr(rules, "_LABELS", {})) or [kind for kind, _ in DUTY_KINDS]
    if not getattr(rules, "_LABELS", None):
        for kind, label in DUTY_KINDS:
            rules.register_kind(kind, lazy_gettext(label))
    prefixes = [p for p in ("case", "unit", "permit") if p in getattr(rules, "_LINKS", {})] or ["case"]

    with app.app_context(), db.connection_context():
        start = time.perf_counter()
        stats = demo.load_demo(scale=scale)
        figure(f"seed_scale{scale}_s", time.perf_counter() - start, "s")
        note(f"seeded: {stats}")
        activity = getattr(demo, "load_activity", None)
        if activity is not None:  # open cases, permits, today's scheduled duties (not timed)
            start = time.perf_counter()
            made = activity()
            note(f"seeded activity in {time.perf_counter() - start:.1f} s: {made}")

        butler = User.get(User.username == "butler1")
        staff = list(User.select(User.id, User.role))
        unit_ids = [u for (u,) in Unit.select(Unit.id).where(Unit.estate == butler.estate_id).tuples()]
        now = clock.now()
        seq = iter(range(1, 10**9))
        has_escalate_at = "escalate_at" in Duty._meta.fields
        duties = []

        def duty(assignee, role, due_at, done_at=None):
            kind = rng.choice(kinds)
            n = next(seq)
            closed = done_at is not None
            duties.append(dict(
                estate=butler.estate_id, kind=kind, subject=f"{rng.choice(prefixes)}:{n}",
                title=f"{rng.choice(DUTY_TITLES)} #{n}", assignee=assignee, role=role,
                due_at=due_at, due_date=due_at.date(), done_at=done_at,
                done_by=assignee if closed else None,
                late_minutes=max(0, int((done_at - due_at).total_seconds() // 60)) if closed else None,
                points=rng.choice([0, 0, 1, 2]), created_at=due_at - timedelta(hours=rng.randint(1, 72)),
            ))
            if has_escalate_at:  # newer schemas: when the supervisor gets to see it
                duties[-1]["escalate_at"] = due_at + timedelta(hours=1)

        # butler1's own open duties: about a quarter overdue, the rest due in the next ten days.
        for _ in range(200):
            duty(butler.id, None, now + timedelta(minutes=rng.randint(-3 * 1440, 10 * 1440)))
        # Duties for "any butler" (no assignee) that also land on his agenda.
        for _ in range(30):
            duty(None, "butler", now + timedelta(minutes=rng.randint(-1440, 5 * 1440)))
        # History and everyone else's open work: 20,000 rows over all staff, nearly all of the past ones closed.
        for _ in range(20_000):
            user = rng.choice(staff)
            due_at = now + timedelta(minutes=rng.randint(-180 * 1440, 7 * 1440))
            if due_at < now and rng.random() < 0.98:
                duty(user.id, None, due_at, done_at=due_at + timedelta(minutes=rng.randint(-600, 600)))
            else:
                duty(user.id, None, due_at)
        events = []
        statuses = list(UnitStatus.ALL)
        for unit_id in unit_ids:
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                before, after = rng.sample(statuses, 2)
                events.append(dict(
                    estate=butler.estate_id, subject=f"unit:{unit_id}", actor=rng.choice(staff).id,
                    verb="status", detail=f'{{"before": "{before}", "after": "{after}", "note": ""}}',
                    at=now - timedelta(minutes=rng.randint(1, 365 * 1440)),
                ))
        with db.atomic():
            for start in range(0, len(duties), 1000):
                Duty.insert_many(duties[start:start + 1000]).execute()
            for start in range(0, len(events), 1000):
                Event.insert_many(events[start:start + 1000]).execute()
        db.execute_sql("ANALYZE")
        note(f"seeded: {len(duties)} duties ({Duty.open_for(butler).count()} open on butler1's agenda), "
             f"{len(events)} timeline events")

        residents = list(Resident.select(Resident.name, Resident.phone_tail)
                         .where(Resident.estate == butler.estate_id).tuples())
        codes = [c for (c,) in Unit.select(Unit.code).where(Unit.estate == butler.estate_id).tuples()]
    return {"unit_ids": unit_ids, "residents": residents, "codes": codes}


def search_terms(data: dict, rng: random.Random, count: int = 240) -> list[str]:
    """What staff type: unit prefixes (3-15, 12-8, 3号楼15), surnames, phone tails."""
    terms = []
    codes, residents = data["codes"], data["residents"]
    for _ in range(count):
        pick = rng.random()
        if pick < 0.35:
            code = rng.choice(codes)
            building, _, number = code.partition("-")
            form = rng.random()
            if form < 0.4:
                terms.append(f"{building}-{number[:2]}")  # 3-15
            elif form < 0.6:
                terms.append(f"{building}-{number[:1]}")  # 12-8
            elif form < 0.8:
                terms.append(code)  # 3-1502
            else:
                terms.append(f"{building}号楼{number[:2]}")  # 3号楼15
        elif pick < 0.7:
            name = rng.choice(residents)[0]
            terms.append(name[:1] if rng.random() < 0.5 else name[:2])  # 王 / 王伟
        else:
            tail = rng.choice(residents)[1]
            terms.append(tail if rng.random() < 0.7 else tail[-3:])  # 5678 / 678 as you type
    return terms


# ---------------------------------------------------------------- the bare page

BARE_TEMPLATE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <title>{{ title }} · Bluebird</title>
  <link rel="stylesheet" href="{{ url_for('static', filename='app.css') }}">
  <script src="{{ url_for('static', filename='app.js') }}" defer></script>
</head>
<body class="layout-phone">
  <header class="appbar"><a class="brand" href="/">Bluebird</a><span class="estate-name">{{ estate }}</span></header>
  <main id="main">
    <h1>{{ title }}</h1>
    <ul class="list duties">
    {% for r in rows %}
      <li class="duty{% if r.overdue %} overdue{% endif %}">
        <span class="duty-kind">{{ r.kind }}</span>
        <span class="duty-title">{{ r.title }}</span>
        <span class="duty-due">{% if r.overdue %}逾期 · {% endif %}<time datetime="{{ r.due.isoformat() }}Z">{{ r.due.strftime('%Y/%m/%d %H:%M') }}</time></span>
      </li>
    {% endfor %}
    </ul>
  </main>
  <nav class="tabbar">
    {% for label in tabs %}<a href="/{{ loop.index }}" class="tab"><span class="tab-label">{{ label }}</span></a>{% endfor %}
  </nav>
</body>
</html>
"""


def bare_app(rows: int):
    """A tiny Flask app: one route, one cached Jinja template, no DB, no login."""
    from datetime import datetime

    from flask import Flask, render_template
    from jinja2 import DictLoader

    app = Flask("bare")
    app.jinja_env.loader = DictLoader({"page.html": BARE_TEMPLATE})
    base = datetime(2025, 1, 1, 9, 0)
    data = [
        {"kind": DUTY_KINDS[i % len(DUTY_KINDS)][1], "title": f"{DUTY_TITLES[i % len(DUTY_TITLES)]} #{i}",
         "due": base + timedelta(hours=7 * i), "overdue": i % 4 == 0}
        for i in range(rows)
    ]

    @app.route("/")
    def page():
        return render_template("page.html", title="我的待办", estate="蓝鸟花园", rows=data,
                               tabs=["待办", "巡查", "工单", "住户", "我的"])

    return app


# ---------------------------------------------------------------- measuring


def count_queries(call) -> list[str]:
    """The SQL statements a call runs."""
    return [str(sql) for sql, _params in capture_sql(call)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20, help="demo estate multiplier (20 ≈ 12,000 units)")
    parser.add_argument("--requests", type=int, default=400, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per page first")
    parser.add_argument("--bare-rows", type=int, default=100,
                        help="rows in the bare page's list (100 = what the agenda shows, so the pages match in size)")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="time the full collections without gc.freeze() (what the app did before)")
    parser.add_argument("--profile", choices=["agenda", "search", "unit"],
                        help="also cProfile that page (after the timed run) and print the top costs on stderr")
    args = parser.parse_args(argv)
    rng = random.Random(2024)
    n = args.requests

    with tempfile.TemporaryDirectory(prefix="bluebird-bench-") as tmp:
        app = build_app(tmp)
        data = seed(app, args.scale, rng)
        terms = search_terms(data, rng)
        unit_ids = rng.sample(data["unit_ids"], min(len(data["unit_ids"]), 300))

        ours = Browser(app)
        ours.login("butler1", PASSWORD)
        bare = bare_app(args.bare_rows).test_client()
        hx = {"HX-Request": "true"}

        def agenda(i):
            return ours.get("/agenda")

        def search(i):
            return ours.get("/estate/search", query_string={"q": terms[i % len(terms)]}, headers=hx)

        def unit(i):
            return ours.get(f"/estate/units/{unit_ids[i % len(unit_ids)]}")

        def bare_page(i):
            response = bare.get("/")
            if response.status_code != 200:
                raise SystemExit(f"bench: bare page answered {response.status_code}")
            return response.data

        calls = {"agenda": agenda, "search": search, "unit_page": unit, "bare": bare_page}
        for call in calls.values():
            for i in range(args.warmup):
                call(i)
        sizes = {name: len(call(0)) for name, call in calls.items()}
        note("page sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        for name, call in (("agenda", agenda), ("search", search), ("unit_page", unit)):
            sql = count_queries(lambda call=call: call(1))
            note(f"queries per request: {name} {len(sql)}")

        # As app.py and gunicorn.conf.py do once the app is loaded: freeze what is there, then
        # time every full (generation 2) collection during the timed requests.
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        pauses, started = [], {}

        def on_gc(phase, info):
            if info["generation"] == 2:
                if phase == "start":
                    started["t"] = time.perf_counter()
                elif "t" in started:
                    pauses.append(time.perf_counter() - started.pop("t"))

        gc.callbacks.append(on_gc)
        series = {name: Series(name) for name in calls}
        # Alternate blocks (and their order) so drift and neighbours' load hit every page alike.
        for round_no, (offset, count) in enumerate(chunks(n, BLOCK)):
            order = ["agenda", "bare", "search", "unit_page"]
            if round_no % 2:
                order.reverse()
            for name in order:
                series[name].run(calls[name], count, offset)

        gc.callbacks.remove(on_gc)
        figure("gc_full_max_ms", max(pauses, default=0.0) * 1000, "ms")
        note(f"full collections during the timed requests: {len(pauses)} (target: the longest <= 5 ms)")
        for name in ("agenda", "search", "unit_page", "bare"):
            s = series[name]
            figure(f"{name}_p50_ms", s.p(50), "ms")
            figure(f"{name}_p95_ms", s.p(95), "ms")
        # The throughput ratio against the bare page is measured over HTTP now, under
        # gunicorn as deployed (bench/http.py: agenda_ratio_vs_bare and the others);
        # in-process it left out the server, compression and the cookies. Context only:
        ratio = series["agenda"].throughput / series["bare"].throughput
        note(f"in-process agenda/bare throughput: {ratio:.3f} (the figure is bench/http.py's agenda_ratio_vs_bare)")
        note(f"throughput (req/s): agenda {series['agenda'].throughput:.0f}, bare {series['bare'].throughput:.0f}, "
             f"search {series['search'].throughput:.0f}, unit_page {series['unit_page'].throughput:.0f}")
        misses = [f"{name} p95 {series[name].p(95):.1f} ms > {TARGET_P95_MS:.0f} ms"
                  for name in ("agenda", "search", "unit_page") if series[name].p(95) > TARGET_P95_MS]
        note("targets: " + ("all met" if not misses else "missed: " + "; ".join(misses)))

        if args.profile:
            name = "unit_page" if args.profile == "unit" else args.profile
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(n):
                calls[name](i)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            note(out.getvalue())

        from bluebird.db import db

        db.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
