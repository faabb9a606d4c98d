"""Organiser pages of `make bench`: funnel, progress, eligibility and the CSV exports (time and memory growth per
request), and the in-process check of the streaming CSV helper."""

from __future__ import annotations

import statistics
import time

from bench.client import request
from bench.common import log
from bench.run_plan import QUICK
from bench.run_scenarios import Session
from bench.servers import proc_status


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
    return proc_status(pid).get("VmRSS", 0)


def _growth(before: dict[int, int]) -> float:
    """Largest rise of one process's peak RSS above its RSS before the request (MiB)."""
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
