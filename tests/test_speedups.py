"""Issue 16, the second pass: what pages keep between requests must never show a stale or
another language's answer.

- `bluebird.db.prepared`: SQL compiled once, values bound per call (ints, text, times, IN lists).
- `RequestDomain`: the catalog kept per request, with `force_locale` still switching it.
- The template `url_for` table: relative endpoints, values and script roots kept apart.
- The agenda's kept rows: a change to a duty, or a new day, shows at once.
"""
import gzip
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale, gettext

from bluebird import clock
from bluebird.auth.models import LoginSession, User
from bluebird.db import prepared
from bluebird.duties.models import Duty
from tests import factories

T0 = datetime(2026, 11, 23, 1, 0)  # 09:00 in Shanghai


@prepared
def _staff(*, estate_id=0, role="", ids=(), since=T0):
    return (User.select(User.id).where(((User.estate == estate_id) & (User.role == role)) | User.id.in_(ids))
            .where(User.created_at >= since).order_by(User.id).tuples())


def test_a_prepared_query_binds_each_calls_own_values(estate, other_estate):
    clock.set_now(T0)
    mine = [factories.make_user(estate, role="butler").id for _ in range(2)]
    tech = factories.make_user(estate, role="technician").id
    theirs = factories.make_user(other_estate, role="butler").id
    long_ago = datetime(2000, 1, 1)

    def ids(**values):
        return [row[0] for row in _staff(**values)]

    assert ids(estate_id=estate.id, role="butler", ids=(), since=long_ago) == mine
    assert ids(estate_id=other_estate.id, role="butler", ids=(), since=long_ago) == [theirs]
    assert ids(estate_id=estate.id, role="technician", ids=(theirs,), since=long_ago) == sorted([tech, theirs])
    assert ids(estate_id=estate.id, role="nobody", ids=(mine[0], theirs), since=long_ago) == sorted([mine[0], theirs])
    assert ids(estate_id=estate.id, role="butler", ids=(), since=T0 + timedelta(days=1)) == []
    # Each IN length is its own compiled shape; the earlier ones still bind right.
    assert ids(estate_id=estate.id, role="butler", ids=(tech,), since=long_ago) == sorted(mine + [tech])


@prepared
def _people_with_estates(*, ids=()):
    from bluebird.estate.models import Estate

    return User.select(User, Estate).join(Estate).where(User.id.in_(ids)).order_by(User.id)


def test_a_prepared_joins_rows_are_whole_models_on_every_run(estate, other_estate):
    """The column resolution is kept per SQL (Prepared.__call__): a run with no rows first,
    then rows of two estates, each model with its own joined estate and converted times."""
    assert list(_people_with_estates(ids=(-1, -2))) == []
    clock.set_now(T0)
    mine, theirs = factories.make_user(estate, name="李管家"), factories.make_user(other_estate, name="王管家")
    for _ in range(2):
        rows = list(_people_with_estates(ids=(mine.id, theirs.id)))
        assert [(u.name, u.estate.name) for u in rows] == [("李管家", estate.name), ("王管家", other_estate.name)]
        assert all(isinstance(u.created_at, datetime) for u in rows)
    (one,) = _people_with_estates(ids=(theirs.id, -5))
    assert one.estate.id == other_estate.id and one.estate.code == other_estate.code


def test_a_value_peewee_would_convert_is_refused_when_compiled():
    @prepared
    def by_flag(*, active=True):
        return User.select().where(User.active == active)

    with pytest.raises(TypeError):
        list(by_flag(active=False))


def test_the_signed_in_lookup_is_the_session_of_that_user_only(estate, butler):
    clock.set_now(T0)
    other = factories.make_user(estate, role="butler")
    LoginSession.create(token="tok-1", user=butler.id, created_at=T0)
    found = LoginSession.signed_in.first(user_id=butler.id, token="tok-1", since=T0 - timedelta(days=1))
    assert found.id == butler.id and found.estate.name == estate.name
    assert LoginSession.signed_in.first(user_id=other.id, token="tok-1", since=T0 - timedelta(days=1)) is None
    assert LoginSession.signed_in.first(user_id=butler.id, token="tok-1", since=T0 + timedelta(seconds=1)) is None


def test_the_kept_catalog_follows_force_locale(app):
    with app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert gettext("Overdue") == "已超时"
            assert render_template_string("{{ _('Overdue') }}") == "已超时"
            with force_locale("en"):
                assert gettext("Overdue") == "Overdue"
                assert render_template_string("{{ _('Overdue') }}") == "Overdue"
            assert gettext("Overdue") == "已超时"


def test_template_url_for_keeps_endpoints_values_and_roots_apart(app):
    template = "{{ url_for('cases.show', case_id=n) }} {{ url_for('static', filename='app.css') }}"
    with app.test_request_context("/cases/"):
        one = render_template_string(template, n=1)
        two = render_template_string(template, n=2)
    with app.test_request_context("/cases/", base_url="http://x/office"):
        rooted = render_template_string(template, n=1)
    assert one.startswith("/cases/1 ") and two.startswith("/cases/2 ")
    assert rooted.startswith("/office/cases/1 /office/static/app.css?v=")
    with app.test_request_context("/cases/"):
        assert render_template_string("{{ url_for('cases.show', case_id=1, _anchor='calls') }}") == "/cases/1#calls"


def _agenda_titles(client):
    page = client.get("/agenda").get_data(as_text=True)
    return re.findall(r'<span class="duty-title">([^<]*)</span>', page), page


def test_an_agenda_row_changes_as_soon_as_its_duty_or_the_day_does(butler, butler_client):
    clock.set_now(T0)
    duty = factories.make_duty(butler, title="楼道灯不亮", due_in=timedelta(hours=3))
    titles, page = _agenda_titles(butler_client)
    assert titles == ["楼道灯不亮"] and "今天 12:00" in page

    Duty.update(title="电梯异响").where(Duty.id == duty.id).execute()
    titles, page = _agenda_titles(butler_client)
    assert titles == ["电梯异响"]

    clock.set_now(T0 - timedelta(days=1))  # the same row seen the day before: 明天
    assert "明天 12:00" in _agenda_titles(butler_client)[1]
    clock.set_now(T0 + timedelta(hours=4))  # now overdue
    page = _agenda_titles(butler_client)[1]
    assert 'class="duty overdue"' in page and "已超时" in page


def test_an_agenda_row_is_kept_per_language(butler, butler_client):
    clock.set_now(T0)
    factories.make_duty(butler, title="楼道灯不亮", due_in=-timedelta(hours=1))
    assert "已超时" in _agenda_titles(butler_client)[1]
    User.update(locale="en").where(User.id == butler.id).execute()
    page = _agenda_titles(butler_client)[1]
    assert "Overdue" in page and "已超时" not in page


def test_a_case_row_changes_as_soon_as_its_case_does(estate, butler, butler_client):
    from bluebird.cases.models import Case

    clock.set_now(T0)
    unit = factories.make_unit(factories.make_building(estate))
    case = factories.make_case(unit, butler, description="厨房水管漏水")
    page = butler_client.get("/cases/?mine=0&status=all").get_data(as_text=True)
    assert "厨房水管漏水" in page and "今天 09:00" in page
    Case.update(description="卫生间堵塞", status="closed").where(Case.id == case.id).execute()
    page = butler_client.get("/cases/?mine=0&status=all").get_data(as_text=True)
    assert "卫生间堵塞" in page and "厨房水管漏水" not in page and "status-case-closed" in page
    clock.set_now(T0 + timedelta(days=1))
    assert "昨天 09:00" in butler_client.get("/cases/?mine=0&status=all").get_data(as_text=True)


def test_a_static_file_goes_out_at_brotli_11_and_is_the_file(app, client):
    import brotli
    import rjsmin

    version = app.config["STATIC_VERSION"]
    raw = Path(app.static_folder, "outbox.js").read_bytes()
    small = rjsmin.jsmin(raw)
    assert len(small) < len(raw) * 0.8  # comments and spaces gone
    response = client.get(f"/static/outbox.js?v={version}", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert brotli.decompress(response.data) == small
    assert len(response.data) <= len(brotli.compress(small, quality=11)) < len(brotli.compress(raw, quality=4))
    assert "immutable" in response.headers["Cache-Control"]
    assert "ETag" not in response.headers and "Accept-Ranges" not in response.headers  # named for good by its URL
    gz = client.get(f"/static/outbox.js?v={version}", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    unversioned = client.get("/static/outbox.js", headers={"Accept-Encoding": "br"})
    assert unversioned.headers["ETag"].endswith('-br"') and "immutable" not in unversioned.headers["Cache-Control"]
    unversioned.close()
    assert gzip.decompress(gz.data) == small
    plain = client.get(f"/static/outbox.js?v={version}")
    assert plain.headers.get("Content-Encoding") is None and plain.data == raw
    for r in (response, gz, plain):
        r.close()


def test_the_case_filters_show_each_choice_and_a_new_building_or_technician_at_once(estate, manager_client):
    factories.make_building(estate, name="3")
    page = manager_client.get("/cases/?kind=repair").get_data(as_text=True)
    assert re.search(r'<option value="repair"\s+selected>', page)
    page = manager_client.get("/cases/?kind=complaint").get_data(as_text=True)
    assert re.search(r'<option value="complaint"\s+selected>', page) and not re.search(r'value="repair"\s+selected', page)
    assert "9号楼" not in page and "周师傅" not in page
    factories.make_building(estate, name="9")
    factories.make_user(estate, role="technician", name="周师傅")
    page = manager_client.get("/cases/?kind=complaint").get_data(as_text=True)
    assert "9号楼" in page and "周师傅" in page


def test_a_script_carries_no_page_headers_but_a_page_and_an_svg_do(app, client):
    version = app.config["STATIC_VERSION"]
    script = client.get(f"/static/app.js?v={version}", headers={"Accept-Encoding": "br"})
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("Content-Security-Policy", "X-Frame-Options", "Expires", "Last-Modified", "Content-Disposition"):
        assert name not in script.headers
    assert "HX-Request" not in script.headers.get("Vary", "")
    svg = client.get(f"/static/icons.svg?v={version}")
    assert "script-src 'self'" in svg.headers["Content-Security-Policy"] and svg.headers["X-Frame-Options"] == "DENY"
    page = client.get("/login")
    assert "Content-Security-Policy" in page.headers and "HX-Request" in page.headers["Vary"]
    for r in (script, svg):
        r.close()


def _csrf_tokens(page):
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', page))


def test_the_case_pages_kept_forms_hold_no_token_and_none_of_anothers_typing(estate, butler, butler_client, manager_client):
    """The case page's fresh forms are kept markup (bluebird/cases/views.py ActionForms):
    each page still carries its own session's token, a refused form shows what was typed,
    and that typing never shows on the next fresh form."""
    unit = factories.make_unit(factories.make_building(estate))
    first, second = factories.make_case(unit, butler), factories.make_case(unit, butler)
    mine = butler_client.get(f"/cases/{first.id}").get_data(as_text=True)
    theirs = manager_client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert len(_csrf_tokens(mine)) == 1 and len(_csrf_tokens(theirs)) == 1
    assert _csrf_tokens(mine) != _csrf_tokens(theirs)
    assert _csrf_tokens(mine) == {butler_client.token()}
    assert 'id="csrf_token"' not in mine  # one plain token per form, no repeated id

    typed = "业主说下午三点后再打" * 40  # longer than the 300 characters a call note may be
    refused = butler_client.post(f"/cases/{first.id}/calls", {"kind": "notify_owner", "reached": "yes", "note": typed})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and typed in page and 'aria-invalid="true"' in page
    # The dispatch form on that page is fresh: the posted "note" is not another form's data.
    again = butler_client.get(f"/cases/{second.id}").get_data(as_text=True)
    assert typed not in again and 'aria-invalid' not in again
    assert re.search(r'<option selected value="notify_owner">|<option value="notify_owner" selected>', again)


def test_the_dispatch_form_names_a_new_technician_at_once_and_none_for_a_warranty_repair(estate, butler, butler_client):
    unit = factories.make_unit(factories.make_building(estate))
    repair = factories.make_case(unit, butler)
    page = butler_client.get(f"/cases/{repair.id}").get_data(as_text=True)
    assert "周师傅" not in page and 'name="assignee"' in page
    factories.make_user(estate, role="technician", name="周师傅")
    assert "周师傅" in butler_client.get(f"/cases/{repair.id}").get_data(as_text=True)

    warranty = factories.make_case(unit, butler, warranty=True)
    page = butler_client.get(f"/cases/{warranty.id}").get_data(as_text=True)
    assert 'name="assignee"' not in page and "周师傅" not in page
    assert 'id="warranty-pass"' in page and 'value="施工单位（开发商保修）"' in page


def test_the_service_workers_address_of_this_build_is_cached_for_good_and_carries_no_cookie(app, butler_client):
    version = app.config["STATIC_VERSION"]
    page = butler_client.get("/agenda").get_data(as_text=True)
    assert f'<meta name="bluebird-sw" content="/sw.js?v={version}">' in page
    ours = butler_client.get(f"/sw.js?v={version}", headers={"Accept-Encoding": "br"})
    assert ours.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert ours.headers["Content-Encoding"] == "br" and "Set-Cookie" not in ours.headers
    assert "Cookie" not in ours.headers.get("Vary", "") and ours.headers["Service-Worker-Allowed"] == "/"
    assert "worker-src 'self'" in ours.headers["Content-Security-Policy"]  # a worker's own policy
    import brotli

    script = brotli.decompress(ours.data).decode()
    assert f'VERSION="{version}"' in script
    for other in ("/sw.js?v=an-older-build", "/sw.js"):
        answer = butler_client.get(other)
        assert answer.headers["Cache-Control"] == "no-cache"  # not this build's address: never kept
        assert answer.get_data(as_text=True).replace(" ", "") == script.replace(" ", "")
