"""The rough edges a new user hit first (issue 10 §4), each through the real routes and database."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bluebird import clock, create_app
from bluebird.auth.models import User
from bluebird.cases import clocks as case_clocks
from bluebird.cases.models import Case
from bluebird.db import db
from bluebird.duties.models import Duty
from bluebird.duties.scheduler import tick
from bluebird.estate import models as estate_models
from bluebird.estate.models import Patch
from bluebird.frontdesk import clocks as desk_clocks
from bluebird.frontdesk.models import Handover, PhoneCall
from bluebird.notify.models import Notification
from tests import factories
from tests.fixtures.app import Client

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Shanghai
LOCAL_T0 = "2026-11-23T09:00"


def _uuid():
    return str(uuid.uuid4())


def _text(response):
    return response.get_data(as_text=True)


def _client(app, user, password=factories.PASSWORD):
    c = Client(app)
    assert c.login(user.username, password).status_code == 303
    return c


def _agenda_kinds(user):
    return {d.kind for d in Duty.open_for(User.get_by_id(user.id))}


# ---------------------------------------------------------------- 1. patches in counting order


def test_a_patch_name_gives_its_place_in_the_count():
    position = estate_models.patch_position
    assert [position(n) for n in ("一区", "二区", "三区", "十区", "十二区", "二十区", "一百零五区")] == [
        1, 2, 3, 10, 12, 20, 105]
    assert [position(n) for n in ("3区", "10区", "A区", "B区", "第2片区")] == [3, 10, 1, 2, 2]
    assert position("北区") == estate_models.UNNUMBERED


def test_patches_are_listed_as_people_count_them_in_every_dropdown(app, estate, admin_client):
    for name in ("三区", "十二区", "一区", "二区"):
        factories.make_patch(estate, name)
    assert [p.name for p in Patch.ordered(estate.id)] == ["一区", "二区", "三区", "十二区"]  # the one order
    for url in ("/admin/staff/new", "/admin/estate/", "/admin/rounds/"):
        page = _text(admin_client.get(url))
        where = [page.index(f">{name}<") for name in ("一区", "二区", "三区", "十二区")]
        assert where == sorted(where), url


def test_the_demo_checkpoints_land_in_the_patches_they_are_meant_for(app):
    from bluebird.rounds.models import Checkpoint

    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    where = {c.name: c.patch.name for c in Checkpoint.select()}
    assert where == {"北门": "一区", "1号楼大堂": "一区", "地库入口": "二区", "中心花园": "二区",
                     "垃圾站": "三区", "南门": "三区"}


def test_migration_014_numbers_the_patches_and_takes_duties_off_every_butler(app):
    from bluebird.migrate import upgrade

    tmp = tempfile.mkdtemp(prefix="bluebird-mig14-")
    original = db.obj
    try:
        create_app({"DATABASE_URL": f"sqlite:///{tmp}/old.db", "SECRET_KEY": "x"})
        upgrade("008_agenda_role_index")
        with db.connection_context():
            db.execute_sql("INSERT INTO estate (name, code, timezone, created_at, settings) "
                           "VALUES ('老小区', 'old', 'Asia/Shanghai', '2025-01-01 00:00:00', '{}')")
            for name in ("三区", "一区", "二区"):
                db.execute_sql(f"INSERT INTO patch (estate_id, name) VALUES (1, '{name}')")
            db.execute_sql("INSERT INTO duty (estate_id, kind, subject, title, role, due_at, due_date, points, "
                           "created_at) VALUES (1, 'repair_callback_24h', 'case:1', '', 'butler', "
                           "'2025-01-02 08:00:00', '2025-01-02', 2, '2025-01-01 00:00:00')")
        upgrade()
        with db.connection_context():
            rows = db.execute_sql("SELECT name, position FROM patch ORDER BY position").fetchall()
            assert rows == [("一区", 1), ("二区", 2), ("三区", 3)]
            assert db.execute_sql("SELECT role FROM duty").fetchall() == [("manager",)]
    finally:
        db.initialize(original)
