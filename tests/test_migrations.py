"""An office's database upgrades in place, keeping its rows."""
import tempfile

from bluebird import create_app
from bluebird.db import db
from bluebird.migrate import pending, upgrade
from tests.old_office import BEFORE_SESSION_2, old_office


def test_an_old_database_upgrades_in_place_without_losing_data(app):
    """Build a database at the first migration, fill it, upgrade, and check it all."""
    tmp = tempfile.mkdtemp(prefix="bluebird-mig-")
    original = db.obj
    try:
        create_app({"DATABASE_URL": f"sqlite:///{tmp}/old.db", "SECRET_KEY": "x"})
        assert upgrade("001_people_and_places") == ["001_people_and_places"]
        with db.connection_context():
            tables = set(db.get_tables())
            assert "unit" in tables and "duty" not in tables
            db.execute_sql("INSERT INTO estate (name, code, timezone, created_at) VALUES ('老小区', 'old', 'Asia/Shanghai', '2025-01-01 00:00:00')")
            db.execute_sql("INSERT INTO building (estate_id, name, floors, sort_key) VALUES (1, '1', 6, 1)")
            db.execute_sql("INSERT INTO unit (estate_id, building_id, number, code, floor, kind, status, note, updated_at) "
                           "VALUES (1, 1, '101', '1-101', 1, 'home', 'occupied', '', '2025-01-01 00:00:00')")
        assert pending()[:2] == ["002_duties", "003_escalation_and_settings"]
        assert upgrade("002_duties") == ["002_duties"]
        with db.connection_context():
            db.execute_sql("INSERT INTO duty (estate_id, kind, subject, title, role, due_at, due_date, points, created_at) "
                           "VALUES (1, 'old', 'unit:1', '', 'butler', '2025-01-02 08:00:00', '2025-01-02', 0, '2025-01-01 00:00:00')")
        assert upgrade()[0] == "003_escalation_and_settings"
        assert pending() == []
        assert upgrade() == []  # running it again is harmless
        with db.connection_context():
            assert db.execute_sql("SELECT code FROM unit").fetchall() == [("1-101",)]
            assert "duty" in db.get_tables()
            indexes = {i.name for i in db.get_indexes("duty")}
            assert {"duty_open_assignee", "duty_open_role_unassigned", "duty_open_estate", "duty_to_escalate"} <= indexes
            assert db.execute_sql("SELECT escalate_at FROM duty").fetchone()[0].startswith("2025-01-02 09:00")
            assert db.execute_sql("SELECT settings FROM estate").fetchone()[0] == "{}"
    finally:
        db.initialize(original)


def test_the_migrated_schema_matches_the_models(app):
    """Every model column exists in the migrated test database."""
    from bluebird.models import ALL

    with db.connection_context():
        for model in ALL:
            columns = {c.name for c in db.get_columns(model._meta.table_name)}
            wanted = {f.column_name for f in model._meta.sorted_fields}
            assert wanted <= columns, f"{model.__name__} lacks {wanted - columns}: add a migration"


def test_010_backfills_outcomes_leases_and_frees_retired_hooks(app):
    """Duties closed before outcomes existed were done; deliveries in flight get an expired lease."""
    duties = [("INSERT INTO duty (estate_id, kind, subject, title, role, due_at, due_date, points, "
               f"created_at, done_at) VALUES (1, 'old', 'unit:1', '', 'butler', '2025-01-02 08:00:00', "
               f"'2025-01-02', 0, '2025-01-01 00:00:00', {done})") for done in ("'2025-01-02 09:00:00'", "NULL")]
    deliveries = [("INSERT INTO delivery (channel, target, payload, token, status, attempts, last_error, "
                   f"created_at) VALUES ('webpush', 1, '{{}}', 't', '{status}', 1, '', '2025-01-01 00:00:00')")
                  for status in ("sending", "sent")]
    with old_office(BEFORE_SESSION_2, *duties, *deliveries) as old:
        assert "010_duty_outcomes_and_leases" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT outcome, void_reason FROM duty ORDER BY id").fetchall() == [
                ("done", ""), (None, "")]
            leases = old.execute_sql("SELECT status, lease_until FROM delivery ORDER BY id").fetchall()
            assert leases[0][0] == "sending" and str(leases[0][1]).startswith("2025-01-01") and leases[1][1] is None
            assert {"duty_void_assignee"} <= {i.name for i in old.get_indexes("duty")}
            assert "desk_key_hook_in_use" in {i.name for i in old.get_indexes("desk_key")}


def test_016_adds_assessment_tables_and_the_counted_duties_index_keeping_duties(app):
    """An office with duties upgrades to the assessment tables; its duties are kept and indexed."""
    duty = ("INSERT INTO duty (estate_id, kind, subject, title, role, due_at, due_date, points, created_at) "
            "VALUES (1, 'daily_patrol', 'patch:1', '', 'butler', '2025-01-02 10:00:00', '2025-01-02', 2, "
            "'2025-01-01 00:00:00')")
    with old_office(BEFORE_SESSION_2, duty) as old:
        assert "016_assessment" in upgrade()
        with old.connection_context():
            tables = set(old.get_tables())
            assert {"assessment_sheet", "assessment_entry", "assessment_appeal", "assessment_ruleset",
                    "assessment_annual"} <= tables
            assert {"duty_counted", "duty_estate_kind_due"} <= {i.name for i in old.get_indexes("duty")}
            assert old.execute_sql("SELECT kind FROM duty").fetchall() == [("daily_patrol",)]
