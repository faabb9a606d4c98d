"""The yardstick: a bare Flask page rendering one template from one indexed SQLite query.

Served by the same gunicorn settings as the real app (deploy/gunicorn.conf.py), so every figure of
`make bench` is a ratio to this page measured in the same run (reference §6.2: "template + 1 query").
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from flask import Flask, jsonify, render_template, request

ROWS = 5_000
PER_PAGE = 20
DEFAULT_DB = Path(__file__).resolve().parent / "out" / "data" / "baseline.db"


def prepare(path: Path, rows: int = ROWS) -> Path:
    """Create the baseline database once: `rows` rows with an index on the column the page filters on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, title TEXT NOT NULL, "
                 "province TEXT NOT NULL, minutes INTEGER NOT NULL)")
    conn.executemany("INSERT INTO item VALUES (?, ?, ?, ?, ?)",
                     ((i, i % 250, f"Modul <{i}> & bahan halal", f"Provinsi {i % 38}", 5 + i % 40)
                      for i in range(1, rows + 1)))
    conn.execute("CREATE INDEX ix_item_grp ON item (grp, id)")
    conn.commit()
    conn.close()
    tmp.rename(path)
    return path


def create_app(db_path: str | None = None) -> Flask:
    """The baseline app; BASELINE_DB names its SQLite file."""
    path = Path(db_path or os.environ.get("BASELINE_DB") or DEFAULT_DB)
    prepare(path)
    app = Flask(__name__)
    local = threading.local()

    def connection() -> sqlite3.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            local.conn = conn
        return conn

    @app.route("/")
    def page():
        group = request.args.get("g", type=int, default=7) % 250
        rows = connection().execute(
            "SELECT id, title, province, minutes FROM item WHERE grp = ? ORDER BY id LIMIT ?",
            (group, PER_PAGE)).fetchall()
        return render_template("baseline.html", title="Baseline", rows=rows, total=ROWS, page=group)

    @app.route("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app
