"""The proofs and measurements of `make cluster-test` (bench/cluster_test.py), run against the instances, nginx,
PostgreSQL and Redis that bench/cluster_setup.py starts."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter

from bench import load
from bench.client import Login, login, request, update_cookies
from bench.cluster_setup import ClusterSetup
from bench.common import log
from bench.load import Entry

QUICK = os.environ.get("BENCH_QUICK") == "1"
ANSWER_SQL = "SELECT seq FROM quiz_answers WHERE attempt_id = :i AND question_uid = :u"


class Cluster(ClusterSetup):
    """Two instances behind nginx (set up by ClusterSetup) and what is proved on them."""

    # ---------------------------------------------------------------------------------------------- proofs

    def prove_session_shared(self) -> Login:
        who = self.sign_in(self.a.base, 0)
        on_b = request("GET", self.b.base + "/dashboard", cookies=who.cookies)[0]
        via = request("GET", self.via_nginx + "/dashboard", cookies=who.cookies)[0]
        self.record("session made on A works on B", on_b == 200 and via == 200,
                    f"signed in on A; /dashboard on B answered {on_b}, through nginx {via}")
        return who

    def prove_logout_shared(self, who: Login) -> None:
        copied = dict(who.cookies)
        status, headers, _ = request("POST", self.a.base + "/logout", cookies=who.cookies,
                                     data={"csrf_token": who.csrf})
        on_b, b_headers, _ = request("GET", self.b.base + "/dashboard", cookies=copied)
        on_a = request("GET", self.a.base + "/dashboard", cookies=copied)[0]
        location = b_headers.get("location", [""])[0]
        ok = status == 302 and on_b == 302 and "/login" in location and on_a == 302
        self.record("logout on A kills the cookie on both", ok,
                    f"logout on A answered {status}; the copied cookie then got {on_b} → {location} on B, {on_a} on A")

    def prove_rate_limit_shared(self) -> None:
        """Wrong passwords for one account, alternating A and B: the per-account limit counts both."""
        email = self.manifest["load_users"][1]
        source = self.next_source()
        jar: dict[str, str] = {}
        status, headers, body = request("GET", self.a.base + "/login", source=source)
        update_cookies(jar, headers)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
        statuses = []
        for attempt in range(12):
            server = self.a if attempt % 2 == 0 else self.b
            status, headers, _ = request("POST", server.base + "/login", cookies=jar, source=source,
                                         data={"email": email, "password": "wrong-password-1", "csrf_token": token})
            update_cookies(jar, headers)
            statuses.append(status)
            if status == 429:
                break
        first = statuses.index(429) + 1 if 429 in statuses else None
        ok = first is not None and first <= 6
        self.record("login rate limit is shared (Redis)", ok,
                    f"wrong passwords A,B,A,… answered {statuses}; 429 at attempt {first} "
                    "(LOGIN_ACCOUNT_RATE_LIMIT 5 per minute; separate memory:// counters would allow 10)")

    def _attempt_urls(self, who: Login, base: str) -> tuple[str, str] | None:
        quiz = self.manifest.get("quiz") or {}
        if not quiz.get("available"):
            return None
        cohort = self.manifest["big_cohort_id"]
        status, headers, _ = request("POST", f"{base}/learn/{cohort}/quiz/{quiz['final_slug']}/start",
                                     cookies=who.cookies, data={"csrf_token": who.csrf})
        update_cookies(who.cookies, headers)
        location = headers.get("location", [""])[0]
        if status != 302 or "/attempt/" not in location:
            raise AssertionError(f"start of the final test answered {status} {location}")
        page = location[location.index("/learn/"):]
        return page, page.rsplit("/", 1)[-1]

    def questions(self, attempt_id: int) -> list[tuple[str, object]]:
        """(uid, an answer the save endpoint accepts) for the single-choice and true/false questions."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                version_ids = conn.execute(text("SELECT version_ids FROM quiz_attempts WHERE id = :i"),
                                           {"i": attempt_id}).scalar()
                found = []
                for uid, vid in version_ids.items():
                    data = conn.execute(text("SELECT data FROM question_versions WHERE id = :i"), {"i": vid}).scalar()
                    if data.get("type") == "single":
                        found.append((uid, 0))
                    elif data.get("type") == "truefalse":
                        found.append((uid, "true"))
                return found
        finally:
            engine.dispose()

    def prove_attempt_across(self) -> None:
        who = self.sign_in(self.a.base, 2)
        urls = self._attempt_urls(who, self.a.base)
        if urls is None:
            self.record("attempt started on A, saved and submitted on B", None, "no quiz routes or quizzes yet")
            return
        page, attempt_id = urls
        uid, answer = self.questions(int(attempt_id))[0]
        shown = request("GET", self.b.base + page, cookies=who.cookies)[0]
        status, _, body = request("POST", f"{self.b.base}{page}/save", cookies=who.cookies,
                                  json_body={"question": uid, "answer": answer, "seq": 1},
                                  headers={"X-CSRFToken": who.csrf})
        saved = json.loads(body) if status == 200 else {}
        submitted, headers, _ = request("POST", f"{self.b.base}{page}/submit", cookies=who.cookies,
                                        data={"csrf_token": who.csrf})
        state, stored = self._attempt_state(int(attempt_id), uid)
        ok = shown == 200 and saved.get("ok") and submitted == 302 and state != "open" and stored is not None
        self.record("attempt started on A, saved and submitted on B", bool(ok),
                    f"start on A → attempt {attempt_id}; page on B {shown}; save on B {status} {saved.get('status')}; "
                    f"submit on B {submitted}; database: state {state}, answer {stored!r}")

    def _attempt_state(self, attempt_id: int, uid: str):
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                state = conn.execute(text("SELECT state FROM quiz_attempts WHERE id = :i"), {"i": attempt_id}).scalar()
                stored = conn.execute(text(ANSWER_SQL.replace("seq", "answer", 1)),
                                      {"i": attempt_id, "u": uid}).scalar()
                return state, stored
        finally:
            engine.dispose()

    def measure_one_against_two(self) -> dict:
        users = [self.sign_in(self.a.base, 10 + i) for i in range(16)]
        slugs = self.manifest["module_slugs"]
        cohort = self.manifest["big_cohort_id"]
        entries = [Entry("GET", f"/learn/{cohort}/m/{slugs[i % len(slugs)]}", u.cookie_header)
                   for i, u in enumerate(users)]
        duration = 4.0 if QUICK else 10.0
        out = {}
        for label, port in (("one instance", self.port_one), ("two instances", self.port_two)):
            base = f"http://127.0.0.1:{port}"
            load.run_load(base, entries, name=f"cluster-warm-{port}", duration=2)
            out[label] = load.run_load(base, entries, name=f"cluster-{port}", duration=duration, connections=16)
            row = out[label]
            log(f"      module page through nginx, {label}: {row['rps']} req/s, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms, errors {row['errors']}")
        ratio = out["two instances"]["rps"] / out["one instance"]["rps"] if out["one instance"]["rps"] else 0
        out["ratio"] = round(ratio, 2)
        self.record("throughput, two instances against one (module page via nginx)", "INFO",
                    f"{out['one instance']['rps']} → {out['two instances']['rps']} req/s (× {ratio:.2f}); "
                    "both instances share the same 2 cores: once one instance keeps both busy (2 workers per core), "
                    "a second adds failover, not throughput; more throughput needs cores, i.e. another host")
        return out

    def prove_failover(self) -> dict:
        """Saves in a loop through nginx; kill -9 instance A in the middle; every acknowledged save is stored."""
        writers = []
        for i in range(8):
            who = self.sign_in(self.via_nginx, 30 + i)
            urls = self._attempt_urls(who, self.via_nginx)
            if urls is None:
                self.record("kill -9 one instance mid-load: no acknowledged answer lost", None, "no quiz routes yet")
                return {}
            questions = self.questions(int(urls[1]))
            writers.append((who, urls[0], int(urls[1]), questions))
        acked: dict[tuple[int, str], tuple[int, object]] = {}
        lock = threading.Lock()
        counts = {"ok": 0, "failed": 0, "ok_after_kill": 0, "failed_after_kill": 0}
        statuses = {"before": Counter(), "after": Counter()}
        killed_at = [None]
        duration = 8.0 if QUICK else 15.0
        stop_at = time.monotonic() + duration

        def loop(who: Login, page: str, attempt_id: int, questions: list) -> None:
            seq = 0
            while time.monotonic() < stop_at:
                seq += 1
                uid, answer = questions[seq % len(questions)]
                value = answer if not isinstance(answer, int) else seq % 2
                try:
                    status, _, body = request("POST", f"{self.via_nginx}{page}/save", cookies=who.cookies, timeout=10,
                                              json_body={"question": uid, "answer": value, "seq": seq},
                                              headers={"X-CSRFToken": who.csrf})
                    payload = json.loads(body) if status == 200 else {}
                except (OSError, ValueError):
                    status, payload = 0, {}
                after = killed_at[0] is not None
                with lock:
                    statuses["after" if after else "before"][status or "socket error"] += 1
                    if status == 200 and payload.get("status") == "saved":
                        acked[(attempt_id, uid)] = (seq, value)
                        counts["ok"] += 1
                        counts["ok_after_kill"] += after
                    else:
                        counts["failed"] += 1
                        counts["failed_after_kill"] += after

        threads = [threading.Thread(target=loop, args=w, daemon=True) for w in writers]
        for t in threads:
            t.start()
        time.sleep(duration / 3)
        log("      kill -9 instance A (master and workers) ...")
        self.a.kill9()
        killed_at[0] = time.monotonic()
        for t in threads:
            t.join(duration + 15)
        missing = self._check_acknowledged(acked)
        b_alive = self.b.proc is not None and self.b.proc.poll() is None
        health = request("GET", self.via_nginx + "/healthz")[0]
        ok = not missing and counts["ok_after_kill"] > 0 and b_alive and health == 200
        self.record("kill -9 one instance mid-load: no acknowledged answer lost, nginx fails over", ok,
                    f"{counts['ok']} saves acknowledged ({counts['ok_after_kill']} after the kill), "
                    f"{counts['failed']} not acknowledged ({counts['failed_after_kill']} after the kill: in flight "
                    f"on A); {len(acked)} latest acknowledged answers checked in PostgreSQL, {len(missing)} missing; "
                    f"statuses before the kill {dict(statuses['before'])}, after {dict(statuses['after'])}; "
                    f"/healthz through nginx after the kill: {health}")
        return {"counts": counts, "statuses": {k: dict(v) for k, v in statuses.items()}, "checked": len(acked),
                "missing": missing[:10]}

    def _check_acknowledged(self, acked: dict) -> list:
        """Each (attempt, question)'s stored seq is at least the last acknowledged one, with that answer or newer."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        missing = []
        try:
            with engine.connect() as conn:
                for (attempt_id, uid), (seq, _value) in acked.items():
                    stored = conn.execute(text(ANSWER_SQL), {"i": attempt_id, "u": uid}).scalar()
                    if stored is None or stored < seq:
                        missing.append({"attempt": attempt_id, "question": uid, "acked_seq": seq, "stored_seq": stored})
        finally:
            engine.dispose()
        return missing

    def probe_client_address(self) -> None:
        """RL-2: per-IP limits must key on the client, not on nginx. 25 sign-ins from 25 loopback addresses."""
        statuses = []
        for i in range(25):
            email = self.manifest["load_users"][50 + i % 10]
            statuses.append(login(self.via_nginx, email, self.manifest["password"],
                                  source=f"127.0.1.{i + 2}").status)
        limited = statuses.count(429)
        self.record("per-IP login limit keys on the client behind nginx (RL-2, PROXY_FIX=1)",
                    "PASS" if limited == 0 else "FAIL",
                    f"25 sign-ins from 25 client addresses through nginx: {limited} answered 429"
                    + (" — the app keys on nginx's address: set PROXY_FIX=1 (werkzeug ProxyFix, one trusted hop)"
                       if limited else ""))
