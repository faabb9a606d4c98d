"""Shared basics of the benchmarks: paths, logging, ports, PostgreSQL/SQLite databases, machine and versions.

Servers and processes are in bench/servers.py, the HTTP client and sign-in in bench/client.py.
Everything here talks to loopback only and every wait is bounded in time.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
DATA = OUT / "data"
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
LOOPBACK = "127.0.0.1"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_PASSWORD = "Bench-Halal-2026!"  # noqa: S105 - throwaway benchmark accounts only


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
