"""Every benchmark, one after another, into one Markdown report (`make bench`):

    python -m tests.bench.all [--out bench-results.md] [--data DIR] [--only name,name]

Each starts its own Redis (and, for the mixed workload, a local cluster) and service and
measures against a bare-Flask baseline in the same run: profiles, events, notifications,
bookmarks, recommendations (when MovieLens 100K is at --data), section lists, the mixed
workload and cost growth from 10k to 1M users. The report opens with the machine it ran
on; each section is what the benchmark printed. A benchmark that fails is reported as
such and the others still run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from tests.bench.recommend import DATA

BENCHMARKS = ("profiles", "events", "notifications", "bookmarks", "recommend", "sections", "mixed", "growth")


def machine() -> str:
    """The machine, as the report's first lines."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} cores ({model}){memory}; {platform.platform()}; Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results.md"))
    parser.add_argument("--data", type=Path, default=DATA, help="the ml-100k directory")
    parser.add_argument("--only", help="comma-separated names among " + ", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}")
    report = [f"# Benchmarks\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}\n"]
    failed = []
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        module = importlib.import_module(f"tests.bench.{name}")
        bench_args = ["--data", str(args.data)] if name == "recommend" else []
        if name == "recommend" and not (args.data / "u.data").is_file():
            report.append(f"\n## {name}\n\nskipped: no MovieLens 100K at {args.data}\n")
            continue
        printed = io.StringIO()
        started = time.monotonic()
        try:
            with contextlib.redirect_stdout(printed):
                code = module.main(bench_args)
        except Exception:
            code = 1
            printed.write("\n```\n" + traceback.format_exc() + "```\n")
        minutes = (time.monotonic() - started) / 60
        status = "" if code == 0 else " (failed)"
        report.append(f"\n## {name}{status}\n\n{printed.getvalue().strip()}\n\n({minutes:.1f} min)\n")
        if code:
            failed.append(name)
        args.out.write_text("".join(report))  # as it goes: a long run shows its progress
    print(f"report: {args.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
