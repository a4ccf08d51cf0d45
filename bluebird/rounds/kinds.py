"""The kinds of round and what they are called."""
from flask_babel import lazy_gettext as _l

PATROL = "patrol"  # 每日巡查, a butler's patch
WALK = "walk"  # the manager's walk-round, twice a day
LOBBY = "lobby"  # reception's lobby check
VACANT = "vacant"  # 未交房/空置巡查, one unit
MOVEIN = "movein"  # 交房验房, one unit, signed by the owner
REINSPECT = "reinspect"  # 复验: only the open defects of a move-in
RENOVATION = "renovation"  # 装修巡查, one permit
ACCEPTANCE = "acceptance"  # 装修验收, one permit
QUALITY = "quality"  # 物业监督检查, the 100-point standard

LABELS = {
    PATROL: _l("Daily patrol"),
    WALK: _l("Manager walk-round"),
    LOBBY: _l("Lobby check"),
    VACANT: _l("Vacant unit patrol"),
    MOVEIN: _l("Move-in inspection"),
    REINSPECT: _l("Re-inspection"),
    RENOVATION: _l("Renovation check"),
    ACCEPTANCE: _l("Renovation acceptance"),
    QUALITY: _l("Quality inspection"),
}
ALL = tuple(LABELS)
# Kinds whose score counts (the others are pass/fail checklists).
SCORED = (QUALITY,)
# A template family per kind; re-inspections reuse the move-in template.
FAMILY = {REINSPECT: MOVEIN, WALK: PATROL}

RESULTS = {"ok": _l("OK"), "fail": _l("Fail"), "na": _l("N/A")}
