"""Process control of `make bench`: the data generator subprocess, app servers, clean-up at exit and on signals,
server log errors, and the load-average sampler."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
from pathlib import Path

from bench.common import DATA, OUT, ROOT, free_port, log, pg_create, pg_drop, random_secret, remove_sqlite, sqlite_url
from bench.servers import Server


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


def on_signal(signum, _frame):
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


def server_errors(server: Server) -> list[str]:
    if server.log_path is None or not server.log_path.exists():
        return []
    lines = server.log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if "Traceback" in line or "ERROR" in line][:20]


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
