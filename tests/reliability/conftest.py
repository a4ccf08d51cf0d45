"""The reliability suite: a real gunicorn (and huey consumer) on an instance of its own.

Every test here carries the `reliability` marker (`pytest -m reliability` runs them
alone). The database is a SQLite file in a temp instance folder, or a fresh schema on
the PostgreSQL server of BLUEBIRD_TEST_DATABASE_URL, like the rest of the suite.
"""
import itertools
from pathlib import Path

import pytest

from tests.reliability.harness import Instance, Staff

HERE = Path(__file__).resolve().parent
_codes = itertools.count(1)


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def instance():
    """One instance for the suite: estate `home` with a receptionist and a manager."""
    inst = Instance("rel", extra_env={"BLUEBIRD_PUSH_HOSTS": "127.0.0.1", "BLUEBIRD_NOTIFY_ALLOW_HTTP": "1"}).setup()
    yield inst
    inst.close()


@pytest.fixture(scope="session")
def server(instance):
    """gunicorn with the repo's gunicorn.conf.py (the documented settings)."""
    return instance.server()


@pytest.fixture(scope="session")
def desk(server):
    return Staff(server, "reception")


@pytest.fixture(scope="session")
def manager(server):
    return Staff(server, "manager")


@pytest.fixture
def new_estate(instance, server):
    """A new estate with its own manager and receptionist; returns (code, Staff factory)."""
    code = f"e{next(_codes)}"
    instance.add_estate(code, ((f"{code}-manager", "manager"), (f"{code}-reception", "reception")))
    return code
