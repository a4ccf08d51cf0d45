"""Households bench: importing residents from an office's Excel workbook.

Run from the repository root:

    .venv/bin/python bench/households.py                 # scale 20 (≈12k units, 18k residents)
    .venv/bin/python bench/households.py --scale 2 --rows 2000

It builds a SQLite database in a temp directory (or --db), runs the real migrations,
seeds the demo office (load_demo(scale)), writes a workbook of `--rows` new residents
over the estate's units with openpyxl, and logs in as the admin through the WSGI test
client. It then times what the admin waits for: the upload and its preview (every row
checked), and the confirm (all rows in one transaction), then a second import of the
same file (which must add nobody). Figures go to stdout as `bench: <name> <value> <unit>`;
progress goes to stderr. A bench never fails on a target.

This file's figure is `resident_import_10k_s` (target ≤ 30 s); the visits bench
(bench/visits.py) has the familiarity and visit-plan figures.
"""
import argparse
import io
import os
import random
import re
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench._common import Browser, figure, note  # noqa: E402

TARGET_S = 30.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅"


def workbook(codes, rows, rng) -> bytes:
    """An office's spreadsheet: a title line, the header, then one resident a row."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("住户台帐")
    sheet.append(["一区住户台帐（导入）"])
    sheet.append(["房号", "姓名", "电话", "关系", "重点户", "重点户原因", "备注"])
    relations = ["业主"] * 6 + ["家属"] * 3 + ["租户"]
    for i in range(rows):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) + str(i)  # distinct people
        key = rng.random() < 0.03
        sheet.append([rng.choice(codes), name, "15" + f"{rng.randint(0, 999_999_999):09d}", rng.choice(relations),
                      "是" if key else "", "独居老人" if key else "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--db", help="SQLite file: generated if missing, reused if present")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bluebird-bench-households-") as tmp:
        db_path = os.path.abspath(args.db) if args.db else os.path.join(tmp, "households.db")
        fresh = not os.path.exists(db_path)
        os.environ["BLUEBIRD_INSTANCE_PATH"] = tmp
        from bluebird import create_app
        from bluebird.db import db
        from bluebird.demo import DEMO_PASSWORD, load_demo
        from bluebird.estate.models import Resident, Unit
        from bluebird.migrate import upgrade

        app = create_app({"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench-secret"})
        upgrade()
        with app.app_context(), db.connection_context():
            if fresh:
                started = time.perf_counter()
                demo = load_demo(scale=args.scale)
                note(f"demo office at scale {args.scale}: {demo} in {time.perf_counter() - started:.1f} s")
            codes = [c for (c,) in Unit.select(Unit.code).tuples()]
            before = Resident.select().count()
        data = workbook(codes, args.rows, rng)
        note(f"workbook: {args.rows} rows over {len(codes)} units, {len(data) / 1e6:.1f} MB; {before} residents")

        admin = Browser(app)
        admin.login("admin", DEMO_PASSWORD)

        def upload():
            response = admin.http.post("/admin/estate/import", data={
                "csrf_token": admin.token, "workbook": (io.BytesIO(data), "住户.xlsx")},
                content_type="multipart/form-data")
            page = response.get_data(as_text=True)
            if response.status_code != 200:
                raise SystemExit(f"bench: the preview answered {response.status_code}")
            return page

        started = time.perf_counter()
        page = upload()
        preview_s = time.perf_counter() - started
        digest = re.search(r'name="upload" type="hidden" value="([0-9a-f]{64})"', page)
        if not digest:
            raise SystemExit("bench: the preview offers no confirm (bad rows?)")
        confirm_started = time.perf_counter()
        response = admin.http.post("/admin/estate/import/confirm",
                                   data={"csrf_token": admin.token, "upload": digest.group(1)})
        confirm_s = time.perf_counter() - confirm_started
        total_s = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"bench: the confirm answered {response.status_code}")
        with app.app_context(), db.connection_context():
            added = Resident.select().count() - before
        if added != args.rows:
            raise SystemExit(f"bench: {added} residents imported, {args.rows} expected")

        started = time.perf_counter()
        again = upload()
        reimport_s = time.perf_counter() - started
        if "导入不会有任何改动" not in again and "importing it changes nothing" not in again:
            raise SystemExit("bench: a second import of the same file would change something")

        figure("resident_import_preview_s", preview_s, "s")
        figure("resident_import_confirm_s", confirm_s, "s")
        figure("resident_reimport_preview_s", reimport_s, "s")
        scaled = total_s * 10_000 / args.rows
        figure("resident_import_10k_s", scaled, "s")
        note(f"resident_import_10k_s: upload+preview+confirm of {args.rows} rows (scaled to 10k); "
             f"target ≤ {TARGET_S:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
