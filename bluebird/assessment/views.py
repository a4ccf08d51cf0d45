"""Assessment pages: my month, a person's sheet, the overview, the year, the rule book settings.

Views parse, call the service, render or redirect with 303. A person sees only his own
sheet; the estate's supervisors and managers see everyone's (another estate's id: 404).
"""
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird import charts, clock, exports
from bluebird.assessment import rulebook, service
from bluebird.assessment.forms import AnnualForm, AnswerForm, AppealForm, ManualForm, manual_choices
from bluebird.assessment.models import Appeal, AppealStatus, Entry, Sheet, SheetStatus
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.duties.models import Duty
from bluebird.duties.rules import link_for
from bluebird.timeline.models import Event, once
from bluebird.web import get_scoped_or_404, render, require_role

bp = Blueprint("assessment", __name__, url_prefix="/assessment")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
SHOWN_ITEMS = 60


@bp.before_request
@login_required
def _login():
    pass


def _estate():
    return current_user.estate


def _month():
    """The month of ?m=YYYY-MM (default: this local month); a malformed or future one is 404."""
    now_year, now_month = service.local_month(clock.now(), _estate().timezone)
    text = request.args.get("m", "")
    if not text:
        return now_year, now_month
    match = MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        abort(404)
    year, month = int(match.group(1)), int(match.group(2))
    if (year, month) > (now_year, now_month):
        abort(404)
    return year, month


def _m(year, month):
    return f"{year}-{month:02d}"


def _person(user_id):
    """Someone whose sheet the viewer may see: himself, or anyone of the estate for a supervisor."""
    person = get_scoped_or_404(User, user_id)
    if person.id != current_user.id and not current_user.supervises:
        abort(403)
    return person


def _supervisor():
    require_role(*roles.SUPERVISING)


def describe(detail: str) -> str:
    """The reader's words for an item's stored detail ("missed", "late:95;complaint:TS000012")."""
    parts = []
    for part in (detail or "").split(";"):
        name, _sep, value = part.partition(":")
        if name == "missed":
            parts.append(_("missed: still open when the month closed"))
        elif name == "late":
            parts.append(_("done %(n)s min late", n=value))
        elif name == "complaint":
            parts.append(_("the repair later drew complaint %(number)s", number=value))
        elif name == "case":
            parts.append(value)
        elif name == "capped":
            parts.append(_("capped"))
        elif name == "undo":
            parts.append(_("no longer counts: %(item)s", item=rulebook.label_of(value)))
        elif part:
            parts.append(part)
    return "; ".join(parts)


def evidence_url(item):
    if getattr(item, "duty_id", None):
        return url_for("assessment.duty_evidence", duty_id=item.duty_id)
    return link_for(item.subject) if item.subject else None


@bp.app_template_filter("assessment_detail")
def _detail_filter(detail):
    return describe(detail)


def event_text(event) -> str:
    """One timeline line of a sheet, in the reader's language."""
    data = event.data
    item = rulebook.label_of(data.get("rule", ""))
    texts = {
        "assessment_item": lambda: _("added %(item)s (%(points)s): %(reason)s", item=item, points=data.get("points"),
                                     reason=data.get("reason", "")),
        "assessment_correction": lambda: _("correction after signing: %(item)s (%(points)s): %(reason)s", item=item,
                                           points=data.get("points"), reason=data.get("reason", "")),
        "assessment_issued": lambda: _("issued; appeals for %(days)s days", days=data.get("days")),
        "assessment_signed": lambda: _("signed at %(score)s points", score=data.get("score")),
        "assessment_appeal": lambda: _("appealed %(item)s: %(reason)s", item=item, reason=data.get("reason", "")),
        "assessment_appeal_accepted": lambda: _("appeal on %(item)s accepted (%(before)s → %(after)s): %(answer)s",
                                                item=item, before=data.get("before"),
                                                after=data.get("after") if data.get("after") is not None
                                                else _("removed"), answer=data.get("answer", "")),
        "assessment_appeal_rejected": lambda: _("appeal on %(item)s rejected: %(answer)s", item=item,
                                                answer=data.get("answer", "")),
        "assessment_recomputed": lambda: _("recomputed: %(before)s → %(after)s points", before=data.get("before"),
                                           after=data.get("after")),
    }
    make = texts.get(event.verb)
    return make() if make else event.verb


@bp.context_processor
def _helpers():
    return {"evidence_url": evidence_url, "event_text": event_text, "SheetStatus": SheetStatus, "AppealStatus": AppealStatus, "m": _m}


def _sheet_page(person, status=200, **forms):
    estate = _estate()
    year, month = _month()
    # A month with hundreds of items lists the first ones and sums them all by rule.
    view = service.sheet_view(estate, person, year, month, limit=None if request.args.get("all") else SHOWN_ITEMS)
    sheet = view.sheet
    mine = person.id == current_user.id
    now = clock.now()
    appeals = {}
    if sheet is not None and sheet.stored:
        for a in Appeal.of_sheet(sheet.id):
            appeals.setdefault(a.entry_id, []).append(a)
    can_appeal = (mine and sheet is not None and sheet.status == SheetStatus.ISSUED
                  and (sheet.appeal_until is None or now <= sheet.appeal_until))
    manual = forms.get("manual_form") or ManualForm()
    manual.rule.choices = manual_choices()
    events = list(Event.timeline(subject=sheet.subject)) if sheet is not None else []
    return render("assessment/sheet.html", status=status, view=view, rates=view.rates, total_items=view.total,
                  summary=[(rulebook.label_of(code), rulebook.clause_of(code), n, pts)
                           for code, n, pts in view.summary], person=person, sheet=sheet, mine=mine,
                  year=year, month=month, appeals=appeals, can_appeal=can_appeal,
                  appeal_form=forms.get("appeal_form") or AppealForm(), appeal_entry=forms.get("appeal_entry"),
                  answer_form=forms.get("answer_form") or AnswerForm(), answer_appeal=forms.get("answer_appeal"),
                  manual_form=manual, error=forms.get("error"), events=events,
                  supervises=current_user.supervises and not mine, closed=service.is_closed(estate, year, month),
                  prev_m=_m(*service.previous(year, month)))


@bp.route("/me")
def mine():
    """我的 › 本月考核: my sheet of this month (or ?m=)."""
    return _sheet_page(current_user._get_current_object())


@bp.route("/people/<int:user_id>")
def sheet(user_id):
    """One person's month: every item with its rule, points and evidence."""
    return _sheet_page(_person(user_id))


@bp.route("/duties/<int:duty_id>")
def duty_evidence(duty_id):
    """The duty an item comes from: what was owed, when, how it ended, and the record it is about."""
    duty = get_scoped_or_404(Duty, duty_id)
    if duty.assignee_id != current_user.id and not current_user.supervises:
        abort(404)
    return render("assessment/evidence.html", duty=duty, record_url=duty.url,
                  row=rulebook.KIND_TO_ROW.get(duty.kind))


def _trend(estate, person_id, year, month):
    months = service.last_months(year, month)
    scores = {(y, mm): s for _p, y, mm, s in Sheet.trend(estate.id, months, person_id)}
    return months, [scores.get(k) for k in months]


@bp.route("/people/<int:user_id>/trend")
def trend(user_id):
    """A person's last 12 months: a chart with its table."""
    person = _person(user_id)
    year, month = _month()
    months, values = _trend(_estate(), person.id, year, month)
    labels = [_m(y, mm) for y, mm in months]
    chart = charts.line_chart(labels, [(person.name, values)], title=_("Score over the last 12 months"))
    return render("assessment/trend.html", person=person, chart=chart, rows=list(zip(labels, values, strict=True)),
                  year=year, month=month)


def _sheet_rows(view):
    rows = []
    for e in view.entries:
        rows.append([f"{e.occurred_at.replace(tzinfo=ZoneInfo('UTC')).astimezone(ZoneInfo(_estate().timezone)):%Y-%m-%d}",
                     e.clause, str(e.label), describe(e.detail), e.points if e.active else 0,
                     e.subject, e.reason, _("withdrawn") if not e.active else (_("correction") if e.correction else "")])
    return rows


@bp.route("/people/<int:user_id>/sheet.xlsx")
def export(user_id):
    """The sheet as Excel: the same items and score as the page (typed text never becomes a formula)."""
    person = _person(user_id)
    year, month = _month()
    view = service.sheet_view(_estate(), person, year, month)
    rows = _sheet_rows(view)
    rows.append(["", "", _("Base score"), "", rulebook.BASE_SCORE, "", "", ""])
    rows.append(["", "", _("Score"), "", view.score, "", "", ""])
    rate_rows = [[str(r["label"]), r["num"], r["den"], r["pct"] if r["pct"] is not None else ""] for r in view.rates]
    body = exports.workbook([
        {"title": _("Assessment"), "heading": f"{person.name} · {_m(year, month)} · {_('Assessment')}",
         "columns": [_("Date"), _("Clause"), _("Item"), _("What happened"), _("Points"), _("Record"), _("Reason"),
                     _("Note")], "rows": rows, "widths": (12, 14, 36, 30, 8, 14, 30, 10)},
        {"title": _("Rates"), "heading": f"{person.name} · {_m(year, month)}",
         "columns": [_("Rate"), _("Numerator"), _("Denominator"), "%"], "rows": rate_rows, "widths": (44, 12, 12, 8)},
    ])
    name = f"assessment-{person.id}-{_m(year, month)}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/people/<int:user_id>/print")
def print_sheet(user_id):
    """The sheet on A4 with signature lines."""
    person = _person(user_id)
    year, month = _month()
    view = service.sheet_view(_estate(), person, year, month)
    return render("assessment/print.html", view=view, person=person, year=year, month=month)


def _redirect_sheet(person, year, month):
    return redirect(url_for("assessment.sheet", user_id=person.id, m=_m(year, month)), code=303)


def _act(person, action, **forms):
    try:
        action()
    except service.AssessmentError as exc:
        return _sheet_page(person, status=exc.status, error=exc.message, **forms)
    year, month = _month()
    return _redirect_sheet(person, year, month)


@bp.route("/people/<int:user_id>/items", methods=["POST"])
def add_item(user_id):
    """A supervisor's item (hygiene, punctuality…), with a reason."""
    _supervisor()
    person = _person(user_id)
    year, month = _month()
    form = ManualForm()
    form.rule.choices = manual_choices()
    if not form.validate_on_submit():
        return _sheet_page(person, status=422, manual_form=form)
    occurred = None
    if form.occurred_on.data:
        zone = ZoneInfo(_estate().timezone)
        occurred = (datetime.combine(form.occurred_on.data, time(12, 0), tzinfo=zone)
                    .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))

    def act():
        try:
            service.add_manual(_estate(), person, year, month, current_user, form.rule.data, form.reason.data,
                               occurred_at=occurred, client_uuid=form.client_uuid.data)
        except service.AssessmentError as exc:
            if exc.field and hasattr(form, exc.field):
                getattr(form, exc.field).errors = [exc.message]
            raise

    return _act(person, act, manual_form=form)


def _stored_sheet(person):
    year, month = _month()
    found = Sheet.find(person.id, year, month)
    if found is None:
        service.close_month(_estate(), year, month)  # a closed month not stored yet (the tick had not run)
        found = Sheet.find(person.id, year, month)
    return found


def _once(sheet, do):
    # A replay of the same issue/sign tap (its client_uuid) is answered as done, not "already".
    return once(request.form.get("client_uuid"), estate_id=sheet.estate_id, actor_id=current_user.id,
                subject=sheet.subject, conflict=service.AssessmentError, action=do)


def _sheet_step(user_id, step, not_yet):
    """Issue or sign a stored month's sheet, once per client_uuid; `not_yet` while it runs."""
    _supervisor()
    person = _person(user_id)
    found = _stored_sheet(person)
    if found is None:
        return _sheet_page(person, status=409, error=not_yet)
    return _act(person, lambda: _once(found, lambda: step(found, current_user)))


@bp.route("/people/<int:user_id>/issue", methods=["POST"])
def issue(user_id):
    return _sheet_step(user_id, service.issue,
                       _("The month is still running: a sheet is issued after the month closes."))


@bp.route("/people/<int:user_id>/sign", methods=["POST"])
def sign(user_id):
    return _sheet_step(user_id, service.sign,
                       _("Issue the sheet first: the person sees it and may appeal before it is signed."))


@bp.route("/people/<int:user_id>/recompute", methods=["POST"])
def recompute(user_id):
    _supervisor()
    person = _person(user_id)
    found = _stored_sheet(person)
    if found is None:
        return _sheet_page(person, status=409, error=_("The month is still running: its items are computed live."))
    return _act(person, lambda: service.recompute(found, current_user))


@bp.route("/entries/<int:entry_id>/appeal", methods=["POST"])
def appeal(entry_id):
    """申诉 one item of my issued sheet."""
    entry = get_scoped_or_404(Entry, entry_id)
    if entry.sheet.person_id != current_user.id:
        abort(404)
    person = current_user._get_current_object()
    form = AppealForm()
    if not form.validate_on_submit():
        return _sheet_page(person, status=422, appeal_form=form, appeal_entry=entry.id)

    def act():
        try:
            service.appeal(entry, person, form.reason.data, form.client_uuid.data)
        except service.AssessmentError as exc:
            form.reason.errors = [exc.message]
            raise

    return _act(person, act, appeal_form=form, appeal_entry=entry.id)


@bp.route("/appeals/<int:appeal_id>/answer", methods=["POST"])
def answer(appeal_id):
    """Accept or reject an appeal, with a reason."""
    _supervisor()
    found = get_scoped_or_404(Appeal, appeal_id)
    person = found.entry.sheet.person
    form = AnswerForm()
    if not form.validate_on_submit():
        return _sheet_page(person, status=422, answer_form=form, answer_appeal=found.id)
    return _act(person, lambda: service.answer(found, current_user, form.decision.data == "accept", form.answer.data,
                                               form.new_points.data), answer_form=form, answer_appeal=found.id)


@bp.route("/")
def overview():
    """考核: everyone's month side by side, the estate's rates, and the 12-month trend."""
    _supervisor()
    estate = _estate()
    year, month = _month()
    people = list(service.assessed_people(estate.id))
    sheets = {s.person_id: s for s in Sheet.of_month(estate.id, year, month)}
    open_appeals = Appeal.open_per_sheet(estate.id, [s.id for s in sheets.values()])
    stored = bool(sheets) and all(s.stored for s in sheets.values())
    live = {}
    if not stored:
        cfg = service.config_of(estate.id)
        items = service.compute_items(estate, year, month, cfg)
        for person in people:
            manual = 0
            found = sheets.get(person.id)
            if found is not None:
                manual = sum(e.points for e in Entry.of_sheet(found.id) if e.active)
            live[person.id] = rulebook.BASE_SCORE + manual + sum(i["points"] for i in items.get(person.id, []))
        rates = service.rate_rows(service.compute_rates(estate, year, month).get(None))
    else:
        rates = service.rate_rows(estate.setting(f"assessment_rates_{year}_{month:02d}", {}))
    rows = []
    for person in people:
        found = sheets.get(person.id)
        score = found.score if stored and found else live.get(person.id)
        rows.append({"person": person, "sheet": found, "score": score,
                     "appeals": open_appeals.get(found.id, 0) if found else 0})
    months = service.last_months(year, month)
    labels = [_m(y, mm) for y, mm in months]
    by_month = Sheet.average_trend(estate.id, months)
    averages = [by_month.get(k) for k in months]
    chart = charts.line_chart(labels, [(_("Estate average"), averages)], title=_("Average score, last 12 months"))
    return render("assessment/overview.html", rows=rows, rates=rates, year=year, month=month, stored=stored,
                  chart=chart, trend_rows=list(zip(labels, averages, strict=True)),
                  prev_m=_m(*service.previous(year, month)), closed=service.is_closed(estate, year, month))


@bp.route("/year")
def year_view(errors=None, status=200):
    """The manager's year: checks 20% + monthly results 30% + year-end 50% + bonus (001)."""
    _supervisor()
    year = request.args.get("y", type=int) or service.local_month(clock.now(), _estate().timezone)[0]
    if not 2000 <= year <= 2100:
        abort(404)
    return render("assessment/year.html", status=status, rows=service.annual_rows(_estate().id, year), year=year,
                  form=AnnualForm(), errors=errors or {})


@bp.route("/year/<int:user_id>", methods=["POST"])
def year_save(user_id):
    _supervisor()
    person = _person(user_id)
    year = request.args.get("y", type=int) or service.local_month(clock.now(), _estate().timezone)[0]
    form = AnnualForm()
    if not form.validate_on_submit():
        return year_view(errors={person.id: [e for errs in form.errors.values() for e in errs]}, status=422)
    try:
        service.save_annual(_estate().id, person, year, current_user, form.checks.data, form.year_end.data,
                            form.bonus.data, form.note.data or "")
    except service.AssessmentError as exc:
        return year_view(errors={person.id: [exc.message]}, status=exc.status)
    return redirect(url_for("assessment.year_view", y=year), code=303)


@bp.route("/settings", methods=["GET"])
def settings(errors=None, status=200):
    """设置 › 考核: points and on/off per rule, the lateness tolerance, the appeal window."""
    _supervisor()
    cfg = service.config_of(_estate().id)
    from bluebird.assessment.models import RuleSet

    return render("assessment/settings.html", status=status, rows=rulebook.ROWS, cfg=cfg, errors=errors or {},
                  history=list(RuleSet.history(_estate().id).limit(20)))


@bp.route("/settings", methods=["POST"])
def settings_save():
    _supervisor()
    points, on, errors = {}, {}, {}
    for row in rulebook.ROWS:
        value = request.form.get(f"points-{row.code}", "").strip()
        try:
            points[row.code] = int(value)
            if not -100 <= points[row.code] <= 100:
                raise ValueError
        except ValueError:
            errors[row.code] = _("Points from -100 to 100.")
        on[row.code] = request.form.get(f"on-{row.code}") == "y"
    tolerance, appeal_days = request.form.get("tolerance", "").strip(), request.form.get("appeal_days", "").strip()
    if not tolerance.isdigit() or int(tolerance) > 24 * 60:
        errors["tolerance"] = _("Minutes from 0 to 1440.")
    if not appeal_days.isdigit() or not 1 <= int(appeal_days) <= 30:
        errors["appeal_days"] = _("Days from 1 to 30.")
    if errors:
        return settings(errors=errors, status=422)
    service.save_config(_estate().id, current_user, points, on, int(tolerance), int(appeal_days))
    return redirect(url_for("assessment.settings"), code=303)


@bp.route("/people/<int:user_id>/cards/<any(scorecard8, deqin, aftersales):kind>", methods=["GET"])
def card(user_id, kind, errors=None, status=200):
    """A sheet the supervisor fills in (003 篇3's 8 items, 001's 德勤能绩), printable."""
    person = _person(user_id)
    year, month = _month()
    view = service.card_view(rulebook.CARDS[kind], person, year, month, _estate())
    own = service.sheet_view(_estate(), person, year, month)
    return render("assessment/card.html", status=status, person=person, year=year, month=month, v=view,
                  errors=errors or {}, sheet_score=own.score, can_edit=current_user.supervises and not
                  (own.sheet is not None and own.sheet.frozen), values=request.form if errors else None)


@bp.route("/people/<int:user_id>/cards/<any(scorecard8, deqin, aftersales):kind>", methods=["POST"])
def card_save(user_id, kind):
    _supervisor()
    person = _person(user_id)
    year, month = _month()
    the_card = rulebook.CARDS[kind]
    points, errors = {}, {}
    computed = service.card_view(the_card, person, year, month, _estate())["computed"]
    for code, _label, most in the_card.items:
        if code in computed:
            continue
        text = request.form.get(code, "").strip()
        if not text.isdigit() or int(text) > most:
            errors[code] = _("0 to %(most)s points.", most=most)
        else:
            points[code] = int(text)
    if errors:
        return card(user_id, kind, errors=errors, status=422)
    try:
        service.save_card(_estate(), person, year, month, the_card, current_user, points,
                          request.form.get("note", ""), skip=computed)
    except service.AssessmentError as exc:
        return card(user_id, kind, errors={exc.field or "_": exc.message}, status=exc.status)
    return redirect(url_for("assessment.card", user_id=person.id, kind=kind, m=_m(year, month)), code=303)
