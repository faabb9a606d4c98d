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

This module is the entry point; the set-up and teardown are in bench/cluster_setup.py, the proofs in
bench/cluster_proofs.py.
"""

from __future__ import annotations

import atexit
import shutil
import signal
import sys
import time
from pathlib import Path

from bench.cluster_proofs import QUICK, Cluster
from bench.common import OUT, machine_info, write_json
from bench.results_file import write_cluster_section


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
    table = ["| proof | result | detail |", "|---|---|---|"]
    table += [f"| {row['proof']} | {row['result']} | {row['detail']} |" for row in cluster.results]
    print("\n" + "\n".join(table))
    if not QUICK:
        write_cluster_section(_section(report, table, len(failed)))
    print(f"\ncluster test: {len(cluster.results) - len(failed)} of {len(cluster.results)} passed, measured or "
          "skipped, "
          f"{len(failed)} failed ({report['elapsed_s']} s); details in bench/out/cluster.json")
    return 1 if failed else 0


def _section(report: dict, table: list[str], failed: int) -> str:
    machine = report["machine"]
    lines = ["## Multi-instance: `make cluster-test`", "",
             f"Run on {time.strftime('%Y-%m-%d %H:%M:%S %Z')} in {report['elapsed_s']} s: two gunicorn instances "
             "(deploy/gunicorn.conf.py) on PostgreSQL behind Debian's nginx (deploy/nginx/bimtek.conf), Redis for the "
             f"rate limits, all on loopback. {len(report['proofs']) - failed} of {len(report['proofs'])} rows passed, "
             f"measured or skipped; {failed} failed.", ""]
    if isinstance(machine, dict) and machine.get("cpu"):
        lines += [f"Machine: {machine.get('cpu')}", ""]
    lines += table
    load_rows = report.get("load") or {}
    if load_rows.get("one instance"):
        lines += ["", "| through nginx, module page, 16 connections | req/s | p50 ms | p99 ms | errors |",
                  "|---|---:|---:|---:|---:|"]
        for label in ("one instance", "two instances"):
            row = load_rows[label]
            lines.append(f"| {label} | {row['rps']} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']} |")
        lines += ["", f"Two instances against one: × {load_rows.get('ratio')}. Both run on the same 2 cores, and one "
                  "instance of 2 workers per core already keeps them busy: the second instance is for failover and "
                  "rolling upgrades; throughput beyond one host's cores needs another host behind the same nginx."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
