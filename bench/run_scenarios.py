"""Scenarios of `make bench`: signed-in sessions and the requests they repeat, the measured load on one page
(wrk, server CPU and memory), and the growth comparison between the 100-user and the large database."""

from __future__ import annotations

import json
import os
import re
import statistics
from urllib.parse import quote

from bench import load
from bench.client import Login, login, request, update_cookies
from bench.common import log
from bench.load import Entry
from bench.run_plan import CONNECTIONS, WRK_USERS, Plan
from bench.servers import Server

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


RUNS = 3


def warm_up(server: Server, entries: list[Entry], plan: Plan) -> None:
    """Mixed load on every page a scenario will measure, until the server's first-use costs are paid."""
    if entries:
        load.run_load(server.base, entries, name=f"{server.name}-server-warmup", duration=plan.server_warmup,
                      connections=CONNECTIONS)


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
    # three runs, each with fresh connections: gunicorn keeps a keep-alive connection on the worker that accepted
    # it, so one run can land most of wrk's connections on a few workers; the median run is reported
    runs = [load.run_load(server.base, entries, name=f"{name}-{i}", duration=plan.duration / RUNS,
                          connections=CONNECTIONS) for i in range(RUNS)]
    cpu = server.cpu_seconds() - cpu_before
    requests = sum(r["requests"] for r in runs)
    result = sorted(runs, key=lambda r: r["rps"])[RUNS // 2]
    result["runs_rps"] = [r["rps"] for r in runs]
    # server CPU per request over all runs: steadier than req/s when other work shares the machine
    result["cpu_ms_per_request"] = round(1000 * cpu / requests, 2) if requests else None
    result["memory"] = server.memory()
    # the 1-minute load average before and after: other work on the machine shows up here
    result["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    log(f"  {name}: {result['rps']} req/s (runs {result['runs_rps']}), p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, "
        f"errors {result['errors']}, server CPU {result['cpu_ms_per_request']} ms/request, load {result['loadavg']}")
    return result


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
