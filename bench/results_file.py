"""bench/RESULTS.md holds the report of `make bench` plus marked sections that other runs or people own.

`make cluster-test` owns the section between `<!-- cluster-test:begin -->` and `<!-- cluster-test:end -->`; the
analysis of missed targets (why, and what would fix them) lives between `<!-- analysis:begin -->` and
`<!-- analysis:end -->`. Rewriting the report keeps every marked section, so the committed file carries the tables
of both real runs and the explanations beside them.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.common import BENCH

RESULTS = BENCH / "RESULTS.md"
SECTION_RE = re.compile(r"<!-- ([a-z-]+):begin -->.*?<!-- \1:end -->", re.S)


def sections(path: Path = RESULTS) -> dict[str, str]:
    """Marked sections of the results file by name, markers included."""
    if not path.exists():
        return {}
    return {m.group(1): m.group(0) for m in SECTION_RE.finditer(path.read_text())}


def write_bench_report(report: str, path: Path = RESULTS) -> None:
    """Write `make bench`'s report, keeping the marked sections (analysis first, then the cluster test)."""
    kept = sections(path)
    order = sorted(kept, key=lambda name: (name != "analysis", name))
    path.write_text(report.rstrip() + "\n" + "".join(f"\n{kept[name]}\n" for name in order))


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Put `body` between the section's markers, replacing the previous run's."""
    block = f"<!-- {name}:begin -->\n{body.rstrip()}\n<!-- {name}:end -->"
    text = path.read_text() if path.exists() else "# Bimtek Halal — benchmark results\n"
    old = sections(path).get(name)
    text = text.replace(old, block) if old else text.rstrip() + "\n\n" + block
    path.write_text(text.rstrip() + "\n")


def write_cluster_section(body: str, path: Path = RESULTS) -> None:
    write_section("cluster-test", body, path)
