"""Set-up and teardown of `make cluster-test` (bench/cluster_test.py): the PostgreSQL database and its data, a
Redis database index of our own, two gunicorn instances, nginx with deploy/nginx/bimtek.conf, sign-ins from
distinct loopback addresses, the recorded results, and the removal of everything started or created."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.client import Login, login
from bench.common import ROOT, VENV_BIN, free_port, log, pg_create, pg_drop, random_secret, wait_port
from bench.servers import Server

NGINX_SITE = ROOT / "deploy" / "nginx" / "bimtek.conf"


class ClusterSetup:
    """The processes, database and Redis index of one cluster test; the proofs are in bench/cluster_proofs.py."""

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
            "PROXY_FIX": "1",  # as deploy/bimtek.env.example: trust nginx's X-Forwarded-For (one hop)
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

    # ---------------------------------------------------------------------------------------------- results

    def record(self, name: str, ok: bool | str | None, detail: str) -> None:
        """PASS / FAIL for proofs, SKIP when the route is not there yet, INFO for measurements, WARN for findings."""
        word = ok if isinstance(ok, str) else {True: "PASS", False: "FAIL", None: "SKIP"}[ok]
        self.results.append({"proof": name, "result": word, "detail": detail})
        log(f"{word}  {name}: {detail}")

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
