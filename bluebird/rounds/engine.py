"""Start a round, record each item, finish it: the one engine behind every kind of walk."""
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.db import create_once, db, parse_uuid
from bluebird.rounds import kinds
from bluebird.rounds.models import ItemResult, Round, Template, TemplateItem
from bluebird.rounds.seeds import SEEDS
from bluebird.timeline.models import record


class RoundError(Exception):
    """A step that cannot be done; `status` is the HTTP answer, `items` what is missing."""

    def __init__(self, message, status=409, items=()):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.items = list(items)


def seed_template(estate_id, family, user_id=None) -> Template:
    """Create version 1 of a seeded checklist for an estate."""
    name, name_en, sections = SEEDS[family]
    with db.atomic():
        template = Template.create(estate=estate_id, family=family, name=name, name_en=name_en, version=1,
                                   created_by=user_id)
        position = 0
        for section, section_en, items in sections:
            for text, text_en, points, flags in items:
                position += 1
                TemplateItem.create(
                    template=template, position=position, section=section, section_en=section_en, text=text,
                    text_en=text_en, points=points, needs_photo="P" in flags, needs_note="N" in flags,
                    opens_case="repair" if "R" in flags else ("incident" if "I" in flags else ""),
                    veto="V" in flags,
                )
    return template


def template_for(estate_id, kind) -> Template:
    """The current checklist for a kind, seeding it the first time an estate needs it."""
    family = kinds.FAMILY.get(kind, kind)
    template = Template.current(estate_id, family)
    if template is None and family in SEEDS:
        template = seed_template(estate_id, family)
    if template is None:
        raise RoundError(_l("There is no checklist for this kind of round yet."), status=404)
    return template


def start(client_uuid, *, estate_id, user, kind, place_kind, place_id, place_label, parent=None) -> Round:
    """Begin a round (a replayed client_uuid returns the round it began)."""
    template = parent.template if parent is not None else template_for(estate_id, kind)
    round_, created = create_once(
        Round, client_uuid, estate=estate_id, kind=kind, template=template, place_kind=place_kind,
        place_id=place_id, place_label=place_label[:80], parent=parent, by=user.id, started_at=clock.now(),
        max_score=template.total_points if kind in kinds.SCORED else None,
    )
    if created:
        record(estate_id, round_.subject, user.id, "started", kind=kind, place=place_label)
    return round_


def items_of(round_: Round) -> list[TemplateItem]:
    """The items this round checks: all of its template, or a re-inspection's open defects."""
    items = list(round_.template.items.order_by(TemplateItem.position))
    if round_.kind == kinds.REINSPECT and round_.parent_id:
        failed = {r.item_id for r in ItemResult.select().where((ItemResult.round == round_.parent_id)
                                                                & (ItemResult.result == "fail"))}
        items = [i for i in items if i.id in failed]
    return items


def results_by_item(round_: Round) -> dict[int, ItemResult]:
    return {r.item_id: r for r in ItemResult.of_round(round_.id)}


def record_item(round_: Round, *, item_id, result, actor, note="", deduction=None, client_uuid=None):
    """Record (or change) one item's result while the round is open."""
    key = parse_uuid(client_uuid)
    if key is not None:
        replay = ItemResult.get_or_none(ItemResult.client_uuid == key)
        if replay is not None:
            return replay, False
    if not round_.is_open:
        raise RoundError(_l("This round is finished; its results can no longer change."), status=409)
    item = TemplateItem.get_or_none((TemplateItem.id == item_id) & (TemplateItem.template == round_.template_id))
    if item is None or item.id not in {i.id for i in items_of(round_)}:
        raise RoundError(_l("This item is not on this round's checklist (the checklist may have changed). "
                            "Reload the round."), status=409)
    if result not in kinds.RESULTS:
        raise RoundError(_l("Choose OK, fail or N/A."), status=422)
    points = item.points if round_.kind in kinds.SCORED else 0
    if result == "fail":
        deduction = points if deduction is None else deduction
        if not 0 <= deduction <= points:
            raise RoundError(_l("The deduction must be between 0 and %(points)d.", points=points), status=422)
    else:
        deduction = 0
    with db.atomic():
        existing = ItemResult.get_or_none((ItemResult.round == round_.id) & (ItemResult.item == item.id))
        if existing is not None:
            existing.result, existing.note, existing.deduction = result, (note or "")[:500], deduction
            existing.at, existing.by = clock.now(), actor.id
            existing.save()
            return existing, True
        row = ItemResult.create(client_uuid=key, round=round_, item=item, result=result, note=(note or "")[:500],
                                deduction=deduction, at=clock.now(), by=actor.id)
    return row, True


def missing(round_: Round, photo_counts: dict[int, int]) -> list[tuple[TemplateItem, str]]:
    """What stops this round from finishing: unanswered items, failures lacking a photo or note."""
    results = results_by_item(round_)
    gaps = []
    for item in items_of(round_):
        r = results.get(item.id)
        if r is None:
            gaps.append((item, "unanswered"))
        elif r.result == "fail" and item.needs_note and not r.note.strip():
            gaps.append((item, "note"))
        elif r.result == "fail" and item.needs_photo and not photo_counts.get(r.id):
            gaps.append((item, "photo"))
    return gaps


def score(round_: Round) -> tuple[int | None, bool]:
    """The round's score (scored kinds) and whether a veto item failed."""
    results = list(ItemResult.of_round(round_.id))
    vetoed = any(r.result == "fail" and r.item.veto for r in results)
    if round_.kind not in kinds.SCORED:
        return None, vetoed
    total = round_.template.total_points - sum(r.deduction for r in results if r.result == "fail")
    return (0 if vetoed else total), vetoed


def close(round_: Round, actor, note="", keys_note="") -> Round:
    """Mark a round finished with its score; the caller has checked what was missing."""
    value, vetoed = score(round_)
    round_.finished_at, round_.score, round_.vetoed = clock.now(), value, vetoed
    round_.note, round_.keys_note = (note or "")[:2000], (keys_note or "")[:200]
    round_.save()
    record(round_.estate_id, round_.subject, actor.id, "finished", score=value, vetoed=vetoed)
    return round_


def section_scores(round_: Round, locale=None) -> list[tuple[str, int, int]]:
    """(section, points kept, points possible) for a scored round, the section named in
    `locale` (default: the reader's)."""
    locale = str(locale or (get_locale() if has_request_context() else None) or "zh_CN")
    results = results_by_item(round_)
    sections: dict[str, list[int]] = {}
    for item in round_.template.items.order_by(TemplateItem.position):
        kept_possible = sections.setdefault(item.shown(locale)[0], [0, 0])
        r = results.get(item.id)
        lost = r.deduction if r is not None and r.result == "fail" else 0
        kept_possible[0] += item.points - lost
        kept_possible[1] += item.points
    return [(name, kept, possible) for name, (kept, possible) in sections.items()]
