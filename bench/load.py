"""Load generators: wrk (closed loop, rotating signed-in requests), a threaded Python fallback, and the
two burst scenarios (the opening rush of logins and the synchronised start of the final test).

Every run is bounded by a duration and every burst by a user count and a per-request timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import Login, login, request, update_cookies
from bench.common import BENCH, LOOPBACK, OUT

WRK_SCRIPT = BENCH / "wrk_rotate.lua"
_seq_lock = threading.Lock()
_seq_base = [int(time.time()) % 1000 * 1_000_000]


@dataclass
class Entry:
    """One request a virtual user repeats: method, path, the user's cookie, CSRF header, JSON body."""

    method: str
    path: str
    cookie: str = ""
    csrf: str = ""
    body: str = ""  # "{seq}" is replaced by an increasing number

    def line(self) -> str:
        for value in (self.method, self.path, self.cookie, self.csrf, self.body):
            if "\t" in value or "\n" in value:
                raise ValueError("tab or newline in a request line")
        return "\t".join((self.method, self.path, self.cookie, self.csrf, self.body))


def next_seq_base() -> int:
    """A base for "{seq}" that grows across runs, so a later run never looks older than an earlier one."""
    with _seq_lock:
        _seq_base[0] += 20_000_000
        return _seq_base[0] % 2_000_000_000


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def run_load(base: str, entries: list[Entry], *, name: str, duration: float, connections: int = 16,
             threads: int = 2, expect: int = 200, timeout: float = 10.0) -> dict:
    """Closed-loop load: wrk when installed, else the Python fallback. Returns req/s, percentiles (ms), errors."""
    if shutil.which("wrk"):
        return _run_wrk(base, entries, name=name, duration=duration, connections=connections, threads=threads,
                        expect=expect, timeout=timeout)
    return _run_python(base, entries, duration=duration, connections=connections, expect=expect, timeout=timeout)


def _run_wrk(base: str, entries: list[Entry], *, name: str, duration: float, connections: int, threads: int,
             expect: int, timeout: float) -> dict:
    work = OUT / "wrk"
    work.mkdir(parents=True, exist_ok=True)
    requests_file = work / f"{name}.tsv"
    result_file = work / f"{name}.json"
    requests_file.write_text("\n".join(e.line() for e in entries) + "\n")
    result_file.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_WRK_REQUESTS": str(requests_file), "BENCH_WRK_OUT": str(result_file),
           "BENCH_WRK_EXPECT": str(expect), "BENCH_WRK_SEQBASE": str(next_seq_base()),
           "BENCH_WRK_THREADS": str(threads)}
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", f"--timeout={timeout:.0f}s",
            "-s", str(WRK_SCRIPT), base]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=duration + 60, check=False)
    if done.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(result_file.read_text())
    seconds = raw["duration_us"] / 1e6
    socket_errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    errors = socket_errors + raw["unexpected_status"]
    return {
        "tool": "wrk", "connections": connections, "threads": threads, "seconds": round(seconds, 2),
        "requests": raw["requests"], "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000, "p75_ms": raw["p75_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
        "errors": errors, "error_rate": round(errors / raw["requests"], 5) if raw["requests"] else 1.0,
        "statuses": raw["statuses"], "socket_errors": socket_errors,
    }


def _run_python(base: str, entries: list[Entry], *, duration: float, connections: int, expect: int,
                timeout: float) -> dict:
    """Fallback when wrk is missing: one thread per connection, keep-alive, bounded by `duration`."""
    host_port = base.split("//", 1)[1]
    host, _, port = host_port.partition(":")
    if host != LOOPBACK:
        raise ValueError("loopback only")
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        mine: list[float] = []
        counts: Counter = Counter()
        failures = 0
        n = offset
        seq = next_seq_base()
        while time.monotonic() < stop_at:
            entry = entries[n % len(entries)]
            n += connections
            seq += 1
            headers = {}
            if entry.cookie:
                headers["Cookie"] = entry.cookie
            if entry.csrf:
                headers["X-CSRFToken"] = entry.csrf
            body = entry.body.replace("{seq}", str(seq)) if entry.body else None
            if body:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                conn.request(entry.method, entry.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failures += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
                continue
            mine.append(time.perf_counter() - started)
            counts[response.status] += 1
            if response.status != expect:
                failures += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(counts)
            errors[0] += failures

    started = time.monotonic()
    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(duration + timeout + 5)
    seconds = time.monotonic() - started
    total = len(latencies)
    ms = [v * 1000 for v in latencies]
    return {
        "tool": "python-threads", "connections": connections, "threads": connections, "seconds": round(seconds, 2),
        "requests": total, "rps": round(total / seconds, 1) if seconds else 0.0,
        **{f"p{p}_ms": round(percentile(ms, p), 3) for p in (50, 75, 90, 95, 99)},
        "max_ms": round(max(ms, default=0), 3), "errors": errors[0],
        "error_rate": round(errors[0] / max(total, 1), 5), "statuses": {str(k): v for k, v in statuses.items()},
    }


# ---------------------------------------------------------------------------------------------------------
# Bursts: many users, each doing a few steps once, timed per step


@dataclass
class StepTimes:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, Counter] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies.setdefault(step, []).append(seconds * 1000)
            if not ok:
                self.failures.setdefault(step, Counter())[detail or "failed"] += 1

    def summary(self) -> dict:
        out = {}
        for step, values in self.latencies.items():
            fails = self.failures.get(step, Counter())
            out[step] = {
                "count": len(values), "errors": sum(fails.values()), "error_kinds": dict(fails.most_common(5)),
                "p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
                "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1),
                "mean_ms": round(statistics.fmean(values), 1),
            }
        return out


def _run_bounded(users: list, schedule: Callable[[int], float], body: Callable, deadline: float) -> None:
    """One thread per user, each sleeping until its scheduled offset; all joined before `deadline`."""
    threading.stack_size(512 * 1024)
    t0 = time.monotonic() + 1.0
    threads = []
    for i, user in enumerate(users):
        thread = threading.Thread(target=_at, args=(t0 + schedule(i), body, user), daemon=True)
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))


def _at(when: float, body: Callable, user) -> None:
    delay = when - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    body(user)


def opening_rush(base: str, emails: list[str], window: float, password: str, timeout: float = 30.0) -> tuple[dict,
                                                                                                            list[Login]]:
    """`len(emails)` sign-ins spread evenly over `window` seconds (GET /login, then the timed POST)."""
    times = StepTimes()
    logged: list[Login] = []
    lock = threading.Lock()
    spacing = window / max(len(emails), 1)

    def one(email: str) -> None:
        started = time.perf_counter()
        try:
            result = login(base, email, password, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - counted as an error of this step
            times.add("login_post", time.perf_counter() - started, False, type(exc).__name__)
            return
        ok = result.status == 302 and "session" in result.cookies
        times.add("login_post", result.seconds, ok, f"status {result.status}")
        times.add("login_page_and_post", time.perf_counter() - started, ok, f"status {result.status}")
        if ok:
            with lock:
                logged.append(result)

    started = time.monotonic()
    _run_bounded(emails, lambda i: i * spacing + random.uniform(0, spacing), one,
                 time.monotonic() + window + timeout + 10)
    summary = {"users": len(emails), "window_s": window, "elapsed_s": round(time.monotonic() - started, 1),
               "steps": times.summary()}
    return summary, logged


def synchronised_start(base: str, logins: list[Login], window: float, steps: Callable[[Login, StepTimes], None],
                       timeout: float = 30.0) -> dict:
    """Every user starts within the same `window` seconds (uniformly at random), then runs `steps` once."""
    times = StepTimes()
    started = time.monotonic()
    _run_bounded(logins, lambda i: random.uniform(0, window), lambda who: steps(who, times),
                 time.monotonic() + window + 4 * timeout + 10)
    return {"users": len(logins), "window_s": window, "elapsed_s": round(time.monotonic() - started, 1),
            "steps": times.summary()}


def timed(times: StepTimes, step: str, method: str, url: str, who: Login, expect: tuple[int, ...], **kwargs):
    """One request of a burst, timed and checked; returns (status, headers, body) or None on a socket error."""
    started = time.perf_counter()
    try:
        status, headers, body = request(method, url, cookies=who.cookies, **kwargs)
    except OSError as exc:
        times.add(step, time.perf_counter() - started, False, type(exc).__name__)
        return None
    update_cookies(who.cookies, headers)
    times.add(step, time.perf_counter() - started, status in expect, f"status {status}")
    return status, headers, body


def write_lines(path: Path, entries: list[Entry]) -> None:
    path.write_text("\n".join(e.line() for e in entries) + "\n")
