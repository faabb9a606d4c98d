"""gunicorn servers started by the benchmarks, and the /proc readings of their processes (CPU, memory, children).

Everything here talks to loopback only and every wait is bounded in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import request
from bench.common import GUNICORN_CONF, LOOPBACK, OUT, ROOT, VENV_BIN, wait_port

# ---------------------------------------------------------------------------------------------------------
# gunicorn servers


@dataclass
class Server:
    """One gunicorn master on a loopback port, started with deploy/gunicorn.conf.py."""

    name: str
    app: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        env = {**os.environ, **self.env, "GUNICORN_BIND": f"{LOOPBACK}:{self.port}"}
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"server-{self.name}.log"
        with self.log_path.open("w") as logfile:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), self.app],
                cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_port(self.port, timeout, self.proc)
        # the master listens before its workers have imported the app: wait for an answer
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _, _ = request("GET", self.base + "/healthz", timeout=10)
                if status < 500:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the master we started (gunicorn stops its workers), SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_tree(self.proc.pid)
            self.proc.wait(5)

    def kill9(self) -> None:
        """kill -9 the master and its workers: a crash, not a shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            kill_tree(self.proc.pid)
            self.proc.wait(5)

    def pids(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the master and its workers (from /proc/<pid>/stat)."""
        return sum(cpu_seconds(pid) for pid in self.pids())

    def reset_peak(self) -> None:
        for pid in self.pids():
            reset_peak_rss(pid)

    def memory(self) -> dict:
        """Peak and current RSS (MiB) of master and workers since the last reset_peak()."""
        rows = {pid: proc_status(pid) for pid in self.pids()}
        rows = {pid: r for pid, r in rows.items() if r}
        return {
            "processes": len(rows),
            "peak_total_mib": round(sum(r.get("VmHWM", 0) for r in rows.values()) / 1024, 1),
            "peak_max_process_mib": round(max((r.get("VmHWM", 0) for r in rows.values()), default=0) / 1024, 1),
            "rss_total_mib": round(sum(r.get("VmRSS", 0) for r in rows.values()) / 1024, 1),
        }


def children(pid: int) -> list[int]:
    """Direct children of a process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields after the command: state(0) ppid(1) ... utime(11) stime(12)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kill_tree(pid: int) -> None:
    """SIGKILL a process we started and its direct children (gunicorn workers)."""
    for child in children(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS in KiB from /proc/<pid>/status."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False
