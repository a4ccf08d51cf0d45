"""The key cabinet (钥匙管理: keys and their loans) and the shift hand-over (交接班记录)."""
import json

from flask_babel import lazy_gettext as _l
from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import ReplaySafe
from bluebird.estate.models import Estate, Unit


class KeyKind:
    VACANT = "vacant"
    MANAGED = "managed"
    PUBLIC = "public"
    MOVE_IN = "move_in"

    LABELS = {VACANT: _l("Vacant unit key"), MANAGED: _l("Managed unit key"), PUBLIC: _l("Public key"),
              MOVE_IN: _l("Move-in key")}
    ALL = tuple(LABELS)


class Key(ReplaySafe):
    """A key in the desk's cabinet (钥匙管理), on its hook or in its box."""
    replay_scope = ("estate", "created_by")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=16)
    name = CharField(max_length=60)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    hook = CharField(max_length=20)  # hook or box number (挂钩号/箱号)
    note = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    retired_at = DateTimeField(null=True)  # taken out of the register (handed to the owner…)
    retired_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="keys_retired")
    retire_reason = CharField(max_length=200, default="")

    class Meta:
        table_name = "desk_key"
        indexes = ((("estate", "kind"), False),)

    @property
    def subject(self) -> str:
        return f"key:{self.id}"

    @property
    def kind_label(self):
        return KeyKind.LABELS.get(self.kind, self.kind)

    def open_loan(self):
        """The loan this key is out on, if it is out."""
        return KeyLoan.get_or_none((KeyLoan.key == self.id) & KeyLoan.returned_at.is_null())

    @classmethod
    def cabinet(cls, estate_id):
        """Every key of an estate with its open loan (None when on its hook), by hook."""
        return (cls.select(cls, KeyLoan, Unit)
                .join(KeyLoan, JOIN.LEFT_OUTER, on=((KeyLoan.key == cls.id) & KeyLoan.returned_at.is_null()),
                      attr="loan")
                .switch(cls).join(Unit, JOIN.LEFT_OUTER)
                .where((cls.estate == estate_id) & cls.retired_at.is_null()).order_by(cls.hook, cls.id))


# One key per hook in the register; a retired key frees its hook.
Key.add_index(Key.index(Key.estate, Key.hook, unique=True, where=Key.retired_at.is_null(), name="desk_key_hook_in_use"))


class KeyLoan(ReplaySafe):
    """One loan of a key: who, why, when out, when due back, when returned."""
    replay_scope = ("estate", "lent_by")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    key = ForeignKeyField(Key, backref="loans", on_delete="CASCADE")
    borrower = CharField(max_length=50)
    borrower_user = ForeignKeyField(User, null=True, on_delete="SET NULL")  # when a colleague borrows it
    purpose = CharField(max_length=100)
    out_at = DateTimeField()
    due_at = DateTimeField()
    returned_at = DateTimeField(null=True)
    returned_to = ForeignKeyField(User, null=True, on_delete="SET NULL")
    lent_by = ForeignKeyField(User, on_delete="RESTRICT")
    note = CharField(max_length=200, default="")

    class Meta:
        table_name = "desk_key_loan"
        indexes = ((("estate", "out_at"), False), (("estate", "returned_at"), False), (("key", "out_at"), False),
                   (("estate", "borrower"), False))

    @staticmethod
    def late_key_ids(estate_id, now=None) -> set[int]:
        """Keys whose return is overdue. Lateness is the Duty's to say (the loan's due_at
        records what was agreed; the return duty is what is due), one indexed query."""
        from bluebird.duties.models import Duty
        from bluebird.frontdesk.clocks import RETURN_KEY

        late = Duty.overdue_in(estate_id, now or clock.now()).where(Duty.kind == RETURN_KEY)
        return {int(d.subject.split(":", 1)[1]) for d in late.select(Duty.subject)}

    @classmethod
    def out_in(cls, estate_id):
        """Keys out on loan now, soonest due back first."""
        return (cls.select(cls, Key).join(Key)
                .where((cls.estate == estate_id) & cls.returned_at.is_null()).order_by(cls.due_at))


# A key can never be on loan twice: at most one open loan per key, whatever races.
KeyLoan.add_index(KeyLoan.index(KeyLoan.key, unique=True, where=KeyLoan.returned_at.is_null(),
                                name="desk_key_loan_open_once"))
KeyLoan.add_index(KeyLoan.index(KeyLoan.estate, KeyLoan.due_at, where=KeyLoan.returned_at.is_null(),
                                name="desk_key_loan_out"))  # what is out now, for the desk's poll


class Handover(ReplaySafe):
    """A shift hand-over (交接班记录): what was open, the equipment, who handed over to whom."""
    replay_scope = ("estate", "outgoing")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    outgoing = ForeignKeyField(User, backref="handovers_given", on_delete="RESTRICT")
    opened_at = DateTimeField()
    note = TextField(default="")  # equipment and anything else to pass on
    items = TextField(default="{}")  # JSON: the open items listed when it was opened
    incoming = ForeignKeyField(User, null=True, backref="handovers_taken", on_delete="RESTRICT")
    accepted_at = DateTimeField(null=True)
    accept_note = CharField(max_length=200, default="")

    class Meta:
        table_name = "desk_handover"
        indexes = ((("estate", "opened_at"), False),)

    @property
    def subject(self) -> str:
        return f"handover:{self.id}"

    @property
    def open_items(self) -> dict:
        return json.loads(self.items or "{}")

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.open_items.values())

    @classmethod
    def pending(cls, estate_id):
        """The hand-over waiting for the next shift to accept it, if any."""
        return cls.select().where((cls.estate == estate_id) & cls.accepted_at.is_null()).first()


# One hand-over at a time waits for its relief: the next shift accepts before handing over.
Handover.add_index(Handover.index(Handover.estate, unique=True, where=Handover.accepted_at.is_null(),
                                  name="desk_handover_pending_once"))
