"""The tables as Excel workbooks, through bluebird/exports.py (formula-like text stays text)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from bluebird import exports
from bluebird.cases.kinds import SATISFACTION, SCOPES, TARGETS, TRADES, WORK_TYPES
from bluebird.estate.models import UnitStatus

KIND_LABELS = {"weekly": _l("Weekly tables"), "month": _l("Month report and plan"), "half": _l("Half-year analysis"),
               "year": _l("Year analysis"), "house": _l("House dynamics table"),
               "complaints": _l("Complaint summary and analysis"), "sites": _l("Problem construction sites")}


def kind_labels():
    return KIND_LABELS


def _where(building):
    return _("Building %(name)s", name=building.name) if building else _("Whole estate")


def _sheet(title, heading, columns, rows, widths=(28, 12, 12, 12)):
    return {"title": str(title), "heading": heading, "columns": [str(c) for c in columns], "rows": rows,
            "widths": widths}


def _pairs(words, counts):
    return [[str(words.get(k, k)), n] for k, n in counts.items()]


def case_tables(data, period, building, estate_name, plan="", analysis="") -> bytes:
    head = f"{estate_name} · {period.label} · {_where(building)}"
    c, r, s, w, i = data["complaints"], data["repairs"], data["satisfaction"], data["warranty"], data["info"]
    n = _("Count")
    sheets = [
        _sheet(_("Complaints"), head, [_("Item"), n], [
            [_("Registered"), c["registered"]], [_("Closed"), c["closed"]], [_("Still open"), c["open"]],
            [_("Reopened"), c["reopened"]], [_("Called back"), c["called_back"]]] + _pairs(TARGETS, c["by_target"])),
        _sheet(_("Repairs"), head, [_("Item"), n], [
            [_("Registered"), r["registered"]], [_("Closed"), r["closed"]], [_("Still open"), r["open"]]]
            + _pairs(SCOPES, r["by_scope"]) + _pairs(TRADES, r["by_trade"]) + _pairs(WORK_TYPES, r["by_work_type"])),
        _sheet(_("Satisfaction"), head, [_("Item"), n], [
            [_("Closed"), s["closed"]], [str(SATISFACTION["satisfied"]), s["satisfied"]],
            [str(SATISFACTION["basic"]), s["basic"]], [str(SATISFACTION["unsatisfied"]), s["unsatisfied"]],
            [_("Not asked"), s["none"]], [_("Satisfaction rate (%)"), s["rate"] if s["rate"] is not None else ""]]),
        _sheet(_("Warranty slips"), head, [_("Item"), n], [
            [_("Issued"), w["issued"]], [_("Closed"), w["closed"]], [_("Still open"), w["open"]]]),
        _sheet(_("Info slips"), head, [_("Item"), n], [
            [_("Passed on"), i["registered"]], [_("Answered"), i["closed"]], [_("Still open"), i["open"]]]),
        _sheet(_("Late handling"), head, [_("Person"), _("Duties due"), _("Handled late")],
               [[p["name"], p["due"], p["late"]] for p in data["late"]]),
    ]
    if plan or analysis:
        sheets.append(_sheet(_("Report and plan"), head, [_("Item"), _("Text")],
                             [[_("Month report"), analysis], [_("Next month's plan"), plan]], widths=(20, 80)))
    return exports.workbook(sheets)


def house(data, period, building, estate_name) -> bytes:
    head = f"{estate_name} · {_('House dynamics table')} · {period.label} · {_where(building)}"
    rows = [[str(UnitStatus.LABELS[s]), data["at_end"].get(s, 0), data["moved"].get(s, 0)] for s in UnitStatus.ALL]
    rows.append([_("Total"), data["total"], data["new"]])
    return exports.workbook([_sheet(_("House dynamics"), head,
                                    [_("Status"), _("Units at the month's end"), _("Moved into it this month")], rows)])


def complaints(data, period, building, estate_name, analysis) -> bytes:
    head = f"{estate_name} · {_('Complaint summary')} · {period.label} · {_where(building)}"
    summary = [[_("Registered"), data["total"]], [_("Closed"), data["closed"]], [_("Still open"), data["open"]],
               [_("Reopened"), data["reopened"]], [_("Called back"), data["called_back"]],
               [_("Call-back rate (%)"), data["callback_rate"] if data["callback_rate"] is not None else ""],
               [_("Average hours to resolve"), data["avg_hours"] if data["avg_hours"] is not None else ""],
               [_("Resolved by the promised date"), data["promise_kept"]]]
    summary += _pairs(TARGETS, data["by_target"])
    sheets = [_sheet(_("Complaint summary"), head, [_("Item"), _("Count")], summary),
              _sheet(_("Complained about"), head, [_("Person or department"), _("Count"), _("Share (%)")],
                     [[p["name"], p["n"], p["share"]] for p in data["by_party"]]),
              _sheet(_("Repeat complainants"), head, [_("Unit"), _("Complaints")],
                     [[u["unit"], u["n"]] for u in data["repeat"]])]
    if analysis:
        sheets.append(_sheet(_("Analysis"), head, [_("Analysis")], [[analysis]], widths=(100,)))
    return exports.workbook(sheets)


def sites(data, period, half_label, building, estate_name) -> bytes:
    head = f"{estate_name} · {_('Problem construction sites')} · {period.label} {half_label} · {_where(building)}"
    summary = [[_("Sites checked"), data["checked"]], [_("Sites with problems"), data["problem"]],
               [_("Checks"), data["checks"]], [_("Violations"), data["fails"]]]
    return exports.workbook([
        _sheet(_("Problem sites"), head, [_("Item"), _("Count")], summary),
        _sheet(_("Sites"), head, [_("Unit"), _("Contractor"), _("Checks"), _("Violations")],
               [[s["unit"], s["contractor"], s["checks"], s["fails"]] for s in data["sites"]], widths=(14, 28, 10, 10)),
    ])
