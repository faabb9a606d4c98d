"""Public pages, no account needed: verify a certificate, the issuer's key document, the registry.

The verify page (CERT-2) answers malformed and unknown codes with the same "not found" page, is
rate-limited per client address together with the JSON API (one shared bucket), and tells
browsers and search engines not to keep or index it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from accounts.guards import public
from certificates import documents, services
from certificates.forms import RegistryFilterForm, VerifyForm
from certificates.numbering import display_code, normalise_code
from certificates.views import page_arg
from extensions import limiter

bp = Blueprint("verify", __name__)
VERIFY_SCOPE = "certificate-verify"


def verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT") or "60 per minute"


verify_limited = limiter.shared_limit(verify_limit, scope=VERIFY_SCOPE)


def private_headers(response):
    """No caching (a revocation must show at once), no indexing, no referrer leaking the code."""
    response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/verify")
@public
def verify_form():
    form = VerifyForm(request.args)
    searched = request.args.get("code") is not None and form.validate()
    if searched:
        code = normalise_code(form.code.data)
        if code is not None:
            return redirect(url_for("verify.verify", code=display_code(code)))
    # a malformed code gets the same "not found" answer as an unknown one (CERT-2)
    return private_headers(current_app.make_response(
        (render_template("certificates/verify.html", form=form, record=None, searched=searched, code=None),
         404 if searched else 200)))


@bp.route("/verify/<code>")
@public
@verify_limited
def verify(code: str):
    cert = services.find_by_code(code)
    record = services.public_record(cert) if cert else None
    form = VerifyForm(formdata=None, code=display_code(cert.code) if cert else None)
    status = 200 if record else 404
    response = current_app.make_response(
        (render_template("certificates/verify.html", form=form, record=record, searched=True,
                         code=display_code(cert.code) if cert else None), status))
    return private_headers(response)


@bp.route("/issuer")
@public
def issuer():
    """The issuer profile and public key that signed credentials name as their verification method."""
    response = jsonify(documents.issuer_document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/registry")
@public
def registry():
    form = RegistryFilterForm(request.args)
    form.validate()
    page, certs = services.registry_page(province=form.province.data or None, plut=form.plut.data or None,
                                         q=form.q.data or None, page=page_arg())
    return render_template("certificates/registry.html", form=form, page=page, certs=certs)
