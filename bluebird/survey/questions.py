"""The questions an owner answers, per kind of survey, and the five-point scale."""
from flask_babel import lazy_gettext as _l

REPAIR, COMPLAINT, PERIODIC = "repair", "complaint", "periodic"

QUESTION_LABELS = {
    "speed": _l("How quickly we responded"),
    "quality": _l("Quality of the repair"),
    "result": _l("How the complaint was resolved"),
    "attitude": _l("Staff attitude"),
    "butler": _l("Your butler's service"),
    "cleaning": _l("Cleaning and environment"),
    "safety": _l("Security and order"),
    "repairs": _l("Repairs and maintenance"),
    "overall": _l("Overall satisfaction"),
}

QUESTIONS = {
    REPAIR: ("speed", "quality", "attitude", "overall"),
    COMPLAINT: ("speed", "result", "attitude", "overall"),
    PERIODIC: ("butler", "cleaning", "safety", "repairs", "overall"),
}

KIND_LABELS = {REPAIR: _l("Repair"), COMPLAINT: _l("Complaint"), PERIODIC: _l("Periodic survey")}

SCALE = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Neutral"),
    2: _l("Unsatisfied"),
    1: _l("Very unsatisfied"),
}
SATISFIED = (4, 5)  # what counts toward the satisfaction rate (满意率)

ALL_QUESTIONS = tuple(QUESTION_LABELS)
