"""`make bench`: the real app against a bare Flask baseline, side by side, in one run.

    python -m bench.run              # full run, about 15 minutes on a 2-core machine
    BENCH_QUICK=1 python -m bench.run  # 2-3 minute smoke run at a tenth of the scale

For each database (SQLite, then PostgreSQL) and size (100 users, then national scale) it generates the data
(bench/gen.py), starts the app under deploy/gunicorn.conf.py in production mode on a loopback port, signs
consultants in through the real login form, and runs wrk (16 connections) against each page; the baseline
(bench/baseline_app.py, same gunicorn settings) is measured in every phase, so every throughput is a ratio.
On the largest PostgreSQL database it also runs the opening rush (N logins spread over a minute) and the
synchronised start (N signed-in consultants start, answer and submit the final test within 10 seconds).

Writes bench/out/results.json, bench/out/phase-*.json, and the Markdown report (also printed) to bench/RESULTS.md
(full run) or bench/out/RESULTS-quick.md (BENCH_QUICK=1, so that a smoke run never replaces the full figures).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench import load
from bench.baseline_app import DEFAULT_DB as BASELINE_DB
from bench.baseline_app import prepare as prepare_baseline
from bench.common import (
    BENCH,
    DATA,
    OUT,
    ROOT,
    Login,
    Server,
    free_port,
    log,
    login,
    machine_info,
    pg_available,
    pg_create,
    pg_drop,
    random_secret,
    remove_sqlite,
    request,
    sqlite_url,
    update_cookies,
    write_json,
)
from bench.load import Entry, StepTimes, timed

QUICK = os.environ.get("BENCH_QUICK") == "1"
WRK_USERS = 16 if QUICK else 32
CONNECTIONS = 16

TARGETS = {  # scenario -> (minimum share of the baseline's req/s, p99 ms at 16 connections)
    "module": (0.40, 50.0),
    "answer_save": (0.50, 50.0),
    "verify": (0.50, 50.0),
}


@dataclass
class Plan:
    quick: bool

    @property
    def duration(self) -> float:
        return 3.0 if self.quick else 10.0

    @property
    def warmup(self) -> float:
        return 1.0 if self.quick else 2.0

    @property
    def single(self) -> float:
        return 1.5 if self.quick else 3.0

    @property
    def growth_rounds(self) -> int:
        return 3

    @property
    def large(self) -> str:
        return "quick" if self.quick else "national"

    @property
    def burst_users(self) -> int:
        return 50 if self.quick else 500

    @property
    def rush_window(self) -> float:
        return 10.0 if self.quick else 60.0

    @property
    def sync_window(self) -> float:
        return 5.0 if self.quick else 10.0

    def backends(self, postgres: bool) -> list[str]:
        """SQLite, then PostgreSQL; the quick run keeps to SQLite (make cluster-test covers PostgreSQL)."""
        return ["sqlite", "postgresql"] if postgres and not self.quick else ["sqlite"]


class Cleanup:
    """Everything started or created by this run, undone at exit even on failure or Ctrl-C."""

    def __init__(self):
        self.servers: list[Server] = []
        self.databases: list[str] = []
        self.files: list[Path] = []

    def run(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()
        for name in self.databases:
            pg_drop(name)
        self.databases.clear()
        if os.environ.get("BENCH_KEEP") != "1":
            for path in self.files:
                remove_sqlite(path)
        self.files.clear()


CLEANUP = Cleanup()


def _on_signal(signum, _frame):
    CLEANUP.run()
    sys.exit(128 + signum)


# ---------------------------------------------------------------------------------------------------------
# Data and servers


def generate(backend: str, scale: str) -> tuple[str, dict]:
    """Generate one database in a subprocess (the app's migrations, then bulk rows); returns (url, manifest)."""
    DATA.mkdir(parents=True, exist_ok=True)
    manifest_path = DATA / f"{backend}-{scale}.json"
    if backend == "sqlite":
        path = DATA / f"{scale}.db"
        remove_sqlite(path)
        CLEANUP.files.append(path)
        url = sqlite_url(path)
    else:
        name = f"bimtek_bench_{scale}_{os.getpid()}"
        CLEANUP.databases.append(name)
        url = pg_create(name)
    log(f"generating {scale} data on {backend} ...")
    with (OUT / f"gen-{backend}-{scale}.log").open("w") as logfile:
        done = subprocess.run([sys.executable, "-m", "bench.gen", "--database-url", url, "--scale", scale,
                               "--manifest", str(manifest_path)], cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT,
                              timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.gen failed, see {OUT / f'gen-{backend}-{scale}.log'}")
    manifest = json.loads(manifest_path.read_text())
    log(f"  rows {manifest['rows']} in {manifest['seconds']['total']} s")
    return url, manifest


def app_env(url: str, port: int, secret: str) -> dict[str, str]:
    """Production mode, with the per-IP limits lifted: every virtual user here shares 127.0.0.1."""
    return {
        "APP_ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": url, "BASE_URL": f"http://127.0.0.1:{port}",
        "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": "100000 per minute",
        "VERIFY_RATE_LIMIT": "1000000 per minute",
    }


def start_app(name: str, url: str) -> Server:
    port = free_port()
    server = Server(name, "app:create_app()", port, env=app_env(url, port, random_secret()))
    CLEANUP.servers.append(server)
    return server.start()


def stop(server: Server) -> None:
    server.stop()
    if server in CLEANUP.servers:
        CLEANUP.servers.remove(server)


# ---------------------------------------------------------------------------------------------------------
# Signed-in users and what they ask for


class Session:
    """What one phase knows: the server, the manifest, signed-in consultants and the organiser."""

    def __init__(self, server: Server, url: str, manifest: dict):
        self.server = server
        self.url = url
        self.manifest = manifest
        self.base = server.base
        self.cohort = manifest["big_cohort_id"]
        self.users: list[Login] = []
        self.attempts: dict[str, dict] = {}  # email -> {"path", "save", "uid", "answer"}
        self.organiser: Login | None = None
        self.notes: list[str] = []

    def sign_in_load_users(self) -> None:
        emails = self.manifest["load_users"][-WRK_USERS:]
        for email in emails:
            who = login(self.base, email, self.manifest["password"])
            if who.status == 302 and "session" in who.cookies:
                self.users.append(who)
        if len(self.users) < len(emails):
            raise RuntimeError(f"only {len(self.users)} of {len(emails)} load users could sign in")

    def sign_in_organiser(self) -> None:
        email = self.manifest["staff"]["organiser"]
        secret = (self.manifest.get("staff_totp") or {}).get("organiser")
        who = login(self.base, email, self.manifest["password"], totp_secret=secret)
        status, headers, _ = request("GET", self.base + "/dashboard", cookies=who.cookies)
        update_cookies(who.cookies, headers)
        if status == 200:
            self.organiser = who
        else:
            self.notes.append(f"organiser could not sign in: /dashboard answered {status} "
                              f"{headers.get('location', [''])[0]}")

    def module_entries(self) -> list[Entry]:
        slugs = self.manifest["module_slugs"]
        return [Entry("GET", f"/learn/{self.cohort}/m/{slugs[i % len(slugs)]}", u.cookie_header)
                for i, u in enumerate(self.users)]

    def dashboard_entries(self) -> list[Entry]:
        return [Entry("GET", "/dashboard", u.cookie_header) for u in self.users]

    def verify_entries(self) -> list[Entry]:
        codes = self.manifest.get("certificate_codes") or []
        return [Entry("GET", "/verify/" + quote(code)) for code in codes[:500]]

    def start_attempts(self) -> None:
        """Each load user starts the final test once (an open attempt to show and save into)."""
        quiz = self.manifest.get("quiz") or {}
        if not quiz.get("available"):
            return
        slug = quiz["final_slug"]
        for who in self.users:
            status, headers, _ = request("POST", f"{self.base}/learn/{self.cohort}/quiz/{slug}/start",
                                         cookies=who.cookies, data={"csrf_token": who.csrf})
            update_cookies(who.cookies, headers)
            location = headers.get("location", [""])[0]
            match = re.search(r"/attempt/(\d+)", location)
            if status != 302 or not match:
                self.notes.append(f"start of the final test answered {status} {location}")
                return
            attempt_id = int(match.group(1))
            uid, answer = self.answerable_question(attempt_id)
            path = location.split("//", 1)[-1]
            path = path[path.index("/"):] if "://" in location else location
            self.attempts[who.email] = {"path": path, "save": path + "/save", "uid": uid, "answer": answer,
                                        "id": attempt_id}

    def answerable_question(self, attempt_id: int) -> tuple[str, object]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                version_ids = conn.execute(text("SELECT version_ids FROM quiz_attempts WHERE id = :i"),
                                           {"i": attempt_id}).scalar()
                if isinstance(version_ids, str):
                    version_ids = json.loads(version_ids)
                for uid, vid in version_ids.items():
                    data = conn.execute(text("SELECT data FROM question_versions WHERE id = :i"), {"i": vid}).scalar()
                    data = json.loads(data) if isinstance(data, str) else data
                    if data.get("type") == "single":
                        return uid, 0
                    if data.get("type") == "truefalse":
                        return uid, "true"
                uid = next(iter(version_ids))
                return uid, "jawaban"
        finally:
            engine.dispose()

    def quiz_page_entries(self) -> list[Entry]:
        return [Entry("GET", self.attempts[u.email]["path"], u.cookie_header) for u in self.users
                if u.email in self.attempts]

    def save_entries(self) -> list[Entry]:
        entries = []
        for u in self.users:
            attempt = self.attempts.get(u.email)
            if attempt:
                body = json.dumps({"question": attempt["uid"], "answer": attempt["answer"], "seq": 0})
                entries.append(Entry("POST", attempt["save"], u.cookie_header, u.csrf,
                                     body.replace('"seq": 0', '"seq": {seq}')))
        return entries


def preflight(base: str, entries: list[Entry], expect: int) -> str | None:
    """Each distinct kind of request answers `expect` once before the load (a 302 to /login is a failure)."""
    for entry in entries[:3]:
        headers = {"Cookie": entry.cookie} if entry.cookie else {}
        if entry.csrf:
            headers["X-CSRFToken"] = entry.csrf
        body = entry.body.replace("{seq}", "1") if entry.body else None
        kwargs = {"json_body": json.loads(body)} if body else {}
        status, got, payload = request(entry.method, base + entry.path, headers=headers, **kwargs)
        if status != expect:
            detail = got.get("location", [""])[0]
            try:
                detail = detail or json.loads(payload)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                detail = detail or payload[:80].decode("utf-8", "replace")
            return f"{entry.method} {entry.path} answered {status} {detail}"
    return None


def measure(server: Server, entries: list[Entry], name: str, plan: Plan, expect: int = 200) -> dict:
    if not entries:
        return {"skipped": "no requests to make"}
    problem = preflight(server.base, entries, expect)
    if problem:
        log(f"  {name}: skipped ({problem})")
        return {"skipped": problem}
    load.run_load(server.base, entries, name=name + "-warmup", duration=plan.warmup, connections=CONNECTIONS)
    server.reset_peak()
    load_before = os.getloadavg()[0]
    cpu_before = server.cpu_seconds()
    result = load.run_load(server.base, entries, name=name, duration=plan.duration, connections=CONNECTIONS)
    cpu = server.cpu_seconds() - cpu_before
    # server CPU per request: steadier than req/s when other work shares the machine
    result["cpu_ms_per_request"] = round(1000 * cpu / result["requests"], 2) if result["requests"] else None
    result["memory"] = server.memory()
    # the 1-minute load average before and after: other work on the machine shows up here
    result["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    log(f"  {name}: {result['rps']} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"errors {result['errors']}, server CPU {result['cpu_ms_per_request']} ms/request, load {result['loadavg']}")
    return result


# ---------------------------------------------------------------------------------------------------------
# Organiser pages: funnel, progress, eligibility and the CSV exports (one request at a time, memory per request)


def organiser_pages(session: Session) -> dict:
    if session.organiser is None:
        return {"skipped": "; ".join(session.notes) or "organiser could not sign in"}
    cohort = session.cohort
    pages = {
        "funnel": f"/reports/funnel?cohort={cohort}",
        "cohort_progress": f"/organiser/cohorts/{cohort}/progress",
        "certificate_eligibility": f"/organiser/certificates/cohorts/{cohort}",
        "attendance_register": f"/organiser/attendance/cohorts/{cohort}/register",
        "funnel_csv": "/reports/funnel.csv?by=plut",
        "certificates_csv": f"/organiser/certificates/cohorts/{cohort}/certificates.csv",
        "attendance_register_csv": f"/organiser/attendance/cohorts/{cohort}/register.csv",
    }
    out = {}
    for name, path in pages.items():
        times, rows, growth, status = [], 0, 0.0, 0
        for _ in range(3):
            before = {pid: _rss(pid) for pid in session.server.pids()}
            session.server.reset_peak()
            started = time.perf_counter()
            try:
                status, _, body = request("GET", session.base + path, cookies=session.organiser.cookies, timeout=120)
            except OSError as exc:
                status, body = 0, str(exc).encode()
            times.append((time.perf_counter() - started) * 1000)
            rows = body.count(b"\n") if path.split("?")[0].endswith(".csv") else 0
            growth = max(growth, _growth(before))
            if status != 200 or times[-1] > 2000 or QUICK:
                break  # a slow page is timed once: the run has a time budget
        out[name] = {"path": path, "status": status, "ms_median": round(statistics.median(times), 1),
                     "ms_max": round(max(times), 1), "tries": len(times), "csv_lines": rows,
                     "memory_growth_mib": round(growth, 1)}
        log(f"  {name}: {status}, median {out[name]['ms_median']} ms"
            + (f", {rows} lines, +{growth:.1f} MiB" if rows else ""))
    return out


def _rss(pid: int) -> int:
    from bench.common import proc_status

    return proc_status(pid).get("VmRSS", 0)


def _growth(before: dict[int, int]) -> float:
    """Largest rise of one process's peak RSS above its RSS before the request (MiB)."""
    from bench.common import proc_status

    rises = [(proc_status(pid).get("VmHWM", 0) - rss) / 1024 for pid, rss in before.items()]
    return max(rises, default=0.0)


def csv_streaming_check(rows: int) -> dict:
    """The streaming CSV helper (reports.exports.csv_response) with `rows` rows: peak memory growth in-process."""
    try:
        from reports.exports import csv_response
    except ImportError:
        return {"skipped": "reports.exports.csv_response not present"}
    import tracemalloc

    from flask import Flask

    app = Flask("csvcheck")

    def generated():
        for i in range(rows):
            yield (f"k{i:06d}@bench.bimtek.id", f"Konsultan {i}", "Jawa Barat", "PLUT KUMKM Jawa Barat", 80.5, "lulus")

    with app.test_request_context():
        tracemalloc.start()
        response = csv_response("x.csv", ("email", "name", "province", "plut", "score", "state"), generated())
        size = lines = 0
        for chunk in response.response:
            size += len(chunk)
            lines += 1
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"rows": rows, "lines": lines, "bytes": size, "peak_python_mib": round(peak / 2**20, 2)}


# ---------------------------------------------------------------------------------------------------------
# Bursts


def bursts(server: Server, manifest: dict, plan: Plan) -> dict:
    emails = manifest["load_users"][: plan.burst_users]
    log(f"opening rush: {len(emails)} logins over {plan.rush_window:.0f} s ...")
    server.reset_peak()
    rush, logins = load.opening_rush(server.base, emails, plan.rush_window, manifest["password"])
    rush["memory"] = server.memory()
    log(f"  {rush['steps'].get('login_post')}")
    quiz = manifest.get("quiz") or {}
    cohort = manifest["big_cohort_id"]
    if quiz.get("available"):
        slug = quiz["final_slug"]

        def steps(who: Login, times: StepTimes) -> None:
            got = timed(times, "start", "POST", f"{server.base}/learn/{cohort}/quiz/{slug}/start", who, (302,),
                        data={"csrf_token": who.csrf})
            if got is None:
                return
            location = got[1].get("location", [""])[0]
            if "/attempt/" not in location:
                times.add("start_redirect", 0, False, location[:60] or "no redirect")
                return
            page = location[location.index("/learn/"):]
            got = timed(times, "attempt_page", "GET", server.base + page, who, (200,))
            if got is None:
                return
            question = _first_question(got[2])
            if question:
                timed(times, "answer_save", "POST", f"{server.base}{page}/save", who, (200,),
                      json_body={"question": question[0], "answer": question[1], "seq": 1},
                      headers={"X-CSRFToken": who.csrf})
            else:
                times.add("answer_save", 0, False, "no answer input on the attempt page")
            timed(times, "submit", "POST", f"{server.base}{page}/submit", who, (302,),
                  data={"csrf_token": who.csrf})

        what = f"start, answer and submit the final test ({slug})"
    else:
        def steps(who: Login, times: StepTimes) -> None:
            timed(times, "course_page", "GET", f"{server.base}/learn/{cohort}", who, (200,))

        what = "open the course page (no quiz routes yet)"
    log(f"synchronised start: {len(logins)} signed-in consultants {what} within {plan.sync_window:.0f} s ...")
    server.reset_peak()
    sync = load.synchronised_start(server.base, logins, plan.sync_window, steps)
    sync["what"] = what
    sync["memory"] = server.memory()
    for step, row in sync["steps"].items():
        log(f"  {step}: {row}")
    return {"rush": rush, "sync": sync}


INPUT_RE = re.compile(rb'type="(radio|checkbox|text)"[^>]*name="q-([^"]+)"[^>]*value="([^"]*)"')


def _first_question(html: bytes) -> tuple[str, object] | None:
    """(uid, an answer the autosave accepts) from the first answer input on the attempt page."""
    match = INPUT_RE.search(html)
    if not match:
        return None
    kind, uid, value = (g.decode() for g in match.groups())
    if kind == "checkbox":
        return uid, [int(value)]
    if kind == "radio":
        return uid, int(value) if value.isdigit() else value
    return uid, "1"


# ---------------------------------------------------------------------------------------------------------
# One phase: one database at one size


PAGES = ("module", "dashboard", "quiz_page", "answer_save", "verify")


def page_entries(session: Session) -> dict[str, list[Entry]]:
    return {"module": session.module_entries(), "dashboard": session.dashboard_entries(),
            "quiz_page": session.quiz_page_entries(), "answer_save": session.save_entries(),
            "verify": session.verify_entries()}


def open_session(server: Server, url: str, manifest: dict) -> Session:
    session = Session(server, url, manifest)
    session.sign_in_load_users()
    session.sign_in_organiser()
    session.start_attempts()
    log(f"  {len(session.users)} consultants signed in on {server.base} ({server.name})")
    return session


def growth(small: Session, large: Session, plan: Plan) -> dict:
    """Each page at 1 connection on the 100-user and the large database, alternately (A B, B A, A B), so that
    other work on the machine hits both sides alike; the ratio is the median of the per-round ratios."""
    out = {}
    entries = {"small": page_entries(small), "large": page_entries(large)}
    for page in PAGES:
        problem = None
        for side, session in (("small", small), ("large", large)):
            problem = problem or (preflight(session.base, entries[side][page], 200) if entries[side][page]
                                  else "no requests to make")
        if problem:
            out[page] = {"skipped": problem}
            continue
        rounds: dict[str, list[dict]] = {"small": [], "large": []}
        for n in range(plan.growth_rounds):
            order = (("small", small), ("large", large))
            for side, session in (order if n % 2 == 0 else order[::-1]):  # A B, B A, A B: neither side always first
                cpu_before = session.server.cpu_seconds()
                row = load.run_load(session.base, entries[side][page], name=f"growth-{page}-{side}-{n}",
                                    duration=plan.single, connections=1, threads=1)
                cpu = session.server.cpu_seconds() - cpu_before
                row["cpu_ms_per_request"] = 1000 * cpu / row["requests"] if row["requests"] else None
                rounds[side].append(row)
        summary = {}
        for side, rows in rounds.items():
            summary[side] = {
                "p50_ms": round(statistics.median(r["p50_ms"] for r in rows), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in rows), 2),
                "cpu_ms_per_request": round(statistics.median(r["cpu_ms_per_request"] or 0 for r in rows), 2),
                "requests": sum(r["requests"] for r in rows), "errors": sum(r["errors"] for r in rows),
            }
        # paired: each round's large/small ratio (taken seconds apart), then the median of the rounds
        pairs = [b["p50_ms"] / a["p50_ms"] for a, b in zip(rounds["small"], rounds["large"], strict=True)
                 if a["p50_ms"]]
        summary["round_ratios"] = [round(r, 2) for r in pairs]
        summary["round_p50_ms"] = {side: [round(r["p50_ms"], 2) for r in rows] for side, rows in rounds.items()}
        summary["ratio"] = round(statistics.median(pairs), 2) if pairs else None
        small_cpu = summary["small"]["cpu_ms_per_request"]
        summary["cpu_ratio"] = round(summary["large"]["cpu_ms_per_request"] / small_cpu, 2) if small_cpu else None
        out[page] = summary
        log(f"  growth {page}: p50 {summary['small']['p50_ms']} → {summary['large']['p50_ms']} ms "
            f"(× {summary['ratio']}), CPU {summary['small']['cpu_ms_per_request']} → "
            f"{summary['large']['cpu_ms_per_request']} ms/request")
    return out


def run_backend(backend: str, plan: Plan, baseline: Server, with_bursts: bool) -> dict:
    """One database: the 100-user and the large data side by side; load on the large one, growth on both."""
    small_url, small_manifest = generate(backend, "small")
    url, manifest = generate(backend, plan.large)
    phase = {"backend": backend, "scale": plan.large, "rows": manifest["rows"], "rows_small": small_manifest["rows"],
             "generation_s": manifest["seconds"], "generation_small_s": small_manifest["seconds"],
             "tables_created_from_models": manifest.get("tables_created_from_models", [])}
    small_server = start_app(f"{backend}-small", small_url)
    server = start_app(f"{backend}-{plan.large}", url)
    try:
        log(f"{backend}: signing in on both databases ...")
        small = open_session(small_server, small_url, small_manifest)
        session = open_session(server, url, manifest)
        scenarios = {"baseline": measure(baseline, [Entry("GET", f"/?g={g}") for g in range(32)],
                                         f"{backend}-baseline", plan)}
        for page, entries in page_entries(session).items():
            scenarios[page] = measure(server, entries, f"{backend}-{plan.large}-{page}", plan)
        phase["scenarios"] = scenarios
        phase["organiser_pages"] = organiser_pages(session)
        log(f"{backend}: growth, 100 users against {manifest['rows']['users']:,} (1 connection, alternating) ...")
        phase["growth"] = growth(small, session, plan)
        stop(small_server)
        if with_bursts:
            phase["bursts"] = bursts(server, manifest, plan)
        phase["notes"] = session.notes + small.notes
        phase["server_log_errors"] = _server_errors(server) + _server_errors(small_server)
    finally:
        stop(small_server)
        stop(server)
    write_json(OUT / f"phase-{backend}.json", phase)
    return phase


def _server_errors(server: Server) -> list[str]:
    if server.log_path is None or not server.log_path.exists():
        return []
    lines = server.log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if "Traceback" in line or "ERROR" in line][:20]


# ---------------------------------------------------------------------------------------------------------
# Report


def _fmt(value, digits=1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "FAIL")


def targets(results: dict) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each target of the issue, from every large phase."""
    rows: list[tuple[str, str, str]] = []
    larges = [p for p in results["phases"] if p["scale"] != "small"]
    for phase in larges:
        sc = phase["scenarios"]
        base = sc["baseline"].get("rps")
        for name, label in (("module", "Module page"), ("answer_save", "Answer save"), ("verify", "Verification page")):
            share, p99 = TARGETS[name]
            row = sc.get(name, {})
            if "rps" not in row or not base:
                rows.append((f"{label} ≥ {share:.0%} of baseline, p99 < {p99:.0f} ms ({phase['backend']})",
                             "not measured: " + row.get("skipped", "")[:120], "–"))
                continue
            ratio = row["rps"] / base
            ok = ratio >= share and row["p99_ms"] < p99 and row["errors"] == 0
            rows.append((f"{label} ≥ {share:.0%} of baseline, p99 < {p99:.0f} ms ({phase['backend']})",
                         f"{ratio:.0%} ({row['rps']:.0f} of {base:.0f} req/s), p99 {row['p99_ms']:.0f} ms, "
                         f"{row['errors']} errors", verdict(ok)))
        bursts = phase.get("bursts")
        if bursts:
            login_row = bursts["rush"]["steps"].get("login_post", {})
            rows.append((f"Opening rush: {bursts['rush']['users']} logins in {bursts['rush']['window_s']:.0f} s, "
                         "0 errors, p95 < 1 s", f"{login_row.get('errors')} errors, p95 {login_row.get('p95_ms')} ms",
                         verdict(login_row.get("errors") == 0 and login_row.get("p95_ms", 1e9) < 1000)))
            steps = bursts["sync"]["steps"]
            errors = sum(r["errors"] for r in steps.values())
            worst = max((r["p95_ms"] for r in steps.values()), default=0)
            first = steps.get("start") or next(iter(steps.values()), {})
            rows.append((f"Synchronised start: {bursts['sync']['users']} users in {bursts['sync']['window_s']:.0f} s, "
                         "0 errors, p95 < 1 s", f"{errors} errors over all steps; start p95 {first.get('p95_ms')} ms, "
                         f"slowest step p95 {worst} ms", verdict(errors == 0 and worst < 1000)))
        pages = phase.get("organiser_pages") or {}
        if "funnel" in pages:
            f = pages["funnel"]
            rows.append((f"Funnel of the {phase['rows'].get('users', 0):,}-user database's national cohort < 1 s "
                         f"({phase['backend']})", f"{f['status']}, {f['ms_max']:.0f} ms",
                         verdict(f["status"] == 200 and f["ms_max"] < 1000)))
        csvs = {k: v for k, v in pages.items() if k.endswith("_csv")}
        if csvs:
            worst = max(csvs.values(), key=lambda r: r["memory_growth_mib"])
            rows.append((f"CSV export memory growth < 50 MB ({phase['backend']})",
                         f"worst {worst['memory_growth_mib']} MiB ({worst['path']}, {worst['csv_lines']} lines)",
                         verdict(all(r["status"] == 200 and r["memory_growth_mib"] < 50 for r in csvs.values()))))
    for phase in results["phases"]:
        ratios = {k: v["ratio"] for k, v in (phase.get("growth") or {}).items() if v.get("ratio")}
        if ratios:
            worst = max(ratios, key=ratios.get)
            rows.append((f"Latency with {phase['rows']['users']:,} users within 1.2× of 100 users "
                         f"({phase['backend']})", f"worst {worst} × {ratios[worst]:.2f}; "
                         + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()), verdict(ratios[worst] <= 1.2)))
    check = results.get("csv_streaming") or {}
    if "rows" in check:
        rows.append(("CSV export of 100,000 rows, memory growth < 50 MB (streaming helper)",
                     f"{check['peak_python_mib']} MiB Python peak for {check['rows']:,} rows",
                     verdict(check["peak_python_mib"] < 50)))
    return rows


def report(results: dict) -> str:
    m = results["machine"]
    la = results.get("loadavg") or {}
    lines = [
        "# Bimtek Halal — benchmark results",
        "",
        f"Generated by `{results['command']}` on {results['started']} in {results['elapsed_min']:.1f} min "
        f"({'quick smoke run, a tenth of the national scale' if results['quick'] else 'full run'}).",
        "",
        "## Machine and versions",
        "",
        f"- {m['nproc']} cores: {m['cpu']}; memory `{' '.join(m['memory'])}`; Linux {m['kernel']}",
        f"- Python {m['python']}, Flask {m['flask']}, Werkzeug {m['werkzeug']}, Jinja2 {m['jinja2']}, "
        f"SQLAlchemy {m['sqlalchemy']}, gunicorn {m['gunicorn']}, psycopg {m['psycopg']}, "
        f"Flask-Limiter {m['flask-limiter']}, argon2-cffi {m['argon2-cffi']}",
        f"- SQLite {m['sqlite']} (WAL), PostgreSQL {m['postgresql']}, load generator {m['wrk']} "
        "on the same host (it takes CPU from the server: figures are conservative)",
        f"- gunicorn `deploy/gunicorn.conf.py`: {os.environ.get('GUNICORN_WORKERS', '2')} workers × "
        f"{os.environ.get('GUNICORN_THREADS', '4')} threads (gthread) for the app and the baseline alike; "
        f"app in production mode; wrk -t2 -c{CONNECTIONS}, {results['plan']['warmup']:.0f} s warm-up + "
        f"{results['plan']['duration']:.0f} s per scenario, one run each",
        "- Per-IP login and verify limits are lifted for the run (every virtual user shares 127.0.0.1); the "
        "per-account login limit stays on.",
        f"- 1-minute load average during the run (sampled every 5 s): min {la.get('min')}, median "
        f"{la.get('median')}, max {la.get('max')} on {m['nproc']} cores.",
        "",
    ]
    if la.get("median", 0) > (m["nproc"] or 2) + 0.5:
        lines += ["> **Other work shared the CPUs during this run** (load average above the core count): req/s "
                  "and latencies are pessimistic and vary between scenarios; the ratios to the baseline measured "
                  "beside them and the server CPU ms per request are the steadier figures.", ""]
    lines += ["## Targets at a glance", "", "| Target | Measured | Verdict |", "|---|---|---|"]
    lines += [f"| {t} | {m_} | {v} |" for t, m_, v in targets(results)]
    lines += [""]
    lines += ["## Throughput against the baseline (large data, 16 connections)", "",
              "| Database | Scenario | req/s | × baseline | server CPU ms/req | × baseline by CPU | p50 ms | p95 ms "
              "| p99 ms | errors | peak RSS MiB | load avg | target |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for phase in results["phases"]:
        if phase["scale"] == "small":
            continue
        sc = phase["scenarios"]
        base_rps = sc["baseline"].get("rps")
        base_cpu = sc["baseline"].get("cpu_ms_per_request")
        for name, row in sc.items():
            if "skipped" in row:
                lines.append(f"| {phase['backend']} | {name} | skipped: {row['skipped'][:160]} |||||||||||")
                continue
            ratio = row["rps"] / base_rps if base_rps and name != "baseline" else None
            cpu = row.get("cpu_ms_per_request")
            cpu_ratio = base_cpu / cpu if base_cpu and cpu and name != "baseline" else None
            target = TARGETS.get(name)
            ok = None
            if target and ratio is not None:
                ok = ratio >= target[0] and row["p99_ms"] < target[1] and row["errors"] == 0
            goal = f"≥ {target[0]:.0%} of baseline, p99 < {target[1]:.0f} ms: {verdict(ok)}" if target else ""
            lines.append(
                f"| {phase['backend']} | {name} | {_fmt(row['rps'])} | {_fmt(ratio, 2) if ratio else '1.00'} | "
                f"{_fmt(cpu, 2)} | {_fmt(cpu_ratio, 2) if cpu_ratio else '1.00'} | {_fmt(row['p50_ms'])} | "
                f"{_fmt(row['p95_ms'])} | {_fmt(row['p99_ms'])} | {row['errors']} ({row['error_rate']:.2%}) | "
                f"{_fmt(row['memory']['peak_total_mib'])} | {row.get('loadavg', '')} | {goal} |")
    lines += ["", "Server CPU ms/req is the CPU time of the gunicorn master and workers divided by the requests "
              "served: unlike req/s it does not drop when other work shares the machine (load avg = the 1-minute "
              "load average before and after the scenario; 2 means both cores busy). Peak RSS is the sum of VmHWM "
              "over the master and workers during the scenario.", ""]
    lines += ["## Growth: 100 users against the large data (same page, 1 connection, alternating rounds)", "",
              "× is the median of the per-round ratios large/small of p50 (rounds A B, B A, A B, seconds apart).", "",
              "| Database | Page | p50 ms, 100 users | p50 ms, large | × | CPU ms/req, 100 users | CPU ms/req, large "
              "| × | target ≤ 1.2× |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for phase in results["phases"]:
        for name, row in (phase.get("growth") or {}).items():
            if "skipped" in row:
                lines.append(f"| {phase['backend']} | {name} | skipped: {row['skipped'][:160]} ||||||||")
                continue
            a, b = row["small"], row["large"]
            lines.append(f"| {phase['backend']} | {name} | {_fmt(a['p50_ms'])} | {_fmt(b['p50_ms'])} | "
                         f"{_fmt(row['ratio'], 2)} | {_fmt(a['cpu_ms_per_request'], 2)} | "
                         f"{_fmt(b['cpu_ms_per_request'], 2)} | {_fmt(row['cpu_ratio'], 2)} | "
                         f"{verdict(row['ratio'] is not None and row['ratio'] <= 1.2)} |")
    lines += ["", "## Organiser pages on the national cohort (one request at a time; up to 3 tries, one when "
              "slower than 2 s)", "",
              "| Database | Page | status | median ms | max ms | CSV lines | memory growth MiB | target |",
              "|---|---|---:|---:|---:|---:|---:|---|"]
    for phase in results["phases"]:
        pages = phase.get("organiser_pages") or {}
        if "skipped" in pages:
            lines.append(f"| {phase['backend']}/{phase['scale']} | skipped: {pages['skipped']} |||||||")
            continue
        for name, row in pages.items():
            goal = ""
            if name == "funnel":
                goal = f"< 1 s: {verdict(row['status'] == 200 and row['ms_max'] < 1000)}"
            elif name.endswith("_csv"):
                goal = f"growth < 50 MiB: {verdict(row['status'] == 200 and row['memory_growth_mib'] < 50)}"
            lines.append(f"| {phase['backend']}/{phase['scale']} | {name} | {row['status']} | "
                         f"{_fmt(row['ms_median'])} | {_fmt(row['ms_max'])} | {row['csv_lines'] or ''} | "
                         f"{_fmt(row['memory_growth_mib'])} | {goal} |")
    check = results.get("csv_streaming")
    if check and "rows" in check:
        lines += ["", f"Streaming helper `reports.exports.csv_response` with {check['rows']:,} generated rows: "
                  f"{check['lines']:,} chunks, {check['bytes'] / 2**20:.1f} MiB written, Python peak "
                  f"{check['peak_python_mib']} MiB (target < 50 MB: "
                  f"{verdict(check['peak_python_mib'] < 50)}). No export of the app has 100,000 rows for one "
                  "cohort yet; the per-route figures above are for the national cohort's rows."]
    for phase in results["phases"]:
        b = phase.get("bursts")
        if not b:
            continue
        lines += ["", f"## Bursts ({phase['backend']}, {phase['scale']} data)", "",
                  "| Scenario | step | count | errors | p50 ms | p95 ms | p99 ms | max ms | target |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for key, title in (("rush", f"opening rush: {b['rush']['users']} logins over {b['rush']['window_s']:.0f} s"),
                           ("sync", f"synchronised start: {b['sync']['users']} users within "
                                    f"{b['sync']['window_s']:.0f} s, {b['sync'].get('what', '')}")):
            for step, row in b[key]["steps"].items():
                goal = ""
                if step in ("login_post", "start"):
                    goal = f"0 errors, p95 < 1 s: {verdict(row['errors'] == 0 and row['p95_ms'] < 1000)}"
                lines.append(f"| {title} | {step} | {row['count']} | {row['errors']} "
                             f"{row['error_kinds'] or ''} | {_fmt(row['p50_ms'])} | {_fmt(row['p95_ms'])} | "
                             f"{_fmt(row['p99_ms'])} | {_fmt(row['max_ms'])} | {goal} |")
            lines.append(f"| {title} | peak RSS MiB | {_fmt(b[key]['memory']['peak_total_mib'])} |||||||")
    lines += ["", "## Data generated (bench/gen.py)", "",
              "| Database | scale | rows | seconds |", "|---|---|---|---:|"]
    for phase in results["phases"]:
        for scale, rows_, secs in (("small", phase["rows_small"], phase["generation_small_s"]),
                                   (phase["scale"], phase["rows"], phase["generation_s"])):
            rows = ", ".join(f"{k} {v:,}" for k, v in rows_.items())
            lines.append(f"| {phase['backend']} | {scale} | {rows} | {secs.get('total')} |")
    missing = sorted({t for p in results["phases"] for t in p.get("tables_created_from_models", [])})
    if missing:
        lines += ["", "Tables no migration creates yet (the generator created them from the models): "
                  + ", ".join(missing) + "."]
    notes = [n for p in results["phases"] for n in p.get("notes", [])] + results.get("notes", [])
    errors = [e for p in results["phases"] for e in p.get("server_log_errors", [])]
    if notes or errors:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in dict.fromkeys(notes)]
        lines += [f"- server log: `{e[:200]}`" for e in errors[:10]]
    return "\n".join(lines) + "\n"


class LoadSampler:
    """The 1-minute load average every 5 s during the run: how much other work shared the 2 cores."""

    def __init__(self):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5.0) and len(self.samples) < 10_000:
            self.samples.append(os.getloadavg()[0])

    def start(self) -> LoadSampler:
        self._thread.start()
        return self

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(6)
        values = self.samples or [os.getloadavg()[0]]
        return {"min": round(min(values), 2), "median": round(statistics.median(values), 2),
                "max": round(max(values), 2), "samples": len(values)}


def main() -> None:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    atexit.register(CLEANUP.run)
    plan = Plan(QUICK)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = {"command": ("BENCH_QUICK=1 " if QUICK else "") + "make bench", "quick": QUICK,
               "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "plan": {"duration": plan.duration, "warmup": plan.warmup, "large": plan.large,
                        "connections": CONNECTIONS, "burst_users": plan.burst_users},
               "machine": machine_info(), "phases": [], "notes": []}
    postgres = pg_available()
    if not postgres:
        results["notes"].append("PostgreSQL on 127.0.0.1:5432 is not reachable: SQLite phases only")
    sampler = LoadSampler().start()
    prepare_baseline(BASELINE_DB)
    baseline = Server("baseline", "bench.baseline_app:create_app()", free_port(), env={"BASELINE_DB": str(BASELINE_DB)})
    CLEANUP.servers.append(baseline)
    baseline.start()
    try:
        backends = plan.backends(postgres)
        for backend in backends:
            try:
                results["phases"].append(run_backend(backend, plan, baseline, backend == backends[-1]))
            except Exception as exc:  # noqa: BLE001 - one broken database must not hide the other
                log(f"{backend} failed: {type(exc).__name__}: {exc}")
                results["notes"].append(f"{backend} phase failed: {type(exc).__name__}: {exc}")
        results["csv_streaming"] = csv_streaming_check(100_000)
    finally:
        results["elapsed_min"] = (time.monotonic() - started) / 60
        results["loadavg"] = sampler.stop()
        write_json(OUT / "results.json", results)
        if results["phases"]:
            text = report(results)
            # a quick smoke run must not replace the full run's committed figures
            target = OUT / "RESULTS-quick.md" if QUICK else BENCH / "RESULTS.md"
            target.write_text(text)
            log(f"wrote {target.relative_to(ROOT)}")
            print("\n" + text)
        CLEANUP.run()


if __name__ == "__main__":
    main()
