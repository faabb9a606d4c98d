"""Minimal HTTP client of the benchmarks (loopback only, manual cookies) and sign-in through the real login form."""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from bench.common import BENCH_PASSWORD, LOOPBACK

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# ---------------------------------------------------------------------------------------------------------
# Minimal HTTP client with manual cookies (the app's cookies are Secure in production mode, even on http)


def request(method: str, url: str, *, cookies: dict[str, str] | None = None, data: dict | None = None,
            json_body: object | None = None, headers: dict[str, str] | None = None,
            timeout: float = 30.0, source: str | None = None) -> tuple[int, dict[str, list[str]], bytes]:
    """One request on a fresh connection: (status, headers by lower-case name, body).

    `source` binds the client side to another loopback address (127.0.0.x), so that a server or nginx sees
    distinct client addresses without leaving the machine.
    """
    parts = urlsplit(url)
    if parts.hostname not in (LOOPBACK, "localhost"):
        raise ValueError("benchmarks only talk to loopback")
    if source is not None and not source.startswith("127."):
        raise ValueError("source addresses must be loopback")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = dict(headers or {})
    body = None
    if data is not None:
        body = urlencode(data, doseq=True)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = json.dumps(json_body)
        sent["Content-Type"] = "application/json"
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        got: dict[str, list[str]] = {}
        for key, value in response.getheaders():
            got.setdefault(key.lower(), []).append(value)
        return response.status, got, payload
    finally:
        conn.close()


def update_cookies(jar: dict[str, str], headers: dict[str, list[str]]) -> dict[str, str]:
    """Apply Set-Cookie headers to a plain name → value jar (deletions included)."""
    for line in headers.get("set-cookie", []):
        pair = line.split(";", 1)[0]
        name, _, value = pair.partition("=")
        expired = "expires=thu, 01 jan 1970" in line.lower() or "max-age=0" in line.lower()
        if expired or value == "":
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value.strip()
    return jar


@dataclass
class Login:
    """A signed-in browser: its cookies and the CSRF token its forms carry."""

    email: str
    cookies: dict[str, str]
    csrf: str
    status: int = 0
    seconds: float = 0.0

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def csrf_from(html: bytes) -> str | None:
    match = CSRF_RE.search(html.decode("utf-8", "replace"))
    return match.group(1) if match else None


def login(base: str, email: str, password: str = BENCH_PASSWORD, timeout: float = 30.0,
          totp_secret: str | None = None, source: str | None = None) -> Login:
    """Sign in through the real form: GET /login for the CSRF token, POST it (timed); then the code step if any."""
    jar: dict[str, str] = {}
    status, headers, body = request("GET", base + "/login", timeout=timeout, source=source)
    update_cookies(jar, headers)
    token = csrf_from(body)
    if token is None:
        raise RuntimeError(f"no CSRF token on {base}/login (status {status})")
    started = time.perf_counter()
    status, headers, _ = request("POST", base + "/login", cookies=jar, timeout=timeout, source=source,
                                 data={"email": email, "password": password, "csrf_token": token})
    elapsed = time.perf_counter() - started
    update_cookies(jar, headers)
    location = headers.get("location", [""])[0]
    if status == 302 and "/login/code" in location and totp_secret:
        status = _second_factor(base, jar, token, totp_secret, timeout)
    return Login(email=email, cookies=jar, csrf=token, status=status, seconds=elapsed)


_used_steps: dict[str, int] = {}


def _second_factor(base: str, jar: dict[str, str], token: str, secret: str, timeout: float) -> int:
    """Answer the sign-in code step with the TOTP code of a step not used before (codes are single use)."""
    from accounts import totp

    step = max(totp.step_at(time.time()), _used_steps.get(secret, -1) + 1)
    if step > totp.step_at(time.time()) + totp.WINDOW:
        time.sleep(totp.STEP_SECONDS)
        step = totp.step_at(time.time())
    _used_steps[secret] = step
    code = totp.hotp(totp.decode_secret(secret), step)
    status, headers, _ = request("POST", base + "/login/code", cookies=jar, timeout=timeout,
                                 data={"code": code, "csrf_token": token})
    update_cookies(jar, headers)
    return status


def signed_in(base: str, who: Login, path: str = "/dashboard") -> bool:
    """True when the cookie opens a login-only page (200), False when it is sent to /login."""
    status, _, _ = request("GET", base + path, cookies=who.cookies)
    return status == 200
