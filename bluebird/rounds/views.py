"""Rounds on the phone: start, one big item at a time, finish with a summary; QR scans."""
import base64
import binascii

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from bluebird import clock
from bluebird.auth import roles
from bluebird.cases.service import find_unit
from bluebird.duties.models import Duty
from bluebird.duties.rules import register_link
from bluebird.estate.models import Patch
from bluebird.photos import service as photos
from bluebird.photos.models import Attachment
from bluebird.renovations.models import Permit
from bluebird.rounds import checkpoints, engine, kinds, service
from bluebird.rounds.engine import RoundError
from bluebird.rounds.forms import FinishForm, ItemForm, StartForm
from bluebird.rounds.models import CheckpointVisit, ItemResult, Round, TemplateItem
from bluebird.rounds.schedule import DUTY_OF_KIND
from bluebird.timeline.models import Event, once
from bluebird.web import estate_id, get_scoped_or_404, render

bp = Blueprint("rounds", __name__, url_prefix="/rounds")
# Round duties (patrol of a patch, walks, lobby check) are done by starting a round.
register_link("patch", lambda rest: url_for("rounds.index"))
register_link("estate", lambda rest: url_for("rounds.index"))

WHO_STARTS = {
    kinds.PATROL: (roles.BUTLER,),
    kinds.WALK: (roles.MANAGER, roles.ADMIN),
    kinds.LOBBY: (roles.RECEPTION, roles.MANAGER),
    kinds.VACANT: (roles.BUTLER, roles.MANAGER),
    kinds.MOVEIN: (roles.BUTLER, roles.RECEPTION, roles.MANAGER),
    kinds.RENOVATION: (roles.BUTLER, roles.MANAGER),
    kinds.ACCEPTANCE: (roles.BUTLER, roles.MANAGER),
    kinds.QUALITY: (roles.INSPECTOR, roles.MANAGER, roles.ADMIN),
}


@bp.before_request
@login_required
def _login():
    pass


def _startable():
    return [k for k, who in WHO_STARTS.items() if current_user.role in who]


@bp.route("/")
def index():
    """My open rounds to resume, today's round duties, what I can start, the latest rounds."""
    mine = list(Round.open_by(current_user).order_by(Round.started_at.desc()))
    duties = [d for d in Duty.open_for(current_user, limit=50).limit(50) if d.kind in DUTY_OF_KIND.values()]
    permits = list(Permit.in_estate(estate_id()).where(Permit.status.in_(["approved", "in_progress"])))
    form = StartForm()
    form.permit.choices = [(p.id, f"{p.unit.code} · {p.contractor}") for p in permits]
    return render("rounds/index.html", mine=mine, duties=duties, startable=_startable(), form=form,
                  recent=list(Round.recent(estate_id(), limit=20)), labels=kinds.LABELS, now=clock.now())


@bp.route("/start", methods=["POST"])
def start():
    """Start a round of a kind at a place (a patch, a unit, a permit or the estate)."""
    form = StartForm()
    kind = form.kind.data
    if kind not in WHO_STARTS or current_user.role not in WHO_STARTS[kind] or not form.validate_on_submit():
        abort(403 if kind in WHO_STARTS else 400)
    place = _place(kind, form)
    if place is None:
        flash(_("Choose where: a unit of this estate, or an active renovation."), "error")
        return redirect(url_for("rounds.index"), code=303)
    try:
        round_ = engine.start(form.client_uuid.data, estate_id=estate_id(), user=current_user, kind=kind, **place)
    except RoundError as exc:
        flash(exc.message, "error")
        return redirect(url_for("rounds.index"), code=303)
    return redirect(url_for("rounds.show", round_id=round_.id), code=303)


def _place(kind, form):
    if kind == kinds.PATROL:
        if not current_user.patch_id:
            return None
        patch = Patch.get_by_id(current_user.patch_id)
        return {"place_kind": "patch", "place_id": patch.id, "place_label": patch.name}
    if kind in (kinds.VACANT, kinds.MOVEIN):
        unit = find_unit(estate_id(), form.unit_code.data)
        return unit and {"place_kind": "unit", "place_id": unit.id, "place_label": unit.code}
    if kind in (kinds.RENOVATION, kinds.ACCEPTANCE):
        permit = Permit.get_or_none((Permit.id == form.permit.data) & (Permit.estate == estate_id()))
        return permit and {"place_kind": "permit", "place_id": permit.id, "place_label": permit.unit.code}
    estate = current_user.estate
    return {"place_kind": "estate", "place_id": estate.id, "place_label": (form.place.data or estate.name).strip()}


def _finish_form(round_, form=None):
    form = form or FinishForm(formdata=None)
    if round_.kind == kinds.MOVEIN and round_.is_open:
        owners = service.owners_of(round_)
        form.owner_id.choices = [(r.id, f"{r.name} · {r.relation_label} · {r.masked_phone}") for r in owners]
        form.owner_id.choices.append((0, _("A new owner (enter below)")))
        if not getattr(form.owner_id, "raw_data", None):  # not chosen yet: the unit's owner, if known
            form.owner_id.data = owners[0].id if owners and owners[0].relation == "owner" else 0
    return form


def _round_page(round_, status=200, item_form=None, finish_form=None, error=None, gaps=(), current_id=None,
                unstamped=()):
    items = engine.items_of(round_)
    results = engine.results_by_item(round_)
    wanted = current_id or request.args.get("item", type=int)
    current = next((i for i in items if i.id == wanted), None) or next((i for i in items if i.id not in results), None)
    if item_form is None:
        # Never bound to this request: a finish error must not fill the item's note.
        prior = results.get(current.id) if current else None
        item_form = (ItemForm(formdata=None, note=prior.note, deduction=prior.deduction)
                     if prior is not None and prior.result == "fail" else ItemForm(formdata=None))
    photo_map = Attachment.for_subjects([r.subject for r in results.values()])
    visits = list(CheckpointVisit.of_round(round_.id)) if round_.kind == kinds.PATROL else []
    position = items.index(current) + 1 if current in items else len(items)
    return render(
        "rounds/show.html", status=status, round=round_, items=items, results=results, current=current,
        position=position, answered=len([i for i in items if i.id in results]), photo_map=photo_map,
        item_form=item_form, finish_form=_finish_form(round_, finish_form), error=error,
        gaps={item.id: why for item, why in gaps}, visits=visits, route=engine.route(round_) if round_.is_open else [],
        visited={v.checkpoint_id for v in visits}, unstamped=unstamped, can_write=engine.may_write(round_, current_user),
        failures=service.failures(round_) if not round_.is_open else [],
        sections=engine.section_scores(round_) if round_.kind in kinds.SCORED and not round_.is_open else [],
        signature=None if round_.is_open else Attachment.for_subject(f"signature:{round_.id}").first(),
        labels=kinds.LABELS,
        scored=round_.kind in kinds.SCORED, result_labels=kinds.RESULTS,
    )


@bp.route("/<int:round_id>")
def show(round_id):
    """The round: progress, the current item big, the rest one tap away; or its summary."""
    return _round_page(get_scoped_or_404(Round, round_id))


def _item_error(round_, form, item_id, message, status, field=None):
    """Show the refused answer as it was sent: its box open, the message at its field."""
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, message]
        return _round_page(round_, status=status, item_form=form, current_id=item_id)
    return _round_page(round_, status=status, item_form=form, error=message, current_id=item_id)


@bp.route("/<int:round_id>/items/<int:item_id>", methods=["POST"])
def submit(round_id, item_id):
    """Record one item: OK, fail (with note and photos) or N/A; then on to the next."""
    round_ = get_scoped_or_404(Round, round_id)
    form = ItemForm()
    try:
        engine.require_writer(round_, current_user)  # before anything is read from the form
    except RoundError as exc:
        return _round_page(round_, status=exc.status, error=exc.message)
    if not form.validate_on_submit():
        return _round_page(round_, status=422, item_form=form, current_id=item_id)
    try:
        if form.item_id.data and form.item_id.data != str(item_id):
            raise RoundError(_l("This answer was for another item. Reload the round and answer again."),
                             status=409)
        blobs = photos.read_uploads(request.files.getlist("photos"))
        done = service.submit_item(round_, item_id=item_id, result=form.result.data, actor=current_user,
                                   note=form.note.data or "", deduction=form.deduction.data,
                                   client_uuid=form.client_uuid.data, blobs=blobs)
    except RoundError as exc:
        return _item_error(round_, form, item_id, exc.message, exc.status, exc.field)
    except photos.PhotoError as exc:
        return _item_error(round_, form, item_id, exc.message, exc.status, "photos")
    if done.opened:
        flash(_("A case was opened for this failure."), "ok")
    elif done.notice:
        flash(str(done.notice), "ok")
    return redirect(url_for("rounds.show", round_id=round_.id), code=303)


@bp.route("/<int:round_id>/finish", methods=["POST"])
def finish(round_id):
    """Finish the round: checks what is missing, takes the owner's signature at a move-in."""
    round_ = get_scoped_or_404(Round, round_id)
    form = FinishForm()
    if not form.validate_on_submit():
        return _round_page(round_, status=422, finish_form=form)
    signature = None
    if form.signature_data.data:
        raw = form.signature_data.data.split(",", 1)[-1]
        try:
            signature = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            signature = b"not a png"
    try:  # a replay of a finish already done (same client_uuid) does nothing and lands here too
        once(request.form.get("client_uuid"), estate_id=round_.estate_id, actor_id=current_user.id,
             subject=round_.subject, conflict=RoundError, action=lambda: service.finish(
                 round_, current_user, note=form.note.data or "", keys_note=form.keys_note.data or "",
                 signature=signature, owner_id=form.owner_id.data, owner_name=form.owner_name.data or "",
                 owner_phone=form.owner_phone.data or "", unstamped_ok=form.unstamped_ok.data == "1"))
    except service.FieldErrors as exc:
        for name, message in exc.errors.items():
            getattr(form, name).errors.append(message)
        return _round_page(round_, status=exc.status, finish_form=form, error=exc.message)
    except RoundError as exc:
        return _round_page(round_, status=exc.status, finish_form=form, error=exc.message, gaps=exc.items,
                           unstamped=exc.unstamped)
    return redirect(url_for("rounds.show", round_id=round_.id), code=303)


@bp.route("/<int:round_id>/reinspect", methods=["POST"])
def reinspect(round_id):
    """Start a re-inspection of a move-in's open defects (whoever may walk a move-in)."""
    parent = get_scoped_or_404(Round, round_id)
    if current_user.role not in WHO_STARTS[kinds.MOVEIN]:
        abort(403)
    if parent.kind != kinds.MOVEIN or parent.is_open:
        abort(409)
    child = engine.start(request.form.get("client_uuid"), estate_id=estate_id(), user=current_user,
                         kind=kinds.REINSPECT, place_kind=parent.place_kind, place_id=parent.place_id,
                         place_label=parent.place_label, parent=parent)
    return redirect(url_for("rounds.show", round_id=child.id), code=303)


@bp.route("/scan/<token>")
def scan(token):
    """A scanned checkpoint code: stamp it in my running patrol (starting one if needed)."""
    checkpoint = checkpoints.resolve(token, estate_id())
    if checkpoint is None:
        return render("rounds/scan_error.html", status=404)
    patrol = Round.open_by(current_user, kinds.PATROL).order_by(Round.started_at.desc()).first()
    if patrol is None:
        if current_user.role != roles.BUTLER or not current_user.patch_id:
            return render("rounds/scan_error.html", status=409, checkpoint=checkpoint)
        patch = Patch.get_by_id(current_user.patch_id)
        patrol = engine.start(None, estate_id=estate_id(), user=current_user, kind=kinds.PATROL,
                              place_kind="patch", place_id=patch.id, place_label=patch.name)
    try:
        visit, fresh = checkpoints.stamp(patrol, checkpoint, current_user)
    except RoundError as exc:
        flash(exc.message, "error")
        return redirect(url_for("rounds.show", round_id=patrol.id), code=303)
    flash(_("Checked in at %(name)s.", name=checkpoint.name) if fresh else
          _("%(name)s was already checked in on this patrol.", name=checkpoint.name), "ok")
    return redirect(url_for("rounds.show", round_id=patrol.id), code=303)


@bp.route("/quality")
def quality():
    """The 100-point inspections: totals, sub-scores and the trend."""
    rounds = list(Round.select().where((Round.estate == estate_id()) & (Round.kind == kinds.QUALITY)
                                       & Round.finished_at.is_null(False)).order_by(Round.finished_at.desc()).limit(24))
    return render("rounds/quality.html", rounds=rounds, sections={r.id: engine.section_scores(r) for r in rounds})


@bp.route("/<int:round_id>/timeline")
def timeline(round_id):
    """A round's timeline (started, items, finished, signed)."""
    round_ = get_scoped_or_404(Round, round_id)
    return render("rounds/timeline.html", round=round_, events=list(Event.timeline(subject=round_.subject)))


def item_text(item: TemplateItem) -> tuple[str, str]:
    return item.shown(str(current_user.locale))


@bp.app_template_global()
def round_item_text(item):
    """(section, text) of a checklist item in the reader's language."""
    return item_text(item)


__all__ = ["bp", "ItemResult"]
