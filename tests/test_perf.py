"""Issue 16 guards: compressed pages, static files without cookies, a session cookie that
is not re-signed on every response, and the case page's query count."""
import gzip
import re
import uuid
from datetime import datetime, timedelta

import pytest

from bench._common import capture_sql
from bluebird import clock
from bluebird.cases.models import Case
from bluebird.sessions import REFRESH_AFTER
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)
CASE_PAGE_MAX_QUERIES = 9


def _static(app, client, name="app.css"):
    page = client.get("/agenda").get_data(as_text=True)
    url = re.search(r'href="(/static/' + re.escape(name) + r'\?v=[^"]+)"', page).group(1)
    assert url.endswith("v=" + app.config["STATIC_VERSION"])
    return url


def test_a_page_to_a_browser_that_accepts_gzip_is_gzipped(butler_client):
    plain = butler_client.get("/agenda")
    squeezed = butler_client.get("/agenda", headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert squeezed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in squeezed.headers["Vary"]
    assert gzip.decompress(squeezed.data) == plain.data
    assert len(squeezed.data) < len(plain.data) / 2


def test_a_browser_that_accepts_br_gets_brotli_and_static_files_are_compressed_too(app, butler_client):
    page = butler_client.get("/agenda", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert page.headers["Content-Encoding"] == "br"
    static = butler_client.get(_static(app, butler_client), headers={"Accept-Encoding": "gzip"})
    assert static.status_code == 200 and static.headers["Content-Encoding"] == "gzip"
    assert b".appbar" in gzip.decompress(static.data)
    static.close()


def test_a_static_file_sets_no_cookie_and_does_not_vary_on_it(app, butler_client):
    url = _static(app, butler_client)
    response = butler_client.get(url)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()


def test_an_old_version_of_a_static_url_is_not_marked_immutable(app, butler_client):
    response = butler_client.get("/static/app.css?v=000000000000")
    assert "immutable" not in response.headers["Cache-Control"]
    response.close()


def test_the_session_cookie_is_sent_when_it_changes_or_once_a_day_not_on_every_page(app, client, butler):
    clock.set_now(T0)
    login = client.login("butler")
    assert login.status_code == 303
    assert any(c.startswith("session=") for c in login.headers.getlist("Set-Cookie"))
    for _ in range(3):
        page = client.get("/agenda")
        assert page.status_code == 200
        assert "Set-Cookie" not in page.headers
    # The session still slides: a day later the next page pushes its expiry forward once.
    clock.set_now(T0 + REFRESH_AFTER + timedelta(minutes=1))
    later = client.get("/agenda")
    cookies = later.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") for c in cookies)
    expires = re.search(r"Expires=([^;]+)", next(c for c in cookies if c.startswith("session="))).group(1)
    assert expires  # a permanent cookie with a fresh expiry
    assert "Set-Cookie" not in client.get("/agenda").headers


@pytest.fixture
def busy_case(estate, butler, technician, receptionist, reception_client, manager_client, butler_client):
    """A repair that has been through a few hands: dispatched, reassigned, calls, photos."""
    clock.set_now(T0)
    other_tech = factories.make_user(estate, role="technician", username="tech2", name="李师傅")
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    factories.make_resident(unit, "王芳", "13912345679", relation="tenant")
    data = {"kind": "repair", "unit_code": "3-1502", "contact_name": "张伟", "contact_phone": "13912345678",
            "source": "phone", "scope": "household", "trade": "water", "work_type": "basic", "minor": "y",
            "description": "厨房水管漏水", "client_uuid": str(uuid.uuid4())}
    assert reception_client.post("/cases/new", data).status_code == 303
    case = Case.select().order_by(Case.id.desc()).get()
    assert reception_client.post(f"/cases/{case.id}/dispatch", {"assignee": other_tech.id}).status_code == 303
    assert manager_client.post(f"/cases/{case.id}/dispatch", {"assignee": technician.id}).status_code == 303
    for kind, by in (("notify_owner", reception_client), ("callback_24h", butler_client)):
        assert by.post(f"/cases/{case.id}/calls", {"kind": kind, "reached": "yes", "note": "已联系"}).status_code == 303
    for user in (receptionist, technician, butler):
        factories.make_attachment(case.subject, user)
    return case


def test_the_case_page_makes_at_most_nine_queries(app, busy_case, butler_client, technician):
    page = butler_client.get(f"/cases/{busy_case.id}")
    assert page.status_code == 200
    statements = capture_sql(lambda: butler_client.get(f"/cases/{busy_case.id}"))
    text = page.get_data(as_text=True)
    assert "李师傅" in text and technician.name in text  # the names are all still there
    assert len(statements) <= CASE_PAGE_MAX_QUERIES, "\n".join(str(s) for s, _ in statements)


def test_agenda_rows_say_what_the_model_and_the_filters_say(app, butler, estate):
    """The one-pass rows (compiled SQL, cached link patterns, one zone conversion) carry
    the same label, link and times the Duty model and the `when` filters give."""
    from flask_login import login_user

    from bluebird.duties import agenda
    from bluebird.duties.models import Duty
    from bluebird.web import full_when, short_when

    clock.set_now(T0)
    building = factories.make_building(estate, "3", patch=butler.patch)
    case = factories.make_case(factories.make_unit(building, "1502"), butler)
    subjects = [case.subject, "unit:12", "nowhere:3", case.subject]
    for i, due_in in enumerate([timedelta(hours=-30), timedelta(hours=2), timedelta(days=1), timedelta(days=400)]):
        factories.make_duty(butler, kind="callback_24h" if i % 2 else "test_duty", subject=subjects[i], due_in=due_in)
    with app.test_request_context("/agenda"):
        login_user(butler)
        rows, more = agenda.rows_for(butler, clock.now(), 100)
        duties = list(Duty.open_for(butler))
        assert not more and len(rows) == len(duties) == 4
        for row, duty in zip(rows, duties, strict=True):
            assert (row.title, row.due_at, str(row.label)) == (duty.title, duty.due_at, str(duty.label))
            assert row.url == duty.url
            assert (row.iso, row.full, row.short) == (duty.due_at.isoformat() + "Z", full_when(duty.due_at),
                                                      short_when(duty.due_at))
            assert row.overdue == (duty.due_at < clock.now())


def test_a_byte_range_of_a_static_file_is_not_compressed(app, client):
    response = client.get(f"/static/app.css?v={app.config['STATIC_VERSION']}",
                          headers={"Range": "bytes=0-999", "Accept-Encoding": "gzip, br, zstd"})
    assert response.status_code == 206
    assert response.headers.get("Content-Encoding") in (None, "identity")
    assert len(response.data) == 1000
    response.close()
