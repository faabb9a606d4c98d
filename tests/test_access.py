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
    "admin.users": {"admin"},
    "admin.user_roles": {"admin"},
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
    "learn.index": USER,
    "learn.join": USER,
    "learn.course": USER,
    "learn.module": USER,
    "learn.mark_done": USER,
    "learn.attachment": USER,
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
