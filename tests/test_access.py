"""Every route, every role: access is denied by default and a new route cannot be forgotten.

ACCESS lists each endpoint with who may open it: "public" (anyone), "user" (any signed-in user) or a
set of roles. A route missing from the table fails the test.
"""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import make_user

PUBLIC, USER = "public", "user"
ACCESS: dict[str, object] = {
    "static": PUBLIC,
    "main.index": PUBLIC,
    "main.healthz": PUBLIC,
    "main.set_language": PUBLIC,
    "main.dashboard": USER,
    "accounts.register": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.logout": USER,
    "accounts.profile": USER,
    "accounts.change_password": USER,
    "twofactor.challenge": PUBLIC,
    "twofactor.settings": USER,
    "twofactor.setup": USER,
    "twofactor.recovery_codes": USER,
    "twofactor.disable": USER,
    "admin.users": {"admin"},
    "admin.user_roles": {"admin"},
    "attendance.my_sessions": USER,
    "attendance.session_detail": USER,
    "attendance.checkin_page": USER,
    "attendance.excuse": USER,
    "attendance.excuse_letter": USER,
    "attendance.session_ics": USER,
    "attendance.cohort_ics": USER,
    "attendance.my_calendar": USER,
    "attendance.feed": PUBLIC,
    "attendance.feed_reset": USER,
    "attendance.manage.index": {"organiser", "admin"},
    "attendance.manage.sessions": {"organiser", "admin"},
    "attendance.manage.new_session": {"organiser", "admin"},
    "attendance.manage.edit_session": {"organiser", "admin"},
    "attendance.manage.delete_session": {"organiser", "admin"},
    "attendance.manage.presenter": {"organiser", "admin"},
    "attendance.manage.presenter_json": {"organiser", "admin"},
    "attendance.manage.qr": {"organiser", "admin"},
    "attendance.manage.zoom": {"organiser", "admin"},
    "attendance.manage.zoom_resolve": {"organiser", "admin"},
    "attendance.manage.session_register": {"organiser", "admin"},
    "attendance.manage.bulk_mark": {"organiser", "admin"},
    "attendance.manage.person": {"organiser", "admin"},
    "attendance.manage.cohort_register": {"organiser", "admin"},
    "attendance.manage.export_csv": {"organiser", "admin"},
    "attendance.manage.export_xlsx": {"organiser", "admin"},
    "attendance.manage.excuse_list": {"organiser", "admin"},
    "attendance.manage.excuse_decide": {"organiser", "admin"},
    "certificates.index": USER,
    "certificates.pdf": USER,
    "certificates.credential": USER,
    "certificates.registry": USER,
    "certificates_admin.index": {"organiser", "admin"},
    "certificates_admin.eligibility": {"organiser", "admin"},
    "certificates_admin.issue_one": {"organiser", "admin"},
    "certificates_admin.issue_all": {"organiser", "admin"},
    "certificates_admin.export_zip": {"organiser", "admin"},
    "certificates_admin.export_csv": {"organiser", "admin"},
    "certificates_admin.export_xlsx": {"organiser", "admin"},
    "certificates_admin.detail": {"organiser", "admin"},
    "certificates_admin.revoke": {"organiser", "admin"},
    "certificates_admin.reissue": {"organiser", "admin"},
    "certificates_admin.pdf": {"organiser", "admin"},
    "certificates_admin.credential": {"organiser", "admin"},
    "verify.verify_form": PUBLIC,
    "verify.verify": PUBLIC,
    "verify.issuer": PUBLIC,
    "verify.registry": PUBLIC,
    "certificates_api.one": PUBLIC,
    "certificates_api.bulk": PUBLIC,
    "authoring.courses": {"trainer", "admin"},
    "authoring.new_course": {"trainer", "admin"},
    "authoring.edit_course": {"trainer", "admin"},
    "authoring.course": {"trainer", "admin"},
    "authoring.edit_module": {"trainer", "admin"},
    "authoring.preview": {"trainer", "admin"},
    "authoring.move_module": {"trainer", "admin"},
    "authoring.archive_module": {"trainer", "admin"},
    "authoring.publish": {"trainer", "admin"},
    "authoring.versions": {"trainer", "admin"},
    "authoring.diff": {"trainer", "admin"},
    "authoring.upload_attachment": {"trainer", "admin"},
    "authoring.export_package": {"trainer", "admin"},
    "authoring.import_package": {"trainer", "admin"},
    "cohorts.index": {"organiser", "admin"},
    "cohorts.new": {"organiser", "admin"},
    "cohorts.edit": {"organiser", "admin"},
    "cohorts.import_participants": {"organiser", "admin"},
    "cohorts.detail": {"organiser", "admin", "trainer"},
    "cohorts.progress_table": {"organiser", "admin", "trainer"},
    "tokens.index": USER,
    "tokens.revoke": USER,
    "api.openapi": PUBLIC,
    "api.me": USER,
    "api.my_enrolments": USER,
    "api.cohorts": {"organiser", "admin"},
    "api.cohort": {"organiser", "admin"},
    "api.participants": {"organiser", "admin"},
    "api.cohort_sessions": {"organiser", "admin"},
    "api.session_register": {"organiser", "admin"},
    "reports.funnel": {"organiser", "admin"},
    "reports.funnel_export": {"organiser", "admin"},
    "reports.audit": {"organiser", "admin"},
    "insights.learning": {"organiser", "admin"},
    "insights.attendance": {"organiser", "admin"},
    "insights.pick": {"organiser", "admin"},
    "record.mine": USER,
    "record.teaching": {"trainer", "admin"},
    "learn.index": USER,
    "learn.join": USER,
    "learn.course": USER,
    "learn.module": USER,
    "learn.mark_done": USER,
    "learn.attachment": USER,
    "quizzes.insight_index": {"trainer", "organiser", "admin"},
    "quizzes.author.index": {"trainer", "admin"},
    "quizzes.author.edit_quiz": {"trainer", "admin"},
    "quizzes.author.archive_quiz": {"trainer", "admin"},
    "quizzes.author.schedule": {"trainer", "admin"},
    "quizzes.author.save_window": {"trainer", "admin"},
    "quizzes.author.save_override": {"trainer", "admin"},
    "quizzes.author.delete_override": {"trainer", "admin"},
    "quizzes.author.bank": {"trainer", "admin"},
    "quizzes.author.question": {"trainer", "admin"},
    "quizzes.author.edit_question": {"trainer", "admin"},
    "quizzes.author.archive_question": {"trainer", "admin"},
    "quizzes.author.import_gift": {"trainer", "admin"},
    "quizzes.author.export_gift": {"trainer", "admin"},
    "quizzes.author.stats": {"trainer", "organiser", "admin"},
    "quizzes.author.gain": {"trainer", "organiser", "admin"},
    "quizzes.take.index": USER,
    "quizzes.take.overview": USER,
    "quizzes.take.start": USER,
    "quizzes.take.attempt": USER,
    "quizzes.take.save": USER,
    "quizzes.take.submit": USER,
    "quizzes.take.result": USER,
}
ROLES = ("consultant", "trainer", "organiser", "admin")
# endpoints that move the browser elsewhere even for allowed users
REDIRECTS_WHEN_ALLOWED = {"main.set_language", "accounts.logout", "accounts.reset_password"}


def _url_for_rule(rule) -> str:
    path = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        value = "1" if converter in ("IntegerConverter", "NumberConverter") else "x"
        path = path.replace(f"<{rule._converters[arg].__class__.__name__.lower()}:{arg}>", value)
        for conv in ("int", "string", "path", "float", "uuid", "any"):
            path = path.replace(f"<{conv}:{arg}>", value)
        path = path.replace(f"<{arg}>", value)
    return path


def _rules(app):
    for rule in app.url_map.iter_rules():
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method, _url_for_rule(rule)


def test_every_endpoint_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ACCESS))
    assert not missing, f"add these endpoints to ACCESS in tests/test_access.py: {missing}"
    stale = sorted(set(ACCESS) - endpoints)
    assert not stale, f"remove stale ACCESS entries: {stale}"


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_anonymous_is_sent_to_login_everywhere_but_public(app):
    client = app.test_client()
    for rule, method, url in _rules(app):
        if rule.endpoint == "static":
            continue
        response = client.open(url, method=method)
        expected = ACCESS[rule.endpoint]
        if expected == PUBLIC:
            assert not _is_login_redirect(response), f"{url} should be public"
            assert response.status_code != 403, url
        elif url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert _is_login_redirect(response), f"{method} {url} must need a login, got {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_areas(app, role):
    user = make_user(f"{role}@walk.example.id", roles=(role,))
    client = app.test_client()
    login(client, user)
    checked = 0
    for rule, method, url in _rules(app):
        if rule.endpoint in ("static", "accounts.logout"):
            continue
        expected = ACCESS[rule.endpoint]
        response = client.open(url, method=method)
        assert response.status_code != 500, f"{method} {url} crashed for {role}"
        if expected in (PUBLIC, USER):
            assert response.status_code != 403, f"{method} {url} refused {role}"
            assert not _is_login_redirect(response), url
        elif role in expected:
            assert response.status_code not in (401, 403), f"{method} {url} refused {role}"
        else:
            assert response.status_code == 403, f"{method} {url} let {role} in ({response.status_code})"
        checked += 1
    assert checked >= len(ACCESS) - 2
