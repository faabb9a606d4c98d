"""App-level error handlers: a friendly page in the user's language, or JSON under /api."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from extensions import db, login_manager

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("Permintaan tidak dapat diproses. Periksa kembali isian Anda."),
    401: _l("Silakan masuk terlebih dahulu."),
    403: _l("Anda tidak memiliki akses ke halaman ini."),
    404: _l("Halaman yang Anda cari tidak ditemukan."),
    405: _l("Cara akses ini tidak diizinkan untuk halaman ini."),
    409: _l("Data telah berubah sejak halaman dibuka. Muat ulang halaman."),
    413: _l("Berkas terlalu besar."),
    429: _l("Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi."),
    500: _l("Terjadi kesalahan di server. Tim kami telah dicatat; silakan coba lagi."),
    503: _l("Layanan sedang tidak tersedia sementara. Silakan coba lagi beberapa saat lagi."),
}


def wants_json() -> bool:
    """API clients get JSON errors with a stable shape."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str | None = None, code: str | None = None):
    """Render one error as JSON or HTML."""
    try:
        text = message or str(MESSAGES.get(status, MESSAGES[500]))
    except DBAPIError:  # the language of a signed-in user comes from the database, which is down too
        _as_anonymous()
        text = message or str(MESSAGES.get(status, MESSAGES[500]))
    if wants_json():
        return jsonify({"error": {"status": status, "code": code or str(status), "message": text}}), status
    try:
        return render_template("errors/error.html", status=status, message=text), status
    except Exception:  # the template itself may need the database (current_user); keep a plain fallback
        log.exception("error page failed to render")
        return f"<h1>{status}</h1><p>{text}</p>", status


def _as_anonymous() -> None:
    """Finish this request as an anonymous visitor: loading the signed-in user (for the menu and the
    language) would ask the lost database again and turn the friendly page into a bare 500."""
    db.session.rollback()
    g._login_user = login_manager.anonymous_user()


def register_error_handlers(app: Flask) -> None:
    """One handler for HTTP errors, one for a lost database, one for everything else."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = None
        if status == 400 and getattr(exc, "description", None) and "CSRF" in str(exc.description):
            message = str(_l("Sesi formulir sudah kedaluwarsa. Muat ulang halaman lalu kirim lagi."))
        return error_response(status, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database(exc):
        log.error("database unavailable: %s", exc.__class__.__name__)
        _as_anonymous()
        body, status = error_response(503, code="database_unavailable")
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return _http(exc)
        if app.testing and not app.config.get("HANDLE_ERRORS_IN_TESTS"):
            raise exc
        log.exception("unhandled error")
        db.session.rollback()
        return error_response(500)
