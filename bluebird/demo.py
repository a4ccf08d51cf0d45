"""The demo office: 蓝鸟花园, its buildings, units, residents and one user per role."""
import random

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.auth.passwords import hash_password
from bluebird.db import db
from bluebird.estate.models import Building, Estate, Patch, Resident, Unit, UnitKind, UnitStatus

DEMO_PASSWORD = "bluebird"
DEMO_USERS = [
    ("admin", "系统管理员", roles.ADMIN, None),
    ("manager", "周经理", roles.MANAGER, None),
    ("butler1", "李管家", roles.BUTLER, 0),
    ("butler2", "王管家", roles.BUTLER, 1),
    ("butler3", "陈管家", roles.BUTLER, 2),
    ("reception", "刘前台", roles.RECEPTION, None),
    ("reception2", "何前台", roles.RECEPTION, None),  # the next shift: a hand-over needs two
    ("inspector", "赵品质", roles.INSPECTOR, None),
    ("tech1", "孙师傅", roles.TECHNICIAN, None),
    ("tech2", "吴师傅", roles.TECHNICIAN, None),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文红玉梅志军海燕丹晨宇浩然欣怡子涵梓萱思远雨轩佳琪俊杰婷婷晓东立新春生国庆永红淑珍"
# Shares of home units by status, as in a lived-in estate a few years after handover.
STATUS_MIX = [
    (UnitStatus.OCCUPIED, 55),
    (UnitStatus.RENTED, 12),
    (UnitStatus.HANDED_OVER, 10),
    (UnitStatus.VACANT, 10),
    (UnitStatus.NOT_HANDED_OVER, 7),
    (UnitStatus.RENOVATING, 6),
]
BUILDINGS_PER_SCALE = 6
FLOORS = 24
UNITS_PER_FLOOR = 4


def _name(rng):
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _phone(rng):
    return rng.choice(["139", "138", "137", "136", "135", "186", "188", "158", "150", "177"]) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def _insert(model, rows, batch=500):
    for start in range(0, len(rows), batch):
        model.insert_many(rows[start : start + batch]).execute()


KEY_REASONS = ("经常投诉", "独居老人", "行动不便", "业委会成员")


def _ledger_details(row: dict, n: int, now) -> None:
    """The reason of a demo key account, the amount and date of demo arrears (工作台账)."""
    # Every row carries the same keys: a bulk insert takes its columns from the first row.
    row["key_reason"] = KEY_REASONS[n % len(KEY_REASONS)] if row["key_account"] else ""
    row["arrears_amount"] = 300 + (n % 12) * 150 if row["arrears"] else None
    row["arrears_as_of"] = now.date().replace(day=1) if row["arrears"] else None


def load_demo(scale: int = 1, code: str = "bluebird", name: str = "蓝鸟花园", seed: int = 42) -> dict:
    """Create the demo estate; `scale` multiplies buildings, units and residents."""
    rng = random.Random(seed)
    statuses = [s for s, _ in STATUS_MIX]
    weights = [w for _, w in STATUS_MIX]
    now = clock.now()
    with db.atomic():
        estate = Estate.create(code=code, name=name)
        patches = [Patch.create(estate=estate, name=f"{'一二三'[i]}区") for i in range(3)]
        n_buildings = BUILDINGS_PER_SCALE * scale
        buildings = []
        for i in range(n_buildings):
            patch = patches[i * len(patches) // n_buildings]
            buildings.append(
                Building.create(estate=estate, patch=patch, name=str(i + 1), floors=FLOORS, sort_key=i + 1)
            )
        units = []
        for b in buildings:
            for floor in range(2, FLOORS + 1):
                for n in range(1, UNITS_PER_FLOOR + 1):
                    number = f"{floor}{n:02d}"
                    units.append(dict(
                        estate=estate.id, building=b.id, number=number, code=f"{b.name}-{number}",
                        floor=floor, kind=UnitKind.HOME, status=rng.choices(statuses, weights)[0],
                        area=rng.choice([89, 105, 118, 128, 143]), updated_at=now,
                    ))
        # Garages, storage rooms and shops hang off the first building of each patch.
        extras = [(UnitKind.GARAGE, "B1", 20), (UnitKind.STORAGE, "C", 10), (UnitKind.SHOP, "S", 8)]
        for k in range(scale):
            b = buildings[k * BUILDINGS_PER_SCALE]
            for kind, prefix, count in extras:
                for n in range(1, count + 1):
                    number = f"{prefix}{n:03d}"
                    units.append(dict(
                        estate=estate.id, building=b.id, number=number, code=f"{b.name}-{number}",
                        floor=-1 if kind == UnitKind.GARAGE else 1, kind=kind,
                        status=rng.choice([UnitStatus.OCCUPIED, UnitStatus.VACANT, UnitStatus.RENTED]),
                        area=None, updated_at=now,
                    ))
        _insert(Unit, units)
        residents = []
        lived_in = (UnitStatus.OCCUPIED, UnitStatus.RENTED, UnitStatus.RENOVATING, UnitStatus.HANDED_OVER)
        for unit_id, status, kind in Unit.select(Unit.id, Unit.status, Unit.kind).where(Unit.estate == estate).tuples():
            if status not in lived_in or kind != UnitKind.HOME:
                continue
            count = 1 if status in (UnitStatus.HANDED_OVER, UnitStatus.RENOVATING) else rng.choice([1, 2, 2, 3, 3])
            for j in range(count):
                phone = _phone(rng)
                relation = "owner" if j == 0 and status != UnitStatus.RENTED else ("tenant" if status == UnitStatus.RENTED else "family")
                residents.append(dict(
                    estate=estate.id, unit=unit_id, name=_name(rng), phone=phone, phone_tail=phone[-4:],
                    relation=relation, key_account=rng.random() < 0.03, arrears=rng.random() < 0.05,
                    note="", created_at=now,
                ))
                _ledger_details(residents[-1], len(residents), now)  # no rng draw: the demo stays the same
        _insert(Resident, residents)
        password = hash_password(DEMO_PASSWORD)
        for username, person, role, patch_index in DEMO_USERS:
            suffix = "" if code == "bluebird" else f"@{code}"
            User.create(
                estate=estate, username=username + suffix, name=person, role=role, password_hash=password,
                patch=patches[patch_index] if patch_index is not None else None,
                phone=_phone(rng),
            )
    return {"estate": name, "buildings": len(buildings), "units": len(units), "residents": len(residents),
            "users": len(DEMO_USERS)}


def load_activity(estate_code: str = "bluebird") -> dict:
    """A lived-in morning for the demo office: open cases at every step, renovations under
    way, patrol checkpoints, a price list, and today's duties generated by the scheduler."""
    from datetime import timedelta

    from bluebird.cases import service as cases
    from bluebird.cases.models import PriceItem
    from bluebird.duties.scheduler import tick
    from bluebird.renovations.models import Permit, PermitStatus
    from bluebird.rounds.models import Checkpoint

    estate = Estate.get(Estate.code == estate_code)
    # load_demo suffixes usernames with "@code" outside the default estate: look them up bare.
    users = {u.username.split("@")[0]: u for u in User.select().where(User.estate == estate)}
    unit = {u.code: u for u in Unit.select().where(Unit.estate == estate)}
    now = clock.now()
    for name, price in (("疏通下水道", "50"), ("更换水龙头", "80"), ("更换灯泡", "20"), ("开锁", "100")):
        PriceItem.create(estate=estate, name=name, price=price)
    patches = list(Patch.ordered(estate.id))
    for position, (name, patch) in enumerate([("北门", 0), ("1号楼大堂", 0), ("地库入口", 1), ("中心花园", 1),
                                              ("垃圾站", 2), ("南门", 2)], start=1):
        Checkpoint.create(estate=estate, name=name, patch=patches[patch], position=position)

    def register(when, registrar, **fields):
        clock.set_now(when)
        try:
            case, _ = cases.register(None, estate=estate, registrar=users[registrar], fields=fields)
        finally:
            clock.set_now(None)
        return case

    repair = dict(kind="repair", source="phone", scope="household", trade="water", work_type="basic", minor=True)
    register(now - timedelta(minutes=35), "reception", unit=unit["1-1202"], description="卫生间下水道堵塞，地面返水",
             contact_name="业主", **repair)
    dispatched = register(now - timedelta(hours=2), "reception", unit=unit["2-801"], description="厨房水龙头滴水",
                          assignee=users["tech1"].id, **repair)
    done = register(now - timedelta(days=1, hours=3), "butler1", unit=unit["1-602"], description="入户门锁芯松动",
                    assignee=users["tech2"].id, **dict(repair, trade="civil", source="patrol"))
    clock.set_now(now - timedelta(days=1, hours=2))
    try:
        cases.arrive(done, users["tech2"])
        cases.finish(done, users["tech2"], "更换锁芯", "锁芯 1 个")
    finally:
        clock.set_now(None)
    # A repair closed on the satisfaction call: its owner's survey link waits (调查, the case page).
    closed = register(now - timedelta(days=2), "butler1", unit=unit["1-602"], description="阳台地漏返味",
                      assignee=users["tech2"].id, **dict(repair, source="patrol"))
    clock.set_now(now - timedelta(days=1, hours=20))
    try:
        cases.finish(closed, users["tech2"], "更换防臭地漏芯")
        cases.log_call(closed, users["butler1"], "satisfaction", reached=True, satisfaction="satisfied")
    finally:
        clock.set_now(None)
    # The owner then complained about that repair (针对工单): both pages link each other.
    register(now - timedelta(hours=6), "reception", unit=unit["1-602"], kind="complaint", source="phone",
             target="service", cause="修后仍返味", promised_on=(now + timedelta(days=2)).date(),
             description="阳台地漏维修后仍有异味", about_case=closed.id)
    register(now - timedelta(days=4), "reception", unit=unit["3-1502"] if "3-1502" in unit else None,
             place="" if "3-1502" in unit else "3号楼", kind="complaint", source="walk_in", target="construction",
             target_name="工程部", cause="外墙渗水，多次报修未解决", promised_on=(now + timedelta(days=2)).date(),
             description="业主投诉外墙渗水")
    register(now - timedelta(hours=5), "reception", place="北门", kind="inquiry", source="phone",
             description="快递柜什么时候安装？")
    renovating = [u for u in unit.values() if u.status == UnitStatus.RENOVATING][:2]
    for u in renovating:
        Permit.create(estate=estate, unit=u, applicant="业主", contractor="美家装饰", contractor_phone="13800138000",
                      starts_on=(now - timedelta(days=10)).date(), ends_on=(now + timedelta(days=20)).date(),
                      status=PermitStatus.IN_PROGRESS, created_by=users["butler1"], deposit=2000)
    # A few weeks of visits in butler1's patch: familiarity is not 0%, the week's list is made.
    from bluebird.visits import service as visits

    mine = {b.id for b in Building.select(Building.id).where(Building.patch == users["butler1"].patch_id)}
    housed = {r.unit_id for r in Resident.select(Resident.unit).where(Resident.estate == estate.id)}
    lived_in = sorted((u for u in unit.values() if u.status in (UnitStatus.OCCUPIED, UnitStatus.RENTED)
                       and u.building_id in mine and u.id in housed), key=lambda u: u.id)
    for n, u in enumerate(lived_in[:8]):
        clock.set_now(now - timedelta(days=3 * n + 1, hours=2))
        try:
            visits.record_visit(None, estate=estate, unit=u, actor=users["butler1"], way=("in_person", "phone")[n % 2],
                                met="业主", opinions="对保洁和秩序满意")
        finally:
            clock.set_now(None)
    generated = tick(now)["generated"]
    return {"cases": 7, "permits": len(renovating), "duties today": generated, "open repair": dispatched.number}
