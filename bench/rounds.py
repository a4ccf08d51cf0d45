"""Rounds bench: submitting one item result, and the round page with 100 items.

Run from the repository root:

    .venv/bin/python bench/rounds.py [--scale 20] [--requests 300]

A fresh SQLite office at the foundation bench's scale (demo data x N), a 100-item
checklist (a new version of the quality inspection), butler1 logged in through the real
login form. `round_item_submit_p95_ms` times POST /rounds/<id>/items/<item> (OK results,
each with its own client_uuid, the redirect not followed); `round_page_p95_ms` times GET
/rounds/<id> for a round with half of its 100 items answered. Figures go to stdout as
`bench: <name> <value> <unit>`; the target is 25 ms p95 each.
"""
import argparse
import os
import re
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import Browser, Series, figure, note  # noqa: E402
from bench.foundation import PASSWORD, build_app  # noqa: E402


def hundred_item_checklist(estate_id):
    """Version N+1 of the quality checklist, padded to 100 items."""
    from bluebird.rounds import engine
    from bluebird.rounds.models import Template, TemplateItem

    base = engine.template_for(estate_id, "quality")
    fresh = Template.create(estate=estate_id, family="quality", name=base.name, name_en=base.name_en,
                            version=base.version + 1)
    items = list(base.items.order_by(TemplateItem.position))
    for position in range(1, 101):
        source = items[(position - 1) % len(items)]
        TemplateItem.create(template=fresh, position=position, section=source.section, text=f"{source.text}（{position}）",
                            points=1, needs_photo=False, needs_note=False)
    return fresh


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="bluebird-bench-rounds-")
    app = build_app(tmp)
    with app.app_context():
        from bluebird.auth.models import User
        from bluebird.demo import load_demo
        from bluebird.rounds import engine
        from bluebird.rounds.models import ItemResult

        started = time.perf_counter()
        load_demo(scale=args.scale)
        note(f"seeded scale {args.scale} in {time.perf_counter() - started:.1f}s")
        butler = User.get(User.username == "butler1")
        estate_id = butler.estate_id
        hundred_item_checklist(estate_id)
        manager = User.get(User.username == "manager")
        # Rounds to submit into, and one half-answered round to show.
        targets = [engine.start(None, estate_id=estate_id, user=manager, kind="quality", place_kind="estate",
                                place_id=estate_id, place_label="全小区") for _ in range(args.requests // 100 + 2)]
        shown = targets.pop()
        for item in engine.items_of(shown)[:50]:
            engine.record_item(shown, item_id=item.id, result="ok", actor=manager)
        plan = [(r.id, item.id) for r in targets for item in engine.items_of(r)]
        assert ItemResult.select().where(ItemResult.round == shown.id).count() == 50

    client = Browser(app)
    client.login("manager", PASSWORD)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/rounds/").decode()).group(1)
    for _ in range(20):
        client.get(f"/rounds/{shown.id}")

    def submit(i):
        round_id, item_id = plan[i % len(plan)]
        response = client.http.post(f"/rounds/{round_id}/items/{item_id}",
                                    data={"result": "ok", "client_uuid": str(uuid.uuid4()), "csrf_token": token})
        if response.status_code != 303:
            raise SystemExit(f"bench: item submit answered {response.status_code}")

    def page(i):
        client.get(f"/rounds/{shown.id}")

    submits, pages = Series("submit"), Series("page")
    submits.run(submit, 10)  # warm-up
    submits = Series("submit")
    submits.run(submit, args.requests)
    pages.run(page, args.requests)
    figure("round_item_submit_p50_ms", submits.p(50), "ms")
    figure("round_item_submit_p95_ms", submits.p(95), "ms")
    figure("round_page_p50_ms", pages.p(50), "ms")
    figure("round_page_p95_ms", pages.p(95), "ms")
    figure("round_page_bytes", len(client.get(f"/rounds/{shown.id}")), "bytes", digits=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
