"""Shared helpers of the benchmarks: servers, processes, memory, HTTP sign-in, PostgreSQL databases, versions.

Everything here talks to loopback only and every wait is bounded in time.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
DATA = OUT / "data"
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
LOOPBACK = "127.0.0.1"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_PASSWORD = "Bench-Halal-2026!"  # noqa: S105 - throwaway benchmark accounts only
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until something accepts connections on the loopback port (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.pid} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {LOOPBACK}:{port} after {timeout:.0f} s")


# ---------------------------------------------------------------------------------------------------------
# gunicorn servers


@dataclass
class Server:
    """One gunicorn master on a loopback port, started with deploy/gunicorn.conf.py."""

    name: str
    app: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        env = {**os.environ, **self.env, "GUNICORN_BIND": f"{LOOPBACK}:{self.port}"}
        env.setdefault("GUNICORN_WORKERS", "2")
        env.setdefault("GUNICORN_THREADS", "4")
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"server-{self.name}.log"
        with self.log_path.open("w") as logfile:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), self.app],
                cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_port(self.port, timeout, self.proc)
        # the master listens before its workers have imported the app: wait for an answer
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _, _ = request("GET", self.base + "/healthz", timeout=10)
                if status < 500:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the master we started (gunicorn stops its workers), SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_tree(self.proc.pid)
            self.proc.wait(5)

    def kill9(self) -> None:
        """kill -9 the master and its workers: a crash, not a shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            kill_tree(self.proc.pid)
            self.proc.wait(5)

    def pids(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the master and its workers (from /proc/<pid>/stat)."""
        return sum(cpu_seconds(pid) for pid in self.pids())

    def reset_peak(self) -> None:
        for pid in self.pids():
            reset_peak_rss(pid)

    def memory(self) -> dict:
        """Peak and current RSS (MiB) of master and workers since the last reset_peak()."""
        rows = {pid: proc_status(pid) for pid in self.pids()}
        rows = {pid: r for pid, r in rows.items() if r}
        return {
            "processes": len(rows),
            "peak_total_mib": round(sum(r.get("VmHWM", 0) for r in rows.values()) / 1024, 1),
            "peak_max_process_mib": round(max((r.get("VmHWM", 0) for r in rows.values()), default=0) / 1024, 1),
            "rss_total_mib": round(sum(r.get("VmRSS", 0) for r in rows.values()) / 1024, 1),
        }


def children(pid: int) -> list[int]:
    """Direct children of a process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields after the command: state(0) ppid(1) ... utime(11) stime(12)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kill_tree(pid: int) -> None:
    """SIGKILL a process we started and its direct children (gunicorn workers)."""
    for child in children(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS in KiB from /proc/<pid>/status."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


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


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL throwaway databases


def pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def pg_create(name: str) -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    if not re.fullmatch(r"[a-z0-9_]{1,50}", name):
        raise ValueError("database name")
    with pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = urlsplit(PG_ADMIN_URL)
    return f"postgresql+psycopg://{admin.username}@{admin.hostname}:{admin.port or 5432}/{name}"


def pg_drop(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]{1,50}", name):
        raise ValueError("database name")
    try:
        with pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the real error
        log(f"could not drop database {name}: {exc}")


def pg_available() -> bool:
    try:
        with pg_admin() as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001
        return False


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def random_secret() -> str:
    return secrets.token_hex(32)


# ---------------------------------------------------------------------------------------------------------
# Machine and versions


def _cmd(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
        return (done.stdout or done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def machine_info() -> dict:
    """Hardware and software versions, for every report."""
    import sqlite3
    from importlib.metadata import version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": _cmd(["free", "-h"]).splitlines()[1:2],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": _cmd(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "not installed",
    }
    for package in ("flask", "werkzeug", "jinja2", "sqlalchemy", "gunicorn", "psycopg", "flask-limiter", "argon2-cffi"):
        try:
            info[package] = version(package)
        except Exception:  # noqa: BLE001
            info[package] = "missing"
    try:
        with pg_admin() as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001
        info["postgresql"] = "unreachable"
    if shutil.which("nginx"):
        info["nginx"] = _cmd(["nginx", "-v"])
    return info


def write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str, ensure_ascii=False))
