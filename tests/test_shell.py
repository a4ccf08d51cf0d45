"""The app shell: health, manifest, service worker, offline page, error pages, language."""
import json

from babel.messages.pofile import read_po

from tools.i18n_check import load, missing


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == "image/png"
        served.close()
    assert manifest["theme_color"].startswith("#")


def test_service_worker_is_served_from_the_root_with_a_versioned_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert 'const SHELL_CACHE="bluebird-shell-' in body  # minified (bluebird/static_files.py)
    assert "/offline" in body and "/static/app.css" in body
    assert "no-cache" in response.headers["Cache-Control"]


def test_offline_page_is_public_and_bilingual(client):
    text = client.get("/offline").get_data(as_text=True)
    assert "网络已断开" in text and "You are offline" in text


def test_404_and_403_pages_speak_the_users_language(butler_client):
    not_found = butler_client.get("/no/such/page")
    assert not_found.status_code == 404 and "找不到" in not_found.get_data(as_text=True)
    forbidden = butler_client.get("/admin/staff/")
    assert forbidden.status_code == 403 and "没有权限" in forbidden.get_data(as_text=True)
    butler_client.post("/me/language", {"locale": "en"})
    assert "Not found" in butler_client.get("/no/such/page").get_data(as_text=True)


def test_413_for_an_oversized_body(app, butler_client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = butler_client.post("/me/language", {"locale": "en", "pad": "x" * (limit + 10)})
    assert response.status_code == 413
    assert "太大" in response.get_data(as_text=True)


def test_a_server_error_is_a_500_page_in_chinese(app, butler_client, monkeypatch):
    from bluebird.duties import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "render", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = butler_client.get("/agenda")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert "系统出错了" in response.get_data(as_text=True)


def test_login_page_can_switch_to_english_before_login(client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.post("/language/en", {"next": "/login"})
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_both_catalogs_are_complete():
    for locale in ("zh_Hans_CN", "en"):
        _, catalog = load(locale)
        assert missing(catalog) == [], f"{locale} has untranslated strings"


def test_every_extracted_string_is_in_the_catalogs():
    with open("translations/messages.pot", "rb") as f:
        template = read_po(f)
    _, zh = load("zh_Hans_CN")
    ids = {m.id for m in template if m.id}
    assert ids and ids <= {m.id for m in zh if m.id}
