"""Logging in and out, for every role, and what a stranger cannot do."""
import pytest

from bluebird.auth.models import User
from tests import factories
from tests.fixtures.app import Client


def test_butler_logs_in_and_lands_on_his_agenda(client, butler):
    response = client.login("butler")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")
    home = client.get("/")
    assert home.headers["Location"].endswith("/agenda")
    page = client.get("/agenda").get_data(as_text=True)
    assert 'class="tabbar"' in page


@pytest.mark.parametrize(
    "role, landing",
    [("reception", "/desk"), ("manager", "/dashboard"), ("admin", "/dashboard"),
     ("technician", "/agenda"), ("inspector", "/rounds/")],
)
def test_each_role_lands_on_its_home(client, estate, role, landing):
    factories.make_user(estate, role=role, username="someone")
    client.login("someone")
    assert client.get("/").headers["Location"].endswith(landing)
    assert client.get(landing).status_code == 200


def test_receptionist_gets_the_desk_layout_with_a_phone_tab_bar_for_narrow_screens(reception_client):
    page = reception_client.get("/desk").get_data(as_text=True)
    # The top bar on a tablet; below 768 px CSS swaps it for the tab bar (four pages + 更多).
    assert "layout-desk" in page and 'class="topnav"' in page and 'href="/more"' in page


def test_wrong_password_gets_a_generic_message_and_401(client, butler):
    response = client.login("butler", "wrong-password")
    assert response.status_code == 401
    text = response.get_data(as_text=True)
    assert "用户名或密码错误" in text
    unknown = client.login("nobody", "wrong-password")
    assert unknown.status_code == 401
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


def test_failed_logins_are_rate_limited_but_successes_are_not_counted(client, butler):
    for _ in range(3):
        assert client.login("butler").status_code == 303
        client.get("/logout")
    for _ in range(5):
        assert client.login("butler", "nope").status_code == 401
    limited = client.login("butler")
    assert limited.status_code == 429
    assert "尝试次数过多" in limited.get_data(as_text=True)


def test_password_is_stored_as_argon2id(app, client):
    with app.test_request_context():
        from bluebird.auth.service import create_staff

        estate = factories.make_estate()
        user, _ = create_staff(None, estate_id=estate.id, username="new", name="新人", role="butler",
                               password="long-enough-pw")
    assert user.password_hash.startswith("$argon2id$")
    assert "long-enough-pw" not in user.password_hash


def test_next_url_is_followed_only_on_this_site(client, butler):
    ok = client.post("/login", {"username": "butler", "password": factories.PASSWORD, "next": "/estate/"})
    assert ok.headers["Location"] == "/estate/"
    client.get("/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/login", {"username": "butler", "password": factories.PASSWORD, "next": evil})
        assert response.status_code == 303
        assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]
        client.get("/logout")


def test_login_redirect_carries_next(client):
    response = client.get("/estate/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_session_cookie_is_httponly_and_lax(client, butler):
    response = client.login("butler")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_logout_ends_the_session(butler_client):
    assert butler_client.get("/agenda").status_code == 200
    butler_client.get("/logout")
    assert butler_client.get("/agenda").status_code == 302


def _replay(app, cookies):
    """A fresh browser that presents only the given cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value, domain="localhost")
    return thief


@pytest.mark.parametrize("carried", [("session",), ("remember_token",), ("session", "remember_token")])
def test_a_cookie_captured_before_logout_is_dead_after_it(app, butler_client, carried):
    captured = {name: butler_client.http.get_cookie(name).value for name in carried}
    assert _replay(app, captured).get("/agenda").status_code == 200  # the copy works while logged in
    assert butler_client.get("/logout").status_code == 303
    replayed = _replay(app, captured).get("/agenda")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_logging_out_on_the_phone_keeps_the_tablet_signed_in(app, butler):
    phone, tablet = Client(app), Client(app)
    assert phone.login("butler").status_code == 303 and tablet.login("butler").status_code == 303
    phone.get("/logout")
    assert phone.get("/agenda").status_code == 302
    assert tablet.get("/agenda").status_code == 200


def test_a_password_change_ends_every_other_session(app, butler):
    phone, tablet = Client(app), Client(app)
    phone.login("butler")
    tablet.login("butler")
    assert phone.post("/me/password", {"current": factories.PASSWORD, "new": "another-password"}).status_code == 303
    assert phone.get("/agenda").status_code == 200
    assert tablet.get("/agenda").status_code == 302


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, butler_client, butler):
    User.update(active=False).where(User.id == butler.id).execute()
    assert butler_client.get("/agenda").status_code == 302
    assert butler_client.login("butler").status_code == 401


def test_user_changes_own_password_and_language(butler_client):
    bad = butler_client.post("/me/password", {"current": "wrong", "new": "another-password"})
    assert bad.status_code == 400
    assert "当前密码不正确" in bad.get_data(as_text=True)
    ok = butler_client.post("/me/password", {"current": factories.PASSWORD, "new": "another-password"})
    assert ok.status_code == 303
    assert butler_client.post("/me/language", {"locale": "en"}).status_code == 303
    assert "My to-do" in butler_client.get("/agenda").get_data(as_text=True)


def test_migration_015_keeps_the_accounts_and_adds_sessions(app):
    """An office's database from before 015 upgrades in place: accounts kept, none company-wide."""
    from bluebird.migrate import upgrade
    from tests.old_office import BEFORE_SESSION_2, old_office

    boss = ('INSERT INTO "user" (estate_id, username, password_hash, name, role, phone, locale, active, '
            "session_version, created_at, quiet_start, quiet_end) VALUES "
            "(1, 'boss', 'x', '老板', 'admin', '', 'zh_CN', 1, '1', '2025-01-01 00:00:00', 1320, 420)")
    with old_office(BEFORE_SESSION_2, boss) as db:
        assert "015_login_sessions_company_admin" in upgrade()
        with db.connection_context():
            assert db.execute_sql('SELECT username, company_wide FROM "user"').fetchall() == [("boss", 0)]
            assert "login_session" in db.get_tables()
