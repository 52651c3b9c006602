"""Benchmark: e-invoices per second through the full `validate()` (safety checks, XSD,
scenario, both Schematron stylesheets, SVRL to findings) against the raw saxonche transform
of the same compiled stylesheets on the same documents, in the same run.

Usage: python bench/einvoice.py [--rules DIR] [--rounds 5]

Goal (issue 6): full validation at ≥ 0.8× the raw transform's throughput. Also prints the
time to compile the rule directory and the per-invoice latency of `validate()`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbund.settings.base")
    if args.rules:
        os.environ["VERBUND_EINVOICE_RULES"] = str(args.rules)
    import django

    django.setup()
    from django.conf import settings

    from verbund.einvoices.validation import ruleset as rs
    from verbund.einvoices.validation import validate

    directory = Path(settings.VERBUND_EINVOICE_RULES)
    documents = [p.read_bytes() for p in sorted((directory / "testsuite").rglob("*.xml"))]
    if not documents:
        sys.exit(f"no test suite invoices under {directory}/testsuite")

    started = time.perf_counter()
    rules = rs.ruleset(directory)
    compile_seconds = time.perf_counter() - started
    sheets = {s.name: s.compile_seconds for s in rules.stylesheets.values()}

    # The raw baseline: parse each document with Saxon and apply the compiled Schematron
    # stylesheets of its scenario (chosen up front, outside the timing).
    plan = []
    for data in documents:
        report = validate(data)
        assert report.valid, report.findings
        scenario = next(s for s in rules.scenarios if s.name == report.scenario)
        plan.append((data.decode("utf-8"), [s.executable for s in rules.stylesheets_for(scenario)]))

    def raw_round() -> float:
        t = time.perf_counter()
        for text, executables in plan:
            node = rs.parse_for_saxon(text)
            for executable in executables:
                rs.run(executable, node)
        return time.perf_counter() - t

    latencies: list[float] = []

    def full_round() -> float:
        t = time.perf_counter()
        for data in documents:
            one = time.perf_counter()
            validate(data)
            latencies.append(time.perf_counter() - one)
        return time.perf_counter() - t

    raw_times, full_times = [], []
    for _ in range(args.rounds):  # interleaved, so both see the same machine load
        raw_times.append(raw_round())
        full_times.append(full_round())
    raw_rate = len(documents) / min(raw_times)
    full_rate = len(documents) / min(full_times)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"documents: {len(documents)} test suite invoices, {args.rounds} rounds (best round)")
    print(
        f"compile rule directory: {compile_seconds:.2f} s (Schematron: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sheets.items())
        + ")"
    )
    print(f"raw saxonche transform: {raw_rate:.1f} invoices/s")
    print(f"full validate():        {full_rate:.1f} invoices/s")
    print(
        f"validate() latency: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )
    ratio = full_rate / raw_rate
    print(f"ratio full/raw: {ratio:.2f}x (goal >= 0.80x) {'OK' if ratio >= 0.8 else 'BELOW GOAL'}")


if __name__ == "__main__":
    main()
