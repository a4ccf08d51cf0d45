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


def test_018_keeps_every_resident_current_and_adds_the_ledger(app):
    """An office's residents survive 018 as current residents, with an empty ledger and no move-outs."""
    rows = ("INSERT INTO building (estate_id, name, floors, sort_key) VALUES (1, '3', 18, 3)",
            "INSERT INTO unit (estate_id, building_id, number, code, floor, kind, status, note, updated_at) "
            "VALUES (1, 1, '1502', '3-1502', 15, 'home', 'occupied', '', '2025-01-01 00:00:00')",
            "INSERT INTO resident (estate_id, unit_id, name, phone, phone_tail, relation, key_account, arrears, "
            "note, created_at) VALUES (1, 1, '张伟', '13912345678', '5678', 'owner', 1, 1, '老住户', "
            "'2025-01-01 00:00:00')")
    with old_office(BEFORE_SESSION_2, *rows) as old:
        assert "018_residents_ledger" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT name, key_account, key_reason, arrears, arrears_amount, moved_out_at, "
                                   "contact_pref, phone2 FROM resident").fetchall() == [
                ("张伟", 1, "", 1, None, None, "phone", "")]
            assert "move_out" in old.get_tables()
            assert "resident_unit_moved_out_at" in {i.name for i in old.get_indexes("resident")}


def test_021_adds_the_survey_and_keeps_every_photo(app):
    """An office from before 021 keeps its photos (attachment is rebuilt on SQLite) and gets the
    survey tables; a photo may then have no staff uploader (the owner's, through his link)."""
    user = ('INSERT INTO "user" (estate_id, username, password_hash, name, role, phone, locale, active, '
            "session_version, created_at, quiet_start, quiet_end, company_wide) VALUES "
            "(1, 'desk', 'x', '前台', 'reception', '', 'zh_CN', 1, '1', '2025-01-01 00:00:00', 1320, 420, 0)")
    photo = ("INSERT INTO attachment (estate_id, subject, token, display_key, thumb_key, sha256, thumb_sha256, "
             "width, height, source_format, place, received_at, by_id) VALUES (1, 'case:1', 'tok', 'd.jpg', "
             "'t.jpg', 'a', 'b', 800, 600, 'jpeg', '3-1502', '2025-01-01 00:00:00', 1)")
    with old_office("015_login_sessions_company_admin", user, photo) as old:
        assert "021_owner_survey" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT token, by_id FROM attachment").fetchall() == [("tok", 1)]
            assert {"survey_round", "survey_invitation", "survey_answer", "survey_score"} <= set(old.get_tables())
            assert "attachment_subject_id" in {i.name for i in old.get_indexes("attachment")}
            old.execute_sql("INSERT INTO attachment (estate_id, subject, token, display_key, thumb_key, sha256, "
                            "thumb_sha256, width, height, source_format, place, received_at, by_id) VALUES "
                            "(1, 'case:1', 'tok2', 'd2.jpg', 't2.jpg', 'c', 'd', 800, 600, 'jpeg', '', "
                            "'2025-01-02 00:00:00', NULL)")
            assert old.execute_sql("SELECT COUNT(*) FROM attachment WHERE by_id IS NULL").fetchone() == (1,)


def test_019_fills_in_each_households_last_contact_from_its_cases_and_calls(app):
    """An old office's households are not all "never contacted": its cases and reached calls count."""
    from datetime import datetime

    from bluebird.cases.models import Call
    from bluebird.estate.models import Estate
    from tests import factories

    with old_office("015_login_sessions_company_admin") as old:
        with old.connection_context():
            estate = Estate.get()
            building = factories.make_building(estate, "1")
            quiet, called, untouched = (factories.make_unit(building, n) for n in ("101", "102", "103"))
            user = factories.make_user(estate, role="reception")
            factories.make_case(quiet, user, created_at=datetime(2026, 3, 1))
            case = factories.make_case(called, user, created_at=datetime(2026, 1, 1))
            Call.create(case=case, kind="callback_24h", by=user, at=datetime(2026, 5, 2), reached=True)
            Call.create(case=case, kind="callback_24h", by=user, at=datetime(2026, 6, 2), reached=False)
        assert "019_visits" in upgrade()
        with old.connection_context():
            rows = dict(old.execute_sql("SELECT unit_id, last_at FROM household_contact").fetchall())
            assert set(rows) == {quiet.id, called.id} and untouched.id not in rows
            assert str(rows[quiet.id]).startswith("2026-03-01") and str(rows[called.id]).startswith("2026-05-02")


def test_020_adds_wecom_app_messages_without_sending_old_notices(app):
    """Notifications from before stay out of WeCom; the app and profile tables start empty."""
    users = ["INSERT INTO \"user\" (estate_id, username, password_hash, name, role, phone, locale, active, "
             "session_version, created_at, quiet_start, quiet_end) VALUES (1, 'zs', 'x', '张三', 'butler', '', "
             "'zh_CN', TRUE, '1', '2025-01-01 00:00:00', 1320, 420)"]
    notes = ["INSERT INTO notification (user_id, kind, title, body, urgent, created_at, send_after) "
             "VALUES (1, 'reminder', '24小时回访', '', FALSE, '2025-01-01 00:00:00', '2025-01-01 00:00:00')"]
    with old_office("015_login_sessions_company_admin", *users, *notes) as old:
        assert "020_wecom_app_messages" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT title, wecom_due FROM notification").fetchall() == [("24小时回访", None)]
            assert {"wecom_app", "notify_profile"} <= set(old.get_tables())
            assert "notification_wecom_due" in {i.name for i in old.get_indexes("notification")}
            assert "delivery_wxapp_user" in {i.name for i in old.get_indexes("delivery")}


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


def test_024_gives_timeline_events_and_calls_a_unique_client_uuid(app):
    """An office from before 024 keeps its timeline and calls (no uuid) and gets the unique
    client_uuid a replayed step is recognised by."""
    event = ("INSERT INTO event (estate_id, subject, actor_id, verb, detail, at) VALUES "
             "(1, 'case:1', NULL, 'comment', '{}', '2025-01-01 00:00:00')")
    with old_office("021_owner_survey", event) as old:
        assert "024_replay_safe_steps" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT verb, client_uuid FROM event").fetchall() == [("comment", None)]
            assert "client_uuid" in {c.name for c in old.get_columns("call")}
            unique = {i.name for i in old.get_indexes("event") if i.unique}
            assert "event_client_uuid" in unique
            assert "call_client_uuid" in {i.name for i in old.get_indexes("call") if i.unique}


def _insert(old, table, known):
    """One row of `table` in an old database: the values given, empty/zero for the other
    NOT NULL columns (the old schema has no SQL defaults)."""
    values = {c.name: known.get(c.name, 0 if c.data_type.upper() in ("INTEGER", "BOOLEAN") else "")
              for c in old.get_columns(table) if c.name != "id" and (c.name in known or not c.null)}
    old.execute_sql(f'INSERT INTO "{table}" ({", ".join(values)}) VALUES ({", ".join("?" * len(values))})',
                    list(values.values()))
    return old.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()[0]


def test_026_lets_a_complaint_name_its_repair_keeping_every_case(app):
    """An office from before 026 keeps its cases (about nothing) and gets the indexed link."""
    with old_office("024_replay_safe_steps") as old:
        with old.connection_context():
            at = "2025-01-01 00:00:00"
            user_id = _insert(old, "user", {"estate_id": 1, "username": "desk", "name": "前台", "role": "reception",
                                            "password_hash": "x", "active": 1, "created_at": at})
            _insert(old, "cases", {"estate_id": 1, "registrar_id": user_id, "kind": "repair", "source": "phone",
                                   "status": "new", "description": "厨房漏水", "created_at": at, "updated_at": at})
        assert "026_complaint_about_repair" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT kind, description, about_case_id FROM cases").fetchall() == [
                ("repair", "厨房漏水", None)]
            assert "cases_about_case_id" in {i.name for i in old.get_indexes("cases")}
            assert ("about_case_id", "cases") in {(f.column, f.dest_table) for f in old.get_foreign_keys("cases")}


def _old_duty(column, value):
    """An old office's open patrol duty, with one more column set (SQL text for old_office)."""
    return ("INSERT INTO duty (estate_id, kind, subject, title, role, due_at, due_date, points, created_at, "
            f"{column}) VALUES (1, 'daily_patrol', 'patch:1', '', 'butler', '2025-01-02 10:00:00', "
            f"'2025-01-02', 2, '2025-01-01 00:00:00', {value})")


def test_025_makes_the_counted_duties_index_covering_and_adds_the_complaint_index(app):
    """An office from before 025 keeps its duties; the month's assessment reads indexes only."""
    with old_office("024_replay_safe_steps", _old_duty("late_minutes", "45")) as old:
        assert "025_assessment_fast" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT kind, late_minutes FROM duty").fetchall() == [("daily_patrol", 45)]
            counted = {i.name: i for i in old.get_indexes("duty")}["duty_counted"]
            assert {"kind", "assignee_id", "missed_at", "late_minutes", "subject"} <= set(counted.columns)


def test_027_gives_the_escalated_open_duties_their_own_index(app):
    """An office from before 027 keeps its duties; a supervisor's agenda reads the escalated
    ones through their own index instead of walking every duty of the estate."""
    with old_office("026_complaint_about_repair", _old_duty("escalated_at", "'2025-01-02 10:30:00'")) as old:
        assert "027_escalated_duties_index" in upgrade()
        with old.connection_context():
            assert old.execute_sql("SELECT kind, escalated_at FROM duty").fetchall() == [
                ("daily_patrol", "2025-01-02 10:30:00")]
            assert "duty_open_escalated" in {i.name for i in old.get_indexes("duty")}
            plan = old.execute_sql("EXPLAIN QUERY PLAN SELECT id FROM duty WHERE done_at IS NULL AND "
                                   "escalated_at IS NOT NULL AND estate_id = 1 ORDER BY due_at LIMIT 20").fetchall()
            assert "duty_open_escalated" in str(plan)
