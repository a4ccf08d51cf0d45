"""Migration 018: the butler's ledger (工作台帐) — a resident's second phone, WeChat, preferred
contact, household members, why he is a key account, the arrears' amount and date, birthday,
move-in and move-out dates; move-outs with their moving day and release slip (放行条)."""

import peewee as pw
from peewee_migrate import Migrator

COLUMNS = (
    "phone2 VARCHAR(20) NOT NULL DEFAULT ''",
    "wechat VARCHAR(50) NOT NULL DEFAULT ''",
    "contact_pref VARCHAR(16) NOT NULL DEFAULT 'phone'",
    "members TEXT NOT NULL DEFAULT ''",
    "key_reason VARCHAR(200) NOT NULL DEFAULT ''",
    "arrears_amount DECIMAL(10, 2)",
    "arrears_as_of DATE",
    "birthday DATE",
    "moved_in_at DATE",
    "moved_out_at DATE",
)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # Plain ALTERs: SQLite and PostgreSQL both add these columns in place (no table rebuild);
    # every resident there is current (moved_out_at NULL).
    for column in COLUMNS:
        migrator.sql(f"ALTER TABLE resident ADD COLUMN {column}")
    migrator.sql("CREATE INDEX resident_unit_moved_out_at ON resident (unit_id, moved_out_at)")

    @migrator.create_model
    class MoveOut(pw.Model):
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name="estate_id", field="id", model=migrator.orm["estate"],
                                    on_delete="CASCADE")
        unit = pw.ForeignKeyField(column_name="unit_id", field="id", model=migrator.orm["unit"], on_delete="CASCADE")
        resident = pw.ForeignKeyField(column_name="resident_id", field="id", model=migrator.orm["resident"],
                                      on_delete="CASCADE")
        names = pw.CharField(max_length=200, default="")
        moving_on = pw.DateField()
        slot = pw.CharField(max_length=20, default="")
        mover = pw.CharField(max_length=80, default="")
        slip_code = pw.CharField(max_length=8)
        status = pw.CharField(max_length=12, default="issued")
        note = pw.TextField(default="")
        created_by = pw.ForeignKeyField(column_name="created_by_id", field="id", model=migrator.orm["user"],
                                        on_delete="RESTRICT")
        created_at = pw.DateTimeField()
        checked_by = pw.ForeignKeyField(column_name="checked_by_id", field="id", model=migrator.orm["user"],
                                        null=True, on_delete="SET NULL")
        checked_at = pw.DateTimeField(null=True)
        check_note = pw.CharField(max_length=200, default="")

        class Meta:
            table_name = "move_out"
            indexes = ((("estate", "slip_code"), True), (("estate", "moving_on"), False))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.remove_model("move_out")
    migrator.sql("DROP INDEX resident_unit_moved_out_at")
    for column in COLUMNS:
        migrator.sql(f"ALTER TABLE resident DROP COLUMN {column.split()[0]}")
