"""What `make bench` (bench/run.py) runs: quick or full, durations, connections, burst sizes and the targets."""

from __future__ import annotations

import os
from dataclasses import dataclass

QUICK = os.environ.get("BENCH_QUICK") == "1"
WRK_USERS = 16 if QUICK else 32
CONNECTIONS = 16

TARGETS = {  # scenario -> (minimum share of the baseline's req/s, p99 ms at 16 connections)
    "module": (0.40, 50.0),
    "answer_save": (0.50, 50.0),
    "verify": (0.50, 50.0),
}


@dataclass
class Plan:
    quick: bool

    @property
    def duration(self) -> float:
        return 3.0 if self.quick else 10.0

    @property
    def warmup(self) -> float:
        return 1.0 if self.quick else 2.0

    @property
    def server_warmup(self) -> float:
        return 4.0 if self.quick else 8.0

    @property
    def single(self) -> float:
        return 1.5 if self.quick else 3.0

    @property
    def growth_rounds(self) -> int:
        return 3

    @property
    def large(self) -> str:
        return "quick" if self.quick else "national"

    @property
    def burst_users(self) -> int:
        return 50 if self.quick else 500

    @property
    def rush_window(self) -> float:
        return 10.0 if self.quick else 60.0

    @property
    def sync_window(self) -> float:
        return 5.0 if self.quick else 10.0

    def backends(self, postgres: bool) -> list[str]:
        """SQLite, then PostgreSQL; the quick run keeps to SQLite (make cluster-test covers PostgreSQL)."""
        return ["sqlite", "postgresql"] if postgres and not self.quick else ["sqlite"]
