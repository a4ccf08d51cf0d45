"""Reports (报表): the table pages, their Excel files, filing and confirming, the morning digest.

Only the estate's supervisors and admins open them. A page shows its chart above the
numbers; every count of cases links to the case list filtered to exactly those cases.
"""
from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird import charts, clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases.kinds import SATISFACTION, SCOPES, TARGETS, TRADES, WORK_TYPES
from bluebird.duties.models import Duty
from bluebird.duties.rules import register_link
from bluebird.estate.models import Building, UnitStatus
from bluebird.reports import cache, house, periods, service, sites, tables, xlsx
from bluebird.reports import complaints as complaint_tables
from bluebird.reports import digest as digests
from bluebird.reports import duties as report_duties
from bluebird.reports.forms import FilingForm
from bluebird.reports.models import Filing
from bluebird.web import estate_id, get_scoped_or_404, render

bp = Blueprint("reports", __name__, url_prefix="/reports")

PAGE_OF = {"weekly": ("reports.tables", "week"), "month": ("reports.tables", "month"),
           "half": ("reports.tables", "half"), "year": ("reports.tables", "year"),
           "house": ("reports.house_table", None), "complaints": ("reports.complaints", None)}
SPAN_KIND = {"week": "weekly", "month": "month", "half": "half", "year": "year"}


def _duty_url(rest):
    _estate, kind, key = rest.split(":", 2)
    endpoint, span = PAGE_OF.get(kind, ("reports.index", None))
    return url_for(endpoint, span=span, period=key) if span else url_for(endpoint, period=key)


register_link("report", _duty_url)


@bp.before_request
@login_required
def _supervisors_only():
    if current_user.role not in roles.SUPERVISING:
        abort(403)


def _tz():
    return current_user.estate.timezone


def _building():
    """The building filter: one of this estate's buildings, or the whole estate (None)."""
    raw = request.args.get("building", "")
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    return get_scoped_or_404(Building, int(raw))


def _period(span, current=False):
    key = request.args.get("period")
    if not key:
        return periods.default(span, clock.now(), _tz(), current=current)
    period = periods.parse(span, key)
    if period is None:
        abort(404)
    return period


def _case_link(period, building, date_field="registered"):
    base = period.list_args(date_field)
    if building is not None:
        base["building"] = building.id

    def link(**args):
        return url_for("cases.index", **{**base, **args})

    return link


def _words():
    return {"targets": TARGETS, "trades": TRADES, "scopes": SCOPES, "work_types": WORK_TYPES,
            "satisfaction": SATISFACTION, "unit_statuses": UnitStatus.LABELS}


def _filing_context(kind, period, building, form=None, error=None, key=None):
    key = key or period.key
    filing = Filing.of(estate_id(), kind, key) if building is None else None
    duty = None
    if kind in report_duties.KIND_OF:
        duty = Duty.select().where(Duty.subject == report_duties.subject(estate_id(), kind, key)) \
            .order_by(Duty.id.desc()).first()
    return {"filing": filing, "duty": duty, "form": form or FilingForm(), "file_kind": kind, "file_key": key,
            "can_file": building is None and filing is None, "file_error": error}


def _table_data(span, period, building, fresh=False):
    return tables.period_data(estate_id(), period, _tz(), building.id if building else None, fresh=fresh)


def _table_charts(data):
    t = data["trend"]
    return [charts.bar_chart(t["labels"], t["complaints"], title=_("Complaints per period")),
            charts.bar_chart(t["labels"], t["repairs"], title=_("Repairs per period")),
            charts.line_chart(t["labels"], [(_("Satisfied (%)"), t["rate"])], title=_("Satisfaction (%)"),
                              y_min=0, y_max=100)]


def _common(period, building, span):
    return {"period": period, "building": building, "span": span, "now": clock.now(),
            "buildings": list(Building.in_estate(estate_id())), "estate": current_user.estate, **_words()}


@bp.route("/")
def index():
    """The tables an office files, what is due, and what was filed lately."""
    now, tz = clock.now(), _tz()
    due = list(Duty.select().where((Duty.estate == estate_id()) & Duty.kind.in_(list(report_duties.KIND_OF.values()))
                                   & Duty.done_at.is_null()).order_by(Duty.due_at))
    return render("reports/index.html", due=due, filed=list(Filing.recent(estate_id())), now=now,
                  week=periods.default("week", now, tz), month=periods.default("month", now, tz, current=True),
                  last_month=periods.default("month", now, tz), half=periods.default("half", now, tz),
                  year=periods.default("year", now, tz), kind_labels=xlsx.kind_labels())


@bp.route("/tables/<any(week, month, half, year):span>", endpoint="tables")
def tables_page(span):
    """The weekly (or monthly, half-yearly, yearly) case tables for a period and building."""
    if span not in periods.SPANS:
        abort(404)
    return _tables_response(span, _period(span, current=True), _building())


def _tables_response(span, period, building, form=None, error=None, status=200):
    data = _table_data(span, period, building)
    return render("reports/tables.html", status=status, data=data, chart_svgs=_table_charts(data),
                  link=_case_link(period, building), closed_link=_case_link(period, building, "closed"),
                  **_filing_context(SPAN_KIND[span], period, building, form, error), **_common(period, building, span))


@bp.route("/tables/<any(week, month, half, year):span>.xlsx")
def tables_xlsx(span):
    if span not in periods.SPANS:
        abort(404)
    period, building = _period(span, current=True), _building()
    data = _table_data(span, period, building)
    return _xlsx(xlsx.case_tables(data, period, building, current_user.estate.name), f"{span}-{period.key}")


@bp.route("/house")
def house_table():
    """The house dynamics table (房屋动态表) of a month, from the unit-status timeline."""
    return _house_response(_period("month"), _building())


def _house_response(period, building, form=None, error=None, status=200):
    full = house.for_month(estate_id(), period, _tz())
    data = house.of_building(full, building.name if building else None)
    labels = [str(v) for v in UnitStatus.LABELS.values()]
    svg = charts.bar_chart(labels, [data["at_end"].get(s, 0) for s in UnitStatus.ALL],
                           title=_("Units by status at the month's end"))
    return render("reports/house.html", status=status, data=data, chart_svgs=[svg],
                  **_filing_context("house", period, building, form, error), **_common(period, building, "month"))


@bp.route("/house.xlsx")
def house_xlsx():
    period, building = _period("month"), _building()
    data = house.of_building(house.for_month(estate_id(), period, _tz()), building.name if building else None)
    return _xlsx(xlsx.house(data, period, building, current_user.estate.name), f"house-{period.key}")


def _complaint_data(period, building, fresh=False):
    start, end = period.bounds(_tz())
    bid = building.id if building else None
    return cache.cached(estate_id(), f"complaints:{period.span}:{period.key}:{bid or 0}",
                        end <= clock.now() and not fresh,
                        lambda: complaint_tables.summary(estate_id(), start, end, _tz(), bid), ended=end)


def _complaint_charts(data):
    return [charts.bar_chart([str(TARGETS.get(k, k)) for k in data["by_target"]], list(data["by_target"].values()),
                             title=_("Complaints by target"))]


@bp.route("/complaints")
def complaints():
    """The complaint summary and analysis (投诉情况月汇总表), due by the 25th."""
    return _complaints_response(_period("month", current=True), _building())


def _complaints_response(period, building, form=None, error=None, status=200):
    data = _complaint_data(period, building)
    return render("reports/complaints.html", status=status, data=data, chart_svgs=_complaint_charts(data),
                  link=_case_link(period, building), **_filing_context("complaints", period, building, form, error),
                  **_common(period, building, "month"))


@bp.route("/complaints.xlsx")
def complaints_xlsx():
    period, building = _period("month", current=True), _building()
    data = _complaint_data(period, building)
    return _xlsx(xlsx.complaints(data, period, building, current_user.estate.name, ""), f"complaints-{period.key}")


def _half(period):
    """The half-month asked for; by default the one today is in (this month), else the first."""
    raw = request.args.get("half")
    if raw in ("1", "2"):
        return int(raw)
    today = periods.local_today(clock.now(), _tz())
    return 2 if period.first <= today <= period.last and today.day > 15 else 1


def _sites_charts(data):
    return [charts.bar_chart([s["unit"] for s in data["sites"][:12]], [s["fails"] for s in data["sites"][:12]],
                             title=_("Violations per site"))]


def _half_label(half):
    return _("Mid-month (1st–15th)") if half == 1 else _("Month-end (16th–end)")


@bp.route("/sites")
def problem_sites():
    """Problem construction sites (问题工地) of a half-month: renovation checks and their violations."""
    period = _period("month", current=True)
    return _sites_response(period, _half(period), _building())


def _sites_response(period, half, building, form=None, error=None, status=200):
    data = sites.for_half(estate_id(), period, half, _tz(), building.id if building else None)
    return render("reports/sites.html", status=status, data=data, chart_svgs=_sites_charts(data), half=half,
                  **_filing_context("sites", period, building, form, error, key=sites.filing_key(period, half)),
                  **_common(period, building, "month"))


@bp.route("/sites.xlsx")
def sites_xlsx():
    period, building = _period("month", current=True), _building()
    half = _half(period)
    data = sites.for_half(estate_id(), period, half, _tz(), building.id if building else None)
    return _xlsx(xlsx.sites(data, period, _half_label(half), building, current_user.estate.name),
                 f"sites-{sites.filing_key(period, half)}")


def _xlsx(body: bytes, name: str):
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Content-Disposition": f"attachment; filename={name}.xlsx; filename*=UTF-8''{quote(name)}.xlsx"})


FILE_SPANS = {"weekly": "week", "month": "month", "half": "half", "year": "year", "house": "month",
              "complaints": "month", "sites": "month"}


def _filed_period(kind, key):
    """(period, half) a filing key names: half is the half-month of problem sites, else None."""
    if kind == "sites":
        return sites.parse_key(key) or (None, None)
    return periods.parse(FILE_SPANS[kind], key), None


@bp.route("/file/<kind>/<period_key>", methods=["POST"])
def file(kind, period_key):
    """File a table as it stands now (whole estate): the numbers are frozen, its duty is done."""
    if kind not in FILE_SPANS:
        abort(404)
    period, half = _filed_period(kind, period_key)
    if period is None:
        abort(404)
    form = FilingForm()
    if not form.validate_on_submit():
        return _refused(kind, period, form, None, 422, half)
    if kind == "sites":
        data = sites.for_half(estate_id(), period, half, _tz())
    elif kind == "house":
        data = house.for_month(estate_id(), period, _tz())
    elif kind == "complaints":
        data = _complaint_data(period, None, fresh=True)
    else:
        data = _table_data(FILE_SPANS[kind], period, None, fresh=True)
    try:
        filing = service.file(form.client_uuid.data, estate=current_user.estate, actor=current_user, kind=kind,
                              period=period, data=data, analysis=form.analysis.data or "", plan=form.plan.data or "",
                              key=period_key if kind == "sites" else None)
    except service.ReportError as exc:
        return _refused(kind, period, form, exc.message, exc.status, half)
    flash(_("Filed. The project manager confirms it on his own login."), "ok")
    return redirect(url_for("reports.filed", filing_id=filing.id), code=303)


def _refused(kind, period, form, error, status, half=None):
    """The table's page again, with the form as typed and what was wrong next to it."""
    if kind == "sites":
        return _sites_response(period, half, None, form, error, status)
    if kind == "house":
        return _house_response(period, None, form, error, status)
    if kind == "complaints":
        return _complaints_response(period, None, form, error, status)
    return _tables_response(FILE_SPANS[kind], period, None, form, error, status)


def _page_url(kind, period):
    endpoint, span = PAGE_OF[kind]
    return url_for(endpoint, span=span, period=period.key) if span else url_for(endpoint, period=period.key)


@bp.route("/filed/<int:filing_id>")
def filed(filing_id):
    """A filed table, exactly as it was filed (its numbers never change afterwards)."""
    filing = get_scoped_or_404(Filing, filing_id)
    span = FILE_SPANS[filing.kind]
    period, half = _filed_period(filing.kind, filing.period)
    data = filing.data
    if filing.kind == "sites":
        svgs = _sites_charts(data)
    elif filing.kind == "house":
        svgs = [charts.bar_chart([str(v) for v in UnitStatus.LABELS.values()],
                                 [data["at_end"].get(s, 0) for s in UnitStatus.ALL],
                                 title=_("Units by status at the month's end"))]
    elif filing.kind == "complaints":
        svgs = _complaint_charts(data)
    else:
        svgs = _table_charts(data)
    return render("reports/filed.html", filing=filing, data=data, chart_svgs=svgs, link=_case_link(period, None),
                  closed_link=_case_link(period, None, "closed"), filed_by=User.get_by_id(filing.filed_by_id),
                  confirmed_by=User.get_or_none(User.id == filing.confirmed_by_id) if filing.confirmed_by_id else None,
                  kind_labels=xlsx.kind_labels(), half_label=_half_label(half) if half else "",
                  **_common(period, None, span))


@bp.route("/filed/<int:filing_id>/confirm", methods=["POST"])
def confirm(filing_id):
    """The project manager confirms a filed table on his own login."""
    filing = get_scoped_or_404(Filing, filing_id)
    try:
        service.confirm(filing, current_user)
    except service.ReportError as exc:
        flash(exc.message, "error")
        return redirect(url_for("reports.filed", filing_id=filing.id), code=303)
    flash(_("Confirmed."), "ok")
    return redirect(url_for("reports.filed", filing_id=filing.id), code=303)


@bp.route("/filed/<int:filing_id>.xlsx")
def filed_xlsx(filing_id):
    filing = get_scoped_or_404(Filing, filing_id)
    period, half = _filed_period(filing.kind, filing.period)
    name = current_user.estate.name
    if filing.kind == "sites":
        body = xlsx.sites(filing.data, period, _half_label(half), None, name)
    elif filing.kind == "house":
        body = xlsx.house(filing.data, period, None, name)
    elif filing.kind == "complaints":
        body = xlsx.complaints(filing.data, period, None, name, filing.analysis)
    else:
        body = xlsx.case_tables(filing.data, period, None, name, plan=filing.plan, analysis=filing.analysis)
    return _xlsx(body, f"{filing.kind}-{filing.period}")


@bp.route("/digest")
def digest():
    """The morning digest of a day (?day=, yesterday by default): each line a link to exactly those cases."""
    raw = request.args.get("day")
    the_day = digests.day_of(raw) if raw else periods.local_today(clock.now(), _tz()) - timedelta(days=1)
    if the_day is None:
        abort(404)
    counts = digests.counts(estate_id(), the_day, _tz())
    return render("reports/digest.html", day=the_day, c=counts, quiet=digests.quiet(counts))
