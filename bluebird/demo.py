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
