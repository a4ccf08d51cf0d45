"""Bluebird: the field tool for property-management staff."""
import hashlib
import os
import time
from pathlib import Path

from flask import Flask, g, jsonify, redirect, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from peewee import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from bluebird import config as config_module
from bluebird.db import db, make_database
from bluebird.extensions import (
    babel,
    compress,
    csrf,
    limiter,
    login_manager,
    select_locale,
    select_timezone,
    warn_if_limits_unshared,
)

BLUEPRINTS = (
    "bluebird.shell.views:bp",
    "bluebird.auth.views:bp",
    "bluebird.auth.admin:bp",
    "bluebird.estate.views:bp",
    "bluebird.estate.admin:bp",
    "bluebird.duties.views:bp",
    "bluebird.photos.views:bp",
    "bluebird.cases.views:bp",
    "bluebird.cases.settings:bp",
    "bluebird.rounds.views:bp",
    "bluebird.rounds.admin:bp",
    "bluebird.renovations.views:bp",
    "bluebird.notify.views:bp",
    "bluebird.frontdesk.views:bp",
    "bluebird.survey.views:bp",
    "bluebird.survey.views:public",
    "bluebird.visits.views:bp",
    "bluebird.reports.views:bp",
    "bluebird.assessment.views:bp",
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


# Responses a browser may render as a page (an SVG opened on its own runs its scripts):
# they carry the CSP and the other document headers, static or not.
DOCUMENT_TYPES = {"text/html", "image/svg+xml", "application/xhtml+xml", "application/xml", "text/xml"}


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, database, extensions, blueprints, errors, CLI, headers."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("BLUEBIRD_INSTANCE_PATH") or os.path.join(root, "instance"),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.from_env(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    app.config["STATIC_VERSION"] = static_version(app.static_folder)
    db.initialize(make_database(app.config["DATABASE_URL"]))
    _bind_extensions(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_busy(app)
    _register_hooks(app)
    from bluebird import cli

    cli.register(app)
    return app


def _bind_extensions(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from bluebird.web import install_template_speedups

    install_template_speedups(app)
    limiter.init_app(app)
    warn_if_limits_unshared(app)
    # Compression runs after every other after_request hook (it is registered first):
    # pages, fragments, JSON and the static files go out as zstd, br or gzip.
    compress.init_app(app)
    from bluebird import sessions

    sessions.init_app(app)

    from bluebird.auth.service import user_for_session

    # The session cookie and the remember cookie both carry id:version:session; the
    # session must still be open on the server (logout deletes it).
    login_manager.user_loader(user_for_session)


def _register_blueprints(app):
    from importlib import import_module

    for path in BLUEPRINTS:
        module, _, name = path.partition(":")
        app.register_blueprint(getattr(import_module(module), name))


def _register_errors(app):
    from bluebird.web import owning_page, render

    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You do not have permission to see this."),
        404: lambda: _("Not found. It may have been removed, or belong to another estate."),
        405: lambda: _("This action is not allowed here."),
        413: lambda: _("The upload is too large."),
        429: lambda: _("Too many attempts. Please wait a few minutes and try again."),
        # A submission is one transaction, so a failure saved none of it: say so, and no more.
        500: lambda: _("Something went wrong on our side, and this submission was not saved. Please try again."),
    }

    def handler(code):
        def handle(error):
            if code == 405 and request.method == "GET" and (page := owning_page(request.path)):
                # A form's POST-only address reached by reload, back or a bookmark: its page.
                return redirect(page, code=303)
            if code == 500 and not db.is_closed() and db.in_transaction():
                db.rollback()
            message = messages[code]()
            if isinstance(error, CSRFError):
                message = _("This form has expired. Reload the page and submit again.")
            if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
                return jsonify(error=message), code
            return render("error.html", "_error.html", status=code, code=code, message=message)

        return handle

    for code in messages:
        app.register_error_handler(code, handler(code))

    from bluebird.db import ReplayConflict

    @app.errorhandler(ReplayConflict)
    def replay_conflict(error):
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return jsonify(error=error.description), 409
        return render("error.html", "_error.html", status=409, code=409, message=error.description)


def static_version(folder) -> str:
    """A hash of the static files: it versions their URLs and the service worker's cache."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _register_hooks(app):
    from bluebird.web import HTMX_FILE

    @app.url_defaults
    def versioned_static(endpoint, values):
        # Static files are cached for a year, so their URLs change with every deploy.
        if endpoint == "static" and "v" not in values:
            values["v"] = app.config["STATIC_VERSION"]

    @app.before_request
    def open_db():
        g.started = time.perf_counter()
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def close_db(exc):
        if not db.is_closed():
            db.close()

    from bluebird.static_files import precompressed
    from bluebird.web import answer_upload_redirect, keep_url_after_refusal

    @app.after_request
    def headers(response):
        response = keep_url_after_refusal(answer_upload_redirect(response))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.endpoint == "static" and response.mimetype not in DOCUMENT_TYPES:
            # A script, style sheet or PNG is no document: the page's policy headers do
            # nothing on it, and a first visit fetched 800 bytes of headers with each
            # 1 KB file. Nor does it need a second date (Expires, Last-Modified: the ETag
            # validates) or a download name.
            for name in ("Content-Disposition", "Expires", "Last-Modified"):
                response.headers.pop(name, None)
        else:
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
            response.vary.add("HX-Request")
        if request.endpoint == "static":
            response = precompressed(response, app.static_folder, request.view_args.get("filename", ""),
                                     request.headers.get("Accept-Encoding", ""))
            if hasattr(response.response, "close"):
                # Compression (after this hook) swaps the file for a compressing stream:
                # the file must still be closed when the response is.
                response.call_on_close(response.response.close)
            if response.status_code == 206:
                # A byte range of the file: compressing it would garble the range.
                response.headers["Content-Encoding"] = "identity"
            if request.args.get("v") == app.config["STATIC_VERSION"] and response.status_code == 200:
                # This URL names this content for good: a repeat visit asks for nothing, so
                # it needs no validator to ask with, nor byte ranges of a file this small
                # (80 bytes of headers on each of a first visit's 15 files).
                response.cache_control.immutable = True
                for name in ("ETag", "Accept-Ranges"):
                    response.headers.pop(name, None)
        elif "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    from bluebird.web import full_when, short_when, when_parts

    app.add_template_filter(short_when, "when")
    app.add_template_filter(full_when, "when_full")
    app.add_template_filter(when_parts, "when_parts")

    @app.context_processor
    def layout_context():
        from flask_babel import get_locale

        from bluebird.auth import roles
        from bluebird.estate.models import UnitStatus
        from bluebird.notify.service import unread_count
        from bluebird.shell.nav import nav_items, tab_items

        return {
            "htmx_file": HTMX_FILE,
            "locale": "zh_CN" if get_locale().language == "zh" else "en",
            "nav_items": nav_items,
            "tab_items": tab_items,
            "unit_statuses": UnitStatus.LABELS,
            "role_labels": roles.LABELS,
            "unread_count": unread_count,
        }


def _register_busy(app):
    """No turn at the SQLite write lock in time (bluebird/writegate.py): 503 + Retry-After, not 500."""
    from bluebird.web import render

    def database_busy(error):
        # Load, not a bug: the client sends the same submission again (its client_uuid
        # makes that safe) after Retry-After.
        if "locked" not in str(error) and "busy" not in str(error):
            raise error
        if not db.is_closed() and db.in_transaction():
            db.rollback()
        message = _("Many people are saving at this moment, so this was not saved yet. "
                    "Please send it again in a few seconds.")
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            response = app.make_response((jsonify(error=message), 503))
        else:
            response = app.make_response(render("error.html", "_error.html", status=503, code=503, message=message))
        response.headers["Retry-After"] = "2"
        return response

    app.register_error_handler(OperationalError, database_busy)
