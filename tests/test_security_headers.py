"""Security headers, CSP-clean markup and open redirects (HDR, SESS-8, AUTH-9).

Every GET route is opened, with real ids, by every role that may see it (and by one that may not, for the error
page): each response carries a CSP without 'unsafe-inline' for scripts and with frame-ancestors 'none',
nosniff, a Referrer-Policy and X-Frame-Options; signed-in responses are not cacheable by shared caches; and no
HTML page contains inline <script>/<style> blocks, on*= handlers, style= attributes or javascript: URLs (the CSP
would block them, so they would be broken features or an injection).

Open redirects: every parameter that chooses where to go next (login `next`, language switch `next`, `back`
after issuing a certificate or marking a register) is tried with off-site and scheme tricks.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from app import create_app
from tests.security_data import ANON, ROLES, WorldApp, routes
from tests.test_security_matrix import EXPECT

APP = create_app("testing")
GET_ROUTES = routes(APP, {"GET"})


def _visitors(endpoint: str) -> list[str]:
    """Every role that may open the route, plus the first one that may not (its error page)."""
    allowed = EXPECT[endpoint].allowed
    denied = [role for role in ROLES if role not in allowed]
    return [role for role in ROLES if role in allowed] + denied[:1]


CASES = [(route, role) for route in GET_ROUTES for role in _visitors(route.endpoint)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    world_app = WorldApp(tmp_path_factory.mktemp("headers"))
    yield world_app
    world_app.close()


class _Markup(HTMLParser):
    """Collects what a strict CSP (script-src 'self'; style-src 'self') would block in a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script> block")
        if tag == "style":
            self.problems.append("inline <style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…> attribute")
            if name in ("href", "src", "action", "formaction") and value and \
                    "".join(value.split()).lower().startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value[:40]}>")


def markup_problems(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    return parser.problems


def check_headers(response, personal: bool) -> list[str]:
    h = response.headers
    problems = []
    csp = h.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    script = directives.get("script-src", directives.get("default-src"))
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        problems.append(f"script-src {script}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("frame-ancestors not 'none'")
    if directives.get("object-src") != ["'none'"] or directives.get("base-uri") != ["'self'"]:
        problems.append("object-src/base-uri")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if h.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options DENY")
    if h.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"):
        problems.append(f"Referrer-Policy {h.get('Referrer-Policy')}")
    cache = h.get("Cache-Control", "")
    if personal and response.status_code == 200 and not any(v in cache for v in ("no-store", "private")):
        problems.append(f"signed-in response cacheable: Cache-Control {cache!r}")
    return problems


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{r.rule} {role}" for r, role in CASES])
def test_headers_and_markup(site, route, role):
    site.reset()
    url = site.url(route)
    response = site.request(route, role, url)
    what = f"GET {url} as {role} ({response.status_code})"
    assert response.status_code < 500, what
    personal = role != ANON and ANON not in EXPECT[route.endpoint].allowed  # public pages may be cached
    assert check_headers(response, personal) == [], what
    if response.mimetype == "text/html":
        assert markup_problems(response.get_data(as_text=True)) == [], what


def test_walk_size():
    assert len(GET_ROUTES) >= 90 and len(CASES) >= 350, (len(GET_ROUTES), len(CASES))


def test_error_pages_and_api_errors_carry_the_headers(site):
    site.reset()
    for client, path in ((site.clients[ANON], "/tidak-ada"), (site.clients["consultant_b"], "/api/v1/tidak-ada"),
                         (site.clients["consultant_b"], "/admin/users")):
        response = client.get(path)
        assert check_headers(response, False) == [], path
        if response.mimetype == "text/html":
            assert markup_problems(response.get_data(as_text=True)) == [], path


def test_markup_checker_sees_what_the_csp_would_block():
    page = ('<p onclick="x()" style="color:red">a</p><script>alert(1)</script><style>p{}</style>'
            '<a href=" javascript:alert(1)">x</a><script src="/static/js/quiz.js"></script>')
    assert len(markup_problems(page)) == 5


# ---------------------------------------------------------------------------------------------------------
# Open redirects (AUTH-9)

EVIL = [
    "https://evil.example/", "//evil.example/", "///evil.example/", "/\\evil.example", "\\\\evil.example",
    "\\/evil.example", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "http:evil.example", "https:/\\evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example",
    "\x00//evil.example", "//evil.example@localhost/", "https://localhost.evil.example/", "//%2Fevil.example",
    "/%09/evil.example", "%2F%2Fevil.example", "evil.example", "../../evil.example",
]


def _same_site(location: str) -> bool:
    parts = urlsplit(location)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "localhost"):
        return False
    path = location if not parts.netloc else parts.path
    return not path.startswith(("//", "/\\", "\\")) and "evil.example" not in parts.netloc


@pytest.mark.parametrize("evil", EVIL, ids=[repr(e) for e in EVIL])
def test_redirect_parameters_stay_on_site(site, evil):
    from tests.security_data import EMAIL_OF, PASSWORD

    site.reset()
    world = site.world
    checks = []
    anon = site.app.test_client()
    response = anon.post("/login", query_string={"next": evil},
                         data={"email": EMAIL_OF["consultant_a"], "password": PASSWORD})
    checks.append(("login next (POST)", response))
    checks.append(("login next (already signed in)", anon.get("/login", query_string={"next": evil})))
    checks.append(("language next", site.app.test_client().post("/lang/en", data={"next": evil})))
    checks.append(("language next (signed in)", anon.post("/lang/id", data={"next": evil})))
    organiser = site.clients["organiser"]
    checks.append(("certificate issue back", organiser.post(
        f"/organiser/certificates/cohorts/{world.cohort_a}/issue/{world.enrolment_a}", data={"back": evil})))
    checks.append(("register back", organiser.post(
        f"/organiser/attendance/sessions/{world.session_a}/register",
        data={"back": evil, "status": "present", "reason": "uji", "user_id": str(world.users["consultant_a"])})))
    for label, response in checks:
        if "\x00" in evil and response.status_code == 400:
            continue  # NUL bytes are refused before any view runs: nothing to redirect
        assert response.status_code in (302, 303), (label, response.status_code)
        location = response.headers["Location"]
        assert _same_site(location), f"{label}: {evil!r} redirected to {location!r}"
    site.dirty = True
    site.reset()
