"""Home screens per role, the PWA manifest and service worker, health."""
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.db import db
from bluebird.duties.models import Duty
from bluebird.duties.views import overdue_board
from bluebird.estate.models import Unit, UnitStatus
from bluebird.shell.nav import more_items
from bluebird.static_files import made_once
from bluebird.web import estate_id, get_scoped_or_404, render, require_role

bp = Blueprint("shell", __name__)

OVERDUE_LIMIT = 200

HOMES = {
    roles.BUTLER: "duties.agenda",
    roles.TECHNICIAN: "duties.agenda",
    roles.INSPECTOR: "rounds.index",
    roles.RECEPTION: "frontdesk.desk",
    roles.MANAGER: "shell.dashboard",
    roles.ADMIN: "shell.dashboard",
}


@bp.route("/")
@login_required
def home():
    """Send each role to its own home screen."""
    return redirect(url_for(HOMES.get(current_user.role, "duties.agenda")))


@bp.route("/dashboard")
@login_required
def dashboard():
    """The manager's dashboard: what is overdue and who holds it; the house table."""
    require_role(*roles.SUPERVISING)  # field staff have their agenda (tests/test_pages_by_role.py)
    now = clock.now()
    return render(
        "shell/dashboard.html",
        board=overdue_board(),
        overdue_total=Duty.overdue_in(estate_id(), now).count(),
        counts=Unit.status_counts(estate_id()),
        statuses=UnitStatus.LABELS,
        now=now,
    )


@bp.route("/dashboard/overdue")
@login_required
def overdue():
    """The duties behind one row of the dashboard's overdue board: a person's, or a role's."""
    require_role(*roles.SUPERVISING)
    user_id = request.args.get("user", type=int)
    role = request.args.get("role", "")
    person = get_scoped_or_404(User, user_id) if user_id else None
    if person is None and role not in roles.LABELS:
        abort(404)
    duties = list(Duty.overdue_of(estate_id(), assignee_id=user_id, role=role).limit(OVERDUE_LIMIT + 1))
    return render("shell/overdue.html", person=person, role=role, duties=duties[:OVERDUE_LIMIT],
                  more=len(duties) > OVERDUE_LIMIT, now=clock.now())


@bp.route("/healthz")
def healthz():
    """Answer 200 with the database status (503 when it is down)."""
    try:
        db.execute_sql("SELECT 1")
        ok = True
    except Exception:  # noqa: BLE001 - any failure means "database down"
        ok = False
    body = {"status": "ok" if ok else "degraded", "database": "ok" if ok else "down",
            "backend": type(db.obj).__name__}
    return jsonify(body), 200 if ok else 503


@bp.route("/offline")
def offline():
    """The page the service worker shows when a navigation fails."""
    return render_template("shell/offline.html")


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest, so phones can install Bluebird."""
    icons = [
        {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    body = {
        "name": _("Bluebird property service"),
        "short_name": _("Bluebird"),
        "id": "/",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "lang": "zh-CN",
        "background_color": "#f4f6f8",
        "theme_color": "#1f6feb",
        "icons": icons,
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole app.

    Pages register this build's address, `/sw.js?v=<build>` (static/app.js, with
    updateViaCache "all"), which never changes content: Chromium's update check on every
    navigation then finds it in its HTTP cache (a day at most, the spec's limit) instead of
    downloading it again (3.5 KB a navigation, issue 16). A new build is a new address, so
    its worker installs on the first page after the deploy. Any other address (an older
    build's page, a bare /sw.js) gets this build's worker, never kept.
    """
    version = current_app.config["STATIC_VERSION"]

    def make():
        shell = [url_for("shell.offline")] + [url_for("static", filename=name) for name in shell_files()]
        # Not render_template: its context processors read the session (Vary: Cookie).
        return current_app.jinja_env.get_template("shell/sw.js").render(
            version=version, shell=shell, field_pages=FIELD_PAGES, lock=UPLOAD_LOCK).encode()

    body, encoding = made_once(("sw.js", version, request.script_root), "sw.js", make,
                               request.headers.get("Accept-Encoding", ""))
    response = current_app.response_class(body, mimetype="text/javascript")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if request.args.get("v") == version
                                         else "no-cache")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def shell_files():
    """Every static file a page uses (base.html and the page-specific script blocks)."""
    from bluebird.web import HTMX_FILE

    return ["app.css", "notify.css", "frontdesk.css", HTMX_FILE, IDB_FILE, "outbox.js", "app.js", "notify.js",
            "rounds.js", "photos.js", "signature.js", "icons.svg", "icons/icon-32.png"]


# ---- Offline (static/outbox.js, templates/shell/sw.js) ------------------------------------
# The field pages the service worker keeps (network first, the last copy when offline):
# path prefixes, so a unit, a round or a case page of the patch is kept once visited.
FIELD_PAGES = ["/agenda", "/rounds/", "/cases/", "/estate/", "/desk", "/outbox"]
IDB_FILE = "vendor/idb-8.0.4.umd.js"
# The Web Lock the outbox holds while it uploads; a new service worker waits for it.
UPLOAD_LOCK = "bluebird-outbox-upload"
USER_HEADER = "X-Bluebird-User"
# Where an imported outbox file's items may post (static/outbox.js, readImport): the field
# forms the outbox is for. Never /admin/, /login, /me/ …: an imported file must not be a
# way to make the office PC's login do anything else (docs/architecture.md).
IMPORT_PATHS = ["/rounds/", "/cases/", "/desk/", "/estate/", "/visits/", "/renovations/"]


@bp.route("/ping")
def ping():
    """Tiny and never cached: is the server reachable, who is signed in, a fresh CSRF token."""
    from flask_wtf.csrf import generate_csrf

    user = current_user.id if current_user.is_authenticated else None
    response = jsonify(ok=True, user=user, csrf=generate_csrf() if user else "")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/outbox")
@login_required
def outbox():
    """待上传: what this device keeps to send (drawn by static/outbox.js from IndexedDB)."""
    return render("shell/outbox.html", import_paths=IMPORT_PATHS,
                  max_request=current_app.config.get("MAX_CONTENT_LENGTH") or 60 * 1024 * 1024)


@bp.after_app_request
def name_the_user(response):
    """Tell the service worker whose page this is: it keeps one person's pages only."""
    if response.mimetype == "text/html" and current_user and current_user.is_authenticated:
        response.headers[USER_HEADER] = str(current_user.id)
    return response


@bp.app_context_processor
def offline_context():
    """The time a page was made, in the estate's zone: the offline banner's 保存于 10:42."""
    from datetime import UTC

    from flask_babel import get_timezone

    def saved_at():
        local = clock.now().replace(tzinfo=UTC).astimezone(get_timezone())
        return f"{local.hour:02d}:{local.minute:02d}"

    return {"saved_at": saved_at, "idb_file": IDB_FILE}


@bp.route("/more")
@login_required
def more():
    """更多: the office roles' pages the phone tab bar has no room for."""
    return render("shell/more.html", items=more_items(current_user))
