"""The owner's own survey: a signed single-use link that expires, a public page that shows only
its own case, answers only supervisors read, and statistics apart from the phone verdicts."""
import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image

from bluebird import clock
from bluebird.cases import service as cases
from bluebird.cases.models import Case
from bluebird.photos.models import Attachment
from bluebird.survey import service, tokens
from bluebird.survey.models import Answer, Invitation, Score, SurveyRound
from bluebird.timeline.models import Event
from tests import factories

NOW = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


@pytest.fixture
def site(estate, butler, technician, manager):
    clock.set_now(NOW)
    technician.phone = "13700009999"
    technician.name = "李师傅"
    technician.save()
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, name="张伟", phone="13912345678")
    neighbour = factories.make_unit(building, "1601")
    factories.make_resident(neighbour, name="王芳", phone="13811112222")
    return {"building": building, "unit": unit, "neighbour": neighbour}


def closed_repair(unit, butler, technician, verdict="satisfied"):
    """A repair done by the technician whose satisfaction call closes it (and makes the link)."""
    case = factories.make_case(unit, butler, assignee=technician, status="done", done_at=clock.now(),
                               arrived_at=clock.now(), dispatched_at=clock.now(), work_done="换了阀门")
    cases.log_call(case, butler, "satisfaction", reached=True, satisfaction=verdict)
    return Case.get_by_id(case.id)


def link(app, invitation):
    with app.app_context():
        return f"/s/{tokens.token_for(invitation)}"


def answers_of(kind="repair", score="5", **extra):
    from bluebird.survey.questions import QUESTIONS

    data = {q: score for q in QUESTIONS[kind]}
    data.update({"comment": "师傅很专业", **extra})
    return data


def _counts():
    return (Answer.select().count(), Score.select().count(), Attachment.select().count(), Event.select().count())


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 160, 200)).save(buf, "JPEG")
    return buf.getvalue()


def test_closing_a_repair_makes_one_link_that_shows_only_its_own_case(app, client, site, butler, technician):
    case = closed_repair(site["unit"], butler, technician)
    other = closed_repair(site["neighbour"], butler, technician)
    inv = Invitation.get(Invitation.case == case.id)
    assert inv.unit_id == site["unit"].id and inv.kind == "repair" and inv.answered_at is None
    assert inv.expires_at == NOW + timedelta(days=14)
    page = client.get(link(app, inv))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert case.number in html and "李师傅" in html and "已关闭" in html
    # Nothing of anybody else: no staff phone, no residents, no other household or case.
    for secret in ("13700009999", "13912345678", "张伟", "王芳", "13811112222", other.number, "3-1601",
                   "厨房水管漏水", "换了阀门"):
        assert secret not in html, secret
    assert "<script" not in html
    assert "满意度调查" in html  # Chinese with no login and no language chosen


def test_an_answer_is_stored_against_the_case_and_household_once(app, client, site, butler, technician):
    case = closed_repair(site["unit"], butler, technician)
    inv = Invitation.get(Invitation.case == case.id)
    url = link(app, inv)
    response = client.post(url, answers_of(note="阳台还有点渗水"))
    assert response.status_code == 303
    answer = Answer.get()
    assert (answer.case_id, answer.unit_id, answer.building_id) == (case.id, site["unit"].id, site["building"].id)
    assert {s.question: s.score for s in answer.scores} == {"speed": 5, "quality": 5, "attitude": 5, "overall": 5}
    assert answer.comment == "师傅很专业"
    verbs = [e.verb for e in Event.for_subject(case.subject)]
    assert "owner_survey" in verbs and "owner_comment" in verbs
    # The timeline says he answered, never what he scored or his private comment.
    assert all("师傅很专业" not in e.detail for e in Event.for_subject(case.subject))
    thanks = client.get(url)
    assert thanks.status_code == 200 and "谢谢" in thanks.get_data(as_text=True)
    # Used: the same link again stores nothing and says so kindly.
    before = _counts()
    again = client.post(url, answers_of(score="1"))
    assert again.status_code == 410 and "已经填写" in again.get_data(as_text=True)
    assert _counts() == before
    assert client.get(url).status_code == 410


def test_a_link_expires_and_an_expired_link_stores_nothing(app, client, site, butler, technician):
    case = closed_repair(site["unit"], butler, technician)
    inv = Invitation.get(Invitation.case == case.id)
    url = link(app, inv)
    client.token()
    clock.advance(days=13, hours=23)
    assert client.get(url).status_code == 200
    clock.advance(hours=1)
    page = client.get(url)
    assert page.status_code == 410 and "已过期" in page.get_data(as_text=True)
    before = _counts()
    assert client.post(url, answers_of()).status_code == 410
    assert _counts() == before and Invitation.get_by_id(inv.id).answered_at is None


def test_a_forged_or_foreign_token_opens_nothing(app, client, site, butler, technician):
    first = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    second = Invitation.get(Invitation.case == closed_repair(site["neighbour"], butler, technician).id)
    good = link(app, first)
    signature = good.rsplit(".", 1)[1]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (f"/s/{first.id}.{flipped}", f"/s/{second.id}.{signature}", f"/s/{first.id}", "/s/x",
                f"/s/{first.id}.{'A' * 22}", "/s/0.AAAAAAAAAAAAAAAAAAAAAA"):
        page = client.get(bad)
        assert page.status_code == 404, bad
        assert "链接无效" in page.get_data(as_text=True)
        assert client.post(bad, answers_of()).status_code == 404
    assert Answer.select().count() == 0
    # Another app secret signs differently: a link is not made from the database alone.
    with app.app_context():
        app.config["SECRET_KEY"], saved = "another-secret", app.config["SECRET_KEY"]
        try:
            assert tokens.token_for(first) != good.removeprefix("/s/")
        finally:
            app.config["SECRET_KEY"] = saved
    # A reissued link kills the old one.
    service.reissue(first, butler)
    assert client.get(good).status_code == 404


def test_the_public_page_holds_csrf(app, client, site, butler, technician):
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    response = client.post(link(app, inv), answers_of(), csrf=False)
    assert response.status_code == 400 and "重新打开" in response.get_data(as_text=True)
    assert Answer.select().count() == 0


def test_every_question_must_be_answered(app, client, site, butler, technician):
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    data = answers_of()
    del data["quality"]
    response = client.post(link(app, inv), data)
    assert response.status_code == 422 and "请选择" in response.get_data(as_text=True)
    data["speed"] = "9"
    assert client.post(link(app, inv), {**data, "quality": "4"}).status_code == 422
    assert Answer.select().count() == 0 and Invitation.get_by_id(inv.id).answered_at is None


def test_a_non_image_photo_is_refused_and_nothing_stored(app, client, site, butler, technician):
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    before = _counts()
    response = client.post(link(app, inv), {**answers_of(), "photos": (io.BytesIO(b"%PDF-1.4 not a photo"), "a.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 415
    assert "不是照片" in response.get_data(as_text=True) or "JPEG" in response.get_data(as_text=True)
    assert _counts() == before and Invitation.get_by_id(inv.id).answered_at is None


def test_an_owners_photo_lands_on_the_case(app, client, site, butler, technician):
    case = closed_repair(site["unit"], butler, technician)
    inv = Invitation.get(Invitation.case == case.id)
    response = client.post(link(app, inv), {**answers_of(), "photos": (io.BytesIO(_jpeg()), "p.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    photo = Attachment.get(Attachment.subject == case.subject)
    assert photo.by_id is None  # no staff uploaded it: the owner did
    assert "owner_photos" in [e.verb for e in Event.for_subject(case.subject)]


def test_the_public_page_is_rate_limited_with_a_friendly_page(app, client, site, butler, technician):
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    url = link(app, inv)
    app.config["SURVEY_LIMIT"] = "3 per minute"
    try:
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
        page = client.get(url)
        assert page.status_code == 429 and "请稍候" in page.get_data(as_text=True)
        assert client.post(url, answers_of()).status_code == 429
        assert Answer.select().count() == 0
    finally:
        del app.config["SURVEY_LIMIT"]


def test_individual_answers_are_for_supervisors_only(app, client, site, butler, technician, butler_client,
                                                      manager_client, tech_client, reception_client, other_estate):
    case = closed_repair(site["unit"], butler, technician)
    inv = Invitation.get(Invitation.case == case.id)
    client.post(link(app, inv), answers_of(comment="管家很负责"))
    answer = Answer.get()
    for c in (butler_client, tech_client, reception_client):
        assert c.get("/survey/answers").status_code == 403
        assert c.get(f"/survey/answers/{answer.id}").status_code == 403
        assert c.get("/survey/stats").status_code == 403
    listing = manager_client.get("/survey/answers").get_data(as_text=True)
    assert "3-1502" in listing and "管家很负责" in listing
    detail = manager_client.get(f"/survey/answers/{answer.id}").get_data(as_text=True)
    assert "电话回访时告知" in detail and "管家很负责" in detail
    # The case page offers the butler the link, never the answer.
    page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "管家很负责" not in page and f"/survey/invitations/{inv.id}" in page
    # Another estate's answer and link are not found.
    foreign_user = factories.make_user(other_estate, role="manager")
    foreign_unit = factories.make_unit(factories.make_building(other_estate, "9"), "901")
    foreign = closed_repair(foreign_unit, foreign_user, foreign_user)
    foreign_inv = Invitation.get(Invitation.case == foreign.id)
    assert manager_client.get(f"/survey/invitations/{foreign_inv.id}").status_code == 404
    assert manager_client.post(f"/survey/invitations/{foreign_inv.id}/reissue").status_code == 404


def test_the_butler_shows_a_qr_code_and_a_link_to_forward(app, site, butler, technician, butler_client):
    case = closed_repair(site["unit"], butler, technician)
    inv = Invitation.get(Invitation.case == case.id)
    page = butler_client.get(f"/survey/invitations/{inv.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<svg viewBox="0 0' in html and 'class="qr"' in html
    assert "http://localhost" + link(app, inv) in html and "data-copy" in html
    assert "3-1502" in butler_client.get("/survey/").get_data(as_text=True)


def test_an_expired_link_can_be_reissued(app, client, site, butler, technician, butler_client):
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    old = link(app, inv)
    clock.advance(days=15)
    assert butler_client.post(f"/survey/invitations/{inv.id}/reissue").status_code == 303
    fresh = Invitation.get_by_id(inv.id)
    assert fresh.expires_at == clock.now() + timedelta(days=14)
    assert client.get(old).status_code == 404 and client.get(link(app, fresh)).status_code == 200


def test_a_supervisor_starts_a_periodic_survey_of_a_building(app, client, site, estate, manager_client,
                                                             butler_client):
    factories.make_unit(site["building"], "1701", status="vacant")  # nobody to ask
    other = factories.make_building(estate, "5")
    factories.make_unit(other, "101")
    assert butler_client.post("/survey/rounds", {"building": str(site["building"].id), "title": "x"}).status_code == 403
    response = manager_client.post("/survey/rounds", {"building": str(site["building"].id), "title": "2026年冬季满意度调查",
                                                      "client_uuid": "6c1f8a52-6a3e-4c39-9f0e-3a1b8a7e2d10"})
    assert response.status_code == 303
    survey = SurveyRound.get()
    assert survey.invited == 2
    assert {i.unit_id for i in Invitation.select()} == {site["unit"].id, site["neighbour"].id}
    # A replay starts nothing more.
    manager_client.post("/survey/rounds", {"building": str(site["building"].id), "title": "2026年冬季满意度调查",
                                           "client_uuid": "6c1f8a52-6a3e-4c39-9f0e-3a1b8a7e2d10"})
    assert Invitation.select().count() == 2
    inv = Invitation.get(Invitation.unit == site["unit"].id)
    page = client.get(link(app, inv)).get_data(as_text=True)
    assert "管家服务" in page and "owner-case" not in page
    assert client.post(link(app, inv), answers_of("periodic", "4")).status_code == 303
    assert Answer.get().kind == "periodic" and Answer.get().case_id is None
    assert "1 / 2" in manager_client.get("/survey/").get_data(as_text=True)


def test_a_periodic_survey_refuses_another_estates_building(site, other_estate, manager_client):
    foreign = factories.make_building(other_estate, "9")
    factories.make_unit(foreign, "901")
    response = manager_client.post("/survey/rounds", {"building": str(foreign.id), "title": "调查"})
    assert response.status_code == 422 and "请选择本小区的楼栋" in response.get_data(as_text=True)
    assert SurveyRound.select().count() == 0 and Invitation.select().count() == 0


def _answer(unit, kind, target, at, scores, case=None):
    inv = Invitation.create(estate=unit.estate_id, unit=unit, building=unit.building_id, kind=kind, target=target,
                            nonce=tokens.new_nonce(), created_at=at, expires_at=at + timedelta(days=14), case=case)
    answer = Answer.create(estate=unit.estate_id, invitation=inv, unit=unit, building=unit.building_id, kind=kind,
                           target=target, answered_at=at, case=case)
    for q, s in scores.items():
        Score.create(answer=answer, question=q, score=s)
    return answer


def test_statistics_match_a_hand_counted_fixture(app, estate, butler, manager_client):
    clock.set_now(datetime(2026, 11, 23, 2, 0))
    b3, b5 = factories.make_building(estate, "3"), factories.make_building(estate, "5")
    u3, u5 = factories.make_unit(b3, "101"), factories.make_unit(b5, "202")
    rep = {"speed": 5, "quality": 4, "attitude": 5, "overall": 4}
    # October (local): two repair answers in building 3 (overall 4 and 2), one complaint in 5 (overall 5).
    _answer(u3, "repair", "water", datetime(2026, 10, 5, 1), rep)
    _answer(u3, "repair", "water", datetime(2026, 10, 20, 1), {**rep, "overall": 2, "quality": 2})
    _answer(u5, "complaint", "design", datetime(2026, 10, 31, 17), {"speed": 3, "result": 4, "attitude": 5,
                                                                     "overall": 5})  # 11-01 01:00 local: November
    # November: one periodic answer in 5 (overall 3).
    _answer(u5, "periodic", "", datetime(2026, 11, 10, 1), {"butler": 5, "cleaning": 4, "safety": 3, "repairs": 2,
                                                            "overall": 3})
    # A phone verdict: counted apart, never in the figures above.
    factories.make_case(u3, butler, status="closed", closed_at=datetime(2026, 11, 2, 1), satisfaction="unsatisfied")
    from bluebird.survey import stats

    months = {m.label: m for m in stats.monthly(estate, 2026, 11)}
    assert (months["2026-10"].answers, months["2026-10"].overall.n, months["2026-10"].overall.rate) == (2, 2, 50.0)
    assert months["2026-10"].overall.average == 3.0 and months["2026-10"].invited == 2
    nov = months["2026-11"]
    assert (nov.answers, nov.overall.n, nov.overall.satisfied) == (2, 2, 1)
    assert nov.overall.rate == 50.0 and nov.overall.average == 4.0
    assert nov.by_question["speed"].n == 1 and nov.by_question["speed"].rate == 0.0
    with app.test_request_context():  # the target labels are in the reader's language (Chinese by default)
        half = stats.half_year(estate, 2026, 2)
    assert half.answers == 4
    assert (half.by_question["overall"].n, half.by_question["overall"].satisfied) == (4, 2)
    assert half.by_question["speed"].n == 3 and half.by_question["speed"].average == round(13 / 3, 2)
    assert half.by_question["quality"].rate == 50.0
    assert {k: (t.n, t.rate) for k, t in half.by_building.items()} == {"3": (2, 50.0), "5": (2, 50.0)}
    assert {k: (t.n, t.average) for k, t in half.by_target.items()} == {
        "报修 · 水": (2, 3.0), "投诉 · 设计": (1, 5.0), "定期调查": (1, 3.0)}
    assert stats.phone_verdicts(estate, datetime(2026, 11, 1), datetime(2026, 12, 1)) == {
        "satisfied": 0, "basic": 0, "unsatisfied": 1}
    page = manager_client.get("/survey/stats?month=2026-11&half=2026-H2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('class="chart"') == 3 and "电话回访时告知" in html
    row = re.search(r'data-month="2026-10">(.*?)</tr>', html, re.S).group(1)
    assert "50.0%" in row and "3.0" in row
    assert manager_client.get("/survey/stats?month=junk&half=nope").status_code == 200


def test_two_submissions_racing_on_one_link_store_one_answer(app, site, butler, technician):
    """Both requests found the link open; the claim in the write lets only the first through."""
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    stale = Invitation.get_by_id(inv.id)
    scores = {"speed": 5, "quality": 5, "attitude": 5, "overall": 5}
    with app.test_request_context():
        assert service.submit(inv, scores=scores, note="第一次") == service.VALID
        before = _counts()
        assert service.submit(stale, scores={**scores, "overall": 1}, note="第二次") == service.USED
    assert _counts() == before and [s.score for s in Answer.get().scores if s.question == "overall"] == [5]


def test_a_cancelled_case_or_a_public_area_repair_makes_no_link(site, butler, technician, manager):
    public = factories.make_case(site["unit"], butler, place="北门", status="done", assignee=technician)
    public.unit = None
    public.save()
    cases.log_call(public, butler, "satisfaction", reached=True, satisfaction="satisfied")
    duplicate = factories.make_case(site["unit"], butler)
    cases.cancel(duplicate, manager, "重复登记")
    assert Invitation.select().count() == 0


def test_an_oversized_upload_is_refused_kindly_and_stores_nothing(app, client, site, butler, technician):
    inv = Invitation.get(Invitation.case == closed_repair(site["unit"], butler, technician).id)
    url = link(app, inv)
    client.token()
    app.config["SURVEY_MAX_REQUEST_BYTES"] = 50_000
    try:
        before = _counts()
        response = client.post(url, {**answers_of(), "photos": (io.BytesIO(b"\xff" * 80_000), "big.jpg")},
                               content_type="multipart/form-data")
        assert response.status_code == 413 and "照片太大" in response.get_data(as_text=True)
        assert _counts() == before and Invitation.get_by_id(inv.id).answered_at is None
    finally:
        del app.config["SURVEY_MAX_REQUEST_BYTES"]
