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

This module is the entry point and one phase's sequence; the pieces are in bench/run_plan.py (what runs, targets),
bench/run_control.py (data, servers, clean-up, signals), bench/run_scenarios.py (sessions, measured load, growth),
bench/run_organiser.py (organiser pages and CSV exports), bench/run_bursts.py and bench/run_report.py (Markdown).
"""

from __future__ import annotations

import atexit
import os
import signal
import time

from bench.baseline_app import DEFAULT_DB as BASELINE_DB
from bench.baseline_app import prepare as prepare_baseline
from bench.common import BENCH, OUT, ROOT, free_port, log, machine_info, pg_available, write_json
from bench.load import Entry
from bench.results_file import write_bench_report
from bench.run_bursts import bursts
from bench.run_control import CLEANUP, LoadSampler, generate, on_signal, server_errors, start_app, stop
from bench.run_organiser import csv_streaming_check, organiser_pages
from bench.run_plan import CONNECTIONS, QUICK, Plan
from bench.run_report import report
from bench.run_scenarios import growth, measure, open_session, page_entries, warm_up
from bench.servers import Server


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
        pages = page_entries(session)
        baseline_entries = [Entry("GET", f"/?g={g}") for g in range(32)]
        # a fresh server is slow for its first seconds (each worker compiles templates and statements, opens and
        # prepares its connections, the database warms its cache): warm both on every page before measuring
        warm_up(server, [e for entries in pages.values() for e in entries], plan)
        warm_up(baseline, baseline_entries, plan)
        warm_up(small_server, [e for entries in page_entries(small).values() for e in entries], plan)
        scenarios = {"baseline": measure(baseline, baseline_entries, f"{backend}-baseline", plan)}
        for page, entries in pages.items():
            scenarios[page] = measure(server, entries, f"{backend}-{plan.large}-{page}", plan)
        phase["scenarios"] = scenarios
        phase["organiser_pages"] = organiser_pages(session)
        log(f"{backend}: growth, 100 users against {manifest['rows']['users']:,} (1 connection, alternating) ...")
        phase["growth"] = growth(small, session, plan)
        stop(small_server)
        if with_bursts:
            phase["bursts"] = bursts(server, manifest, plan)
        phase["notes"] = session.notes + small.notes
        phase["server_log_errors"] = server_errors(server) + server_errors(small_server)
    finally:
        stop(small_server)
        stop(server)
    write_json(OUT / f"phase-{backend}.json", phase)
    return phase


def main() -> None:
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(CLEANUP.run)
    plan = Plan(QUICK)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = {"command": ("BENCH_QUICK=1 " if QUICK else "") + "make bench", "quick": QUICK,
               "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "plan": {"duration": plan.duration, "warmup": plan.warmup, "large": plan.large,
                        "connections": CONNECTIONS, "burst_users": plan.burst_users},
               "machine": machine_info(), "phases": [], "notes": [],
               "loadavg_start": round(os.getloadavg()[0], 2)}
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
            if QUICK:
                target.write_text(text)
            else:
                write_bench_report(text, target)  # keeps the cluster test's section
            log(f"wrote {target.relative_to(ROOT)}")
            print("\n" + text)
        CLEANUP.run()


if __name__ == "__main__":
    main()
