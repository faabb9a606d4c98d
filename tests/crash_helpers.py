"""Helpers for the crash-safety tests: a gunicorn entry point, a gunicorn we can kill -9, an HTTP client.

``make_app()`` is what ``gunicorn 'tests.crash_helpers:make_app()'`` serves: the testing configuration pointed at
the database named by ``CRASH_DATABASE_URL``, with CSRF on (the autosave sends its token in ``X-CSRFToken``) and
errors handled as in production (a lost database is a 503, not a re-raised exception).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
LOOPBACK = "127.0.0.1"


def make_app():
    """The WSGI app gunicorn serves in the crash tests (configured by environment variables)."""
    from app import create_app

    url = os.environ["CRASH_DATABASE_URL"]
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SERVER_NAME": None,
        "WTF_CSRF_ENABLED": True,
        "HANDLE_ERRORS_IN_TESTS": True,
    })
    if os.environ.get("CRASH_INSTANCE_DIR"):
        app.instance_path = os.environ["CRASH_INSTANCE_DIR"]
    return app


# ---------------------------------------------------------------------------------------------------------
# A quiz of many questions (every type), as quiz-file text


def quiz_yaml(count: int = 20, slug: str = "ujian-tahan-banting") -> tuple[str, dict[str, tuple[str, int]]]:
    """Quiz-file text of `count` questions and {uid: (type, number of options)}."""
    lines = [f"slug: {slug}", "title: Ujian Tahan Banting", "kind: final", "pass_mark: 50",
             "shuffle_questions: true", "shuffle_options: true", "questions:"]
    kinds: dict[str, tuple[str, int]] = {}
    for n in range(1, count + 1):
        uid = f"q-{n:02d}"
        qtype = ("single", "multiple", "truefalse", "short", "numeric")[n % 5]
        lines += [f"  - id: {uid}", f"    type: {qtype}", f"    text: Pertanyaan nomor {n}.",
                  "    explanation: Penjelasan.", "    source: Modul 1"]
        if qtype == "single":
            lines += ["    options:", "      - text: Pilihan A", "      - text: Pilihan B", "        correct: true",
                      "      - text: Pilihan C", "      - text: Pilihan D"]
            kinds[uid] = (qtype, 4)
        elif qtype == "multiple":
            lines += ["    options:", "      - text: Syarat A", "        correct: true", "      - text: Syarat B",
                      "        correct: true", "      - text: Bukan syarat"]
            kinds[uid] = (qtype, 3)
        elif qtype == "truefalse":
            lines += ["    answer: true"]
            kinds[uid] = (qtype, 0)
        elif qtype == "short":
            lines += ["    accepted: [LP3H]"]
            kinds[uid] = (qtype, 0)
        else:
            lines += ["    value: 7", "    tolerance: 0"]
            kinds[uid] = (qtype, 0)
    return "\n".join(lines) + "\n", kinds


def raw_answer(qtype: str, options: int, seq: int) -> object:
    """What a browser sends for question type `qtype` at save number `seq` (varies with seq, deterministic)."""
    if qtype == "single":
        return seq % options
    if qtype == "multiple":
        picked = [p for p in range(options) if (seq >> p) & 1]
        return picked or [seq % options]
    if qtype == "truefalse":
        return "true" if seq % 2 else "false"
    if qtype == "short":
        return f"jawaban {seq}"
    return str(seq)


# ---------------------------------------------------------------------------------------------------------
# gunicorn, started in its own process group so that kill -9 takes the master and every worker


def _process_group(pgid: int) -> list[tuple[int, str]]:
    """(pid, state) of every process in a process group, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            found.append((int(entry.name), fields[0]))
    return found


class Gunicorn:
    """deploy/gunicorn.conf.py (2 workers x 4 threads by default) serving make_app() on a fresh loopback port."""

    def __init__(self, database_url: str, log_dir: Path, workers: int = 2, threads: int = 4):
        self.database_url = database_url
        self.log_dir = log_dir
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0
        self.log_path: Path | None = None

    def start(self, timeout: float = 20.0) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(128)
        self.starts += 1
        self.log_path = self.log_dir / f"gunicorn-{self.starts}.log"
        env = {**os.environ, "CRASH_DATABASE_URL": self.database_url, "CRASH_INSTANCE_DIR": str(self.log_dir),
               "GUNICORN_BIND": f"fd://{listener.fileno()}", "GUNICORN_WORKERS": str(self.workers),
               "GUNICORN_THREADS": str(self.threads), "GUNICORN_ERROR_LOG": str(self.log_path),
               "GUNICORN_GRACEFUL_TIMEOUT": "3", "GUNICORN_PROC_NAME": f"bimtek-crash-{os.getpid()}"}
        env.pop("TEST_DATABASE_URL", None)
        try:
            self.port = listener.getsockname()[1]
            self.proc = subprocess.Popen(
                # --preload: the master imports the app once and forks (no connection is opened before the
                # fork), which halves the restart time on a busy 2-core machine; everything else is deploy's
                [str(GUNICORN), "-c", str(GUNICORN_CONF), "--preload", "tests.crash_helpers:make_app()"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(listener.fileno(),), start_new_session=True,
            )
        finally:
            listener.close()  # the master holds its own copy
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log()}")
            if self._healthy() and len(self.workers_alive()) >= self.workers:
                return
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn not ready after {timeout:.0f} s:\n{self.log()}")

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            return response.status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def workers_alive(self) -> list[int]:
        if self.proc is None:
            return []
        return [pid for pid, state in _process_group(self.proc.pid) if pid != self.proc.pid and state != "Z"]

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill9(self) -> int:
        """SIGKILL the whole process group (master and workers) at once; returns how many processes died."""
        assert self.proc is not None
        pgid = self.proc.pid
        victims = [pid for pid, state in _process_group(pgid) if state != "Z"]
        os.killpg(pgid, signal.SIGKILL)
        self.proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(state == "Z" for _pid, state in _process_group(pgid)):  # zombies hold no sockets or files
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"processes of group {pgid} survived SIGKILL: {_process_group(pgid)}")
        self.proc = None
        return len(victims)

    def stop(self) -> None:
        """End the server we started (tests' finally blocks): SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        try:
            if self.proc.poll() is None:
                os.killpg(pgid, signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(pgid, signal.SIGKILL)
                    self.proc.wait(5)
            if any(state != "Z" for _pid, state in _process_group(pgid)):
                os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc = None


# ---------------------------------------------------------------------------------------------------------
# A minimal browser: one keep-alive connection, cookies, CSRF token


class Client:
    """One consultant's HTTP client against the current server port (it follows the server across restarts)."""

    def __init__(self, server: Gunicorn, timeout: float = 30.0):
        self.server = server
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self._conn: http.client.HTTPConnection | None = None
        self._port = 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        reused = self._conn is not None and self._port == self.server.port
        if not reused:
            self.close()
            self._port = self.server.port
            self._conn = http.client.HTTPConnection(LOOPBACK, self._port, timeout=self.timeout)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self._conn.request(method, path, body=body, headers=sent)
            response = self._conn.getresponse()
            data = response.read()
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            self.close()
            if not reused:
                raise
            # an idle keep-alive connection the server had already closed: retry once on a new one, as browsers do
            return self.request(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["expires"] and "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(data).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, payload: dict) -> tuple[int, dict | None]:
        """The autosave request quiz.js sends: JSON body, token in X-CSRFToken."""
        status, _headers, data = self.request("POST", path, json.dumps(payload).encode(), {
            "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": self.csrf})
        try:
            body = json.loads(data)
        except ValueError:
            body = None
        return status, body

    def take_csrf(self, html: bytes) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html.decode())
        assert match, "no CSRF token in page"
        self.csrf = match.group(1)
        return self.csrf

    def login(self, email: str, password: str) -> None:
        status, _h, page = self.get("/login")
        assert status == 200, status
        self.take_csrf(page)
        status, headers, page = self.post_form("/login", {"email": email, "password": password,
                                                          "csrf_token": self.csrf})
        assert status == 302 and headers["location"].endswith("/dashboard"), (status, page[:300])
