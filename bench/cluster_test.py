"""`make cluster-test`: two PostgreSQL-backed app instances behind Debian's nginx, Redis for the rate limits.

It runs deploy/nginx/bimtek.conf (ports and paths substituted) in front of two gunicorn instances started with
deploy/gunicorn.conf.py, all on loopback, and proves:

1. a session made on one instance works on the other (and through nginx);
2. a logout on one instance kills the copied cookie on both;
3. the per-account login rate limit is shared (Redis): wrong passwords alternating between instances get 429
   at the same attempt as on one instance;
4. an attempt started through one instance is saved and submitted through the other;
5. (measurement) the module page through nginx with one instance against two;
6. killing one instance (kill -9) in the middle of a loop of answer saves through nginx loses no acknowledged
   answer, and nginx keeps answering from the other instance.

It also reports whether per-IP limits key on the client behind nginx (RL-2) by signing in from distinct
loopback source addresses. Everything it starts or creates (processes, database, Redis keys, temp files) is
removed at the end, also on failure. Exit status 1 when a proof fails.
"""

from __future__ import annotations

import atexit
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench import load
from bench.common import (
    OUT,
    ROOT,
    VENV_BIN,
    Login,
    Server,
    free_port,
    log,
    login,
    machine_info,
    pg_create,
    pg_drop,
    random_secret,
    request,
    update_cookies,
    wait_port,
    write_json,
)
from bench.load import Entry

QUICK = os.environ.get("BENCH_QUICK") == "1"
NGINX_SITE = ROOT / "deploy" / "nginx" / "bimtek.conf"
ANSWER_SQL = "SELECT seq FROM quiz_answers WHERE attempt_id = :i AND question_uid = :u"


class Cluster:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="bimtek-cluster-"))
        self.db_name = f"bimtek_cluster_{os.getpid()}"
        self.url = ""
        self.redis_db: int | None = None
        self.secret = random_secret()
        self.nginx: subprocess.Popen | None = None
        self.port_two = free_port()
        self.port_one = free_port()
        self.a = Server("cluster-a", "app:create_app()", free_port())
        self.b = Server("cluster-b", "app:create_app()", free_port())
        self.manifest: dict = {}
        self.results: list[dict] = []
        self._source = 10

    # ---------------------------------------------------------------------------------------------- set-up

    def env(self) -> dict[str, str]:
        return {
            "APP_ENV": "production", "SECRET_KEY": self.secret, "DATABASE_URL": self.url,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{self.redis_db}",
            "BASE_URL": f"http://127.0.0.1:{self.port_two}", "FLASK_APP": "app.py",
        }

    def pick_redis_db(self) -> None:
        """An empty Redis database index of our own (15 downwards); nothing else in it is touched."""
        import redis

        for index in range(15, 7, -1):
            client = redis.Redis(host="127.0.0.1", port=6379, db=index, socket_timeout=5)
            if client.dbsize() == 0:
                self.redis_db = index
                return
        raise RuntimeError("no empty Redis database index between 8 and 15")

    def prepare_database(self) -> None:
        self.url = pg_create(self.db_name)
        env = {**os.environ, **self.env()}
        log("flask db upgrade")
        _check([str(VENV_BIN / "flask"), "db", "upgrade"], env)
        log("benchmark accounts and course (bench.gen --scale small)")
        manifest = self.tmp / "manifest.json"
        _check([sys.executable, "-m", "bench.gen", "--database-url", self.url, "--scale", "small",
                "--manifest", str(manifest)], env)
        self.manifest = json.loads(manifest.read_text())
        log("flask demo load (development mode: the demo is refused in production)")
        done = subprocess.run([str(VENV_BIN / "flask"), "demo", "load"], cwd=ROOT,
                              env={**env, "APP_ENV": "development"}, capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            log(f"  demo load failed (not needed for the proofs): {done.stderr.strip()[-300:]}")

    def start_instances(self) -> None:
        for server in (self.a, self.b):
            server.env = self.env()
            server.start()
        log(f"instances on {self.a.base} and {self.b.base}")

    def start_nginx(self) -> None:
        """deploy/nginx/bimtek.conf with loopback ports and this checkout's static folder, under a throwaway main
        config whose pid, logs and temp paths are in the temp directory."""
        site = NGINX_SITE.read_text()
        site = site.replace("127.0.0.1:8001", f"127.0.0.1:{self.a.port}")
        site = site.replace("127.0.0.1:8002", f"127.0.0.1:{self.b.port}")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port_two};").replace("listen [::]:80;", "")
        site = site.replace("/srv/bimtek/app/static/", str(ROOT / "static") + "/")
        site = site.replace("/var/www/certbot", str(self.tmp / "certbot"))
        single = f"""
upstream bimtek_one {{
    server 127.0.0.1:{self.a.port};
    keepalive 32;
}}
server {{
    listen 127.0.0.1:{self.port_one};
    location / {{
        proxy_pass http://bimtek_one;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }}
}}
"""
        temp_dirs = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        user = ""
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chmod(self.tmp, 0o755)  # noqa: S103 - nginx workers (nobody) read the config dir
            for name in temp_dirs:
                (self.tmp / name).mkdir()
                os.chown(self.tmp / name, nobody.pw_uid, nobody.pw_gid)
            user = "user nobody nogroup;"
        else:
            for name in temp_dirs:
                (self.tmp / name).mkdir()
        (self.tmp / "site.conf").write_text(site + single)
        main = f"""{user}
worker_processes 1;
daemon off;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.tmp}/access.log;
    client_body_temp_path {self.tmp}/client_body;
    proxy_temp_path {self.tmp}/proxy;
    fastcgi_temp_path {self.tmp}/fastcgi;
    uwsgi_temp_path {self.tmp}/uwsgi;
    scgi_temp_path {self.tmp}/scgi;
    include {self.tmp}/site.conf;
}}
"""
        conf = self.tmp / "nginx.conf"
        conf.write_text(main)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        _check([nginx, "-t", "-p", str(self.tmp), "-c", str(conf)], dict(os.environ))
        self.nginx = subprocess.Popen([nginx, "-p", str(self.tmp), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
        wait_port(self.port_two, 15, self.nginx)
        wait_port(self.port_one, 15, self.nginx)
        log(f"nginx (deploy/nginx/bimtek.conf) on http://127.0.0.1:{self.port_two}, "
            f"single-instance upstream on :{self.port_one}")

    @property
    def via_nginx(self) -> str:
        return f"http://127.0.0.1:{self.port_two}"

    def next_source(self) -> str:
        """A fresh loopback client address per sign-in: per-IP limits see separate clients, as in production."""
        self._source += 1
        return f"127.0.0.{self._source % 250 + 2}"

    def sign_in(self, base: str, index: int) -> Login:
        who = login(base, self.manifest["load_users"][index], self.manifest["password"], source=self.next_source())
        if who.status != 302 or "session" not in who.cookies:
            raise AssertionError(f"sign-in of {who.email} on {base} answered {who.status}")
        return who

    # ---------------------------------------------------------------------------------------------- proofs

    def record(self, name: str, ok: bool | str | None, detail: str) -> None:
        """PASS / FAIL for proofs, SKIP when the route is not there yet, INFO for measurements, WARN for findings."""
        word = ok if isinstance(ok, str) else {True: "PASS", False: "FAIL", None: "SKIP"}[ok]
        self.results.append({"proof": name, "result": word, "detail": detail})
        log(f"{word}  {name}: {detail}")

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
                    "on 2 cores both instances share the same CPUs, so this measures overhead, not scale-out")
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
        self.record("per-IP login limit keys on the client behind nginx (RL-2, informational)",
                    "PASS" if limited == 0 else "WARN",
                    f"25 sign-ins from 25 client addresses through nginx: {limited} answered 429"
                    + (" — the app keys on nginx's address: add werkzeug ProxyFix(x_for=1, x_proto=1)"
                       if limited else ""))

    # ---------------------------------------------------------------------------------------------- teardown

    def cleanup(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(5)
        self.nginx = None
        for server in (self.a, self.b):
            server.stop()
        if self.url:
            pg_drop(self.db_name)
            self.url = ""
        if self.redis_db is not None:
            try:
                import redis

                client = redis.Redis(host="127.0.0.1", port=6379, db=self.redis_db, socket_timeout=5)
                for key in client.scan_iter("LIMITS*", count=500):
                    client.delete(key)
            except Exception as exc:  # noqa: BLE001
                log(f"could not clear Redis db {self.redis_db}: {exc}")
            self.redis_db = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def _check(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {(done.stderr or done.stdout).strip()[-800:]}")


def main() -> int:
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        print("nginx is not installed: run `apt-get install nginx-light` (the Makefile target does)")
        return 1
    cluster = Cluster()
    atexit.register(cluster.cleanup)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(128 + s))
    started = time.monotonic()
    report: dict = {"machine": machine_info()}
    try:
        cluster.pick_redis_db()
        cluster.prepare_database()
        cluster.start_instances()
        cluster.start_nginx()
        who = cluster.prove_session_shared()
        cluster.prove_logout_shared(who)
        cluster.prove_rate_limit_shared()
        cluster.prove_attempt_across()
        report["load"] = cluster.measure_one_against_two()
        report["failover"] = cluster.prove_failover()
        cluster.probe_client_address()
    except Exception as exc:  # noqa: BLE001 - reported as a failed proof, then cleaned up
        cluster.record("cluster test ran to the end", False, f"{type(exc).__name__}: {exc}")
    finally:
        cluster.cleanup()
    report["proofs"] = cluster.results
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    write_json(OUT / "cluster.json", report)
    failed = [r for r in cluster.results if r["result"] == "FAIL"]
    print()
    print("| proof | result | detail |")
    print("|---|---|---|")
    for row in cluster.results:
        print(f"| {row['proof']} | {row['result']} | {row['detail']} |")
    print(f"\ncluster test: {len(cluster.results) - len(failed)} of {len(cluster.results)} passed, measured or "
          "skipped, "
          f"{len(failed)} failed ({report['elapsed_s']} s); details in bench/out/cluster.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
