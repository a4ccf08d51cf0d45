"""Survey pages: the staff's links (QR code, WeChat text), the supervisors' answers and
statistics, and the owner's public page (no login: the link's token is the only key)."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from bluebird import charts, clock
from bluebird.auth import roles
from bluebird.cases.kinds import SATISFACTION
from bluebird.cases.models import Case
from bluebird.estate.models import Building, Estate, Unit
from bluebird.extensions import limiter
from bluebird.forms import choices
from bluebird.photos import service as photos
from bluebird.survey import service, stats, tokens
from bluebird.survey.forms import OWNER_FORMS, ReissueForm, StartForm
from bluebird.survey.models import Answer, Invitation, SurveyRound
from bluebird.survey.questions import KIND_LABELS, QUESTION_LABELS, SCALE
from bluebird.web import estate_id, get_scoped_or_404, render, require_role

bp = Blueprint("survey", __name__, url_prefix="/survey")
public = Blueprint("survey_public", __name__, url_prefix="/s")

HANDS_OUT = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN)  # who shows an owner his link


@bp.before_request
@login_required
def _login():
    pass


def link_for(invitation) -> str:
    return url_for("survey_public.form", link=tokens.token_for(invitation), _external=True)


@bp.app_template_global("survey_invitation_for")
def survey_invitation_for(case):
    """The latest survey link of a case (the case page offers its QR code to the staff who hand it out)."""
    if current_user.role not in HANDS_OUT or case.closed_at is None:
        return None  # a link is only made when the case closes: an open case costs no query
    return Invitation.latest_for_case(case.id)


@bp.route("/")
def index():
    """Links waiting for an answer (a butler's: his patch), and the periodic surveys."""
    require_role(*HANDS_OUT)
    patch = current_user.patch_id if current_user.role == roles.BUTLER else None
    waiting = list(Invitation.waiting(estate_id(), patch).limit(200))
    rounds = list(SurveyRound.recent(estate_id()))
    answered = service.answered_counts([r.id for r in rounds])
    form = None
    if current_user.role in roles.SUPERVISING:
        form = _start_form()
    return render("survey/index.html", waiting=waiting, rounds=rounds, answered=answered, form=form,
                  kind_labels=KIND_LABELS)


def _start_form(**kwargs):
    form = StartForm(**kwargs)
    form.building.choices = choices([(0, _("The whole estate"))] + [(b.id, _("Building %(name)s", name=b.name))
                                                                      for b in Building.in_estate(estate_id())])
    return form


@bp.route("/rounds", methods=["POST"])
def start():
    """A supervisor starts a periodic survey: a link for every occupied household in scope."""
    require_role(*roles.SUPERVISING)
    form = _start_form()
    if form.validate_on_submit():
        try:
            survey, _created = service.start_round(form.client_uuid.data, estate=current_user.estate,
                                                   user=current_user, building_id=form.building.data or None,
                                                   title=form.title.data)
        except service.SurveyError as exc:
            form.building.errors.append(exc.message)
        else:
            flash(_("Survey started: %(n)d households have a link.", n=survey.invited), "ok")
            return redirect(url_for("survey.index"), code=303)
    elif form.building.errors:
        form.building.errors[:] = [_("Choose a building of this estate.")]
    rounds = list(SurveyRound.recent(estate_id()))
    return render("survey/index.html", status=422, waiting=[], rounds=rounds,
                  answered=service.answered_counts([r.id for r in rounds]), form=form, kind_labels=KIND_LABELS)


@bp.route("/invitations/<int:invitation_id>")
def invitation(invitation_id):
    """One household's link: a QR code to scan from this phone, or a text to forward by WeChat."""
    require_role(*HANDS_OUT)
    inv = get_scoped_or_404(Invitation, invitation_id)
    link = link_for(inv)
    qr = Markup(segno.make(link, error="m").svg_inline(scale=4, border=3, svgclass="qr", omitsize=True))
    case = Case.get_or_none(Case.id == inv.case_id) if inv.case_id else None
    return render("survey/invitation.html", inv=inv, link=link, qr=qr, case=case, form=ReissueForm(),
                  unit=Unit.get_or_none(Unit.id == inv.unit_id) if inv.unit_id else None,
                  survey_round=SurveyRound.get_or_none(SurveyRound.id == inv.survey_round_id),
                  now=clock.now(), kind_labels=KIND_LABELS)


@bp.route("/invitations/<int:invitation_id>/reissue", methods=["POST"])
def reissue(invitation_id):
    """A new link for a household whose link expired unanswered."""
    require_role(*HANDS_OUT)
    inv = get_scoped_or_404(Invitation, invitation_id)
    if not ReissueForm().validate_on_submit():
        abort(400)
    try:
        service.reissue(inv, current_user)
    except service.SurveyError as exc:
        flash(exc.message, "error")
    return redirect(url_for("survey.invitation", invitation_id=inv.id), code=303)


@bp.route("/answers")
def answers():
    """Every owner's answer, newest first: supervisors and managers only (000 §6)."""
    require_role(*roles.SUPERVISING)
    before = request.args.get("before", type=int)
    query = Answer.listing(estate_id())
    if before:
        query = query.where(Answer.id < before)
    rows = list(query.limit(51))
    more = len(rows) > 50
    rows = rows[:50]
    overall = service.overall_scores([a.id for a in rows])
    return render("survey/answers.html", rows=rows, overall=overall, more=rows[-1].id if more else None,
                  kind_labels=KIND_LABELS, scale=SCALE, target_label=stats.target_label)


@bp.route("/answers/<int:answer_id>")
def answer(answer_id):
    """One owner's answer, beside (never mixed with) what he told staff on the phone."""
    require_role(*roles.SUPERVISING)
    row = get_scoped_or_404(Answer, answer_id)
    case = Case.get_or_none(Case.id == row.case_id) if row.case_id else None
    return render("survey/answer.html", a=row, scores=list(row.scores), case=case,
                  unit=Unit.get_or_none(Unit.id == row.unit_id) if row.unit_id else None,
                  questions=QUESTION_LABELS, scale=SCALE, satisfaction=SATISFACTION, kind_labels=KIND_LABELS,
                  target_label=stats.target_label)


def _local_today(estate):
    return clock.now().replace(tzinfo=UTC).astimezone(ZoneInfo(estate.timezone)).date()


@bp.route("/stats")
def statistics():
    """Monthly figures and a half year by question, building and target (charts with their tables)."""
    require_role(*roles.SUPERVISING)
    estate = current_user.estate
    today = _local_today(estate)
    year, month = today.year, today.month
    raw = request.args.get("month", "")
    try:
        picked = datetime.strptime(raw, "%Y-%m") if raw else None
    except ValueError:
        picked = None
    if picked is not None:
        year, month = picked.year, picked.month
    half_raw = request.args.get("half", "")
    h_year, half = (today.year, 1 if today.month <= 6 else 2)
    if len(half_raw) == 7 and half_raw[:4].isdigit() and half_raw[4:] in ("-H1", "-H2"):
        h_year, half = int(half_raw[:4]), int(half_raw[-1])
    months = stats.monthly(estate, year, month)
    halfyear = stats.half_year(estate, h_year, half)
    first = datetime.combine(months[0].start, datetime.min.time())
    end = stats._month_start(year, month + 1)
    phone = stats.phone_verdicts(estate, first, end)
    labels = [m.label for m in months]
    month_chart = charts.line_chart(labels, [(_("Overall satisfaction rate %"), [m.overall.rate for m in months])],
                                    title=_("Owners' satisfaction rate by month (survey)"), y_min=0, y_max=100)
    q_labels = [str(QUESTION_LABELS[q]) for q in halfyear.by_question]
    question_chart = charts.bar_chart(q_labels, [t.rate for t in halfyear.by_question.values()],
                                      title=_("Satisfaction rate by question (survey)"), y_max=100)
    building_chart = charts.bar_chart(list(halfyear.by_building), [t.rate for t in halfyear.by_building.values()],
                                      title=_("Satisfaction rate by building (survey)"), y_max=100)
    return render("survey/stats.html", months=months, month_chart=month_chart, halfyear=halfyear,
                  question_chart=question_chart, building_chart=building_chart, phone=phone,
                  satisfaction=SATISFACTION, questions=QUESTION_LABELS, month_value=f"{year}-{month:02d}",
                  half_value=f"{h_year}-H{half}", h_year=h_year, half=half,
                  phone_from=months[0].label, phone_to=months[-1].label)


# The owner's page ------------------------------------------------------------------------

def public_limit():
    """Requests one address may make to the public survey page (config SURVEY_LIMIT)."""
    return current_app.config.get("SURVEY_LIMIT", "30 per minute")


limiter.limit(public_limit)(public)
PUBLIC_MAX_BYTES = 30 * 1024 * 1024  # three phone photos; the staff's forms allow 60 MB


@public.url_value_preprocessor
def _smaller_uploads(endpoint, values):
    # Anybody may post here: a request is held to what three photos need (config
    # SURVEY_MAX_REQUEST_BYTES). A URL preprocessor runs before every before_request,
    # so before the CSRF check reads (parses) the form.
    request.max_content_length = current_app.config.get("SURVEY_MAX_REQUEST_BYTES", PUBLIC_MAX_BYTES)


def _gone(state, status):
    thanks = state == service.USED and bool(get_flashed_messages(category_filter=["survey-thanks"]))
    return render("survey/public_gone.html", status=200 if thanks else status, state=state, thanks=thanks)


@public.errorhandler(429)
def _too_many(error):
    return render("survey/public_gone.html", status=429, state="busy", thanks=False)


@public.errorhandler(CSRFError)
def _expired_form(error):
    return render("survey/public_gone.html", status=400, state="form_expired", thanks=False)


@public.errorhandler(413)
def _too_large(error):
    return render("survey/public_gone.html", status=413, state="too_large", thanks=False)


@public.route("/<link>", methods=["GET", "POST"])
def form(link):
    """The owner's survey: his case (status, technician, when done) and the questions."""
    inv, state = service.find(link)
    if state == service.INVALID:
        return _gone(state, 404)
    if state != service.VALID:
        return _gone(state, 410)
    estate = Estate.get_by_id(inv.estate_id)
    g.survey_timezone = estate.timezone  # times and the photo watermark in the estate's zone
    owner_form = OWNER_FORMS[inv.kind]()
    case = service.owners_case(inv)
    status = 200
    if request.method == "POST":
        status = 422
        if owner_form.validate_on_submit():
            outcome = _submit(inv, owner_form, estate, case)
            if outcome == service.VALID:
                flash(_("Thank you: your answer has been received."), "survey-thanks")
                return redirect(url_for("survey_public.form", link=link), code=303)
            if outcome is not None:
                return _gone(outcome, 410)
            status = getattr(owner_form, "_status", 422)
    return render("survey/public.html", status=status, form=owner_form, case=case, estate=estate, inv=inv,
                  kind_labels=KIND_LABELS)


def _submit(inv, owner_form, estate, case):
    """Process the photos, then store the answer; None when the form gets an error to show."""
    ready = []
    if case is not None:
        try:
            blobs = photos.read_uploads(request.files.getlist(owner_form.photos.name), limit=3)
            ready = [photos.prepare(b, estate_name=estate.name, place=case.number, staff=_("Owner")) for b in blobs]
        except photos.PhotoError as exc:
            owner_form.photos.errors.append(exc.message)
            owner_form._status = exc.status
            return None
    scores = {q: int(getattr(owner_form, q).data) for q in owner_form.questions}
    try:
        return service.submit(inv, scores=scores, comment=owner_form.comment.data or "",
                              note=(owner_form.note.data or "") if case is not None else "", photos=ready)
    except service.SurveyError as exc:
        owner_form.comment.errors.append(exc.message)
        return None
